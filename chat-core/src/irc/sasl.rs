//! SASL PLAIN (RFC 4616) over `AUTHENTICATE`: base64 of `authzid NUL
//! authcid NUL password`, in chunks of 400 bytes.

use zeroize::Zeroizing;

use super::lines::numeric;

/// The most bytes of a PLAIN payload, base64, over all its chunks.
pub const MAX_PAYLOAD: usize = 1600;
/// The most bytes of one `AUTHENTICATE` chunk.
const CHUNK: usize = 400;

/// An `AUTHENTICATE` exchange under way.
#[derive(Debug, Default)]
pub(super) struct Sasl {
    /// `AUTHENTICATE PLAIN` seen; the payload gathered so far (wiped when
    /// dropped, like every password the codec holds).
    gathered: Option<Zeroizing<String>>,
    /// The payload grew past [`MAX_PAYLOAD`] (told `904`): its chunks are
    /// passed over until the last one.
    overflowed: bool,
}

impl Sasl {
    /// Whether an exchange is under way.
    pub(super) fn in_progress(&self) -> bool {
        self.gathered.is_some() || self.overflowed
    }

    /// Ends an exchange under way (registration completed without it):
    /// `906`. True when there was one.
    pub(super) fn abort(&mut self, server: &str, me: &str, out: &mut Vec<u8>) -> bool {
        let was = self.in_progress();
        if was {
            *self = Sasl::default();
            numeric(out, server, me, "906", ":SASL authentication aborted");
        }
        was
    }

    /// One `AUTHENTICATE <arg>` from `me`, who may authenticate now; its
    /// answers go to `out`. The account name and password once the whole
    /// payload is in and reads as PLAIN.
    pub(super) fn on_authenticate(
        &mut self,
        server: &str,
        me: &str,
        arg: &str,
        out: &mut Vec<u8>,
    ) -> Option<(String, Zeroizing<String>)> {
        if arg == "*" {
            *self = Sasl::default();
            numeric(out, server, me, "906", ":SASL authentication aborted");
            return None;
        }
        if self.overflowed {
            // Pass over the rest of a payload already refused.
            self.overflowed = arg.len() == CHUNK;
            return None;
        }
        let Some(gathered) = self.gathered.as_mut() else {
            if arg.eq_ignore_ascii_case("PLAIN") {
                self.gathered = Some(Zeroizing::new(String::new()));
                out.extend_from_slice(b"AUTHENTICATE +\r\n");
            } else {
                numeric(
                    out,
                    server,
                    me,
                    "908",
                    "PLAIN :are available SASL mechanisms",
                );
                numeric(out, server, me, "904", ":SASL authentication failed");
            }
            return None;
        };
        if arg.len() > CHUNK {
            self.gathered = None;
            numeric(out, server, me, "905", ":SASL message too long");
            return None;
        }
        if arg != "+" {
            gathered.push_str(arg);
        }
        if gathered.len() > MAX_PAYLOAD {
            self.gathered = None;
            self.overflowed = arg.len() == CHUNK;
            numeric(
                out,
                server,
                me,
                "904",
                ":SASL authentication failed: payload too long",
            );
            return None;
        }
        if arg.len() == CHUNK {
            return None; // more chunks follow
        }
        let payload = self.gathered.take().unwrap_or_default();
        let decoded = decode_plain(&payload);
        if decoded.is_none() {
            numeric(out, server, me, "904", ":SASL authentication failed");
        }
        decoded.map(|(name, password)| (name, Zeroizing::new(password)))
    }
}

/// The account name and password of a PLAIN payload (base64), or `None`
/// when it is not one.
pub fn decode_plain(b64: &str) -> Option<(String, String)> {
    let raw = base64_decode(b64)?;
    let text = String::from_utf8(raw).ok()?;
    let mut parts = text.splitn(3, '\0');
    let (authz, authc, password) = (parts.next()?, parts.next()?, parts.next()?);
    // No NUL in the password (RFC 4616), and no acting as someone else.
    let other = !authz.is_empty() && !authz.eq_ignore_ascii_case(authc);
    if authc.is_empty() || password.is_empty() || password.contains('\0') || other {
        return None;
    }
    Some((authc.to_owned(), password.to_owned()))
}

/// Standard base64 with padding; `None` on any other byte.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let bytes = s.trim_end_matches('=').as_bytes();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c)? << (18 - 6 * i);
        }
        match chunk.len() {
            4 => out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8]),
            3 => out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8]),
            2 => out.push((n >> 16) as u8),
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_payloads() {
        // base64("\0alice\0secret123")
        assert_eq!(
            decode_plain("AGFsaWNlAHNlY3JldDEyMw=="),
            Some(("alice".into(), "secret123".into()))
        );
        // base64("alice\0alice\0pw:with:colons")
        assert_eq!(
            decode_plain("YWxpY2UAYWxpY2UAcHc6d2l0aDpjb2xvbnM="),
            Some(("alice".into(), "pw:with:colons".into()))
        );
        assert_eq!(decode_plain("!!!"), None);
        // "other\0jilles\0sesame", "\0jilles\0sesa\0me"
        assert_eq!(decode_plain("b3RoZXIAamlsbGVzAHNlc2FtZQ=="), None);
        assert_eq!(decode_plain("AGppbGxlcwBzZXNhAG1l"), None);
        assert_eq!(decode_plain("YWxpY2U="), None);
    }
}
