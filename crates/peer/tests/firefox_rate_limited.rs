//! rtcweb sends video to Firefox through a rate-limited path, as `rate_limited` sets it up
//! and judges it. Headless Firefox ESR over WebDriver BiDi, in the test's network
//! namespace, gathering its host candidate on the path's end there.
//!
//! Without `/usr/bin/firefox-esr` the case is skipped with a message, except under CI.
#![allow(clippy::disallowed_methods)] // the test measures wall-clock time

mod peer_events;
mod rate_limited;

use rtcweb_lab::firefox::Firefox;
use rtcweb_lab::isolate::{inside_namespace, run_in_namespace};
use serde_json::json;

#[test]
fn rtcweb_video_to_firefox_follows_a_rate_limited_link() {
    let name = "rtcweb_video_to_firefox_follows_a_rate_limited_link";
    if !rtcweb_lab::firefox::available() || run_in_namespace(name, false) {
        return;
    }
    if !inside_namespace() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{name}: needs a network namespace of its own under CI"
        );
        println!("{name}: no network namespace here: skipped");
        return;
    }
    // The path first: Firefox gathers its host candidate on the pair's end.
    let path = rate_limited::Path::build();
    let mut browser =
        Firefox::launch(&[("media.peerconnection.ice.obfuscate_host_addresses", "false")])
            .expect("Firefox starts");
    let label = format!("Firefox {}", browser.version());
    let page =
        rtcweb_lab::chromium::serve_page("<!doctype html><title>rtcweb</title><body></body>")
            .expect("a page server");
    browser.navigate(&page).expect("the page loads");
    let mut eval = |js: &str| {
        browser
            .evaluate(js)
            .unwrap_or_else(|e| panic!("{js:.60}: {e}"))
    };
    assert_eq!(
        eval(&format!(
            "(() => {{ {}; return true; }})()",
            rate_limited::PAGE_SCRIPT
        )),
        json!(true)
    );
    rate_limited::call(&path, &mut eval, &label, true);
}
