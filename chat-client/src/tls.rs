//! The client's transports: plain TCP, and with feature `tls` rustls
//! (ring) over the blocking `TcpStream`, with the system's roots or a CA
//! file.

use std::io::{self, Read, Write};
use std::net::TcpStream;
#[cfg(feature = "tls")]
use std::path::Path;
#[cfg(feature = "tls")]
use std::sync::Arc;
use std::time::Duration;

#[cfg(feature = "tls")]
use rustls::pki_types::pem::PemObject;
#[cfg(feature = "tls")]
use rustls::pki_types::{CertificateDer, ServerName};
#[cfg(feature = "tls")]
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

use crate::ClientError;

/// How a [`Client`](crate::Client) reaches the server: plain TCP or TLS.
#[derive(Debug, Clone, Default)]
pub enum Transport {
    /// Plain TCP.
    #[default]
    Tcp,
    /// TLS with this configuration and server name (feature `tls`).
    #[cfg(feature = "tls")]
    Tls(TlsConnector),
}

/// What a TLS connection checks the server against.
#[cfg(feature = "tls")]
#[derive(Debug, Clone)]
pub struct TlsConnector {
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
}

#[cfg(feature = "tls")]
impl TlsConnector {
    /// Trusts the certificates of `ca_file` (PEM) if given, else the
    /// system's roots; the server's certificate must name `server_name`
    /// (a DNS name or an IP address).
    pub fn new(ca_file: Option<&Path>, server_name: &str) -> Result<TlsConnector, ClientError> {
        let mut roots = RootCertStore::empty();
        match ca_file {
            Some(path) => {
                let certs = CertificateDer::pem_file_iter(path)
                    .and_then(|it| it.collect::<Result<Vec<_>, _>>())
                    .map_err(|e| ClientError::Tls(format!("{}: {e}", path.display())))?;
                let (added, _) = roots.add_parsable_certificates(certs);
                if added == 0 {
                    return Err(ClientError::Tls(format!(
                        "{}: no usable certificate",
                        path.display()
                    )));
                }
            }
            None => {
                let found = rustls_native_certs::load_native_certs();
                roots.add_parsable_certificates(found.certs);
                if roots.is_empty() {
                    return Err(ClientError::Tls("no system root certificates".into()));
                }
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| ClientError::Tls(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        TlsConnector::with_config(Arc::new(config), server_name)
    }

    /// A connector from a rustls configuration of the caller's.
    pub fn with_config(
        config: Arc<ClientConfig>,
        server_name: &str,
    ) -> Result<TlsConnector, ClientError> {
        let name = ServerName::try_from(server_name.to_owned())
            .map_err(|e| ClientError::Tls(format!("server name {server_name:?}: {e}")))?;
        Ok(TlsConnector { config, name })
    }

    /// A fresh rustls connection to drive over a socket of the caller's
    /// (for a caller that cannot use a blocking [`Client`](crate::Client),
    /// such as one that reads and writes from one thread with a poll loop).
    pub fn connection(&self) -> Result<ClientConnection, ClientError> {
        ClientConnection::new(Arc::clone(&self.config), self.name.clone())
            .map_err(|e| ClientError::Tls(e.to_string()))
    }
}

/// A connected stream, plain or TLS.
#[derive(Debug)]
pub(crate) enum Stream {
    Tcp(TcpStream),
    #[cfg(feature = "tls")]
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl Stream {
    /// Wraps a connected socket; a TLS handshake happens on first use.
    pub(crate) fn new(sock: TcpStream, transport: &Transport) -> Result<Stream, ClientError> {
        match transport {
            Transport::Tcp => Ok(Stream::Tcp(sock)),
            #[cfg(feature = "tls")]
            Transport::Tls(c) => {
                let conn = c.connection()?;
                Ok(Stream::Tls(Box::new(StreamOwned::new(conn, sock))))
            }
        }
    }

    fn sock(&self) -> &TcpStream {
        match self {
            Stream::Tcp(s) => s,
            #[cfg(feature = "tls")]
            Stream::Tls(s) => &s.sock,
        }
    }

    pub(crate) fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        self.sock().set_read_timeout(t)
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.flush(),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.flush(),
        }
    }
}
