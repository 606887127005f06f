//! coturn (Debian's `turnserver`) on the lab's wan: STUN and TURN over UDP, TCP and TLS
//! with long-term credentials, on [`crate::SERVER`].

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use rcgen::{CertificateParams, KeyPair, SanType};

use crate::LabError;
use crate::netns::Namespace;
use crate::topology::SERVER;

/// coturn's binary.
pub(crate) const TURNSERVER: &str = "/usr/bin/turnserver";
/// The long-term credential user the server knows.
pub const USER: &str = "lab";
/// Its password.
pub const PASSWORD: &str = "nat-lab-secret";
/// The server's realm.
pub const REALM: &str = "lab.rtcweb.test";
/// STUN/TURN over UDP and TCP.
pub const PORT: u16 = 3478;
/// TURN over TLS.
pub const TLS_PORT: u16 = 5349;

/// A coturn process in a namespace, killed on drop.
#[derive(Debug)]
pub struct Coturn {
    child: Child,
    dir: PathBuf,
    /// The server certificate (DER), self-signed for [`SERVER`]: clients pin it.
    pub certificate: Vec<u8>,
}

impl Coturn {
    /// Starts coturn in `ns` on [`SERVER`] and waits until it listens on every port.
    pub fn start(ns: &Namespace) -> Result<Self, LabError> {
        Self::start_on(ns, &[IpAddr::V4(SERVER)])
    }

    /// Starts coturn in `ns` listening on each of `addresses` (IPv4 or IPv6; the namespace
    /// must hold them), relaying from the first, and waits until it listens on every port
    /// of each. The certificate names [`SERVER`] (clients that check it pin it).
    pub fn start_on(ns: &Namespace, addresses: &[IpAddr]) -> Result<Self, LabError> {
        Self::start_named(ns, addresses, &[])
    }

    /// As [`start_on`](Self::start_on), with `names` (DNS names) in the certificate too:
    /// a client that trusts the certificate as a root checks a `turns:` URL by name.
    pub fn start_named(
        ns: &Namespace,
        addresses: &[IpAddr],
        names: &[&str],
    ) -> Result<Self, LabError> {
        let Some(&relay) = addresses.first() else {
            return Err(LabError::Io(
                "coturn needs an address to listen on".to_owned(),
            ));
        };
        if !std::path::Path::new(TURNSERVER).exists() {
            return Err(LabError::Missing(
                "coturn (`cargo xtask test` installs Debian's coturn)",
            ));
        }
        let dir = std::env::temp_dir().join(format!("{}-coturn", ns.name()));
        std::fs::create_dir_all(&dir).map_err(|e| LabError::Io(e.to_string()))?;
        let mut params = CertificateParams::new(Vec::<String>::new())
            .map_err(|e| LabError::Io(e.to_string()))?;
        params
            .subject_alt_names
            .push(SanType::IpAddress(IpAddr::V4(SERVER)));
        for name in names {
            let name = (*name)
                .try_into()
                .map_err(|e: rcgen::Error| LabError::Io(e.to_string()))?;
            params.subject_alt_names.push(SanType::DnsName(name));
        }
        let key = KeyPair::generate().map_err(|e| LabError::Io(e.to_string()))?;
        let cert = params
            .self_signed(&key)
            .map_err(|e| LabError::Io(e.to_string()))?;
        let write = |name: &str, text: &str| {
            std::fs::write(dir.join(name), text).map_err(|e| LabError::Io(e.to_string()))
        };
        write("cert.pem", &cert.pem())?;
        write("key.pem", &key.serialize_pem())?;
        let log = std::fs::File::create(dir.join("turnserver.log"))
            .map_err(|e| LabError::Io(e.to_string()))?;
        let log2 = log.try_clone().map_err(|e| LabError::Io(e.to_string()))?;
        let child = ns
            .command(TURNSERVER)
            .args([
                "-n",
                "-V",
                "--no-cli",
                "--no-dtls",
                "--fingerprint",
                "--lt-cred-mech",
            ])
            .args(addresses.iter().map(|ip| format!("--listening-ip={ip}")))
            .arg(format!("--relay-ip={relay}"))
            .arg(format!("--listening-port={PORT}"))
            .arg(format!("--tls-listening-port={TLS_PORT}"))
            .arg(format!("--user={USER}:{PASSWORD}"))
            .arg(format!("--realm={REALM}"))
            .arg(format!("--cert={}", dir.join("cert.pem").display()))
            .arg(format!("--pkey={}", dir.join("key.pem").display()))
            .arg(format!(
                "--pidfile={}",
                dir.join("turnserver.pid").display()
            ))
            .args(["--log-file=stdout", "--simple-log", "--no-stdout-log"])
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2)
            .spawn()
            .map_err(|e| LabError::Io(format!("turnserver: {e}")))?;
        let coturn = Self {
            child,
            dir,
            certificate: cert.der().to_vec(),
        };
        // Ready once it listens on UDP, TCP and TLS.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let listening = ns.sh("ss -Hlnut").unwrap_or_default();
            let on = |proto: &str, ip: IpAddr, port: u16| {
                let at = SocketAddr::new(ip, port).to_string();
                listening
                    .lines()
                    .any(|l| l.starts_with(proto) && l.contains(&at))
            };
            let ready = addresses
                .iter()
                .all(|&ip| on("udp", ip, PORT) && on("tcp", ip, PORT) && on("tcp", ip, TLS_PORT));
            if ready {
                return Ok(coturn);
            }
            if Instant::now() > deadline {
                return Err(LabError::Io(format!(
                    "coturn did not start; log:\n{}",
                    coturn.log()
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// UDP and TCP address.
    pub fn address(&self) -> SocketAddr {
        SocketAddr::from((SERVER, PORT))
    }

    /// TLS address.
    pub fn tls_address(&self) -> SocketAddr {
        SocketAddr::from((SERVER, TLS_PORT))
    }

    /// Where the certificate is as PEM (for clients that read a file).
    pub fn certificate_pem_path(&self) -> PathBuf {
        self.dir.join("cert.pem")
    }

    /// What the server logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("turnserver.log")).unwrap_or_default()
    }
}

impl Drop for Coturn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
