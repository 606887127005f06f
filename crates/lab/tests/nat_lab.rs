//! Real NATs: two peers, each behind its own Linux NAT router (iptables `MASQUERADE`,
//! port-keeping or `--random-fully`), coturn on the wan between them, all in network
//! namespaces this test makes (RFC 5737 addresses only). Each case connects, echoes
//! data-channel messages, plays a tone each way, and prints the selected pairs and the time
//! to connected.
//!
//! ICE-TCP (RFC 6544): an rtcweb peer on the wan host (a public address, no NAT) signals
//! its passive TCP candidate; the other peer (rtcweb, Chromium or Firefox) sits behind a
//! port-keeping NAT whose router drops all UDP, so its STUN, TURN over UDP and every UDP
//! check die there. Its active TCP candidate connects through the NAT to our passive one,
//! and the call comes up over that connection: both sides' stats show the TCP pair, the
//! data channel echoes, the tones play.
//!
//! Needs root (network namespaces, iptables); skipped with a message otherwise, except
//! under CI (`CI` set), where `cargo xtask test` runs as root and installs what it needs.
//!
//! Beyond the lab's wan lies "the rest of the internet", which swallows packets to the
//! hosts' private addresses, as the real one does. One case takes that away
//! ([`Wan::Unrouted`], as in the situation first reported): coturn then closes an
//! allocation whose relayed send fails at its socket, so a relayed check to a peer's
//! private host address would end the relay (`rtcweb-ice`'s `tests/turn_send_errors.rs`
//! shows the same in the simulator).
#![allow(clippy::print_stdout)]

use std::path::PathBuf;
use std::time::Duration;

use rtcweb_lab::case::{self, Outcome, PeerKind, Plan, Side, Turn};
use rtcweb_lab::{Nat, NatLab, Site, WAN_HOST, Wan, lab_unavailable};

fn rtcweb() -> PeerKind {
    PeerKind::Rtcweb(PathBuf::from(env!("CARGO_BIN_EXE_lab-peer")))
}

fn chromium() -> PeerKind {
    PeerKind::Chromium(PathBuf::from(env!("CARGO_BIN_EXE_lab-chromium")))
}

fn firefox() -> PeerKind {
    PeerKind::Firefox(PathBuf::from(env!("CARGO_BIN_EXE_lab-firefox")))
}

/// Whether the lab can run; says why not (a failure under CI).
fn ready(what: &[&str]) -> bool {
    let mut missing = lab_unavailable();
    if missing.is_none()
        && what.contains(&"chromium")
        && !std::path::Path::new(rtcweb_lab::chromium::CHROMIUM).exists()
    {
        missing = Some("chromium is not installed".to_owned());
    }
    if missing.is_none()
        && what.contains(&"firefox")
        && !std::path::Path::new(rtcweb_lab::firefox::FIREFOX).exists()
    {
        missing = Some("firefox-esr is not installed".to_owned());
    }
    match missing {
        None => true,
        Some(why) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "the NAT lab must run under CI: {why}"
            );
            println!("SKIPPED: {why} (`cargo xtask test` as root installs and runs it)");
            false
        }
    }
}

const PORT_KEEPING: Site = Site::new(Nat::PortKeeping);
const SYMMETRIC: Site = Site::new(Nat::Symmetric);
/// rtcweb's tone.
const TONE_HZ: f64 = 440.0;

fn run(name: &str, a: Side, b: Side) -> Outcome {
    run_with(name, a, b, Plan::default())
}

fn run_with(name: &str, a: Side, b: Side, plan: Plan) -> Outcome {
    let outcome = case::run(&a, &b, plan).unwrap_or_else(|e| panic!("{name}: the lab failed: {e}"));
    println!("{name}: {}", outcome.line());
    outcome
}

fn is_relayed(s: &case::SideOutcome) -> bool {
    [&s.local, &s.remote]
        .iter()
        .any(|c| c.as_deref().is_some_and(|c| c.starts_with("relay")))
}

