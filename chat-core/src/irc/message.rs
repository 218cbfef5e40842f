//! IRC message syntax (modern.ircdocs.horse): `[@tags] [:source] COMMAND
//! params... [:trailing]`, read from one line.

/// The most bytes of a line without its tags and ending (512 with `\r\n`).
pub const MAX_BODY: usize = 510;

/// The most bytes of a line's tags, without their `@` and the space after
/// them, by default (4,096 with them: IRCv3 message tags).
pub const MAX_TAGS: usize = 4094;

/// One client message, borrowed from its line.
#[derive(Debug, PartialEq, Eq)]
pub struct Message<'a> {
    /// The tags, as sent (without `@`; empty for none).
    pub tags: &'a str,
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
    /// The part after the tags is longer than [`MAX_BODY`], or the tags
    /// longer than their limit.
    TooLong,
}

/// Parses a line whose tags (without `@` and the space after them) may
/// be `max_tags` bytes long; the rest is counted apart, against
/// [`MAX_BODY`].
pub fn parse(line: &str, max_tags: usize) -> Result<Message<'_>, Malformed> {
    let mut rest = line;
    let mut tags = "";
    if let Some(tagged) = rest.strip_prefix('@') {
        (tags, rest) = tagged.split_once(' ').unwrap_or((tagged, ""));
        if tags.len() > max_tags {
            return Err(Malformed::TooLong);
        }
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
    Ok(Message {
        tags,
        command,
        params,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_source_params_and_trailing() {
        let m = parse("@time=x;a=b :nick!u@h PRIVMSG #lobby :hi there ", MAX_TAGS).unwrap();
        assert_eq!((m.tags, m.command), ("time=x;a=b", "PRIVMSG"));
        assert_eq!(m.params, vec!["#lobby", "hi there "]);
        let m = parse("USER  u 0 * ::colon", MAX_TAGS).unwrap();
        assert_eq!(m.params, vec!["u", "0", "*", ":colon"]);
        assert_eq!(parse("   ", MAX_TAGS), Err(Malformed::Empty));
        assert_eq!(parse("@a=b", MAX_TAGS), Err(Malformed::Empty));
        let m = parse("JOIN :", MAX_TAGS).unwrap();
        assert_eq!(m.params, vec![""]);
    }

    #[test]
    fn tags_are_counted_apart() {
        let tags = format!("@{} ", "t".repeat(MAX_TAGS));
        let body = format!("PRIVMSG #lobby :{}", "x".repeat(400));
        assert!(parse(&format!("{tags}{body}"), MAX_TAGS).is_ok());
        let long = format!("PRIVMSG #lobby :{}", "x".repeat(600));
        assert_eq!(parse(&long, MAX_TAGS), Err(Malformed::TooLong));
        let tags = format!("@{} ", "t".repeat(MAX_TAGS + 1));
        assert_eq!(
            parse(&format!("{tags}{body}"), MAX_TAGS),
            Err(Malformed::TooLong)
        );
    }
}
