//! Transports: what sits between a socket and the engine's lines.
//!
//! A connection's bytes may pass through TLS, then through HTTP (the chat
//! page, or the upgrade to WebSocket) and WebSocket framing, before they
//! are protocol lines; the engine's frames go the other way. Plain TCP
//! skips all of it. The engine hears of a connection only once its
//! transport is ready (TLS handshake done, WebSocket upgraded), so a
//! failed or garbage handshake never reaches it.

mod http;
pub(crate) mod tls;
mod ws;

use std::io::{self, Read, Write};

use log::debug;

pub use http::{CHAT1_SUBPROTOCOL, IRC_SUBPROTOCOL};

use crate::config::Protocol;
use crate::net::{Flushed, Outbound};

/// Bytes of queued frames turned into WebSocket frames (or handed to TLS)
/// at a time, so a long queue is encoded only as fast as the socket takes it.
const REFILL_BYTES: usize = 64 * 1024;

/// What sits between one connection's socket and the engine: nothing for
/// plain TCP, which then costs one pointer (most connections are plain
/// and idle), else its layers, boxed.
#[derive(Debug)]
pub(crate) struct Transport(Option<Box<Layered>>);

impl Transport {
    /// Plain TCP lines: ready at once.
    pub(crate) fn plain() -> Transport {
        Transport(None)
    }

    /// A transport for a listener: TLS if `tls` is given, then WebSocket
    /// if asked; plain if neither.
    pub(crate) fn new_for(tls: Option<rustls::ServerConnection>, layers: Layers) -> Transport {
        if tls.is_none() && !layers.websocket {
            return Transport::plain();
        }
        Transport(Some(Box::new(Layered::new_for(tls, layers))))
    }

    /// Plain TCP: the engine reads the socket's bytes as they are.
    pub(crate) fn is_plain(&self) -> bool {
        self.0.is_none()
    }

    /// Bytes waiting beside the engine's queue (for the outbound cap).
    pub(crate) fn buffered(&self) -> usize {
        self.0.as_ref().map_or(0, |l| l.buffered())
    }

    /// Has something to write even with no frame queued.
    pub(crate) fn wants_write(&self) -> bool {
        self.0.as_ref().is_some_and(|l| l.wants_write())
    }

    /// Takes bytes read from the socket; protocol lines for the engine are
    /// appended to `lines`.
    pub(crate) fn receive(&mut self, raw: &[u8], lines: &mut Vec<u8>) -> Step {
        match self.0.as_mut() {
            None => {
                lines.extend_from_slice(raw);
                Step::default()
            }
            Some(l) => l.receive(raw, lines),
        }
    }

    /// Writes what is queued through the layers. With `closing`, the
    /// transport's own goodbye (close frame, `close_notify`) follows the
    /// last frame.
    pub(crate) fn flush(
        &mut self,
        out: &mut Outbound,
        sock: &mut impl Write,
        closing: bool,
    ) -> io::Result<Flushed> {
        match self.0.as_mut() {
            None => out.flush(sock),
            Some(l) => l.flush(out, sock, closing),
        }
    }
}

/// The layers of one connection.
#[derive(Debug)]
struct Layered {
    tls: Option<Box<rustls::ServerConnection>>,
    app: App,
    /// Bytes for the socket (or for TLS to encrypt) that are not frames
    /// of the engine: HTTP answers, encoded WebSocket messages, pongs,
    /// close frames.
    pending: Vec<u8>,
    pending_at: usize,
    /// Ends once `pending` is written: the engine's frames are dropped.
    ending: bool,
    /// The WebSocket close frame was queued.
    ws_closed: bool,
    /// TLS `close_notify` was queued (or an alert made it pointless).
    tls_notified: bool,
    /// The protocol of plain lines over TLS: the listener's.
    protocol: Protocol,
    /// Limits, from the configuration.
    max_line: usize,
    max_request: usize,
}

#[derive(Debug)]
enum App {
    /// Protocol lines as they are.
    Lines,
    /// Reading an HTTP request head.
    Http {
        head: Vec<u8>,
        default: Protocol,
        origins: http::Origins,
    },
    /// WebSocket messages, one line each.
    Ws(ws::WsDecoder),
    /// An HTTP answer was queued; nothing more is read.
    Answered,
}

/// What some input did, beside the lines it produced.
#[derive(Debug, Default)]
pub(crate) struct Step {
    /// The transport became ready: the engine may hear of the connection.
    pub(crate) opened: Option<Protocol>,
    /// The transport ends the connection once what it queued is written
    /// (an HTTP answer, a close frame, a TLS alert).
    pub(crate) ending: bool,
}

