//! Headless Firefox as a NAT-lab peer: run inside a lab host's namespace, it starts
//! Firefox there (WebDriver BiDi), opens the lab page (served on the namespace's own
//! 127.0.0.1) and answers the lab's line protocol (`rtcweb_lab::agent`) on stdin and stdout
//! by calling the page's `lab.handle(command)`, as `lab-chromium` does for Chromium. Host
//! addresses are not hidden behind mDNS names (the lab has no mDNS between its hosts).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::BufRead;

use rtcweb_lab::chromium::serve_page;
use rtcweb_lab::firefox::Firefox;
use serde_json::{Value, json};

const PAGE: &str = include_str!("../browser_agent.html");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut browser =
        Firefox::launch(&[("media.peerconnection.ice.obfuscate_host_addresses", "false")])?;
    eprintln!("lab-firefox: {}", browser.version());
    browser.navigate(&serve_page(PAGE)?)?;
    for line in std::io::stdin().lock().lines().map_while(Result::ok) {
        let reply = match serde_json::from_str::<Value>(&line) {
            Ok(command) => browser
                .evaluate(&format!("lab.handle({command})"))
                .unwrap_or_else(|e| json!({ "error": e.to_string() })),
            Err(e) => json!({ "error": format!("not JSON: {e}") }),
        };
        println!("{reply}");
        if line.contains("\"close\"") {
            break;
        }
    }
    Ok(())
}
