//! TURN over TLS (`turns:`, RFC 8656 §3.1) with rustls: configuration and the client session.
//!
//! rustls is itself sans-IO, so the TURN client feeds it the TCP bytes it receives and takes
//! the TLS bytes to send; no socket is involved here.

use std::io::{Read, Write};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::time_provider::TimeProvider;
use rustls::{
    ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use crate::TurnError;

/// How the TURN server's certificate is checked.
#[derive(Debug, Clone)]
pub enum ServerVerification {
    /// WebPKI path validation against these roots, with the server name checked.
    Roots(Arc<RootCertStore>),
    /// The server must present exactly this end-entity certificate (e.g. a self-signed
    /// certificate of a private TURN server). Handshake signatures are still verified.
    Pinned(CertificateDer<'static>),
}

/// TLS settings of a TURN client.
#[derive(Clone)]
pub struct TlsConfig {
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConfig")
            .field("server_name", &self.server_name)
            .finish_non_exhaustive()
    }
}

impl TlsConfig {
    /// TLS to the server called `server_name` (a DNS name or an IP address), verified as
    /// `verification` says. Wall-clock time for certificate validity comes from `time`
    /// (sans-IO: this crate reads no clock; pass `rustls::time_provider::DefaultTimeProvider`
    /// in a program).
    pub fn new(
        server_name: ServerName<'static>,
        verification: ServerVerification,
        time: Arc<dyn TimeProvider>,
    ) -> Result<Self, TurnError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_details(provider.clone(), time)
            .with_safe_default_protocol_versions()
            .map_err(|_| TurnError::TlsConfig)?;
        let config = match verification {
            ServerVerification::Roots(roots) => {
                builder.with_root_certificates(roots).with_no_client_auth()
            }
            ServerVerification::Pinned(cert) => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(PinnedCertificate { cert, provider }))
                .with_no_client_auth(),
        };
        Ok(Self {
            config: Arc::new(config),
            server_name,
        })
    }

    /// A configuration built by the caller (client certificates, ALPN, other providers).
    pub fn from_rustls(config: Arc<ClientConfig>, server_name: ServerName<'static>) -> Self {
        Self {
            config,
            server_name,
        }
    }
}

#[derive(Debug)]
struct PinnedCertificate {
    cert: CertificateDer<'static>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinnedCertificate {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.cert.as_ref() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// One TLS client session over the TCP connection to the TURN server.
#[derive(Debug)]
pub(crate) struct TlsSession {
    conn: ClientConnection,
}

impl TlsSession {
    pub(crate) fn new(config: &TlsConfig) -> Result<Self, TurnError> {
        let conn = ClientConnection::new(config.config.clone(), config.server_name.clone())
            .map_err(|_| TurnError::TlsConfig)?;
        Ok(Self { conn })
    }

    /// Queues plaintext (rustls holds it until the handshake is done).
    pub(crate) fn write_plaintext(&mut self, data: &[u8]) -> Result<(), TurnError> {
        self.conn
            .writer()
            .write_all(data)
            .map_err(|_| TurnError::TlsBufferFull)
    }

    /// Feeds TLS bytes from the server and appends the plaintext they carry to `plaintext`.
    pub(crate) fn read_tls(
        &mut self,
        mut bytes: &[u8],
        plaintext: &mut Vec<u8>,
    ) -> Result<(), TurnError> {
        while !bytes.is_empty() {
            // Reading from a slice never fails; it returns how much rustls took.
            let n = self
                .conn
                .read_tls(&mut bytes)
                .map_err(|_| TurnError::TlsBufferFull)?;
            if n == 0 {
                break;
            }
            self.conn.process_new_packets().map_err(TurnError::Tls)?;
            let mut buf = [0u8; 4096];
            loop {
                match self.conn.reader().read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => plaintext.extend_from_slice(&buf[..n]),
                    // WouldBlock: no more plaintext for now.
                    Err(_) => break,
                }
            }
        }
        Ok(())
    }

    /// Appends the TLS bytes rustls wants sent to `out`.
    pub(crate) fn drain_tls(&mut self, out: &mut Vec<u8>) {
        while self.conn.wants_write() {
            // Writing into a Vec never fails.
            if self.conn.write_tls(out).is_err() {
                break;
            }
        }
    }

    /// Whether the handshake has finished.
    pub(crate) fn is_handshaking(&self) -> bool {
        self.conn.is_handshaking()
    }

    /// Sends close_notify.
    pub(crate) fn close(&mut self) {
        self.conn.send_close_notify();
    }
}
