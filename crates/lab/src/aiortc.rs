//! aiortc (the Python WebRTC stack, from PyPI) for the tests: a virtualenv made once under
//! the target directory with the pinned `aiortc/requirements.txt`, and the lab's own peer
//! (`aiortc/lab_peer.py`, the lab's line protocol).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::Instant;

use crate::LabError;

/// The aiortc release the tests pin (with its dependencies, in `requirements.txt`).
pub const AIORTC_VERSION: &str = "1.16.0";

/// This crate's `aiortc/` folder: `requirements.txt` and `lab_peer.py`.
pub const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/aiortc");

/// The lab peer script.
pub fn lab_peer_script() -> PathBuf {
    Path::new(DIR).join("lab_peer.py")
}

/// Whether `python3` runs here.
pub fn python3_present() -> bool {
    Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The Python of a virtualenv with aiortc installed, `<tmp>/aiortc-venv-<version>/bin/python`,
/// made now if it is not there yet (this needs PyPI, so call it before entering a network
/// namespace). The virtualenv is built under a temporary name and renamed when complete,
/// so an interrupted install is never used; tests of one process share it, and other
/// processes that race to make it use whichever finished first.
pub fn python(tmp: &Path) -> Result<PathBuf, LabError> {
    static MADE: Mutex<Option<PathBuf>> = Mutex::new(None);
    let mut made = MADE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = made.as_ref() {
        return Ok(p.clone());
    }
    let p = make_venv(tmp)?;
    *made = Some(p.clone());
    Ok(p)
}

fn make_venv(tmp: &Path) -> Result<PathBuf, LabError> {
    let venv = tmp.join(format!("aiortc-venv-{AIORTC_VERSION}"));
    let python = venv.join("bin/python");
    if python.exists() {
        return Ok(python);
    }
    let io = |e: std::io::Error| LabError::Io(e.to_string());
    std::fs::create_dir_all(tmp).map_err(io)?;
    let partial = tmp.join(format!(
        "aiortc-venv-{AIORTC_VERSION}.partial-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&partial);
    let start = Instant::now();
    let status = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&partial)
        .status()
        .map_err(io)?;
    if !status.success() {
        return Err(LabError::Command(format!(
            "`python3 -m venv` failed ({status}): Debian's python3 needs python3-venv"
        )));
    }
    let status = Command::new(partial.join("bin/python"))
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .arg("-r")
        .arg(Path::new(DIR).join("requirements.txt"))
        .status()
        .map_err(io)?;
    if !status.success() {
        return Err(LabError::Command(format!(
            "pip could not install aiortc=={AIORTC_VERSION} ({status})"
        )));
    }
    if venv.exists() && !python.exists() {
        // A virtualenv left from another Python: made again.
        let _ = std::fs::remove_dir_all(&venv);
    }
    match std::fs::rename(&partial, &venv) {
        Ok(()) => {}
        // Another process finished first: use its virtualenv.
        Err(_) if python.exists() => {
            let _ = std::fs::remove_dir_all(&partial);
        }
        Err(e) => return Err(io(e)),
    }
    eprintln!(
        "aiortc {AIORTC_VERSION}: virtualenv made and installed from PyPI in {:.1} s ({})",
        start.elapsed().as_secs_f64(),
        venv.display()
    );
    Ok(python)
}
