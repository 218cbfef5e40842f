//! What a simulated user makes of a server line, and the checks on what
//! it receives.

use crate::NameKey;

use super::super::client::{Attempt, Identity, Kind, Phase};
use super::super::lines::{self, ServerLine};
use super::World;

impl World {
    /// A client reads one line.
    pub(super) fn read_line(&mut self, i: usize, line: &str) {
        let parsed = lines::parse(line);
        let conn = self.clients[i].conn;
        let ident = self.clients[i].ident;
        match parsed {
            ServerLine::Unknown(l) => self.fail(format!("{conn} got a line outside chat/1: {l}")),
            ServerLine::Welcome { user } => self.welcomed(i, &user, line),
            ServerLine::Ok { what, arg } => match what.as_str() {
                "registered" => {
                    self.clients[i].attempt = Attempt::None;
                    let name = arg.unwrap_or_default();
                    if name != self.idents[ident].name && !self.stray(i, &name) {
                        self.fail(format!("{conn} registered as someone else: {line}"));
                    }
                    let ident = self.clients[i].ident;
                    if !self.idents[ident].stray {
                        self.idents[ident].registered = true;
                    }
                }
                "joined" => {
                    let room = arg.unwrap_or_default().to_ascii_lowercase();
                    self.clients[i].rooms.insert(room);
                    self.clients[i].replays += 1;
                }
                "parted" | "closed" => {
                    let room = arg.unwrap_or_default().to_ascii_lowercase();
                    self.clients[i].rooms.remove(&room);
                }
                "password-changed" => {
                    let id = &mut self.idents[ident];
                    match id.changing.take() {
                        Some(new) => id.password = new,
                        None => self.fail(format!("{conn}: {line} without a change asked")),
                    }
                }
                _ => {}
            },
            ServerLine::Err { code } => {
                // Past its fence it sent nothing but the walk's request:
                // this answers it.
                if self.clients[i]
                    .walk
                    .as_ref()
                    .is_some_and(|w| w.fence.is_none())
                {
                    self.clients[i].walk = None;
                }
                self.refused(i, &code);
            }
            ServerLine::Msg { line: plain, id } => {
                self.line_id(i, "lobby", id, line);
                self.room_line(i, &plain);
            }
            // Held lines may come after the user left the room; live ones
            // only to members.
            ServerLine::RoomMsg { room, id } => {
                self.line_id(i, &room, id, line);
                let c = &self.clients[i];
                if !c.ever_busy && !c.rooms.contains(&room) {
                    self.fail(format!(
                        "{conn} got a line of {room}, which it is not in: {line}"
                    ));
                }
            }
            ServerLine::Hist { room, id } => {
                let tags = self.clients[i].tags;
                let replaying = self.clients[i].replays > 0;
                if let Some(walk) = self.clients[i]
                    .walk
                    .as_mut()
                    .filter(|w| w.room == room && w.fence.is_none() && !replaying)
                {
                    match id {
                        Some(id) => walk.page.push(id),
                        None if tags => self.fail(format!("{conn}: a HIST line without its id")),
                        None => {}
                    }
                }
            }
            // A join's history ends before anything asked after it.
            ServerLine::EndHistory { .. } if self.clients[i].replays > 0 => {
                self.clients[i].replays -= 1;
            }
            ServerLine::EndHistory { next } => self.walk_page(i, next),
            ServerLine::RoomLeave { room, user, reason } => {
                let me = &self.idents[ident].name;
                if user.eq_ignore_ascii_case(me) && reason == "closed" {
                    self.clients[i].rooms.remove(&room);
                }
            }
            ServerLine::Removed { room } => {
                self.clients[i].rooms.remove(&room);
            }
            ServerLine::Ctl { what } => match what.as_str() {
                "busy" => {
                    self.clients[i].busy = true;
                    self.clients[i].ever_busy = true;
                }
                "free" => self.clients[i].busy = false,
                "grant" => self.clients[i].admin = line.ends_with(" 0"),
                _ => {}
            },
            ServerLine::EndHeld { replayed, dropped } => {
                let cap = self.config.limits.max_held_lines as u64;
                if replayed > cap {
                    self.fail(format!("{conn} got {replayed} held lines, more than {cap}"));
                }
                self.clients[i].dropped += dropped;
            }
            ServerLine::Pong { token } => {
                if let Some(walk) = self.clients[i].walk.as_mut() {
                    if token.is_some() && walk.fence == token {
                        walk.fence = None;
                    }
                }
                if token.is_some() && token == self.clients[i].awaiting_password {
                    // Answered in order: no `OK password-changed` came
                    // before the PONG, so the change failed.
                    self.clients[i].awaiting_password = None;
                    self.idents[ident].changing = None;
                }
            }
            ServerLine::Ask { step } => self.asked(i, step),
            ServerLine::Other => {}
        }
    }

