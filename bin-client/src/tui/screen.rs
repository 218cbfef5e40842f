//! The server's lines and the user's sends turned into what the screen
//! shows: no terminal here, so it is tested through ratatui's TestBackend.

use std::collections::VecDeque;

use chrono::{Local, TimeZone};

use chat_core::reply::{Control, Done, Listing};
use chat_core::wire::{ServerLine, Word};
use chat_core::Command;

use super::view::{clock, Ask, Entry, Kind, View};
use crate::render::{empty_listing, render};

/// The most private messages waiting for the server's `OK sent`.
const MAX_PENDING_PMS: usize = 64;

/// The view plus what is needed to read the next lines.
#[derive(Debug, Default)]
pub(crate) struct Screen {
    pub(crate) view: View,
    /// Private messages sent and not yet confirmed: (to, text).
    pending_pms: VecDeque<(String, String)>,
    /// The `/viewusers` the client sent by itself to fill the status bar:
    /// its rows are not shown.
    pub(crate) quiet_users: bool,
    listing_rows: u64,
    /// The conversation of the last history line shown, as `/older`
    /// takes it (`den`, `@bob`): where `/older` alone pages back.
    pub(crate) history_of: Option<String>,
}

impl Screen {
    /// A screen for `server`.
    pub(crate) fn new(server: &str) -> Screen {
        let mut s = Screen::default();
        s.view.server = server.to_owned();
        s.view.link = "connecting".to_owned();
        s
    }

    /// The user sent `line` (not an answer to an ASK).
    pub(crate) fn sent(&mut self, line: &str) {
        if let Ok(Command::MessageTo { to, text }) = chat_core::wire::parse(line) {
            if self.pending_pms.len() == MAX_PENDING_PMS {
                self.pending_pms.pop_front();
            }
            self.pending_pms.push_back((to.to_owned(), text.to_owned()));
        }
    }

    /// One line from the server, in the local time zone.
    pub(crate) fn on_line(&mut self, raw: &str) {
        self.on_line_in(raw, &Local);
    }

