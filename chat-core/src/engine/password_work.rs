//! Password work asked of the caller (hashing, checking), bounded per
//! address and in all, and its answers handed to what asked for them.

use crate::reply::{LimitScope, Reason};
use crate::{ConnId, JobId};

use super::in_flight::Job;
use super::io::{Output, PasswordAnswer, PasswordJob, PasswordWork};
use super::Engine;

impl Engine {
    /// Asks for password work for a connection from `peer`; counted per
    /// address until answered (see [`Engine::admit_password_work`]).
    pub(super) fn new_job(&mut self, job: Job, work: PasswordWork, peer: std::net::IpAddr) {
        let id = JobId(self.next_job);
        self.next_job += 1;
        self.jobs.insert(id, (job, peer));
        self.password_work.add(peer);
        self.out
            .push(Output::Password(Box::new(PasswordJob { id, work, peer })));
    }

    /// Whether password work for `peer` may start now; if not, the client
    /// is told when to retry and false is returned. Nothing is counted.
    pub(super) fn admit_password_work(&mut self, id: ConnId, peer: std::net::IpAddr) -> bool {
        let l = &self.config.limits;
        let refusal = if self.jobs.len() >= l.max_password_jobs {
            Some(Reason::LoginsInProgress { retry_secs: 1 })
        } else if !self.is_exempt(peer)
            && self.password_work.get(&peer) >= l.max_password_jobs_per_address
        {
            Some(Reason::RateLimited {
                scope: LimitScope::LoginsFromAddress,
                retry_secs: 1,
            })
        } else {
            None
        };
        let Some(reason) = refusal else {
            return true;
        };
        log::warn!("password work refused for {peer}: {reason:?}");
        self.refuse(id, reason);
        false
    }

    pub(super) fn on_password_done(
        &mut self,
        job: JobId,
        answer: Result<PasswordAnswer, crate::password::PasswordError>,
    ) {
        let Some((job, peer)) = self.jobs.remove(&job) else {
            return;
        };
        self.password_work.remove(&peer);
        match job {
            Job::Register { conn, name } => self.on_register_hashed(conn, name, answer),
            Job::Login { conn, key } => self.on_login_verified(conn, key, answer),
            Job::CheckOldPassword { conn, new } => self.on_old_password_checked(conn, new, answer),
            Job::HashNewPassword { conn } => self.on_new_password_hashed(conn, answer),
            Job::Oper { conn, key } => self.on_oper_verified(conn, key, answer),
        }
    }
}