    /// A live room line's id: present when the client asked for tags,
    /// and larger than the last of its room.
    fn line_id(&mut self, i: usize, room: &str, id: Option<u64>, line: &str) {
        let c = &mut self.clients[i];
        let conn = c.conn;
        let Some(id) = id else {
            if c.tags {
                self.fail(format!(
                    "{conn} asked for tags but got a line without: {line}"
                ));
            }
            return;
        };
        if !c.tags {
            return self.fail(format!("{conn} got an id it did not ask for: {line}"));
        }
        if let Some(&last) = c.last_ids.get(room).filter(|&&last| last >= id) {
            return self.fail(format!(
                "{conn}: ids of {room} went from {last} to {id}: {line}"
            ));
        }
        c.last_ids.insert(room.to_owned(), id);
    }

    /// The end of a page of history: a walk goes on from the id it names,
    /// or, at the start of the history, is checked against the engine's.
    fn walk_page(&mut self, i: usize, next: Option<u64>) {
        let conn = self.clients[i].conn;
        // Before its fence, an `END history` answers an earlier line.
        let Some(walk) = self.clients[i].walk.as_mut().filter(|w| w.fence.is_none()) else {
            return;
        };
        let page = std::mem::take(&mut walk.page);
        if !page.windows(2).all(|w| w[0] < w[1]) {
            return self.fail(format!("{conn}: a history page out of order: {page:?}"));
        }
        if let (Some(&last), Some(&first)) = (page.last(), walk.ids.first()) {
            if last >= first {
                let room = walk.room.clone();
                return self.fail(format!(
                    "{conn}: a page of {room} ending at {last} after one from {first}"
                ));
            }
        }
        walk.ids.splice(0..0, page);
        if let Some(next) = next {
            let line = format!("/history {} {} before id={next}", walk.room, walk.count);
            return self.clients[i].write(&line);
        }
        let Some(walk) = self.clients[i].walk.take() else {
            return;
        };
        if walk.room != "lobby" && !self.clients[i].rooms.contains(&walk.room) {
            return;
        }
        let Some(kept) = self.engine.history_ids(&walk.room) else {
            return;
        };
        let seen = |id: &u64| walk.ids.binary_search(id).is_ok();
        let newest = walk.ids.last().copied().unwrap_or(0);
        let oldest_kept = kept.first().copied().unwrap_or(u64::MAX);
        if let Some(missed) = kept.iter().find(|&&k| k <= newest && !seen(&k)) {
            return self.fail(format!(
                "{conn}: walking back through {} skipped line {missed}",
                walk.room
            ));
        }
        if let Some(extra) = walk
            .ids
            .iter()
            .find(|&&w| w >= oldest_kept && kept.binary_search(&w).is_err())
        {
            self.fail(format!(
                "{conn}: walking back through {} found line {extra}, which it does not hold",
                walk.room
            ));
        }
    }

    pub(super) fn welcomed(&mut self, i: usize, user: &str, line: &str) {
        let conn = self.clients[i].conn;
        let ident = self.clients[i].ident;
        if self.engine.is_kicked(user)
            || self
                .acked
                .kicked
                .iter()
                .any(|k| k.name.key() == NameKey::of(user))
        {
            self.fail(format!("{conn}: kicked user {user} welcomed"));
        }
        if !user.eq_ignore_ascii_case(&self.idents[ident].name) && !self.stray(i, user) {
            self.fail(format!("{conn} welcomed as {user}, not as itself"));
        }
        let ident = self.clients[i].ident;
        if self.clients[i].phase != Phase::Dialog {
            self.fail(format!("{conn} welcomed twice"));
        }
        let c = &mut self.clients[i];
        c.phase = Phase::Online;
        c.admin = line.ends_with(" 0");
        c.start = self.room.len();
        c.attempt = Attempt::None;
        // A login that worked does not say which password is current now:
        // a change may have landed while its check ran.
        if !self.idents[ident].stray {
            self.idents[ident].registered = true;
        }
    }

