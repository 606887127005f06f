//! Headless Firefox (Debian's `firefox-esr`, never a download) driven over WebDriver BiDi,
//! which Firefox serves itself (`--remote-debugging-port`): a small blocking client over
//! one WebSocket, with a fresh profile whose `user.js` sets the preferences a test asks
//! for.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tungstenite::{Message, WebSocket};

use crate::LabError;

/// Debian's Firefox ESR.
pub const FIREFOX: &str = "/usr/bin/firefox-esr";

/// Preferences every test profile gets: no update, telemetry or remote-settings traffic
/// (the machine has no outside network), fake media devices without a prompt, autoplay
/// allowed.
const BASE_PREFS: &[(&str, &str)] = &[
    ("app.update.disabledForTesting", "true"),
    ("browser.shell.checkDefaultBrowser", "false"),
    ("browser.safebrowsing.malware.enabled", "false"),
    ("browser.safebrowsing.phishing.enabled", "false"),
    ("datareporting.policy.dataSubmissionEnabled", "false"),
    ("toolkit.telemetry.enabled", "false"),
    ("network.captive-portal-service.enabled", "false"),
    ("network.connectivity-service.enabled", "false"),
    ("messaging-system.rsexperimentloader.enabled", "false"),
    ("services.settings.server", "\"http://127.0.0.1:1/\""),
    ("extensions.update.enabled", "false"),
    ("media.navigator.streams.fake", "true"),
    ("media.navigator.permission.disabled", "true"),
    ("media.autoplay.default", "0"),
    ("media.autoplay.block-webaudio", "false"),
    ("media.autoplay.blocking_policy", "0"),
];

/// A headless Firefox with a fresh profile and a WebDriver BiDi session on one tab.
/// Dropping it ends the session, closes the browser and removes the profile.
#[derive(Debug)]
pub struct Firefox {
    child: Child,
    profile: PathBuf,
    ws: WebSocket<TcpStream>,
    next_id: u64,
    context: String,
    version: String,
}

fn io(what: &str) -> impl FnOnce(std::io::Error) -> LabError + '_ {
    move |e| LabError::Io(format!("{what}: {e}"))
}

impl Firefox {
    /// Starts Firefox with these preferences (name and JavaScript value, as `user.js`
    /// writes them: `"true"`, `"0"`, `"\"text\""`) on top of the base ones, opens a BiDi
    /// session and takes its first tab.
    pub fn launch(prefs: &[(&str, &str)]) -> Result<Self, LabError> {
        if !std::path::Path::new(FIREFOX).exists() {
            return Err(LabError::Missing(
                "firefox-esr (`cargo xtask test` installs Debian's firefox-esr)",
            ));
        }
        let profile = std::env::temp_dir().join(format!(
            "rtcweb-firefox-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        std::fs::create_dir_all(&profile).map_err(io("profile"))?;
        let user_js: String = BASE_PREFS
            .iter()
            .chain(prefs)
            .map(|(k, v)| format!("user_pref(\"{k}\", {v});\n"))
            .collect();
        std::fs::write(profile.join("user.js"), user_js).map_err(io("user.js"))?;
        let mut child = Command::new(FIREFOX)
            .args(["--headless", "--no-remote", "--remote-debugging-port=0"])
            .arg("--profile")
            .arg(&profile)
            .arg("about:blank")
            .env("MOZ_CRASHREPORTER_DISABLE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(io("firefox"))?;
        // Firefox prints its BiDi URL on stderr; the rest is drained.
        let stderr = child.stderr.take().expect("piped stderr");
        let (url_tx, url_rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("WebDriver BiDi listening on ") {
                    let _ = url_tx.send(url.trim().to_owned());
                } else if std::env::var_os("RTCWEB_FIREFOX_LOG").is_some() {
                    eprintln!("firefox: {line}");
                }
            }
        });
        let Ok(url) = url_rx.recv_timeout(Duration::from_secs(60)) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(LabError::Io("firefox printed no BiDi URL in 60 s".into()));
        };
        let host = url
            .strip_prefix("ws://")
            .and_then(|rest| rest.split('/').next())
            .ok_or_else(|| LabError::Io(format!("not a ws:// URL: {url}")))?
            .to_owned();
        let stream = TcpStream::connect(&host).map_err(io("BiDi port"))?;
        stream
            .set_read_timeout(Some(Duration::from_secs(120)))
            .map_err(io("read timeout"))?;
        let (ws, _) = tungstenite::client(format!("ws://{host}/session"), stream)
            .map_err(|e| LabError::Io(format!("BiDi WebSocket: {e}")))?;
        let mut ff = Self {
            child,
            profile,
            ws,
            next_id: 1,
            context: String::new(),
            version: String::new(),
        };
        let session = ff.call("session.new", json!({ "capabilities": {} }))?;
        ff.version = format!(
            "Firefox {}",
            session["capabilities"]["browserVersion"]
                .as_str()
                .unwrap_or("?")
        );
        let tree = ff.call("browsingContext.getTree", json!({}))?;
        ff.context = tree["contexts"][0]["context"]
            .as_str()
            .ok_or_else(|| LabError::Agent("BiDi: no browsing context".into()))?
            .to_owned();
        Ok(ff)
    }

