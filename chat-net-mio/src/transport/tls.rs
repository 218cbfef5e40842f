//! TLS certificates for the listeners: read from PEM files, and read again
//! on request (SIGHUP) so new connections get the new certificate while
//! open ones keep theirs.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::{Deserialize, Serialize};

/// Where a server's certificate chain and private key are.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    /// The certificate chain, PEM, the server's own certificate first.
    pub cert: PathBuf,
    /// The private key, PEM (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// Why a certificate or key could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A PEM file could not be read or holds no usable item.
    #[error("cannot read {what} from {path}: {message}")]
    Pem {
        /// "certificate chain" or "private key".
        what: &'static str,
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// rustls refused the pair (a key that does not match, for example).
    #[error("unusable certificate or key: {0}")]
    Rustls(#[from] rustls::Error),
}

fn pem_error(what: &'static str, path: &Path, e: impl std::fmt::Display) -> TlsError {
    TlsError::Pem {
        what,
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// Loads a rustls server configuration (ring provider) from PEM files.
pub(crate) fn load(files: &TlsFiles) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let certs = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|e| pem_error("certificate chain", &files.cert, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error("certificate chain", &files.cert, e))?;
    if certs.is_empty() {
        return Err(pem_error(
            "certificate chain",
            &files.cert,
            "no certificate",
        ));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .map_err(|e| pem_error("private key", &files.key, e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    Ok(Arc::new(config))
}

/// The certificate new TLS connections get, and where to read it again.
#[derive(Debug)]
pub(crate) struct TlsAcceptor {
    files: TlsFiles,
    config: Arc<rustls::ServerConfig>,
}

impl TlsAcceptor {
    pub(crate) fn new(files: TlsFiles) -> Result<TlsAcceptor, TlsError> {
        let config = load(&files)?;
        Ok(TlsAcceptor { files, config })
    }

    /// A server side for a new connection.
    pub(crate) fn accept(&self) -> Result<rustls::ServerConnection, rustls::Error> {
        rustls::ServerConnection::new(Arc::clone(&self.config))
    }

    /// Reads the files again; on error the old certificate stays.
    pub(crate) fn reload(&mut self) -> Result<(), TlsError> {
        self.config = load(&self.files)?;
        Ok(())
    }
}
