//! What the interop tests' event pumps hand the blocking test, and the trickling of our
//! candidates to the other peer as they come.
#![allow(dead_code, unreachable_pub)] // shared by several test binaries

use std::sync::mpsc;
use std::time::{Duration, Instant};

/// What a peer's event pump hands the (blocking) test.
pub enum Seen {
    /// A local candidate to trickle.
    Candidate { mid: String, candidate: String },
    /// Gathering completed.
    GatheringComplete,
    /// The connection state became connected, at this instant.
    Connected(Instant),
}

/// Gives each candidate to `give` (mid, candidate) as the peer gathers them, until
/// gathering completes (10 s at most); the mid of the last one. At least one is required.
pub fn trickle(seen: &mpsc::Receiver<Seen>, mut give: impl FnMut(&str, &str)) -> String {
    #[allow(clippy::disallowed_methods)] // real peers, real time
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut last_mid = None;
    loop {
        #[allow(clippy::disallowed_methods)]
        let left = deadline.saturating_duration_since(Instant::now());
        match seen
            .recv_timeout(left)
            .expect("gathering completes in time")
        {
            Seen::Candidate { mid, candidate } => {
                give(&mid, &candidate);
                last_mid = Some(mid);
            }
            Seen::GatheringComplete => break,
            Seen::Connected(_) => {}
        }
    }
    last_mid.expect("the peer gathered no candidate")
}
