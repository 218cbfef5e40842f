//! What Tab offers for the word being typed: a command at the start of a
//! line, then what that command's argument is (a room, a user, either),
//! else the names of people.

use super::view::View;
use super::windows::Place;

/// The commands Tab completes: every name of the command catalogue a
/// logged-in user may type, and the client's own (`/older`, `/window`,
/// `/query`).
fn commands() -> &'static [String] {
    static COMMANDS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    COMMANDS.get_or_init(|| {
        let mut names = chat_core::command::typed_names();
        names.extend(["/older", "/window", "/query"].map(String::from));
        names
    })
}

/// What an argument of a command names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Arg {
    Room,
    User,
    /// A room, or `@user` (`/history`).
    Either,
    Other,
}

/// The argument `index` (from 0) of `command`.
fn arg(command: &str, index: usize) -> Arg {
    let command = command.to_lowercase();
    match (command.as_str(), index) {
        (
            "/join" | "/part" | "/say" | "/names" | "/topic" | "/cleartopic" | "/closeroom"
            | "/remove",
            0,
        ) => Arg::Room,
        ("/history" | "/older", 0) => Arg::Either,
        (
            "/msg" | "/messageto" | "/kickuser" | "/unkick" | "/changegrant" | "/query" | "/remove",
            _,
        ) if index <= 1 => Arg::User,
        _ => Arg::Other,
    }
}

/// The candidates for the word before the cursor, and what follows a
/// single one (`alice: ` starts a line addressed to alice).
pub(crate) fn candidates(
    view: &View,
    before: &[String],
    word: &str,
) -> (Vec<String>, &'static str) {
    if before.is_empty() && word.starts_with('/') {
        return (commands().to_vec(), " ");
    }
    let kind = match before.first() {
        Some(command) if command.starts_with('/') => arg(command, before.len() - 1),
        _ => Arg::Other,
    };
    let rooms = || rooms(view);
    let users = || users(view);
    let found = match kind {
        Arg::Room => rooms(),
        Arg::User => users(),
        Arg::Either => {
            let mut all = rooms();
            all.extend(users().into_iter().map(|u| format!("@{u}")));
            all
        }
        // A name anywhere in a line; at its start, addressed.
        Arg::Other => users(),
    };
    let end = if before.is_empty() && kind == Arg::Other {
        ": "
    } else {
        " "
    };
    (found, end)
}

/// The rooms we know: those we are in, and those a listing showed.
fn rooms(view: &View) -> Vec<String> {
    let mut all: Vec<String> = vec![chat_core::LOBBY.to_owned()];
    all.extend(view.windows.rooms().map(str::to_owned));
    for r in &view.known_rooms {
        if !all.iter().any(|a| a.eq_ignore_ascii_case(r)) {
            all.push(r.clone());
        }
    }
    all
}

/// The people we know: online, in the window shown, in conversations.
fn users(view: &View) -> Vec<String> {
    let mut all: Vec<String> = view.online.iter().cloned().collect();
    let mut add = |name: &str| {
        if !all.iter().any(|a| a.eq_ignore_ascii_case(name)) {
            all.push(name.to_owned());
        }
    };
    for name in &view.windows.current().members {
        add(name);
    }
    for w in view.windows.all() {
        if let Place::Private(name) = &w.place {
            add(name);
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn rooms_after_room_commands_users_after_user_commands() {
        let mut v = View::default();
        v.online.insert("alice".into());
        v.online.insert("bob".into());
        v.windows.open(Place::Room("rust".into()));
        v.known_rooms.push("tea".into());
        let (found, end) = candidates(&v, &[], "/jo");
        assert!(found.contains(&"/join".to_owned()) && end == " ");
        let (found, _) = candidates(&v, &words("/join"), "");
        assert_eq!(found, ["lobby", "rust", "tea"]);
        let (found, _) = candidates(&v, &words("/names"), "");
        assert_eq!(found, ["lobby", "rust", "tea"]);
        let (found, _) = candidates(&v, &words("/remove rust"), "");
        assert!(found.contains(&"bob".to_owned()), "{found:?}");
        let (found, _) = candidates(&v, &words("/history"), "");
        assert!(found.contains(&"rust".to_owned()) && found.contains(&"@bob".to_owned()));
        let (found, end) = candidates(&v, &[], "al");
        assert_eq!((found.contains(&"alice".to_owned()), end), (true, ": "));
        let (_, end) = candidates(&v, &words("hi"), "al");
        assert_eq!(end, " ");
    }
}
