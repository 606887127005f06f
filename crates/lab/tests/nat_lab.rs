//! Two rtcweb peers, each behind a Linux NAT router, with coturn on the wan.
#![allow(clippy::disallowed_methods, clippy::print_stdout)]

use std::time::Duration;

use rtcweb_lab::{Agent, Coturn, Nat, NatLab, PASSWORD, SERVER, Site, USER, lab_unavailable};
use serde_json::{Value, json};

const LAB_PEER: &str = env!("CARGO_BIN_EXE_lab-peer");
const LAB_CHROMIUM: &str = env!("CARGO_BIN_EXE_lab-chromium");

#[derive(Clone, Copy)]
enum Kind { Rtcweb, Chromium }

fn servers(coturn: &Coturn) -> Value {
    let _ = coturn;
    json!([
        { "urls": [format!("stun:{SERVER}:3478")] },
        { "urls": [format!("turn:{SERVER}:3478?transport=udp")], "username": USER, "credential": PASSWORD },
    ])
}

fn case(a: Site, b: Site, policy: &str) { case_with(a, b, policy, [Kind::Rtcweb, Kind::Rtcweb]) }
fn case_with(a: Site, b: Site, policy: &str, kinds: [Kind; 2]) {
    if let Some(why) = lab_unavailable() {
        println!("SKIPPED: {why}");
        return;
    }
    let lab = NatLab::new(a, b).unwrap();
    let coturn = Coturn::start(lab.wan()).unwrap();
    let mut peers: Vec<Agent> = (0..2)
        .map(|i| {
            let c = match kinds[i] {
                Kind::Rtcweb => { let mut c = lab.host(i).command(LAB_PEER);
            c.arg(NatLab::host_ip(i).to_string()); c }
                Kind::Chromium => lab.host(i).command(LAB_CHROMIUM),
            };
            Agent::spawn(if i == 0 { "A" } else { "B" }, c).unwrap()
        })
        .collect();
    let t = Duration::from_secs(20);
    for p in &mut peers {
        p.call(json!({"cmd": "configure", "ice_servers": servers(&coturn), "policy": policy}), t)
            .unwrap();
    }
    let offer = peers[0].call(json!({"cmd": "offer"}), t).unwrap();
    println!("offer candidates: {}", offer["candidates"]);
    let answer = peers[1]
        .call(json!({"cmd": "answer", "sdp": offer["sdp"], "candidates": offer["candidates"]}), t)
        .unwrap();
    println!("answer candidates: {}", answer["candidates"]);
    for l in answer["sdp"].as_str().unwrap().lines().chain(offer["sdp"].as_str().unwrap().lines()).filter(|l| l.starts_with("a=candidate")) { println!("sdp {l}"); }
    peers[0]
        .call(json!({"cmd": "accept", "sdp": answer["sdp"], "candidates": answer["candidates"]}), t)
        .unwrap();
    let ca = peers[0].call(json!({"cmd": "connected", "timeout_ms": 40000}), Duration::from_secs(45)).unwrap();
    let cb = peers[1].call(json!({"cmd": "connected", "timeout_ms": 5000}), t).unwrap();
    println!("A: {ca}\nB: {cb}");
    if ca["connected"] != true {
        let sa = peers[0].call(json!({"cmd": "stats"}), t).unwrap();
        println!("A stats: {sa:#}");
        println!("coturn log:\n{}", coturn.log());
    }
    assert_eq!(ca["connected"], true);
    let ping = peers[0].call(json!({"cmd": "ping", "count": 10}), t).unwrap();
    println!("ping: {ping}");
}

#[test]
fn symmetric_both() {
    case(Site::new(Nat::Symmetric), Site::new(Nat::Symmetric), "all");
}

#[test]
fn port_keeping_both() {
    case(Site::new(Nat::PortKeeping), Site::new(Nat::PortKeeping), "all");
}

#[test]
fn symmetric_chromium_both() {
    case_with(Site::new(Nat::Symmetric), Site::new(Nat::Symmetric), "all", [Kind::Chromium, Kind::Chromium]);
}
#[test]
fn symmetric_chromium_rtcweb() {
    case_with(Site::new(Nat::Symmetric), Site::new(Nat::Symmetric), "all", [Kind::Chromium, Kind::Rtcweb]);
}
#[test]
fn symmetric_rtcweb_chromium() {
    case_with(Site::new(Nat::Symmetric), Site::new(Nat::Symmetric), "all", [Kind::Rtcweb, Kind::Chromium]);
}