/// How a transport is built for a listener.
#[derive(Debug, Clone)]
pub(crate) struct Layers {
    pub(crate) websocket: bool,
    /// Origins allowed beside the listener's own (WebSocket only).
    pub(crate) allowed_origins: std::sync::Arc<[String]>,
    pub(crate) protocol: Protocol,
    pub(crate) max_line: usize,
    pub(crate) max_request: usize,
}

impl Layered {
    /// A transport for a listener: TLS if `tls` is given, then WebSocket
    /// if asked.
    fn new_for(tls: Option<rustls::ServerConnection>, layers: Layers) -> Layered {
        let app = if layers.websocket {
            App::Http {
                head: Vec::new(),
                default: layers.protocol,
                origins: http::Origins {
                    tls: tls.is_some(),
                    allowed: layers.allowed_origins,
                },
            }
        } else {
            App::Lines
        };
        Layered::new(
            tls.map(Box::new),
            app,
            layers.protocol,
            layers.max_line,
            layers.max_request,
        )
    }

    fn new(
        tls: Option<Box<rustls::ServerConnection>>,
        app: App,
        protocol: Protocol,
        max_line: usize,
        max_request: usize,
    ) -> Layered {
        Layered {
            tls,
            app,
            pending: Vec::new(),
            pending_at: 0,
            ending: false,
            ws_closed: false,
            tls_notified: false,
            protocol,
            max_line,
            max_request,
        }
    }

    /// Plain TCP: the engine reads the socket's bytes as they are.
    fn is_plain(&self) -> bool {
        self.tls.is_none() && matches!(self.app, App::Lines)
    }

    /// Ready for protocol lines.
    fn is_ready(&self) -> bool {
        let tls_done = self.tls.as_ref().is_none_or(|t| !t.is_handshaking());
        tls_done && matches!(self.app, App::Lines | App::Ws(_))
    }

    /// Bytes waiting beside the engine's queue (for the outbound cap).
    fn buffered(&self) -> usize {
        self.pending.len() - self.pending_at
    }

    /// Has something to write even with no frame queued.
    fn wants_write(&self) -> bool {
        self.buffered() > 0 || self.tls.as_ref().is_some_and(|t| t.wants_write())
    }

    /// Takes bytes read from the socket; protocol lines for the engine are
    /// appended to `lines`.
    fn receive(&mut self, raw: &[u8], lines: &mut Vec<u8>) -> Step {
        let mut step = Step::default();
        if self.ending {
            return step;
        }
        let was_ready = self.is_ready();
        let Some(tls) = self.tls.as_mut() else {
            self.receive_plain(raw, lines, &mut step);
            return step;
        };
        let mut plain = Vec::new();
        let mut rd = raw;
        let mut closed = false;
        while !rd.is_empty() && !closed {
            if let Err(e) = tls.read_tls(&mut rd) {
                debug!("TLS read: {e}");
                return self.end(step);
            }
            if let Err(e) = tls.process_new_packets() {
                // rustls queued an alert for the peer; it goes out before
                // the close.
                debug!("TLS handshake or record refused: {e}");
                return self.end(step);
            }
            let mut chunk = [0u8; 4096];
            loop {
                match tls.reader().read(&mut chunk) {
                    Ok(0) => {
                        closed = true;
                        break;
                    }
                    Ok(n) => plain.extend_from_slice(&chunk[..n]),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(_) => {
                        closed = true;
                        break;
                    }
                }
            }
        }
        if !plain.is_empty() {
            self.receive_plain(&plain, lines, &mut step);
        }
        if !was_ready && self.is_ready() && step.opened.is_none() {
            // Plain lines over TLS: ready when the handshake is done, in
            // the listener's protocol (IRC on 6697, chat/1 elsewhere).
            step.opened = Some(self.protocol);
        }
        if closed {
            return self.end(step);
        }
        step
    }

