//! Offer/answer (RFC 8829) and trickled candidates (RFC 8838): the W3C signalling methods.

use std::time::Instant;

use rand::Rng;
use rtcweb_ice::{Agent, Candidate, IceError};
use rtcweb_sdp::{Negotiation, SdpType, SessionDescription, SignalingState};

use crate::{Description, Error, FailureReason, Peer};

impl Peer {
    /// Creates an offer (W3C `createOffer`): one BUNDLE group, `a=setup:actpass`, a data
    /// channel section once [`create_data_channel`](Self::create_data_channel) was called.
    pub fn create_offer(&mut self) -> Result<Description, Error> {
        let offer = self.negotiator.create_offer()?;
        let sdp = offer.to_string();
        self.created_offer = Some((sdp.clone(), offer));
        Ok(Description {
            kind: SdpType::Offer,
            sdp,
        })
    }

    /// Creates an answer to the remote offer (W3C `createAnswer`); we take
    /// `a=setup:active` (the DTLS client) against an `actpass` offer (RFC 8842 §5.3).
    pub fn create_answer(&mut self) -> Result<Description, Error> {
        let answer = self.negotiator.create_answer()?;
        let sdp = answer.to_string();
        self.created_answer = Some((sdp.clone(), answer));
        Ok(Description {
            kind: SdpType::Answer,
            sdp,
        })
    }

    /// Applies a description we created (W3C `setLocalDescription`). Gathering starts here;
    /// an offer makes us the controlling ICE agent (RFC 8445 §6.1.1). A
    /// [`SdpType::Rollback`] cancels our outstanding offer (RFC 8829 §4.1.10.2).
    pub fn set_local_description(
        &mut self,
        now: Instant,
        description: &Description,
    ) -> Result<(), Error> {
        if self.closed {
            return Err(Error::Closed);
        }
        let created = match description.kind {
            SdpType::Rollback => return self.rollback(now),
            SdpType::Offer => &self.created_offer,
            SdpType::Answer | SdpType::Pranswer => &self.created_answer,
        };
        let parsed = match created {
            Some((text, d)) if *text == description.sdp => d.clone(),
            // Not ours verbatim: the negotiator refuses modified descriptions.
            _ => SessionDescription::parse(&description.sdp).map_err(rtcweb_sdp::Error::from)?,
        };
        self.negotiator
            .set_local_description(description.kind, &parsed)?;
        self.local_mid = self
            .negotiator
            .local_description()
            .and_then(bundle_tag)
            .or(self.local_mid.take());
        if description.kind == SdpType::Offer {
            self.ensure_agent(now, true)?;
        }
        if let Some(agent) = self.ice.as_mut() {
            agent.gather(now);
        }
        self.drive(now);
        Ok(())
    }

    /// W3C `setLocalDescription()` without a description: creates the offer or the
    /// answer the signaling state calls for (an answer when a remote offer is
    /// outstanding), applies it, and returns it for signalling.
    pub fn set_local_description_implicit(&mut self, now: Instant) -> Result<Description, Error> {
        let description = match self.signaling_state() {
            SignalingState::HaveRemoteOffer | SignalingState::HaveLocalPranswer => {
                self.create_answer()?
            }
            _ => self.create_offer()?,
        };
        self.set_local_description(now, &description)?;
        Ok(description)
    }

    /// Applies the peer's description (W3C `setRemoteDescription`). The text is parsed and
    /// checked first: a malformed or contradictory description is refused with
    /// [`Error::Sdp`] and changes nothing. An offer makes us the controlled ICE agent. An
    /// offer that meets our own outstanding offer (glare) rolls ours back first, as W3C
    /// "perfect negotiation" has the polite peer do; [`SdpType::Rollback`] cancels the
    /// peer's outstanding offer.
    pub fn set_remote_description(
        &mut self,
        now: Instant,
        description: &Description,
    ) -> Result<(), Error> {
        if self.closed {
            return Err(Error::Closed);
        }
        if description.kind == SdpType::Rollback {
            return self.rollback(now);
        }
        let parsed =
            SessionDescription::parse(&description.sdp).map_err(rtcweb_sdp::Error::from)?;
        // RFC 8827 §6.5: DTLS must be able to check the peer's certificate.
        let usable = (0..parsed.media.len()).any(|i| {
            parsed
                .fingerprints(i)
                .into_iter()
                .any(|f| to_dtls_fingerprint(f).is_some())
        });
        if !usable {
            return Err(Error::UnsupportedFingerprint);
        }
        // W3C setRemoteDescription step 4.6: an offer in have-local-offer rolls back
        // first (the implicit rollback perfect negotiation relies on).
        if description.kind == SdpType::Offer
            && self.signaling_state() == SignalingState::HaveLocalOffer
        {
            self.rollback(now)?;
        }
        // The agent must exist before the negotiation is routed to it.
        let made_agent = description.kind == SdpType::Offer && self.ice.is_none();
        if made_agent {
            self.ensure_agent(now, false)?;
        }
        if let Err(e) = self
            .negotiator
            .set_remote_description(description.kind, parsed)
        {
            if made_agent {
                self.ice = None;
            }
            return Err(e.into());
        }
        self.drive(now);
        Ok(())
    }

