//! Headless Chromium as a NAT-lab peer: run inside a lab host's namespace, it starts
//! Chromium there, opens the lab page (served on the namespace's own 127.0.0.1) and answers
//! the lab's line protocol (`rtcweb_lab::agent`) on stdin and stdout by calling the page's
//! `lab.handle(command)`. Extra arguments are passed to Chromium as flags.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::BufRead;

use rtcweb_lab::chromium::{Chromium, serve_page};
use serde_json::{Value, json};

const PAGE: &str = include_str!("../browser_agent.html");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let flags: Vec<String> = std::env::args().skip(1).collect();
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let mut browser = Chromium::launch(&flags)?;
    eprintln!("lab-chromium: {}", browser.version()?);
    let page = browser.new_page_at(&serve_page(PAGE)?)?;
    for line in std::io::stdin().lock().lines().map_while(Result::ok) {
        let reply = match serde_json::from_str::<Value>(&line) {
            Ok(command) => browser
                .evaluate(&page, &format!("lab.handle({command})"))
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
