//! The password workers' queue: bounded per address and in all, served
//! round robin across addresses, so one address that floods the server
//! with logins waits behind itself, not in front of everyone else.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;

use chat_core::PasswordJob;

/// Jobs waiting for a worker.
#[derive(Debug)]
pub(crate) struct FairQueue {
    by_addr: HashMap<IpAddr, VecDeque<Box<PasswordJob>>>,
    /// Addresses with queued work, in the order they are served next.
    turns: VecDeque<IpAddr>,
    len: usize,
    per_address: usize,
    total: usize,
}

impl FairQueue {
    /// A queue holding at most `per_address` jobs of one address and
    /// `total` in all (each at least 1).
    pub(crate) fn new(per_address: usize, total: usize) -> FairQueue {
        FairQueue {
            by_addr: HashMap::new(),
            turns: VecDeque::new(),
            len: 0,
            per_address: per_address.max(1),
            total: total.max(1),
        }
    }

    /// Queues a job, or hands it back if its address or the queue is full.
    pub(crate) fn push(&mut self, job: Box<PasswordJob>) -> Result<(), Box<PasswordJob>> {
        if self.len >= self.total {
            return Err(job);
        }
        let addr = job.peer;
        let jobs = self.by_addr.entry(addr).or_default();
        if jobs.len() >= self.per_address {
            return Err(job);
        }
        if jobs.is_empty() {
            self.turns.push_back(addr);
        }
        jobs.push_back(job);
        self.len += 1;
        Ok(())
    }

    /// The next job: the oldest of the address whose turn it is.
    pub(crate) fn pop(&mut self) -> Option<Box<PasswordJob>> {
        let addr = self.turns.pop_front()?;
        let jobs = self.by_addr.get_mut(&addr)?;
        let job = jobs.pop_front();
        if jobs.is_empty() {
            // Forget the address: the table holds only addresses with work.
            self.by_addr.remove(&addr);
        } else {
            self.turns.push_back(addr);
        }
        self.len -= usize::from(job.is_some());
        job
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chat_core::password::Password;
    use chat_core::{JobId, PasswordWork};

    fn job(id: u64, addr: [u8; 4]) -> Box<PasswordJob> {
        Box::new(PasswordJob {
            id: JobId(id),
            work: PasswordWork::Verify {
                password: Password::new("x"),
                phc: None,
            },
            peer: addr.into(),
        })
    }

    const FLOOD: [u8; 4] = [10, 0, 0, 1];
    const QUIET: [u8; 4] = [10, 0, 0, 2];
    const OTHER: [u8; 4] = [10, 0, 0, 3];

    #[test]
    fn addresses_take_turns() {
        let mut q = FairQueue::new(10, 100);
        for id in 0..5 {
            q.push(job(id, FLOOD)).unwrap();
        }
        q.push(job(100, QUIET)).unwrap();
        q.push(job(200, OTHER)).unwrap();
        q.push(job(201, OTHER)).unwrap();
        let order: Vec<u64> = std::iter::from_fn(|| q.pop()).map(|j| j.id.0).collect();
        assert_eq!(order, [0, 100, 200, 1, 201, 2, 3, 4]);
        assert_eq!(q.len(), 0);
        assert!(q.by_addr.is_empty() && q.turns.is_empty());
    }

    #[test]
    fn full_address_or_queue_refuses() {
        let mut q = FairQueue::new(2, 3);
        q.push(job(1, FLOOD)).unwrap();
        q.push(job(2, FLOOD)).unwrap();
        assert_eq!(q.push(job(3, FLOOD)).unwrap_err().id, JobId(3));
        q.push(job(4, QUIET)).unwrap();
        assert_eq!(q.push(job(5, OTHER)).unwrap_err().id, JobId(5), "total");
        assert_eq!(q.pop().unwrap().id, JobId(1));
        q.push(job(6, OTHER)).unwrap();
        assert_eq!(q.len(), 3);
    }
}
