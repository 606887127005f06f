//! Talk to a Rust peer from a browser: `cargo run -p rtcweb-peer --example browser`, then
//! open the printed address (http://127.0.0.1:8080 by default; a port can be given as the
//! first argument). The page opens a data channel for chat and sends the microphone; the
//! rtcweb peer replies to each message and sends the audio back. Everything stays on this
//! machine: the peer listens on 127.0.0.1 only.
#![allow(clippy::print_stdout)]

mod server;

use std::net::{Ipv4Addr, SocketAddr};

fn main() -> std::process::ExitCode {
    let port = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(8080);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("no tokio runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match server::start(
        SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        runtime.handle().clone(),
    ) {
        Ok(addr) => {
            println!("rtcweb browser example: open http://{addr}/ (Ctrl-C to stop)");
            // The server's threads serve until the process is stopped.
            loop {
                std::thread::park();
            }
        }
        Err(e) => {
            eprintln!("cannot listen on 127.0.0.1:{port}: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