    /// The layers above TLS.
    fn receive_plain(&mut self, bytes: &[u8], lines: &mut Vec<u8>, step: &mut Step) {
        match &mut self.app {
            App::Lines => lines.extend_from_slice(bytes),
            App::Answered => {}
            App::Http {
                head,
                default,
                origins,
            } => {
                head.extend_from_slice(bytes);
                match http::answer(head, self.max_request, *default, origins) {
                    http::Answer::Incomplete => {}
                    http::Answer::Respond(r) => {
                        self.pending.extend_from_slice(&r);
                        self.app = App::Answered;
                        step.ending = true;
                        self.ending = true;
                    }
                    http::Answer::Upgrade {
                        response,
                        protocol,
                        head_len,
                    } => {
                        self.pending.extend_from_slice(&response);
                        let rest = head.split_off(head_len);
                        // The engine's line limit counts the `\n` the
                        // decoder ends each message with; an IRC line
                        // may have 512 bytes of message beside its tags,
                        // which may be as long as a line.
                        let max_line = match protocol {
                            Protocol::Irc => self.max_line + 512,
                            _ => self.max_line,
                        };
                        let max_message = max_line.saturating_sub(1);
                        self.app = App::Ws(ws::WsDecoder::new(max_message));
                        step.opened = Some(protocol);
                        self.receive_plain(&rest, lines, step);
                    }
                }
            }
            App::Ws(decoder) => match decoder.decode(bytes, lines, &mut self.pending) {
                Ok(d) if d.closed => {
                    ws::encode_close(ws::CLOSE_NORMAL, &mut self.pending);
                    self.ws_closed = true;
                    step.ending = true;
                    self.ending = true;
                }
                Ok(_) => {}
                Err(ws::Violation(code)) => {
                    debug!("WebSocket peer broke the protocol: closing with {code}");
                    ws::encode_close(code, &mut self.pending);
                    self.ws_closed = true;
                    step.ending = true;
                    self.ending = true;
                }
            },
        }
    }

    fn end(&mut self, mut step: Step) -> Step {
        self.ending = true;
        // Nothing more of ours after an alert or the peer's close.
        self.ws_closed = true;
        self.tls_notified = true;
        step.ending = true;
        step
    }

    /// Writes what is queued through the layers. With `closing`, the
    /// transport's own goodbye (close frame, `close_notify`) follows the
    /// last frame.
    fn flush(
        &mut self,
        out: &mut Outbound,
        sock: &mut impl Write,
        closing: bool,
    ) -> io::Result<Flushed> {
        if self.is_plain() {
            return out.flush(sock);
        }
        loop {
            if !self.drain(sock)? {
                return Ok(Flushed::Blocked);
            }
            if self.ending {
                // After a close frame or an HTTP answer, nothing else.
                out.clear();
            } else if self.is_ready() && out.bytes() > 0 {
                self.refill(out);
                continue;
            }
            if closing || self.ending {
                if matches!(self.app, App::Ws(_)) && !self.ws_closed {
                    self.ws_closed = true;
                    ws::encode_close(ws::CLOSE_NORMAL, &mut self.pending);
                    continue;
                }
                if let Some(tls) = self.tls.as_mut() {
                    if !tls.is_handshaking() && !self.tls_notified {
                        self.tls_notified = true;
                        tls.send_close_notify();
                        continue;
                    }
                }
            }
            return Ok(Flushed::All);
        }
    }

    /// Moves queued frames into `pending`, encoded for the transport.
    fn refill(&mut self, out: &mut Outbound) {
        while self.buffered() < REFILL_BYTES {
            let Some(front) = out.front() else { return };
            let used = if matches!(self.app, App::Ws(_)) {
                match ws::encode_lines(front, &mut self.pending) {
                    // A frame without a line end (never from the engine):
                    // send it whole rather than stall.
                    0 => {
                        let mut line = front.to_vec();
                        line.push(b'\n');
                        ws::encode_lines(&line, &mut self.pending);
                        front.len()
                    }
                    n => n,
                }
            } else {
                self.pending.extend_from_slice(front);
                front.len()
            };
            out.advance(used);
        }
    }

    /// Writes `pending` (through TLS if any) until done (`true`) or the
    /// socket is full (`false`).
    fn drain(&mut self, sock: &mut impl Write) -> io::Result<bool> {
        let done = match self.tls.as_mut() {
            None => loop {
                if self.pending_at == self.pending.len() {
                    break true;
                }
                match sock.write(&self.pending[self.pending_at..]) {
                    Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                    Ok(n) => self.pending_at += n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break false,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            },
            Some(tls) => loop {
                let mut took = 0;
                if self.pending_at < self.pending.len() {
                    took = tls.writer().write(&self.pending[self.pending_at..])?;
                    self.pending_at += took;
                }
                let mut blocked = false;
                while tls.wants_write() {
                    match tls.write_tls(sock) {
                        Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                        Ok(_) => {}
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                            blocked = true;
                            break;
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
                if blocked {
                    break false;
                }
                if self.pending_at == self.pending.len() {
                    break true;
                }
                if took == 0 {
                    // TLS holds plaintext until its handshake is done.
                    break false;
                }
            },
        };
        if self.pending_at == self.pending.len() {
            self.pending.clear();
            self.pending_at = 0;
            if self.pending.capacity() > REFILL_BYTES * 2 {
                self.pending = Vec::new();
            }
        }
        Ok(done)
    }
}
