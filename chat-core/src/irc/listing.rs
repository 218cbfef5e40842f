//! The listings a connection asked for and the engine has not answered
//! yet, oldest first: the engine's rows (`USER`, `KICKED`, `ROOM`) are
//! the same whatever they answer, and IRC's numerics differ by what was
//! asked (`NAMES`, `WHO`, `USERHOST`, the ban list, a room's names on
//! joining it).

use std::collections::VecDeque;

use crate::reply::{Listing, Reason, Reply};

/// What a listing of the engine is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum ListKind {
    /// The lobby's names on logging in: topic, names, end.
    JoinNames,
    /// `NAMES`.
    Names,
    /// `WHO <mask>`: `mask` as the client sent it (the end repeats it);
    /// `channel` is the channel listed, or `None` for users matched by
    /// name.
    Who {
        /// The mask as sent.
        mask: String,
        /// The channel whose members are listed.
        channel: Option<String>,
        /// WHOX (`WHO <mask> %<fields>[,<token>]`): `354` rows of those
        /// fields instead of `352`.
        whox: Option<Whox>,
    },
    /// `WHOIS <nick>`, as sent.
    WhoIs(String),
    /// `USERHOST <nick>...`.
    Userhost,
    /// `LIST [#chan,...]`: the channels asked for (folded), or all.
    List(Option<Vec<String>>),
    /// The ban list (`MODE #lobby b`).
    Bans,
    /// Names of a room (on joining it, or `NAMES #room`), as the channel
    /// the client named.
    RoomNames(String),
    /// `OPER`: not a listing, but answered the same way (an admin's grant
    /// for the session, or a refusal).
    Oper,
    /// The history replayed on joining a room (after its names): lines
    /// shown as said, no batch.
    JoinHistory,
    /// `CHATHISTORY <sub> <target> ...`: lines in a `chathistory` batch
    /// when the client reads batches; a refusal is a `FAIL`.
    ChatHistory {
        /// The subcommand, as `FAIL` names it.
        sub: &'static str,
        /// The target as sent (the batch names it).
        target: String,
    },
    /// `CHATHISTORY TARGETS`: rows in a `draft/chathistory-targets` batch
    /// when the client reads batches.
    ChatHistoryTargets,
}

/// The fields a WHOX query asked for (`%tcuihsnfdlaor`), and the token
/// its rows repeat.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Whox {
    /// The field letters asked for, in any order (rows follow the
    /// spec's order, not this one).
    pub(super) fields: String,
    /// The query's token (`t`): up to three digits.
    pub(super) token: Option<String>,
}

impl Whox {
    /// Reads the second parameter of `WHO`: `%<fields>[,<token>]`.
    pub(super) fn parse(param: &str) -> Option<Whox> {
        let spec = param.strip_prefix('%')?;
        let (fields, token) = match spec.split_once(',') {
            Some((fields, token)) => (fields, Some(token)),
            None => (spec, None),
        };
        let token = token
            .filter(|t| !t.is_empty() && t.len() <= 3 && t.bytes().all(|b| b.is_ascii_digit()))
            .map(str::to_owned);
        Some(Whox {
            fields: fields.to_owned(),
            token,
        })
    }

    /// Whether field `c` was asked for.
    pub(super) fn has(&self, c: char) -> bool {
        self.fields.contains(c)
    }
}

/// The listings asked for and not yet answered.
#[derive(Debug, Default)]
pub(super) struct Listings {
    queue: VecDeque<ListKind>,
    /// Whether the last line read asked for one (for
    /// [`Listings::unread`]).
    asked_by_last: bool,
}

impl Listings {
    /// The listing the engine answers next, if any.
    pub(super) fn next(&self) -> Option<&ListKind> {
        self.queue.front()
    }

    /// A new line is read; `asked` is the listing it asks for.
    pub(super) fn line_read(&mut self, asked: Option<ListKind>) {
        self.asked_by_last = asked.is_some();
        self.queue.extend(asked);
    }

    /// The last line was dropped unread: its listing will not come.
    pub(super) fn unread(&mut self) {
        if std::mem::take(&mut self.asked_by_last) {
            self.queue.pop_back();
        }
    }

    /// What a reply the connection is sent means for its listings: a
    /// login and a room joined bring their names, an `END` or a `WHOIS`
    /// answers one, and so does the refusal of what it asked about (no
    /// such room, no such user).
    pub(super) fn follow(&mut self, reply: &Reply<'_>) {
        let answered = match reply {
            Reply::Welcome { .. } => {
                self.queue.push_back(ListKind::JoinNames);
                false
            }
            Reply::Ok(crate::reply::Done::Joined(room)) => {
                self.queue
                    .push_back(ListKind::RoomNames(format!("#{room}")));
                self.queue.push_back(ListKind::JoinHistory);
                false
            }
            Reply::End(Listing::History { .. }) => matches!(
                self.queue.front(),
                Some(ListKind::JoinHistory | ListKind::ChatHistory { .. })
            ),
            Reply::End(
                Listing::Users
                | Listing::UsersPage(_)
                | Listing::Kicked
                | Listing::KickedPage(_)
                | Listing::RoomsPage(_)
                | Listing::Conversations { .. },
            ) => true,
            Reply::WhoIs(_) => true,
            Reply::Ctl(crate::reply::Control::Grant(_)) | Reply::Refused(_)
                if self.queue.front() == Some(&ListKind::Oper) =>
            {
                true
            }
            Reply::Refused(reason) => matches!(
                (reason, self.queue.front()),
                (
                    Reason::NoSuchRoom { .. } | Reason::BadRoomName(_) | Reason::NotInRoom { .. },
                    Some(ListKind::RoomNames(_) | ListKind::Who { .. })
                ) | (
                    Reason::NotOnline { .. } | Reason::NoSuchUser { .. } | Reason::BadName(_),
                    Some(ListKind::WhoIs(_))
                ) | (
                    Reason::NoSuchRoom { .. }
                        | Reason::BadRoomName(_)
                        | Reason::NotInRoom { .. }
                        | Reason::BadName(_),
                    Some(ListKind::ChatHistory { .. })
                )
            ),
            _ => false,
        };
        if answered {
            self.queue.pop_front();
        }
    }
}
