//! rtcweb sends video to Chromium through a rate-limited path, as `rate_limited` sets it up
//! and judges it. Without `/usr/bin/chromium` the case is skipped with a message, except
//! under CI; it needs network namespaces (`unshare -n`, `ip netns`) and `tc`.
#![allow(clippy::disallowed_methods)] // the test measures wall-clock time

mod chromium;
mod peer_events;
mod rate_limited;

use chromium::Chromium;
use rtcweb_lab::isolate::inside_namespace;
use serde_json::json;

#[test]
fn rtcweb_video_to_chromium_follows_a_rate_limited_link() {
    let name = "rtcweb_video_to_chromium_follows_a_rate_limited_link";
    if !chromium::available() || chromium::run_in_network_namespace(name) {
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
    // The path first: Chromium gathers its host candidate on the pair's end.
    let path = rate_limited::Path::build();
    let mut browser = Chromium::launch();
    let label = format!("Chromium {}", browser.version());
    let page = browser.new_page_at(&chromium::serve_page(
        "<!doctype html><title>rtcweb</title><body></body>",
    ));
    assert_eq!(
        browser.evaluate(&page, &format!("{}; true", rate_limited::PAGE_SCRIPT)),
        json!(true)
    );
    rate_limited::call(&path, &mut |js| browser.evaluate(&page, js), &label, false);
}
