//! Project tasks of rtcweb, run as `cargo xtask <task>`:
//!
//! - `demo`: the main job (see the README).
//! - `test`: installs the system packages the tests need when they are missing, then runs
//!   every test of the workspace.
//! - `fuzz [TARGET] [--seconds N]`: runs one fuzz target, or every target, for N seconds each.
//! - `bench [CRATE] [--test]`: runs the criterion benchmarks of one crate, or of all; with
//!   `--test`, every case once and nothing timed (criterion's test mode, as CI runs them).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

mod check_docs;
mod install;

/// A system package the tests need, and how to tell it is there.
struct Requirement {
    /// Debian package name.
    package: &'static str,
    /// A file the package installs; present means installed.
    marker: &'static str,
    /// What needs it.
    why: &'static str,
}

/// Everything the tests need from Debian, checked and installed by `cargo xtask test`.
const TEST_REQUIREMENTS: &[Requirement] = &[
    Requirement {
        package: "coturn",
        marker: "/usr/bin/turnserver",
        why: "rtcweb-turn tests run against a real coturn on 127.0.0.1",
    },
    Requirement {
        package: "libsrtp2-dev",
        marker: "/usr/include/srtp2/srtp.h",
        why: "rtcweb-srtp interop tests against libsrtp, the reference SRTP",
    },
    Requirement {
        package: "gcc",
        marker: "/usr/bin/cc",
        why: "compiling the libsrtp interop harness",
    },
    Requirement {
        package: "libc6-dev",
        marker: "/usr/include/stdio.h",
        why: "compiling the libsrtp interop harness",
    },
    Requirement {
        package: "pkg-config",
        marker: "/usr/bin/pkg-config",
        why: "locating libsrtp2 for the SRTP interop harness, and libvpx for env-libvpx-sys (rtcweb-vpx)",
    },
    Requirement {
        package: "libvpx-dev",
        marker: "/usr/include/vpx/vpx_encoder.h",
        why: "VP8 and VP9 encoding and decoding through libvpx (rtcweb-vpx, rtcweb-media)",
    },
    Requirement {
        package: "g++",
        marker: "/usr/bin/g++",
        why: "building Cisco's OpenH264 from source in the `openh264` crate (H.264 in rtcweb-media)",
    },
    Requirement {
        package: "cmake",
        marker: "/usr/bin/cmake",
        why: "building the bundled libopus of the `opus` crate (rtcweb-media)",
    },
    Requirement {
        package: "openssl",
        marker: "/usr/bin/openssl",
        why: "rtcweb-dtls interop tests against `openssl s_server` / `s_client`",
    },
    Requirement {
        package: "chromium",
        marker: "/usr/bin/chromium",
        why: "rtcweb-peer interop tests against headless Chromium (driven over DevTools)",
    },
    Requirement {
        package: "firefox-esr",
        marker: "/usr/bin/firefox-esr",
        why: "rtcweb-peer interop tests against headless Firefox (driven over WebDriver BiDi)",
    },
    Requirement {
        package: "python3-venv",
        marker: "/usr/share/doc/python3-venv",
        why: "rtcweb-peer interop tests against aiortc, installed from PyPI into a virtualenv",
    },
    Requirement {
        package: "iproute2",
        marker: "/usr/sbin/ip",
        why: "the Chromium tests, the NAT lab and rtcweb-peer's reachable tests (default interfaces, interface changes, ICE server URLs by name) build network namespaces and veth pairs",
    },
    Requirement {
        package: "iptables",
        marker: "/usr/sbin/iptables",
        why: "the NAT lab's routers (MASQUERADE, conntrack filtering, loss, UDP blocked)",
    },
    Requirement {
        package: "espeak-ng",
        marker: "/usr/bin/espeak-ng",
        why: "rtcweb-audio-processing's scenarios speak their far- and near-end talkers with espeak-ng",
    },
    Requirement {
        package: "libspeexdsp-dev",
        marker: "/usr/include/speex/speex_echo.h",
        why: "speexdsp's echo canceller and preprocessor, the baseline of rtcweb-audio-processing's scenarios and benchmark",
    },
    Requirement {
        package: "libasound2-dev",
        marker: "/usr/include/alsa/asoundlib.h",
        why: "rtcweb-capture's sound devices through cpal, whose ALSA host links libasound (found with pkg-config)",
    },
    Requirement {
        package: "libclang-dev",
        marker: "/usr/share/doc/libclang-dev/copyright",
        why: "rtcweb-capture's camera streaming through v4l2r, whose V4L2 bindings bindgen generates from videodev2.h with libclang",
    },
    Requirement {
        package: "linux-libc-dev",
        marker: "/usr/include/linux/videodev2.h",
        why: "the V4L2 header v4l2r's bindings are generated from (rtcweb-capture's cameras)",
    },
    Requirement {
        package: "pulseaudio",
        marker: "/usr/bin/pulseaudio",
        why: "rtcweb-capture's real-audio test starts its own PulseAudio daemon with a null sink (no sound card here) and plays and captures through it; so does the call example's test",
    },
    Requirement {
        package: "pulseaudio-utils",
        marker: "/usr/bin/pactl",
        why: "rtcweb-capture's real-audio test asks the server with `pactl` that dropped devices left no stream open",
    },
    Requirement {
        package: "libasound2-plugins",
        marker: "/usr/share/alsa/alsa.conf.d/50-pulseaudio.conf",
        why: "ALSA's `pulse` plugin, through which rtcweb-capture's real-audio test also plays with cpal's ALSA host (pulseaudio depends on it; named for that test)",
    },
    Requirement {
        package: "xvfb",
        marker: "/usr/bin/Xvfb",
        why: "the call example's test shows rtcweb's window on an X server of its own (no screen in CI)",
    },
    Requirement {
        package: "imagemagick",
        marker: "/usr/bin/import",
        why: "the call example's test takes a screenshot of that X server (`import -window root`) to see Chromium's camera in rtcweb's window",
    },
];

