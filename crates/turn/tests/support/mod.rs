//! Test support: a real coturn on 127.0.0.1, certificates for it, drivers that run the
//! sans-IO client over real sockets, and a loopback UDP peer.
#![allow(dead_code, clippy::disallowed_methods, unreachable_pub)] // tests own real sockets and clocks

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair, SanType};
use rtcweb_common::{Datagram, Transport};
use rtcweb_turn::rustls::RootCertStore;
use rtcweb_turn::rustls::pki_types::{CertificateDer, ServerName};
use rtcweb_turn::rustls::time_provider::DefaultTimeProvider;
use rtcweb_turn::{Client, Config, Event, Input, ServerVerification, TlsConfig};

pub const USER: &str = "alice";
pub const PASSWORD: &str = "wonderland";
pub const REALM: &str = "rtcweb.test";
const TURNSERVER: &str = "/usr/bin/turnserver";

/// A certificate authority and a server certificate for 127.0.0.1 / localhost it signed.
pub struct Certs {
    pub ca_der: CertificateDer<'static>,
    pub server_der: CertificateDer<'static>,
    pub server_pem: String,
    pub server_key_pem: String,
}

impl Certs {
    pub fn generate() -> Self {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
        let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        params
            .subject_alt_names
            .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &ca).unwrap();
        Self {
            ca_der: ca.der().clone(),
            server_der: cert.der().clone(),
            server_pem: cert.pem(),
            server_key_pem: key.serialize_pem(),
        }
    }
}

/// A coturn process on free loopback ports, killed on drop.
pub struct Coturn {
    child: Option<Child>,
    dir: PathBuf,
    pub port: u16,
    pub tls_port: u16,
    pub certs: Certs,
}

fn free_port() -> u16 {
    // A port free for both UDP and TCP (coturn listens on both).
    loop {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = udp.local_addr().unwrap().port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

static INSTANCE: AtomicUsize = AtomicUsize::new(0);

impl Coturn {
    pub fn start() -> Self {
        assert!(
            std::path::Path::new(TURNSERVER).exists(),
            "coturn is not installed: `cargo xtask test` installs it (Debian package coturn)"
        );
        let n = INSTANCE.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("rtcweb-coturn-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let certs = Certs::generate();
        std::fs::write(dir.join("cert.pem"), &certs.server_pem).unwrap();
        std::fs::write(dir.join("key.pem"), &certs.server_key_pem).unwrap();
        let port = free_port();
        let mut tls_port = free_port();
        while tls_port == port {
            tls_port = free_port();
        }
        let log = std::fs::File::create(dir.join("turnserver.log")).unwrap();
        let child = Command::new(TURNSERVER)
            .args([
                "-n",
                "--no-cli",
                "--no-dtls",
                "--fingerprint",
                "--lt-cred-mech",
            ])
            .args(["--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1"])
            .arg(format!("--listening-port={port}"))
            .arg(format!("--tls-listening-port={tls_port}"))
            // Keep the RFC 5780 alternative ports away from other instances' ports.
            .arg(format!("--alt-listening-port={}", free_port()))
            .arg(format!("--alt-tls-listening-port={}", free_port()))
            .arg(format!("--user={USER}:{PASSWORD}"))
            .arg(format!("--realm={REALM}"))
            // coturn refuses loopback peers unless told.
            .arg("--allow-loopback-peers")
            .arg(format!("--cert={}", dir.join("cert.pem").display()))
            .arg(format!("--pkey={}", dir.join("key.pem").display()))
            .arg(format!(
                "--pidfile={}",
                dir.join("turnserver.pid").display()
            ))
            .args(["--log-file=stdout", "--simple-log", "--no-stdout-log"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start turnserver");
        let coturn = Self {
            child: Some(child),
            dir,
            port,
            tls_port,
            certs,
        };
        coturn.wait_ready();
        coturn
    }

    pub fn udp_addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    pub fn tls_addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.tls_port))
    }

    fn wait_ready(&self) {
        // Ready when it answers a Binding request on UDP and accepts TCP on both ports.
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let mut req = [0u8; 64];
        let n = rtcweb_stun::BindingRequest::plain([9; 12])
            .encode(&mut req)
            .unwrap();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            let _ = sock.send_to(&req[..n], self.udp_addr());
            let mut buf = [0u8; 512];
            if sock.recv_from(&mut buf).is_ok()
                && TcpStream::connect(self.udp_addr()).is_ok()
                && TcpStream::connect(self.tls_addr()).is_ok()
            {
                return;
            }
        }
        panic!("coturn did not start; log:\n{}", self.log());
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("turnserver.log")).unwrap_or_default()
    }

    /// Kills the server (the "server stopped" case).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn config(&self, transport: Transport) -> Config {
        let server = match transport {
            Transport::Tls => self.tls_addr(),
            _ => self.udp_addr(),
        };
        let mut config = Config::new(server, transport, USER, PASSWORD);
        config.seed = Some(7);
        if transport == Transport::Tls {
            config.tls = Some(self.tls_roots());
        }
        config
    }

    /// TLS verified against the test CA, with the server name 127.0.0.1.
    pub fn tls_roots(&self) -> TlsConfig {
        let mut roots = RootCertStore::empty();
        roots.add(self.certs.ca_der.clone()).unwrap();
        TlsConfig::new(
            ServerName::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST).into()),
            ServerVerification::Roots(Arc::new(roots)),
            Arc::new(DefaultTimeProvider),
        )
        .unwrap()
    }

    /// TLS with the server certificate pinned.
    pub fn tls_pinned(&self) -> TlsConfig {
        TlsConfig::new(
            ServerName::try_from("turn.example").unwrap(),
            ServerVerification::Pinned(self.certs.server_der.clone()),
            Arc::new(DefaultTimeProvider),
        )
        .unwrap()
    }
}

