//! Catching up after a re-login: the lines said in the session's
//! conversations (its rooms and the lobby) while it was away, each passed
//! on once, in order, whatever node of a cluster the new connection
//! reached.
//!
//! A join's replay is the room's last lines: it may repeat lines the
//! session has and miss some when more were said meanwhile. So, for every
//! conversation with a known last id, the session drops that replay and
//! pages `/history <room> after id=<last>` instead, holding the room's
//! live lines until the pages are through; the held lines the pages
//! already brought are dropped. Answers to a connection's commands come
//! in order, so the session knows which answers are its own: a `/ping`
//! fence opens each batch it sends, and the answers after its `PONG`
//! are those of the batch, one after another.

use std::collections::{HashMap, VecDeque};

use super::event::Event;
use crate::reply::{Done, HistoryOf, Listing, Reply};
use crate::wire::encode_command;
use crate::{Command, HistoryPoint, HistoryRange, HistoryTarget, MsgId, LOBBY};

/// What to do with a line from the server while catching up.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Pass it on. `mark`: its id is the newest of its conversation so
    /// far if it is newer (false for a history line that is none of the
    /// session's own pages, which may be far ahead of the catch-up).
    Pass {
        /// Whether its id counts as seen.
        mark: bool,
    },
    /// Keep it until its conversation has caught up (a live line).
    Hold(String),
    /// Not for the driver: a line of the session's own asking that it
    /// has already passed on, or will pass on from a page.
    Drop,
}

/// An answer the session waits for, in the order of its commands.
#[derive(Debug)]
enum Expect {
    /// The answer to `/join <room>` (the conversation's key).
    Join(String),
    /// A page of `/history <conversation> after id=<last>`.
    Page(String),
}

/// A conversation being caught up.
#[derive(Debug)]
struct Pending {
    /// Its name as the server spells it (for `/history`).
    name: String,
    /// Its live lines meanwhile, in order.
    held: Vec<Event>,
}

/// The catch-up of a session's conversations after a re-login.
#[derive(Debug, Default)]
pub(super) struct CatchUp {
    /// Conversations being caught up, by key.
    pending: HashMap<String, Pending>,
    /// The `/ping` token opening the batch in flight, until its `PONG`:
    /// answers before it answer earlier commands.
    fence: Option<String>,
    /// The answers of the batch still to come, oldest first.
    expect: VecDeque<Expect>,
    /// Reading a join's answer (between `OK joined` and its
    /// `END history`).
    in_join: bool,
    /// Conversations whose next page goes in the next batch.
    next: Vec<String>,
    /// Batches sent, for fresh fence tokens.
    batches: u64,
    /// Lines of conversations that caught up, to pass on in order (those
    /// a page brought already are the session's to drop).
    released: Vec<Event>,
}

/// The key of a conversation: names fold, a user's is marked so it cannot
/// be taken for a room's.
pub(super) fn conversation_key(of: HistoryTarget<'_>) -> String {
    match of {
        HistoryTarget::Room(room) => room.to_ascii_lowercase(),
        HistoryTarget::Private(user) => format!("@{}", user.to_ascii_lowercase()),
    }
}

impl CatchUp {
    /// Whether any conversation is still being caught up.
    pub(super) fn is_busy(&self) -> bool {
        !self.pending.is_empty()
    }

    /// A new connection: what was under way is asked again from the last
    /// lines passed on.
    pub(super) fn reset(&mut self) {
        *self = CatchUp {
            batches: self.batches,
            ..CatchUp::default()
        };
    }

    /// Logged in again: joins `rooms` again, and catches up on those and
    /// the lobby where `newest` knows the last line passed on. Without
    /// any, the rooms are only joined (their replay is passed on).
    pub(super) fn start(
        &mut self,
        rooms: Vec<String>,
        newest: &HashMap<String, MsgId>,
        out: &mut Vec<u8>,
    ) {
        self.reset();
        let known = |name: &str| newest.contains_key(&name.to_ascii_lowercase());
        if !known(LOBBY) && !rooms.iter().any(|r| known(r)) {
            for room in rooms {
                // Names came from the server as one word: they encode.
                let _ = encode_command(
                    &Command::JoinRoom {
                        room: &room,
                        key: None,
                    },
                    out,
                );
            }
            return;
        }
        self.open_batch(out);
        for room in rooms {
            let key = room.to_ascii_lowercase();
            let _ = encode_command(
                &Command::JoinRoom {
                    room: &room,
                    key: None,
                },
                out,
            );
            self.expect.push_back(Expect::Join(key.clone()));
            if known(&room) {
                self.pending.insert(
                    key,
                    Pending {
                        name: room,
                        held: Vec::new(),
                    },
                );
            }
        }
        if known(LOBBY) {
            self.pending.insert(
                LOBBY.to_owned(),
                Pending {
                    name: LOBBY.to_owned(),
                    held: Vec::new(),
                },
            );
            self.ask_page(LOBBY, newest, out);
        }
    }

    /// Starts a batch: a `/ping` whose `PONG` says the batch's answers
    /// come next.
    fn open_batch(&mut self, out: &mut Vec<u8>) {
        self.batches += 1;
        let token = format!("catch-up-{}", self.batches);
        let _ = encode_command(
            &Command::Ping {
                token: Some(&token),
            },
            out,
        );
        self.fence = Some(token);
    }