/// Connected both ways within `limit`, messages echoed, tones heard.
fn assert_works(name: &str, o: &Outcome, limit: Duration) {
    for s in &o.sides {
        assert!(
            s.connected,
            "{name}: {} did not connect: {:?}\n{}",
            s.name,
            s.failure,
            o.line()
        );
        let ms = s.ms.unwrap_or(f64::MAX);
        assert!(
            ms < limit.as_secs_f64() * 1e3,
            "{name}: {} took {ms:.0} ms (limit {limit:?})",
            s.name
        );
    }
    assert_eq!(o.echoed, 20, "{name}: data-channel echo");
    for s in &o.sides {
        assert!(s.audio_frames > 0, "{name}: {} received no audio", s.name);
    }
}

/// The side hears rtcweb's tone.
fn assert_hears_rtcweb(name: &str, s: &case::SideOutcome) {
    assert!(
        (s.heard_hz - TONE_HZ).abs() < 25.0,
        "{name}: {} heard {:.0} Hz, not rtcweb's {TONE_HZ} Hz",
        s.name,
        s.heard_hz
    );
}

fn rtcweb_pair(name: &str, a: Site, b: Site, limit: Duration) -> Outcome {
    let o = run(name, Side::new(rtcweb(), a), Side::new(rtcweb(), b));
    assert_works(name, &o, limit);
    for s in &o.sides {
        assert_hears_rtcweb(name, s);
    }
    o
}

#[test]
fn port_keeping_nats_connect_directly() {
    if !ready(&[]) {
        return;
    }
    let name = "both port-keeping";
    let o = rtcweb_pair(name, PORT_KEEPING, PORT_KEEPING, Duration::from_secs(2));
    for s in &o.sides {
        assert!(!is_relayed(s), "{name}: {} went through the relay", s.name);
    }
}

#[test]
fn symmetric_nats_connect_through_the_relay() {
    if !ready(&[]) {
        return;
    }
    let name = "both symmetric";
    let o = rtcweb_pair(name, SYMMETRIC, SYMMETRIC, Duration::from_secs(2));
    for s in &o.sides {
        assert!(is_relayed(s), "{name}: {} did not use the relay", s.name);
    }
}

#[test]
fn symmetric_nats_connect_through_a_relay_that_closes_allocations_on_send_errors() {
    if !ready(&[]) {
        return;
    }
    let name = "both symmetric, wan without routes (coturn closes allocations on send errors)";
    let plan = Plan {
        wan: Wan::Unrouted,
        ..Plan::default()
    };
    let o = run_with(
        name,
        Side::new(rtcweb(), SYMMETRIC),
        Side::new(rtcweb(), SYMMETRIC),
        plan,
    );
    assert_works(name, &o, Duration::from_secs(2));
    assert!(
        !o.coturn_log.contains("Network is unreachable"),
        "{name}: a relayed send went to an unreachable address"
    );
}

#[test]
fn port_keeping_and_symmetric_nats_connect() {
    if !ready(&[]) {
        return;
    }
    rtcweb_pair(
        "port-keeping + symmetric",
        PORT_KEEPING,
        SYMMETRIC,
        Duration::from_secs(2),
    );
    rtcweb_pair(
        "symmetric + port-keeping",
        SYMMETRIC,
        PORT_KEEPING,
        Duration::from_secs(2),
    );
}

#[test]
fn ten_percent_loss_on_one_wan_link() {
    if !ready(&[]) {
        return;
    }
    let lossy = |s: Site| s.with_loss(0.10);
    let limit = Duration::from_secs(5);
    rtcweb_pair(
        "both port-keeping, 10 % loss",
        lossy(PORT_KEEPING),
        PORT_KEEPING,
        limit,
    );
    rtcweb_pair(
        "both symmetric, 10 % loss",
        lossy(SYMMETRIC),
        SYMMETRIC,
        limit,
    );
    rtcweb_pair(
        "port-keeping + symmetric, 10 % loss",
        lossy(PORT_KEEPING),
        SYMMETRIC,
        limit,
    );
}

