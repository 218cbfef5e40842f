//! Lines that carry a password: masked as they are typed, and never kept
//! in the scrollback or the input history.

/// The commands whose arguments hold a password, and how many words come
/// before it (`/login <name> <password>`).
const WITH_PASSWORD: &[(&str, usize)] = &[("/login", 1), ("/register", 1), ("/changepassword", 0)];

/// Where the secret part of a typed line starts (a char index), if the
/// line carries a password.
pub(crate) fn start(line: &str) -> Option<usize> {
    let trimmed = line.trim_start();
    let indent = line.chars().count() - trimmed.chars().count();
    let (command, rest) = trimmed.split_once(' ').unwrap_or((trimmed, ""));
    let &(_, before) = WITH_PASSWORD
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(command))?;
    // Past the command, its space, and the words before the password.
    let mut at = indent + command.chars().count() + 1;
    let mut rest = rest;
    for _ in 0..before {
        let (word, after) = rest.split_once(' ')?;
        at += word.chars().count() + 1;
        rest = after;
    }
    Some(at)
}

/// Whether the line is one of the commands that carry a password (then
/// it is not remembered, whole or not).
pub(crate) fn carries_password(line: &str) -> bool {
    let command = line.split_whitespace().next().unwrap_or("");
    WITH_PASSWORD
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case(command))
}

/// The line as it may be shown: the password as `*`s (spaces kept, so
/// `/changepassword old new` still shows two words).
pub(crate) fn masked(line: &str) -> String {
    match start(line) {
        None => line.to_owned(),
        Some(at) => line
            .chars()
            .enumerate()
            .map(|(i, c)| if i >= at && c != ' ' { '*' } else { c })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_masked_names_are_not() {
        assert_eq!(
            masked("/login root a long admin password"),
            "/login root * **** ***** ********"
        );
        assert_eq!(masked("/REGISTER bob pw"), "/REGISTER bob **");
        assert_eq!(masked("/changepassword old new"), "/changepassword *** ***");
        assert_eq!(masked("  /login root x"), "  /login root *");
        // Typing the name: nothing secret yet.
        assert_eq!(masked("/login ro"), "/login ro");
        assert_eq!(masked("/login root "), "/login root ");
        assert_eq!(masked("hello /login root x"), "hello /login root x");
        assert_eq!(masked("/loginx a b"), "/loginx a b");
        assert!(carries_password("/login root"));
        assert!(!carries_password("/join rust"));
        assert!(carries_password("/changepassword"));
    }
}
