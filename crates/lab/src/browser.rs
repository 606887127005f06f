//! What the Chromium (DevTools) and Firefox (WebDriver BiDi) clients share: a browser
//! process started with a fresh profile, the WebSocket URL it prints on stderr, and the
//! JSON commands over that WebSocket (`{id, method, params}`, answered by the message with
//! the same id; events are skipped). Dropping it asks the browser to close, then ends the
//! process and removes the profile.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tungstenite::{Message, WebSocket};

use crate::LabError;

pub(crate) fn io(what: &str) -> impl FnOnce(std::io::Error) -> LabError + '_ {
    move |e| LabError::Io(format!("{what}: {e}"))
}

/// A new empty profile directory in the temporary directory.
pub(crate) fn fresh_profile(browser: &str) -> Result<PathBuf, LabError> {
    let profile = std::env::temp_dir().join(format!(
        "rtcweb-{browser}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    std::fs::create_dir_all(&profile).map_err(io("profile"))?;
    Ok(profile)
}

/// How a browser announces its endpoint and how its client talks.
pub(crate) struct Protocol {
    /// The browser, in messages.
    pub(crate) name: &'static str,
    /// The stderr line prefix before the WebSocket URL.
    pub(crate) banner: &'static str,
    /// The variable that, when set, copies the browser's other stderr lines to ours.
    pub(crate) log_var: &'static str,
    /// How long the browser may take to print it.
    pub(crate) wait: Duration,
    /// The WebSocket path to connect to, from the printed URL (its host stripped).
    pub(crate) path: fn(&str) -> String,
    /// The command that closes the browser.
    pub(crate) close: &'static str,
    /// The protocol's error in a reply, if the reply is one.
    pub(crate) error: fn(&Value) -> Option<String>,
}

/// A running browser and the WebSocket to it.
#[derive(Debug)]
pub(crate) struct BrowserProcess {
    child: Child,
    profile: PathBuf,
    ws: WebSocket<TcpStream>,
    next_id: u64,
    name: &'static str,
    close: &'static str,
    error: fn(&Value) -> Option<String>,
}

impl BrowserProcess {
    /// Starts `command` (its stderr is taken here) and connects to the URL it prints.
    pub(crate) fn start(
        mut command: Command,
        profile: PathBuf,
        protocol: &Protocol,
    ) -> Result<Self, LabError> {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(io(protocol.name))?;
        // The URL comes on stderr; the rest is drained so that the browser never blocks
        // on a full pipe.
        let stderr = child.stderr.take().expect("piped stderr");
        let (url_tx, url_rx) = mpsc::channel();
        let (banner, log_var, name) = (protocol.banner, protocol.log_var, protocol.name);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix(banner) {
                    let _ = url_tx.send(url.trim().to_owned());
                } else if std::env::var_os(log_var).is_some() {
                    eprintln!("{name}: {line}");
                }
            }
        });
        let connect = |url: String| -> Result<WebSocket<TcpStream>, LabError> {
            let host = url
                .strip_prefix("ws://")
                .and_then(|rest| rest.split('/').next())
                .ok_or_else(|| LabError::Io(format!("not a ws:// URL: {url}")))?;
            let stream = TcpStream::connect(host).map_err(io("the browser's port"))?;
            stream
                .set_read_timeout(Some(Duration::from_secs(120)))
                .map_err(io("read timeout"))?;
            let target = format!("ws://{host}{}", (protocol.path)(&url));
            let (ws, _) = tungstenite::client(target, stream)
                .map_err(|e| LabError::Io(format!("{name} WebSocket: {e}")))?;
            Ok(ws)
        };
        let ws = match url_rx.recv_timeout(protocol.wait) {
            Ok(url) => connect(url),
            Err(_) => Err(LabError::Io(format!(
                "{name} printed no endpoint in {:?}",
                protocol.wait
            ))),
        };
        let ws = match ws {
            Ok(ws) => ws,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                let _ = std::fs::remove_dir_all(&profile);
                return Err(e);
            }
        };
        Ok(Self {
            child,
            profile,
            ws,
            next_id: 1,
            name,
            close: protocol.close,
            error: protocol.error,
        })
    }

    /// One command (`fields` are added to it, as CDP's `sessionId`): its result, or the
    /// protocol's error.
    pub(crate) fn call(
        &mut self,
        method: &str,
        params: Value,
        fields: Option<(&str, Value)>,
    ) -> Result<Value, LabError> {
        let id = self.next_id;
        self.next_id += 1;
        let mut request = json!({ "id": id, "method": method, "params": params });
        if let Some((k, v)) = fields {
            request[k] = v;
        }
        let name = self.name;
        let failed = |e: tungstenite::Error| LabError::Agent(format!("{name} {method}: {e}"));
        self.ws
            .send(Message::text(request.to_string()))
            .map_err(failed)?;
        loop {
            let Message::Text(text) = self.ws.read().map_err(failed)? else {
                continue;
            };
            let value: Value = serde_json::from_str(text.as_str())
                .map_err(|e| LabError::Agent(format!("{name} sent no JSON: {e}")))?;
            if value["id"].as_u64() != Some(id) {
                continue; // an event
            }
            if let Some(error) = (self.error)(&value) {
                return Err(LabError::Agent(format!("{name} {method} failed: {error}")));
            }
            return Ok(value["result"].clone());
        }
    }
}

impl Drop for BrowserProcess {
    fn drop(&mut self) {
        // Ask nicely, then end the process we started.
        let id = self.next_id;
        let _ = self.ws.send(Message::text(
            json!({ "id": id, "method": self.close, "params": {} }).to_string(),
        ));
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Whether a browser at `path` is installed: a test that needs it skips with a message
/// when it is not, except under CI (`CI` set), where `cargo xtask test` installs it and
/// its absence is a failure.
pub fn installed(path: &str, package: &str) -> bool {
    if std::path::Path::new(path).exists() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{path} is missing under CI: `cargo xtask test` installs Debian's {package}"
    );
    println!("SKIPPED: {path} is not installed (`cargo xtask test` installs Debian's {package})");
    false
}
