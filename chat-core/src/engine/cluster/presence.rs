//! Who is online on the other nodes, heartbeats and gone nodes, one
//! session per account across the cluster, and losing the broker.
//!
//! Each node publishes its online list when it changes (at most every
//! `presence_every_ms`) and a heartbeat every `heartbeat_ms`. A node run
//! not heard for `node_timeout_ms`, or replaced by a newer run of the same
//! name, is gone: every node appends its users' leaves (`lost`) to every
//! room they were in, each under a message id that names the fact, so
//! the broker keeps one copy whoever notices first.

use crate::cluster::{
    ClusterOutput, Left, Log, NodeId, NodePresence, PresentUser, RoomEvent, SessionOwner,
};
use crate::reply::{Control, LeaveReason, Presence, Reason, Reply};
use crate::{Grant, Millis, NameKey, Output, RoomKey, UserName};

use super::super::io::CloseReason;
use super::super::Engine;
use super::{Claim, Node};

/// Another node run, as heard.
#[derive(Debug)]
pub(crate) struct Peer {
    /// Its users, as its last online list said.
    pub(super) users: Vec<PresentUser>,
    /// When it was last heard (this node's time).
    pub(super) heard: Millis,
}

impl Engine {
    pub(super) fn on_broker(&mut self, up: bool) {
        let now = self.now;
        let Some(node) = self.cluster.as_deref_mut() else {
            return;
        };
        if up == node.up {
            return;
        }
        node.up = up;
        if up {
            log::info!("cluster: broker reached");
            node.lost_since = None;
            node.sent_away = false;
            // Everyone heard again from now: a node is not buried for
            // the time this one could not hear it.
            for peer in node.peers.values_mut() {
                peer.heard = now;
            }
        } else {
            log::warn!("cluster: broker lost; refusing logins and lines");
            node.lost_since = Some(now);
        }
    }

    pub(super) fn on_ready(&mut self) {
        let now = self.now;
        if let Some(node) = self.cluster.as_deref_mut() {
            log::info!("cluster: caught up; taking logins");
            node.ready = true;
            node.beat = Millis(0);
            node.self_heard = now;
            // Whoever the logs say is in a room on a node run not heard
            // from is gone (this node's earlier runs included).
            // Members whose joins the logs no longer keep: from the online
            // lists (the lobby's members are every node's users).
            let lobby = self.rooms.lobby_key().clone();
            let mut listed: Vec<(RoomKey, super::Member)> = Vec::new();
            for (run, p) in &node.peers {
                for u in &p.users {
                    for room in std::iter::once(&lobby).chain(&u.rooms) {
                        let member = super::Member {
                            name: u.name.clone(),
                            node: run.clone(),
                        };
                        listed.push((room.clone(), member));
                    }
                }
            }
            for (room, member) in listed {
                node.members_of(&room)
                    .entry(member.name.key())
                    .or_insert(member);
            }
            let me = node.me().clone();
            let mut runs: Vec<NodeId> = node
                .members
                .values()
                .flat_map(|m| m.values().map(|m| m.node.clone()))
                .filter(|n| *n != me && !node.peers.contains_key(n))
                .collect();
            runs.sort_by(|a, b| (&a.name, a.epoch).cmp(&(&b.name, b.epoch)));
            runs.dedup();
            for run in runs {
                node.peers.insert(
                    run,
                    Peer {
                        users: Vec::new(),
                        heard: Millis(now.0.saturating_sub(node.config.node_timeout_ms)),
                    },
                );
            }
        }
        self.bury_gone_nodes();
        self.publish_presence();
    }

    /// A login or registration is refused while the node cannot serve.
    pub(in crate::engine) fn cluster_refuses_login(&mut self, id: crate::ConnId) -> bool {
        let serving = self.cluster.as_deref().is_none_or(Node::serving);
        if !serving {
            self.refuse(id, Reason::ClusterUnavailable);
        }
        !serving
    }

    pub(super) fn on_presence(&mut self, presence: NodePresence) {
        let now = self.now;
        let Some(node) = self.cluster.as_deref_mut() else {
            return;
        };
        if presence.node == *node.me() || node.buried.contains_key(&presence.node) {
            return;
        }
        self.replaced_runs(&presence.node);
        if let Some(node) = self.cluster.as_deref_mut() {
            node.peers.insert(
                presence.node,
                Peer {
                    users: presence.users,
                    heard: now,
                },
            );
        }
    }

    pub(super) fn on_heartbeat(&mut self, run: NodeId) {
        let now = self.now;
        let Some(node) = self.cluster.as_deref_mut() else {
            return;
        };
        if run == *node.me() {
            // Heard again after a silence: the others were silent to us
            // for the same reason, so their clocks start again too.
            if now.0 > node.self_heard.0 + node.config.node_timeout_ms {
                for peer in node.peers.values_mut() {
                    peer.heard = now;
                }
            }
            node.self_heard = now;
            return;
        }
        if node.buried.contains_key(&run) {
            return;
        }
        match node.peers.get_mut(&run) {
            Some(peer) => peer.heard = now,
            None => {
                node.peers.insert(
                    run.clone(),
                    Peer {
                        users: Vec::new(),
                        heard: now,
                    },
                );
                self.replaced_runs(&run);
            }
        }
    }