    /// Asks for the lines of `key` after the last one passed on.
    fn ask_page(&mut self, key: &str, newest: &HashMap<String, MsgId>, out: &mut Vec<u8>) {
        let (Some(pending), Some(&last)) = (self.pending.get(key), newest.get(key)) else {
            return;
        };
        let cmd = Command::History {
            of: HistoryTarget::Room(&pending.name),
            count: None,
            range: HistoryRange::After(HistoryPoint::Id(last)),
        };
        if encode_command(&cmd, out).is_ok() {
            self.expect.push_back(Expect::Page(key.to_owned()));
        } else {
            self.finish(key);
        }
    }

    /// Keeps a held line.
    pub(super) fn hold(&mut self, key: &str, event: Event) {
        if let Some(pending) = self.pending.get_mut(key) {
            pending.held.push(event);
        }
    }

    /// The lines of conversations that caught up since last asked.
    pub(super) fn take_released(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.released)
    }

    /// `key` has caught up: its held lines go out.
    fn finish(&mut self, key: &str) {
        if let Some(pending) = self.pending.remove(key) {
            self.released.extend(pending.held);
        }
    }

    /// Sorts one line from the server; `newest` is the last id passed on
    /// per conversation. May write the next batch to `out`.
    pub(super) fn sort(
        &mut self,
        line: &Reply<'_>,
        newest: &HashMap<String, MsgId>,
        out: &mut Vec<u8>,
    ) -> Verdict {
        if self.fence.is_none() && self.expect.is_empty() && self.pending.is_empty() {
            return Verdict::Pass { mark: true };
        }
        if let Reply::Pong(Some(token)) = line {
            if self.fence.as_deref() == Some(*token) {
                self.fence = None;
                return Verdict::Drop;
            }
        }
        if let Reply::RoomMsg { room, .. } = line {
            let key = room.to_ascii_lowercase();
            if self.pending.contains_key(&key) {
                return Verdict::Hold(key);
            }
        }
        let verdict = match (&self.fence, self.expect.front()) {
            (None, Some(Expect::Join(key))) => {
                let key = key.clone();
                self.on_join_answer(key, line)
            }
            (None, Some(Expect::Page(key))) => {
                let key = key.clone();
                self.on_page_answer(key, line, newest)
            }
            _ => None,
        };
        let verdict = verdict.unwrap_or_else(|| Verdict::Pass {
            mark: !matches!(line, Reply::Hist { of: HistoryOf::Room(room), .. }
                if self.pending.contains_key(&room.to_ascii_lowercase())),
        });
        if self.fence.is_none() && self.expect.is_empty() && !self.next.is_empty() {
            self.open_batch(out);
            for key in std::mem::take(&mut self.next) {
                self.ask_page(&key, newest, out);
            }
        }
        verdict
    }

    /// A line while the answer to our `/join` is awaited; `None` when it
    /// is not part of it.
    fn on_join_answer(&mut self, key: String, line: &Reply<'_>) -> Option<Verdict> {
        let ours = self.pending.contains_key(&key);
        match line {
            Reply::Ok(Done::Joined(room)) if room.eq_ignore_ascii_case(&key) => {
                self.in_join = true;
                None
            }
            Reply::Hist {
                of: HistoryOf::Room(room),
                ..
            } if self.in_join && room.eq_ignore_ascii_case(&key) => Some(if ours {
                Verdict::Drop
            } else {
                Verdict::Pass { mark: true }
            }),
            Reply::End(Listing::History { .. }) if self.in_join => {
                self.in_join = false;
                self.expect.pop_front();
                if ours {
                    self.next.push(key);
                    Some(Verdict::Drop)
                } else {
                    None
                }
            }
            Reply::Err { .. } if !self.in_join => {
                // Not joined (the room was closed meanwhile): nothing to
                // page; its held lines, if any, go out.
                self.expect.pop_front();
                self.finish(&key);
                None
            }
            _ => None,
        }
    }

    /// A line while a page of ours is awaited; `None` when it is not
    /// part of it.
    fn on_page_answer(
        &mut self,
        key: String,
        line: &Reply<'_>,
        newest: &HashMap<String, MsgId>,
    ) -> Option<Verdict> {
        match line {
            Reply::Hist {
                of: HistoryOf::Room(room),
                id,
                ..
            } if room.eq_ignore_ascii_case(&key) => {
                let seen = match (id, newest.get(&key)) {
                    (Some(id), Some(last)) => id <= last,
                    _ => false,
                };
                Some(if seen {
                    Verdict::Drop
                } else {
                    Verdict::Pass { mark: true }
                })
            }
            Reply::End(Listing::History { next, .. }) => {
                self.expect.pop_front();
                if next.is_some() {
                    self.next.push(key);
                } else {
                    self.finish(&key);
                }
                Some(Verdict::Drop)
            }
            Reply::Err { .. } => {
                self.expect.pop_front();
                self.finish(&key);
                None
            }
            _ => None,
        }
    }
}
