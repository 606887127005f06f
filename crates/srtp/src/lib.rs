//! # rtcweb-srtp: SRTP and SRTCP for WebRTC, sans-IO
//!
//! Media encryption as WebRTC uses it: the Secure Real-time Transport Protocol (RFC 3711) and
//! its AES-GCM mode (RFC 7714), keyed from a DTLS-SRTP handshake (RFC 5764). Packets are
//! protected and unprotected **in place in the caller's buffer**: no allocation per packet,
//! no clock, no IO.
//!
//! ## Scope
//! - **Profiles** ([`Profile`]): `SRTP_AES128_CM_HMAC_SHA1_80`, `SRTP_AES128_CM_HMAC_SHA1_32`,
//!   `SRTP_AEAD_AES_128_GCM`, `SRTP_AEAD_AES_256_GCM`, for SRTP and SRTCP.
//! - **Keys**: a [`Session`] is made from the DTLS exporter's keying material (RFC 5764 §4.2);
//!   our DTLS [`Role`] picks which half we send with. Session keys are derived once
//!   (RFC 3711 §4.3, key derivation rate 0), and the cipher state (AES key schedule, HMAC
//!   inner/outer states, ring's GCM key) is precomputed once per [`Context`].
//! - **Streams**: per-SSRC state is created on demand, only for packets that authenticated,
//!   in a table of bounded size ([`Config::with_max_streams`]). It holds the rollover counter
//!   estimate (RFC 3711 §3.3.1, Appendix A), the next SRTCP index, and replay windows
//!   (RFC 3711 §3.3.2) of a configurable size: 64 by default, 1024 or more for video
//!   ([`Config::with_replay_window`]).
//! - **Errors** ([`Error`]): authentication failure, replay, too short, malformed header,
//!   too many streams. A failed packet is dropped and the stream state is left untouched.
//!
//! ## Use
//! ```
//! use rtcweb_srtp::{Config, Profile, Role, Session};
//!
//! // From the DTLS handshake: the negotiated profile and the exporter output.
//! let profile = Profile::AeadAes128Gcm;
//! let material = [7u8; 56]; // profile.keying_material_len() bytes
//! let mut ours = Session::from_keying_material(profile, &material, Role::Client, &Config::default())?;
//! let mut theirs = Session::from_keying_material(profile, &material, Role::Server, &Config::default())?;
//!
//! // An RTP packet (12-byte header, payload) in a buffer with room for the tag.
//! let mut buf = [0u8; 1500];
//! let rtp = [0x80, 0x6f, 0x00, 0x01, 0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78, b'h', b'i'];
//! buf[..rtp.len()].copy_from_slice(&rtp);
//! let len = ours.protect_rtp(&mut buf, rtp.len())?;
//! assert_eq!(len, rtp.len() + profile.rtp_overhead());
//!
//! // The datagram goes out; at the peer it is unprotected in place.
//! let len = theirs.unprotect_rtp(&mut buf[..len])?;
//! assert_eq!(buf[..len], rtp);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//! SRTCP is the same with [`Session::protect_rtcp`] and [`Session::unprotect_rtcp`]. The
//! owner (`peer`) demultiplexes datagrams (RFC 7983) and hands RTP and RTCP here; this crate
//! never sees a socket. There is no time in SRTP, so there is nothing to poll.
//!
//! ## Implementation notes
//! - AES-GCM is ring's; AES counter mode is RustCrypto `aes` + `ctr` (AES-NI when present);
//!   HMAC-SHA1 is RustCrypto `hmac` + `sha1`, which measured faster than ring's here.
//! - `rtp-rs` finds where the RTP payload starts (CSRCs, header extension); the padding is
//!   encrypted, so its length is not read before decryption.
//! - Unprotect checks the replay window, then authenticates, then decrypts, and only then
//!   commits the new index. Counter-mode tags are compared in constant time.
//!
//! ## Not implemented
//! Master key identifiers (MKI) and key derivation rates other than 0 (DTLS-SRTP uses
//! neither), the NULL-cipher and AES-256-CM profiles, encrypted RTP header extensions
//! (RFC 6904 / cryptex), and re-keying: at index exhaustion [`Error::IndexExhausted`] asks the
//! owner for a new DTLS handshake.
#![forbid(unsafe_code)]

mod cipher;
mod context;
mod error;
mod kdf;
mod profile;
mod replay;
mod rtcp;
mod rtp;
mod session;
mod stream;

pub use context::{Config, Context};
pub use error::{Error, KeyingError};
pub use profile::{MasterKey, Profile, Role, split_keying_material};
pub use session::Session;
