//! # rtcweb-lab: real networks for rtcweb's tests
//!
//! A NAT lab built from Linux network namespaces: a "wan" with coturn on it, two NAT
//! routers (iptables `MASQUERADE`, port-keeping or symmetric, with optional random loss or
//! UDP blocked), a host behind each, and a host on the wan with a public address. Peers
//! (rtcweb's `lab-peer`, aiortc, headless Chromium or Firefox) run inside the hosts'
//! namespaces as child processes, driven over one line protocol ([`agent`]). Every
//! address is from the RFC 5737 documentation ranges and exists only inside the lab.
//!
//! Needs root, `ip` (iproute2) and `iptables`; [`lab_unavailable`] says why not when a
//! test should skip. Not published: it serves the tests.
#![allow(clippy::disallowed_methods)] // the lab runs processes and reads the clock

pub mod agent;
pub mod aiortc;
pub mod browser;
pub mod case;
pub mod chromium;
mod coturn;
pub mod firefox;
pub mod isolate;
mod netns;
pub mod sound;
mod topology;

pub use agent::Agent;
pub use coturn::{Coturn, PASSWORD, PORT, REALM, TLS_PORT, USER};
pub use netns::{Namespace, lab_unavailable};
pub use sound::SoundServer;
pub use topology::{Nat, NatLab, SERVER, Site, WAN_HOST, Wan};

/// What went wrong building or driving the lab.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LabError {
    /// A command (`ip`, `iptables`, ...) failed: what it was and what it said.
    Command(String),
    /// A program the lab needs is not installed.
    Missing(&'static str),
    /// Files or processes.
    Io(String),
    /// A peer process failed a command or did not answer.
    Agent(String),
}

impl std::fmt::Display for LabError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Command(s) => write!(f, "command failed: {s}"),
            Self::Missing(s) => write!(f, "missing: {s}"),
            Self::Io(s) => write!(f, "{s}"),
            Self::Agent(s) => write!(f, "{s}"),
        }
    }
}

impl std::error::Error for LabError {}
