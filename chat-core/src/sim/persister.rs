//! The simulated store: what is durable, and writes on their way to it.

use crate::{Millis, PersistId, StoreChange, StoreSnapshot};

/// How long a lying disk keeps an acknowledged write before it is durable.
const LYING_LAG_MS: u64 = 3_000;

/// How the simulated disk behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiskMode {
    /// A write is acknowledged only once durable.
    Honest,
    /// The planted bug: a write is acknowledged first and made durable
    /// later, so a crash in between loses an acknowledged change.
    Lying,
}

/// A write on its way.
#[derive(Debug)]
struct Write {
    id: PersistId,
    change: StoreChange,
    /// When it becomes durable.
    durable_at: Millis,
    /// When the engine is told.
    ack_at: Millis,
    /// Injected failure: never durable, answered with an error.
    fails: bool,
    durable: bool,
    acked: bool,
}

/// What the persister has to tell the engine.
#[derive(Debug)]
pub enum Ack {
    /// The change is (claimed) durable.
    Done(PersistId, StoreChange),
    /// The write failed.
    Failed(PersistId),
}

/// The simulated persister.
#[derive(Debug)]
pub struct Persister {
    mode: DiskMode,
    durable: StoreSnapshot,
    writes: Vec<Write>,
}

impl Persister {
    /// A store holding `initial`.
    pub fn new(mode: DiskMode, initial: StoreSnapshot) -> Persister {
        Persister {
            mode,
            durable: initial,
            writes: Vec::new(),
        }
    }

    /// What is durable now.
    pub fn durable(&self) -> &StoreSnapshot {
        &self.durable
    }

    /// Writes not yet answered that someone waits for (history lines are
    /// fire-and-forget: the engine does not track them).
    pub fn in_flight(&self) -> usize {
        self.writes
            .iter()
            .filter(|w| !w.acked && !matches!(w.change, StoreChange::AppendLine { .. }))
            .count()
    }

    /// The accounts with a change on its way (durable or not, unanswered).
    pub fn unanswered_subjects(&self) -> Vec<String> {
        self.writes
            .iter()
            .filter(|w| !w.acked)
            .filter_map(|w| w.change.subject().map(|n| n.as_str().to_owned()))
            .collect()
    }

    /// Takes a write: durable after `delay` ms, answered `ack_lag` ms after
    /// that (or before it, on a lying disk).
    pub fn submit(
        &mut self,
        now: Millis,
        id: PersistId,
        change: StoreChange,
        delay: u64,
        ack_lag: u64,
        fails: bool,
    ) {
        let (durable_at, ack_at) = match self.mode {
            DiskMode::Honest => (Millis(now.0 + delay), Millis(now.0 + delay + ack_lag)),
            // A write-back cache that claims the write at once and reaches
            // the disk seconds later.
            DiskMode::Lying => (
                Millis(now.0 + delay + LYING_LAG_MS + ack_lag),
                Millis(now.0 + delay),
            ),
        };
        self.writes.push(Write {
            id,
            change,
            durable_at,
            ack_at,
            fails,
            durable: false,
            acked: false,
        });
    }

    /// Moves time on to `now`: writes reach the disk in submission order,
    /// as a journal appends them (a write waits for those before it, so a
    /// crash loses a suffix, never a line from the middle of a
    /// conversation), and answers are due. Returns the answers, and an
    /// error text if the store refused a change the engine asked for.
    pub fn advance(&mut self, now: Millis) -> (Vec<Ack>, Option<String>) {
        let mut acks = Vec::new();
        let mut refused = None;
        let mut blocked = false;
        let honest = self.mode == DiskMode::Honest;
        for w in &mut self.writes {
            if !w.durable && !w.fails {
                if !blocked && w.durable_at <= now {
                    w.durable = true;
                    if let Err(e) = self.durable.apply(&w.change) {
                        refused = Some(format!("the store refused {:?}: {e}", w.change));
                    }
                } else {
                    blocked = true;
                }
            }
            // An honest disk answers a write once it is durable.
            let answerable = w.durable || w.fails || !honest;
            if !w.acked && w.ack_at <= now && answerable {
                w.acked = true;
                acks.push(if w.fails {
                    Ack::Failed(w.id)
                } else {
                    Ack::Done(w.id, w.change.clone())
                });
            }
        }
        self.writes.retain(|w| !(w.acked && (w.durable || w.fails)));
        (acks, refused)
    }

    /// A crash: everything not yet durable is lost.
    pub fn crash(&mut self) {
        self.writes.clear();
    }

    /// A clean stop: the store finishes its writes first (as the runtime
    /// does before a restart). Nothing is answered: the engine is gone.
    pub fn flush(&mut self) -> Option<String> {
        let mut refused = None;
        for w in self.writes.drain(..) {
            if !w.durable && !w.fails {
                if let Err(e) = self.durable.apply(&w.change) {
                    refused = Some(format!("the store refused {:?}: {e}", w.change));
                }
            }
        }
        refused
    }
}
