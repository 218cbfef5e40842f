//! The simulated users act: connect, log in, talk, administer, misbehave.

use std::net::{IpAddr, Ipv4Addr};

use crate::codec::Protocol;
use crate::{CloseCause, ConnId, Input};

use super::super::client::{garbage, Attempt, Client, Kind, Phase, Walk};
use super::World;

impl World {
    /// Someone does something: a new connection, a user's action, or a
    /// fault.
    pub(super) fn act(&mut self) {
        let r = self.rng.below(1000);
        let open = self
            .clients
            .iter()
            .filter(|c| c.phase != Phase::Closed)
            .count();
        if r < 3 {
            self.crash();
        } else if r < 4 {
            self.trace.line("operator: shutdown".into());
            self.handle(Input::Shutdown);
        } else if r < 14 {
            let text = format!("notice #{}", self.tag());
            self.trace.line(format!("operator: announce {text}"));
            self.handle(Input::Announce { text: &text });
        } else if r < 120 || open < 2 {
            self.connect();
        } else {
            let live: Vec<usize> = (0..self.clients.len())
                .filter(|&i| self.clients[i].phase != Phase::Closed)
                .collect();
            if !live.is_empty() {
                let i = live[self.rng.below(live.len())];
                self.client_acts(i);
            }
        }
    }

