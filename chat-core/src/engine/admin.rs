//! Admin commands: grants, the kick list, and the listing of it. Every
//! privilege check is here or in the dispatcher, never in the client.

use crate::reply::{Control, Done, Listing, Reason, Reply};
use crate::{ConnId, Grant, KickEntry, NameKey, StoreChange, UserName};

use super::directory::PendingKind;
use super::listing::page_of;
use super::owed::Owed;
use super::text::refused_text;
use super::{ConnRef, Engine};

impl Engine {
    /// Looks up the account an admin command is about, refusing for an
    /// unknown name or a change already in flight.
    fn target(&mut self, id: ConnId, user: &str) -> Option<(NameKey, UserName, Grant)> {
        let key = NameKey::of(user);
        let Some(record) = self.directory.get(&key) else {
            self.refuse(id, Reason::NoSuchUser { name: user });
            return None;
        };
        let name = record.name.clone();
        let grant = self.directory.grant_of(record);
        if self.directory.pending(&key).is_some() {
            self.refuse(
                id,
                Reason::ChangeInFlight {
                    name: Some(name.as_str()),
                    retry_hint: true,
                },
            );
            return None;
        }
        Some((key, name, grant))
    }

    /// Whether taking `key` out of the able admins would leave none.
    fn is_last_admin(&self, key: &NameKey) -> bool {
        self.directory
            .able_admins_except(key, |k| self.kicks.contains(k))
            == 0
    }

    fn start_change(&mut self, id: ConnId, key: NameKey, kind: PendingKind, change: StoreChange) {
        self.directory.begin(key, kind);
        self.set_waiting(id, true);
        let conn = self.conn_ref(id);
        self.persist(conn, change);
    }

    pub(super) fn change_grant(&mut self, id: ConnId, user: &str, grant: Grant) {
        let Some((key, name, current)) = self.target(id, user) else {
            return;
        };
        if grant == Grant::User && self.directory.is_config_admin(&key) {
            return self.refuse(
                id,
                Reason::ConfigAdmin {
                    name: name.as_str(),
                },
            );
        }
        if current == grant {
            return self.send(id, &Reply::Ok(Done::Grant(name.as_str(), grant)));
        }
        let demote = grant == Grant::User;
        if demote && !self.kicks.contains(&key) && self.is_last_admin(&key) {
            return self.refuse(
                id,
                Reason::LastAdmin {
                    name: name.as_str(),
                },
            );
        }
        let kind = if demote {
            PendingKind::Demote
        } else {
            PendingKind::Other
        };
        self.start_change(id, key, kind, StoreChange::SetGrant { name, grant });
    }

    pub(super) fn on_grant_durable(
        &mut self,
        conn: Option<ConnRef>,
        name: &UserName,
        grant: Grant,
    ) {
        if let Some(c) = conn {
            self.send(c.id, &Reply::Ok(Done::Grant(name.as_str(), grant)));
        }
        let key = name.key();
        let effective = if self.directory.is_config_admin(&key) {
            Grant::Admin
        } else {
            grant
        };
        // The room sees who changed it, online or not (IRC's MODE, which
        // is also the IRC admin's answer; chat/1 shows nothing).
        let by = self.who(conn);
        self.broadcast_lobby(
            None,
            &[Reply::GrantChanged {
                at: self.now,
                user: name.as_str(),
                by: &by,
                grant: effective,
            }],
        );
        let Some(&target) = self.online.get(&key) else {
            return;
        };
        if let Some(session) = self.conns.get_mut(&target).and_then(|c| c.session_mut()) {
            session.grant = effective;
            // The lobby's operators are the admins.
            let lobby = self.rooms.lobby_key().clone();
            if let Some(lobby) = self.rooms.get_mut(&lobby) {
                let mut status = lobby.members.status(target).unwrap_or_default();
                status.operator = effective.is_admin();
                lobby.members.set_status(target, status);
            }
            self.send(target, &Reply::Ctl(Control::Grant(effective)));
        }
    }

    pub(super) fn kick(&mut self, id: ConnId, user: &str, reason: Option<&str>) {
        if reason.is_some_and(refused_text) {
            return self.refuse(id, Reason::UnsafeText { in_reason: true });
        }
        let Some(by) = self
            .conns
            .get(&id)
            .and_then(|c| c.session())
            .map(|s| s.name.clone())
        else {
            return;
        };
        if let Some(guest) = self.online_guest(user) {
            return self.kick_guest(id, guest, &by, reason);
        }
        let Some((key, name, grant)) = self.target(id, user) else {
            return;
        };
        if self.directory.is_config_admin(&key) {
            return self.refuse(
                id,
                Reason::ConfigAdmin {
                    name: name.as_str(),
                },
            );
        }
        if grant.is_admin() && !self.kicks.contains(&key) && self.is_last_admin(&key) {
            return self.refuse(
                id,
                Reason::LastAdmin {
                    name: name.as_str(),
                },
            );
        }
        let entry = KickEntry {
            name,
            by,
            at: self.now,
            reason: reason.map(str::to_owned),
        };
        self.start_change(id, key, PendingKind::Kick, StoreChange::Kick(entry));
    }

    pub(super) fn on_kick_durable(
        &mut self,
        conn: Option<ConnRef>,
        name: &UserName,
        by: &UserName,
        reason: Option<&str>,
    ) {
        if let Some(c) = conn {
            self.send(c.id, &Reply::Ok(Done::Kicked(name.as_str())));
        }
        if let Some(&target) = self.online.get(&name.key()) {
            self.kick_out(target, by.as_str(), reason);
        }
    }

    /// The connection of an online guest named `user`, if there is one.
    fn online_guest(&self, user: &str) -> Option<ConnId> {
        let &conn = self.online.get(&NameKey::of(user))?;
        self.session(conn)?.guest.then_some(conn)
    }

    /// A guest has no account to put on the kick list: it is put out at
    /// once (it may come back, as a guest on public IRC can).
    fn kick_guest(&mut self, id: ConnId, guest: ConnId, by: &UserName, reason: Option<&str>) {
        let Some(name) = self.session(guest).map(|s| s.name.clone()) else {
            return;
        };
        log::info!("guest {name} kicked by {by}");
        self.send(id, &Reply::Ok(Done::Kicked(name.as_str())));
        self.kick_out(guest, by.as_str(), reason);
    }

    pub(super) fn unkick(&mut self, id: ConnId, user: &str) {
        let Some((key, name, _)) = self.target(id, user) else {
            return;
        };
        if !self.kicks.contains(&key) {
            return self.refuse(
                id,
                Reason::NotKicked {
                    name: name.as_str(),
                },
            );
        }
        self.start_change(id, key, PendingKind::Other, StoreChange::Unkick { name });
    }

    pub(super) fn view_kicked(&mut self, id: ConnId, page: u64) {
        let all = self.kicks.sorted();
        let (range, page) = page_of(all.len(), page, self.config.limits.kicked_page_rows);
        let rows = all[range].iter().map(|k| k.name.key()).collect();
        let end = Listing::KickedPage(page);
        self.owe(id, Owed::Kicked { rows, end });
    }
}
