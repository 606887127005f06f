//! The loopback half of the peer benchmark: the same two-peer work done by three stacks over
//! real UDP sockets on 127.0.0.1 (rtcweb's tokio driver, webrtc-rs 0.21, str0m 0.25 driven
//! here), the memory-per-connection measurement, and the table of figures and ratios.

pub(crate) mod alternating;
pub(crate) mod figures;
pub(crate) mod loopback;
pub(crate) mod memory;
pub(crate) mod rtcweb_pair;
pub(crate) mod str0m_pair;
pub(crate) mod webrtc_rs_pair;