impl Drop for Coturn {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

enum Conn {
    Udp(UdpSocket),
    Stream(TcpStream),
}

/// What a driver saw: client events, and the data relayed from peers.
pub struct Driver {
    pub client: Client,
    conn: Conn,
    pub events: Vec<Event>,
    pub relayed: Vec<(SocketAddr, Vec<u8>)>,
    buf: Vec<u8>,
    pub sent: usize,
}

impl Driver {
    /// Connects to the configured server with the configured transport.
    pub fn connect(config: Config) -> Self {
        let conn = match config.transport {
            Transport::Udp => Conn::Udp(UdpSocket::bind("127.0.0.1:0").unwrap()),
            _ => {
                let s = TcpStream::connect(config.server).unwrap();
                s.set_nodelay(true).unwrap();
                Conn::Stream(s)
            }
        };
        Self {
            client: Client::new(config).unwrap(),
            conn,
            events: vec![],
            relayed: vec![],
            buf: vec![0u8; 70_000],
            sent: 0,
        }
    }

    fn flush(&mut self) {
        while let Some(t) = self.client.poll_transmit() {
            self.sent += 1;
            match &mut self.conn {
                Conn::Udp(s) => {
                    let _ = s.send_to(&t.contents, t.destination);
                }
                Conn::Stream(s) => {
                    let _ = s.write_all(&t.contents);
                }
            }
        }
    }

    /// Sends application data to a peer through the relay.
    pub fn send_to(&mut self, peer: SocketAddr, data: &[u8]) -> Result<(), rtcweb_turn::TurnError> {
        let mut out = Vec::new();
        let t = self.client.send_to(Instant::now(), peer, data, &mut out)?;
        let (dest, bytes) = (t.destination, t.contents.to_vec());
        match &mut self.conn {
            Conn::Udp(s) => {
                s.send_to(&bytes, dest).unwrap();
            }
            Conn::Stream(s) => s.write_all(&bytes).unwrap(),
        }
        Ok(())
    }

