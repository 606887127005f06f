//! Building and encoding STUN messages into the caller's buffer.

use std::net::SocketAddr;

use stun_rs::attributes::ice::{IceControlled, IceControlling, Priority, UseCandidate};
use stun_rs::attributes::stun::{
    AlternateServer, ErrorCode as ErrorCodeAttr, Fingerprint, MessageIntegrity,
    MessageIntegritySha256, Nonce, PasswordAlgorithm as PasswordAlgorithmAttr, PasswordAlgorithms,
    Realm, Software, UnknownAttributes, UserHash, UserName, XorMappedAddress,
};
use stun_rs::attributes::turn::{
    ChannelNumber, Data, LifeTime, RequestedTrasport, XorPeerAddress, XorRelayedAddress,
};
use stun_rs::error::StunErrorLevel;
use stun_rs::{
    MessageClass, MessageEncoderBuilder, StunAttribute, StunMessageBuilder, TransactionId,
};

use hmac::{Hmac, Mac};

use crate::classify::Class;
use crate::{EncodeError, IntegrityAlgorithm, IntegrityKey, Method, PasswordAlgorithm};

/// Largest STUN message this crate writes: fits any path MTU a WebRTC stack uses.
pub const MAX_MESSAGE_LEN: usize = 1500;

/// Builds a STUN message attribute by attribute, then encodes it into a caller buffer with
/// MESSAGE-INTEGRITY (or -SHA256) and FINGERPRINT appended last, in that order
/// (RFC 8489 §14.5 - §14.7).
#[derive(Debug)]
pub struct MessageWriter {
    builder: StunMessageBuilder,
    /// Attributes stun-rs has no type for, written after the others and before
    /// MESSAGE-INTEGRITY (see [`MessageWriter::raw_attribute`]).
    raw: Vec<(u16, Vec<u8>)>,
}

fn bad(attr_type: u16) -> impl Fn(stun_rs::StunError) -> EncodeError {
    move |_| EncodeError::InvalidAttribute { attr_type }
}

impl MessageWriter {
    /// A message of this class and method with this transaction ID.
    pub fn new(class: Class, method: Method, transaction_id: [u8; 12]) -> Self {
        let class = match class {
            Class::Request => MessageClass::Request,
            Class::Indication => MessageClass::Indication,
            Class::SuccessResponse => MessageClass::SuccessResponse,
            Class::ErrorResponse => MessageClass::ErrorResponse,
        };
        Self {
            builder: StunMessageBuilder::new(method.to_stun_rs(), class)
                .with_transaction_id(TransactionId::from(transaction_id)),
            raw: Vec::new(),
        }
    }

    /// A request.
    pub fn request(method: Method, transaction_id: [u8; 12]) -> Self {
        Self::new(Class::Request, method, transaction_id)
    }

    /// An indication.
    pub fn indication(method: Method, transaction_id: [u8; 12]) -> Self {
        Self::new(Class::Indication, method, transaction_id)
    }

    /// A success response.
    pub fn success(method: Method, transaction_id: [u8; 12]) -> Self {
        Self::new(Class::SuccessResponse, method, transaction_id)
    }

    /// An error response with ERROR-CODE (RFC 8489 §14.8).
    pub fn error(
        method: Method,
        transaction_id: [u8; 12],
        code: u16,
        reason: &str,
    ) -> Result<Self, EncodeError> {
        let value = stun_rs::ErrorCode::new(code, reason).map_err(bad(0x0009))?;
        Ok(Self::new(Class::ErrorResponse, method, transaction_id)
            .attribute(ErrorCodeAttr::new(value)))
    }

    /// Adds any stun-rs attribute (escape hatch for attributes without a helper here).
    pub fn attribute(mut self, attribute: impl Into<StunAttribute>) -> Self {
        self.builder = self.builder.with_attribute(attribute);
        self
    }

