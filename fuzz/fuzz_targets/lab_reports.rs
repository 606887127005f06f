//! rtcweb-lab reading what its peers and browsers send back: agent reply lines (from
//! rtcweb, Chromium's page or aiortc's script over the lab's line protocol), read into a
//! case's outcome and its report line, and the browsers' evaluation results (CDP
//! `Runtime.evaluate`, BiDi `script.evaluate`). Input: two lines (the two sides' reports to
//! `connected`, each used as the other's `audio` report too). No panic; a side connected
//! exactly when its report said `"connected": true`, and the report line opens with the
//! offerer's status.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use rtcweb_lab::agent::parse_reply;
use rtcweb_lab::case::{Outcome, SideOutcome};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.splitn(3, '\n');
    let reports: [Value; 2] =
        [(); 2].map(|()| parse_reply(lines.next().unwrap_or_default()).unwrap_or(Value::Null));
    let sides = [
        SideOutcome::from_reports("offerer", &reports[0], &reports[1]),
        SideOutcome::from_reports("answerer", &reports[1], &reports[0]),
    ];
    for (side, report) in sides.iter().zip(&reports) {
        assert_eq!(side.connected, report["connected"] == Value::Bool(true));
    }
    let offerer_connected = sides[0].connected;
    let outcome = Outcome {
        sides,
        echoed: data.len() as u64,
        rtt_ms: f64::from(data.first().copied().unwrap_or(0)),
        total: Duration::from_millis(data.len() as u64),
        coturn_log: String::new(),
    };
    let line = outcome.line();
    let status = if offerer_connected {
        "connected"
    } else {
        "FAILED"
    };
    assert!(
        line.starts_with(&format!("offerer offerer {status} in ")),
        "{line}"
    );
    for report in &reports {
        let _ = rtcweb_lab::chromium::evaluation(report);
        let _ = rtcweb_lab::firefox::evaluation(report);
    }
});
