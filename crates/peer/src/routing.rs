//! Routing between the layers: ICE events, DTLS records, SCTP packets, SRTP, and the
//! connection state they add up to.

use std::time::Instant;

use rand::Rng;
use rtcweb_common::{PacketKind, Transmit};
use rtcweb_datachannel::ChannelState;
use rtcweb_dtls::{Connected, Connection};
use rtcweb_ice::{ConnectionState, GatheringState, IceError};

use crate::{DtlsState, Event, FailureReason, LocalCandidate, Peer, PeerConnectionState};

impl Peer {
    /// Drains every layer and routes what comes out until nothing moves, then updates the
    /// connection state. Called after every input.
    pub(crate) fn drive(&mut self, now: Instant) {
        loop {
            let mut moved = self.drain_negotiator(now);
            moved |= self.drain_ice(now);
            moved |= self.drain_sctp(now);
            moved |= self.drain_dtls(now);
            moved |= self.flush_pending_dtls(now);
            if !moved {
                break;
            }
        }
        // SPED: checks the agent held for DTLS's reply are answered now, with whatever DTLS
        // had to say (nothing, when the peer's datagram was a duplicate).
        if let Some(agent) = self.ice.as_mut() {
            agent.sped_flight(now, std::iter::empty());
        }
        self.queue_agent_transmits();
        self.update_state();
    }

    fn drain_negotiator(&mut self, now: Instant) -> bool {
        let mut moved = false;
        while let Some(event) = self.negotiator.poll_event() {
            moved = true;
            match event {
                rtcweb_sdp::Event::NegotiationNeeded => self.push_event(Event::NegotiationNeeded),
                rtcweb_sdp::Event::SignalingStateChanged(s) => {
                    self.push_event(Event::SignalingState(s));
                }
                rtcweb_sdp::Event::Negotiated(n) => self.apply_negotiation(now, *n),
                other => tracing::debug!(event = ?other, "negotiator event not routed"),
            }
        }
        moved
    }

    fn drain_ice(&mut self, now: Instant) -> bool {
        let Some(agent) = self.ice.as_mut() else {
            return false;
        };
        let mut moved = false;
        while let Some(t) = agent.poll_transmit() {
            moved = true;
            queue(
                &mut self.transmits,
                &mut self.stats.transmits_dropped,
                self.config.max_queued_transmits,
                t,
            );
        }
        let mut events = Vec::new();
        while let Some(e) = agent.poll_event() {
            events.push(e);
        }
        for event in events {
            moved = true;
            self.ice_event(now, event);
        }
        moved
    }