#[test]
fn udp_blocked_on_one_side_relays_over_tcp_and_tls() {
    if !ready(&[]) {
        return;
    }
    for (turn, protocol) in [(Turn::Tcp, "tcp"), (Turn::Tls, "tls")] {
        let name = format!("UDP blocked on one side, TURN over {protocol}");
        let blocked = Side::new(rtcweb(), PORT_KEEPING.with_udp_blocked()).with_turn(&[turn]);
        let o = run(&name, blocked, Side::new(rtcweb(), PORT_KEEPING));
        assert_works(&name, &o, Duration::from_secs(2));
        assert_eq!(
            o.sides[0].relay_protocol.as_deref(),
            Some(protocol),
            "{name}: the blocked side's selected candidate: {:?}",
            o.sides[0].local
        );
    }
}

#[test]
fn refused_turn_credentials_fail_fast_with_the_reason() {
    if !ready(&[]) {
        return;
    }
    let name = "both symmetric, TURN refuses the credentials";
    let side = || Side::new(rtcweb(), SYMMETRIC).with_wrong_password();
    let o = run(name, side(), side());
    for s in &o.sides {
        assert!(!s.connected, "{name}: {} connected without a relay", s.name);
        // The server's refusal reaches the application at once (W3C icecandidateerror),
        // and the connection's failure names it.
        let error = s
            .candidate_errors
            .iter()
            .find(|e| e.contains("(401)"))
            .unwrap_or_else(|| {
                panic!(
                    "{name}: {}: no 401 candidate error: {:?}",
                    s.name, s.candidate_errors
                )
            });
        let after_ms: u64 = error
            .rsplit("after ")
            .next()
            .and_then(|t| t.trim_end_matches(" ms").parse().ok())
            .unwrap_or(u64::MAX);
        assert!(
            after_ms < 1000,
            "{name}: the refusal came after {after_ms} ms"
        );
        let failure = s.failure.as_deref().unwrap_or_default();
        assert!(
            failure.contains("401"),
            "{name}: failure without the reason: {failure}"
        );
        println!(
            "{name}: {}: {error}; failed after {:.1} s: {failure}",
            s.name,
            s.ms.unwrap_or(0.0) / 1e3
        );
    }
    // No retry storm: each client asks once without and once with credentials, then stops.
    let refusals = o
        .coturn_log
        .lines()
        .filter(|l| l.contains("processed, error 401"))
        .count();
    println!("{name}: coturn answered 401 {refusals} times to the two clients");
    assert!(refusals <= 4, "{name}: {refusals} refusals for two clients");
}

fn chromium_case(chromium_offers: bool) {
    if !ready(&["chromium"]) {
        return;
    }
    let name = if chromium_offers {
        "both symmetric, Chromium offers to rtcweb"
    } else {
        "both symmetric, rtcweb offers to Chromium"
    };
    let (a, b) = if chromium_offers {
        (
            Side::new(chromium(), SYMMETRIC),
            Side::new(rtcweb(), SYMMETRIC),
        )
    } else {
        (
            Side::new(rtcweb(), SYMMETRIC),
            Side::new(chromium(), SYMMETRIC),
        )
    };
    let o = run(name, a, b);
    assert_works(name, &o, Duration::from_secs(2));
    let (browser, ours) = if chromium_offers {
        (&o.sides[0], &o.sides[1])
    } else {
        (&o.sides[1], &o.sides[0])
    };
    assert!(is_relayed(ours), "{name}: not relayed");
    assert_hears_rtcweb(name, browser);
    // Chromium's fake microphone: a 400 Hz beep.
    assert!(
        (ours.heard_hz - 400.0).abs() < 25.0,
        "{name}: rtcweb heard {:.0} Hz, not Chromium's 400 Hz beep",
        ours.heard_hz
    );
}

#[test]
fn chromium_offers_through_symmetric_nats() {
    chromium_case(true);
}

#[test]
fn rtcweb_offers_to_chromium_through_symmetric_nats() {
    chromium_case(false);
}

