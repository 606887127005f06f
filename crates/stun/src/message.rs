//! A decoded STUN message with typed accessors for what ICE and TURN read.

use std::net::SocketAddr;

use stun_rs::attributes::StunAttribute;
use stun_rs::attributes::stun::PasswordAlgorithms;
use stun_rs::error::{StunErrorLevel, StunErrorType};
use stun_rs::{DecoderContextBuilder, MessageDecoderBuilder, StunMessage};

use crate::classify::{self, Class, Header};
use crate::{DecodeError, IntegrityAlgorithm, IntegrityKey, Method, SecurityFeatures};

/// An ERROR-CODE value: code (300..=699) and reason phrase (RFC 8489 §14.8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorCode {
    /// The numeric code, e.g. 401.
    pub code: u16,
    /// The reason phrase.
    pub reason: String,
}

/// Well-known error codes (RFC 8489 §14.8, RFC 8445 §7.3.1.1, RFC 8656 §18).
pub mod codes {
    /// 300 Try Alternate.
    pub const TRY_ALTERNATE: u16 = 300;
    /// 400 Bad Request.
    pub const BAD_REQUEST: u16 = 400;
    /// 401 Unauthenticated.
    pub const UNAUTHENTICATED: u16 = 401;
    /// 403 Forbidden.
    pub const FORBIDDEN: u16 = 403;
    /// 420 Unknown Attribute.
    pub const UNKNOWN_ATTRIBUTE: u16 = 420;
    /// 437 Allocation Mismatch.
    pub const ALLOCATION_MISMATCH: u16 = 437;
    /// 438 Stale Nonce.
    pub const STALE_NONCE: u16 = 438;
    /// 440 Address Family not Supported.
    pub const ADDRESS_FAMILY_NOT_SUPPORTED: u16 = 440;
    /// 441 Wrong Credentials.
    pub const WRONG_CREDENTIALS: u16 = 441;
    /// 442 Unsupported Transport Protocol.
    pub const UNSUPPORTED_TRANSPORT: u16 = 442;
    /// 443 Peer Address Family Mismatch.
    pub const PEER_ADDRESS_FAMILY_MISMATCH: u16 = 443;
    /// 486 Allocation Quota Reached.
    pub const ALLOCATION_QUOTA_REACHED: u16 = 486;
    /// 487 Role Conflict (ICE).
    pub const ROLE_CONFLICT: u16 = 487;
    /// 500 Server Error.
    pub const SERVER_ERROR: u16 = 500;
    /// 508 Insufficient Capacity.
    pub const INSUFFICIENT_CAPACITY: u16 = 508;
}

/// A decoded STUN message.
///
/// Decoding checks framing and FINGERPRINT first with the cheap classifier, then decodes the
/// attributes with stun-rs. Unknown comprehension-optional attributes (Chromium's
/// GOOG-NETWORK-INFO 0xC057) are kept as unknown; unknown comprehension-required ones are
/// listed by [`Message::unknown_comprehension_required`] so a server can answer 420.
#[derive(Debug)]
pub struct Message {
    header: Header,
    inner: StunMessage,
    integrity: bool,
}

impl Message {
    /// Decodes one datagram without checking MESSAGE-INTEGRITY (for messages that are not
    /// authenticated, such as a 401 challenge). FINGERPRINT, if present, must match.
    pub fn decode(datagram: &[u8]) -> Result<Self, DecodeError> {
        Self::decode_with(datagram, None)
    }

    /// Decodes one datagram and requires a MESSAGE-INTEGRITY or MESSAGE-INTEGRITY-SHA256 that
    /// validates with `key` (RFC 8489 §9.1.3 for short-term, §9.2.4 for long-term credentials).
    pub fn decode_authenticated(datagram: &[u8], key: &IntegrityKey) -> Result<Self, DecodeError> {
        let msg = Self::decode_with(datagram, Some(key))?;
        if !msg.integrity {
            return Err(DecodeError::MissingIntegrity);
        }
        Ok(msg)
    }

    fn decode_with(datagram: &[u8], key: Option<&IntegrityKey>) -> Result<Self, DecodeError> {
        let (header, _) = classify::classify_checked(datagram)?;
        let decoder = match key {
            Some(key) => MessageDecoderBuilder::default()
                .with_context(
                    DecoderContextBuilder::default()
                        .with_key(key.hmac_key().clone())
                        .with_validation()
                        .build(),
                )
                .build(),
            None => MessageDecoderBuilder::default().build(),
        };
        let (inner, _) = decoder.decode(datagram).map_err(|e| match e.0 {
            StunErrorLevel::Attribute(a) => {
                let attr_type = a.attr_type.map(|t| t.as_u16()).unwrap_or(0);
                if a.error.error_type == StunErrorType::ValidationFailed && is_integrity(attr_type)
                {
                    DecodeError::BadIntegrity
                } else {
                    DecodeError::MalformedAttribute { attr_type }
                }
            }
            StunErrorLevel::Message(_) => DecodeError::Malformed,
        })?;
        let integrity = inner.attributes().iter().any(|a| {
            matches!(
                a,
                StunAttribute::MessageIntegrity(_) | StunAttribute::MessageIntegritySha256(_)
            )
        });
        Ok(Self {
            header,
            inner,
            integrity,
        })
    }

