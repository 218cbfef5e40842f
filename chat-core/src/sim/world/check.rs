//! The invariants, checked after every step and after every restart.

use crate::Grant;

use super::super::client::Phase;
use super::World;

impl World {
    /// Every change the engine was told is durable is in the new engine.
    pub(super) fn check_acked_survived(&mut self, in_flight: &[String]) {
        let acked = self.acked.clone();
        for u in &acked.users {
            let name = u.name.as_str();
            match self.engine.grant_of(name) {
                None => {
                    return self.fail(format!(
                        "acknowledged registration of {name} lost in a restart"
                    ))
                }
                Some(g) if !in_flight.iter().any(|n| n == name) => {
                    let want = if self.config.admins.iter().any(|a| a == name) {
                        Grant::Admin
                    } else {
                        u.grant
                    };
                    if g != want {
                        return self.fail(format!(
                            "acknowledged grant {want} of {name} lost in a restart (now {g})"
                        ));
                    }
                    let kicked = acked.kicked.iter().any(|k| k.name == u.name);
                    if self.engine.is_kicked(name) != kicked {
                        return self.fail(format!(
                            "acknowledged kick state ({kicked}) of {name} lost in a restart"
                        ));
                    }
                }
                Some(_) => {}
            }
        }
    }

    // ---- invariants -----------------------------------------------------

    pub(super) fn check(&mut self) {
        let s = self.engine.stats();
        let l = &self.config.limits;
        let open = self
            .clients
            .iter()
            .filter(|c| c.phase != Phase::Closed)
            .count();
        let online: Vec<usize> = (0..self.clients.len())
            .filter(|&i| self.clients[i].phase == Phase::Online)
            .collect();
        let mut problems = Vec::new();
        if s.connections != open {
            problems.push(format!(
                "engine has {} connections, peers {open}",
                s.connections
            ));
        }
        if s.connections > l.max_connections {
            problems.push(format!(
                "{} connections > {}",
                s.connections, l.max_connections
            ));
        }
        if s.online != online.len() || s.in_room != s.online {
            problems.push(format!(
                "engine has {} online, {} in the room; peers see {}",
                s.online,
                s.in_room,
                online.len()
            ));
        }
        if s.users > self.idents.len() || s.kicked > s.users {
            problems.push(format!("{} users, {} kicked", s.users, s.kicked));
        }
        // Three login tables (pairs, accounts, addresses), each capped.
        if s.throttle_entries > 3 * l.throttle_capacity {
            problems.push(format!("throttle holds {} entries", s.throttle_entries));
        }
        // Addresses, plus the overall window.
        if s.registration_entries > l.throttle_capacity + 1 {
            problems.push(format!(
                "registration throttle holds {} entries",
                s.registration_entries
            ));
        }
        if s.password_addresses > s.connections.max(s.work_in_flight) {
            problems.push(format!(
                "{} addresses with password work, {} connections",
                s.password_addresses, s.connections
            ));
        }
        // Creators are accounts, windows as many as the throttle's
        // table holds (and the one for all), empty rooms are rooms.
        if s.room_upkeep_entries > s.users + l.throttle_capacity + 1 + s.rooms {
            problems.push(format!(
                "room limits hold {} entries for {} users and {} rooms",
                s.room_upkeep_entries, s.users, s.rooms
            ));
        }
        if s.carried_busy > s.users {
            problems.push(format!(
                "{} busy users carried for {} accounts",
                s.carried_busy, s.users
            ));
        }
        let waiting = self.jobs.len() + self.persister.in_flight();
        if s.work_in_flight != waiting {
            problems.push(format!(
                "engine waits for {} answers, {waiting} are on their way",
                s.work_in_flight
            ));
        }
        if s.outputs_queued != 0 {
            problems.push(format!("{} outputs left after draining", s.outputs_queued));
        }
        if s.timers > 3 * s.connections + 1100 {
            problems.push(format!(
                "{} timers for {} connections",
                s.timers, s.connections
            ));
        }
        let line_cap = l.max_line_bytes * (l.max_queued_lines + 1);
        for c in self.clients.iter().filter(|c| c.phase != Phase::Closed) {
            let s = self.engine.conn_stats(c.conn).unwrap_or_default();
            let (queued, held, bytes) = (s.queued_lines, s.held_lines, s.buffered_bytes);
            if queued > l.max_queued_lines || held > l.max_held_lines || bytes > line_cap {
                problems.push(format!(
                    "{}: {queued} queued, {held} held, {bytes} bytes buffered",
                    c.conn
                ));
            }
        }
        // No account online twice.
        let mut names: Vec<&str> = online
            .iter()
            .map(|&i| self.idents[self.clients[i].ident].name.as_str())
            .collect();
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            problems.push(format!("{} is online twice", w[0]));
        }
        // The last admin stays.
        let able = self.idents.iter().any(|id| {
            self.engine.grant_of(&id.name) == Some(Grant::Admin) && !self.engine.is_kicked(&id.name)
        });
        if !able {
            problems.push("no admin left who may log in".into());
        }
        // Every free reader got every room line since it joined, but for
        // the ones dropped while it was busy.
        for &i in &online {
            let c = &self.clients[i];
            if !c.reading || c.busy {
                continue;
            }
            let missing = (self.room.len() - c.start) as u64 - c.received as u64;
            if missing > c.dropped {
                problems.push(format!(
                    "{} missed {missing} room lines ({} dropped while busy)",
                    c.conn, c.dropped
                ));
            }
        }
        // The engine agrees with what it was told is durable.
        let in_flight = self.persister.unanswered_subjects();
        for u in &self.acked.users {
            let name = u.name.as_str();
            if in_flight.iter().any(|n| n == name) {
                continue;
            }
            let kicked = self.acked.kicked.iter().any(|k| k.name == u.name);
            if self.engine.grant_of(name).is_none() || self.engine.is_kicked(name) != kicked {
                problems.push(format!("engine disagrees with the store about {name}"));
            }
        }
        if s.users != self.acked.users.len() {
            problems.push(format!(
                "engine has {} users, the store acknowledged {}",
                s.users,
                self.acked.users.len()
            ));
        }
        if let Some(p) = self.engine.room_problem() {
            problems.push(format!("rooms: {p}"));
        }
        if let Some(p) = problems.into_iter().next() {
            self.fail(p);
        }
    }
}