    /// An account is durable: if no identity has its name, a garbage
    /// client's bytes registered it and the client may never read
    /// `OK registered` (it vanished, or its connection was cut first), so
    /// the model learns of it from the store, as an account whose
    /// password nobody knows. A registration is durable before it is
    /// acknowledged, never the other way round.
    pub(super) fn learn_account(&mut self, name: &str) {
        if self
            .idents
            .iter()
            .any(|id| id.name.eq_ignore_ascii_case(name))
        {
            return;
        }
        self.trace.line(format!(
            "the store holds {name}, which no client was told of"
        ));
        self.unacked_registrations += 1;
        self.idents.push(Identity {
            name: name.to_owned(),
            password: String::new(),
            maybe: None,
            registered: false,
            changing: None,
            stray: true,
        });
    }

    /// Random bytes can answer the whole dialog: a garbage client that got
    /// an account of another name takes that name on, as an account whose
    /// password nobody knows. Any other client must never.
    fn stray(&mut self, i: usize, name: &str) -> bool {
        if self.clients[i].kind != Kind::Garbage {
            return false;
        }
        let known = self
            .idents
            .iter()
            .position(|id| id.name.eq_ignore_ascii_case(name));
        if known.is_some_and(|at| !self.idents[at].stray) {
            // An account whose password the users know: never by chance.
            return false;
        }
        let at = known.unwrap_or_else(|| {
            self.idents.push(Identity {
                name: name.to_owned(),
                password: String::new(),
                maybe: None,
                registered: false,
                changing: None,
                stray: true,
            });
            self.idents.len() - 1
        });
        self.clients[i].ident = at;
        true
    }

    /// The next dialog answer, if this is the step it answers; any other
    /// step means the attempt went another way: it is given up.
    fn asked(&mut self, i: usize, step: String) {
        let c = &mut self.clients[i];
        match c.answers.pop_front() {
            Some((want, answer)) if want == step => c.write(&answer),
            Some(_) => {
                c.answers.clear();
                c.attempt = Attempt::None;
            }
            None => {}
        }
        c.asked = Some(step);
    }

    pub(super) fn refused(&mut self, i: usize, code: &str) {
        let c = &mut self.clients[i];
        c.answers.clear();
        let conn = c.conn;
        if c.phase != Phase::Dialog {
            return;
        }
        let attempt = std::mem::replace(&mut c.attempt, Attempt::None);
        if code == "rate-limited" {
            c.lost_lines = true;
        }
        if code != "bad-credentials" || c.lost_lines {
            return;
        }
        let Attempt::Login {
            password,
            right: true,
        } = attempt
        else {
            return;
        };
        let id = &mut self.idents[c.ident];
        if password != id.password {
            return;
        }
        if let Some(other) = id.maybe.take() {
            // A crash left it unknown which password is current: try the other.
            id.password = other;
            return;
        }
        if id.changing.is_none() {
            let name = id.name.clone();
            self.fail(format!(
                "{conn}: login of {name} with its acknowledged password refused \
                 (an acknowledged registration or password change was lost)"
            ));
        }
    }

    /// A client received a room line.
    pub(super) fn room_line(&mut self, i: usize, line: &str) {
        let c = &mut self.clients[i];
        let conn = c.conn;
        if c.phase != Phase::Online {
            return self.fail(format!("{conn} got a room line before its welcome: {line}"));
        }
        if !c.reading {
            return;
        }
        if c.busy {
            return self.fail(format!("{conn} is busy but got a room line: {line}"));
        }
        let Some(&at) = self.room_index.get(line) else {
            // Held while nobody was free, so never broadcast: nothing to
            // compare its position with.
            return;
        };
        if at < c.start {
            return self.fail(format!(
                "{conn} got a room line from before its join: {line}"
            ));
        }
        if !c.seen.insert(at) {
            return self.fail(format!("{conn} got a room line twice: {line}"));
        }
        if c.last_seen.is_some_and(|l| l > at) {
            return self.fail(format!("{conn} got a room line out of order: {line}"));
        }
        c.last_seen = Some(at);
        c.received += 1;
    }
}
