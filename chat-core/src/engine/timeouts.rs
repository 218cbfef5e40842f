//! Deadlines: the login dialog's time limit, the idle timeout, and pings
//! of quiet connections with their timeouts.

use std::time::Duration;

use crate::reply::{Control, LeaveReason, Reason, Reply};
use crate::ConnId;

use super::io::CloseReason;
use super::timers::TimerKind;
use super::Engine;

impl Engine {
    pub(super) fn on_timeout(&mut self) {
        let now = self.now;
        self.close_empty_rooms();
        while let Some((id, serial, kind)) = self.timers.pop_due(now) {
            let Some(conn) = self.conns.get(&id).filter(|c| c.serial == serial) else {
                continue;
            };
            match (kind, conn.session()) {
                (TimerKind::Login, None) => {
                    self.refuse(id, Reason::LoginTimeout);
                    self.close(id, CloseReason::Timeout, LeaveReason::Timeout);
                }
                (TimerKind::Idle, Some(session)) => {
                    let idle = Duration::from_millis(self.config.limits.idle_timeout_ms);
                    let due = session.last_active + idle;
                    if due <= now {
                        self.send_many(
                            id,
                            &[
                                Reply::Refused(Reason::IdleTimeout),
                                Reply::Ctl(Control::Disconnect),
                            ],
                        );
                        self.close(id, CloseReason::Timeout, LeaveReason::Timeout);
                    } else {
                        self.timers.arm(due, id, serial, TimerKind::Idle);
                    }
                }
                (TimerKind::Ping, _) => self.on_ping_due(id, serial),
                _ => {}
            }
        }
    }

    /// A connection's ping deadline: ping it if it has been quiet for the
    /// interval, close it if its ping went unanswered for the timeout, or
    /// wait until the next such moment. One timer entry per connection.
    pub(super) fn on_ping_due(&mut self, id: ConnId, serial: u64) {
        let now = self.now;
        let l = &self.config.limits;
        let interval = Duration::from_millis(l.irc_ping_interval_ms);
        let timeout = Duration::from_millis(l.irc_ping_timeout_ms);
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        let due = match conn.pinged {
            Some(sent) if sent + timeout <= now => {
                log::info!("{} ({id}) closed: ping timeout", conn.peer);
                self.refuse(id, Reason::PingTimeout);
                return self.close(id, CloseReason::Timeout, LeaveReason::Timeout);
            }
            Some(sent) => sent + timeout,
            None if conn.last_heard + interval <= now => {
                conn.pinged = Some(now);
                self.send(
                    id,
                    &Reply::Ping {
                        token: now.as_u64(),
                    },
                );
                now + timeout
            }
            None => conn.last_heard + interval,
        };
        self.timers.arm(due, id, serial, TimerKind::Ping);
    }
}