    /// USERNAME (RFC 8489 §14.3): for ICE `remote-ufrag:local-ufrag` (RFC 8445 §7.2.2).
    pub fn username(self, username: &str) -> Result<Self, EncodeError> {
        let attr = UserName::new(username).map_err(bad(0x0006))?;
        Ok(self.attribute(attr))
    }

    /// USERHASH (RFC 8489 §14.4), sent instead of USERNAME when the server asks for username
    /// anonymity: `SHA-256(OpaqueString(username) ":" OpaqueString(realm))`, computed by
    /// stun-rs.
    pub fn userhash(self, username: &str, realm: &str) -> Result<Self, EncodeError> {
        let attr = UserHash::new(username, realm).map_err(bad(0x001E))?;
        Ok(self.attribute(attr))
    }

    /// PASSWORD-ALGORITHMS (RFC 8489 §14.11): a server's list in a 401 or 438, or the
    /// client's echo of that list, unchanged (§9.2.5).
    pub fn password_algorithms(self, algorithms: &PasswordAlgorithms) -> Self {
        self.attribute(algorithms.clone())
    }

    /// PASSWORD-ALGORITHM (RFC 8489 §14.12): the algorithm the client chose from the
    /// server's PASSWORD-ALGORITHMS.
    pub fn password_algorithm(self, algorithm: PasswordAlgorithm) -> Self {
        self.attribute(PasswordAlgorithmAttr::new(algorithm.id().into()))
    }

    /// SOFTWARE (RFC 8489 §14.14).
    pub fn software(self, software: &str) -> Result<Self, EncodeError> {
        let attr = Software::new(software).map_err(bad(0x8022))?;
        Ok(self.attribute(attr))
    }

    /// REALM (RFC 8489 §14.9).
    pub fn realm(self, realm: &str) -> Result<Self, EncodeError> {
        let attr = Realm::new(realm).map_err(bad(0x0014))?;
        Ok(self.attribute(attr))
    }

    /// NONCE (RFC 8489 §14.10).
    pub fn nonce(self, nonce: &str) -> Result<Self, EncodeError> {
        let attr = Nonce::new(nonce).map_err(bad(0x0015))?;
        Ok(self.attribute(attr))
    }

    /// PRIORITY (RFC 8445 §7.1.1).
    pub fn priority(self, priority: u32) -> Self {
        self.attribute(Priority::new(priority))
    }

    /// ICE-CONTROLLING with the agent's tie-breaker (RFC 8445 §7.1.3).
    pub fn ice_controlling(self, tie_breaker: u64) -> Self {
        self.attribute(IceControlling::new(tie_breaker))
    }

    /// ICE-CONTROLLED with the agent's tie-breaker (RFC 8445 §7.1.3).
    pub fn ice_controlled(self, tie_breaker: u64) -> Self {
        self.attribute(IceControlled::new(tie_breaker))
    }

    /// USE-CANDIDATE (RFC 8445 §7.1.2).
    pub fn use_candidate(self) -> Self {
        self.attribute(UseCandidate::default())
    }

    /// XOR-MAPPED-ADDRESS (RFC 8489 §14.2).
    pub fn xor_mapped_address(self, addr: SocketAddr) -> Self {
        self.attribute(XorMappedAddress::from(addr))
    }

    /// XOR-RELAYED-ADDRESS (RFC 8656 §18.5).
    pub fn xor_relayed_address(self, addr: SocketAddr) -> Self {
        self.attribute(XorRelayedAddress::from(addr))
    }

    /// XOR-PEER-ADDRESS (RFC 8656 §18.3).
    pub fn xor_peer_address(self, addr: SocketAddr) -> Self {
        self.attribute(XorPeerAddress::from(addr))
    }

    /// ALTERNATE-SERVER (RFC 8489 §14.15).
    pub fn alternate_server(self, addr: SocketAddr) -> Self {
        self.attribute(AlternateServer::from(addr))
    }

    /// LIFETIME in seconds (RFC 8656 §18.2).
    pub fn lifetime(self, seconds: u32) -> Self {
        self.attribute(LifeTime::new(seconds))
    }

