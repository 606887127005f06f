//! Building and encoding STUN messages into the caller's buffer.

use std::net::SocketAddr;

use stun_rs::attributes::ice::{IceControlled, IceControlling, Priority, UseCandidate};
use stun_rs::attributes::stun::{
    AlternateServer, ErrorCode as ErrorCodeAttr, Fingerprint, MessageIntegrity,
    MessageIntegritySha256, Nonce, Realm, Software, UnknownAttributes, UserName, XorMappedAddress,
};
use stun_rs::attributes::turn::{
    ChannelNumber, Data, LifeTime, RequestedTrasport, XorPeerAddress, XorRelayedAddress,
};
use stun_rs::error::StunErrorLevel;
use stun_rs::{
    MessageClass, MessageEncoderBuilder, StunAttribute, StunMessageBuilder, TransactionId,
};

use crate::classify::Class;
use crate::{EncodeError, IntegrityAlgorithm, IntegrityKey, Method};

/// Largest STUN message this crate writes: fits any path MTU a WebRTC stack uses.
pub const MAX_MESSAGE_LEN: usize = 1500;

/// Builds a STUN message attribute by attribute, then encodes it into a caller buffer with
/// MESSAGE-INTEGRITY (or -SHA256) and FINGERPRINT appended last, in that order
/// (RFC 8489 §14.5 - §14.7).
#[derive(Debug)]
pub struct MessageWriter {
    builder: StunMessageBuilder,
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
        let mut builder = self.builder;
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
