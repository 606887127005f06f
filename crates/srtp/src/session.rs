//! A DTLS-SRTP session: our context and the peer's, from the exporter's keying material.

use crate::context::{Config, Context};
use crate::error::{Error, KeyingError};
use crate::profile::{Profile, Role, split_keying_material};

/// SRTP for one DTLS association: packets we send are protected with our write key, packets
/// we receive are unprotected with the peer's (RFC 5764 §4.2).
#[derive(Debug)]
pub struct Session {
    local: Context,
    remote: Context,
}

impl Session {
    /// Keys a session from the DTLS exporter output (label "EXTRACTOR-dtls_srtp",
    /// [`Profile::keying_material_len`] bytes). `role` is our DTLS role.
    pub fn from_keying_material(
        profile: Profile,
        material: &[u8],
        role: Role,
        config: &Config,
    ) -> Result<Self, KeyingError> {
        let (ours, theirs) = split_keying_material(profile, material, role)?;
        Ok(Self {
            local: Context::new(profile, ours, config)?,
            remote: Context::new(profile, theirs, config)?,
        })
    }

    /// The protection profile.
    pub fn profile(&self) -> Profile {
        self.local.profile()
    }

    /// Protects an RTP packet we send; see [`Context::protect_rtp`].
    pub fn protect_rtp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, Error> {
        self.local.protect_rtp(buf, len)
    }

    /// Unprotects an SRTP packet we received; see [`Context::unprotect_rtp`].
    pub fn unprotect_rtp(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        self.remote.unprotect_rtp(buf)
    }

    /// Protects an RTCP compound packet we send; see [`Context::protect_rtcp`].
    pub fn protect_rtcp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, Error> {
        self.local.protect_rtcp(buf, len)
    }

    /// Unprotects an SRTCP packet we received; see [`Context::unprotect_rtcp`].
    pub fn unprotect_rtcp(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        self.remote.unprotect_rtcp(buf)
    }

    /// Our context (outbound).
    pub fn local(&mut self) -> &mut Context {
        &mut self.local
    }

    /// The peer's context (inbound).
    pub fn remote(&mut self) -> &mut Context {
        &mut self.remote
    }
}
