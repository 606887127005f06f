//! Long-term credentials (RFC 8489 §9.2): the realm and nonce the server names, the key made
//! from them, the answers to 401 and 438, and the MESSAGE-INTEGRITY check of responses.

use rtcweb_stun::{Class, IntegrityAlgorithm, IntegrityKey, Message, MessageWriter, codes};

use crate::TurnError;

/// How many 438 Stale Nonce answers in a row are followed before giving up.
pub(super) const MAX_STALE_NONCE_RETRIES: u32 = 3;

/// What the server's challenge told: the realm, its current nonce and the key for the realm.
#[derive(Debug)]
struct Session {
    realm: String,
    nonce: String,
    key: IntegrityKey,
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

    /// Encodes a request: USERNAME, REALM, NONCE and MESSAGE-INTEGRITY once authenticated
    /// (RFC 8489 §9.2.4), FINGERPRINT always.
    pub(super) fn encode(&self, w: MessageWriter) -> Result<Vec<u8>, TurnError> {
        Ok(match &self.session {
            Some(s) => w
                .username(&self.username)?
                .realm(&s.realm)?
                .nonce(&s.nonce)?
                .to_vec(Some((&s.key, IntegrityAlgorithm::Sha1)), true)?,
            None => w.to_vec(None, true)?,
        })
    }

    /// Whether a response may be processed. RFC 8489 §9.2.5: once authenticated, a response
    /// other than 400, 401 or 438 must carry a valid MESSAGE-INTEGRITY, or it is discarded as
    /// if never received.
    pub(super) fn accepts(&self, msg: &Message, bytes: &[u8]) -> bool {
        let Some(session) = &self.session else {
            return true;
        };
        let exempt = matches!(
            msg.error_code().map(|e| e.code),
            Some(codes::BAD_REQUEST | codes::UNAUTHENTICATED | codes::STALE_NONCE)
        );
        exempt
            || (msg.class() != Class::SuccessResponse && !msg.has_integrity())
            || Message::decode_authenticated(bytes, &session.key).is_ok()
    }

    /// A success response arrived: the stale-nonce count starts again.
    pub(super) fn succeeded(&mut self) {
        self.stale_nonces = 0;
    }

    /// A 401 challenge before authentication (RFC 8489 §9.2.4): it carries REALM and NONCE.
    /// `Ok` means: resend the request, now authenticated.
    pub(super) fn challenged(&mut self, msg: &Message) -> Result<(), TurnError> {
        let (Some(realm), Some(nonce)) = (msg.realm(), msg.nonce()) else {
            return Err(TurnError::MalformedResponse);
        };
        let key = IntegrityKey::long_term(&self.username, realm, &self.password)
            .map_err(|_| TurnError::Credentials)?;
        self.session = Some(Session {
            realm: realm.to_owned(),
            nonce: nonce.to_owned(),
            key,
        });
        Ok(())
    }

    /// A 438 Stale Nonce (RFC 8489 §9.2.5): take the new NONCE (and REALM, if it changed).
    /// `Ok` means: resend the request; after [`MAX_STALE_NONCE_RETRIES`] in a row it is an
    /// error.
    pub(super) fn stale_nonce(&mut self, msg: &Message) -> Result<(), TurnError> {
        self.stale_nonces += 1;
        let (Some(nonce), Some(session)) = (msg.nonce(), self.session.as_mut()) else {
            return Err(TurnError::MalformedResponse);
        };
        if self.stale_nonces > MAX_STALE_NONCE_RETRIES {
            return Err(TurnError::StaleNonceLoop);
        }
        session.nonce = nonce.to_owned();
        if let Some(realm) = msg.realm().filter(|r| *r != session.realm) {
            let key = IntegrityKey::long_term(&self.username, realm, &self.password)
                .map_err(|_| TurnError::Credentials)?;
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
