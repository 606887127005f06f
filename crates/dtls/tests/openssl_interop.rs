//! Against the OpenSSL CLI (`openssl s_server` / `s_client -dtls1_2`) over loopback UDP, both
//! roles, with ECDSA and RSA certificates on the OpenSSL side: the handshake completes, data
//! goes both ways, and our RFC 5705 exporter output is byte-identical to what OpenSSL prints
//! for `-keymatexport EXTRACTOR-dtls_srtp -keymatexportlen 60`.
#![allow(clippy::disallowed_methods)] // real processes and sockets run on the wall clock

mod support;
use support::NextDatagram;

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use rtcweb_dtls::{
    Certificate, CipherSuite, Config, Connected, Connection, Event, Fingerprint, HashAlgorithm,
    SRTP_EXPORTER_LABEL, SrtpProfile,
};

const OPENSSL: &str = "/usr/bin/openssl";
const TIMEOUT: Duration = Duration::from_secs(20);

/// A temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "rtcweb-dtls-{tag}-{}-{:?}",
            std::process::id(),
            Instant::now()
        ));
        let dir = PathBuf::from(dir.to_string_lossy().replace(
            |c: char| !c.is_ascii_alphanumeric() && c != '/' && c != '-',
            "_",
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyType {
    Ecdsa,
    Rsa,
}

/// OpenSSL's certificate and key in `dir`, and the certificate's DER.
fn openssl_identity(dir: &TempDir, key: KeyType) -> (PathBuf, PathBuf, Vec<u8>) {
    let cert = dir.0.join("cert.pem");
    let keyf = dir.0.join("key.pem");
    let mut req = Command::new(OPENSSL);
    req.args([
        "req",
        "-x509",
        "-nodes",
        "-days",
        "30",
        "-subj",
        "/CN=openssl",
    ]);
    match key {
        KeyType::Ecdsa => req.args(["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]),
        KeyType::Rsa => req.args(["-newkey", "rsa:2048"]),
    };
    let out = req
        .arg("-keyout")
        .arg(&keyf)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("run openssl req");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let der = Command::new(OPENSSL)
        .args(["x509", "-outform", "DER", "-in"])
        .arg(&cert)
        .output()
        .unwrap();
    assert!(der.status.success());
    (cert, keyf, der.stdout)
}

/// An `openssl s_server` or `s_client`, killed on drop; its output lines on a channel.
struct OpenSsl {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl OpenSsl {
    fn spawn(args: &[String]) -> Self {
        let mut child = Command::new(OPENSSL)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn openssl");
        let (tx, lines) = channel();
        let out = child.stdout.take().unwrap();
        let err = child.stderr.take().unwrap();
        let tx2 = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let _ = tx2.send(line);
            }
        });
        let stdin = child.stdin.take();
        Self {
            child,
            stdin,
            lines,
            seen: Vec::new(),
        }
    }

    /// Collects output lines that arrived so far.
    fn pump(&mut self) {
        while let Ok(l) = self.lines.try_recv() {
            self.seen.push(l);
        }
    }

    fn find(&self, pred: impl Fn(&str) -> bool) -> Option<String> {
        self.seen.iter().find(|l| pred(l)).cloned()
    }

    /// Waits until a line matches.
    fn wait_for(&mut self, pred: impl Fn(&str) -> bool) -> String {
        let end = Instant::now() + TIMEOUT;
        loop {
            self.pump();
            if let Some(l) = self.find(&pred) {
                return l;
            }
            assert!(
                Instant::now() < end,
                "openssl never printed the line; output:\n{}",
                self.seen.join("\n")
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The keying material OpenSSL printed, as bytes.
    fn keying_material(&self) -> Option<Vec<u8>> {
        let line = self.find(|l| l.trim_start().starts_with("Keying material:"))?;
        hex::decode(line.trim().trim_start_matches("Keying material:").trim()).ok()
    }

    fn write_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    }
}

impl Drop for OpenSsl {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn openssl_profile(p: SrtpProfile) -> &'static str {
    match p {
        SrtpProfile::AES128_CM_HMAC_SHA1_80 => "SRTP_AES128_CM_SHA1_80",
        SrtpProfile::AES128_CM_HMAC_SHA1_32 => "SRTP_AES128_CM_SHA1_32",
        SrtpProfile::AEAD_AES_128_GCM => "SRTP_AEAD_AES_128_GCM",
        _ => "SRTP_AEAD_AES_256_GCM",
    }
}

/// Runs our connection over `sock` until `done` says so, feeding `openssl` output as we go.
/// Our datagrams go to `peer` (learned from the first datagram when `None`).
fn drive(
    conn: &mut Connection,
    sock: &UdpSocket,
    peer: &mut Option<SocketAddr>,
    events: &mut Vec<Event>,
    openssl: &mut OpenSsl,
    mut done: impl FnMut(&[Event], &mut OpenSsl) -> bool,
) {
    sock.set_read_timeout(Some(Duration::from_millis(20)))
        .unwrap();
    let end = Instant::now() + TIMEOUT;
    let mut buf = vec![0u8; 65536];
    loop {
        while let Some(d) = conn.next_datagram() {
            if let Some(p) = *peer {
                sock.send_to(&d, p).unwrap();
            }
        }
        while let Some(e) = conn.poll_event() {
            assert!(
                !matches!(e, Event::Failed(_)),
                "we failed: {e:?}; openssl said:\n{}",
                openssl.seen.join("\n")
            );
            events.push(e);
        }
        openssl.pump();
        if done(events, openssl) {
            return;
        }
        assert!(
            Instant::now() < end,
            "timed out; events {events:?}; openssl said:\n{}",
            openssl.seen.join("\n")
        );
        match sock.recv_from(&mut buf) {
            Ok((n, from)) => {
                peer.get_or_insert(from);
                conn.handle_datagram(Instant::now(), &buf[..n]);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => panic!("recv: {e}"),
        }
        conn.handle_timeout(Instant::now());
    }
}

fn connected(events: &[Event]) -> Option<&Connected> {
    events.iter().find_map(|e| match e {
        Event::Connected(c) => Some(&**c),
        _ => None,
    })
}

fn received(events: &[Event]) -> Vec<u8> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::ApplicationData(d) => Some(d.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

/// One handshake with OpenSSL; checks the profile, the suite (when given), data both ways
/// and the exporter output.
fn run(we_are_server: bool, key: KeyType, profile: SrtpProfile, suite: Option<CipherSuite>) {
    let dir = TempDir::new(if we_are_server { "srv" } else { "cli" });
    let (cert, keyf, der) = openssl_identity(&dir, key);
    let ours = Certificate::generate().unwrap();
    let mut config = Config::new(ours, vec![Fingerprint::of(&der, HashAlgorithm::Sha256)]);
    config.srtp_profiles = vec![profile];
    if let Some(s) = suite {
        config.cipher_suites = vec![s];
    }
    let common = [
        "-dtls1_2".to_owned(),
        "-cert".to_owned(),
        cert.to_string_lossy().into_owned(),
        "-key".to_owned(),
        keyf.to_string_lossy().into_owned(),
        "-use_srtp".to_owned(),
        openssl_profile(profile).to_owned(),
        "-keymatexport".to_owned(),
        SRTP_EXPORTER_LABEL.to_owned(),
        "-keymatexportlen".to_owned(),
        "60".to_owned(),
    ];
    let mut events = Vec::new();
    let (mut conn, sock, mut peer, mut openssl) = if we_are_server {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = sock.local_addr().unwrap().port();
        let mut args = vec![
            "s_client".to_owned(),
            "-connect".to_owned(),
            format!("127.0.0.1:{port}"),
        ];
        args.extend(common);
        let openssl = OpenSsl::spawn(&args);
        (
            Connection::server(Instant::now(), config).unwrap(),
            sock,
            None,
            openssl,
        )
    } else {
        let port = free_port();
        let mut args = vec![
            "s_server".to_owned(),
            "-accept".to_owned(),
            format!("127.0.0.1:{port}"),
            "-verify".to_owned(),
            "1".to_owned(),
            "-naccept".to_owned(),
            "1".to_owned(),
        ];
        args.extend(common);
        let mut openssl = OpenSsl::spawn(&args);
        openssl.wait_for(|l| l.contains("ACCEPT"));
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        let peer: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let conn = Connection::client(Instant::now(), config).unwrap();
        (conn, sock, Some(peer), openssl)
    };

    // Handshake, and OpenSSL's keying material printed.
    drive(
        &mut conn,
        &sock,
        &mut peer,
        &mut events,
        &mut openssl,
        |ev, o| connected(ev).is_some() && o.keying_material().is_some(),
    );
    let c = connected(&events).unwrap().clone();
    let theirs = openssl.keying_material().unwrap();
    let mine = conn
        .export_keying_material(SRTP_EXPORTER_LABEL, None, 60)
        .unwrap();
    assert_eq!(hex::encode(&mine), hex::encode(&theirs), "exporter output");
    let srtp = c.srtp.expect("use_srtp negotiated");
    assert_eq!(srtp.profile, profile);
    // The profile's keying material is a prefix of the same PRF stream.
    let n = srtp.keying_material.len().min(60);
    assert_eq!(srtp.keying_material[..n], theirs[..n]);
    assert_eq!(c.peer_certificate, der);
    if let Some(s) = suite {
        assert_eq!(c.cipher_suite, s);
    }
    if key == KeyType::Rsa && !we_are_server {
        assert_eq!(
            c.cipher_suite.params().unwrap().2,
            rtcweb_dtls::wire::code_points::AuthKind::Rsa
        );
    }

    // Data both ways.
    conn.send(Instant::now(), b"hello from rtcweb\n").unwrap();
    openssl.write_line("hello from openssl");
    drive(
        &mut conn,
        &sock,
        &mut peer,
        &mut events,
        &mut openssl,
        |ev, o| {
            received(ev) == b"hello from openssl\n"
                && o.find(|l| l.contains("hello from rtcweb")).is_some()
        },
    );
    conn.close(Instant::now());
    while let Some(d) = conn.next_datagram() {
        sock.send_to(&d, peer.unwrap()).unwrap();
    }
}

#[test]
fn we_are_client_openssl_server_ecdsa_every_profile() {
    for p in SrtpProfile::SUPPORTED {
        run(false, KeyType::Ecdsa, p, None);
    }
}

#[test]
fn we_are_server_openssl_client_ecdsa_every_profile() {
    for p in SrtpProfile::SUPPORTED {
        run(true, KeyType::Ecdsa, p, None);
    }
}

#[test]
fn every_ecdsa_suite_with_openssl_both_roles() {
    for suite in [
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    ] {
        run(
            false,
            KeyType::Ecdsa,
            SrtpProfile::AEAD_AES_128_GCM,
            Some(suite),
        );
        run(
            true,
            KeyType::Ecdsa,
            SrtpProfile::AEAD_AES_128_GCM,
            Some(suite),
        );
    }
}

#[test]
fn rsa_certificates_both_roles() {
    // We are client: OpenSSL's server certificate is RSA, so an ECDHE_RSA suite.
    for suite in [
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ] {
        run(
            false,
            KeyType::Rsa,
            SrtpProfile::AES128_CM_HMAC_SHA1_80,
            Some(suite),
        );
    }
    run(false, KeyType::Rsa, SrtpProfile::AEAD_AES_256_GCM, None);
    // We are server: OpenSSL's client certificate is RSA (its CertificateVerify is RSA).
    run(
        true,
        KeyType::Rsa,
        SrtpProfile::AES128_CM_HMAC_SHA1_80,
        None,
    );
    run(true, KeyType::Rsa, SrtpProfile::AEAD_AES_256_GCM, None);
}
