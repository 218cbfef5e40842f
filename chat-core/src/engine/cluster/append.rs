//! Appends in flight: each has a token and a message id, is sent again
//! with the same id when its acknowledgement is lost (so the broker stores
//! it once), and is given up (the user told) once its time is out.

use crate::cluster::{AppendFailed, ClusterOutput, Log, Origin, RoomEvent, Seq};
use crate::reply::{LeaveReason, Reason};
use crate::{ConnId, Millis, Output};

use super::super::connection::ConnRef;
use super::super::io::CloseReason;
use super::super::Engine;

/// An append not yet both acknowledged and applied.
#[derive(Debug)]
pub(crate) struct Appending {
    /// The connection that asked, answered if it fails.
    pub(super) conn: Option<ConnRef>,
    pub(super) msg_id: String,
    pub(super) log: Log,
    pub(super) event: RoomEvent,
    /// When it was first sent.
    pub(super) first: Millis,
    pub(super) acked: bool,
    pub(super) applied: bool,
}

impl Appending {
    /// When it is given up if still not acknowledged.
    pub(super) fn deadline(&self, timeout_ms: u64) -> Millis {
        if self.acked {
            // Acknowledged: waiting only for the log to bring it back.
            Millis(u64::MAX)
        } else {
            Millis(self.first.0 + timeout_ms)
        }
    }
}

impl Engine {
    /// Appends an event made for its origin (this node, a new token) to
    /// `log`; `conn`, if any, is the connection that asked.
    pub(super) fn append(
        &mut self,
        conn: Option<ConnId>,
        log: Log,
        make: impl FnOnce(Origin) -> RoomEvent,
    ) {
        let conn = conn.and_then(|c| self.conn_ref(c));
        let Some(node) = self.cluster.as_deref_mut() else {
            return;
        };
        let origin = Origin {
            node: node.me().clone(),
            token: node.next_token,
        };
        let msg_id = origin.msg_id();
        let event = make(origin);
        self.send_append(conn, msg_id, log, event);
    }

    /// Appends an event under a message id of the caller's (the same on
    /// every node for the same fact, so only the first is stored).
    pub(super) fn append_once(&mut self, msg_id: String, log: Log, event: RoomEvent) {
        self.send_append(None, msg_id, log, event);
    }

    fn send_append(&mut self, conn: Option<ConnRef>, msg_id: String, log: Log, event: RoomEvent) {
        let now = self.now;
        let Some(node) = self.cluster.as_deref_mut() else {
            return;
        };
        let token = node.next_token;
        node.next_token += 1;
        self.out
            .push(Output::Cluster(Box::new(ClusterOutput::Append {
                token,
                msg_id: msg_id.clone(),
                log: log.clone(),
                event: event.clone(),
            })));
        node.appends.insert(
            token,
            Appending {
                conn,
                msg_id,
                log,
                event,
                first: now,
                acked: false,
                applied: false,
            },
        );
    }

    /// The connection that asked for this node's append `token`, once it
    /// is applied (and forgets the append once also acknowledged).
    pub(super) fn applied_origin(&mut self, origin: &Origin) -> Option<ConnId> {
        let node = self.cluster.as_deref_mut()?;
        if origin.node != *node.me() {
            return None;
        }
        let a = node.appends.get_mut(&origin.token)?;
        a.applied = true;
        let conn = a.conn.take();
        if a.acked {
            node.appends.remove(&origin.token);
        }
        conn.filter(|c| self.live(*c)).map(|c| c.id)
    }

    pub(super) fn on_appended(&mut self, token: u64, result: Result<Seq, AppendFailed>) {
        let now = self.now;
        let Some(node) = self.cluster.as_deref_mut() else {
            return;
        };
        let timeout = node.config.append_timeout_ms;
        let Some(a) = node.appends.get_mut(&token) else {
            return;
        };
        match result {
            Ok(_) => {
                a.acked = true;
                if a.applied {
                    node.appends.remove(&token);
                }
            }
            // Lost on the way, or its answer was: the same message id again,
            // while there is time.
            Err(AppendFailed::Timeout) if now < a.deadline(timeout) => {
                log::debug!("append {} unanswered; sent again", a.msg_id);
                self.out
                    .push(Output::Cluster(Box::new(ClusterOutput::Append {
                        token,
                        msg_id: a.msg_id.clone(),
                        log: a.log.clone(),
                        event: a.event.clone(),
                    })));
            }
            Err(e) => {
                log::warn!("append {} not stored: {e}", a.msg_id);
                if let Some(a) = node.appends.remove(&token) {
                    self.append_failed(a);
                }
            }
        }
    }

    /// Gives up on appends whose time is out.
    pub(super) fn expire_appends(&mut self) {
        let now = self.now;
        let Some(node) = self.cluster.as_deref_mut() else {
            return;
        };
        let timeout = node.config.append_timeout_ms;
        let due: Vec<u64> = node
            .appends
            .iter()
            .filter(|(_, a)| a.deadline(timeout) <= now)
            .map(|(t, _)| *t)
            .collect();
        for token in due {
            if let Some(a) = self
                .cluster
                .as_deref_mut()
                .and_then(|n| n.appends.remove(&token))
            {
                log::warn!("append {} unacknowledged in time", a.msg_id);
                self.append_failed(a);
            }
        }
    }

    /// An append the broker did not take: the user hears it was not
    /// delivered; a login whose entrance was not stored is ended.
    fn append_failed(&mut self, a: Appending) {
        if a.applied {
            return;
        }
        let Some(conn) = a.conn.filter(|c| self.live(*c)) else {
            return;
        };
        self.refuse(conn.id, Reason::NotDelivered);
        match (&a.log, &a.event) {
            (Log::Room(key), RoomEvent::Join { .. }) if key == self.rooms.lobby_key() => {
                self.close(conn.id, CloseReason::Refused, LeaveReason::Lost);
            }
            (Log::Room(key), RoomEvent::Join { .. }) => {
                if let Some(s) = self.conns.get_mut(&conn.id).and_then(|c| c.session_mut()) {
                    s.rooms.retain(|k| k != key);
                }
                self.join_settled(conn.id);
            }
            _ => {}
        }
    }
}
