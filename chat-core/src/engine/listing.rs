//! Listings of users, a page at a time: `/viewusers`, a room's members,
//! IRC's `WHOIS` and `WHO <mask>`.

use std::ops::Range;

use crate::reply::{Listing, MemberStatus, Page, Presence, Profile, Reason, Reply};
use crate::{ConnId, NameKey, RoomKey};

use super::cluster::RemoteRow;
use super::connection::Sender;
use super::owed::{Member, Owed};
use super::Engine;

impl Engine {
    pub(super) fn view_users(&mut self, id: ConnId, page: u64) {
        let online: Vec<ConnId> = self.online.values().copied().collect();
        let remote = self.remote_rows(None);
        self.list_members_with(id, &online, &remote, page, Listed::Lobby);
    }

    /// A page of `members` (the lobby's, a room's, or users found), as
    /// `/viewusers` lists them, with each one's standing in the room:
    /// owed, and sent as the connection drains.
    pub(super) fn list_members(
        &mut self,
        id: ConnId,
        members: &[ConnId],
        page: u64,
        listed: Listed<'_>,
    ) {
        self.list_members_with(id, members, &[], page, listed);
    }

    /// [`list_members`](Engine::list_members) and, at a node of a
    /// cluster, the `remote` users of the other nodes.
    pub(super) fn list_members_with(
        &mut self,
        id: ConnId,
        members: &[ConnId],
        remote: &[RemoteRow],
        page: u64,
        listed: Listed<'_>,
    ) {
        let room = match listed {
            Listed::Room(key) => Some(key),
            Listed::Lobby => Some(self.rooms.lobby_key()),
            Listed::Users => None,
        };
        let mut rows: Vec<(&str, Member)> = members
            .iter()
            .filter_map(|&c| {
                Some((
                    self.conns.get(&c)?.session()?.name.as_str(),
                    Member::Local(c),
                ))
            })
            .chain(
                remote
                    .iter()
                    .map(|row| (row.name.as_str(), Member::Remote(Box::new(row.clone())))),
            )
            .collect();
        // Compared in place: a lowercased copy as the key would allocate
        // O(n log n) strings per listing, and IRC lists the room on every
        // join (a login storm into a 1,000-member room).
        rows.sort_unstable_by(|a, b| {
            let (a, b) = (a.0.bytes(), b.0.bytes());
            a.map(|c| c.to_ascii_lowercase())
                .cmp(b.map(|c| c.to_ascii_lowercase()))
        });
        let header = match listed {
            Listed::Room(key) => self.rooms.get(key).map(|c| c.name().to_owned()),
            _ => None,
        };
        let room = room.cloned();
        let (range, page) = page_of(rows.len(), page, self.config.limits.users_page_rows);
        let rows = rows.drain(range).map(|(_, m)| m).collect();
        let end = Listing::UsersPage(page);
        self.owe(
            id,
            Owed::Members {
                header,
                room,
                rows,
                end,
            },
        );
    }

    /// IRC's `WHOIS`: who a user online is, and the rooms of theirs the
    /// asker may see (those the asker is in too, and the others today:
    /// every room is public).
    pub(super) fn whois(&mut self, id: ConnId, name: &str) {
        let Some(&target) = self.online.get(&NameKey::of(name)) else {
            // At a node of a cluster: a user of another node.
            let Some(remote) = self.remote_whois(&NameKey::of(name)) else {
                return self.refuse(id, Reason::NotOnline { name });
            };
            let reply = remote.reply();
            return Self::send_to(
                &mut self.conns,
                &mut self.out,
                id,
                std::slice::from_ref(&reply),
            );
        };
        let Some(session) = self.session(target) else {
            return;
        };
        let mut rooms: Vec<(String, MemberStatus)> = session
            .rooms
            .iter()
            .filter(|key| id == target || self.sees_room(id, key))
            .filter_map(|key| {
                let channel = self.rooms.get(key)?;
                Some((channel.name().to_owned(), channel.members.status(target)?))
            })
            .collect();
        rooms.sort_by(|a, b| a.0.cmp(&b.0));
        let sender = session.sender();
        let (grant, away, since) = (session.grant, session.away.clone(), session.since);
        let idle = self.now.0.saturating_sub(session.last_active.0) / 1000;
        let whois = crate::reply::WhoIs {
            name: sender.name.as_str(),
            grant,
            presence: self.presence_of(target),
            profile: Profile {
                identity: sender.identity(),
                away: away.as_deref(),
                status: MemberStatus::default(),
                idle_secs: Some(idle),
            },
            rooms: rooms.iter().map(|(r, s)| (r.as_str(), *s)).collect(),
            since,
            idle_secs: Some(idle),
        };
        let reply = Reply::WhoIs(Box::new(whois));
        Self::send_to(
            &mut self.conns,
            &mut self.out,
            id,
            std::slice::from_ref(&reply),
        );
    }

