//! Outgoing connectivity checks (RFC 8445 §7.2), paced by Ta, and nomination (§8.1).
//!
//! [`Checks`] owns the check transactions, the pacing, the nomination in flight and when the
//! first pair became valid. The agent gives it the pair to check ([`Target`]) and the
//! session; it builds and starts the Binding request and says what became of it.

use std::net::SocketAddr;
use std::time::Instant;

use rand::RngCore;
use rand::rngs::StdRng;
use rtcweb_common::{Transmit, Transport};
use rtcweb_stun::{BindingRequest, ClientTransactions, IceRole, MAX_MESSAGE_LEN, RetransmitConfig};

use crate::checklist::Checklist;
use crate::credentials::Session;
use crate::{CandidateKind, Config};

/// What a check transaction was for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CheckTag {
    pub(crate) pair: u32,
    pub(crate) use_candidate: bool,
    pub(crate) controlling: bool,
    pub(crate) consent: bool,
    pub(crate) priority: u32,
}

/// The pair a check goes on.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target {
    pub(crate) pair: u32,
    /// The local candidate's base and priority.
    pub(crate) base: SocketAddr,
    pub(crate) local_priority: u32,
    /// The remote candidate's address.
    pub(crate) destination: SocketAddr,
    /// UDP, or TCP on the ICE-TCP connection between base and destination.
    pub(crate) transport: Transport,
    /// A nominating check (USE-CANDIDATE, sent only when controlling).
    pub(crate) use_candidate: bool,
    /// A consent check (RFC 7675).
    pub(crate) consent: bool,
}

/// What became of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sent {
    /// Started in this transaction.
    Started([u8; 12]),
    /// The transaction table is full: tried again after Ta.
    Deferred,
    /// Not sent: no remote credentials, or the request did not encode.
    Nothing,
}

/// Check transactions, pacing and nomination.
#[derive(Debug)]
pub(crate) struct Checks {
    transactions: ClientTransactions<CheckTag>,
    /// No new check before this (Ta, RFC 8445 §6.1.4.2).
    next_check_at: Instant,
    first_valid_at: Option<Instant>,
    /// The pair a nominating check is outstanding on.
    nominating: Option<u32>,
}

impl Checks {
    pub(crate) fn new(config: &Config, now: Instant) -> Self {
        let mut retransmit = RetransmitConfig {
            rto: config.check_rto,
            max_rto: config.check_max_rto,
            max_requests: config.check_max_requests,
            last_wait_multiplier: 4,
            ..RetransmitConfig::default()
        };
        // A check over TCP is sent once (RFC 6544 §7.1, RFC 8489 §6.2.2) and waits as long
        // as the same check over UDP would with its retransmissions, not RFC 8489's Ti of
        // 39.5 s: a pair fails in the same time on either transport.
        retransmit.reliable_timeout = udp_check_span(&retransmit);
        Self {
            transactions: ClientTransactions::new(retransmit, config.max_transactions),
            next_check_at: now,
            first_valid_at: None,
            nominating: None,
        }
    }

    /// When the next check may go.
    pub(crate) fn next_check_at(&self) -> Instant {
        self.next_check_at
    }

    /// When the controlling agent nominates (regular nomination, RFC 8445 §8.1.1): at once if
    /// no better pair is still being checked, else after [`nomination_delay`] from the first
    /// valid pair.
    ///
    /// A pair that becomes valid later and beats the nominated one is nominated too, as
    /// libwebrtc does: a UDP check lost to the network must not leave a call on the ICE-TCP
    /// (or relayed) pair that happened to answer first. Both agents then use the
    /// highest-priority nominated pair (RFC 8445 §8.1.1: "If more than one candidate pair
    /// is nominated ... use the pairs with the highest priority").
    ///
    /// [`nomination_delay`]: crate::Config::nomination_delay
    pub(crate) fn nomination_due_at(
        &self,
        checklist: &Checklist,
        controlling: bool,
        config: &Config,
    ) -> Option<Instant> {
        if !controlling || config.lite || self.nominating.is_some() {
            return None;
        }
        let best = checklist.best_valid()?;
        if let Some(nominated) = checklist.best_nominated()
            && checklist.pair(nominated).priority >= checklist.pair(best).priority
        {
            return None;
        }
        let first = self.first_valid_at?;
        Some(if checklist.better_pending(checklist.pair(best).priority) {
            first + config.nomination_delay
        } else {
            first
        })
    }

