//! Client transactions: retransmissions, response matching, timeouts (RFC 8489 §6.2).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtcweb_common::{Transmit, Transport};
use thiserror::Error;

/// Retransmission parameters (RFC 8489 §6.2.1, §6.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetransmitConfig {
    /// Initial retransmission timeout, RTO (default 500 ms). ICE sets it from its pacing
    /// (RFC 8445 §14.3).
    pub rto: Duration,
    /// Upper bound of the doubled RTO (default: none, i.e. very large).
    pub max_rto: Duration,
    /// Rc: requests sent in all over UDP, the first included (default 7).
    pub max_requests: u32,
    /// Rm: after the last request, wait `Rm × RTO` for a response (default 16).
    pub last_wait_multiplier: u32,
    /// Ti: how long a request over TCP or TLS waits for its response (default 39.5 s).
    pub reliable_timeout: Duration,
}

impl Default for RetransmitConfig {
    fn default() -> Self {
        Self {
            rto: Duration::from_millis(500),
            max_rto: Duration::from_secs(3600),
            max_requests: 7,
            last_wait_multiplier: 16,
            reliable_timeout: Duration::from_millis(39_500),
        }
    }
}

/// Why a transaction could not be started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TransactionError {
    /// The table of outstanding transactions is full (API misuse or a flood to be shed).
    #[error("too many outstanding transactions (limit {limit})")]
    TooMany {
        /// The configured limit.
        limit: usize,
    },
    /// A transaction with this ID is already outstanding.
    #[error("transaction ID already in use")]
    DuplicateId,
}

/// A transaction that got its response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completed<T> {
    /// The caller's tag given to [`ClientTransactions::start`].
    pub tag: T,
    /// Where the request was sent.
    pub destination: SocketAddr,
    /// Round-trip time, measured only when the request was never retransmitted (Karn's
    /// algorithm, as RFC 8489 §6.2.1 asks for RTO estimation).
    pub rtt: Option<Duration>,
}

/// A transaction that got no response in time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimedOut<T> {
    /// The transaction ID.
    pub transaction_id: [u8; 12],
    /// The caller's tag given to [`ClientTransactions::start`].
    pub tag: T,
    /// Where the request was sent.
    pub destination: SocketAddr,
}

#[derive(Debug)]
struct Pending<T> {
    id: [u8; 12],
    request: Vec<u8>,
    transport: Transport,
    source: Option<SocketAddr>,
    destination: SocketAddr,
    sent: u32,
    rto: Duration,
    first_sent: Instant,
    next: Instant,
    last: bool,
    tag: T,
}

/// The outstanding client transactions of one STUN user (an ICE agent, a TURN client), each
/// tagged with a caller value `T` that says what the request was for.
///
/// Sans-IO: [`start`](Self::start) queues the request, [`poll_transmit`](Self::poll_transmit)
/// hands out what to send, [`handle_timeout`](Self::handle_timeout) retransmits over UDP with
/// a doubling RTO, and a transaction with no response ends as [`TimedOut`].
#[derive(Debug)]
pub struct ClientTransactions<T> {
    config: RetransmitConfig,
    limit: usize,
    pending: Vec<Pending<T>>,
    transmits: VecDeque<Transmit>,
    timed_out: VecDeque<TimedOut<T>>,
}

impl<T> ClientTransactions<T> {
    /// A table that holds at most `limit` outstanding transactions.
    pub fn new(config: RetransmitConfig, limit: usize) -> Self {
        Self {
            config,
            limit,
            pending: Vec::new(),
            transmits: VecDeque::new(),
            timed_out: VecDeque::new(),
        }
    }

    /// The retransmission parameters.
    pub fn config(&self) -> &RetransmitConfig {
        &self.config
    }

    /// Changes the retransmission parameters for transactions started from now on.
    pub fn set_config(&mut self, config: RetransmitConfig) {
        self.config = config;
    }