    /// The header fields.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Message class.
    pub fn class(&self) -> Class {
        self.header.class
    }

    /// Method.
    pub fn method(&self) -> Method {
        Method(self.header.method)
    }

    /// Transaction ID.
    pub fn transaction_id(&self) -> [u8; 12] {
        self.header.transaction_id
    }

    /// Whether MESSAGE-INTEGRITY or MESSAGE-INTEGRITY-SHA256 is present (validated only by
    /// [`Message::decode_authenticated`]).
    pub fn has_integrity(&self) -> bool {
        self.integrity
    }

    /// The stun-rs message, for attributes without a typed accessor here.
    pub fn inner(&self) -> &StunMessage {
        &self.inner
    }

    fn find<'s, T>(&'s self, f: impl Fn(&'s StunAttribute) -> Option<T>) -> Option<T> {
        self.inner.attributes().iter().find_map(f)
    }

    /// USERNAME (RFC 8489 §14.3).
    pub fn username(&self) -> Option<&str> {
        self.find(|a| match a {
            StunAttribute::UserName(u) => Some(u.as_str()),
            _ => None,
        })
    }

    /// SOFTWARE (RFC 8489 §14.14).
    pub fn software(&self) -> Option<&str> {
        self.find(|a| match a {
            StunAttribute::Software(s) => Some(s.as_str()),
            _ => None,
        })
    }

    /// REALM (RFC 8489 §14.9).
    pub fn realm(&self) -> Option<&str> {
        self.find(|a| match a {
            StunAttribute::Realm(r) => Some(r.as_str()),
            _ => None,
        })
    }

    /// NONCE (RFC 8489 §14.10).
    pub fn nonce(&self) -> Option<&str> {
        self.find(|a| match a {
            StunAttribute::Nonce(n) => Some(n.as_str()),
            _ => None,
        })
    }

    /// The STUN Security Features of NONCE's nonce cookie (RFC 8489 §9.2), `None` without a
    /// NONCE or a cookie.
    pub fn security_features(&self) -> Option<SecurityFeatures> {
        self.nonce().and_then(SecurityFeatures::from_nonce)
    }

    /// USERHASH (RFC 8489 §14.4): the 32-byte hash sent instead of USERNAME.
    pub fn userhash(&self) -> Option<&[u8]> {
        self.find(|a| match a {
            StunAttribute::UserHash(h) => Some(h.hash()),
            _ => None,
        })
    }

    /// PASSWORD-ALGORITHMS (RFC 8489 §14.11): the algorithms a server accepts, in its order,
    /// unknown ones included (a client echoes the list as it came, §9.2.5).
    pub fn password_algorithms(&self) -> Option<&PasswordAlgorithms> {
        self.find(|a| match a {
            StunAttribute::PasswordAlgorithms(p) => Some(p),
            _ => None,
        })
    }

    /// PASSWORD-ALGORITHM (RFC 8489 §14.12): the algorithm number the client chose, with its
    /// parameters (none for MD5 and SHA-256).
    pub fn password_algorithm(&self) -> Option<(u16, Option<&[u8]>)> {
        self.find(|a| match a {
            StunAttribute::PasswordAlgorithm(p) => Some((u16::from(p.algorithm()), p.parameters())),
            _ => None,
        })
    }

    /// Whether the message carries the integrity attribute of `algorithm`: MESSAGE-INTEGRITY
    /// for [`IntegrityAlgorithm::Sha1`], MESSAGE-INTEGRITY-SHA256 for
    /// [`IntegrityAlgorithm::Sha256`] (validated only by [`Message::decode_authenticated`]).
    pub fn has_integrity_of(&self, algorithm: IntegrityAlgorithm) -> bool {
        self.inner.attributes().iter().any(|a| match algorithm {
            IntegrityAlgorithm::Sha1 => matches!(a, StunAttribute::MessageIntegrity(_)),
            IntegrityAlgorithm::Sha256 => matches!(a, StunAttribute::MessageIntegritySha256(_)),
        })
    }

    /// PRIORITY (RFC 8445 §16.1).
    pub fn priority(&self) -> Option<u32> {
        self.find(|a| match a {
            StunAttribute::Priority(p) => Some(p.as_u32()),
            _ => None,
        })
    }

    /// ICE-CONTROLLING tie-breaker (RFC 8445 §16.1).
    pub fn ice_controlling(&self) -> Option<u64> {
        self.find(|a| match a {
            StunAttribute::IceControlling(p) => Some(p.as_u64()),
            _ => None,
        })
    }

