//! A probe cluster: a burst the pacer sends at a set rate so that the estimator can see
//! whether the path carries it (libwebrtc's `ProbeClusterConfig`, draft-ietf-rmcat-gcc-02
//! leaves probing to the implementation).

use std::time::Duration;

use crate::Bitrate;

/// What the controller asks the pacer to send as one probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeCluster {
    /// Identifies the probe; the pacer tags the packets it sends for it, and the controller
    /// matches their feedback to it.
    pub id: u32,
    /// The rate the burst is sent at.
    pub bitrate: Bitrate,
    /// The burst lasts at least this long ...
    pub min_duration: Duration,
    /// ... and has at least this many packets.
    pub min_packets: u32,
}

impl ProbeCluster {
    /// The bytes the burst must carry: its rate over its duration.
    pub fn min_bytes(&self) -> u64 {
        self.bitrate.bytes_in(self.min_duration)
    }
}
