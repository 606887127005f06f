//! # rtcweb-cc: congestion control for WebRTC media
//!
//! Sans-IO building blocks of send-side bandwidth estimation, as libwebrtc and
//! draft-ietf-rmcat-gcc-02 do it. Time comes in as an `Instant` argument; nothing here
//! reads a clock, owns a socket or starts a thread.
#![forbid(unsafe_code)]

mod bitrate;
mod probe_cluster;
// The pacer (cc-pace).
mod pacer;

pub use bitrate::Bitrate;
pub use probe_cluster::ProbeCluster;
// The pacer (cc-pace).
pub use pacer::{Paced, Pacer, PacerConfig, PacerStats, PacketClass};