    /// Earlier runs of a node that has started again are gone at once.
    fn replaced_runs(&mut self, run: &NodeId) {
        let Some(node) = self.cluster.as_deref_mut() else {
            return;
        };
        let older: Vec<NodeId> = node
            .peers
            .keys()
            .filter(|p| p.name == run.name && p.epoch < run.epoch)
            .cloned()
            .collect();
        for old in older {
            if let Some(peer) = node.peers.get_mut(&old) {
                peer.heard = Millis(0);
            }
        }
        self.bury_gone_nodes();
    }

    /// Node runs not heard in time leave every room they were in.
    pub(super) fn bury_gone_nodes(&mut self) {
        let now = self.now;
        let Some(node) = self.cluster.as_deref_mut() else {
            return;
        };
        let timeout = node.config.node_timeout_ms;
        if !node.serving() || node.self_heard.0 + timeout <= now.0 {
            // Not hearing others may be this node's own loss.
            return;
        }
        let gone: Vec<NodeId> = node
            .peers
            .iter()
            .filter(|(_, p)| p.heard.0 + timeout <= now.0)
            .map(|(n, _)| n.clone())
            .collect();
        // Forget burials long past (a run never comes back).
        node.buried.retain(|_, at| at.0 + 3_600_000 > now.0);
        for run in gone {
            self.bury(run);
        }
    }

    /// A gone node run's users leave every room they were in, under
    /// message ids that name the fact (whichever node appends first).
    fn bury(&mut self, run: NodeId) {
        let now = self.now;
        let Some(node) = self.cluster.as_deref_mut() else {
            return;
        };
        log::warn!("cluster: node {run} is gone; its users leave");
        node.peers.remove(&run);
        node.buried.insert(run.clone(), now);
        let mut leaves: Vec<(RoomKey, UserName)> = node
            .members
            .iter()
            .flat_map(|(room, members)| {
                let run = &run;
                members
                    .values()
                    .filter(move |m| m.node == *run)
                    .map(move |m| (room.clone(), m.name.clone()))
            })
            .collect();
        leaves.sort_by(|a, b| (a.0.as_str(), a.1.as_str()).cmp(&(b.0.as_str(), b.1.as_str())));
        self.out
            .push(Output::Cluster(Box::new(ClusterOutput::NodeGone(
                run.clone(),
            ))));
        for (room, user) in leaves {
            let msg_id = format!(
                "gone.{}.{}.{}.{}",
                run.name,
                run.epoch,
                hex(room.as_str()),
                hex(user.key().as_str())
            );
            let event = RoomEvent::Leave {
                at: now,
                user,
                node: run.clone(),
                reason: Left::Gone,
                kick: None,
            };
            self.append_once(msg_id, Log::Room(room), event);
        }
    }

    /// This node's users as its online list says them.
    fn present_users(&self) -> Vec<PresentUser> {
        let mut users: Vec<PresentUser> = self
            .online
            .values()
            .filter_map(|c| {
                let s = self.session(*c)?;
                Some(PresentUser {
                    name: s.name.clone(),
                    grant: s.grant,
                    busy: s.held.is_some(),
                    away: s.away.as_deref().map(str::to_owned),
                    guest: s.guest,
                    rooms: s.rooms.clone(),
                })
            })
            .collect();
        users.sort_by(|a, b| a.name.as_str().cmp(b.name.as_str()));
        users
    }

    pub(super) fn presence_deadline(&self, node: &Node) -> Millis {
        // (Also when to judge others again once this node hears itself.)
        if !node.serving() {
            return Millis(u64::MAX);
        }
        let beat = Millis(node.beat.0 + node.config.heartbeat_ms);
        let list = node.published.as_ref().map_or(Millis(0), |(_, at)| {
            Millis(at.0 + node.config.presence_every_ms)
        });
        beat.min(list)
    }

    /// The online list if it changed (not more often than allowed), and
    /// the heartbeat when due.
    pub(super) fn publish_presence(&mut self) {
        let now = self.now;
        let Some(node) = self.cluster.as_deref() else {
            return;
        };
        if !node.serving() {
            return;
        }
        let every = node.config.presence_every_ms;
        let list_due = node
            .published
            .as_ref()
            .is_none_or(|(_, at)| at.0 + every <= now.0);
        let beat_due = node.beat.0 + node.config.heartbeat_ms <= now.0;
        let me = node.me().clone();
        if list_due {
            let users = self.present_users();
            let Some(node) = self.cluster.as_deref_mut() else {
                return;
            };
            let changed = node.published.as_ref().is_none_or(|(u, _)| *u != users);
            if changed {
                node.published = Some((users.clone(), now));
                self.out
                    .push(Output::Cluster(Box::new(ClusterOutput::Presence(
                        NodePresence {
                            node: me.clone(),
                            at: now,
                            users,
                        },
                    ))));
            } else if let Some((_, at)) = node.published.as_mut() {
                // Nothing new: look again after the same interval.
                *at = now;
            }
        }
        if beat_due {
            if let Some(node) = self.cluster.as_deref_mut() {
                node.beat = now;
            }
            self.out
                .push(Output::Cluster(Box::new(ClusterOutput::Heartbeat(me))));
        }
    }

