//! Headless Chromium (Debian's `/usr/bin/chromium`, never a download) driven over the
//! DevTools protocol: a small blocking CDP client over one WebSocket, with flattened
//! sessions (one per page), and a page server on 127.0.0.1 (a secure context for
//! `getUserMedia`).

use std::io::{Read, Write};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::LabError;
use crate::browser::{BrowserProcess, Protocol, fresh_profile, io};

/// Debian's Chromium.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// Whether Chromium is installed (see [`crate::browser::installed`]).
pub fn available() -> bool {
    crate::browser::installed(CHROMIUM, "chromium")
}

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
    process: BrowserProcess,
}

const DEVTOOLS: Protocol = Protocol {
    name: "chromium",
    banner: "DevTools listening on ",
    log_var: "RTCWEB_CHROMIUM_LOG",
    wait: Duration::from_secs(30),
    path: |url| {
        let rest = url.strip_prefix("ws://").unwrap_or(url);
        rest.find('/')
            .map_or_else(String::new, |i| rest[i..].to_owned())
    },
    close: "Browser.close",
    error: |reply| reply.get("error").map(ToString::to_string),
};

impl Chromium {
    /// Starts Chromium with `extra` flags and connects to its DevTools endpoint.
    pub fn launch(extra: &[&str]) -> Result<Self, LabError> {
        if !std::path::Path::new(CHROMIUM).exists() {
            return Err(LabError::Missing(
                "chromium (`cargo xtask test` installs Debian's chromium)",
            ));
        }
        let profile = fresh_profile("chromium")?;
        let mut command = Command::new(CHROMIUM);
        command
            .args(FLAGS)
            .args(extra)
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank");
        Ok(Self {
            process: BrowserProcess::start(command, profile, &DEVTOOLS)?,
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
        self.process
            .call(method, params, session.map(|s| ("sessionId", json!(s))))
    }

    /// Chromium's product string (`Chrome/156...`).
    pub fn version(&mut self) -> Result<String, LabError> {
        Ok(self.call(None, "Browser.getVersion", json!({}))?["product"]
            .as_str()
            .unwrap_or("unknown")
            .to_owned())
    }

    /// A new blank page; its session id.
    pub fn new_page(&mut self) -> Result<String, LabError> {
        self.open("about:blank")
    }

    /// A new page at `url`, once loaded; its session id.
    pub fn new_page_at(&mut self, url: &str) -> Result<String, LabError> {
        let page = self.open(url)?;
        let deadline = Instant::now() + Duration::from_secs(20);
        // The initial about:blank document is complete too: wait for ours.
        let loaded = format!("location.href === {} && document.readyState", json!(url));
        while self.evaluate(&page, &loaded)? != json!("complete") {
            if Instant::now() > deadline {
                return Err(LabError::Agent(format!("{url} did not load")));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(page)
    }

    fn open(&mut self, url: &str) -> Result<String, LabError> {
        let target = self.call(None, "Target.createTarget", json!({ "url": url }))?;
        let target_id = target["targetId"].as_str().unwrap_or_default().to_owned();
        let attached = self.call(
            None,
            "Target.attachToTarget",
            json!({ "targetId": target_id, "flatten": true }),
        )?;
        attached["sessionId"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| LabError::Agent("CDP: no session id".into()))
    }

    /// Evaluates JavaScript in a page, awaiting a promise result; the value as JSON (`null`
    /// for `undefined`). A thrown exception is an error with its description.
    pub fn evaluate(&mut self, page: &str, expression: &str) -> Result<Value, LabError> {
        let result = self.call(
            Some(page),
            "Runtime.evaluate",
            json!({ "expression": expression, "awaitPromise": true, "returnByValue": true }),
        )?;
        evaluation(&result)
    }
}

/// The value of a `Runtime.evaluate` result (`null` for `undefined`), or the exception it
/// reports as an error.
pub fn evaluation(result: &Value) -> Result<Value, LabError> {
    if let Some(details) = result.get("exceptionDetails") {
        let what = details["exception"]["description"]
            .as_str()
            .or(details["text"].as_str())
            .unwrap_or("?");
        return Err(LabError::Agent(format!("JavaScript threw: {what}")));
    }
    Ok(result["result"]["value"].clone())
}

/// Serves `html` at `http://127.0.0.1:<port>/` for every GET, from a thread, until the
/// process ends; the URL. Pages that use `getUserMedia` need such a secure context
/// (`http://127.0.0.1` counts; `about:blank` has no `navigator.mediaDevices`).
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
