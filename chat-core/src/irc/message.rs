//! IRC message syntax (modern.ircdocs.horse): `[@tags] [:source] COMMAND
//! params... [:trailing]`, read from one line.

/// The most bytes of a line without its tags and ending (512 with `\r\n`).
pub const MAX_BODY: usize = 510;

/// One client message, borrowed from its line.
#[derive(Debug, PartialEq, Eq)]
pub struct Message<'a> {
    /// The command, as sent (compare without regard to case).
    pub command: &'a str,
    /// The parameters, the trailing one last.
    pub params: Vec<&'a str>,
}

/// Why a line is not a message.
#[derive(Debug, PartialEq, Eq)]
pub enum Malformed {
    /// Nothing but spaces (or tags).
    Empty,
    /// The part after the tags is longer than [`MAX_BODY`].
    TooLong,
}

/// Parses a line; tags are counted apart from the length limit and
/// dropped (clients' tags carry nothing the engine reads).
pub fn parse(line: &str) -> Result<Message<'_>, Malformed> {
    let mut rest = line;
    if let Some(tagged) = rest.strip_prefix('@') {
        rest = tagged.split_once(' ').map_or("", |(_, r)| r);
    }
    rest = rest.trim_start_matches(' ');
    if rest.len() > MAX_BODY {
        return Err(Malformed::TooLong);
    }
    if rest.starts_with(':') {
        rest = rest.split_once(' ').map_or("", |(_, r)| r);
    }
    let mut params = Vec::new();
    let mut command = "";
    loop {
        rest = rest.trim_start_matches(' ');
        if rest.is_empty() {
            break;
        }
        if !command.is_empty() {
            if let Some(trailing) = rest.strip_prefix(':') {
                params.push(trailing);
                break;
            }
        }
        let (word, r) = rest.split_once(' ').unwrap_or((rest, ""));
        if command.is_empty() {
            command = word;
        } else {
            params.push(word);
        }
        rest = r;
    }
    if command.is_empty() {
        return Err(Malformed::Empty);
    }
    Ok(Message { command, params })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_source_params_and_trailing() {
        let m = parse("@time=x;a=b :nick!u@h PRIVMSG #lobby :hi there ").unwrap();
        assert_eq!(m.command, "PRIVMSG");
        assert_eq!(m.params, vec!["#lobby", "hi there "]);
        let m = parse("USER  u 0 * ::colon").unwrap();
        assert_eq!(m.params, vec!["u", "0", "*", ":colon"]);
        assert_eq!(parse("   "), Err(Malformed::Empty));
        assert_eq!(parse("@a=b"), Err(Malformed::Empty));
        let m = parse("JOIN :").unwrap();
        assert_eq!(m.params, vec![""]);
    }

    #[test]
    fn tags_are_counted_apart() {
        let tags = format!("@{} ", "t".repeat(2000));
        let body = format!("PRIVMSG #lobby :{}", "x".repeat(400));
        assert!(parse(&format!("{tags}{body}")).is_ok());
        let long = format!("PRIVMSG #lobby :{}", "x".repeat(600));
        assert_eq!(parse(&long), Err(Malformed::TooLong));
    }
}
