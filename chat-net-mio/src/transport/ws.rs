//! WebSocket framing (RFC 6455) over the loop's own streams: one text
//! message per protocol line in both directions.
//!
//! Only what a chat needs: text messages (fragmented or not) up to a size
//! limit, ping answered with pong, close answered with close. Binary
//! messages and unmasked client frames are protocol errors.

/// The opcodes we read or write.
const CONT: u8 = 0x0;
const TEXT: u8 = 0x1;
const BINARY: u8 = 0x2;
const CLOSE: u8 = 0x8;
const PING: u8 = 0x9;
const PONG: u8 = 0xA;

/// Close codes (RFC 6455 section 7.4.1).
pub(crate) const CLOSE_NORMAL: u16 = 1000;
pub(crate) const CLOSE_PROTOCOL: u16 = 1002;
pub(crate) const CLOSE_UNSUPPORTED: u16 = 1003;
pub(crate) const CLOSE_INVALID: u16 = 1007;
pub(crate) const CLOSE_TOO_BIG: u16 = 1009;

/// Why the peer's frames end the connection: the close code to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Violation(pub(crate) u16);

/// What a chunk of input produced beside protocol lines.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Decoded {
    /// The peer sent a close frame: answer it and close.
    pub(crate) closed: bool,
}

/// The reading half: frames in, lines out.
#[derive(Debug)]
pub(crate) struct WsDecoder {
    buf: Vec<u8>,
    /// The text message being assembled from fragments.
    message: Vec<u8>,
    in_message: bool,
    /// The longest message (a protocol line without its `\n`).
    max_message: usize,
}

impl WsDecoder {
    pub(crate) fn new(max_message: usize) -> WsDecoder {
        WsDecoder {
            buf: Vec::new(),
            message: Vec::new(),
            in_message: false,
            max_message,
        }
    }

    /// Decodes what `input` completes: each text message is appended to
    /// `lines` with a `\n`, control frames are answered into `reply`.
    pub(crate) fn decode(
        &mut self,
        input: &[u8],
        lines: &mut Vec<u8>,
        reply: &mut Vec<u8>,
    ) -> Result<Decoded, Violation> {
        self.buf.extend_from_slice(input);
        let mut at = 0;
        let mut out = Decoded::default();
        while let Some(frame) = parse(&self.buf[at..], self.max_message)? {
            let payload_at = at + frame.header;
            let payload = &mut self.buf[payload_at..payload_at + frame.len];
            unmask(payload, frame.mask);
            at = payload_at + frame.len;
            match frame.opcode {
                TEXT | CONT => {
                    if (frame.opcode == TEXT) == self.in_message {
                        return Err(Violation(CLOSE_PROTOCOL));
                    }
                    if self.message.len() + payload.len() > self.max_message {
                        return Err(Violation(CLOSE_TOO_BIG));
                    }
                    self.message.extend_from_slice(payload);
                    self.in_message = !frame.fin;
                    if frame.fin {
                        // One message is one line: a line break inside
                        // would smuggle a second one past the framing.
                        if self.message.contains(&b'\n')
                            || std::str::from_utf8(&self.message).is_err()
                        {
                            return Err(Violation(CLOSE_INVALID));
                        }
                        lines.extend_from_slice(&self.message);
                        lines.push(b'\n');
                        self.message.clear();
                    }
                }
                BINARY => return Err(Violation(CLOSE_UNSUPPORTED)),
                PING => encode(PONG, payload, reply),
                PONG => {}
                CLOSE => {
                    out.closed = true;
                    break;
                }
                _ => return Err(Violation(CLOSE_PROTOCOL)),
            }
        }
        self.buf.drain(..at);
        Ok(out)
    }
}

struct FrameHead {
    fin: bool,
    opcode: u8,
    mask: [u8; 4],
    header: usize,
    len: usize,
}

/// The next whole frame's head, `None` if more bytes are needed. A frame
/// that can never fit is refused before its payload is read.
fn parse(b: &[u8], max_message: usize) -> Result<Option<FrameHead>, Violation> {
    if b.len() < 2 {
        return Ok(None);
    }
    let fin = b[0] & 0x80 != 0;
    if b[0] & 0x70 != 0 {
        return Err(Violation(CLOSE_PROTOCOL)); // no extensions agreed
    }
    let opcode = b[0] & 0x0F;
    if b[1] & 0x80 == 0 {
        return Err(Violation(CLOSE_PROTOCOL)); // clients must mask
    }
    let (len, mut header) = match b[1] & 0x7F {
        126 if b.len() >= 4 => (u16::from_be_bytes([b[2], b[3]]) as u64, 4),
        127 if b.len() >= 10 => {
            let mut n = [0u8; 8];
            n.copy_from_slice(&b[2..10]);
            (u64::from_be_bytes(n), 10)
        }
        126 | 127 => return Ok(None),
        n => (n as u64, 2),
    };
    let control = opcode & 0x8 != 0;
    if control && (len > 125 || !fin) {
        return Err(Violation(CLOSE_PROTOCOL));
    }
    if len > max_message as u64 {
        return Err(Violation(CLOSE_TOO_BIG));
    }
    if b.len() < header + 4 {
        return Ok(None);
    }
    let mask = [b[header], b[header + 1], b[header + 2], b[header + 3]];
    header += 4;
    let len = len as usize;
    if b.len() < header + len {
        return Ok(None);
    }
    Ok(Some(FrameHead {
        fin,
        opcode,
        mask,
        header,
        len,
    }))
}

