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

// The send-side estimator (issue 17).
mod acked_bitrate;
mod aimd;
mod alr;
mod controller;
mod inter_arrival;
mod loss_based;
mod overuse_detector;
mod probe_controller;
mod probe_estimator;
mod send_history;
mod trendline;

pub use bitrate::Bitrate;
pub use probe_cluster::ProbeCluster;

pub use controller::{
    CcConfig, CcEvent, CcStats, CongestionController, PacketArrival, SentPacket, TargetRate,
};
pub use overuse_detector::BandwidthUsage;

mod twcc_recorder;
pub use pacer::{Paced, Pacer, PacerConfig, PacerStats, PacketClass};
pub use twcc_recorder::{TwccRecorder, TwccRecorderConfig, TwccRecorderStats};

mod ccfb_recorder;
pub use ccfb_recorder::{CcfbRecorder, CcfbRecorderConfig, CcfbRecorderStats};