    /// Sends a Binding request on `target` (RFC 8445 §7.2.2).
    pub(crate) fn send(
        &mut self,
        now: Instant,
        target: Target,
        session: &Session,
        rng: &mut StdRng,
        config: &Config,
        raw: &[(u16, &[u8])],
    ) -> Sent {
        let (Some(remote_credentials), Some(key)) = (session.remote(), session.remote_key()) else {
            return Sent::Nothing;
        };
        let Target {
            use_candidate,
            consent,
            ..
        } = target;
        // RFC 8445 §7.1.1: PRIORITY is what a peer-reflexive candidate from this base would
        // have: the type preference of prflx with the local candidate's other bits (over
        // TCP, the TCP prflx preference, RFC 6544 §4.2).
        let type_preference = match target.transport {
            Transport::Tcp => crate::tcp_type_preference(CandidateKind::PeerReflexive),
            Transport::Udp | Transport::Tls => CandidateKind::PeerReflexive.type_preference(),
        };
        let priority = (type_preference << 24) | (target.local_priority & 0x00ff_ffff);
        let username = format!("{}:{}", remote_credentials.ufrag, session.local().ufrag);
        let mut transaction_id = [0u8; 12];
        rng.fill_bytes(&mut transaction_id);
        let controlling = session.is_controlling();
        let role = if controlling {
            IceRole::Controlling(session.tie_breaker())
        } else {
            IceRole::Controlled(session.tie_breaker())
        };
        let request = BindingRequest {
            transaction_id,
            username: Some(&username),
            priority: Some(priority),
            role: Some(role),
            use_candidate: use_candidate && controlling,
            key: Some(key),
            software: config.software.as_deref(),
        };
        // Room for a piggybacked DTLS datagram (SPED) when one is attached.
        let mut buf = vec![0u8; if raw.is_empty() { 256 } else { MAX_MESSAGE_LEN }];
        let Ok(n) = request.encode_with(raw, &mut buf) else {
            return Sent::Nothing;
        };
        buf.truncate(n);
        let tag = CheckTag {
            pair: target.pair,
            use_candidate: use_candidate && controlling,
            controlling,
            consent,
            priority,
        };
        if self
            .transactions
            .start(
                now,
                transaction_id,
                buf,
                target.transport,
                Some(target.base),
                target.destination,
                tag,
            )
            .is_err()
        {
            self.next_check_at = now + config.ta;
            return Sent::Deferred;
        }
        if !consent {
            self.next_check_at = now + config.ta;
            if tag.use_candidate {
                self.nominating = Some(target.pair);
            }
        }
        Sent::Started(transaction_id)
    }

    /// The next check transaction that got no response (RFC 8489 §6.2.1), consent checks
    /// left out.
    pub(crate) fn poll_timed_out(&mut self) -> Option<([u8; 12], CheckTag)> {
        while let Some(t) = self.transactions.poll_event() {
            if !t.tag.consent {
                return Some((t.transaction_id, t.tag));
            }
        }
        None
    }

    /// The tag of an outstanding transaction.
    pub(crate) fn tag(&self, transaction: &[u8; 12]) -> Option<CheckTag> {
        self.transactions.tag(transaction).copied()
    }

    /// The transaction got its (authenticated) answer.
    pub(crate) fn complete(&mut self, now: Instant, transaction: &[u8; 12]) {
        self.transactions.complete(now, transaction);
    }

    /// A pair became valid.
    pub(crate) fn valid(&mut self, now: Instant) {
        self.first_valid_at.get_or_insert(now);
    }

    /// The nominating check ended (answered, failed or to be retried).
    pub(crate) fn nomination_over(&mut self) {
        self.nominating = None;
    }

    /// ICE restart (RFC 8445 §9): every check is cancelled, nomination starts over.
    pub(crate) fn restart(&mut self) {
        self.transactions.cancel_where(|_| true);
        self.first_valid_at = None;
        self.nominating = None;
    }

    /// Closing: every transaction is dropped.
    pub(crate) fn clear(&mut self) {
        self.transactions.clear();
    }

    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        self.transactions.handle_timeout(now);
    }

    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.transactions.poll_timeout()
    }

    pub(crate) fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transactions.poll_transmit()
    }
}

/// How long a check over UDP lasts before it times out: its `max_requests` sends at a
/// doubling RTO (capped), then `last_wait_multiplier` times the initial RTO (RFC 8489
/// §6.2.1, as `ClientTransactions` waits).
fn udp_check_span(config: &RetransmitConfig) -> std::time::Duration {
    let mut rto = config.rto;
    let mut span = std::time::Duration::ZERO;
    for _ in 1..config.max_requests.max(1) {
        span += rto;
        rto = (rto * 2).min(config.max_rto);
    }
    span + config.rto * config.last_wait_multiplier
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// When a transaction over `transport` started at `t0` times out.
    fn timed_out_after(config: &RetransmitConfig, transport: Transport) -> Duration {
        #[allow(clippy::disallowed_methods)] // the simulated epoch
        let t0 = Instant::now();
        let mut tx = ClientTransactions::new(*config, 1);
        let to = "192.0.2.1:9".parse().unwrap();
        tx.start(t0, [1; 12], vec![0; 20], transport, None, to, ())
            .unwrap();
        let mut sent = 0;
        loop {
            while tx.poll_transmit().is_some() {
                sent += 1;
            }
            let at = tx.poll_timeout().expect("a deadline while outstanding");
            tx.handle_timeout(at);
            if tx.poll_event().is_some() {
                assert_eq!(sent, if transport.is_stream() { 1 } else { 7 });
                return at - t0;
            }
        }
    }

    #[test]
    fn a_tcp_check_is_sent_once_and_waits_as_long_as_a_udp_check_lasts() {
        let config = Config::default();
        #[allow(clippy::disallowed_methods)] // the simulated epoch
        let checks = Checks::new(&config, Instant::now());
        let retransmit = *checks.transactions.config();
        let udp = timed_out_after(&retransmit, Transport::Udp);
        let tcp = timed_out_after(&retransmit, Transport::Tcp);
        // 500 + 1000 + 4 × 1600 ms between the seven sends, then 4 × 500 ms.
        assert_eq!(udp, Duration::from_millis(9_900));
        assert_eq!(tcp, udp);
    }
}
