//! Binding requests, responses and indications as ICE and STUN servers write them.

use std::net::SocketAddr;

use crate::classify::Class;
use crate::codes;
use crate::{EncodeError, IntegrityAlgorithm, IntegrityKey, Message, MessageWriter, Method};

/// The ICE role attribute of a connectivity check (RFC 8445 §7.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IceRole {
    /// ICE-CONTROLLING with this tie-breaker.
    Controlling(u64),
    /// ICE-CONTROLLED with this tie-breaker.
    Controlled(u64),
}

/// What goes into an ICE connectivity check (RFC 8445 §7.1).
#[derive(Debug, Clone, Copy)]
pub struct BindingRequest<'a> {
    /// Transaction ID.
    pub transaction_id: [u8; 12],
    /// USERNAME: `remote-ufrag:local-ufrag` (RFC 8445 §7.2.2).
    pub username: Option<&'a str>,
    /// PRIORITY of the peer-reflexive candidate this check would create (RFC 8445 §7.1.1).
    pub priority: Option<u32>,
    /// ICE-CONTROLLING or ICE-CONTROLLED.
    pub role: Option<IceRole>,
    /// USE-CANDIDATE (RFC 8445 §7.1.2).
    pub use_candidate: bool,
    /// MESSAGE-INTEGRITY key: the remote `ice-pwd` (RFC 8445 §7.2.2).
    pub key: Option<&'a IntegrityKey>,
    /// SOFTWARE.
    pub software: Option<&'a str>,
}

impl BindingRequest<'_> {
    /// A plain Binding request, as sent to a STUN server (RFC 8489 §6.1).
    pub fn plain(transaction_id: [u8; 12]) -> Self {
        Self {
            transaction_id,
            username: None,
            priority: None,
            role: None,
            use_candidate: false,
            key: None,
            software: None,
        }
    }

    /// Encodes the request with FINGERPRINT into `buf`; returns its length.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        self.encode_with(&[], buf)
    }

    /// [`BindingRequest::encode`] with attributes stun-rs has no type for, as
    /// `(type, value)` (see [`MessageWriter::raw_attribute`]): the SPED attributes.
    pub fn encode_with(&self, raw: &[(u16, &[u8])], buf: &mut [u8]) -> Result<usize, EncodeError> {
        let mut w = MessageWriter::request(Method::BINDING, self.transaction_id);
        if let Some(s) = self.software {
            w = w.software(s)?;
        }
        if let Some(u) = self.username {
            w = w.username(u)?;
        }
        match self.role {
            Some(IceRole::Controlling(t)) => w = w.ice_controlling(t),
            Some(IceRole::Controlled(t)) => w = w.ice_controlled(t),
            None => {}
        }
        if self.use_candidate {
            w = w.use_candidate();
        }
        if let Some(p) = self.priority {
            w = w.priority(p);
        }
        for (attr_type, value) in raw {
            w = w.raw_attribute(*attr_type, value)?;
        }
        w.encode(self.key.map(|k| (k, IntegrityAlgorithm::Sha1)), true, buf)
    }
}

/// Encodes a Binding success response with XOR-MAPPED-ADDRESS (RFC 8489 §7.3.1, RFC 8445
/// §7.3.1.4), MESSAGE-INTEGRITY with `key` if given, and FINGERPRINT.
pub fn encode_binding_success(
    transaction_id: [u8; 12],
    mapped: SocketAddr,
    key: Option<&IntegrityKey>,
    buf: &mut [u8],
) -> Result<usize, EncodeError> {
    MessageWriter::success(Method::BINDING, transaction_id)
        .xor_mapped_address(mapped)
        .encode(key.map(|k| (k, IntegrityAlgorithm::Sha1)), true, buf)
}

/// [`encode_binding_success`] with attributes stun-rs has no type for, as `(type, value)`
/// (see [`MessageWriter::raw_attribute`]): the SPED attributes.
pub fn encode_binding_success_with(
    transaction_id: [u8; 12],
    mapped: SocketAddr,
    key: Option<&IntegrityKey>,
    raw: &[(u16, &[u8])],
    buf: &mut [u8],
) -> Result<usize, EncodeError> {
    let mut w = MessageWriter::success(Method::BINDING, transaction_id).xor_mapped_address(mapped);
    for (attr_type, value) in raw {
        w = w.raw_attribute(*attr_type, value)?;
    }
    w.encode(key.map(|k| (k, IntegrityAlgorithm::Sha1)), true, buf)
}

/// Encodes a Binding error response with ERROR-CODE, MESSAGE-INTEGRITY with `key` if given,
/// and FINGERPRINT (e.g. 487 Role Conflict, RFC 8445 §7.3.1.1; 400; 401).
pub fn encode_binding_error(
    transaction_id: [u8; 12],
    code: u16,
    reason: &str,
    key: Option<&IntegrityKey>,
    buf: &mut [u8],
) -> Result<usize, EncodeError> {
    MessageWriter::error(Method::BINDING, transaction_id, code, reason)?.encode(
        key.map(|k| (k, IntegrityAlgorithm::Sha1)),
        true,
        buf,
    )
}

/// Encodes a Binding indication (RFC 8489 §6.1; ICE keepalives, RFC 8445 §11) with
/// FINGERPRINT.
pub fn encode_binding_indication(
    transaction_id: [u8; 12],
    buf: &mut [u8],
) -> Result<usize, EncodeError> {
    MessageWriter::indication(Method::BINDING, transaction_id).encode(None, true, buf)
}

/// If `request` carries unknown comprehension-required attributes, encodes the 420 Unknown
/// Attribute error response that lists them (RFC 8489 §6.3.1.1) and returns its length.
/// `None` when there is nothing to refuse, or when the message is not a request (an
/// indication with such attributes is dropped silently).
pub fn encode_unknown_attributes_response(
    request: &Message,
    key: Option<&IntegrityKey>,
    buf: &mut [u8],
) -> Option<Result<usize, EncodeError>> {
    if request.class() != Class::Request {
        return None;
    }
    let unknown = request.unknown_comprehension_required();
    if unknown.is_empty() {
        return None;
    }
    let w = match MessageWriter::error(
        request.method(),
        request.transaction_id(),
        codes::UNKNOWN_ATTRIBUTE,
        "Unknown Attribute",
    ) {
        Ok(w) => w,
        Err(e) => return Some(Err(e)),
    };
    Some(w.unknown_attributes(&unknown).encode(
        key.map(|k| (k, IntegrityAlgorithm::Sha1)),
        true,
        buf,
    ))
}