    /// "Firefox 153.x".
    pub fn version(&self) -> &str {
        &self.version
    }

    /// One BiDi command: its result, or the protocol's error.
    pub fn call(&mut self, method: &str, params: Value) -> Result<Value, LabError> {
        let id = self.next_id;
        self.next_id += 1;
        let request = json!({ "id": id, "method": method, "params": params });
        let bidi = |e: tungstenite::Error| LabError::Agent(format!("BiDi {method}: {e}"));
        self.ws
            .send(Message::text(request.to_string()))
            .map_err(bidi)?;
        loop {
            let Message::Text(text) = self.ws.read().map_err(bidi)? else {
                continue;
            };
            let value: Value = serde_json::from_str(text.as_str())
                .map_err(|e| LabError::Agent(format!("BiDi sent no JSON: {e}")))?;
            if value["id"].as_u64() != Some(id) {
                continue; // an event
            }
            if value["type"] == "error" {
                return Err(LabError::Agent(format!(
                    "BiDi {method} failed: {} {}",
                    value["error"], value["message"]
                )));
            }
            return Ok(value["result"].clone());
        }
    }

    /// Loads `url` in the tab and waits until it is complete.
    pub fn navigate(&mut self, url: &str) -> Result<(), LabError> {
        let context = self.context.clone();
        self.call(
            "browsingContext.navigate",
            json!({ "context": context, "url": url, "wait": "complete" }),
        )
        .map(drop)
    }

    /// Evaluates JavaScript in the tab, awaiting a promise; the value as JSON (it goes
    /// through `JSON.stringify`; `null` for `undefined`). A thrown exception is an error
    /// with its message.
    pub fn evaluate(&mut self, expression: &str) -> Result<Value, LabError> {
        let context = self.context.clone();
        let wrapped = format!(
            "(async () => {{ const v = await ({expression}); \
             return v === undefined ? 'null' : JSON.stringify(v); }})()"
        );
        let started = Instant::now();
        let result = self.call(
            "script.evaluate",
            json!({
                "expression": wrapped,
                "target": { "context": context },
                "awaitPromise": true,
                "resultOwnership": "none",
            }),
        )?;
        if result["type"] == "exception" {
            return Err(LabError::Agent(format!(
                "JavaScript threw after {:?}: {}",
                started.elapsed(),
                result["exceptionDetails"]["text"]
            )));
        }
        let text = result["result"]["value"].as_str().unwrap_or("null");
        serde_json::from_str(text)
            .map_err(|e| LabError::Agent(format!("not JSON from the page ({e}): {text}")))
    }
}

impl Drop for Firefox {
    fn drop(&mut self) {
        let id = self.next_id;
        let _ = self.ws.send(Message::text(
            json!({ "id": id, "method": "browser.close", "params": {} }).to_string(),
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
