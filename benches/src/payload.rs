//! The message payload: who sent it, its number, and when, so every
//! receiver can measure one-way latency on the load generator's clock.

/// A decoded payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// The sender's index.
    pub sender: u32,
    /// The sender's sequence number.
    pub seq: u64,
    /// Nanoseconds since the run started, on a monotonic clock.
    pub sent_ns: u64,
}

/// Appends the payload text (no line ending), padded with `x` to at least
/// `size` bytes.
///
/// ```
/// use benches::payload::{decode, encode, Stamp};
/// let mut line = Vec::new();
/// let s = Stamp { sender: 3, seq: 9, sent_ns: 12345 };
/// encode(s, 32, &mut line);
/// assert_eq!(line.len(), 32);
/// assert_eq!(decode(&line), Some(s));
/// ```
pub fn encode(stamp: Stamp, size: usize, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(b"L ");
    push_num(out, u64::from(stamp.sender));
    out.push(b' ');
    push_num(out, stamp.seq);
    out.push(b' ');
    push_num(out, stamp.sent_ns);
    let len = out.len() - start;
    if len < size {
        out.push(b' ');
        out.resize(start + size, b'x');
    }
}

fn push_num(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

fn take_num(s: &[u8]) -> Option<(u64, &[u8])> {
    let end = s
        .iter()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(s.len());
    if end == 0 || end > 19 {
        return None;
    }
    let mut n = 0u64;
    for &b in &s[..end] {
        n = n * 10 + u64::from(b - b'0');
    }
    Some((n, &s[end..]))
}

/// Decodes a payload text (the message text, without the line's prefix).
pub fn decode(text: &[u8]) -> Option<Stamp> {
    let rest = text.strip_prefix(b"L ")?;
    let (sender, rest) = take_num(rest)?;
    let (seq, rest) = take_num(rest.strip_prefix(b" ")?)?;
    let (sent_ns, rest) = take_num(rest.strip_prefix(b" ")?)?;
    if !(rest.is_empty() || rest[0] == b' ') {
        return None;
    }
    Some(Stamp {
        sender: u32::try_from(sender).ok()?,
        seq,
        sent_ns,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_padding() {
        for size in [0, 10, 64, 512] {
            let s = Stamp {
                sender: 123,
                seq: u64::from(u32::MAX) + 7,
                sent_ns: 987_654_321,
            };
            let mut out = b"prefix ".to_vec();
            encode(s, size, &mut out);
            let text = &out[7..];
            assert!(text.len() >= size);
            assert_eq!(decode(text), Some(s));
        }
    }

    #[test]
    fn rejects_other_text() {
        assert_eq!(decode(b"hello"), None);
        assert_eq!(decode(b"L 1 2"), None);
        assert_eq!(decode(b"L 1 2 3x"), None);
        assert_eq!(decode(b"L a 2 3"), None);
    }
}
