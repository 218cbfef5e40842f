//! The users of the other nodes: where each is (an index kept from their
//! online lists as they come and go, so a private message, a busy check
//! or a `WHOIS` is a lookup, not a walk over every node's list), and how
//! listings and `WHOIS` show them.

use std::sync::Arc;

use crate::cluster::{NodeId, PresentProfile, PresentUser};
use crate::reply::{MemberStatus, Presence, Profile, Reply, WhoIs};
use crate::{Grant, Millis, NameKey, RoomKey, UserName};

use super::super::connection::Identity;
use super::super::seeded::{map, Map};
use super::super::Engine;
use super::Peer;

/// Where the users of the other node runs are in their online lists.
#[derive(Debug)]
pub(crate) struct RemoteIndex {
    /// By name: the runs listing the user and its place in their lists
    /// (one, or two for a moment while a login on one node takes over a
    /// session on another).
    places: Map<NameKey, Vec<(NodeId, usize)>>,
}

impl RemoteIndex {
    pub(super) fn new(seed: u64) -> RemoteIndex {
        RemoteIndex { places: map(seed) }
    }

    /// `run` lists `users` now (it listed `old` before).
    pub(super) fn relist(&mut self, run: &NodeId, old: &[PresentUser], users: &[PresentUser]) {
        self.unlist(run, old);
        for (i, u) in users.iter().enumerate() {
            self.places
                .entry(u.name.key())
                .or_default()
                .push((run.clone(), i));
        }
    }

    /// `run`, which listed `old`, is gone.
    pub(super) fn unlist(&mut self, run: &NodeId, old: &[PresentUser]) {
        for u in old {
            let key = u.name.key();
            if let Some(at) = self.places.get_mut(&key) {
                at.retain(|(r, _)| r != run);
                if at.is_empty() {
                    self.places.remove(&key);
                }
            }
        }
    }

    /// Where a user is listed.
    fn places(&self, key: &NameKey) -> &[(NodeId, usize)] {
        self.places.get(key).map_or(&[], Vec::as_slice)
    }
}

/// A user of another node as a listing shows it.
#[derive(Clone, Debug)]
pub(in crate::engine) struct RemoteRow {
    pub(in crate::engine) name: UserName,
    pub(in crate::engine) grant: Grant,
    pub(in crate::engine) presence: Presence,
    pub(in crate::engine) guest: bool,
    /// What IRC shows beside the name (`USER`), if its node said.
    pub(in crate::engine) identity: Option<Arc<Identity>>,
    /// The away message while busy, if one was given.
    pub(in crate::engine) away: Option<Arc<str>>,
}

impl RemoteRow {
    fn of(u: &PresentUser, profile: Option<&PresentProfile>) -> RemoteRow {
        let identity = profile
            .filter(|p| p.user_name.is_some() || p.real_name.is_some())
            .map(|p| {
                Arc::new(Identity {
                    user_name: p.user_name.as_deref().map(Box::from),
                    real_name: p.real_name.as_deref().map(Box::from),
                })
            });
        RemoteRow {
            name: u.name.clone(),
            grant: u.grant,
            presence: if u.busy {
                Presence::Busy
            } else {
                Presence::Free
            },
            guest: u.guest,
            identity,
            away: u.away.as_deref().filter(|_| u.busy).map(Arc::from),
        }
    }
}

impl Peer {
    /// Its `i`th user, with the profile its list gave.
    fn user(&self, i: usize) -> Option<(&PresentUser, Option<&PresentProfile>)> {
        Some((self.users.get(i)?, self.profiles.get(i)))
    }
}

