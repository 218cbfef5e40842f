//! TLS for the end-to-end tests: a self-signed certificate, a client
//! that trusts it, and an IRC client over TLS.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chat_net_mio::TlsFiles;

/// A self-signed certificate for `localhost`, written as PEM into `dir`
/// under `name`; returns its files.
pub fn cert(dir: &Path, name: &str) -> TlsFiles {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let files = TlsFiles {
        cert: dir.join(format!("{name}.crt")),
        key: dir.join(format!("{name}.key")),
    };
    std::fs::write(&files.cert, ck.cert.pem()).unwrap();
    std::fs::write(&files.key, ck.key_pair.serialize_pem()).unwrap();
    files
}

/// A client configuration that trusts the certificate in `ca`.
pub fn client_config(ca: &Path) -> Arc<rustls::ClientConfig> {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls::pki_types::CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Arc::new(
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// A TLS stream to `addr` for `localhost`, trusting `ca`.
pub fn connect(
    addr: SocketAddr,
    ca: &Path,
) -> rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
    let conn =
        rustls::ClientConnection::new(client_config(ca), "localhost".try_into().unwrap()).unwrap();
    let sock = TcpStream::connect(addr).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    rustls::StreamOwned::new(conn, sock)
}

/// `GET path` over TLS: the whole answer, or the error that ended it.
pub fn https_get(addr: SocketAddr, ca: &Path, path: &str) -> std::io::Result<String> {
    let mut tls = connect(addr, ca);
    tls.write_all(format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes())?;
    let mut page = Vec::new();
    // The server ends with close_notify, or just closes.
    match tls.read_to_end(&mut page) {
        Ok(_) => {}
        Err(e) if !page.is_empty() && e.kind() == std::io::ErrorKind::UnexpectedEof => {}
        Err(e) => return Err(e),
    }
    Ok(String::from_utf8_lossy(&page).into_owned())
}

/// An IRC client over TLS (IRC's port 6697): one `\r\n` line at a time.
pub struct IrcTls(BufReader<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>);

impl IrcTls {
    pub fn connect(addr: SocketAddr, ca: &Path) -> IrcTls {
        IrcTls(BufReader::new(connect(addr, ca)))
    }

    pub fn send(&mut self, line: &str) {
        let tls = self.0.get_mut();
        tls.write_all(format!("{line}\r\n").as_bytes()).unwrap();
        tls.flush().unwrap();
    }

    /// Lines until one containing `part`, without its `\r\n`.
    pub fn until(&mut self, part: &str) -> String {
        loop {
            let mut line = String::new();
            let n = self.0.read_line(&mut line).unwrap();
            assert!(n > 0, "closed before {part:?}");
            assert!(line.ends_with("\r\n"), "IRC lines end in CRLF: {line:?}");
            if line.contains(part) {
                return line.trim_end().to_owned();
            }
        }
    }
}
