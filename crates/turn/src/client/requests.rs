//! Requests to the server and their answers: Allocate (RFC 8656 §7), Refresh (§8),
//! CreatePermission (§9) and ChannelBind (§11); error responses, redirects and timeouts.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use rand::RngCore;
use rtcweb_stun::{Class, Message, MessageWriter, Method, codes};

use super::timers::{Lifetime, lifetime_secs};
use super::{Allocation, Client, MAX_STUN, State};
use crate::{Config, Event, TurnError};

/// What a transaction asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Request {
    Allocate,
    Refresh { lifetime: u32 },
    CreatePermission { peers: Vec<IpAddr> },
    ChannelBind { channel: u16, peer: SocketAddr },
}

impl Request {
    fn method(&self) -> Method {
        match self {
            Self::Allocate => Method::ALLOCATE,
            Self::Refresh { .. } => Method::REFRESH,
            Self::CreatePermission { .. } => Method::CREATE_PERMISSION,
            Self::ChannelBind { .. } => Method::CHANNEL_BIND,
        }
    }

    /// The request's method and attributes, before credentials.
    fn writer(&self, id: [u8; 12], config: &Config) -> Result<MessageWriter, TurnError> {
        let mut w = MessageWriter::request(self.method(), id);
        if let Some(software) = &config.software {
            w = w.software(software)?;
        }
        Ok(match self {
            Self::Allocate => w
                .requested_transport_udp()
                .lifetime(lifetime_secs(config.lifetime)),
            Self::Refresh { lifetime } => w.lifetime(*lifetime),
            Self::CreatePermission { peers } => {
                for ip in peers {
                    // RFC 8656 §9: only the IP of XOR-PEER-ADDRESS matters.
                    w = w.xor_peer_address(SocketAddr::new(*ip, 0));
                }
                w
            }
            Self::ChannelBind { channel, peer } => {
                w.channel_number(*channel).xor_peer_address(*peer)
            }
        })
    }
}

/// The LIFETIME a response grants, or the configured one when it names none.
fn granted(msg: &Message, config: &Config) -> Duration {
    msg.lifetime()
        .map(|s| Duration::from_secs(u64::from(s)))
        .unwrap_or(config.lifetime)
}

impl Client {
    /// Starts a transaction for `request` (authenticated once the server challenged us).
    pub(super) fn send_request(&mut self, now: Instant, request: Request) -> Result<(), TurnError> {
        let mut id = [0u8; 12];
        self.rng.fill_bytes(&mut id);
        let bytes = self.auth.encode(request.writer(id, &self.config)?)?;
        debug_assert!(bytes.len() <= MAX_STUN);
        self.transactions
            .start(
                now,
                id,
                bytes,
                self.config.transport,
                None,
                self.server,
                request,
            )
            .map_err(|_| TurnError::TooManyRequests)
    }

    /// Sends `request` again (after a challenge or a redirect); a failure to send fails it.
    pub(super) fn resend(&mut self, now: Instant, request: Request) {
        if let Err(e) = self.send_request(now, request.clone()) {
            self.request_failed(now, request, e);
        }
    }

    /// `request` failed with `error` (answered, timed out, or not sendable).
    pub(super) fn request_failed(&mut self, now: Instant, request: Request, error: TurnError) {
        match request {
            Request::Allocate => self.fail(error),
            Request::Refresh { lifetime: 0 } => self.finish_close(),
            Request::Refresh { .. } => self.fail(error),
            Request::CreatePermission { peers } => {
                for peer in peers {
                    self.permissions.failed(peer, now);
                    self.events.push_back(Event::PermissionFailed {
                        peer,
                        error: error.clone(),
                    });
                }
            }
            Request::ChannelBind { channel, peer } => {
                self.channels.failed(channel, now);
                self.events
                    .push_back(Event::ChannelBindFailed { peer, error });
            }
        }
    }