    /// ICE-CONTROLLED tie-breaker (RFC 8445 §16.1).
    pub fn ice_controlled(&self) -> Option<u64> {
        self.find(|a| match a {
            StunAttribute::IceControlled(p) => Some(p.as_u64()),
            _ => None,
        })
    }

    /// Whether USE-CANDIDATE is present (RFC 8445 §16.1).
    pub fn use_candidate(&self) -> bool {
        self.find(|a| matches!(a, StunAttribute::UseCandidate(_)).then_some(()))
            .is_some()
    }

    /// XOR-MAPPED-ADDRESS (RFC 8489 §14.2).
    pub fn xor_mapped_address(&self) -> Option<SocketAddr> {
        self.find(|a| match a {
            StunAttribute::XorMappedAddress(x) => Some(*x.socket_address()),
            _ => None,
        })
    }

    /// MAPPED-ADDRESS (RFC 8489 §14.1), sent by old servers instead of XOR-MAPPED-ADDRESS.
    pub fn mapped_address(&self) -> Option<SocketAddr> {
        self.find(|a| match a {
            StunAttribute::MappedAddress(x) => Some(*x.socket_address()),
            _ => None,
        })
    }

    /// XOR-RELAYED-ADDRESS (RFC 8656 §18.5).
    pub fn xor_relayed_address(&self) -> Option<SocketAddr> {
        self.find(|a| match a {
            StunAttribute::XorRelayedAddress(x) => Some(*x.socket_address()),
            _ => None,
        })
    }

    /// XOR-PEER-ADDRESS (RFC 8656 §18.3); the first one when several are present.
    pub fn xor_peer_address(&self) -> Option<SocketAddr> {
        self.find(|a| match a {
            StunAttribute::XorPeerAddress(x) => Some(*x.socket_address()),
            _ => None,
        })
    }

    /// ALTERNATE-SERVER (RFC 8489 §14.15).
    pub fn alternate_server(&self) -> Option<SocketAddr> {
        self.find(|a| match a {
            StunAttribute::AlternateServer(x) => Some(*x.socket_address()),
            _ => None,
        })
    }

    /// LIFETIME in seconds (RFC 8656 §18.2).
    pub fn lifetime(&self) -> Option<u32> {
        self.find(|a| match a {
            StunAttribute::LifeTime(l) => Some(l.as_u32()),
            _ => None,
        })
    }

    /// CHANNEL-NUMBER (RFC 8656 §18.1).
    pub fn channel_number(&self) -> Option<u16> {
        self.find(|a| match a {
            StunAttribute::ChannelNumber(c) => Some(c.number()),
            _ => None,
        })
    }

    /// DATA (RFC 8656 §18.4).
    pub fn data(&self) -> Option<&[u8]> {
        self.find(|a| match a {
            StunAttribute::Data(d) => Some(d.as_bytes()),
            _ => None,
        })
    }

    /// ERROR-CODE (RFC 8489 §14.8).
    pub fn error_code(&self) -> Option<ErrorCode> {
        self.find(|a| match a {
            StunAttribute::ErrorCode(e) => Some(ErrorCode {
                code: e.error_code().error_code(),
                reason: e.error_code().reason().to_owned(),
            }),
            _ => None,
        })
    }

    /// UNKNOWN-ATTRIBUTES (RFC 8489 §14.13), in a 420 response.
    pub fn unknown_attributes(&self) -> Vec<u16> {
        self.find(|a| match a {
            StunAttribute::UnknownAttributes(u) => Some(u.attributes().to_vec()),
            _ => None,
        })
        .unwrap_or_default()
    }

    /// The types of attributes this decoder does not know and whose type is
    /// comprehension-required (0x0000..=0x7FFF). A server answers a request that has any with
    /// 420 and UNKNOWN-ATTRIBUTES (RFC 8489 §6.3.1.1); a client drops such a response
    /// (RFC 8489 §6.3.3.1 treats it as a failed transaction). Unknown comprehension-optional
    /// attributes are ignored (RFC 8489 §14).
    pub fn unknown_comprehension_required(&self) -> Vec<u16> {
        self.inner
            .attributes()
            .iter()
            .filter_map(|a| match a {
                StunAttribute::Unknown(u) if u.attribute_type().is_comprehension_required() => {
                    Some(u.attribute_type().as_u16())
                }
                _ => None,
            })
            .collect()
    }

    /// The types of all attributes, in order (known and unknown).
    pub fn attribute_types(&self) -> impl Iterator<Item = u16> + '_ {
        self.inner
            .attributes()
            .iter()
            .map(|a| a.attribute_type().as_u16())
    }
}

fn is_integrity(attr_type: u16) -> bool {
    // MESSAGE-INTEGRITY (0x0008) and MESSAGE-INTEGRITY-SHA256 (0x001C); FINGERPRINT failures
    // are caught by the classifier before stun-rs sees the message.
    matches!(attr_type, 0x0008 | 0x001C)
}
