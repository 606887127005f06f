//! Headless Firefox (Debian's `firefox-esr`, never a download) driven over WebDriver BiDi,
//! which Firefox serves itself (`--remote-debugging-port`): a small blocking client over
//! one WebSocket, with a fresh profile whose `user.js` sets the preferences a test asks
//! for.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::LabError;
use crate::browser::{BrowserProcess, Protocol, fresh_profile, io};

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
    process: BrowserProcess,
    context: String,
    version: String,
}

const BIDI: Protocol = Protocol {
    name: "firefox",
    banner: "WebDriver BiDi listening on ",
    log_var: "RTCWEB_FIREFOX_LOG",
    wait: Duration::from_secs(60),
    path: |_| "/session".to_owned(),
    close: "browser.close",
    error: |reply| {
        (reply["type"] == "error").then(|| format!("{} {}", reply["error"], reply["message"]))
    },
};

/// Whether Firefox is installed (see [`crate::browser::installed`]).
pub fn available() -> bool {
    crate::browser::installed(FIREFOX, "firefox-esr")
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
        let profile = fresh_profile("firefox")?;
        let user_js: String = BASE_PREFS
            .iter()
            .chain(prefs)
            .map(|(k, v)| format!("user_pref(\"{k}\", {v});\n"))
            .collect();
        std::fs::write(profile.join("user.js"), user_js).map_err(io("user.js"))?;
        let mut command = Command::new(FIREFOX);
        command
            .args(["--headless", "--no-remote", "--remote-debugging-port=0"])
            .arg("--profile")
            .arg(&profile)
            .arg("about:blank")
            .env("MOZ_CRASHREPORTER_DISABLE", "1");
        let mut ff = Self {
            process: BrowserProcess::start(command, profile, &BIDI)?,
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
        self.process.call(method, params, None)
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
        evaluation(&result).map_err(|e| match e {
            LabError::Agent(what) => {
                LabError::Agent(format!("after {:?}: {what}", started.elapsed()))
            }
            other => other,
        })
    }
}

/// The value of a `script.evaluate` result of [`Firefox::evaluate`]'s wrapper (a
/// `JSON.stringify` text), or the exception it reports as an error.
pub fn evaluation(result: &Value) -> Result<Value, LabError> {
    if result["type"] == "exception" {
        return Err(LabError::Agent(format!(
            "JavaScript threw: {}",
            result["exceptionDetails"]["text"]
        )));
    }
    let text = result["result"]["value"].as_str().unwrap_or("null");
    serde_json::from_str(text)
        .map_err(|e| LabError::Agent(format!("not JSON from the page ({e}): {text}")))
}
