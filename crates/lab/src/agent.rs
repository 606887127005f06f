//! The orchestrator's side of the lab's line protocol: a peer process (rtcweb's `lab-peer`,
//! aiortc's `lab_peer.py`, or the Chromium or Firefox agent) started inside a lab host's
//! namespace, driven with one JSON command per line on its stdin and answering one JSON
//! reply per line on its stdout. Its stderr goes to the test's.
//!
//! Commands, the same for every kind of peer:
//! - `{"cmd": "configure", "ice_servers": [RTCIceServer...], "policy": "all" | "relay"}`
//! - `{"cmd": "offer"}`: a data channel `echo` and a tone track, then an offer; the reply,
//!   once gathering is complete: `{"sdp": ..., "candidates": [{"mid", "candidate"}...]}`.
//! - `{"cmd": "answer", "sdp", "candidates"}`: applies the offer and the candidates (then
//!   end-of-candidates), adds a tone track, answers: `{"sdp", "candidates"}`.
//! - `{"cmd": "accept", "sdp", "candidates"}`: applies the answer and its candidates.
//! - `{"cmd": "connected", "timeout_ms"}`: waits for the connection: `{"connected": bool,
//!   "ms": time from applying the remote description, "pair": {"local", "remote"},
//!   "state", "failure"}`. Once connected the peer sends its tone.
//! - `{"cmd": "ping", "count"}` (offerer): messages on `echo`, each echoed by the other
//!   side: `{"echoed", "rtt_ms"}`.
//! - `{"cmd": "audio"}`: what the remote track carried so far: `{"frames", "concealed",
//!   "hz"}`.
//! - `{"cmd": "stats"}`: the W3C stats report; `{"cmd": "close"}`.
//!
//! A failed command answers `{"error": ...}`.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::LabError;

/// A running peer process. Dropping it asks it to close, then ends it.
#[derive(Debug)]
pub struct Agent {
    name: String,
    child: Child,
    stdin: ChildStdin,
    replies: mpsc::Receiver<String>,
}

impl Agent {
    /// Starts `command` (already set up to run in a namespace) with piped stdin and stdout.
    pub fn spawn(name: &str, mut command: Command) -> Result<Self, LabError> {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| LabError::Io(format!("{name}: {e}")))?;
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
        Ok(Self {
            name: name.to_owned(),
            child,
            stdin,
            replies,
        })
    }

    /// Its name in reports.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Sends one command and waits up to `timeout` for its reply.
    pub fn call(&mut self, command: Value, timeout: Duration) -> Result<Value, LabError> {
        let cmd = command["cmd"].as_str().unwrap_or("?").to_owned();
        let fail = |what: String| LabError::Agent(format!("{} {cmd}: {what}", self.name));
        writeln!(self.stdin, "{command}")
            .and_then(|()| self.stdin.flush())
            .map_err(|e| fail(format!("cannot write: {e}")))?;
        let line = match self.replies.recv_timeout(timeout) {
            Ok(line) => line,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                return Err(fail(format!("no reply in {timeout:?}")));
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(fail(format!("exited ({:?})", self.child.wait())));
            }
        };
        parse_reply(&line).map_err(fail)
    }
}

/// An agent's reply line: its JSON object, or what is wrong with it (not JSON, or an
/// `error` member: the command failed).
pub fn parse_reply(line: &str) -> Result<Value, String> {
    let reply: Value =
        serde_json::from_str(line).map_err(|e| format!("not JSON ({e}): {line:.200}"))?;
    if let Some(error) = reply.get("error") {
        return Err(format!("failed: {error}"));
    }
    Ok(reply)
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "{}", json!({ "cmd": "close" }));
        let _ = self.stdin.flush();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