/// What the demo needs.
const DEMO_REQUIREMENTS: &[Requirement] = &[
    Requirement {
        package: "coturn",
        marker: "/usr/bin/turnserver",
        why: "the demo starts a TURN server on 127.0.0.1",
    },
    Requirement {
        package: "cmake",
        marker: "/usr/bin/cmake",
        why: "building the bundled libopus of the `opus` crate (the demo's audio)",
    },
    Requirement {
        package: "gcc",
        marker: "/usr/bin/cc",
        why: "building ring and libopus",
    },
    Requirement {
        package: "libc6-dev",
        marker: "/usr/include/stdio.h",
        why: "building ring and libopus",
    },
    Requirement {
        package: "pkg-config",
        marker: "/usr/bin/pkg-config",
        why: "locating libvpx for env-libvpx-sys (the demo's VP8 and VP9 video)",
    },
    Requirement {
        package: "libvpx-dev",
        marker: "/usr/include/vpx/vpx_encoder.h",
        why: "VP8 and VP9 encoding and decoding through libvpx (the demo's video)",
    },
    Requirement {
        package: "g++",
        marker: "/usr/bin/g++",
        why: "building Cisco's OpenH264 from source in the `openh264` crate (the demo's H.264)",
    },
    Requirement {
        package: "libasound2-dev",
        marker: "/usr/include/alsa/asoundlib.h",
        why: "`cargo run --example` builds every dev-dependency of rtcweb-peer, among them rtcweb-capture (the call example's devices), whose cpal links libasound (found with pkg-config)",
    },
    Requirement {
        package: "libclang-dev",
        marker: "/usr/share/doc/libclang-dev/copyright",
        why: "rtcweb-capture (a dev-dependency of rtcweb-peer, built for its examples) streams cameras through v4l2r, whose V4L2 bindings bindgen generates with libclang",
    },
    Requirement {
        package: "linux-libc-dev",
        marker: "/usr/include/linux/videodev2.h",
        why: "the V4L2 header v4l2r's bindings are generated from (rtcweb-capture)",
    },
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("demo") => demo(),
        Some("test") => test(&args[1..]),
        Some("fuzz") => fuzz(&args[1..]),
        Some("bench") => bench(&args[1..]),
        Some("check-docs") => check_docs::check_docs(),
        _ => {
            eprintln!(
                "usage: cargo xtask <demo | test [-- cargo test args] | fuzz [TARGET] [--seconds N] | bench [CRATE] [--test] | check-docs>"
            );
            Err("unknown task".to_owned())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    // xtask/ is one level below the workspace root.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_path_buf()
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    c.current_dir(root());
    c
}

fn run(mut cmd: Command) -> Result<(), String> {
    eprintln!("xtask: running {cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed with {status}"))
    }
}

fn demo() -> Result<(), String> {
    install::ensure(DEMO_REQUIREMENTS)?;
    // Two rtcweb peers over loopback: ICE, DTLS, SCTP, a data channel, measured.
    let mut peers = cargo();
    peers.args([
        "run",
        "--quiet",
        "--release",
        "--package",
        "rtcweb-peer",
        "--example",
        "two_peers",
    ]);
    run(peers)?;
    println!();
    // NAT traversal at work: STUN and TURN against a coturn started on 127.0.0.1.
    let mut turn = cargo();
    turn.args([
        "run",
        "--quiet",
        "--release",
        "--package",
        "rtcweb-turn",
        "--example",
        "turn_demo",
    ]);
    run(turn)
}

