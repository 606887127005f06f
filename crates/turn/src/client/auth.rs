//! Long-term credentials (RFC 8489 §9.2): the realm and nonce the server names, the password
//! algorithm and username form its nonce cookie asks for, the key made from them, the answers
//! to 401 and 438 (with the bid-down protection of §9.2.5), and the integrity check of
//! responses.
//!
//! A server whose NONCE starts with the nonce cookie and sets the "Password algorithms"
//! feature lists PASSWORD-ALGORITHMS in its 401; the client echoes the list, names its
//! choice in PASSWORD-ALGORITHM, makes a SHA-256 key when SHA-256 is offered and protects
//! requests with MESSAGE-INTEGRITY-SHA256. "Username anonymity" makes the client send
//! USERHASH instead of USERNAME. Without the cookie (coturn and every other deployed server)
//! the key is MD5 and the integrity MESSAGE-INTEGRITY, as before RFC 8489.

use rtcweb_stun::stun_rs::AlgorithmId;
use rtcweb_stun::stun_rs::attributes::stun::PasswordAlgorithms;
use rtcweb_stun::{
    Class, IntegrityAlgorithm, IntegrityKey, Message, MessageWriter, PasswordAlgorithm, codes,
};

use crate::TurnError;

/// How many 438 Stale Nonce answers in a row are followed before giving up.
pub(super) const MAX_STALE_NONCE_RETRIES: u32 = 3;
/// Most entries of a PASSWORD-ALGORITHMS list taken from a challenge: two algorithms are
/// registered (RFC 8489 §18.5). A longer list is ignored as a bad challenge.
pub(super) const MAX_PASSWORD_ALGORITHMS: usize = 8;
/// Most bytes of a PASSWORD-ALGORITHMS value (it is echoed in every request).
pub(super) const MAX_PASSWORD_ALGORITHMS_LEN: usize = 128;

/// What the first challenge offered for the password algorithm (RFC 8489 §9.2.5). Later 401
/// and 438 answers must offer the same, or the client stops (bid-down protection).
#[derive(Debug)]
struct Offer {
    /// The server's PASSWORD-ALGORITHMS, echoed as it came in every request.
    algorithms: PasswordAlgorithms,
    /// The algorithm taken from it, named in PASSWORD-ALGORITHM.
    chosen: PasswordAlgorithm,
}

/// What the server's challenge told: the realm, its current nonce, the key for the realm and
/// the features its nonce cookie asked for.
#[derive(Debug)]
struct Session {
    realm: String,
    nonce: String,
    key: IntegrityKey,
    /// `None` without the cookie's "Password algorithms" feature: an MD5 key and
    /// MESSAGE-INTEGRITY, what every deployed server takes.
    offer: Option<Offer>,
    /// USERHASH instead of USERNAME: the cookie's "Username anonymity" feature.
    userhash: bool,
}

impl Session {
    fn algorithm(&self) -> PasswordAlgorithm {
        self.offer
            .as_ref()
            .map_or(PasswordAlgorithm::Md5, |o| o.chosen)
    }

    /// The integrity attribute of requests, and required in responses. RFC 8489 §9.2.4: with
    /// SHA-256 negotiated, MESSAGE-INTEGRITY-SHA256 and nothing else; an MD5 key goes with
    /// MESSAGE-INTEGRITY, which every server checks.
    fn integrity(&self) -> IntegrityAlgorithm {
        match self.algorithm() {
            PasswordAlgorithm::Sha256 => IntegrityAlgorithm::Sha256,
            PasswordAlgorithm::Md5 => IntegrityAlgorithm::Sha1,
        }
    }
}

/// The client's credentials and what the server told about them.
#[derive(Debug)]
pub(super) struct Auth {
    username: String,
    password: String,
    /// `None` until the first 401 challenge (RFC 8489 §9.2.4).
    session: Option<Session>,
    /// 438 answers since the last success.
    stale_nonces: u32,
}

impl Auth {
    /// Credentials for `username` and `password`; refused when they cannot make a long-term
    /// key (checked now with a stand-in realm, since the server tells the real one later).
    pub(super) fn new(username: &str, password: &str) -> Result<Self, TurnError> {
        IntegrityKey::long_term(username, "realm", password).map_err(|_| TurnError::Credentials)?;
        Ok(Self {
            username: username.to_owned(),
            password: password.to_owned(),
            session: None,
            stale_nonces: 0,
        })
    }