    /// After the grace period without the broker, the node's clients are
    /// told to reconnect (to another address, if they know one) and
    /// closed.
    pub(super) fn end_grace(&mut self) {
        let now = self.now;
        let Some(node) = self.cluster.as_deref_mut() else {
            return;
        };
        let due = node
            .lost_since
            .is_some_and(|since| since.0 + node.config.grace_ms <= now.0);
        if !due || node.sent_away {
            return;
        }
        node.sent_away = true;
        log::warn!("cluster: broker still lost; sending clients elsewhere");
        let mut ids: Vec<crate::ConnId> = self.conns.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            self.send_many(
                id,
                &[
                    Reply::Refused(Reason::ClusterUnavailable),
                    Reply::Ctl(Control::Restart),
                ],
            );
            self.close(id, CloseReason::Restart, LeaveReason::Lost);
        }
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
        node.peers
            .values()
            .flat_map(|p| p.users.iter())
            .find(|u| u.name.key() == *key)
            .map(|u| u.name.clone())
    }

    /// Whether a user is busy, on whichever node they are, and their
    /// away message if they gave one.
    pub(super) fn busy_anywhere(&self, name: &UserName) -> Option<Option<String>> {
        let key = name.key();
        if let Some(&c) = self.online.get(&key) {
            let away = self
                .session(c)
                .and_then(|s| s.away.as_deref().map(str::to_owned));
            return (self.presence_of(c) == Presence::Busy).then_some(away);
        }
        let node = self.cluster.as_deref()?;
        node.peers
            .values()
            .flat_map(|p| p.users.iter())
            .find(|u| u.name.key() == key && u.busy)
            .map(|u| u.away.clone())
    }

    /// The users of the other nodes (in `room`, or all), as listings show
    /// them.
    pub(in crate::engine) fn remote_rows(
        &self,
        room: Option<&RoomKey>,
    ) -> Vec<(UserName, Grant, Presence, bool)> {
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
        let mut rows: Vec<(UserName, Grant, Presence, bool)> = node
            .peers
            .iter()
            .filter(|(run, _)| *run != me)
            .flat_map(|(run, p)| p.users.iter().filter(move |u| in_room(u, run)))
            .filter(|u| !self.online.contains_key(&u.name.key()))
            .map(|u| {
                let presence = if u.busy {
                    Presence::Busy
                } else {
                    Presence::Free
                };
                (u.name.clone(), u.grant, presence, u.guest)
            })
            .collect();
        rows.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
        rows.dedup_by(|a, b| a.0 == b.0);
        rows
    }

    /// Members of a room on every node.
    pub(in crate::engine) fn members_anywhere(&self, room: &RoomKey) -> Option<usize> {
        Some(
            self.cluster
                .as_deref()?
                .members
                .get(room)
                .map_or(0, |m| m.len()),
        )
    }

    /// A login at this node claims the account's one session in the
    /// cluster.
    pub(in crate::engine) fn claim_session(&mut self, name: &UserName) {
        let Some(node) = self.cluster.as_deref_mut() else {
            return;
        };
        let token = node.next_token;
        node.next_token += 1;
        node.claims.insert(name.key(), Claim { token, seen: false });
        let owner = SessionOwner {
            node: node.me().clone(),
            token,
        };
        self.out
            .push(Output::Cluster(Box::new(ClusterOutput::ClaimSession {
                user: name.clone(),
                owner,
            })));
    }

    /// An account's session claimed, in the shared order: a claim by
    /// another node after this node's own takes the session over.
    pub(super) fn on_session_claim(&mut self, user: UserName, owner: SessionOwner) {
        let key = user.key();
        let Some(node) = self.cluster.as_deref_mut() else {
            return;
        };
        let mine = owner.node == *node.me();
        let Some(claim) = node.claims.get_mut(&key) else {
            return;
        };
        if mine {
            if owner.token == claim.token {
                claim.seen = true;
            }
            return;
        }
        if !claim.seen {
            // Ours comes later in the order: this one is older.
            return;
        }
        node.claims.remove(&key);
        let Some(&old) = self.online.get(&key) else {
            return;
        };
        log::info!("{user} taken over by a login on node {}", owner.node);
        if self.presence_of(old) == Presence::Busy {
            self.carried_busy.insert(key);
        }
        self.send(old, &Reply::Ctl(Control::Takeover));
        self.close(old, CloseReason::TakenOver, LeaveReason::TakenOver);
    }
}

/// A name as it can stand in a message id (which is one token).
fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}