    /// One line from the server, with times in `tz`.
    pub(crate) fn on_line_in<Tz: TimeZone>(&mut self, raw: &str, tz: &Tz)
    where
        Tz::Offset: std::fmt::Display,
    {
        let Ok(line) = ServerLine::parse(raw) else {
            return self.view.notice(Kind::Notice, raw);
        };
        let at = |ms: chat_core::Millis| Some(clock(ms.0, tz));
        let v = &mut self.view;
        match line {
            ServerLine::Hello { server, .. } => {
                v.notice(Kind::Notice, format!("Connected to {server}."))
            }
            ServerLine::Ask { step, prompt } => {
                v.ask = Some(Ask {
                    prompt: prompt.to_owned(),
                    secret: step.known().is_some_and(|s| s.is_password()),
                });
            }
            ServerLine::Welcome { user, grant } => {
                v.ask = None;
                v.user = Some(user.to_owned());
                v.grant = Some(grant);
                v.link = "connected".to_owned();
                v.notice(Kind::Notice, render(raw, tz).unwrap_or_default());
            }
            ServerLine::Err { .. } => {
                // In the room an error ends a /changepassword dialog; while
                // logging in the question stands until the server asks again.
                if v.user.is_some() {
                    v.ask = None;
                }
                let text = render(raw, tz).unwrap_or_default();
                v.notice(Kind::Error, text.trim_start_matches("error "));
            }
            // Asked for by the client itself on every connection.
            ServerLine::Ok(Word::Known(Done::Tags(_))) => {}
            ServerLine::Ok(Word::Known(Done::Sent { to, .. })) => {
                let found = self
                    .pending_pms
                    .iter()
                    .position(|(t, _)| t.eq_ignore_ascii_case(to));
                match found.and_then(|i| self.pending_pms.remove(i)) {
                    Some((_, text)) => v.push(Entry {
                        stamp: Some(Local::now().format("%H:%M").to_string()),
                        kind: Kind::PrivateOut,
                        who: Some(to.to_owned()),
                        text,
                    }),
                    None => v.notice(Kind::Notice, format!("(sent to {to})")),
                }
            }
            ServerLine::Msg { at: t, from, text } => v.push(Entry {
                stamp: at(t),
                kind: Kind::Room,
                who: Some(from.to_owned()),
                text: text.to_owned(),
            }),
            ServerLine::Pm { at: t, from, text } => v.push(Entry {
                stamp: at(t),
                kind: Kind::PrivateIn,
                who: Some(from.to_owned()),
                text: text.to_owned(),
            }),
            // Lines of other rooms: said in the pane like the lobby's, with
            // their room in front, at the time they were said (not twice).
            ServerLine::RoomMsg {
                room,
                at: t,
                from,
                text,
            } => v.push(Entry {
                stamp: at(t),
                kind: Kind::Room,
                who: Some(from.to_owned()),
                text: format!("[#{room}] {text}"),
            }),
            ServerLine::Hist {
                of,
                at: t,
                from,
                text,
            } => {
                let (place, of) = match of {
                    chat_core::reply::HistoryOf::Room(room) => {
                        (format!("#{room}"), room.to_owned())
                    }
                    chat_core::reply::HistoryOf::Private(with) => {
                        (format!("@{with}"), format!("@{with}"))
                    }
                };
                self.history_of = Some(of);
                v.push(Entry {
                    stamp: at(t),
                    kind: Kind::Room,
                    who: Some(from.to_owned()),
                    text: format!("[{place}] (history) {text}"),
                })
            }
            ServerLine::RoomJoin { room, at: t, user } => v.push(Entry {
                stamp: at(t),
                kind: Kind::Presence,
                who: None,
                text: format!("{user} joined #{room}"),
            }),
            ServerLine::RoomLeave {
                room,
                at: t,
                user,
                reason,
            } => v.push(Entry {
                stamp: at(t),
                kind: Kind::Presence,
                who: None,
                text: format!("{user} left #{room} ({})", reason.as_str()),
            }),
            ServerLine::Join { at: t, user } => {
                v.online.insert(user.to_owned());
                v.online_total = None;
                v.push(Entry {
                    stamp: at(t),
                    kind: Kind::Presence,
                    who: None,
                    text: format!("{user} joined"),
                });
            }
            ServerLine::Leave {
                at: t,
                user,
                reason,
            } => {
                v.online.remove(user);
                v.online_total = None;
                v.push(Entry {
                    stamp: at(t),
                    kind: Kind::Presence,
                    who: None,
                    text: format!("{user} left ({})", reason.as_str()),
                });
            }
            ServerLine::User {
                name,
                grant,
                presence,
            } => {
                v.online.insert(name.to_owned());
                self.listing_rows += 1;
                if !self.quiet_users {
                    let role = if grant == chat_core::Grant::Admin {
                        "admin"
                    } else {
                        "user"
                    };
                    v.push(Entry {
                        stamp: None,
                        kind: Kind::Listing,
                        who: None,
                        text: format!("{name:<20} {role:<6} {}", presence.as_str()),
                    });
                }
            }
            ServerLine::Kicked {
                name,
                by,
                at: t,
                reason,
            } => {
                self.listing_rows += 1;
                let when = clock(t.0, tz);
                v.push(Entry {
                    stamp: None,
                    kind: Kind::Listing,
                    who: None,
                    text: format!("{name:<20} by {by:<20} at {when}  {}", reason.unwrap_or("")),
                });
            }
            ServerLine::End(Word::Known(list)) => self.on_end(list, raw, tz),
            ServerLine::Ctl(Word::Known(ctl)) => {
                match ctl {
                    Control::Busy => v.busy = true,
                    Control::Free => v.busy = false,
                    Control::Grant(g) => v.grant = Some(g),
                    _ => {}
                }
                v.notice(Kind::Notice, render(raw, tz).unwrap_or_default());
            }
            _ => {
                if let Some(text) = render(raw, tz) {
                    v.notice(Kind::Notice, text.trim_start_matches("-- "));
                }
            }
        }
    }

    fn on_end<Tz: TimeZone>(&mut self, list: Listing, raw: &str, tz: &Tz)
    where
        Tz::Offset: std::fmt::Display,
    {
        let rows = std::mem::take(&mut self.listing_rows);
        let v = &mut self.view;
        let users = matches!(list, Listing::Users | Listing::UsersPage(_));
        if users {
            v.online_total = match list {
                Listing::UsersPage(p) if p.total as usize > v.online.len() => Some(p.total),
                _ => None,
            };
            if std::mem::take(&mut self.quiet_users) {
                return;
            }
        }
        if let Some(text) = empty_listing(list, rows) {
            return v.notice(Kind::Notice, text.trim_start_matches("-- "));
        }
        match list {
            Listing::History {
                shown,
                next: Some(_),
            } => {
                let of = self.history_of.as_deref().unwrap_or("<room|@user>");
                v.notice(
                    Kind::Notice,
                    format!("{shown} earlier lines; older ones: /older {of}"),
                );
            }
            Listing::Users => v.notice(Kind::Notice, format!("{rows} online")),
            Listing::UsersPage(p) => v.notice(Kind::Notice, page_text(p, "online")),
            Listing::Kicked => v.notice(Kind::Notice, format!("{rows} on the kick list")),
            Listing::KickedPage(p) => v.notice(Kind::Notice, page_text(p, "on the kick list")),
            _ => {
                if let Some(text) = render(raw, tz) {
                    v.notice(Kind::Notice, text.trim_start_matches("-- "));
                }
            }
        }
    }
}

fn page_text(p: chat_core::reply::Page, what: &str) -> String {
    match p.next {
        Some(next) => format!("{} of {} {what}; page {next} has more", p.shown, p.total),
        None => format!("{} {what}", p.total),
    }
}
