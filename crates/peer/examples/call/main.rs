//! A call between this terminal and a browser: `cargo run -p rtcweb-peer --example call`,
//! then open the printed address (everything stays on this machine: 127.0.0.1 only). The
//! page calls in with its microphone and camera; rtcweb sends this machine's microphone and
//! camera back, plays the browser's audio on the speaker and shows its video in a window.
//!
//! ```text
//! call [--list] [--mic NAME] [--speaker NAME] [--camera NAME] [--raw-microphone]
//!      [--port N] [--seconds N]
//! ```
//!
//! - `--list`: print the microphones, speakers and cameras, and stop.
//! - `--mic`, `--speaker`, `--camera`: a piece of a device's label or id (see `--list`).
//!   Without one, the first real device of the kind; when none is found, or the name
//!   matches nothing, the synthetic one (a 440 Hz tone, a null speaker, a moving test
//!   pattern), said on the terminal.
//! - `--raw-microphone`: send the microphone as captured. Without it a real microphone goes
//!   through echo cancellation (of the browser's audio this example plays), noise
//!   suppression and gain control, as browsers treat theirs; the synthetic tone never does.
//! - `--port`: where the page is served (0, the default, takes any free port).
//! - `--seconds`: stop after this many seconds (for tests); else run until Ctrl-C or the
//!   window is closed.
#![allow(clippy::print_stdout)]

mod devices;
mod media;
mod server;
mod window;

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use devices::Wanted;
use media::Counters;
use rtcweb_peer::driver::AudioProcessing;
use server::Call;
use window::UserEvent;

/// The command line.
#[derive(Debug, Default)]
struct Args {
    list: bool,
    wanted: Wanted,
    port: u16,
    seconds: Option<u64>,
    raw_microphone: bool,
}

const USAGE: &str = "usage: call [--list] [--mic NAME] [--speaker NAME] [--camera NAME] \
                     [--raw-microphone] [--port N] [--seconds N]";

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args::default();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--list" => parsed.list = true,
            "--raw-microphone" => parsed.raw_microphone = true,
            "--mic" => parsed.wanted.microphone = Some(value("--mic")?),
            "--speaker" => parsed.wanted.speaker = Some(value("--speaker")?),
            "--camera" => parsed.wanted.camera = Some(value("--camera")?),
            "--port" => {
                parsed.port = value("--port")?
                    .parse()
                    .map_err(|e| format!("--port: {e}"))?
            }
            "--seconds" => {
                parsed.seconds = Some(
                    value("--seconds")?
                        .parse()
                        .map_err(|e| format!("--seconds: {e}"))?,
                )
            }
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(parsed)
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    if args.list {
        devices::list();
        return ExitCode::SUCCESS;
    }
    let devices = devices::choose(&args.wanted);
    println!("{}", devices::describe(&devices));

    // The window's loop owns the main thread; everything else runs beside it.
    let event_loop = window::event_loop();
    let show: Arc<dyn Fn(rtcweb_media::I420Frame) -> bool + Send + Sync> = match &event_loop {
        Some(l) => {
            let send = window::sender(l.create_proxy());
            Arc::new(move |picture| send(UserEvent::Picture(picture)))
        }
        None => Arc::new(|_| true),
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("no tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let counters = Arc::new(Counters::default());
    // A real microphone is processed as a browser's is; a generated tone is not a room.
    let processing = if args.raw_microphone
        || devices.microphone.0.backend == rtcweb_capture::Backend::Synthetic
    {
        AudioProcessing::default()
    } else {
        AudioProcessing::MICROPHONE
    };
    println!(
        "microphone processing: echo cancellation {}, noise suppression {}, gain control {}",
        processing.echo_cancellation, processing.noise_suppression, processing.auto_gain_control
    );
    let call = Arc::new(Call::new(devices, processing, show, Arc::clone(&counters)));
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    match server::start(addr, runtime.handle().clone(), call) {
        Ok(addr) => println!("rtcweb call: open http://{addr}/ and press Call (Ctrl-C to stop)"),
        Err(e) => {
            eprintln!("cannot listen on {addr}: {e}");
            return ExitCode::FAILURE;
        }
    }

    let result = match event_loop {
        Some(event_loop) => {
            if let Some(seconds) = args.seconds {
                let quit = window::sender(event_loop.create_proxy());
                std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_secs(seconds));
                    quit(UserEvent::Quit);
                });
            }
            window::run(event_loop)
        }
        None => {
            match args.seconds {
                Some(seconds) => std::thread::sleep(Duration::from_secs(seconds)),
                // The server's threads serve until the process is stopped.
                None => loop {
                    std::thread::park();
                },
            }
            Ok(())
        }
    };
    println!("{}", counters.summary());
    runtime.shutdown_timeout(Duration::from_secs(1));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
