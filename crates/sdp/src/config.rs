//! Negotiator configuration.

use rtcweb_ice::Credentials;

use crate::grammar::is_token;
use crate::{CodecCapability, DtlsRole, Error, ExtensionCapability, Fingerprint};

/// Settings of a [`Negotiator`](crate::Negotiator). [`Config::new`] gives what a browser
/// does, with our certificate's fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The fingerprints of our DTLS certificate (RFC 8122 §5); at least one.
    pub fingerprints: Vec<Fingerprint>,
    /// Our DTLS role when we answer an `actpass` offer: `Client` writes `a=setup:active`,
    /// as RFC 8842 §5.3 recommends and browsers do.
    pub answerer_role: DtlsRole,
    /// Our ICE credentials; random ones when `None`. The owner passes the ICE agent's.
    pub ice_credentials: Option<Credentials>,
    /// Advertise trickle ICE (`a=ice-options:trickle`, RFC 8840 §4.1.1).
    pub trickle: bool,
    /// More `a=ice-options` tags (RFC 8839 §5.6): written in every offer, and in answers
    /// to offers that carry the same tag. Chromium negotiates SPED (the DTLS handshake in
    /// the ICE checks) with `googspedv1` and `sped`: its answer does SPED only when the
    /// offer carries one of them. None by default.
    pub ice_options: Vec<crate::IceOption>,
    /// Audio codecs, in order of preference.
    pub audio_codecs: Vec<CodecCapability>,
    /// Video codecs, in order of preference.
    pub video_codecs: Vec<CodecCapability>,
    /// RTP header extensions we support; offered with ids 1, 2, ... in this order.
    pub header_extensions: Vec<ExtensionCapability>,
    /// Accept the peer's data channel section.
    pub data_channels: bool,
    /// Our SCTP port (RFC 8841 §5.1).
    pub sctp_port: u16,
    /// The largest message we can receive (RFC 8841 §6.1).
    pub max_message_size: u64,
    /// SNAP (draft-hancke-tsvwg-snap): our SCTP INIT chunk, written as `a=sctp-init` in
    /// every offer and in answers to offers that carry one; the peer's then comes in
    /// [`SctpParameters::remote_sctp_init`](crate::SctpParameters::remote_sctp_init).
    /// `None` (the default): no `a=sctp-init`, the SCTP handshake runs as usual.
    pub sctp_init: Option<Vec<u8>>,
    /// Offer and accept mixed one- and two-byte header extensions (RFC 8285 §6).
    pub extmap_allow_mixed: bool,
    /// The RTCP CNAME of our streams (RFC 7022); random when `None`.
    pub cname: Option<String>,
    /// The session id of our `o=` line; random when `None`.
    pub session_id: Option<u64>,
    /// Seed of the random generator (credentials, SSRCs, CNAME, session id); from the OS
    /// when `None`. Set it for deterministic tests.
    pub seed: Option<u64>,
    /// Most media sections in a remote description.
    pub max_media_sections: usize,
}

impl Config {
    /// The defaults with our fingerprint: Opus, PCMU, PCMA; VP8 and H.264 Constrained
    /// Baseline with RTX; the common header extensions; data channels on port 5000 with
    /// 256 KiB messages; answerer takes `a=setup:active`.
    pub fn new(fingerprint: Fingerprint) -> Self {
        Self {
            fingerprints: vec![fingerprint],
            answerer_role: DtlsRole::Client,
            ice_credentials: None,
            trickle: true,
            ice_options: Vec::new(),
            audio_codecs: CodecCapability::default_audio(),
            video_codecs: CodecCapability::default_video(),
            header_extensions: ExtensionCapability::defaults(),
            data_channels: true,
            sctp_port: 5000,
            max_message_size: 262_144,
            sctp_init: None,
            extmap_allow_mixed: true,
            cname: None,
            session_id: None,
            seed: None,
            max_media_sections: 64,
        }
    }

    /// Checks what the negotiator relies on: a fingerprint, distinct payload types within
    /// each kind (0..=127), usable credentials and CNAME.
    pub(crate) fn check(&self) -> Result<(), Error> {
        if self.fingerprints.is_empty() {
            return Err(Error::InvalidConfig("no DTLS fingerprint"));
        }
        for codecs in [&self.audio_codecs, &self.video_codecs] {
            let mut seen = [false; 128];
            for pt in codecs
                .iter()
                .flat_map(|c| std::iter::once(c.payload_type).chain(c.rtx_payload_type))
            {
                let slot = seen
                    .get_mut(usize::from(pt))
                    .ok_or(Error::InvalidConfig("payload type above 127"))?;
                if std::mem::replace(slot, true) {
                    return Err(Error::InvalidConfig("payload type used twice"));
                }
            }
            if codecs.iter().any(|c| c.rtx && c.rtx_payload_type.is_none()) {
                return Err(Error::InvalidConfig("RTX without a payload type"));
            }
        }
        if let Some(c) = &self.ice_credentials
            && !(crate::grammar::is_ice_chars(&c.ufrag) && crate::grammar::is_ice_chars(&c.pwd))
        {
            return Err(Error::InvalidConfig("ICE credentials are not ice-chars"));
        }
        if self.cname.as_deref().is_some_and(|c| !is_token(c)) {
            return Err(Error::InvalidConfig("CNAME is not a token"));
        }
        if self.header_extensions.len() > 14 {
            return Err(Error::InvalidConfig(
                "more header extensions than one-byte ids",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HashAlgorithm;

    #[test]
    fn checks_payload_types_and_fingerprints() {
        let fp = Fingerprint::new(HashAlgorithm::Sha256, vec![1; 32]);
        let mut c = Config::new(fp);
        c.check().unwrap();
        c.video_codecs[1].payload_type = 96;
        assert_eq!(
            c.check(),
            Err(Error::InvalidConfig("payload type used twice"))
        );
        c.video_codecs = CodecCapability::default_video();
        c.fingerprints.clear();
        assert_eq!(c.check(), Err(Error::InvalidConfig("no DTLS fingerprint")));
    }
}