/// The same cases run by aiortc on both sides, for comparison (printed; the closing note
/// puts them beside rtcweb's). aiortc gathers before it answers and does not trickle.
#[test]
fn aiortc_in_the_same_cases() {
    if !ready(&[]) {
        return;
    }
    if !rtcweb_lab::aiortc::python3_present() {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 is missing under CI"
        );
        println!("SKIPPED: python3 is not installed");
        return;
    }
    let python = rtcweb_lab::aiortc::python(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")))
        .unwrap_or_else(|e| panic!("aiortc: {e}"));
    let aiortc = || PeerKind::Aiortc(python.clone());
    let lossy = |s: Site| s.with_loss(0.10);
    for (name, a, b) in [
        ("aiortc: both port-keeping", PORT_KEEPING, PORT_KEEPING),
        ("aiortc: both symmetric", SYMMETRIC, SYMMETRIC),
        ("aiortc: port-keeping + symmetric", PORT_KEEPING, SYMMETRIC),
        (
            "aiortc: both port-keeping, 10 % loss",
            lossy(PORT_KEEPING),
            PORT_KEEPING,
        ),
        (
            "aiortc: both symmetric, 10 % loss",
            lossy(SYMMETRIC),
            SYMMETRIC,
        ),
        (
            "aiortc: port-keeping + symmetric, 10 % loss",
            lossy(PORT_KEEPING),
            SYMMETRIC,
        ),
    ] {
        let o = run(name, Side::new(aiortc(), a), Side::new(aiortc(), b));
        assert_works(name, &o, Duration::from_secs(30));
    }
}

/// The wan peer's selected pair over ICE-TCP: our passive candidate on the wan host, the
/// peer's connection from behind its NAT (the router's public address) as a peer-reflexive
/// active candidate.
fn assert_wan_side_over_tcp(name: &str, s: &case::SideOutcome) {
    let (local, remote) = (
        s.local.as_deref().unwrap_or("-"),
        s.remote.as_deref().unwrap_or("-"),
    );
    assert!(
        local.starts_with(&format!("host tcp passive {WAN_HOST}:")),
        "{name}: {}'s selected local candidate: {local}",
        s.name
    );
    let nat = NatLab::router_wan_ip(0);
    assert!(
        remote.starts_with(&format!("prflx tcp active {nat}:")),
        "{name}: {}'s selected remote candidate: {remote}",
        s.name
    );
}

/// The blocked side's selected pair: its active candidate to our passive one. Its active
/// candidate is its host address, or (the browsers) the NAT's mapping our answer to its
/// check showed it, as a peer-reflexive local candidate (RFC 8445 §7.2.5.3.1).
fn assert_blocked_side_over_tcp(name: &str, s: &case::SideOutcome) {
    let (local, remote) = (
        s.local.as_deref().unwrap_or("-"),
        s.remote.as_deref().unwrap_or("-"),
    );
    let host = format!("host tcp active {}:", NatLab::host_ip(0));
    let mapped = format!("prflx tcp active {}:", NatLab::router_wan_ip(0));
    assert!(
        local.starts_with(&host) || local.starts_with(&mapped),
        "{name}: {}'s selected local candidate: {local}",
        s.name
    );
    assert!(
        remote.starts_with(&format!("host tcp passive {WAN_HOST}:")),
        "{name}: {}'s selected remote candidate: {remote}",
        s.name
    );
}

/// `other` offers from behind a port-keeping NAT that blocks UDP; rtcweb on the wan host
/// answers with its passive TCP candidate. The call comes up over ICE-TCP; each side hears
/// the other's tone (`other` sends one of `tone_hz`).
///
/// The blocked side offers because the lab does not trickle: a side gathers completely
/// before it signals, and with UDP blocked its STUN and TURN servers never answer, so its
/// gathering is cut off at the lab peers' 15 s wait. As the offerer it waits before the clock
/// starts (each side's time runs from applying the remote description).
fn ice_tcp_case(name: &str, other: PeerKind, tone_hz: f64) {
    let o = run(
        name,
        Side::new(other, PORT_KEEPING.with_udp_blocked()),
        Side::on_wan(rtcweb()),
    );
    assert_works(name, &o, Duration::from_secs(5));
    assert_blocked_side_over_tcp(name, &o.sides[0]);
    assert_wan_side_over_tcp(name, &o.sides[1]);
    assert_hears_rtcweb(name, &o.sides[0]);
    let ours = &o.sides[1];
    assert!(
        (ours.heard_hz - tone_hz).abs() < 25.0,
        "{name}: rtcweb heard {:.0} Hz, not the {tone_hz} Hz {} sends",
        ours.heard_hz,
        o.sides[0].name
    );
}