    fn ice_event(&mut self, now: Instant, event: rtcweb_ice::Event) {
        match event {
            rtcweb_ice::Event::LocalCandidate(candidate) => {
                let candidate = self.published(candidate);
                // Later descriptions carry it too; a closed negotiator is the only refusal.
                let _ = self.negotiator.add_local_candidate(candidate.clone());
                let mid = self.local_mid.clone().unwrap_or_else(|| "0".to_owned());
                self.push_event(Event::LocalCandidate(LocalCandidate {
                    mid,
                    candidate: candidate.to_string(),
                }));
            }
            rtcweb_ice::Event::GatheringState(state) => {
                if state == GatheringState::Complete {
                    self.negotiator.end_of_local_candidates();
                }
                self.gathering_state = state;
                self.push_event(Event::IceGatheringState(state));
            }
            rtcweb_ice::Event::ConnectionState(state) => {
                self.ice_state = state;
                self.push_event(Event::IceConnectionState(state));
                if state == ConnectionState::Failed {
                    let errors = self
                        .ice
                        .as_ref()
                        .map(|a| a.candidate_errors().to_vec())
                        .unwrap_or_default();
                    self.fail(FailureReason::Ice(errors));
                }
            }
            rtcweb_ice::Event::SelectedPair(pair) => {
                self.push_event(Event::SelectedCandidatePair(pair));
                // The DTLS client starts once there is a path (RFC 8842 §5); what DTLS
                // wanted to send before goes out now.
                self.maybe_start_dtls(now);
                // A handshake started before there was a path (SPED) retransmits from the
                // initial timeout again: never slower than one started now.
                if let Some(dtls) = self.dtls.as_mut() {
                    dtls.restart_retransmit_timer(now);
                }
                // What waited for the pair goes once DTLS has been drained
                // (`flush_pending_dtls`): the input that selected the pair may also have
                // brought the flight that completes the handshake (SPED).
                self.pending_dtls_due = true;
            }
            rtcweb_ice::Event::ResolveMdns { name } => {
                self.push_event(Event::ResolveMdns { name });
            }
            rtcweb_ice::Event::CandidateError(error) => {
                self.push_event(Event::IceCandidateError(error));
            }
            rtcweb_ice::Event::Data { data, .. } => self.route_payload(now, &data),
            rtcweb_ice::Event::PiggybackedDtls { data } => match self.dtls.as_mut() {
                Some(dtls) => dtls.handle_datagram(now, &data),
                // The peer's ClientHello before its answer told us our role: kept for
                // DTLS, as libwebrtc keeps an early ClientHello.
                None if self.early_dtls.len() < self.config.max_pending_dtls => {
                    self.early_dtls.push_back(data);
                }
                None => self.stats.dtls_dropped += 1,
            },
            other => tracing::debug!(event = ?other, "ICE event"),
        }
    }

    /// Sends the DTLS datagrams that waited for a pair, once ICE has selected one. Runs
    /// after `drain_dtls`: a handshake that completed meanwhile has dropped the earlier
    /// flights the peer's last flight acknowledged. True when something was sent.
    fn flush_pending_dtls(&mut self, now: Instant) -> bool {
        if !self.pending_dtls_due {
            return false;
        }
        self.pending_dtls_due = false;
        let pending = std::mem::take(&mut self.pending_dtls);
        let moved = !pending.is_empty();
        for datagram in pending {
            self.send_dtls(now, datagram);
        }
        moved
    }

    /// Application data from the validated pair, demultiplexed by its first byte
    /// (RFC 7983 §7): DTLS records or SRTP/SRTCP.
    pub(crate) fn route_payload(&mut self, now: Instant, contents: &[u8]) {
        match PacketKind::of(contents) {
            PacketKind::Dtls => {
                let Some(dtls) = self.dtls.as_mut() else {
                    self.stats.dtls_dropped += 1;
                    return;
                };
                // SPED: a handshake datagram that came on its own is acknowledged in the
                // checks too, so the peer stops attaching it. A copy of one that came before
                // (in a check, or on its own) is the same records again: dropped, or a DTLS
                // server would take it for a retransmission and retransmit its flight.
                if self.dtls_state != DtlsState::Connected
                    && let Some(agent) = self.ice.as_mut()
                    && agent.sped_dtls_received(contents)
                {
                    return;
                }
                dtls.handle_datagram(now, contents);
            }
            PacketKind::Rtp => self.receive_media(now, contents),
            _ => self.stats.datagrams_unknown += 1,
        }
    }

    /// SRTP or SRTCP: authenticated and decrypted in place (RFC 3711 §3.3). RTP and RTCP
    /// are told apart by the payload type (RFC 5761 §4: 64..=95 after the marker bit).
    fn receive_media(&mut self, now: Instant, contents: &[u8]) {
        let Some(srtp) = self.srtp.as_mut() else {
            self.stats.media_before_keys += 1;
            return;
        };
        self.media_buf.clear();
        self.media_buf.extend_from_slice(contents);
        let is_rtcp = is_rtcp(contents);
        let result = if is_rtcp {
            srtp.unprotect_rtcp(&mut self.media_buf)
        } else {
            srtp.unprotect_rtp(&mut self.media_buf)
        };
        match (result, is_rtcp) {
            (Ok(len), true) => {
                self.stats.rtcp_received += 1;
                self.media.handle_rtcp(now, &self.media_buf[..len]);
                self.flush_media(now);
            }
            (Ok(len), false) => {
                self.stats.rtp_received += 1;
                self.media.handle_rtp(now, &self.media_buf[..len]);
                self.flush_media(now);
            }
            (Err(e), _) => {
                tracing::debug!(error = %e, "SRTP packet dropped");
                self.stats.srtp_dropped += 1;
            }
        }
    }

