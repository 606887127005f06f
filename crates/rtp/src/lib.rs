//! # rtcweb-rtp: RTP and RTCP wire formats for WebRTC
//!
//! - **RTP** ([`RtpPacket`]): the header through [`rtp-rs`](https://docs.rs/rtp-rs), RFC 8285
//!   header extensions in the one-byte and two-byte forms ([`Extensions`],
//!   [`write_extensions`]) with typed values for what browsers send: `sdes:mid`,
//!   `rtp-stream-id` and `repaired-rtp-stream-id` ([`parse_sdes_text`]), audio level
//!   ([`AudioLevel`]), abs-send-time, transport-wide sequence numbers, video orientation,
//!   playout delay. Unknown extensions are carried through as id and bytes.
//! - **RTCP** ([`rtcp`]): SR, RR, SDES, BYE, APP, generic NACK, PLI, FIR, REMB,
//!   transport-wide CC feedback and RFC 8888 congestion control feedback, parsed from compound or reduced-size packets
//!   ([`rtcp::Compound`]) and written into the caller's buffer; unknown packet types are
//!   carried through.
//! - **Statistics** ([`ReceiveStats`]): RFC 3550 Appendix A sequence tracking, loss and
//!   interarrival jitter, report blocks with LSR/DLSR, and [`round_trip_time`].
//!
//! Parsing allocates nothing for RTP; RTCP packets with lists (report blocks, NACKs, SDES
//! items) are small owned structs. Nothing here keeps time: arrival instants are arguments.
//!
//! ```
//! use rtcweb_rtp::{AudioLevel, RtpPacket};
//!
//! // Chromium's first Opus packet (decrypted): mid "0" and an audio level in extensions.
//! let bytes = hex::decode("90ef64507ead6b109f0f29a0bede0001403010ff780be4c1").unwrap();
//! let packet = RtpPacket::parse(&bytes).unwrap();
//! assert_eq!(packet.payload_type(), 111);
//! let ext = packet.extensions();
//! assert_eq!(ext.get(4), Some(&b"0"[..]));
//! assert_eq!(AudioLevel::parse(ext.get(1).unwrap()).unwrap().level, 127);
//! ```
//!
//! - **Payloads** ([`payload`]): Opus (RFC 7587), VP8 (RFC 7741: descriptor, picture ID,
//!   key-frame detection, frame assembly), H.264 (RFC 6184 mode 1: single NAL, STAP-A,
//!   FU-A), RTX wrap/unwrap (RFC 4588) and a send-side history for answering NACKs.
//!
//! - **Sending** ([`SendStats`], [`RtcpScheduler`]): sender reports with the RTP time
//!   extrapolated to the report's NTP instant ([`NtpClock`]), what the receiver reported back
//!   (loss, jitter, round-trip time), and the RFC 3550 §6.3 RTCP interval with timer and
//!   reverse reconsideration.
#![forbid(unsafe_code)]

mod error;
mod extension;
mod ntp_clock;
mod packet;
pub mod payload;
pub mod rtcp;
mod rtcp_scheduler;
mod send_stats;
mod stats;

pub use error::WireError;
pub use extension::{
    AudioLevel, Extension, ExtensionForm, Extensions, ONE_BYTE_PROFILE, PlayoutDelay,
    TWO_BYTE_PROFILE, VideoOrientation, parse_abs_send_time, parse_sdes_text,
    parse_transport_wide_seq, uri, write_extensions,
};
pub use ntp_clock::{
    AnchoredNtpClock, NTP_UNIX_OFFSET, NtpClock, duration_to_ntp, ntp_to_duration,
};
pub use packet::RtpPacket;
pub use rtcp_scheduler::{RtcpEvent, RtcpIntervalConfig, RtcpScheduler};
pub use send_stats::{RemoteReceiveStats, SendStats};
pub use stats::{ReceiveStats, round_trip_time};
