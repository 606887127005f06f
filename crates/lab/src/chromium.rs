//! Headless Chromium (Debian's `/usr/bin/chromium`, never a download) driven over the
//! DevTools protocol: a small blocking CDP client over one WebSocket, with flattened
//! sessions (one per page), and a page server on 127.0.0.1 (a secure context for
//! `getUserMedia`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tungstenite::{Message, WebSocket};

use crate::LabError;

/// Debian's Chromium.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// The flags that work on this kind of machine (as root, no GPU, no outside network).
const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
    "--remote-debugging-port=0",
];

/// A headless Chromium with a fresh profile, and the DevTools WebSocket to it. Dropping it
/// closes the browser and removes the profile.
#[derive(Debug)]
pub struct Chromium {
    child: Child,
    profile: PathBuf,
    ws: WebSocket<TcpStream>,
    next_id: u64,
}

fn io(what: &str) -> impl FnOnce(std::io::Error) -> LabError + '_ {
    move |e| LabError::Io(format!("{what}: {e}"))
}

impl Chromium {
    /// Starts Chromium with `extra` flags and connects to its DevTools endpoint.
    pub fn launch(extra: &[&str]) -> Result<Self, LabError> {
        if !std::path::Path::new(CHROMIUM).exists() {
            return Err(LabError::Missing(
                "chromium (`cargo xtask test` installs Debian's chromium)",
            ));
        }
        let profile = std::env::temp_dir().join(format!(
            "rtcweb-lab-chromium-{}-{:?}",
            std::process::id(),
            Instant::now()
        ));
        let profile = PathBuf::from(profile.to_string_lossy().replace(
            |c: char| !c.is_ascii_alphanumeric() && c != '/' && c != '-',
            "",
        ));
        std::fs::create_dir_all(&profile).map_err(io("profile"))?;
        let mut child = Command::new(CHROMIUM)
            .args(FLAGS)
            .args(extra)
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(io("chromium"))?;
        // Chromium prints its DevTools URL on stderr; the rest is drained so that it never
        // blocks on a full pipe.
        let stderr = child.stderr.take().expect("piped stderr");
        let (url_tx, url_rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("DevTools listening on ") {
                    let _ = url_tx.send(url.trim().to_owned());
                } else if std::env::var_os("RTCWEB_CHROMIUM_LOG").is_some() {
                    eprintln!("chromium: {line}");
                }
            }
        });
        let Ok(url) = url_rx.recv_timeout(Duration::from_secs(30)) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(LabError::Io(
                "chromium printed no DevTools URL in 30 s".into(),
            ));
        };
        let host = url
            .strip_prefix("ws://")
            .and_then(|rest| rest.split('/').next())
            .ok_or_else(|| LabError::Io(format!("not a ws:// URL: {url}")))?;
        let stream = TcpStream::connect(host).map_err(io("DevTools port"))?;
        stream
            .set_read_timeout(Some(Duration::from_secs(120)))
            .map_err(io("read timeout"))?;
        let (ws, _) = tungstenite::client(url.as_str(), stream)
            .map_err(|e| LabError::Io(format!("WebSocket handshake: {e}")))?;
        Ok(Self {
            child,
            profile,
            ws,
            next_id: 1,
        })
    }

    /// One CDP call (to the browser, or to a page's session): its result, or the protocol's
    /// error.
    pub fn call(
        &mut self,
        session: Option<&str>,
        method: &str,
        params: Value,
    ) -> Result<Value, LabError> {
        let id = self.next_id;
        self.next_id += 1;
        let mut request = json!({ "id": id, "method": method, "params": params });
        if let Some(s) = session {
            request["sessionId"] = json!(s);
        }
        let cdp = |e: tungstenite::Error| LabError::Agent(format!("CDP {method}: {e}"));
        self.ws
            .send(Message::text(request.to_string()))
            .map_err(cdp)?;
        loop {
            let Message::Text(text) = self.ws.read().map_err(cdp)? else {
                continue;
            };
            let value: Value = serde_json::from_str(text.as_str())
                .map_err(|e| LabError::Agent(format!("CDP sent no JSON: {e}")))?;
            if value["id"].as_u64() != Some(id) {
                continue; // an event
            }
            if let Some(error) = value.get("error") {
                return Err(LabError::Agent(format!("CDP {method} failed: {error}")));
            }
            return Ok(value["result"].clone());
        }
    }

    /// Chromium's product string (`Chrome/156...`).
    pub fn version(&mut self) -> Result<String, LabError> {
        Ok(self.call(None, "Browser.getVersion", json!({}))?["product"]
            .as_str()
            .unwrap_or("unknown")
            .to_owned())
    }

    /// A new page at `url`, once loaded; its session id.
    pub fn new_page_at(&mut self, url: &str) -> Result<String, LabError> {
        let target = self.call(None, "Target.createTarget", json!({ "url": url }))?;
        let target_id = target["targetId"].as_str().unwrap_or_default().to_owned();
        let attached = self.call(
            None,
            "Target.attachToTarget",
            json!({ "targetId": target_id, "flatten": true }),
        )?;
        let page = attached["sessionId"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let deadline = Instant::now() + Duration::from_secs(20);
        let loaded = format!("location.href === {} && document.readyState", json!(url));
        while self.evaluate(&page, &loaded)? != json!("complete") {
            if Instant::now() > deadline {
                return Err(LabError::Agent(format!("{url} did not load")));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(page)
    }

    /// Evaluates JavaScript in a page, awaiting a promise result; the value as JSON (`null`
    /// for `undefined`). A thrown exception is an error with its description.
    pub fn evaluate(&mut self, page: &str, expression: &str) -> Result<Value, LabError> {
        let result = self.call(
            Some(page),
            "Runtime.evaluate",
            json!({ "expression": expression, "awaitPromise": true, "returnByValue": true }),
        )?;
        if let Some(details) = result.get("exceptionDetails") {
            let what = details["exception"]["description"]
                .as_str()
                .or(details["text"].as_str())
                .unwrap_or("?");
            return Err(LabError::Agent(format!("JavaScript threw: {what}")));
        }
        Ok(result["result"]["value"].clone())
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        let id = self.next_id;
        let _ = self.ws.send(Message::text(
            json!({ "id": id, "method": "Browser.close", "params": {} }).to_string(),
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

/// Serves `html` at `http://127.0.0.1:<port>/` for every GET, from a thread, until the
/// process ends; the URL.
pub fn serve_page(html: &'static str) -> Result<String, LabError> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(io("page server"))?;
    let url = format!(
        "http://{}/",
        listener.local_addr().map_err(io("page server"))?
    );
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 65_536 {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{html}",
                html.len()
            );
            let _ = stream.write_all(response.as_bytes());
        }
    });
    Ok(url)
}