    fn drain_sctp(&mut self, now: Instant) -> bool {
        let Some(sctp) = self.sctp.as_mut() else {
            return false;
        };
        let mut moved = false;
        // RFC 8261 §5: each SCTP packet is one DTLS application data record.
        // One buffer for every packet: no allocation per packet.
        while sctp.poll_transmit_into(&mut self.sctp_packet) {
            moved = true;
            match self.dtls.as_mut().map(|d| d.send(now, &self.sctp_packet)) {
                // The media's congestion control leaves room for what data channels send.
                Some(Ok(())) => self.media.on_data_sent(now, self.sctp_packet.len()),
                _ => self.stats.sctp_dropped += 1,
            }
        }
        let mut events = Vec::new();
        while let Some(e) = sctp.poll_event() {
            events.push(e);
        }
        let mut ended = false;
        for event in events {
            moved = true;
            ended |= self.sctp_event(event);
        }
        if ended {
            self.closed_by_peer(now);
        }
        moved
    }

    /// Routes one event of the data-channel layer; true when the association ended.
    fn sctp_event(&mut self, event: rtcweb_datachannel::Event) -> bool {
        use rtcweb_datachannel::Event as E;
        match event {
            E::ChannelOpen { id } => {
                if let Some(channel) = self.channels.by_stream(id) {
                    if let Some(e) = self.channels.get_mut(channel) {
                        e.state = ChannelState::Open;
                    }
                    self.stats.data_channels_opened += 1;
                    self.push_event(Event::DataChannelOpen { channel });
                }
            }
            E::IncomingChannel(info) => {
                let options = rtcweb_datachannel::ChannelOptions {
                    label: info.label.clone(),
                    protocol: info.protocol.clone(),
                    channel_type: info.channel_type,
                    priority: info.priority,
                    negotiated: None,
                };
                match self
                    .channels
                    .insert(options, Some(info.id), ChannelState::Open)
                {
                    Some(channel) => {
                        self.stats.data_channels_opened += 1;
                        self.push_event(Event::IncomingDataChannel {
                            channel,
                            label: info.label,
                            protocol: info.protocol,
                        });
                        self.push_event(Event::DataChannelOpen { channel });
                    }
                    None => tracing::debug!(stream = info.id, "no handle left for a channel"),
                }
            }
            E::Message { id, message } => match self.channels.by_stream(id) {
                Some(channel) => {
                    if let Some(e) = self.channels.get_mut(channel) {
                        e.messages_received += 1;
                        e.bytes_received += message.data.len() as u64;
                    }
                    self.push_event(Event::Message { channel, message });
                }
                None => self.stats.messages_unrouted += 1,
            },
            E::BufferedAmountLow { id } => {
                if let Some(channel) = self.channels.by_stream(id) {
                    self.push_event(Event::BufferedAmountLow { channel });
                }
            }
            E::ChannelClosing { id } => {
                if let Some(channel) = self.channels.by_stream(id) {
                    if let Some(e) = self.channels.get_mut(channel) {
                        e.state = ChannelState::Closing;
                    }
                    self.push_event(Event::DataChannelClosing { channel });
                }
            }
            E::ChannelClosed { id } => {
                if let Some(channel) = self.channels.by_stream(id) {
                    self.channels.remove(channel);
                    self.stats.data_channels_closed += 1;
                    self.push_event(Event::DataChannelClosed { channel });
                }
            }
            E::Closed(reason) => {
                tracing::debug!(?reason, "SCTP association ended");
                // Every channel on it was closed before this event.
                self.close_all_channels();
                // Not our doing: the peer sent SHUTDOWN or ABORT (RFC 9260 §9), or stopped
                // answering. WebRTC ends the association only when the connection ends.
                return true;
            }
            other => tracing::debug!(event = ?other, "SCTP event"),
        }
        false
    }