    /// Whether a challenge was answered: requests now carry credentials.
    pub(super) fn is_authenticated(&self) -> bool {
        self.session.is_some()
    }

    /// The password algorithm of the key, once challenged.
    pub(super) fn password_algorithm(&self) -> Option<PasswordAlgorithm> {
        self.session.as_ref().map(Session::algorithm)
    }

    /// Encodes a request: once authenticated USERNAME (or USERHASH), REALM, NONCE, the echoed
    /// PASSWORD-ALGORITHMS with the chosen PASSWORD-ALGORITHM when the server offered them,
    /// and MESSAGE-INTEGRITY or MESSAGE-INTEGRITY-SHA256 (RFC 8489 §9.2.4, §9.2.5);
    /// FINGERPRINT always.
    pub(super) fn encode(&self, w: MessageWriter) -> Result<Vec<u8>, TurnError> {
        let Some(s) = &self.session else {
            return Ok(w.to_vec(None, true)?);
        };
        let mut w = if s.userhash {
            w.userhash(&self.username, &s.realm)?
        } else {
            w.username(&self.username)?
        };
        w = w.realm(&s.realm)?.nonce(&s.nonce)?;
        if let Some(offer) = &s.offer {
            w = w
                .password_algorithms(&offer.algorithms)
                .password_algorithm(offer.chosen);
        }
        Ok(w.to_vec(Some((&s.key, s.integrity())), true)?)
    }

    /// Whether a response may be processed. RFC 8489 §9.2.5: once authenticated, a response
    /// other than 400, 401 or 438 must carry a valid MESSAGE-INTEGRITY, or it is discarded as
    /// if never received; with SHA-256 negotiated the attribute must be
    /// MESSAGE-INTEGRITY-SHA256 (a MESSAGE-INTEGRITY alone would bid the integrity down).
    pub(super) fn accepts(&self, msg: &Message, bytes: &[u8]) -> bool {
        let Some(session) = &self.session else {
            return true;
        };
        let exempt = matches!(
            msg.error_code().map(|e| e.code),
            Some(codes::BAD_REQUEST | codes::UNAUTHENTICATED | codes::STALE_NONCE)
        );
        if exempt || (msg.class() != Class::SuccessResponse && !msg.has_integrity()) {
            return true;
        }
        if session.integrity() == IntegrityAlgorithm::Sha256
            && !msg.has_integrity_of(IntegrityAlgorithm::Sha256)
        {
            return false;
        }
        Message::decode_authenticated(bytes, &session.key).is_ok()
    }

    /// Whether a response is ignored as if never received (RFC 8489 §9.2.5): its NONCE's
    /// cookie announces password algorithms but PASSWORD-ALGORITHMS is missing, or longer than
    /// [`MAX_PASSWORD_ALGORITHMS`] entries or [`MAX_PASSWORD_ALGORITHMS_LEN`] bytes.
    pub(super) fn ignores(&self, msg: &Message) -> bool {
        msg.security_features()
            .is_some_and(|f| f.password_algorithms())
            && !msg.password_algorithms().is_some_and(within_limits)
    }

    /// A success response arrived: the stale-nonce count starts again.
    pub(super) fn succeeded(&mut self) {
        self.stale_nonces = 0;
    }

    /// A 401 challenge before authentication (RFC 8489 §9.2.4, §9.2.5): it carries REALM and
    /// NONCE, and with the nonce cookie's features PASSWORD-ALGORITHMS. `Ok` means: resend
    /// the request, now authenticated.
    pub(super) fn challenged(&mut self, msg: &Message) -> Result<(), TurnError> {
        let (Some(realm), Some(nonce)) = (msg.realm(), msg.nonce()) else {
            return Err(TurnError::MalformedResponse);
        };
        let features = msg.security_features().unwrap_or_default();
        let offer = match msg.password_algorithms() {
            // Only the cookie's feature bit, which the server checks in the nonce it gets
            // back, makes the list binding (§9.2.5); without it the list is not acted on.
            Some(algorithms) if features.password_algorithms() => Some(Offer {
                chosen: choose(algorithms).ok_or(TurnError::NoCommonPasswordAlgorithm)?,
                algorithms: algorithms.clone(),
            }),
            // [`Auth::ignores`] kept out a cookie with the feature and no list.
            _ => None,
        };
        let session = self.session_for(realm, nonce, offer, features.username_anonymity())?;
        self.session = Some(session);
        Ok(())
    }

