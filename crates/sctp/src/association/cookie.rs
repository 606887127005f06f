//! State cookies (RFC 9260 §5.1.3). One association object serves one DTLS connection, so
//! there is no crowd of strangers to stay stateless for: a cookie is a random nonce, and
//! what it stands for (the peer's INIT) stays here. An echoed cookie is valid when it is one
//! we issued, within its lifetime (§5.1.5).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::wire::Init;
use rand::Rng;
use rand::rngs::StdRng;

/// Cookies remembered at once; an older one is forgotten (its peer sends INIT again).
const MAX_ISSUED: usize = 8;
/// Valid.Cookie.Life (RFC 9260 §16: 60 s).
const LIFETIME: Duration = Duration::from_secs(60);
/// Marks our cookies, so a stranger's bytes are told apart before any lookup.
const MAGIC: [u8; 4] = *b"rtcw";

/// What a peer's INIT or INIT ACK said about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PeerInit {
    pub(crate) tag: u32,
    pub(crate) initial_tsn: u32,
    pub(crate) a_rwnd: u32,
    /// Outbound streams it will use (our inbound limit).
    pub(crate) outbound_streams: u16,
    /// Its inbound streams (our outbound limit).
    pub(crate) inbound_streams: u16,
    /// FORWARD TSN (RFC 3758 §3.3).
    pub(crate) forward_tsn: bool,
    /// RE-CONFIG (RFC 6525 §4).
    pub(crate) reconfig: bool,
}

impl PeerInit {
    pub(crate) fn from_init(init: &Init<'_>) -> Self {
        Self {
            tag: init.initiate_tag,
            initial_tsn: init.initial_tsn,
            a_rwnd: init.a_rwnd,
            outbound_streams: init.outbound_streams,
            inbound_streams: init.inbound_streams,
            forward_tsn: init.forward_tsn_supported(),
            reconfig: init.supports(crate::wire::ChunkType::RE_CONFIG),
        }
    }
}

#[derive(Debug)]
struct Issued {
    cookie: [u8; 20],
    peer: PeerInit,
    at: Instant,
}

/// The cookies we handed out.
#[derive(Debug, Default)]
pub(crate) struct Cookies {
    issued: VecDeque<Issued>,
}

impl Cookies {
    /// A new cookie for a peer's INIT.
    pub(crate) fn issue(&mut self, rng: &mut StdRng, now: Instant, peer: PeerInit) -> [u8; 20] {
        let mut cookie = [0u8; 20];
        cookie[..4].copy_from_slice(&MAGIC);
        rng.fill(&mut cookie[4..]);
        if self.issued.len() == MAX_ISSUED {
            self.issued.pop_front();
        }
        self.issued.push_back(Issued {
            cookie,
            peer,
            at: now,
        });
        cookie
    }

    /// The INIT an echoed cookie stands for, if we issued it and it is fresh.
    pub(crate) fn validate(&self, now: Instant, echoed: &[u8]) -> Option<PeerInit> {
        if echoed.len() != 20 || echoed[..4] != MAGIC {
            return None;
        }
        self.issued
            .iter()
            .find(|i| i.cookie == echoed)
            .filter(|i| now.saturating_duration_since(i.at) <= LIFETIME)
            .map(|i| i.peer)
    }
}