    /// The peer hung up (DTLS close_notify, SCTP SHUTDOWN or ABORT): told to the owner,
    /// and the connection closes as [`Peer::close`] closes it, so that its sockets can go
    /// at once rather than after ICE consent runs out (RFC 7675 §5.1: 30 s).
    pub(crate) fn closed_by_peer(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        self.push_event(Event::ClosedByPeer);
        self.close(now);
    }

    pub(crate) fn drain_dtls(&mut self, now: Instant) -> bool {
        let Some(dtls) = self.dtls.as_mut() else {
            return false;
        };
        let mut moved = false;
        let mut datagrams = Vec::new();
        let mut datagram = Vec::new();
        // The queued datagram is swapped into `datagram` and taken from there: no copy.
        while dtls.poll_transmit_into(&mut datagram) {
            datagrams.push(std::mem::take(&mut datagram));
        }
        let mut events = Vec::new();
        while let Some(e) = dtls.poll_event() {
            events.push(e);
        }
        // The handshake completes with this batch: whether the peer's flight that completed
        // it answered our last one (see `answers_our_flight`).
        let completes = events.iter().find_map(|e| match e {
            rtcweb_dtls::Event::Connected(c) => Some(answers_our_flight(c)),
            _ => None,
        });
        if let Some(answered) = completes {
            // What still waits for a pair are earlier flights of ours, which the peer's flight
            // that completed the handshake acknowledged implicitly (RFC 6347 §4.2.4, RFC 9147
            // §7.2): sent now, they would only be retransmissions to the peer. What this
            // batch holds (our last flight, an ACK, application data) still goes.
            self.pending_dtls.clear();
            self.sped_partial.clear();
            // SPED learns it before it gets this batch: the flight it drops is the one the
            // peer answered, not our last one.
            if let Some(agent) = self.ice.as_mut() {
                agent.sped_handshake_complete(answered);
            }
        }
        // SPED: the flight rides in the next checks and responses (and answers the checks
        // held for it); it also goes on its own as soon as a pair is valid.
        let continues = dtls.flight_continues();
        if !datagrams.is_empty()
            && let Some(agent) = self.ice.as_mut()
            && agent.sped_state().is_active()
        {
            if self.sped_partial.is_empty() {
                // A new flight, or the same one again, supersedes what waits for a pair:
                // the handshake started before there was one, and its retransmissions must
                // not pile up into a burst when the pair comes.
                self.pending_dtls.clear();
            }
            if continues {
                // The rest of this flight is due at once: the flight rides in the checks
                // (and answers those held for it) whole, one datagram per message, as
                // before it came in two parts. Its first part goes on its own meanwhile.
                // Bounded as SPED bounds a flight: beyond, datagrams go on their own only.
                let room = rtcweb_ice::MAX_FLIGHT_PACKETS.saturating_sub(self.sped_partial.len());
                self.sped_partial
                    .extend(datagrams.iter().take(room).cloned());
            } else {
                let partial = std::mem::take(&mut self.sped_partial);
                agent.sped_flight(now, partial.iter().chain(&datagrams).map(Vec::as_slice));
            }
        }
        for datagram in datagrams {
            moved = true;
            self.send_dtls(now, datagram);
        }
        for event in events {
            moved = true;
            match event {
                rtcweb_dtls::Event::Connected(connected) => self.dtls_connected(now, &connected),
                rtcweb_dtls::Event::ApplicationData(packet) => {
                    if let Some(sctp) = self.sctp.as_mut() {
                        sctp.handle_datagram(now, &packet);
                    }
                }
                rtcweb_dtls::Event::Closed => {
                    self.set_dtls_state(DtlsState::Closed);
                    // Nothing can reach the peer any more: every channel is closed.
                    self.sctp = None;
                    self.close_all_channels();
                    // The peer's close_notify (RFC 5246 §7.2.1): it hung up.
                    self.closed_by_peer(now);
                }
                rtcweb_dtls::Event::Failed(e) => {
                    if let Some(agent) = self.ice.as_mut() {
                        agent.sped_off(now);
                    }
                    self.set_dtls_state(DtlsState::Failed);
                    self.fail(FailureReason::Dtls(e));
                }
                other => tracing::debug!(event = ?other, "DTLS event"),
            }
        }
        moved
    }

