//! aiortc (the Python WebRTC stack, from PyPI) as an interop peer: the virtualenv of
//! rtcweb-lab (made once under the target directory, pinned), and `peer.py` beside
//! this file run in it as a child process, driven with one JSON object per line on its
//! stdin and answering one per line on its stdout.
#![allow(dead_code, unreachable_pub)] // shared by test binaries, each using a part

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The aiortc release the tests pin (with its dependencies, in rtcweb-lab's
/// `aiortc/requirements.txt`).
pub const AIORTC_VERSION: &str = rtcweb_lab::aiortc::AIORTC_VERSION;

const HERE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/aiortc");

/// How long one command may take (an offer or answer gathers candidates first).
const REPLY_TIMEOUT: Duration = Duration::from_secs(30);

/// The Python that runs `peer.py`: the virtualenv's (rtcweb-lab makes it once, under the
/// target directory; this needs PyPI, so it is called before the test enters its network
/// namespace). `None` when `python3` is missing: the test is skipped with a message,
/// except under CI (`CI` set), where that is a failure.
pub fn python() -> Option<PathBuf> {
    if !rtcweb_lab::aiortc::python3_present() {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 is missing under CI: the aiortc interop tests need CPython 3 with venv"
        );
        println!("SKIPPED: python3 is not installed (the aiortc interop tests need it)");
        return None;
    }
    Some(
        rtcweb_lab::aiortc::python(Path::new(env!("CARGO_TARGET_TMPDIR")))
            .unwrap_or_else(|e| panic!("aiortc virtualenv: {e}")),
    )
}

/// A running `peer.py`. Dropping it asks it to close, then ends the process.
pub struct Aiortc {
    child: Child,
    stdin: ChildStdin,
    replies: mpsc::Receiver<String>,
}

impl Aiortc {
    /// Starts `peer.py` with the virtualenv's `python`; its stderr goes to the test's.
    pub fn start(python: &Path) -> Self {
        let mut child = Command::new(python)
            .arg(Path::new(HERE).join("peer.py"))
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("peer.py starts");
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, replies) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            stdin,
            replies,
        }
    }

    /// The aiortc version the peer runs.
    pub fn version(&self) -> &'static str {
        AIORTC_VERSION
    }

    /// Sends one command and waits for its reply; an `error` reply, a dead process or no
    /// reply in time is a panic.
    pub fn call(&mut self, command: Value) -> Value {
        let name = command["cmd"].as_str().unwrap_or("?").to_owned();
        writeln!(self.stdin, "{command}")
            .and_then(|()| self.stdin.flush())
            .unwrap_or_else(|e| panic!("aiortc {name}: cannot write to peer.py: {e}"));
        let line = match self.replies.recv_timeout(REPLY_TIMEOUT) {
            Ok(line) => line,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                panic!("aiortc {name}: no reply in {REPLY_TIMEOUT:?}")
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let status = self.child.wait();
                panic!("aiortc {name}: peer.py exited ({status:?})")
            }
        };
        let reply: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("aiortc {name}: not JSON ({e}): {line}"));
        if let Some(error) = reply.get("error") {
            panic!("aiortc {name} failed: {error}");
        }
        reply
    }

    /// aiortc's offer (candidates gathered) with its tone track, and a data channel
    /// `echo` when `channel`.
    pub fn offer(&mut self, channel: bool) -> String {
        self.sdp(json!({ "cmd": "offer", "channel": channel }))
    }

    /// aiortc's answer to `offer` (candidates gathered), with its tone track.
    pub fn answer(&mut self, offer: &str) -> String {
        self.sdp(json!({ "cmd": "answer", "sdp": offer }))
    }

    /// aiortc's offer (candidates gathered) with its moving video pattern.
    pub fn offer_video(&mut self) -> String {
        self.sdp(json!({ "cmd": "offer", "video": true }))
    }

    /// aiortc's answer to `offer` (candidates gathered), with its moving video pattern.
    pub fn answer_video(&mut self, offer: &str) -> String {
        self.sdp(json!({ "cmd": "answer", "sdp": offer, "video": true }))
    }

    /// Applies our answer.
    pub fn accept(&mut self, answer: &str) {
        self.call(json!({ "cmd": "accept", "sdp": answer }));
    }

    /// A trickled candidate of ours (`a=candidate` value); `None` for end-of-candidates.
    pub fn candidate(&mut self, mid: &str, candidate: Option<&str>) {
        self.call(json!({ "cmd": "candidate", "mid": mid, "candidate": candidate }));
    }

    /// What aiortc saw (see `peer.py`).
    pub fn stats(&mut self) -> Value {
        self.call(json!({ "cmd": "stats" }))
    }

    fn sdp(&mut self, command: Value) -> String {
        let reply = self.call(command);
        reply["sdp"].as_str().expect("an SDP").to_owned()
    }
}

impl Drop for Aiortc {
    fn drop(&mut self) {
        // Ask it to close, then end the process we started.
        let _ = writeln!(self.stdin, "{}", json!({ "cmd": "close" }));
        let _ = self.stdin.flush();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