    pub(super) fn connect(&mut self) {
        let kind = match self.rng.below(100) {
            0..=54 => Kind::Regular,
            55..=74 => Kind::Admin,
            75..=82 => Kind::Garbage,
            83..=90 => Kind::Flooder,
            _ => Kind::Guesser,
        };
        let ident = if kind == Kind::Admin && self.rng.chance(600) {
            0
        } else {
            1 + self.rng.below(self.idents.len() - 1)
        };
        let conn = ConnId(self.next_conn);
        self.next_conn += 1;
        let peer = if self.rng.chance(200) {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1 + self.rng.below(4) as u8))
        };
        self.by_conn.insert(conn, self.clients.len());
        self.clients.push(Client::new(conn, ident, kind));
        self.trace.line(format!(
            "{conn} opens from {peer} as {kind:?} {}",
            self.idents[ident].name
        ));
        self.handle(Input::Opened {
            conn,
            peer,
            protocol: Protocol::Chat1,
        });
        // Half the users read ids; before logging in, as a client would.
        if kind != Kind::Garbage && self.rng.chance(500) {
            let c = &mut self.clients[self.by_conn[&conn]];
            c.tags = true;
            c.write("/tags on");
        }
    }

    pub(super) fn client_acts(&mut self, i: usize) {
        let r = self.rng.below(1000);
        let conn = self.clients[i].conn;
        if r < 15 {
            self.trace.line(format!("{conn} vanishes"));
            self.peer_closed(i, CloseCause::Lost);
            return;
        }
        if r < 25 && self.clients[i].reading {
            self.trace.line(format!("{conn} stops reading"));
            self.clients[i].reading = false;
            return;
        }
        let c = &self.clients[i];
        if c.awaiting_password.is_some() || c.walk.is_some() || !c.outbox.is_empty() {
            // Waits for its answer or for its bytes to go out.
            return;
        }
        match (self.clients[i].phase, self.clients[i].kind) {
            (Phase::Dialog, Kind::Garbage) => {
                let tag = self.tag();
                let bytes = garbage(&mut self.rng, self.config.limits.max_line_bytes, tag);
                self.clients[i].outbox.extend_from_slice(&bytes);
            }
            (Phase::Dialog, Kind::Guesser) => {
                let target = self.rng.below(self.idents.len());
                let name = self.idents[target].name.clone();
                let tag = self.tag();
                self.clients[i].write(&format!("/login {name} guess-{tag}"));
            }
            (Phase::Dialog, _) => self.log_in(i),
            (Phase::Online, _) => self.online_action(i),
            (Phase::Closed, _) => {}
        }
    }

    pub(super) fn log_in(&mut self, i: usize) {
        if self.clients[i].attempt != Attempt::None {
            return;
        }
        let id = &self.idents[self.clients[i].ident];
        let (name, password, registered) = (id.name.clone(), id.password.clone(), id.registered);
        // The dialog only from its first question; the one-line forms work
        // at any step.
        let dialog = self.rng.chance(300) && self.clients[i].asked.as_deref() == Some("account");
        if !registered && self.rng.chance(700) {
            self.clients[i].attempt = Attempt::Register;
            if dialog {
                self.clients[i].write("y");
                self.clients[i].answers = [
                    ("username", name),
                    ("password", password.clone()),
                    ("password-again", password),
                ]
                .into();
            } else {
                self.clients[i].write(&format!("/register {name} {password}"));
            }
            return;
        }
        let right = self.rng.chance(900);
        let password = if right {
            password
        } else {
            format!("wrong-{}", self.tag())
        };
        let right = right && registered;
        if dialog {
            self.clients[i].write("n");
            self.clients[i].answers = [("username", name), ("password", password.clone())].into();
        } else {
            self.clients[i].write(&format!("/login {name} {password}"));
        }
        self.clients[i].attempt = Attempt::Login { password, right };
    }

    pub(super) fn other_name(&mut self) -> String {
        let j = self.rng.below(self.idents.len());
        self.idents[j].name.clone()
    }

    pub(super) fn online_action(&mut self, i: usize) {
        let tag = self.tag();
        let kind = self.clients[i].kind;
        if kind == Kind::Flooder {
            let n = 5 + self.rng.below(30);
            for k in 0..n {
                self.clients[i].write(&format!("flood {k} #{tag}"));
            }
            return;
        }
        let admin = self.clients[i].admin && kind == Kind::Admin;
        let r = self.rng.below(100);
        let line = match r {
            0..=19 => format!("hello #{tag}"),
            20..=39 => self.room_action(i, tag),
            40..=49 => format!("/msg {} psst #{tag}", self.other_name()),
            50..=57 => "/busy".into(),
            58..=65 => "/free".into(),
            66..=68 => "/users".into(),
            69..=70 => "/viewkickusers".into(),
            71..=72 => format!("/ping t{tag}"),
            73..=74 => "/quit".into(),
            75..=77 => return self.change_password(i, tag),
            78..=85 if admin || self.rng.chance(100) => {
                let g = if self.rng.chance(500) { 0 } else { 1 };
                // Sometimes itself, to reach the last-admin rule.
                let who = if self.rng.chance(200) {
                    self.idents[self.clients[i].ident].name.clone()
                } else {
                    self.other_name()
                };
                format!("/changegrant {who} {g}")
            }
            86..=92 if admin || self.rng.chance(100) => {
                if self.rng.chance(500) {
                    format!("/kickuser {} out #{tag}", self.other_name())
                } else {
                    format!("/kickuser {}", self.other_name())
                }
            }
            93..=97 if admin => {
                // Mostly someone on the kick list, so users come back.
                let kicked = &self.acked.kicked;
                let who = if !kicked.is_empty() && self.rng.chance(700) {
                    kicked[self.rng.below(kicked.len())]
                        .name
                        .as_str()
                        .to_owned()
                } else {
                    self.other_name()
                };
                format!("/unkick {who}")
            }
            98..=99 if admin && self.rng.chance(300) => "/restart".into(),
            _ => format!("//slash #{tag}"),
        };
        self.clients[i].write(&line);
    }

    /// A command about rooms, on a few names so users meet in them.
    fn room_action(&mut self, i: usize, tag: u64) -> String {
        // Mostly talk in a room it is in (sorted: the run stays one seed's).
        let mut mine: Vec<&String> = self.clients[i].rooms.iter().collect();
        mine.sort();
        if self.clients[i].tags && self.clients[i].replays == 0 && self.rng.chance(150) {
            // Walk back through the history of the lobby or of a room it
            // is in, a few lines a page.
            let room = if mine.is_empty() || self.rng.chance(400) {
                "lobby".to_owned()
            } else {
                mine[self.rng.below(mine.len())].clone()
            };
            let count = 1 + self.rng.below(6);
            // Fenced by a `PING`: answers to earlier lines come before it.
            let fence = format!("walk{tag}");
            let line = format!("/ping {fence}\n/history {room} {count}");
            self.clients[i].walk = Some(Walk {
                room,
                count,
                fence: Some(fence),
                ..Walk::default()
            });
            return line;
        }
        if !mine.is_empty() && self.rng.chance(600) {
            let room = mine[self.rng.below(mine.len())].clone();
            return format!("/say {room} talk #{tag}");
        }
        let room = ["r0", "R1", "r2", "r3"][self.rng.below(4)];
        match self.rng.below(100) {
            0..=9 => format!("/create {room}"),
            10..=34 => format!("/join {room}"),
            35..=42 => format!("/part {room}"),
            43..=84 => format!("/say {room} talk #{tag}"),
            85..=87 => "/rooms".into(),
            88..=91 => format!("/history {room} {}", 1 + self.rng.below(5)),
            92..=93 => format!("/history @{} 3", self.other_name()),
            94..=96 => format!("/topic {room} about #{tag}"),
            97..=98 => format!("/remove {room} {}", self.other_name()),
            _ => format!("/closeroom {room}"),
        }
    }

    pub(super) fn change_password(&mut self, i: usize, tag: u64) {
        let ident = self.clients[i].ident;
        let id = &self.idents[ident];
        if id.changing.is_some() || id.maybe.is_some() {
            return;
        }
        let right = self.rng.chance(800);
        let old = if right {
            id.password.clone()
        } else {
            format!("not-it-{tag}")
        };
        let new = format!("pass-{}-{tag}", id.name);
        let token = format!("cp{tag}");
        self.clients[i].write(&format!("/changepassword {old} {new}\n/ping {token}"));
        self.clients[i].awaiting_password = Some(token);
        self.idents[ident].changing = Some(new);
    }
}
