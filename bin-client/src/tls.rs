//! TLS for the terminal client: the handshake on the caller's thread (so
//! a bad certificate is a clear error before anything starts), then one
//! pump thread that owns the rustls connection and its socket, since a
//! TLS stream cannot be split between a reader and a writer thread.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::Duration;

use chat_client::TlsConnector;
use rustls::ClientConnection;

use crate::conn::Event;

/// How long the handshake may take before the server counts as
/// unreachable.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long the pump waits for the server before looking for bytes to
/// send: the delay a typed line may see, at worst.
const TICK: Duration = Duration::from_millis(20);

/// A TLS connection, handshake done, not yet pumping.
#[derive(Debug)]
pub(crate) struct Pump {
    tls: ClientConnection,
    sock: TcpStream,
}

impl Pump {
    /// Runs the TLS handshake on `sock`; the error says why it failed
    /// (an unknown certificate, a plain-text server, ...).
    pub(crate) fn handshake(mut sock: TcpStream, connector: &TlsConnector) -> Result<Pump, String> {
        let mut tls = connector.connection().map_err(|e| e.to_string())?;
        // Lines typed before the handshake ends wait in rustls, unbounded
        // by it: they are only what one person typed.
        tls.set_buffer_limit(None);
        sock.set_read_timeout(Some(HANDSHAKE_TIMEOUT))
            .map_err(|e| e.to_string())?;
        while tls.is_handshaking() {
            match tls.complete_io(&mut sock) {
                Ok((0, 0)) if tls.is_handshaking() => {
                    return Err("the server closed the connection during the TLS handshake".into())
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if is_timeout(&e) => return Err("the TLS handshake timed out".into()),
                Err(e) => return Err(handshake_failure(&e)),
            }
        }
        sock.set_read_timeout(Some(TICK))
            .map_err(|e| e.to_string())?;
        Ok(Pump { tls, sock })
    }

    /// Until either side ends: bytes from `outbox` to the server, the
    /// server's bytes to `events` as [`Event::Server`], then
    /// [`Event::ServerClosed`].
    pub(crate) fn run(
        mut self,
        generation: u64,
        outbox: &Receiver<Vec<u8>>,
        events: &std::sync::mpsc::Sender<Event>,
    ) {
        let mut buf = vec![0; 16 * 1024];
        'pump: loop {
            loop {
                match outbox.try_recv() {
                    Ok(bytes) => {
                        if self.tls.writer().write_all(&bytes).is_err() {
                            break 'pump;
                        }
                    }
                    Err(TryRecvError::Empty) => break,
                    // The connection was dropped: say goodbye properly.
                    Err(TryRecvError::Disconnected) => {
                        self.tls.send_close_notify();
                        let _ = self.flush();
                        return;
                    }
                }
            }
            if self.flush().is_err() {
                break;
            }
            match self.tls.read_tls(&mut self.sock) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if is_timeout(&e) || e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
            if self.tls.process_new_packets().is_err() {
                // Tell the server why (rustls queued an alert), as TLS expects.
                let _ = self.flush();
                break;
            }
            loop {
                match self.tls.reader().read(&mut buf) {
                    // The server said close_notify.
                    Ok(0) => break 'pump,
                    Ok(n) => {
                        if events
                            .send(Event::Server(generation, buf[..n].to_vec()))
                            .is_err()
                        {
                            return;
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(_) => break 'pump,
                }
            }
        }
        let _ = events.send(Event::ServerClosed(generation));
    }

    /// Writes what rustls has for the socket (blocking: the socket only
    /// has a read timeout).
    fn flush(&mut self) -> io::Result<()> {
        while self.tls.wants_write() {
            self.tls.write_tls(&mut self.sock)?;
        }
        Ok(())
    }
}

/// Why the handshake failed, and what to try: a certificate this
/// machine does not trust, one for another name, a server that does not
/// speak TLS at all.
fn handshake_failure(e: &io::Error) -> String {
    use rustls::{CertificateError, Error};
    let tls = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    match tls {
        Some(Error::InvalidMessage(_)) => {
            "it does not speak TLS (is that the plain-text port? then leave out --tls and \
             --ca-file)"
                .to_owned()
        }
        Some(Error::InvalidCertificate(CertificateError::UnknownIssuer)) => {
            "its certificate is not signed by an authority this machine trusts (self-signed?): \
             give the certificate to trust with --ca-file FILE (for a server started with \
             --tls-self-signed, the tls-cert.pem in its data folder)"
                .to_owned()
        }
        Some(Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        )) => "its certificate is for another name: connect by a name it has (localhost for \
               --tls-self-signed), or say which with --tls-name NAME"
            .to_owned(),
        Some(Error::InvalidCertificate(why)) => format!(
            "its certificate was refused ({why:?}): is the --ca-file the server's certificate, \
             or its authority's?"
        ),
        _ => e.to_string(),
    }
}

/// A socket read timeout shows as `WouldBlock` on Unix, `TimedOut` on
/// Windows.
fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}