    fn dtls_connected(&mut self, now: Instant, connected: &Connected) {
        tracing::debug!(suite = ?connected.cipher_suite, "DTLS connected");
        self.dtls_cipher = connected.cipher_suite.name();
        self.dtls_version = Some(connected.version);
        self.dtls_group = Some(connected.group);
        self.remote_certificate = Some(connected.peer_certificate.clone());
        self.set_dtls_state(DtlsState::Connected);
        // RFC 5764 §4.2: SRTP keys from the exporter; our DTLS role picks our half.
        if let Some(keying) = &connected.srtp {
            let role = match connected.role {
                rtcweb_dtls::Role::Client => rtcweb_srtp::Role::Client,
                rtcweb_dtls::Role::Server => rtcweb_srtp::Role::Server,
            };
            let Some(profile) = rtcweb_srtp::Profile::from_id(keying.profile.0) else {
                self.fail(FailureReason::UnsupportedSrtpProfile(keying.profile.0));
                return;
            };
            match rtcweb_srtp::Session::from_keying_material(
                profile,
                &keying.keying_material,
                role,
                &rtcweb_srtp::Config::default(),
            ) {
                Ok(s) => self.srtp = Some(s),
                Err(e) => {
                    self.fail(FailureReason::SrtpKeying(e));
                    return;
                }
            }
        }
        self.maybe_start_sctp(now);
    }

    /// Queues what the agent already has to send. Called before data goes through it: over
    /// a TLS connection to a TURN server, records must leave in the order they were sealed,
    /// and the agent may hold some (refreshes, permissions, checks) made before this data.
    pub(crate) fn queue_agent_transmits(&mut self) {
        let Some(agent) = self.ice.as_mut() else {
            return;
        };
        while let Some(t) = agent.poll_transmit() {
            queue(
                &mut self.transmits,
                &mut self.stats.transmits_dropped,
                self.config.max_queued_transmits,
                t,
            );
        }
    }

    /// Sends one DTLS datagram on the selected pair, or holds it until there is one.
    fn send_dtls(&mut self, now: Instant, datagram: Vec<u8>) {
        self.queue_agent_transmits();
        let Some(agent) = self.ice.as_mut() else {
            return;
        };
        match agent.send(now, &datagram, &mut self.relay_buf) {
            Ok(t) => queue(
                &mut self.transmits,
                &mut self.stats.transmits_dropped,
                self.config.max_queued_transmits,
                t.to_owned(),
            ),
            Err(IceError::NotConnected) => {
                if self.pending_dtls.len() < self.config.max_pending_dtls {
                    self.pending_dtls.push_back(datagram);
                } else {
                    self.stats.dtls_pending_dropped += 1;
                }
            }
            Err(e) => {
                tracing::debug!(error = %e, "DTLS datagram not sent");
                self.stats.dtls_pending_dropped += 1;
            }
        }
    }

