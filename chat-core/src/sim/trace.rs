//! The run's trace: every input and output as a short line, hashed as it
//! goes (same seed, same hash), kept whole for a replay or as a tail of
//! the last lines for a failure report.

use std::collections::VecDeque;

/// How many lines a failure report shows.
const TAIL: usize = 60;

/// The trace of one run.
#[derive(Debug)]
pub struct Trace {
    hash: u64,
    keep_all: bool,
    lines: VecDeque<String>,
}

impl Trace {
    /// A trace that keeps every line (`keep_all`) or only the tail.
    pub fn new(keep_all: bool) -> Trace {
        Trace {
            hash: 0xCBF2_9CE4_8422_2325,
            keep_all,
            lines: VecDeque::new(),
        }
    }

    /// Adds a line.
    pub fn line(&mut self, line: String) {
        self.mix(line.as_bytes());
        self.mix(b"\n");
        if !self.keep_all && self.lines.len() == TAIL {
            self.lines.pop_front();
        }
        self.lines.push_back(line);
    }

    /// Mixes raw bytes (the exact output bytes) into the hash.
    pub fn mix(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.hash ^= u64::from(*b);
            self.hash = self.hash.wrapping_mul(0x0100_0000_01B3);
        }
    }

    /// The hash of everything so far.
    pub fn hash(&self) -> u64 {
        self.hash
    }

    /// The lines kept.
    pub fn into_lines(self) -> Vec<String> {
        self.lines.into()
    }
}