    /// REQUESTED-TRANSPORT UDP (RFC 8656 §18.7): the only relayed transport TURN defines.
    pub fn requested_transport_udp(self) -> Self {
        self.attribute(RequestedTrasport::new(stun_rs::protocols::UDP))
    }

    /// CHANNEL-NUMBER (RFC 8656 §18.1).
    pub fn channel_number(self, number: u16) -> Self {
        self.attribute(ChannelNumber::new(number))
    }

    /// DATA (RFC 8656 §18.4).
    pub fn data(self, data: &[u8]) -> Self {
        self.attribute(Data::from(data))
    }

    /// An attribute stun-rs has no type for, with its value as bytes: the SPED attributes
    /// (draft-hancke-webrtc-sped: a DTLS packet in 0xC070, CRC-32s of the packets received
    /// in 0xC071). It goes after the typed attributes and before MESSAGE-INTEGRITY, which
    /// covers it (RFC 8489 §14.5). Fails when the value does not fit a STUN attribute or
    /// the type is one stun-rs writes itself. A message with raw attributes is keyed with
    /// MESSAGE-INTEGRITY (SHA-1) only, as ICE checks are.
    pub fn raw_attribute(mut self, attr_type: u16, value: &[u8]) -> Result<Self, EncodeError> {
        if value.len() > MAX_MESSAGE_LEN
            || matches!(attr_type, MESSAGE_INTEGRITY | MESSAGE_INTEGRITY_SHA256)
            || attr_type == crate::FINGERPRINT_TYPE
        {
            return Err(EncodeError::InvalidAttribute { attr_type });
        }
        self.raw.push((attr_type, value.to_vec()));
        Ok(self)
    }

    /// UNKNOWN-ATTRIBUTES (RFC 8489 §14.13).
    pub fn unknown_attributes(self, types: &[u16]) -> Self {
        self.attribute(UnknownAttributes::from(types))
    }

    /// Encodes the message into `buf` and returns its length. With `integrity`, appends
    /// MESSAGE-INTEGRITY (or MESSAGE-INTEGRITY-SHA256) computed with that key; with
    /// `fingerprint`, appends FINGERPRINT last.
    pub fn encode(
        self,
        integrity: Option<(&IntegrityKey, IntegrityAlgorithm)>,
        fingerprint: bool,
        buf: &mut [u8],
    ) -> Result<usize, EncodeError> {
        if self.raw.is_empty() {
            return encode_typed(self.builder, integrity, fingerprint, buf);
        }
        // stun-rs cannot write attributes it has no type for: it writes the typed ones,
        // the raw ones follow, then MESSAGE-INTEGRITY and FINGERPRINT are added here over
        // the whole message, each with the length field counting up to and including
        // itself (RFC 8489 §14.5, §14.7).
        let mut n = encode_typed(self.builder, None, false, buf)?;
        for (attr_type, value) in &self.raw {
            let padded = (value.len() + 3) & !3;
            let end = n + 4 + padded;
            let out = buf.get_mut(n..end).ok_or(EncodeError::BufferTooSmall)?;
            out[..2].copy_from_slice(&attr_type.to_be_bytes());
            out[2..4].copy_from_slice(&(value.len() as u16).to_be_bytes());
            out[4..4 + value.len()].copy_from_slice(value);
            out[4 + value.len()..].fill(0);
            n = end;
        }
        if let Some((key, algorithm)) = integrity {
            // ICE checks use MESSAGE-INTEGRITY (HMAC-SHA1, RFC 8445 §7.1.2); nothing
            // writes raw attributes into a message keyed with SHA-256.
            if algorithm != IntegrityAlgorithm::Sha1 {
                return Err(EncodeError::Invalid);
            }
            let end = n + 4 + 20;
            if end > buf.len() {
                return Err(EncodeError::BufferTooSmall);
            }
            set_length(buf, end)?;
            let mut mac = Hmac::<sha1::Sha1>::new_from_slice(key.as_bytes())
                .map_err(|_| EncodeError::Invalid)?;
            mac.update(&buf[..n]);
            buf[n..n + 2].copy_from_slice(&MESSAGE_INTEGRITY.to_be_bytes());
            buf[n + 2..n + 4].copy_from_slice(&20u16.to_be_bytes());
            buf[n + 4..end].copy_from_slice(&mac.finalize().into_bytes());
            n = end;
        }
        if fingerprint {
            let end = n + 8;
            if end > buf.len() {
                return Err(EncodeError::BufferTooSmall);
            }
            set_length(buf, end)?;
            let crc = crc32fast::hash(&buf[..n]) ^ crate::FINGERPRINT_XOR;
            buf[n..n + 2].copy_from_slice(&crate::FINGERPRINT_TYPE.to_be_bytes());
            buf[n + 2..n + 4].copy_from_slice(&4u16.to_be_bytes());
            buf[n + 4..end].copy_from_slice(&crc.to_be_bytes());
            n = end;
        }
        Ok(n)
    }