    /// Makes the DTLS connection once the role and fingerprints are known: the server at
    /// once, the client when ICE has selected a pair.
    pub(crate) fn maybe_start_dtls(&mut self, now: Instant) {
        if self.dtls.is_some() || self.closed || self.failure.is_some() {
            return;
        }
        let Some(role) = self.dtls_role else { return };
        let selected = self
            .ice
            .as_ref()
            .is_some_and(|a| a.selected_pair().is_some());
        // SPED: the ClientHello rides in the checks, so the client starts at once while
        // the peer may still take it that way.
        let sped = self
            .ice
            .as_ref()
            .is_some_and(|a| a.sped_state().is_active());
        if role == rtcweb_sdp::DtlsRole::Client && !selected && !sped {
            return;
        }
        let mut config = dtls_config(
            &self.certificate,
            self.remote_fingerprints.clone(),
            self.config.dtls_versions,
        );
        config.seed = Some(self.rng.random());
        // RFC 9147 §5.8.2: an initial timer of 100 ms (the RFC 6298 minimum), doubling. The
        // handshake starts on a path ICE has just checked, so a lost flight costs a tenth
        // of RFC 6347's 1 s (browsers start lower still).
        config.initial_retransmit = std::time::Duration::from_millis(100);
        // No HelloVerifyRequest: the cookie exchange proves the client owns its address
        // before a server answers with its large flight (RFC 6347 §4.2.1), which ICE has
        // proved already: DTLS only ever receives datagrams from a pair its checks
        // validated (RFC 8445 §7.2.5.3, RFC 8842 §5). The exchange would cost a round trip
        // for nothing; browsers' DTLS servers skip it too.
        config.cookies = false;

        // The ephemeral keys made with the peer, off the way to the connection.
        let keys = self
            .dtls_keys
            .take()
            .unwrap_or_else(rtcweb_dtls::PreparedKeys::none);
        let connection = match role {
            rtcweb_sdp::DtlsRole::Server => Connection::server_prepared(now, config, keys),
            rtcweb_sdp::DtlsRole::Client => Connection::client_prepared(now, config, keys),
        };
        match connection {
            Ok(mut c) => {
                for early in std::mem::take(&mut self.early_dtls) {
                    c.handle_datagram(now, &early);
                }
                self.dtls = Some(c);
                self.set_dtls_state(DtlsState::Connecting);
            }
            Err(e) => self.fail(FailureReason::DtlsConfig(e)),
        }
    }

    /// Starts the SCTP association once DTLS is up (RFC 8261 §5): established at once from
    /// the peer's INIT when both descriptions carried `a=sctp-init` (SNAP), else with the
    /// handshake; then opens the channels created so far.
    pub(crate) fn maybe_start_sctp(&mut self, now: Instant) {
        if self.sctp_started || self.dtls_state != DtlsState::Connected {
            return;
        }
        let Some(sctp) = self.sctp.as_mut() else {
            return;
        };
        match self.remote_sctp_init.as_deref() {
            Some(init) => {
                if let Err(e) = sctp.connect_snap(now, init) {
                    // The peer's INIT is unusable: the handshake, which it answers too.
                    tracing::debug!(%e, "SNAP refused, SCTP handshake instead");
                    self.remote_sctp_init = None;
                    sctp.connect(now);
                }
            }
            None => sctp.connect(now),
        }
        self.sctp_started = true;
        self.open_unopened(now);
    }

    fn set_dtls_state(&mut self, state: DtlsState) {
        if self.dtls_state != state {
            self.dtls_state = state;
            self.push_event(Event::DtlsState(state));
        }
    }

    /// The connection failed: reported once; the data channels close.
    pub(crate) fn fail(&mut self, reason: FailureReason) {
        if self.failure.is_some() || self.closed {
            return;
        }
        tracing::debug!(%reason, "peer connection failed");
        self.failure = Some(reason.clone());
        self.push_event(Event::Failed(reason));
        self.sctp = None;
        self.close_all_channels();
    }

