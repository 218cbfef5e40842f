//! What chat-load's clients put between their lines and the socket:
//! nothing, TLS (`--tls`), WebSocket (`--ws`), or WebSocket over TLS.

use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore};

/// The WebSocket subprotocol of chat/1 (see chat_net_mio::CHAT1_SUBPROTOCOL).
const SUBPROTOCOL: &str = "chat.v1";

/// A TLS configuration trusting the certificates of `ca_file`.
pub fn tls_config(ca_file: &Path) -> io::Result<Arc<ClientConfig>> {
    let mut roots = RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(ca_file).map_err(io::Error::other)? {
        roots
            .add(c.map_err(io::Error::other)?)
            .map_err(io::Error::other)?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// One connection's layers.
pub struct Wire {
    tls: Option<Box<ClientConnection>>,
    ws: bool,
    /// The HTTP answer to the upgrade has been read.
    upgraded: bool,
    /// Bytes for the socket (or TLS) not written yet.
    pending: Vec<u8>,
    /// Bytes read, not yet whole frames (or the HTTP head).
    inbuf: Vec<u8>,
}

impl Wire {
    /// Layers for a new connection; a WebSocket upgrade request is queued.
    pub fn new(tls: Option<&Arc<ClientConfig>>, ws: bool) -> io::Result<Wire> {
        let tls = match tls {
            Some(config) => {
                let name = ServerName::try_from("localhost").map_err(io::Error::other)?;
                let mut c =
                    ClientConnection::new(Arc::clone(config), name).map_err(io::Error::other)?;
                // The driver's own window bounds what it queues.
                c.set_buffer_limit(None);
                Some(Box::new(c))
            }
            None => None,
        };
        let mut w = Wire {
            tls,
            ws,
            upgraded: !ws,
            pending: Vec::new(),
            inbuf: Vec::new(),
        };
        if ws {
            w.pending.extend_from_slice(
                format!(
                    "GET /chat HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: bG9hZC1nZW5lcmF0b3IhIQ==\r\n\
Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: {SUBPROTOCOL}\r\n\r\n"
                )
                .as_bytes(),
            );
        }
        Ok(w)
    }

    /// Takes protocol lines to send.
    pub fn push(&mut self, lines: &[u8]) {
        if !self.ws {
            self.pending.extend_from_slice(lines);
            return;
        }
        for line in lines.split_inclusive(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\n").unwrap_or(line);
            // Masked, as a client must; a zero mask keeps it cheap.
            self.pending.push(0x81);
            match line.len() {
                n if n < 126 => self.pending.push(0x80 | n as u8),
                n if n <= 65535 => {
                    self.pending.push(0x80 | 126);
                    self.pending.extend_from_slice(&(n as u16).to_be_bytes());
                }
                n => {
                    self.pending.push(0x80 | 127);
                    self.pending.extend_from_slice(&(n as u64).to_be_bytes());
                }
            }
            self.pending.extend_from_slice(&[0, 0, 0, 0]);
            self.pending.extend_from_slice(line);
        }
    }

    /// Writes what is pending; `Ok(false)` if the socket is full.
    pub fn write(&mut self, sock: &mut impl Write) -> io::Result<bool> {
        if let Some(tls) = self.tls.as_mut() {
            if !self.pending.is_empty() {
                tls.writer().write_all(&self.pending)?;
                self.pending.clear();
            }
            while tls.wants_write() {
                match tls.write_tls(sock) {
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            return Ok(true);
        }
        let mut at = 0;
        let result = loop {
            if at == self.pending.len() {
                break Ok(true);
            }
            match sock.write(&self.pending[at..]) {
                Ok(0) => break Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => at += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        self.pending.drain(..at);
        result
    }

    /// Takes bytes read from the socket; appends the protocol lines in
    /// them to `lines`.
    pub fn read(&mut self, raw: &[u8], lines: &mut Vec<u8>) -> io::Result<()> {
        let Some(tls) = self.tls.as_mut() else {
            return self.unframe(raw, lines);
        };
        let mut rd = raw;
        let mut plain = Vec::new();
        while !rd.is_empty() {
            tls.read_tls(&mut rd)?;
            tls.process_new_packets().map_err(io::Error::other)?;
            let mut chunk = [0u8; 16 * 1024];
            loop {
                match tls.reader().read(&mut chunk) {
                    Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                    Ok(n) => plain.extend_from_slice(&chunk[..n]),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => return Err(e),
                }
            }
        }
        self.unframe(&plain, lines)
    }

    fn unframe(&mut self, bytes: &[u8], lines: &mut Vec<u8>) -> io::Result<()> {
        if !self.ws {
            lines.extend_from_slice(bytes);
            return Ok(());
        }
        self.inbuf.extend_from_slice(bytes);
        let mut at = 0;
        if !self.upgraded {
            let Some(end) = self.inbuf.windows(4).position(|w| w == b"\r\n\r\n") else {
                return Ok(());
            };
            if !self.inbuf.starts_with(b"HTTP/1.1 101") {
                return Err(io::Error::other("the WebSocket upgrade was refused"));
            }
            self.upgraded = true;
            at = end + 4;
        }
        loop {
            let b = &self.inbuf[at..];
            if b.len() < 2 {
                break;
            }
            let (len, head) = match b[1] & 0x7F {
                126 if b.len() >= 4 => (u16::from_be_bytes([b[2], b[3]]) as usize, 4),
                127 if b.len() >= 10 => {
                    let mut n = [0u8; 8];
                    n.copy_from_slice(&b[2..10]);
                    (u64::from_be_bytes(n) as usize, 10)
                }
                126 | 127 => break,
                n => (n as usize, 2),
            };
            if b.len() < head + len {
                break;
            }
            match b[0] & 0x0F {
                0x1 => {
                    lines.extend_from_slice(&b[head..head + len]);
                    lines.push(b'\n');
                }
                0x8 => return Err(io::ErrorKind::UnexpectedEof.into()),
                _ => {} // pings and pongs: the server sends none
            }
            at += head + len;
        }
        self.inbuf.drain(..at);
        Ok(())
    }
}