    fn session_for(
        &self,
        realm: &str,
        nonce: &str,
        offer: Option<Offer>,
        userhash: bool,
    ) -> Result<Session, TurnError> {
        let algorithm = offer.as_ref().map_or(PasswordAlgorithm::Md5, |o| o.chosen);
        let key = IntegrityKey::long_term_with(&self.username, realm, &self.password, algorithm)
            .map_err(|_| TurnError::Credentials)?;
        if userhash {
            rtcweb_stun::userhash(&self.username, realm).map_err(|_| TurnError::Credentials)?;
        }
        Ok(Session {
            realm: realm.to_owned(),
            nonce: nonce.to_owned(),
            key,
            offer,
            userhash,
        })
    }

    /// Whether a 401 or 438 after the first challenge bids the security down (RFC 8489
    /// §9.2.5): the nonce cookie lost a feature the session uses, or PASSWORD-ALGORITHMS is
    /// not the list the first challenge gave.
    pub(super) fn bids_down(&self, msg: &Message) -> bool {
        let Some(session) = &self.session else {
            return false;
        };
        let features = msg.security_features().unwrap_or_default();
        let algorithms_changed = session.offer.as_ref().is_some_and(|offer| {
            !features.password_algorithms() || msg.password_algorithms() != Some(&offer.algorithms)
        });
        algorithms_changed || (session.userhash && !features.username_anonymity())
    }

    /// A 438 Stale Nonce (RFC 8489 §9.2.5): take the new NONCE (and REALM, if it changed),
    /// keeping the password algorithm and username form. `Ok` means: resend the request;
    /// after [`MAX_STALE_NONCE_RETRIES`] in a row it is an error, and a 438 that bids the
    /// security down ([`Auth::bids_down`]) is [`TurnError::BidDown`].
    pub(super) fn stale_nonce(&mut self, msg: &Message) -> Result<(), TurnError> {
        self.stale_nonces += 1;
        if self.bids_down(msg) {
            return Err(TurnError::BidDown);
        }
        let (Some(nonce), Some(session)) = (msg.nonce(), self.session.as_mut()) else {
            return Err(TurnError::MalformedResponse);
        };
        if self.stale_nonces > MAX_STALE_NONCE_RETRIES {
            return Err(TurnError::StaleNonceLoop);
        }
        session.nonce = nonce.to_owned();
        if let Some(realm) = msg.realm().filter(|r| *r != session.realm) {
            let key = IntegrityKey::long_term_with(
                &self.username,
                realm,
                &self.password,
                session.algorithm(),
            )
            .map_err(|_| TurnError::Credentials)?;
            if session.userhash {
                rtcweb_stun::userhash(&self.username, realm).map_err(|_| TurnError::Credentials)?;
            }
            session.realm = realm.to_owned();
            session.key = key;
        }
        Ok(())
    }

    /// Forgets the server's realm and nonce (after a redirect: the new server challenges
    /// afresh).
    pub(super) fn forget(&mut self) {
        self.session = None;
    }
}

/// The algorithm taken from a server's list: the first one we support (RFC 8489 §9.2.5:
/// the list is in the server's order of preference), SHA-256 or MD5; `None` when the list
/// has neither (unknown algorithms are skipped, and echoed all the same). MD5 and SHA-256
/// take no parameters (§18.5.1); an entry with parameters is not one we can compute.
fn choose(algorithms: &PasswordAlgorithms) -> Option<PasswordAlgorithm> {
    algorithms.iter().find_map(|a| {
        if a.parameters().is_some() {
            None
        } else if a.algorithm() == AlgorithmId::SHA256 {
            Some(PasswordAlgorithm::Sha256)
        } else if a.algorithm() == AlgorithmId::MD5 {
            Some(PasswordAlgorithm::Md5)
        } else {
            None
        }
    })
}

/// Whether a PASSWORD-ALGORITHMS list is short enough to take and echo.
fn within_limits(algorithms: &PasswordAlgorithms) -> bool {
    let entries = algorithms.password_algorithms();
    let bytes: usize = entries
        .iter()
        .map(|a| 4 + a.parameters().map_or(0, |p| (p.len() + 3) & !3))
        .sum();
    entries.len() <= MAX_PASSWORD_ALGORITHMS && bytes <= MAX_PASSWORD_ALGORITHMS_LEN
}