    /// W3C `RTCPeerConnectionState` from the ICE and DTLS transport states.
    fn update_state(&mut self) {
        use ConnectionState as Ice;
        let state = if self.closed {
            PeerConnectionState::Closed
        } else if self.failure.is_some()
            || self.ice_state == Ice::Failed
            || self.dtls_state == DtlsState::Failed
        {
            PeerConnectionState::Failed
        } else if self.ice_state == Ice::Disconnected {
            PeerConnectionState::Disconnected
        } else if matches!(self.ice_state, Ice::Connected | Ice::Completed)
            && matches!(self.dtls_state, DtlsState::Connected | DtlsState::Closed)
        {
            PeerConnectionState::Connected
        } else if self.ice_state == Ice::New && self.dtls_state == DtlsState::New {
            PeerConnectionState::New
        } else {
            PeerConnectionState::Connecting
        };
        if state != self.state {
            self.state = state;
            self.push_event(Event::ConnectionState(state));
        }
    }

    /// A local candidate as it is signalled: a host candidate on an address with a
    /// published mDNS name carries the name; with names published, a server-reflexive
    /// candidate's related address is `0.0.0.0` (or `::`) port 0, and no related address
    /// gives a published host address away (draft-ietf-mmusic-mdns-ice-candidates §3.1).
    pub(crate) fn published(&self, mut candidate: rtcweb_ice::Candidate) -> rtcweb_ice::Candidate {
        if self.mdns_names.is_empty() {
            return candidate;
        }
        let name_of = |ip: Option<std::net::IpAddr>| {
            self.mdns_names
                .iter()
                .find(|(a, _)| Some(*a) == ip)
                .map(|(_, name)| name.clone())
        };
        if candidate.kind == rtcweb_ice::CandidateKind::Host
            && let Some(name) = name_of(candidate.address.ip())
        {
            candidate.address = rtcweb_ice::ConnectionAddress::Hostname(name);
        }
        let hide = match &candidate.related {
            Some((address, _)) => {
                candidate.kind == rtcweb_ice::CandidateKind::ServerReflexive
                    || name_of(address.ip()).is_some()
            }
            None => false,
        };
        if hide && let Some((address, port)) = candidate.related.as_mut() {
            let unspecified = match address.ip() {
                Some(std::net::IpAddr::V6(_)) => std::net::IpAddr::from([0u16; 8]),
                _ => std::net::IpAddr::from([0u8; 4]),
            };
            *address = rtcweb_ice::ConnectionAddress::Ip(unspecified);
            *port = 0;
        }
        candidate
    }
}

/// Whether the peer's flight that completed our handshake answered our last flight, so
/// that nothing of ours is left to (re)send: a DTLS 1.3 server (the client's Finished
/// acknowledges the server's flight implicitly, RFC 9147 §7.2) and a DTLS 1.2 client (the
/// server's Finished answers the client's). A DTLS 1.3 client and a 1.2 server sent the
/// last flight, and keep it until the peer acknowledges it (RFC 9147 §5.8.3, RFC 6347
/// §4.2.4).
fn answers_our_flight(connected: &Connected) -> bool {
    let dtls13 = connected.version == rtcweb_dtls::ProtocolVersion::DTLS_1_3;
    let client = connected.role == rtcweb_dtls::Role::Client;
    dtls13 != client
}

/// RTCP rather than RTP, by the payload type (RFC 5761 §4: 64..=95 after the marker bit).
pub(crate) fn is_rtcp(packet: &[u8]) -> bool {
    packet
        .get(1)
        .is_some_and(|b| (64..=95).contains(&(b & 0x7f)))
}

/// Queues a transmit, bounded: a full queue drops, as a full socket buffer would.
fn queue(
    transmits: &mut std::collections::VecDeque<Transmit>,
    dropped: &mut u64,
    max: usize,
    transmit: Transmit,
) {
    if transmits.len() >= max {
        *dropped += 1;
    } else {
        transmits.push_back(transmit);
    }
}

