//! Installing what tests and the demo need: Debian packages and cargo-fuzz.

use std::path::Path;
use std::process::Command;

use crate::{Requirement, run};

/// Installs the Debian packages of `requirements` that are missing, saying what and why.
pub(crate) fn ensure(requirements: &[Requirement]) -> Result<(), String> {
    let missing: Vec<&Requirement> = requirements
        .iter()
        .filter(|r| !Path::new(r.marker).exists())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    for r in &missing {
        eprintln!("xtask: installing {} ({})", r.package, r.why);
    }
    let sudo = !is_root();
    let apt = |args: &[&str]| {
        let mut c = if sudo {
            let mut c = Command::new("sudo");
            c.arg("apt-get");
            c
        } else {
            Command::new("apt-get")
        };
        c.env("DEBIAN_FRONTEND", "noninteractive").args(args);
        c
    };
    run(apt(&["update", "-q"]))?;
    let mut install = apt(&["install", "-y", "-q", "--no-install-recommends"]);
    install.args(missing.iter().map(|r| r.package));
    run(install)?;
    // coturn's Debian package starts a system service on 3478; tests start their own
    // servers on free ports, so the service is stopped to leave the machine as it was.
    if missing.iter().any(|r| r.package == "coturn") {
        let _ = Command::new("service").args(["coturn", "stop"]).status();
    }
    match missing.iter().find(|r| !Path::new(r.marker).exists()) {
        Some(r) => Err(format!(
            "{} was installed but {} is still missing",
            r.package, r.marker
        )),
        None => Ok(()),
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Installs cargo-fuzz from crates.io when `cargo fuzz` is not available.
pub(crate) fn ensure_cargo_fuzz() -> Result<(), String> {
    let present = Command::new("cargo")
        .args(["fuzz", "--version"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if present {
        return Ok(());
    }
    eprintln!("xtask: installing cargo-fuzz (runs the fuzz targets)");
    let mut c = Command::new("cargo");
    c.args(["install", "cargo-fuzz", "--locked"]);
    run(c)
}
