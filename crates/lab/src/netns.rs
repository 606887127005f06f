//! Named network namespaces (`ip netns add`), deleted on drop, and commands run inside
//! them (`ip netns exec`).

use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::LabError;

/// Whether this process may build a lab: it runs as root and `ip netns add` works. The
/// answer is the reason it cannot, when it cannot.
pub fn lab_unavailable() -> Option<String> {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if !root {
        return Some("not root: the NAT lab needs network namespaces and iptables".to_owned());
    }
    for tool in ["/usr/sbin/ip", "/usr/sbin/iptables"] {
        if !std::path::Path::new(tool).exists() {
            return Some(format!(
                "{tool} is missing (`cargo xtask test` installs iproute2 and iptables)"
            ));
        }
    }
    let probe = Namespace::new("probe");
    match probe {
        Ok(_) => None,
        Err(e) => Some(format!("network namespaces are not available here: {e}")),
    }
}

/// A network namespace of this process, deleted (with every interface in it and every
/// process still inside killed) when dropped.
#[derive(Debug)]
pub struct Namespace {
    name: String,
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

impl Namespace {
    /// A new namespace named after `role`, this process and a counter (so that parallel
    /// tests never share one), with `lo` up.
    pub fn new(role: &str) -> Result<Self, LabError> {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("rtcweb-{}-{n}-{role}", std::process::id());
        run(Command::new("ip").args(["netns", "add", &name]))?;
        let ns = Self { name };
        ns.ip(&["link", "set", "lo", "up"])?;
        Ok(ns)
    }

    /// Its name, for `ip netns exec` and `ip -n`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `ip -n <ns> <args>`.
    pub fn ip(&self, args: &[&str]) -> Result<(), LabError> {
        run(Command::new("ip").arg("-n").arg(&self.name).args(args)).map(drop)
    }

    /// A shell command line run inside the namespace; fails with its stderr.
    pub fn sh(&self, script: &str) -> Result<String, LabError> {
        let out = run(self.command("sh").args(["-c", script]))?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Moves the calling thread into the namespace (setns(2)): the sockets it opens and the
    /// threads it starts from then on are the namespace's; the process's other threads
    /// stay where they are. For a peer of the test itself inside the namespace: start a
    /// thread, enter, then build its runtime there.
    pub fn enter_on_this_thread(&self) -> Result<(), LabError> {
        let path = format!("/var/run/netns/{}", self.name);
        let file = std::fs::File::open(&path).map_err(|e| LabError::Io(format!("{path}: {e}")))?;
        rustix::thread::move_into_link_name_space(
            std::os::fd::AsFd::as_fd(&file),
            Some(rustix::thread::LinkNameSpaceType::Network),
        )
        .map_err(|e| LabError::Io(format!("setns {path}: {e}")))
    }

    /// `program` to be run inside the namespace (`ip netns exec <ns> program`); add
    /// arguments and spawn it.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name]).arg(program);
        c
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        // Processes left inside would keep it alive: end them first.
        let _ = Command::new("ip")
            .args(["netns", "pids", &self.name])
            .output()
            .map(|o| {
                for pid in String::from_utf8_lossy(&o.stdout).split_whitespace() {
                    let _ = Command::new("kill").args(["-9", pid]).status();
                }
            });
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .stderr(Stdio::null())
            .status();
    }
}

/// Runs a command to completion; a failure carries the command and its stderr.
pub(crate) fn run(cmd: &mut Command) -> Result<Output, LabError> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| LabError::Command(format!("{cmd:?}: {e}")))?;
    if out.status.success() {
        Ok(out)
    } else {
        Err(LabError::Command(format!(
            "{cmd:?}: {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}
