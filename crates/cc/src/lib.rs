//! # rtcweb-cc: congestion control for WebRTC media
//!
//! Sans-IO send-side bandwidth estimation as libwebrtc and draft-ietf-rmcat-gcc-02 do it,
//! and the receive side that feeds another sender's. Time comes in as an `Instant`
//! argument; nothing here reads a clock, owns a socket or starts a thread.
//!
//! - **[`CongestionController`]**: packets sent ([`SentPacket`]) matched to the peer's
//!   feedback (TWCC, or RFC 8888 mapped by the caller to [`PacketArrival`]s); 5 ms arrival
//!   groups, the trendline filter, the overuse detector with its adaptive threshold, AIMD
//!   rate control on the acknowledged bitrate, a loss-based limit, REMB as a cap (or the
//!   estimate for peers without TWCC); ALR detection; probing. Out come
//!   [`CcEvent::TargetChanged`] (target, pacing and padding rates) and
//!   [`CcEvent::Probe`] clusters. A congestion window bounds the data in flight: over
//!   it, [`CongestionController::encoder_target`] pushes the encoders back; over 1.5
//!   windows, [`CongestionController::is_congested`] holds the pacer.
//! - **[`Pacer`]**: a leaky bucket with bounded bursts that every RTP packet goes through:
//!   audio first (never held), then retransmissions, video, padding; probe clusters at
//!   their rate; held while congested ([`Pacer::set_congested`]).
//! - **[`TwccRecorder`]** and **[`CcfbRecorder`]**: the receive side, arrivals reported in
//!   transport-wide (draft-holmer-rmcat-transport-wide-cc-extensions-01) or RFC 8888
//!   feedback.
//!
//! The drive loop, as `rtcweb-peer` runs it: each packet to send goes into the pacer;
//! what [`Pacer::poll_packet`] lets out gets its transport-wide sequence number and is
//! told to the controller; feedback goes to the controller; its events set the pacer's
//! rates and probes; before each poll the pacer is told whether the controller is
//! congested; encoders aim at `encoder_target()`; both are woken at their `poll_timeout()`.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use rtcweb_cc::{CcConfig, CcEvent, CongestionController, Paced, PacketClass, Pacer,
//!     PacerConfig, SentPacket};
//!
//! # #[allow(clippy::disallowed_methods)] // the epoch of simulated time
//! let start = Instant::now();
//! let mut cc = CongestionController::new(start, CcConfig::default());
//! let mut pacer = Pacer::new(start, PacerConfig::default());
//! let target = cc.target();
//! pacer.set_rates(start, target.pacing, target.padding);
//! let mut next_sequence = 0u64;
//! pacer.enqueue(start, PacketClass::Video, 1200, "an RTP packet").unwrap();
//! cc.handle_timeout(start);
//! while let Some(event) = cc.poll_event() {
//!     match event {
//!         CcEvent::TargetChanged(t) => pacer.set_rates(start, t.pacing, t.padding),
//!         CcEvent::Probe(cluster) => pacer.add_probe(start, cluster),
//!     }
//! }
//! while let Some(out) = pacer.poll_packet(start) {
//!     let (size, probe) = match out {
//!         Paced::Packet { probe, .. } => (1200, probe),
//!         Paced::Padding { size, probe } => (size, probe),
//!     };
//!     // Write `next_sequence` into the packet's extension, send it, then:
//!     cc.on_packet_sent(SentPacket {
//!         sequence: next_sequence,
//!         size,
//!         send_time: start,
//!         probe,
//!         audio: false,
//!     });
//!     next_sequence += 1;
//! }
//! assert!(next_sequence >= 1);
//! // Later: cc.handle_transport_cc(now, &feedback), cc.handle_timeout(now) at
//! // cc.poll_timeout(), pacer.poll_packet(now) at pacer.poll_timeout().
//! # let _ = Duration::ZERO;
//! ```
#![forbid(unsafe_code)]

mod bitrate;
mod pacer;
mod probe_cluster;

mod acked_bitrate;
mod aimd;
mod alr;
mod congestion_window;
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
mod unwrap;
pub use pacer::{Paced, Pacer, PacerConfig, PacerStats, PacketClass};
pub use twcc_recorder::{TwccRecorder, TwccRecorderConfig, TwccRecorderStats};

mod ccfb_recorder;
pub use ccfb_recorder::{CcfbRecorder, CcfbRecorderConfig, CcfbRecorderStats};

mod remb_estimator;
pub use remb_estimator::RembEstimator;