    /// Cancels the outstanding offer, ours or the peer's (RFC 8829 §4.1.10.2). Before the
    /// first exchange completes, the ICE agent made for our offer goes too: its role
    /// follows whoever offers next.
    fn rollback(&mut self, now: Instant) -> Result<(), Error> {
        self.negotiator.rollback()?;
        self.created_offer = None;
        self.created_answer = None;
        if self.negotiator.current_remote_description().is_none() {
            if let Some(mut agent) = self.ice.take() {
                agent.close(now);
                self.negotiator.forget_local_candidates();
            }
            self.local_mid = None;
        }
        self.drive(now);
        Ok(())
    }

    /// W3C `pendingLocalDescription`.
    pub fn pending_local_description(&self) -> Option<String> {
        self.negotiator
            .pending_local_description()
            .map(ToString::to_string)
    }

    /// W3C `currentLocalDescription`.
    pub fn current_local_description(&self) -> Option<String> {
        self.negotiator
            .current_local_description()
            .map(ToString::to_string)
    }

    /// W3C `pendingRemoteDescription`.
    pub fn pending_remote_description(&self) -> Option<String> {
        self.negotiator
            .pending_remote_description()
            .map(ToString::to_string)
    }

    /// W3C `currentRemoteDescription`.
    pub fn current_remote_description(&self) -> Option<String> {
        self.negotiator
            .current_remote_description()
            .map(ToString::to_string)
    }

    /// W3C `getConfiguration()`.
    pub fn configuration(&self) -> &crate::Config {
        &self.config
    }

    /// W3C `setConfiguration()`: new ICE servers, transport policy and bounds. The
    /// certificate cannot change (W3C `InvalidModificationError`); the ICE agent gathers
    /// from the new servers at its next restart ([`restart_ice`](Self::restart_ice)).
    pub fn set_configuration(&mut self, config: crate::Config) -> Result<(), Error> {
        if self.closed {
            return Err(Error::Closed);
        }
        if config.certificate.as_ref().is_some_and(|c| {
            c.fingerprint(rtcweb_dtls::HashAlgorithm::Sha256) != self.fingerprint()
        }) {
            return Err(Error::InvalidModification("the certificate cannot change"));
        }
        if let Some(agent) = self.ice.as_mut() {
            agent.set_servers(config.ice_servers.clone(), config.ice_transport_policy);
        }
        let certificate = self.config.certificate.clone();
        let wallclock = self.config.wallclock;
        // The codec lists are the negotiator's, fixed at creation.
        let audio_codecs = std::mem::take(&mut self.config.audio_codecs);
        let video_codecs = std::mem::take(&mut self.config.video_codecs);
        self.config = crate::Config {
            certificate,
            wallclock,
            audio_codecs,
            video_codecs,
            ..config
        };
        Ok(())
    }

