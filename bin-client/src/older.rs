//! `/older <room|@user> [count]`: the client's own command, in both the
//! line mode and the full-screen client. It pages a conversation's
//! history back by message id from the oldest line shown
//! ([`Session::older_lines`](chat_client::Session::older_lines)), so no
//! line is missed or shown twice however many share a millisecond.

use chat_core::HistoryTarget;

/// A typed `/older` line, read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Older<'a> {
    /// Whose history.
    pub(crate) of: HistoryTarget<'a>,
    /// How many lines at most (`None`: the server's page).
    pub(crate) count: Option<u64>,
}

/// The usage line shown for a malformed `/older`.
pub(crate) const USAGE: &str = "usage: /older <room|@user> [count]";

/// `None` when `line` is not an `/older` line; `Some(Err(()))` when it is
/// one with wrong arguments (show [`USAGE`]).
pub(crate) fn parse_older(line: &str) -> Option<Result<Older<'_>, ()>> {
    let rest = line.trim().strip_prefix('/')?;
    let (name, args) = rest.split_once(' ').unwrap_or((rest, ""));
    if !name.eq_ignore_ascii_case("older") {
        return None;
    }
    let mut words = args.split_whitespace();
    let (Some(target), count, None) = (words.next(), words.next(), words.next()) else {
        return Some(Err(()));
    };
    let count = match count.map(str::parse::<u64>) {
        None => None,
        Some(Ok(n)) if n > 0 => Some(n),
        Some(_) => return Some(Err(())),
    };
    let target = target.trim_start_matches('#');
    let of = match target.strip_prefix('@') {
        Some(user) => HistoryTarget::Private(user),
        None => HistoryTarget::Room(target),
    };
    Some(Ok(Older { of, count }))
}

/// How a history target is written in the client's own notices
/// (`rust`, `@bob`).
pub(crate) fn target_text(of: HistoryTarget<'_>) -> String {
    match of {
        HistoryTarget::Room(room) => room.trim_start_matches('#').to_owned(),
        HistoryTarget::Private(user) => format!("@{user}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_older_line_names_a_room_or_a_user_and_perhaps_a_count() {
        assert_eq!(
            parse_older("/older #rust 20"),
            Some(Ok(Older {
                of: HistoryTarget::Room("rust"),
                count: Some(20)
            }))
        );
        assert_eq!(
            parse_older("/OLDER @bob"),
            Some(Ok(Older {
                of: HistoryTarget::Private("bob"),
                count: None
            }))
        );
        assert_eq!(parse_older("/older"), Some(Err(())));
        assert_eq!(parse_older("/older rust 0"), Some(Err(())));
        assert_eq!(parse_older("/older rust 5 more"), Some(Err(())));
        assert_eq!(parse_older("/olderx rust"), None);
        assert_eq!(parse_older("older rust"), None);
    }

    #[test]
    fn targets_are_written_as_the_client_shows_them() {
        assert_eq!(target_text(HistoryTarget::Room("#rust")), "rust");
        assert_eq!(target_text(HistoryTarget::Private("bob")), "@bob");
    }
}