impl Engine {
    /// Where a user of another node is listed: its entry and profile, for
    /// each run listing it.
    fn remote_entries<'a>(
        &'a self,
        key: &NameKey,
    ) -> impl Iterator<Item = (&'a PresentUser, Option<&'a PresentProfile>)> + 'a {
        let node = self.cluster.as_deref();
        let places = node.map_or(&[][..], |n| n.remote.places(key));
        places
            .iter()
            .filter_map(move |(run, i)| node?.peers.get(run)?.user(*i))
    }

    /// The name of a user online on any node: in the lobby as its log says
    /// (in the same order as the user's lines, so a user who just logged
    /// in elsewhere is known), else in another node's online list (a
    /// member whose join the log no longer keeps).
    pub(in crate::engine) fn online_anywhere(&self, key: &NameKey) -> Option<UserName> {
        if let Some(s) = self.online.get(key).and_then(|c| self.session(*c)) {
            return Some(s.name.clone());
        }
        let node = self.cluster.as_deref()?;
        let lobby = self.rooms.lobby_key();
        if let Some(m) = node.members.get(lobby).and_then(|m| m.get(key)) {
            return Some(m.name.clone());
        }
        self.remote_entries(key).next().map(|(u, _)| u.name.clone())
    }

    /// Whether a user is busy, on whichever node they are, and their
    /// away message if they gave one.
    pub(in crate::engine) fn busy_anywhere(&self, name: &UserName) -> Option<Option<String>> {
        let key = name.key();
        if let Some(&c) = self.online.get(&key) {
            let away = self
                .session(c)
                .and_then(|s| s.away.as_deref().map(str::to_owned));
            return (self.presence_of(c) == Presence::Busy).then_some(away);
        }
        self.remote_entries(&key)
            .find(|(u, _)| u.busy)
            .map(|(u, _)| u.away.clone())
    }

    /// A user of another node (none online here), as a listing shows it.
    pub(in crate::engine) fn remote_user(&self, key: &NameKey) -> Option<RemoteRow> {
        if self.online.contains_key(key) {
            return None;
        }
        let (u, p) = self.remote_entries(key).next()?;
        Some(RemoteRow::of(u, p))
    }

    /// The users of other nodes (none online here) whose folded names
    /// `hit` matches (IRC's `WHO <mask>`), but for the invisible (user
    /// mode `+i`) who share no room but the lobby with the asker, in
    /// `mine`.
    pub(in crate::engine) fn remote_matches(
        &self,
        hit: impl Fn(&NameKey) -> bool,
        mine: &[RoomKey],
    ) -> Vec<RemoteRow> {
        let Some(node) = self.cluster.as_deref() else {
            return Vec::new();
        };
        let seen = |(u, p): &(&PresentUser, Option<&PresentProfile>)| {
            !p.is_some_and(|p| p.invisible) || u.rooms.iter().any(|r| mine.contains(r))
        };
        let mut rows: Vec<RemoteRow> = node
            .remote
            .places
            .keys()
            .filter(|k| hit(k) && !self.online.contains_key(*k))
            .filter_map(|k| self.remote_entries(k).find(seen))
            .map(|(u, p)| RemoteRow::of(u, p))
            .collect();
        rows.sort_by(|a, b| a.name.as_str().cmp(b.name.as_str()));
        rows
    }

    /// The users of the other nodes (in `room`, or all), as listings show
    /// them.
    pub(in crate::engine) fn remote_rows(&self, room: Option<&RoomKey>) -> Vec<RemoteRow> {
        let Some(node) = self.cluster.as_deref() else {
            return Vec::new();
        };
        let me = node.me();
        let in_room = |u: &PresentUser, run: &NodeId| {
            room.is_none_or(|r| {
                node.members
                    .get(r)
                    .and_then(|m| m.get(&u.name.key()))
                    .is_some_and(|m| m.node == *run)
            })
        };
        let mut rows: Vec<RemoteRow> = node
            .peers
            .iter()
            .filter(|(run, _)| *run != me)
            .flat_map(|(run, p)| {
                (0..p.users.len())
                    .filter_map(|i| p.user(i))
                    .filter(move |(u, _)| in_room(u, run))
            })
            .filter(|(u, _)| !self.online.contains_key(&u.name.key()))
            .map(|(u, p)| RemoteRow::of(u, p))
            .collect();
        rows.sort_by(|a, b| a.name.as_str().cmp(b.name.as_str()));
        rows.dedup_by(|a, b| a.name == b.name);
        rows
    }

    /// IRC's `WHOIS` of a user of another node: `None` when no node lists
    /// them.
    pub(in crate::engine) fn remote_whois(&self, key: &NameKey) -> Option<RemoteWhoIs> {
        let (u, p) = self.remote_entries(key).next()?;
        let mut rooms: Vec<String> = u
            .rooms
            .iter()
            .filter_map(|r| Some(self.rooms.get(r)?.name().to_owned()))
            .collect();
        rooms.sort();
        Some(RemoteWhoIs {
            row: RemoteRow::of(u, p),
            rooms,
            since: p.map_or(Millis(0), |p| p.since),
        })
    }
}

/// What `WHOIS` shows of a user of another node.
pub(in crate::engine) struct RemoteWhoIs {
    row: RemoteRow,
    rooms: Vec<String>,
    since: Millis,
}

impl RemoteWhoIs {
    /// The reply: no idle time (nodes do not publish it) and no standing
    /// in its rooms.
    pub(in crate::engine) fn reply(&self) -> Reply<'_> {
        Reply::WhoIs(Box::new(WhoIs {
            name: self.row.name.as_str(),
            grant: self.row.grant,
            presence: self.row.presence,
            profile: Profile {
                identity: Identity::shown(self.row.identity.as_deref(), self.row.guest),
                away: self.row.away.as_deref(),
                status: MemberStatus::default(),
                idle_secs: None,
            },
            rooms: self
                .rooms
                .iter()
                .map(|r| (r.as_str(), MemberStatus::default()))
                .collect(),
            since: self.since,
            idle_secs: None,
        }))
    }
}