fn test(extra: &[String]) -> Result<(), String> {
    install::ensure(TEST_REQUIREMENTS)?;
    let mut c = cargo();
    c.args(["test", "--workspace", "--all-features"]);
    c.args(extra);
    run(c)
}

fn fuzz(args: &[String]) -> Result<(), String> {
    let mut seconds = 30u64;
    let mut target = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seconds" => {
                seconds = it
                    .next()
                    .and_then(|s| s.parse().ok())
                    .ok_or("--seconds takes a whole number")?;
            }
            t => target = Some(t.to_owned()),
        }
    }
    install::ensure_cargo_fuzz()?;
    let fuzz_dir = root().join("fuzz");
    let targets = match target {
        Some(t) => vec![t],
        None => {
            let out = Command::new("cargo")
                .args(["fuzz", "list"])
                .current_dir(&fuzz_dir)
                .output()
                .map_err(|e| format!("cargo fuzz list: {e}"))?;
            if !out.status.success() {
                return Err(format!(
                    "cargo fuzz list failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(str::to_owned)
                .filter(|l| !l.is_empty())
                .collect()
        }
    };
    // Build once with every target, then run each.
    let mut build = Command::new("cargo");
    build
        .args(["fuzz", "build", "-s", "none"])
        .current_dir(&fuzz_dir);
    run(build)?;
    for t in &targets {
        let corpus = fuzz_dir.join("corpus").join(t);
        std::fs::create_dir_all(&corpus).map_err(|e| format!("{}: {e}", corpus.display()))?;
        seed_corpus(t, &corpus)?;
        let mut c = Command::new("cargo");
        c.args(["fuzz", "run", "-s", "none", t])
            .arg(&corpus)
            .arg("--")
            .arg(format!("-max_total_time={seconds}"))
            .arg("-print_final_stats=1")
            .current_dir(&fuzz_dir);
        run(c)?;
    }
    eprintln!(
        "xtask: fuzzed {} targets for {seconds} s each",
        targets.len()
    );
    Ok(())
}

/// Seeds a target's corpus with the real captures from `shared/fixtures` that fit it.
fn seed_corpus(target: &str, corpus: &Path) -> Result<(), String> {
    let fixtures = root().join("../shared/fixtures/chromium");
    let prefix = match target.split('_').next() {
        Some("stun" | "turn") => "stun_",
        Some("ice") if target == "ice_candidate" => return seed_candidates(&fixtures, corpus),
        Some("peer") if target == "peer_pair" => return seed_peer_pair(corpus),
        Some("lab") => return seed_lab_reports(corpus),
        Some("ice") => "stun_",
        Some("srtp") => "rtp_",
        Some("srtcp") => "rtp_",
        Some("dtls") => "dtls_",
        Some("rtp") => "rtp_",
        Some("sctp") => "sctp_",
        _ => return Ok(()),
    };
    let Ok(entries) = std::fs::read_dir(&fixtures) else {
        return Ok(());
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with(prefix) && name.ends_with(".bin") {
            std::fs::copy(e.path(), corpus.join(&name)).map_err(|err| format!("{name}: {err}"))?;
        }
    }
    Ok(())
}

/// Seeds the two-peer target with a script of a whole call (see
/// `fuzz/fuzz_targets/peer_pair.rs` for the ops): both add audio, A offers, candidates
/// trickle, Opus-sized frames both ways, DTMF, video added by renegotiation from either
/// side, VP8 frames, a key-frame request, glare and a rollback, a direction change, a stop,
/// a track removed, an ICE restart, and lost and corrupted datagrams.
fn seed_peer_pair(corpus: &Path) -> Result<(), String> {
    const A: u8 = 0;
    const B: u8 = 0x80;
    let pass = |s: &mut Vec<u8>, ms4: u8, times: usize| {
        for _ in 0..times {
            s.extend([12, ms4, 0, 0]);
        }
    };
    let frame = |s: &mut Vec<u8>, who: u8, pick: u8, ts: u32, flags: u8, len: u8| {
        s.extend([8 | who, pick]);
        s.extend(ts.to_be_bytes());
        s.extend([flags, len]);
        s.extend(0..len);
    };
    let mut s = Vec::new();
    s.extend([1 | A, 0, 1 | B, 0, 6 | A, 0, 14 | B, 0, 14 | A, 0]);
    pass(&mut s, 10, 6);
    for i in 0..10 {
        frame(&mut s, A, 0, 960 * i, 0x29, 30);
        pass(&mut s, 5, 1);
        frame(&mut s, B, 0, 960 * i, 0x29, 40);
        pass(&mut s, 5, 1);
    }
    s.extend([9 | A, 30, 3]);
    s.extend(b"1#9");
    pass(&mut s, 100, 3);
    s.extend([1 | A, 1, 6 | B, 0]);
    pass(&mut s, 50, 4);
    s.extend([6 | A, 0]);
    pass(&mut s, 50, 4);
    for i in 0..5 {
        frame(&mut s, A, 1, 3000 * i, if i == 0 { 5 } else { 4 }, 200);
        pass(&mut s, 8, 1);
    }
    s.extend([10 | B, 1]);
    pass(&mut s, 50, 1);
    s.extend([6 | A, 1, 6 | B, 1, 7 | A, 0, 6 | B, 0]);
    pass(&mut s, 50, 1);
    s.extend([4 | A, 0, 2, 6 | A, 0]);
    pass(&mut s, 50, 2);
    s.extend([5 | A, 1, 6 | A, 0]);
    pass(&mut s, 50, 2);
    s.extend([2 | B, 0, 6 | B, 0, 11 | A, 0, 13 | A, 0, 6 | A, 0]);
    pass(&mut s, 50, 4);
    frame(&mut s, B, 0, 960 * 50, 0, 30);
    s.extend([12, 10, 0xff, 0x77]);
    pass(&mut s, 50, 1);
    let file = corpus.join("call");
    std::fs::write(&file, s).map_err(|e| format!("{}: {e}", file.display()))
}

/// Seeds the lab's report reader with what rtcweb's lab peer answers: one side connected
/// through a relay with its tone heard, the other failed with a TURN error.
fn seed_lab_reports(corpus: &Path) -> Result<(), String> {
    let seed = concat!(
        r#"{"connected":true,"ms":312.5,"pair":{"local":"host udp 198.51.100.2:5000","#,
        r#""remote":"relay udp 203.0.113.1:50000","relay_protocol":"udp"},"hz":440.0,"#,
        r#""frames":100,"candidate_errors":[],"result":{"value":"{\"a\":1}"}}"#,
        "\n",
        r#"{"connected":false,"ms":9960,"failure":"ICE failed","#,
        r#""candidate_errors":["turn:203.0.113.1:3478 401"],"type":"exception","#,
        r#""exceptionDetails":{"text":"boom"}}"#,
        "\n",
    );
    let file = corpus.join("reports");
    std::fs::write(&file, seed).map_err(|e| format!("{}: {e}", file.display()))
}

/// Seeds the candidate parser with the `a=candidate` lines of the captured SDPs.
fn seed_candidates(fixtures: &Path, corpus: &Path) -> Result<(), String> {
    let Ok(entries) = std::fs::read_dir(fixtures) else {
        return Ok(());
    };
    let mut n = 0;
    for e in entries.flatten() {
        if e.path().extension().is_none_or(|x| x != "sdp") {
            continue;
        }
        let text = std::fs::read_to_string(e.path()).unwrap_or_default();
        for line in text.lines().filter(|l| l.starts_with("a=candidate:")) {
            n += 1;
            let file = corpus.join(format!("candidate_{n}.txt"));
            std::fs::write(&file, line).map_err(|err| format!("{}: {err}", file.display()))?;
        }
    }
    Ok(())
}

fn bench(args: &[String]) -> Result<(), String> {
    // `--test` may come anywhere; it goes to criterion, after cargo's own arguments.
    let test = args.iter().any(|a| a == "--test");
    let args: Vec<&String> = args.iter().filter(|a| *a != "--test").collect();
    let krate = args.first().map(|a| a.as_str());
    let mut rest: Vec<&str> = args.iter().skip(1).map(|a| a.as_str()).collect();
    if test {
        if !rest.contains(&"--") {
            rest.push("--");
        }
        rest.push("--test");
    }
    if krate != Some("peer") {
        let mut c = cargo();
        c.args(["bench", "--package", "rtcweb-benches"]);
        if let Some(krate) = krate {
            c.args(["--bench", krate]);
        }
        c.args(&rest);
        run(c)?;
    }
    if krate.is_none() || krate == Some("peer") {
        // The peer benchmarks against webrtc-rs and str0m are a workspace of their own
        // (benches/peer/Cargo.toml says why).
        let mut c = cargo();
        c.args(["bench", "--manifest-path"])
            .arg(root().join("benches/peer/Cargo.toml"));
        c.args(&rest);
        run(c)?;
    }
    Ok(())
}