    /// Starts a transaction: `request` (an encoded request whose transaction ID is `id`) is
    /// queued for sending now.
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        &mut self,
        now: Instant,
        id: [u8; 12],
        request: Vec<u8>,
        transport: Transport,
        source: Option<SocketAddr>,
        destination: SocketAddr,
        tag: T,
    ) -> Result<(), TransactionError> {
        if self.pending.len() >= self.limit {
            return Err(TransactionError::TooMany { limit: self.limit });
        }
        if self.pending.iter().any(|p| p.id == id) {
            return Err(TransactionError::DuplicateId);
        }
        let (next, last) = if transport.is_stream() || self.config.max_requests <= 1 {
            // RFC 8489 §6.2.2: no retransmission over reliable transports; Ti to wait.
            let wait = if transport.is_stream() {
                self.config.reliable_timeout
            } else {
                self.config.rto * self.config.last_wait_multiplier
            };
            (now + wait, true)
        } else {
            (now + self.config.rto, false)
        };
        self.transmits.push_back(Transmit {
            transport,
            source,
            destination,
            contents: request.clone(),
        });
        self.pending.push(Pending {
            id,
            request,
            transport,
            source,
            destination,
            sent: 1,
            rto: self.config.rto,
            first_sent: now,
            next,
            last,
            tag,
        });
        Ok(())
    }

    /// Whether a transaction with this ID is outstanding.
    pub fn contains(&self, id: &[u8; 12]) -> bool {
        self.pending.iter().any(|p| &p.id == id)
    }

    /// Number of outstanding transactions.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// Whether no transaction is outstanding.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// The tag of an outstanding transaction.
    pub fn tag(&self, id: &[u8; 12]) -> Option<&T> {
        self.pending.iter().find(|p| &p.id == id).map(|p| &p.tag)
    }

    /// Ends the transaction a response belongs to (matched by transaction ID, RFC 8489
    /// §6.3.3). `None` if there is none: a stray or late response, to be dropped.
    pub fn complete(&mut self, now: Instant, id: &[u8; 12]) -> Option<Completed<T>> {
        let idx = self.pending.iter().position(|p| &p.id == id)?;
        let p = self.pending.swap_remove(idx);
        let rtt = (p.sent == 1).then(|| now.saturating_duration_since(p.first_sent));
        Some(Completed {
            tag: p.tag,
            destination: p.destination,
            rtt,
        })
    }

    /// Abandons a transaction; a later response to it is then stray.
    pub fn cancel(&mut self, id: &[u8; 12]) -> Option<T> {
        let idx = self.pending.iter().position(|p| &p.id == id)?;
        Some(self.pending.swap_remove(idx).tag)
    }

    /// Abandons every transaction whose tag matches.
    pub fn cancel_where(&mut self, mut f: impl FnMut(&T) -> bool) {
        self.pending.retain(|p| !f(&p.tag));
    }

    /// Abandons every transaction and drops queued transmits.
    pub fn clear(&mut self) {
        self.pending.clear();
        self.transmits.clear();
    }

    /// Retransmits what is due and times out what waited long enough (RFC 8489 §6.2.1).
    /// Safe to call early or twice.
    pub fn handle_timeout(&mut self, now: Instant) {
        let mut i = 0;
        while i < self.pending.len() {
            let p = &mut self.pending[i];
            if now < p.next {
                i += 1;
                continue;
            }
            if p.last {
                let p = self.pending.swap_remove(i);
                self.timed_out.push_back(TimedOut {
                    transaction_id: p.id,
                    tag: p.tag,
                    destination: p.destination,
                });
                continue;
            }
            p.sent += 1;
            p.rto = (p.rto * 2).min(self.config.max_rto);
            if p.sent >= self.config.max_requests {
                // After the last request, wait Rm times the initial RTO.
                p.last = true;
                p.next = now + self.config.rto * self.config.last_wait_multiplier;
            } else {
                p.next = now + p.rto;
            }
            self.transmits.push_back(Transmit {
                transport: p.transport,
                source: p.source,
                destination: p.destination,
                contents: p.request.clone(),
            });
            i += 1;
        }
    }

    /// The next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event: a transaction that timed out, the only event of a transaction
    /// table (the owner ends answered ones with [`complete`](Self::complete)).
    pub fn poll_event(&mut self) -> Option<TimedOut<T>> {
        self.timed_out.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next; `None` when idle.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.pending.iter().map(|p| p.next).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr() -> SocketAddr {
        "127.0.0.1:3478".parse().unwrap()
    }

    #[allow(clippy::disallowed_methods)] // the test's one clock reading: the simulated epoch
    fn epoch() -> Instant {
        Instant::now()
    }

    /// Drives one unanswered UDP transaction and returns the send times in milliseconds and
    /// the time it timed out.
    fn run(config: RetransmitConfig, transport: Transport) -> (Vec<u128>, u128) {
        let t0 = epoch();
        let mut tx = ClientTransactions::new(config, 4);
        tx.start(t0, [1; 12], vec![0; 20], transport, None, addr(), ())
            .unwrap();
        let mut sends = vec![];
        let mut now = t0;
        loop {
            while tx.poll_transmit().is_some() {
                sends.push((now - t0).as_millis());
            }
            if let Some(t) = tx.poll_event() {
                assert_eq!(t.transaction_id, [1; 12]);
                return (sends, (now - t0).as_millis());
            }
            now = tx
                .poll_timeout()
                .expect("a pending transaction has a deadline");
            tx.handle_timeout(now);
        }
    }

    #[test]
    fn rfc8489_udp_schedule() {
        // RFC 8489 §6.2.1: with RTO 500 ms, Rc 7, Rm 16, requests at 0, 500, 1500, 3500,
        // 7500, 15500 and 31500 ms, failure at 39500 ms.
        let (sends, failed) = run(RetransmitConfig::default(), Transport::Udp);
        assert_eq!(sends, vec![0, 500, 1500, 3500, 7500, 15500, 31500]);
        assert_eq!(failed, 39500);
    }

    #[test]
    fn capped_rto_for_ice_pacing() {
        let config = RetransmitConfig {
            rto: Duration::from_millis(250),
            max_rto: Duration::from_millis(1000),
            max_requests: 5,
            last_wait_multiplier: 4,
            ..RetransmitConfig::default()
        };
        let (sends, failed) = run(config, Transport::Udp);
        assert_eq!(sends, vec![0, 250, 750, 1750, 2750]);
        assert_eq!(failed, 2750 + 1000);
    }

    #[test]
    fn stream_transports_send_once_and_wait_ti() {
        let (sends, failed) = run(RetransmitConfig::default(), Transport::Tcp);
        assert_eq!(sends, vec![0]);
        assert_eq!(failed, 39500);
    }

    #[test]
    fn responses_match_by_id_and_measure_rtt_only_without_retransmission() {
        let t0 = epoch();
        let mut tx = ClientTransactions::new(RetransmitConfig::default(), 2);
        tx.start(t0, [1; 12], vec![1], Transport::Udp, None, addr(), "a")
            .unwrap();
        tx.start(t0, [2; 12], vec![2], Transport::Udp, None, addr(), "b")
            .unwrap();
        assert_eq!(
            tx.start(t0, [3; 12], vec![3], Transport::Udp, None, addr(), "c"),
            Err(TransactionError::TooMany { limit: 2 })
        );
        assert!(tx.complete(t0, &[9; 12]).is_none());
        let done = tx
            .complete(t0 + Duration::from_millis(30), &[2; 12])
            .unwrap();
        assert_eq!(done.tag, "b");
        assert_eq!(done.rtt, Some(Duration::from_millis(30)));
        tx.handle_timeout(t0 + Duration::from_millis(500));
        let done = tx
            .complete(t0 + Duration::from_millis(600), &[1; 12])
            .unwrap();
        assert_eq!(
            done.rtt, None,
            "Karn: no RTT sample from a retransmitted request"
        );
        assert!(tx.is_empty());
        assert_eq!(tx.poll_timeout(), None);
    }
}