#[test]
fn ice_tcp_from_behind_a_nat_without_udp_to_rtcweb_on_the_wan() {
    if !ready(&[]) {
        return;
    }
    let name = "ICE-TCP: rtcweb on the wan, rtcweb behind a NAT without UDP";
    ice_tcp_case(name, rtcweb(), TONE_HZ);
}

#[test]
fn ice_tcp_from_chromium_behind_a_nat_without_udp_to_rtcweb_on_the_wan() {
    if !ready(&["chromium"]) {
        return;
    }
    let name = "ICE-TCP: rtcweb on the wan, Chromium behind a NAT without UDP";
    // Chromium's fake microphone: a 400 Hz beep.
    ice_tcp_case(name, chromium(), 400.0);
}

#[test]
fn ice_tcp_from_firefox_behind_a_nat_without_udp_to_rtcweb_on_the_wan() {
    if !ready(&["firefox"]) {
        return;
    }
    let name =
        "ICE-TCP: rtcweb on the wan, Firefox (passive candidates only) behind a NAT without UDP";
    // Firefox's fake microphone: a 1 kHz tone.
    ice_tcp_case(name, firefox(), 1000.0);
}

/// rtcweb behind a 1:1 NAT (a cloud VM's public address: every port of the router's wan
/// address leads to it) answers Chromium, which sits behind a NAT that drops all UDP. The
/// host passive candidate is a private address Chromium cannot reach; only the
/// server-reflexive passive TCP candidate (RFC 6544 §4.1), learnt by STUN over TCP to
/// coturn from the listener's own port, is. Both sides' stats show that candidate on the
/// selected pair: rtcweb's as its local one (the mapped address of its check on the
/// connection, RFC 8445 §7.2.5.3.1), Chromium's as the remote one it connected to.
#[test]
fn ice_tcp_through_a_one_to_one_nat_needs_the_server_reflexive_passive_candidate() {
    if !ready(&["chromium"]) {
        return;
    }
    let name = "ICE-TCP: rtcweb behind a 1:1 NAT, Chromium behind a NAT without UDP";
    let one_to_one = Site::new(Nat::OneToOne);
    let o = run(
        name,
        Side::new(chromium(), PORT_KEEPING.with_udp_blocked()),
        Side::new(rtcweb(), one_to_one),
    );
    assert_works(name, &o, Duration::from_secs(5));
    let public = NatLab::router_wan_ip(1);
    let srflx = format!("srflx tcp passive {public}:");
    let (chromium_side, ours) = (&o.sides[0], &o.sides[1]);
    let local = ours.local.as_deref().unwrap_or("-");
    assert!(
        local.starts_with(&srflx),
        "{name}: rtcweb's selected local candidate: {local}"
    );
    let remote = chromium_side.remote.as_deref().unwrap_or("-");
    assert!(
        remote.starts_with(&srflx),
        "{name}: Chromium's selected remote candidate: {remote}"
    );
    assert_hears_rtcweb(name, chromium_side);
    assert!(
        (ours.heard_hz - 400.0).abs() < 25.0,
        "{name}: rtcweb heard {:.0} Hz, not Chromium's 400 Hz beep",
        ours.heard_hz
    );

    // The same without a STUN server for rtcweb: no server-reflexive candidate, and its
    // private host candidate leads nowhere. Nothing connects (no relay either: Chromium's
    // TURN is over UDP, which its router drops).
    let name = "ICE-TCP: the same without rtcweb's STUN server";
    let o = run_with(
        name,
        Side::new(chromium(), PORT_KEEPING.with_udp_blocked()),
        Side::new(rtcweb(), one_to_one).without_stun(),
        Plan {
            connect_timeout: Duration::from_secs(15),
            ..Plan::default()
        },
    );
    for s in &o.sides {
        assert!(!s.connected, "{name}: {} connected: {}", s.name, o.line());
    }
}