    /// A success or error response with transaction ID `id`.
    pub(super) fn handle_response(&mut self, now: Instant, bytes: &[u8], id: [u8; 12]) {
        let Some(request) = self.transactions.tag(&id).cloned() else {
            self.stats.dropped_stray += 1;
            return;
        };
        let Ok(msg) = Message::decode(bytes) else {
            self.stats.dropped_malformed += 1;
            return;
        };
        if !self.auth.accepts(&msg, bytes) {
            self.stats.dropped_unauthenticated += 1;
            return;
        }
        if self.auth.ignores(&msg) {
            self.stats.dropped_bad_challenge += 1;
            return;
        }
        if !msg.unknown_comprehension_required().is_empty() {
            // RFC 8489 §6.3.3: unknown comprehension-required attributes in a response
            // fail the transaction; treated as a malformed answer.
            self.stats.dropped_malformed += 1;
            return;
        }
        if self.transactions.complete(now, &id).is_none() {
            return;
        }
        match msg.class() {
            Class::SuccessResponse => {
                self.auth.succeeded();
                self.on_success(now, request, &msg);
            }
            _ => {
                let e = msg.error_code().unwrap_or(rtcweb_stun::ErrorCode {
                    code: codes::SERVER_ERROR,
                    reason: String::new(),
                });
                self.on_error(now, request, e.code, &e.reason, &msg);
            }
        }
    }

    fn on_success(&mut self, now: Instant, request: Request, msg: &Message) {
        match request {
            Request::Allocate => {
                if self.state != State::Allocating {
                    return;
                }
                let Some(relayed) = msg.xor_relayed_address() else {
                    self.fail(TurnError::MalformedResponse);
                    return;
                };
                let lifetime = granted(msg, &self.config);
                let mapped = msg.xor_mapped_address();
                self.allocation = Some(Allocation {
                    relayed,
                    mapped,
                    lifetime: Lifetime::new(now, lifetime),
                });
                self.state = State::Allocated;
                self.events.push_back(Event::Allocated {
                    relayed,
                    mapped,
                    lifetime,
                });
            }
            Request::Refresh { lifetime: 0 } => self.finish_close(),
            Request::Refresh { .. } => {
                let lifetime = granted(msg, &self.config);
                if let Some(a) = &mut self.allocation {
                    a.lifetime.refreshed(now, lifetime);
                    self.events.push_back(Event::Refreshed { lifetime });
                }
            }
            Request::CreatePermission { peers } => {
                for peer in peers {
                    if self.permissions.installed(peer, now) {
                        self.events.push_back(Event::PermissionCreated { peer });
                    }
                }
            }
            Request::ChannelBind { channel, peer } => {
                // RFC 8656 §12.1: a ChannelBind also installs or refreshes the permission.
                self.permissions.installed(peer.ip(), now);
                if self.channels.bound(channel, now) {
                    self.events.push_back(Event::ChannelBound { peer, channel });
                }
            }
        }
    }

    fn on_error(&mut self, now: Instant, request: Request, code: u16, reason: &str, msg: &Message) {
        match code {
            codes::UNAUTHENTICATED if !self.auth.is_authenticated() => {
                match self.auth.challenged(msg) {
                    Ok(()) => self.resend(now, request),
                    Err(e) => self.request_failed(now, request, e),
                }
            }
            // RFC 8489 §9.2.5: a later 401 that drops the nonce cookie's features or changes
            // PASSWORD-ALGORITHMS is a bid-down attack, whatever request it answers.
            codes::UNAUTHENTICATED if self.auth.bids_down(msg) => self.fail(TurnError::BidDown),
            codes::STALE_NONCE => match self.auth.stale_nonce(msg) {
                Ok(()) => self.resend(now, request),
                Err(TurnError::BidDown) => self.fail(TurnError::BidDown),
                Err(e) => self.request_failed(now, request, e),
            },
            codes::TRY_ALTERNATE if request == Request::Allocate => {
                // RFC 8489 §10: follow ALTERNATE-SERVER, once.
                match msg.alternate_server().filter(|_| !self.redirected) {
                    Some(server) => {
                        self.redirected = true;
                        self.server = server;
                        self.auth.forget();
                        if let Err(e) = self.wire.reconnect(&self.config) {
                            return self.fail(e);
                        }
                        self.events.push_back(Event::Redirected { server });
                        self.resend(now, Request::Allocate);
                    }
                    None => self.fail(TurnError::BadRedirect),
                }
            }
            // RFC 8656 §7.3: after the allocation exists, 437 on a Refresh, CreatePermission or
            // ChannelBind means the server has no allocation for our 5-tuple any more (e.g. our
            // NAT mapping changed): the allocation is lost.
            codes::ALLOCATION_MISMATCH if request != Request::Allocate => {
                self.fail(TurnError::AllocationMismatch)
            }
            _ => self.request_failed(now, request, TurnError::from_code(code, reason)),
        }
    }
}