fn unmask(payload: &mut [u8], mask: [u8; 4]) {
    for (i, b) in payload.iter_mut().enumerate() {
        *b ^= mask[i & 3];
    }
}

/// Appends one unmasked server frame.
fn encode(opcode: u8, payload: &[u8], out: &mut Vec<u8>) {
    out.push(0x80 | opcode);
    match payload.len() {
        n if n < 126 => out.push(n as u8),
        n if n <= u16::MAX as usize => {
            out.push(126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
}

/// Appends one text message per line of `lines` (each ending in `\n` or
/// `\r\n`, which is not sent: IRCv3's WebSocket messages carry no line
/// end); returns the bytes of `lines` consumed (whole lines only).
pub(crate) fn encode_lines(lines: &[u8], out: &mut Vec<u8>) -> usize {
    let mut used = 0;
    for line in lines.split_inclusive(|&b| b == b'\n') {
        let Some(text) = line.strip_suffix(b"\n") else {
            break;
        };
        encode(TEXT, text.strip_suffix(b"\r").unwrap_or(text), out);
        used += line.len();
    }
    used
}

/// Appends a close frame with `code`.
pub(crate) fn encode_close(code: u16, out: &mut Vec<u8>) {
    encode(CLOSE, &code.to_be_bytes(), out);
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A masked client frame, as a browser sends it.
    pub(crate) fn client_frame(opcode: u8, fin: bool, payload: &[u8]) -> Vec<u8> {
        let mask = [1, 2, 3, 4];
        let mut out = vec![if fin { 0x80 } else { 0 } | opcode];
        match payload.len() {
            n if n < 126 => out.push(0x80 | n as u8),
            n if n <= 65535 => {
                out.push(0x80 | 126);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                out.push(0x80 | 127);
                out.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        out.extend_from_slice(&mask);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i & 3]));
        out
    }

    #[test]
    fn text_messages_become_lines_even_split_anywhere() {
        let mut input = client_frame(TEXT, true, b"hello");
        input.extend(client_frame(TEXT, false, b"wor"));
        input.extend(client_frame(CONT, true, b"ld"));
        let mut d = WsDecoder::new(100);
        let (mut lines, mut reply) = (Vec::new(), Vec::new());
        for b in input.chunks(3) {
            d.decode(b, &mut lines, &mut reply).unwrap();
        }
        assert_eq!(lines, b"hello\nworld\n");
        assert!(reply.is_empty());
    }

    #[test]
    fn ping_is_answered_and_close_reported() {
        let mut input = client_frame(PING, true, b"p");
        input.extend(client_frame(CLOSE, true, &1000u16.to_be_bytes()));
        let mut d = WsDecoder::new(100);
        let (mut lines, mut reply) = (Vec::new(), Vec::new());
        let got = d.decode(&input, &mut lines, &mut reply).unwrap();
        assert!(got.closed);
        assert_eq!(reply, [0x8A, 1, b'p']);
    }

    #[test]
    fn too_big_unmasked_binary_and_newlines_are_refused() {
        let mut d = WsDecoder::new(4);
        let big = client_frame(TEXT, true, b"12345");
        assert_eq!(
            d.decode(&big[..4], &mut Vec::new(), &mut Vec::new()),
            Err(Violation(CLOSE_TOO_BIG))
        );
        let mut d = WsDecoder::new(4);
        let mut frags = client_frame(TEXT, false, b"123");
        frags.extend(client_frame(CONT, true, b"45"));
        assert_eq!(
            d.decode(&frags, &mut Vec::new(), &mut Vec::new()),
            Err(Violation(CLOSE_TOO_BIG))
        );
        let mut d = WsDecoder::new(100);
        assert_eq!(
            d.decode(&[0x81, 0x01, b'x'], &mut Vec::new(), &mut Vec::new()),
            Err(Violation(CLOSE_PROTOCOL))
        );
        let mut d = WsDecoder::new(100);
        let bin = client_frame(BINARY, true, b"x");
        assert_eq!(
            d.decode(&bin, &mut Vec::new(), &mut Vec::new()),
            Err(Violation(CLOSE_UNSUPPORTED))
        );
        let mut d = WsDecoder::new(100);
        let two = client_frame(TEXT, true, b"a\nb");
        assert_eq!(
            d.decode(&two, &mut Vec::new(), &mut Vec::new()),
            Err(Violation(CLOSE_INVALID))
        );
    }

    #[test]
    fn lines_go_out_one_message_each() {
        let mut out = Vec::new();
        let used = encode_lines(b"MSG a hi\nJOIN b\npartial", &mut out);
        assert_eq!(used, 16);
        assert_eq!(out[..2], [0x81, 8]);
        assert_eq!(&out[2..10], b"MSG a hi");
        assert_eq!(out[10..12], [0x81, 6]);
        let mut irc = Vec::new();
        assert_eq!(encode_lines(b":s 001 al :hi\r\nPING x\r\n", &mut irc), 23);
        assert_eq!(irc[..2], [0x81, 13]);
        assert_eq!(&irc[2..15], b":s 001 al :hi");
        assert_eq!(irc[15..], *b"\x81\x06PING x");
        let mut long = Vec::new();
        encode_lines(
            &[b'x'; 300].iter().chain(b"\n").copied().collect::<Vec<_>>(),
            &mut long,
        );
        assert_eq!(long[..4], [0x81, 126, 1, 44]);
    }
}
