//! Datagrams in: demultiplexing to discoveries, relays and the agent; Binding requests
//! answered (RFC 8445 §7.3) and responses to our checks processed (§7.2.5).

use std::net::SocketAddr;
use std::time::Instant;

use rtcweb_common::Datagram;
use rtcweb_stun::{
    Class, DecodeError, Message, Method, classify, codes, encode_binding_error,
    encode_binding_success, encode_unknown_attributes_response, looks_like_stun,
};

use crate::agent::{Agent, Received};
use crate::gather::{Demux, Path};
use crate::{Candidate, CandidateKind, Event, PairState};

/// Room for any response the agent writes.
const RESPONSE_BUF: usize = 512;

impl Agent {
    pub(crate) fn route_datagram<'a>(&mut self, now: Instant, d: Datagram<'a>) -> Received<'a> {
        match self.gather.demux(now, d) {
            Demux::Stream(r) => {
                // Bytes of a TCP or TLS connection to a TURN server. What the relay delivered
                // was copied out of its stream buffer (the agent reports it as an owned
                // `Event::Data`); it is handled like relayed UDP data.
                let mut relayed = self.gather.take_stream_relayed();
                for (peer, data) in relayed.drain(..) {
                    if self.handle_relayed(now, r, peer, &data).is_some() {
                        self.events.push_back(Event::Data { remote: peer, data });
                    }
                }
                self.gather.put_stream_relayed(relayed);
                return Received::Consumed;
            }
            Demux::Unknown => {
                self.stats.data_dropped += 1;
                return Received::Rejected;
            }
            Demux::Consumed => return Received::Consumed,
            Demux::Relayed { relay, peer, data } => {
                return match self.handle_relayed(now, relay, peer, data) {
                    Some(contents) => Received::Data {
                        remote: peer,
                        contents,
                    },
                    None => Received::Consumed,
                };
            }
            Demux::Other => {}
        }
        if !self.gather.sockets().contains(&d.local) {
            self.stats.data_dropped += 1;
            return Received::Rejected;
        }
        // RFC 7983: STUN starts with 0..=3; anything else is application data.
        if looks_like_stun(d.contents) {
            self.handle_stun(now, d.local, Path::Socket(d.local), d.remote, d.contents);
            return Received::Consumed;
        }
        if self.accepts_data(d.local, d.remote) {
            Received::Data {
                remote: d.remote,
                contents: d.contents,
            }
        } else {
            self.stats.data_dropped += 1;
            Received::Rejected
        }
    }

    /// Data that came out of relay `r` from `peer`: STUN is handled, application data on a
    /// validated pair is returned.
    pub(crate) fn handle_relayed<'a>(
        &mut self,
        now: Instant,
        r: usize,
        peer: SocketAddr,
        data: &'a [u8],
    ) -> Option<&'a [u8]> {
        let relayed = self.gather.relayed_address(r)?;
        if looks_like_stun(data) {
            self.handle_stun(now, relayed, Path::Relay(r), peer, data);
            return None;
        }
        if self.accepts_data(relayed, peer) {
            Some(data)
        } else {
            self.stats.data_dropped += 1;
            None
        }
    }

    /// Application data is accepted on the route and on pairs that succeeded or on which the
    /// peer sent an authenticated check.
    fn accepts_data(&self, base: SocketAddr, remote: SocketAddr) -> bool {
        if let Some(route) = &self.route
            && self.gather.local(route.local).base == base
            && route.remote == remote
        {
            return true;
        }
        self.pairs.iter().any(|p| {
            (p.state == PairState::Succeeded || p.requested)
                && self.gather.local(p.local).base == base
                && self.remotes[p.remote].address == remote
        })
    }

    fn handle_stun(
        &mut self,
        now: Instant,
        base: SocketAddr,
        path: Path,
        remote: SocketAddr,
        bytes: &[u8],
    ) {
        let Ok(header) = classify(bytes) else {
            self.stats.data_dropped += 1;
            return;
        };
        if header.method != Method::BINDING.0 {
            self.stats.data_dropped += 1;
            return;
        }
        match header.class {
            Class::Request if !self.liveness.is_closed() => {
                self.handle_request(now, base, path, remote, bytes)
            }
            Class::SuccessResponse | Class::ErrorResponse => {
                self.handle_response(now, base, remote, bytes, header.transaction_id)
            }
            // Indications are keepalives (RFC 8445 §11): nothing to do.
            _ => {}
        }
    }

    fn respond(
        &mut self,
        now: Instant,
        path: Path,
        remote: SocketAddr,
        encoded: Result<usize, rtcweb_stun::EncodeError>,
        buf: &[u8],
    ) {
        if let Ok(n) = encoded {
            self.send_on_path(now, path, remote, &buf[..n]);
        }
    }

    /// RFC 8445 §7.3: an incoming connectivity check.
    fn handle_request(
        &mut self,
        now: Instant,
        base: SocketAddr,
        path: Path,
        remote: SocketAddr,
        bytes: &[u8],
    ) {
        let mut buf = [0u8; RESPONSE_BUF];
        let msg = match Message::decode_authenticated(bytes, self.session.local_key()) {
            Ok(m) => m,
            Err(DecodeError::MissingIntegrity) => {
                // RFC 8489 §9.1.3: no MESSAGE-INTEGRITY → 400, without state.
                self.stats.requests_malformed += 1;
                if let Ok(h) = classify(bytes) {
                    let r = encode_binding_error(
                        h.transaction_id,
                        codes::BAD_REQUEST,
                        "Bad Request",
                        None,
                        &mut buf,
                    );
                    self.respond(now, path, remote, r, &buf);
                }
                return;
            }
            Err(DecodeError::BadIntegrity) => {
                // A wrong key gets no response at all (no oracle for guessing passwords).
                self.stats.requests_unauthenticated += 1;
                return;
            }
            Err(_) => {
                self.stats.requests_malformed += 1;
                return;
            }
        };
        let txid = msg.transaction_id();
        // RFC 8445 §7.3.1.1 via §7.2.2: USERNAME is `<our ufrag>:<their ufrag>`.
        let ours = msg
            .username()
            .and_then(|u| u.split_once(':'))
            .map(|(ours, _)| ours);
        if ours != Some(self.session.local().ufrag.as_str()) {
            self.stats.requests_unauthenticated += 1;
            return;
        }
        if let Some(r) =
            encode_unknown_attributes_response(&msg, Some(self.session.local_key()), &mut buf)
        {
            self.respond(now, path, remote, r, &buf);
            return;
        }
        let Some(priority) = msg.priority() else {
            self.stats.requests_malformed += 1;
            let r = encode_binding_error(
                txid,
                codes::BAD_REQUEST,
                "Bad Request",
                Some(self.session.local_key()),
                &mut buf,
            );
            self.respond(now, path, remote, r, &buf);
            return;
        };
        // The candidate the check arrived on; none (e.g. a host socket under the relay-only
        // policy) means no answer, so the socket's address is not revealed.
        let use_candidate = msg.use_candidate();
        let Some(local) = self.gather.receiving_local(base) else {
            self.stats.requests_unauthenticated += 1;
            return;
        };
        // RFC 8445 §7.3.1.1: role conflicts, decided by the tie-breaker.
        if self.session.is_controlling()
            && let Some(theirs) = msg.ice_controlling()
        {
            self.stats.role_conflicts += 1;
            if self.session.tie_breaker() >= theirs {
                let r = encode_binding_error(
                    txid,
                    codes::ROLE_CONFLICT,
                    "Role Conflict",
                    Some(self.session.local_key()),
                    &mut buf,
                );
                self.respond(now, path, remote, r, &buf);
                return;
            }
            self.set_role(false);
        } else if !self.session.is_controlling()
            && let Some(theirs) = msg.ice_controlled()
        {
            self.stats.role_conflicts += 1;
            if self.session.tie_breaker() >= theirs && !self.config.lite {
                self.set_role(true);
            } else {
                let r = encode_binding_error(
                    txid,
                    codes::ROLE_CONFLICT,
                    "Role Conflict",
                    Some(self.session.local_key()),
                    &mut buf,
                );
                self.respond(now, path, remote, r, &buf);
                return;
            }
        }
        // RFC 8445 §7.3.1.4: success with the source address seen, integrity and fingerprint.
        let r = encode_binding_success(txid, remote, Some(self.session.local_key()), &mut buf);
        self.respond(now, path, remote, r, &buf);
        self.stats.requests_answered += 1;

        let remote_index = match self.remotes.iter().position(|r| r.address == remote) {
            Some(i) => i,
            None => {
                // RFC 8445 §7.3.1.3: a peer-reflexive remote candidate.
                if self.remotes.len() + self.pending_mdns.len() >= self.config.max_remote_candidates
                {
                    self.stats.candidates_refused += 1;
                    return;
                }
                let foundation = format!("{}", 0x7000_0000u32 + self.remotes.len() as u32);
                let candidate =
                    Candidate::new(CandidateKind::PeerReflexive, foundation, priority, remote);
                self.remotes.push(crate::agent::RemoteCandidate {
                    candidate,
                    address: remote,
                });
                self.remotes.len() - 1
            }
        };
        let Some(pi) = self.add_pair(local, remote_index) else {
            return;
        };
        self.pairs[pi].requested = true;
        if self.config.lite {
            // RFC 8445 §7.3.1.5 (lite): a pair an authenticated check arrived on is valid.
            self.pairs[pi].state = PairState::Succeeded;
        }
        // A check from the peer on the selected pair proves it is alive (RFC 7675 §5.1 asks for
        // responses; Chromium 144 relies on the peer counting its requests too: str0m#846).
        if let Some(route) = &self.route
            && self.gather.local(route.local).base == base
            && route.remote == remote
        {
            self.liveness.alive(now);
        }
        if use_candidate && !self.session.is_controlling() {
            // RFC 8445 §7.3.1.5: nominated now if the pair is valid (or we are lite and do not
            // check), else when our triggered check succeeds.
            if self.pairs[pi].state == PairState::Succeeded || self.config.lite {
                self.pairs[pi].nominated = true;
                self.select_best(now);
            } else {
                self.pairs[pi].nominate_on_success = true;
            }
        }
        if !self.config.lite
            && !matches!(
                self.pairs[pi].state,
                PairState::Succeeded | PairState::InProgress
            )
        {
            self.trigger(pi);
        }
    }

    /// RFC 8445 §7.2.5: a response to one of our checks.
    fn handle_response(
        &mut self,
        now: Instant,
        base: SocketAddr,
        remote: SocketAddr,
        bytes: &[u8],
        txid: [u8; 12],
    ) {
        let Some(tag) = self.checks.tag(&txid).copied() else {
            self.stats.responses_dropped += 1;
            return;
        };
        let Some(key) = self.session.remote_key() else {
            self.stats.responses_dropped += 1;
            return;
        };
        // RFC 8445 §7.2.5.1 via RFC 8489 §9.1.3: the response must authenticate with the
        // remote password; otherwise it is dropped and the transaction goes on.
        let Ok(msg) = Message::decode_authenticated(bytes, key) else {
            self.stats.responses_dropped += 1;
            return;
        };
        self.checks.complete(now, &txid);
        let Some(pi) = self.pair_index(tag.pair) else {
            return;
        };
        if tag.consent {
            if msg.class() == Class::SuccessResponse && self.selected_pair_id() == Some(tag.pair) {
                self.liveness.alive(now);
            }
            return;
        }
        self.pairs[pi].transaction = None;
        let (local, remote_index) = (self.pairs[pi].local, self.pairs[pi].remote);
        // RFC 8445 §7.2.5.2.1: source and destination must be symmetric.
        if self.gather.local(local).base != base || self.remotes[remote_index].address != remote {
            self.fail_pair(pi, tag.use_candidate);
            return;
        }
        if msg.class() == Class::ErrorResponse {
            if msg.error_code().map(|e| e.code) == Some(codes::ROLE_CONFLICT) {
                // RFC 8445 §7.2.5.1: switch role (unless already switched) and retry.
                self.stats.role_conflicts += 1;
                if tag.controlling == self.session.is_controlling() {
                    self.set_role(!tag.controlling);
                }
                if tag.use_candidate {
                    self.nominating = None;
                }
                if self.pairs[pi].state != PairState::Succeeded {
                    self.pairs[pi].state = PairState::Waiting;
                }
                self.trigger(pi);
            } else {
                self.fail_pair(pi, tag.use_candidate);
            }
            return;
        }
        // RFC 8445 §7.2.5.3.1: a mapped address we do not know is a peer-reflexive candidate.
        if let Some(mapped) = msg.xor_mapped_address()
            && !self.gather.has_local_address(mapped)
        {
            let foundation = format!("{}", 0x6000_0000u32 + self.gather.locals().len() as u32);
            let candidate = Candidate::new(
                CandidateKind::PeerReflexive,
                foundation,
                tag.priority,
                mapped,
            );
            let (path, b) = (self.gather.local(local).path, self.gather.local(local).base);
            self.gather
                .add_local(candidate, b, path, &self.session, &mut self.events);
            self.pair_fresh();
        }
        // RFC 8445 §7.2.5.3.2-3: the pair is valid; unfreeze its foundation.
        self.pairs[pi].state = PairState::Succeeded;
        self.first_valid_at.get_or_insert(now);
        self.unfreeze_foundation(pi);
        let nominated = (tag.use_candidate && self.session.is_controlling())
            || (self.pairs[pi].nominate_on_success && !self.session.is_controlling());
        if tag.use_candidate {
            self.nominating = None;
        }
        if nominated {
            self.pairs[pi].nominated = true;
            self.select_best(now);
        }
    }

    pub(crate) fn fail_pair(&mut self, pi: usize, nominating: bool) {
        self.pairs[pi].state = PairState::Failed;
        self.pairs[pi].transaction = None;
        if nominating {
            self.nominating = None;
        }
    }

    pub(crate) fn set_role(&mut self, controlling: bool) {
        if self.session.set_controlling(controlling) {
            self.reprioritise();
            self.events
                .push_back(crate::Event::RoleChanged { controlling });
        }
    }
}