    /// The users online whose names match any of `masks` (IRC's `WHO
    /// <mask>`, `USERHOST`): a name without wildcards is looked up, a mask
    /// matched against everyone online but the invisible (user mode `+i`)
    /// who share no room with the asker besides the lobby; one page at
    /// most.
    pub(super) fn find_users(&mut self, id: ConnId, masks: &str) {
        let mut found: Vec<ConnId> = Vec::new();
        let mut remote: Vec<RemoteRow> = Vec::new();
        let mine: &[crate::RoomKey] = self.session(id).map_or(&[], |s| &s.rooms);
        let seen = |c: ConnId| {
            c == id
                || self
                    .session(c)
                    .is_none_or(|s| !s.invisible || s.rooms.iter().any(|r| mine.contains(r)))
        };
        for mask in masks.split([' ', ',']).filter(|m| !m.is_empty()) {
            if mask.contains(['*', '?']) {
                let pattern = mask.to_ascii_lowercase();
                let hit = |key: &NameKey| glob_matches(pattern.as_bytes(), key.as_str().as_bytes());
                found.extend(
                    self.online
                        .iter()
                        .filter_map(|(key, &c)| (hit(key) && seen(c)).then_some(c)),
                );
                remote.extend(self.remote_matches(hit, mine));
            } else if let Some(&c) = self.online.get(&NameKey::of(mask)) {
                found.push(c);
            } else {
                remote.extend(self.remote_user(&NameKey::of(mask)));
            }
        }
        found.sort_unstable();
        found.dedup();
        remote.sort_by(|a, b| a.name.as_str().cmp(b.name.as_str()));
        remote.dedup_by(|a, b| a.name == b.name);
        self.list_members_with(id, &found, &remote, 1, Listed::Users);
    }
}

/// What a listing of users is of: the standing shown is the room's.
#[derive(Clone, Copy, Debug)]
pub(super) enum Listed<'a> {
    /// The lobby (everyone online): its operators are the admins.
    Lobby,
    /// A room's members.
    Room(&'a crate::RoomKey),
    /// Users found by name: no room, no standing.
    Users,
}

/// A row of a listing of users, with shared parts only.
pub(super) struct MemberRow {
    sender: Sender,
    grant: crate::Grant,
    presence: Presence,
    away: Option<std::sync::Arc<str>>,
    status: MemberStatus,
    idle_secs: Option<u64>,
}

impl Engine {
    /// The row of a connection of this server as it is now, with its
    /// standing in `room` (none without a room).
    pub(super) fn member_row(&self, c: ConnId, room: Option<&RoomKey>) -> Option<MemberRow> {
        let s = self.conns.get(&c)?.session()?;
        let status = room
            .and_then(|k| self.rooms.get(k))
            .and_then(|r| r.members.status(c))
            .unwrap_or_default();
        Some(MemberRow {
            sender: s.sender(),
            grant: s.grant,
            presence: self.presence_of(c),
            away: s.away.clone(),
            status,
            idle_secs: Some(self.now.0.saturating_sub(s.last_active.0) / 1000),
        })
    }
}

impl MemberRow {
    /// The row of a user of another node of a cluster, as a listing found
    /// it: what its node's online list says (no idle time, no standing).
    pub(super) fn remote(row: RemoteRow) -> Self {
        MemberRow {
            sender: Sender {
                name: row.name,
                identity: row.identity,
                guest: row.guest,
            },
            grant: row.grant,
            presence: row.presence,
            away: row.away,
            status: MemberStatus::default(),
            idle_secs: None,
        }
    }

    /// The listing line of a row: a guest's says so.
    pub(super) fn reply(&self) -> Reply<'_> {
        let profile = Profile {
            identity: self.sender.identity(),
            away: self.away.as_deref(),
            status: self.status,
            idle_secs: self.idle_secs,
        };
        let name = self.sender.name.as_str();
        if self.sender.guest {
            Reply::GuestUser {
                name,
                grant: self.grant,
                presence: self.presence,
                profile,
            }
        } else {
            Reply::User {
                name,
                grant: self.grant,
                presence: self.presence.into(),
                profile,
            }
        }
    }
}

/// Whether `name` matches `pattern` (both folded to lower case): `*` any
/// run of bytes, `?` any one. Linear in their lengths with backtracking
/// to the last `*` only, so no mask buys more than one pass per star.
fn glob_matches(pattern: &[u8], name: &[u8]) -> bool {
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, n));
                p += 1;
            }
            Some(&c) if c == b'?' || c == name[n].to_ascii_lowercase() => {
                p += 1;
                n += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    p = sp + 1;
                    n = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// The rows of page `page` (from 1) of `total` rows, `per_page` a page,
/// and the counts of its `END` line. A page past the end is empty.
pub(super) fn page_of(total: usize, page: u64, per_page: usize) -> (Range<usize>, Page) {
    let per_page = per_page.max(1);
    let skip = usize::try_from(page.saturating_sub(1))
        .unwrap_or(usize::MAX)
        .saturating_mul(per_page);
    let start = skip.min(total);
    let end = start.saturating_add(per_page).min(total);
    let info = Page {
        shown: (end - start) as u64,
        total: total as u64,
        next: (end < total).then_some(page + 1),
    };
    (start..end, info)
}

#[cfg(test)]
mod tests {
    use super::glob_matches;

    #[test]
    fn masks_match_names_folded() {
        for (mask, name, m) in [
            ("coolni*", "coolnick", true),
            ("*", "anyone", true),
            ("c?ol*k", "coolnick", true),
            ("*nick", "coolnick", true),
            ("*x*", "coolnick", false),
            ("cool", "coolnick", false),
            ("a*b*c", "aXXbYYc", true),
            ("a*b*c", "aXXbYY", false),
        ] {
            assert_eq!(
                glob_matches(mask.as_bytes(), name.as_bytes()),
                m,
                "{mask} {name}"
            );
        }
    }
}
