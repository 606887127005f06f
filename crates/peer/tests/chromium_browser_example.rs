//! The browser example (`examples/browser`) in headless Chromium: the page is served by the
//! example's HTTP endpoint on 127.0.0.1, connects (its offer and our answer over HTTP), a
//! chat line gets the Rust peer's reply, and Chromium's fake microphone comes back from the
//! peer as audio that plays (`inbound-rtp` `totalAudioEnergy` > 0).
//!
//! Runs in a network namespace holding only `lo` when `unshare -n` works here. Without
//! `/usr/bin/chromium` it is skipped with a message, except under CI.
#![allow(clippy::disallowed_methods)] // the test waits in wall-clock time

mod chromium;
mod peer_events;
#[path = "../examples/browser/server.rs"]
mod server;

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use chromium::Chromium;
use serde_json::json;

#[test]
fn chromium_chats_and_hears_its_echo_through_the_browser_example() {
    let name = "chromium_chats_and_hears_its_echo_through_the_browser_example";
    if !chromium::available() || chromium::run_in_network_namespace(name) {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let addr = server::start(
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        rt.handle().clone(),
    )
    .expect("the example's endpoint");
    let mut browser = Chromium::launch();
    let version = browser.version();
    let page = browser.new_page_at(&format!("http://{addr}/"));

    assert_eq!(browser.evaluate(&page, "connect()"), json!(true));
    for line in ["hello from Chromium", "héllo, ünïcode"] {
        let reply = browser.evaluate(&page, &format!("say({})", json!(line)));
        assert_eq!(reply, json!(format!("rtcweb heard \"{line}\"")));
    }
    // The fake microphone beeps twice a second: let a few beeps go round.
    std::thread::sleep(Duration::from_secs(3));
    let stats = browser.evaluate(
        &page,
        "(async () => { let r = {}; (await pc.getStats()).forEach((s) => {
            if (s.type === 'inbound-rtp' && s.kind === 'audio') r.inbound = s;
            if (s.type === 'outbound-rtp' && s.kind === 'audio') r.outbound = s;
          }); r.state = pc.connectionState; r.log = document.getElementById('log').innerText;
          return r; })()",
    );
    println!(
        "browser example ({version}): chat answered; Chromium sent {} audio packets and \
         received {} back, totalAudioEnergy {}; page log:\n{}",
        stats["outbound"]["packetsSent"],
        stats["inbound"]["packetsReceived"],
        stats["inbound"]["totalAudioEnergy"],
        stats["log"].as_str().unwrap_or("")
    );
    assert_eq!(stats["state"], "connected");
    assert!(
        stats["inbound"]["packetsReceived"].as_u64().unwrap_or(0) > 50,
        "{stats}"
    );
    assert!(
        stats["inbound"]["totalAudioEnergy"].as_f64().unwrap_or(0.0) > 0.0,
        "{stats}"
    );
}
