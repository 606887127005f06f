//! A crypto context (RFC 3711 §3.2): one master key, its derived session keys, and the state
//! of every SSRC protected or unprotected with it.

use crate::cipher::Cipher;
use crate::error::KeyingError;
use crate::kdf::SessionKeys;
use crate::profile::{MasterKey, Profile};
use crate::stream::Streams;

/// Limits of a [`Context`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    replay_window: usize,
    max_streams: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            // RFC 3711 §3.3.2: "a minimum window size of 64 MUST be supported".
            replay_window: 64,
            max_streams: 256,
        }
    }
}

impl Config {
    /// Packets the replay window of each stream remembers (RFC 3711 §3.3.2). Rounded up to a
    /// power of two, at least 64 (the default). Video with retransmissions wants 1024 or more.
    pub fn with_replay_window(mut self, packets: usize) -> Self {
        self.replay_window = packets;
        self
    }

    /// At most this many SSRCs have state (default 256); a packet for one more is refused
    /// with [`Error::TooManyStreams`](crate::Error::TooManyStreams).
    pub fn with_max_streams(mut self, streams: usize) -> Self {
        self.max_streams = streams;
        self
    }

    /// The replay window size actually used, in packets.
    pub fn replay_window(&self) -> usize {
        crate::replay::ReplayWindow::effective_size(self.replay_window)
    }

    /// The maximum number of streams.
    pub fn max_streams(&self) -> usize {
        self.max_streams
    }
}

/// SRTP and SRTCP under one master key, for any number of SSRCs (up to the configured bound).
///
/// A DTLS-SRTP [`Session`](crate::Session) holds two: ours, to protect, and the peer's, to
/// unprotect. The packet methods are in the `rtp` and `rtcp` modules:
/// [`protect_rtp`](Self::protect_rtp), [`unprotect_rtp`](Self::unprotect_rtp),
/// [`protect_rtcp`](Self::protect_rtcp), [`unprotect_rtcp`](Self::unprotect_rtcp).
#[derive(Debug)]
pub struct Context {
    pub(crate) profile: Profile,
    pub(crate) rtp: Cipher,
    pub(crate) rtcp: Cipher,
    pub(crate) streams: Streams,
}

impl Context {
    /// Derives the session keys (RFC 3711 §4.3) from a master key and salt.
    pub fn new(
        profile: Profile,
        master: MasterKey<'_>,
        config: &Config,
    ) -> Result<Self, KeyingError> {
        let rtp = SessionKeys::derive(profile, master.key, master.salt, false)?;
        let rtcp = SessionKeys::derive(profile, master.key, master.salt, true)?;
        Self::from_session_keys(profile, &rtp, &rtcp, config)
    }

    /// A context keyed directly with session keys (the RFC 7714 §16 vectors give those).
    pub(crate) fn from_session_keys(
        profile: Profile,
        rtp: &SessionKeys,
        rtcp: &SessionKeys,
        config: &Config,
    ) -> Result<Self, KeyingError> {
        Ok(Self {
            profile,
            rtp: Cipher::new(profile, rtp, profile.rtp_tag_len())?,
            rtcp: Cipher::new(profile, rtcp, profile.rtcp_tag_len())?,
            streams: Streams::new(config.max_streams, config.replay_window),
        })
    }

    /// The protection profile.
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// Number of SSRCs with state.
    pub fn stream_count(&self) -> usize {
        self.streams.len()
    }

    /// Forgets an SSRC's state (after RTCP BYE, or when the owner knows it is gone).
    /// Returns whether it existed.
    pub fn remove_stream(&mut self, ssrc: u32) -> bool {
        self.streams.remove(ssrc)
    }

    /// The rollover counter of the highest SRTP packet received on `ssrc` (RFC 3711 §3.3.1).
    pub fn rollover_counter(&self, ssrc: u32) -> Option<u32> {
        let highest = self.streams.get(ssrc)?.rtp_received.highest()?;
        u32::try_from(highest >> 16).ok()
    }
}

/// The context of the RFC 7714 §16 and §17 test vectors: session key `key` (00 01 02 ...),
/// salt "Quid pro quo", the same keys both ways.
#[cfg(test)]
pub(crate) fn rfc7714_context(profile: crate::profile::Profile, key: &[u8]) -> Context {
    let mut keys = crate::kdf::SessionKeys {
        encryption: [0; 32],
        auth: [0; 20],
        salt: [0; 14],
    };
    keys.encryption[..key.len()].copy_from_slice(key);
    keys.salt[..12].copy_from_slice(b"Quid pro quo");
    Context::from_session_keys(profile, &keys, &keys, &Config::default())
        .expect("RFC 7714 keys fit every GCM profile")
}