    /// [`MessageWriter::encode`] into a new vector (for queued control messages).
    pub fn to_vec(
        self,
        integrity: Option<(&IntegrityKey, IntegrityAlgorithm)>,
        fingerprint: bool,
    ) -> Result<Vec<u8>, EncodeError> {
        let mut buf = vec![0u8; MAX_MESSAGE_LEN];
        let n = self.encode(integrity, fingerprint, &mut buf)?;
        buf.truncate(n);
        Ok(buf)
    }
}

/// Type of MESSAGE-INTEGRITY (RFC 8489 §14.5).
const MESSAGE_INTEGRITY: u16 = 0x0008;
/// Type of MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6).
const MESSAGE_INTEGRITY_SHA256: u16 = 0x001C;

/// Sets the header's length field to a message of `total` bytes.
fn set_length(buf: &mut [u8], total: usize) -> Result<(), EncodeError> {
    let len = u16::try_from(total - crate::HEADER_LEN).map_err(|_| EncodeError::Invalid)?;
    buf[2..4].copy_from_slice(&len.to_be_bytes());
    Ok(())
}

/// Encodes the typed attributes with stun-rs, and MESSAGE-INTEGRITY and FINGERPRINT.
fn encode_typed(
    builder: StunMessageBuilder,
    integrity: Option<(&IntegrityKey, IntegrityAlgorithm)>,
    fingerprint: bool,
    buf: &mut [u8],
) -> Result<usize, EncodeError> {
    {
        let mut builder = builder;
        if let Some((key, algorithm)) = integrity {
            builder = match algorithm {
                IntegrityAlgorithm::Sha1 => {
                    builder.with_attribute(MessageIntegrity::new(key.hmac_key().clone()))
                }
                IntegrityAlgorithm::Sha256 => {
                    builder.with_attribute(MessageIntegritySha256::new(key.hmac_key().clone()))
                }
            };
        }
        if fingerprint {
            builder = builder.with_attribute(Fingerprint::default());
        }
        let msg = builder.build();
        MessageEncoderBuilder::default()
            .build()
            .encode(buf, &msg)
            .map_err(|e| match e.0 {
                StunErrorLevel::Attribute(a)
                    if a.error.error_type == stun_rs::error::StunErrorType::SmallBuffer =>
                {
                    EncodeError::BufferTooSmall
                }
                StunErrorLevel::Message(m)
                    if m.0.error_type == stun_rs::error::StunErrorType::SmallBuffer =>
                {
                    EncodeError::BufferTooSmall
                }
                StunErrorLevel::Attribute(a) => EncodeError::InvalidAttribute {
                    attr_type: a.attr_type.map(|t| t.as_u16()).unwrap_or(0),
                },
                StunErrorLevel::Message(_) => EncodeError::Invalid,
            })
    }
}
