//! Connectivity checks in (RFC 8445 §7.3) and the answers to ours (§7.2.5): authentication,
//! the role-conflict rule and what an answer says. The agent demultiplexes datagrams and
//! acts on what these functions make of them.

use std::net::SocketAddr;

use rtcweb_stun::{
    Class, DecodeError, EncodeError, IntegrityKey, Message, classify, codes, encode_binding_error,
    encode_unknown_attributes_response,
};

use crate::Stats;
use crate::credentials::Session;

/// Room for any response the agent writes.
pub(crate) const RESPONSE_BUF: usize = 512;

/// What an incoming Binding request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Request {
    /// An authenticated connectivity check for us.
    Check {
        transaction: [u8; 12],
        priority: u32,
        use_candidate: bool,
        /// The tie-breaker of ICE-CONTROLLING, if present.
        controlling: Option<u64>,
        /// The tie-breaker of ICE-CONTROLLED, if present.
        controlled: Option<u64>,
    },
    /// Refused: the error response is the first `n` bytes of the buffer.
    Refused(usize),
    /// Dropped without an answer (counted).
    Dropped,
}

/// Authenticates a Binding request with our key and USERNAME (RFC 8445 §7.3), writing the
/// error response of a refused one into `buf` and counting what it drops or refuses.
pub(crate) fn read_request(
    bytes: &[u8],
    session: &Session,
    stats: &mut Stats,
    buf: &mut [u8],
) -> Request {
    let refused = |encoded: Result<usize, EncodeError>| match encoded {
        Ok(n) => Request::Refused(n),
        Err(_) => Request::Dropped,
    };
    let msg = match Message::decode_authenticated(bytes, session.local_key()) {
        Ok(m) => m,
        Err(DecodeError::MissingIntegrity) => {
            // RFC 8489 §9.1.3: no MESSAGE-INTEGRITY → 400, without state.
            stats.requests_malformed += 1;
            return match classify(bytes) {
                Ok(h) => refused(encode_binding_error(
                    h.transaction_id,
                    codes::BAD_REQUEST,
                    "Bad Request",
                    None,
                    buf,
                )),
                Err(_) => Request::Dropped,
            };
        }
        Err(DecodeError::BadIntegrity) => {
            // A wrong key gets no response at all (no oracle for guessing passwords).
            stats.requests_unauthenticated += 1;
            return Request::Dropped;
        }
        Err(_) => {
            stats.requests_malformed += 1;
            return Request::Dropped;
        }
    };
    let transaction = msg.transaction_id();
    // RFC 8445 §7.3.1.1 via §7.2.2: USERNAME is `<our ufrag>:<their ufrag>`.
    let ours = msg
        .username()
        .and_then(|u| u.split_once(':'))
        .map(|(ours, _)| ours);
    if ours != Some(session.local().ufrag.as_str()) {
        stats.requests_unauthenticated += 1;
        return Request::Dropped;
    }
    if let Some(r) = encode_unknown_attributes_response(&msg, Some(session.local_key()), buf) {
        return refused(r);
    }
    let Some(priority) = msg.priority() else {
        stats.requests_malformed += 1;
        return refused(encode_binding_error(
            transaction,
            codes::BAD_REQUEST,
            "Bad Request",
            Some(session.local_key()),
            buf,
        ));
    };
    Request::Check {
        transaction,
        priority,
        use_candidate: msg.use_candidate(),
        controlling: msg.ice_controlling(),
        controlled: msg.ice_controlled(),
    }
}

/// What the role-conflict rule says about a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// No conflict.
    Keep,
    /// We take this role (controlling when true) and answer.
    Switch(bool),
    /// We keep ours and answer 487 Role Conflict.
    Conflict,
}

/// RFC 8445 §7.3.1.1: role conflicts, decided by the tie-breaker (a lite agent always stays
/// controlled, §6.1.1). Counts the conflicts.
pub(crate) fn role_rule(
    session: &Session,
    lite: bool,
    controlling: Option<u64>,
    controlled: Option<u64>,
    stats: &mut Stats,
) -> Role {
    if session.is_controlling()
        && let Some(theirs) = controlling
    {
        stats.role_conflicts += 1;
        if session.tie_breaker() >= theirs {
            Role::Conflict
        } else {
            Role::Switch(false)
        }
    } else if !session.is_controlling()
        && let Some(theirs) = controlled
    {
        stats.role_conflicts += 1;
        if session.tie_breaker() >= theirs && !lite {
            Role::Switch(true)
        } else {
            Role::Conflict
        }
    } else {
        Role::Keep
    }
}

/// A 487 Role Conflict answer to `transaction`.
pub(crate) fn role_conflict_response(
    transaction: [u8; 12],
    session: &Session,
    buf: &mut [u8],
) -> Result<usize, EncodeError> {
    encode_binding_error(
        transaction,
        codes::ROLE_CONFLICT,
        "Role Conflict",
        Some(session.local_key()),
        buf,
    )
}

/// What an answer to one of our checks says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// Success, with the XOR-MAPPED-ADDRESS the peer saw.
    Success { mapped: Option<SocketAddr> },
    /// 487 Role Conflict.
    RoleConflict,
    /// Another error.
    Failure,
}

/// Reads an answer to one of our checks. RFC 8445 §7.2.5.1 via RFC 8489 §9.1.3: it must
/// authenticate with the remote password (`None` otherwise: dropped, the transaction goes
/// on).
pub(crate) fn read_answer(bytes: &[u8], key: &IntegrityKey) -> Option<Answer> {
    let msg = Message::decode_authenticated(bytes, key).ok()?;
    Some(if msg.class() == Class::ErrorResponse {
        if msg.error_code().map(|e| e.code) == Some(codes::ROLE_CONFLICT) {
            Answer::RoleConflict
        } else {
            Answer::Failure
        }
    } else {
        Answer::Success {
            mapped: msg.xor_mapped_address(),
        }
    })
}