    /// Adds a candidate the peer trickled (W3C `addIceCandidate`, RFC 8838 §4.4) for the
    /// section `mid` (the remote BUNDLE tag when `None`). An empty candidate means
    /// end-of-candidates. ICE-TCP candidates (RFC 6544) are used when the owner gave the
    /// peer TCP listeners ([`add_local_tcp_listener`](Self::add_local_tcp_listener)); RTCP
    /// (component 2) ones, and transports the agent does not know, are accepted and
    /// ignored, as browsers do.
    pub fn add_ice_candidate(
        &mut self,
        now: Instant,
        mid: Option<&str>,
        candidate: &str,
    ) -> Result<(), Error> {
        if self.closed {
            return Err(Error::Closed);
        }
        let mid = match mid {
            Some(m) => m.to_owned(),
            None => self
                .negotiator
                .remote_description()
                .and_then(bundle_tag)
                .ok_or(Error::NoRemoteDescription)?,
        };
        let line = candidate.trim();
        let line = line.strip_prefix("a=").unwrap_or(line);
        if line.is_empty() || line == "end-of-candidates" {
            let agent = self.ice.as_mut().ok_or(Error::NoRemoteDescription)?;
            agent.end_of_remote_candidates(now);
            self.drive(now);
            return Ok(());
        }
        let candidate = Candidate::parse(line)?;
        if self.ice.is_none() || self.negotiator.remote_description().is_none() {
            return Err(Error::NoRemoteDescription);
        }
        self.negotiator
            .add_remote_candidate(&mid, candidate.clone())?;
        if let Some(agent) = self.ice.as_mut() {
            match agent.add_remote_candidate(now, candidate) {
                // Unknown transports (and TCP without its tcptype), and RTCP candidates
                // (component 2) that an offerer gathers in case rtcp-mux is refused
                // (Firefox): not for us, accepted and ignored as browsers do.
                Ok(())
                | Err(IceError::UnsupportedTransport | IceError::UnsupportedComponent(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        self.drive(now);
        Ok(())
    }

    /// Restarts ICE (W3C `restartIce`, RFC 8445 §9): the next offer carries new credentials
    /// ([`Event::NegotiationNeeded`](crate::Event::NegotiationNeeded)). When that exchange
    /// completes the agent starts over with them, gathers and trickles its candidates
    /// again, and checks the peer's new ones; data keeps flowing on the old pair until a
    /// new one is selected.
    pub fn restart_ice(&mut self, now: Instant) -> Result<(), Error> {
        if self.closed {
            return Err(Error::Closed);
        }
        let credentials = rtcweb_ice::Credentials::random(&mut self.rng);
        self.negotiator.restart_ice(Some(credentials))?;
        self.drive(now);
        Ok(())
    }

    /// The local description in force, as text.
    pub fn local_description(&self) -> Option<String> {
        self.negotiator.local_description().map(|d| d.to_string())
    }

    /// The remote description in force, as text.
    pub fn remote_description(&self) -> Option<String> {
        self.negotiator.remote_description().map(|d| d.to_string())
    }

    /// Makes the ICE agent with our role, and gives it our addresses.
    fn ensure_agent(&mut self, now: Instant, controlling: bool) -> Result<(), Error> {
        if self.ice.is_some() {
            return Ok(());
        }
        let config = rtcweb_ice::Config {
            controlling,
            servers: self.config.ice_servers.clone(),
            policy: self.config.ice_transport_policy,
            credentials: Some(self.ice_credentials.clone()),
            seed: Some(self.rng.random()),
            sped: self.config.sped,
            ..rtcweb_ice::Config::default()
        };
        let mut agent = Agent::new(config, now)?;
        for address in &self.local_addresses {
            agent.add_local_socket(now, *address)?;
        }
        for listener in &self.local_tcp_listeners {
            agent.add_tcp_listener(now, *listener)?;
        }
        self.ice = Some(agent);
        Ok(())
    }

    /// Routes what an exchange settled: ICE credentials and candidates to the agent, the
    /// DTLS role and fingerprints to DTLS, the SCTP parameters to the data-channel layer.
    /// The `a=ice-options` tags that negotiate SPED: `sped` from the draft, `googspedv1`
    /// as Chromium 156 writes it (with `WebRTC-IceHandshakeDtls`, its answer does SPED
    /// only when the offer carries one).
    pub(crate) const SPED_ICE_OPTIONS: [&str; 2] = ["sped", "googspedv1"];

    pub(crate) fn apply_negotiation(&mut self, now: Instant, negotiation: Negotiation) {
        self.apply_media(now, &negotiation);
        let Some(transport) = negotiation.transport else {
            return;
        };
        if self.dtls.is_none() {
            // RFC 8842 §5: the role a=setup settled; RFC 8122 §5: the fingerprints.
            self.dtls_role = Some(transport.dtls.role);
            self.remote_fingerprints = transport
                .dtls
                .remote_fingerprints
                .iter()
                .filter_map(to_dtls_fingerprint)
                .collect();
        }
        // SPED: DTLS starts before the agent has the peer's credentials, so that our first
        // check already carries its flight (the peer's ClientHello may have come in its
        // checks before its answer).
        if self
            .ice
            .as_ref()
            .is_some_and(|a| a.sped_state().is_active())
        {
            self.maybe_start_dtls(now);
            self.drain_dtls(now);
        }
        if let Some(agent) = self.ice.as_mut() {
            // RFC 8445 §9: an exchange that changed the credentials restarts the agent with
            // the ones our description carries; the selected pair carries on meanwhile.
            if transport.ice.restart && *agent.local_credentials() != transport.ice.local {
                agent.restart_with(now, transport.ice.local.clone());
                self.ice_credentials = transport.ice.local.clone();
            }
            if let Err(e) = agent.set_remote_credentials(now, transport.ice.remote.clone()) {
                self.fail(FailureReason::IceParameters(e));
                return;
            }
            for candidate in transport.ice.remote_candidates {
                // Candidates the agent cannot use (other transports, components) are ignored.
                if let Err(e) = agent.add_remote_candidate(now, candidate) {
                    tracing::debug!(error = %e, "remote candidate from the description ignored");
                }
            }
            if transport.ice.remote_end_of_candidates {
                agent.end_of_remote_candidates(now);
            }
            // SPED: a description without its ICE option says the peer will not do it;
            // a peer that writes the option but does not do it is found out in band.
            let sped_offered = transport.ice.remote_ice_options.iter().any(|o| {
                Self::SPED_ICE_OPTIONS
                    .iter()
                    .any(|s| matches!(o, rtcweb_sdp::IceOption::Other(t) if t == s))
            });
            if !sped_offered {
                agent.sped_off(now);
            }
        }
        if let (Some(sctp), None, Some(role)) = (negotiation.sctp, &self.sctp, self.dtls_role) {
            self.remote_sctp_init = sctp.remote_sctp_init.clone();
            let config = rtcweb_datachannel::Config {
                role: match role {
                    rtcweb_sdp::DtlsRole::Client => rtcweb_datachannel::DtlsRole::Client,
                    rtcweb_sdp::DtlsRole::Server => rtcweb_datachannel::DtlsRole::Server,
                },
                local_port: sctp.local_port,
                remote_port: sctp.remote_port,
                remote_max_message_size: usize::try_from(sctp.remote_max_message_size)
                    .unwrap_or(usize::MAX),
                max_channels: self.config.max_data_channels,
                ..crate::peer::data_channels_config(self.sctp_seed, sctp.local_max_message_size)
            };
            self.sctp = Some(rtcweb_datachannel::DataChannels::new(config, self.epoch));
        }
        self.maybe_start_dtls(now);
        self.maybe_start_sctp(now);
    }
}

/// The mid of the first accepted section: the BUNDLE tag (RFC 8843 §7), the `sdpMid` of
/// candidates.
fn bundle_tag(description: &SessionDescription) -> Option<String> {
    description
        .media
        .iter()
        .filter(|m| !m.is_rejected())
        .find_map(|m| m.mid().map(str::to_owned))
}

/// An SDP fingerprint as DTLS checks it: SHA-256 or stronger (RFC 8827 §6.5).
fn to_dtls_fingerprint(f: &rtcweb_sdp::Fingerprint) -> Option<rtcweb_dtls::Fingerprint> {
    let algorithm = match f.algorithm {
        rtcweb_sdp::HashAlgorithm::Sha256 => rtcweb_dtls::HashAlgorithm::Sha256,
        rtcweb_sdp::HashAlgorithm::Sha384 => rtcweb_dtls::HashAlgorithm::Sha384,
        rtcweb_sdp::HashAlgorithm::Sha512 => rtcweb_dtls::HashAlgorithm::Sha512,
        _ => return None,
    };
    Some(rtcweb_dtls::Fingerprint {
        algorithm,
        value: f.value.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sha2_fingerprints_reach_dtls() {
        let f = |algorithm, len| rtcweb_sdp::Fingerprint::new(algorithm, vec![7; len]);
        let sha256 = to_dtls_fingerprint(&f(rtcweb_sdp::HashAlgorithm::Sha256, 32)).unwrap();
        assert_eq!(sha256.algorithm, rtcweb_dtls::HashAlgorithm::Sha256);
        assert_eq!(sha256.value, vec![7; 32]);
        assert!(to_dtls_fingerprint(&f(rtcweb_sdp::HashAlgorithm::Sha512, 64)).is_some());
        assert!(to_dtls_fingerprint(&f(rtcweb_sdp::HashAlgorithm::Sha1, 20)).is_none());
        assert!(to_dtls_fingerprint(&f(rtcweb_sdp::HashAlgorithm::Md5, 16)).is_none());
    }
}