/// The DTLS configuration of a connection with this certificate, these peer fingerprints
/// and versions: what [`Peer::maybe_start_dtls`] starts with, and what
/// [`rtcweb_dtls::PreparedKeys`] are made for when the peer is made.
pub(crate) fn dtls_config(
    certificate: &rtcweb_dtls::Certificate,
    remote_fingerprints: Vec<rtcweb_dtls::Fingerprint>,
    versions: rtcweb_dtls::Versions,
) -> rtcweb_dtls::Config {
    let mut config = rtcweb_dtls::Config::new(certificate.clone(), remote_fingerprints);
    config.versions = versions;
    config
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr, SocketAddr};

    use rtcweb_ice::{Candidate, CandidateKind, ConnectionAddress};

    use crate::{Config, DataChannelInit, Event, Peer};

    const NAME: &str = "1f4712db-ea17-4bcf-a596-105139dfd8bf.local";
    const HOST: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);

    // Any time origin does: the test reads no deadline.
    #[allow(clippy::disallowed_methods)]
    fn peer() -> (Peer, std::time::Instant) {
        let now = std::time::Instant::now();
        let config = Config {
            seed: Some(7),
            ..Config::default()
        };
        (Peer::new(config, now).unwrap(), now)
    }

    #[test]
    fn host_candidates_on_a_named_address_are_signalled_by_name() {
        let (mut peer, now) = peer();
        peer.publish_mdns_name(IpAddr::V4(HOST), NAME).unwrap();
        // A second name for the same address is ignored: one name per address.
        peer.publish_mdns_name(IpAddr::V4(HOST), "other.local")
            .unwrap();
        peer.add_local_address(now, SocketAddr::new(IpAddr::V4(HOST), 5000))
            .unwrap();
        peer.create_data_channel(now, "chat", DataChannelInit::default())
            .unwrap();
        peer.set_local_description_implicit(now).unwrap();
        let mut signalled = Vec::new();
        while let Some(event) = peer.poll_event() {
            if let Event::LocalCandidate(c) = event {
                signalled.push(c.candidate);
            }
        }
        assert!(!signalled.is_empty(), "a host candidate was gathered");
        for line in &signalled {
            let c = Candidate::parse(line).unwrap();
            assert_eq!(c.kind, CandidateKind::Host);
            assert_eq!(c.address, ConnectionAddress::Hostname(NAME.to_owned()));
            assert_eq!(c.port, 5000);
        }
        let sdp = peer.local_description().unwrap();
        assert!(sdp.contains(&format!("{NAME} 5000 typ host")), "{sdp}");
        assert!(
            !sdp.contains("192.0.2.1"),
            "the address stays hidden: {sdp}"
        );
    }

    #[test]
    fn reflexive_related_addresses_are_hidden_once_names_are_published() {
        let (mut peer, _) = peer();
        let mapped = SocketAddr::from(([198, 51, 100, 9], 40_000));
        let mut srflx = Candidate::new(CandidateKind::ServerReflexive, "2", 100, mapped);
        srflx.related = Some((ConnectionAddress::Ip(IpAddr::V4(HOST)), 5000));
        // Without names the candidate goes out as gathered.
        assert_eq!(peer.published(srflx.clone()), srflx);
        peer.publish_mdns_name(IpAddr::V4(HOST), NAME).unwrap();
        let shown = peer.published(srflx.clone());
        assert_eq!(
            shown.related,
            Some((ConnectionAddress::Ip(IpAddr::V4(Ipv4Addr::UNSPECIFIED)), 0))
        );
        assert_eq!(shown.socket_addr(), Some(mapped));
        // A relayed candidate whose related address is a named host address hides it; one
        // related to a public mapped address keeps it.
        let relay_addr = SocketAddr::from(([203, 0, 113, 5], 50_000));
        let mut relay = Candidate::new(CandidateKind::Relayed, "3", 10, relay_addr);
        relay.related = Some((ConnectionAddress::Ip(IpAddr::V4(HOST)), 5000));
        assert_eq!(peer.published(relay.clone()).related.unwrap().1, 0);
        relay.related = Some((ConnectionAddress::Ip(mapped.ip()), mapped.port()));
        assert_eq!(peer.published(relay.clone()), relay);
    }
}