    /// Runs the client on real time until `done` holds for an event seen, or `limit` passes.
    /// Returns whether `done` held.
    pub fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&Event) -> bool) -> bool {
        self.run(limit, |events, _| events.iter().any(&mut done))
    }

    /// Runs the client on real time until `done` holds for data relayed from a peer, or
    /// `limit` passes. Returns whether `done` held.
    pub fn run_until_data(
        &mut self,
        limit: Duration,
        mut done: impl FnMut(SocketAddr, &[u8]) -> bool,
    ) -> bool {
        self.run(limit, |_, relayed| {
            relayed.iter().any(|(peer, data)| done(*peer, data))
        })
    }

    /// Runs until `done` holds for the events and relayed data new since the last look.
    fn run(
        &mut self,
        limit: Duration,
        mut done: impl FnMut(&[Event], &[(SocketAddr, Vec<u8>)]) -> bool,
    ) -> bool {
        let start = Instant::now();
        let mut seen = (self.events.len(), self.relayed.len());
        loop {
            self.flush();
            while let Some(e) = self.client.poll_event() {
                self.events.push(e);
            }
            if done(&self.events[seen.0..], &self.relayed[seen.1..]) {
                return true;
            }
            seen = (self.events.len(), self.relayed.len());
            let now = Instant::now();
            if now - start >= limit {
                return false;
            }
            let mut wait = Duration::from_millis(20);
            if let Some(deadline) = self.client.poll_timeout() {
                if deadline <= now {
                    self.client.handle_timeout(now);
                    continue;
                }
                wait = wait.min(deadline - now);
            }
            self.receive(wait.max(Duration::from_millis(1)));
        }
    }

    fn receive(&mut self, wait: Duration) {
        match &mut self.conn {
            Conn::Udp(s) => {
                s.set_read_timeout(Some(wait)).unwrap();
                if let Ok((n, from)) = s.recv_from(&mut self.buf) {
                    let datagram = Datagram {
                        transport: Transport::Udp,
                        local: s.local_addr().unwrap(),
                        remote: from,
                        contents: &self.buf[..n],
                    };
                    match self.client.handle_datagram(Instant::now(), datagram) {
                        Input::Relayed { peer, data } => self.relayed.push((peer, data.to_vec())),
                        Input::Consumed | Input::NotForUs => {}
                    }
                }
            }
            Conn::Stream(s) => {
                s.set_read_timeout(Some(wait)).unwrap();
                match s.read(&mut self.buf) {
                    Ok(0) => {}
                    Ok(n) => {
                        for input in self.client.handle_stream(Instant::now(), &self.buf[..n]) {
                            if let Input::Relayed { peer, data } = input {
                                self.relayed.push((peer, data.to_vec()));
                            }
                        }
                    }
                    Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                    Err(_) => {}
                }
            }
        }
    }

    pub fn allocate(&mut self) -> SocketAddr {
        self.client.allocate(Instant::now()).unwrap();
        assert!(
            self.run_until(Duration::from_secs(10), |e| matches!(
                e,
                Event::Allocated { .. } | Event::Failed(_)
            )),
            "no answer to Allocate"
        );
        match self.events.last() {
            Some(Event::Allocated { relayed, .. }) => *relayed,
            other => panic!("allocation failed: {other:?}"),
        }
    }

    pub fn data_from(&self, peer: SocketAddr) -> Vec<Vec<u8>> {
        self.relayed
            .iter()
            .filter(|(p, _)| *p == peer)
            .map(|(_, data)| data.clone())
            .collect()
    }
}

/// A UDP peer on a loopback address that echoes every datagram back to its sender, prefixed
/// with "echo:", until dropped.
pub struct EchoPeer {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    pub received: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

impl EchoPeer {
    pub fn start(ip: &str) -> Self {
        let sock = UdpSocket::bind((ip, 0)).unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        let addr = sock.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let received = Arc::new(AtomicUsize::new(0));
        let (stop2, received2) = (stop.clone(), received.clone());
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 65536];
            while !stop2.load(Ordering::SeqCst) {
                if let Ok((n, from)) = sock.recv_from(&mut buf) {
                    received2.fetch_add(1, Ordering::SeqCst);
                    let mut reply = b"echo:".to_vec();
                    reply.extend_from_slice(&buf[..n]);
                    let _ = sock.send_to(&reply, from);
                }
            }
        });
        Self {
            addr,
            stop,
            received,
            thread: Some(thread),
        }
    }
}

impl Drop for EchoPeer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
