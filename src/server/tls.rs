//! HTTPS: the certificate chain and key from PEM files (paths in `[server] tls_cert` and
//! `tls_key`), offered with ALPN for HTTP/2 and HTTP/1.1. rustls (with the `ring` provider
//! that NATS's client already brings) does the TLS; nothing here is hand-made cryptography.
//!
//! HTTP/2 is why: a browser opens at most six HTTP/1.1 connections to a site and every OnAir
//! tab holds one event stream, so a seventh tab would wait; over HTTP/2 one connection carries
//! every tab's stream.

use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::ring;

/// Why HTTPS cannot be served with the files given.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read the certificate chain {path}: {err}")]
    Certificate { path: String, err: String },
    #[error("{path} holds no certificate")]
    NoCertificate { path: String },
    #[error("cannot read the private key {path}: {err}")]
    Key { path: String, err: String },
    #[error("the certificate and key do not go together: {0}")]
    Mismatch(String),
}

/// A TLS acceptor for the certificate chain at `cert` and the private key at `key` (PEM).
pub fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, TlsError> {
    let shown = |path: &Path| path.display().to_string();
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|err| TlsError::Certificate {
            path: shown(cert),
            err: err.to_string(),
        })?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate { path: shown(cert) });
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|err| TlsError::Key {
        path: shown(key),
        err: err.to_string(),
    })?;
    let mut config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|err| TlsError::Mismatch(err.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|err| TlsError::Mismatch(err.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
