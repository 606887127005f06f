//! SRTP protection profiles (RFC 5764 §4.1.2, RFC 7714 §14.2) and DTLS-SRTP keying material
//! (RFC 5764 §4.2).

use crate::error::KeyingError;

/// An SRTP protection profile as negotiated by the DTLS `use_srtp` extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Profile {
    /// `SRTP_AES128_CM_HMAC_SHA1_80` (0x0001): AES-128 counter mode, 80-bit HMAC-SHA1 tags.
    Aes128CmHmacSha1_80,
    /// `SRTP_AES128_CM_HMAC_SHA1_32` (0x0002): as above with 32-bit SRTP tags (SRTCP keeps 80).
    Aes128CmHmacSha1_32,
    /// `SRTP_AEAD_AES_128_GCM` (0x0007, RFC 7714): AES-128-GCM, 128-bit tags.
    AeadAes128Gcm,
    /// `SRTP_AEAD_AES_256_GCM` (0x0008, RFC 7714): AES-256-GCM, 128-bit tags.
    AeadAes256Gcm,
}

impl Profile {
    /// The profile's name in the IANA DTLS-SRTP protection profile registry (RFC 5764
    /// §4.1.2, RFC 7714 §14.2), as webrtc-stats `srtpCipher` reports it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Aes128CmHmacSha1_80 => "SRTP_AES128_CM_HMAC_SHA1_80",
            Self::Aes128CmHmacSha1_32 => "SRTP_AES128_CM_HMAC_SHA1_32",
            Self::AeadAes128Gcm => "SRTP_AEAD_AES_128_GCM",
            Self::AeadAes256Gcm => "SRTP_AEAD_AES_256_GCM",
        }
    }

    /// All profiles, in the order of their code points.
    pub const ALL: [Self; 4] = [
        Self::Aes128CmHmacSha1_80,
        Self::Aes128CmHmacSha1_32,
        Self::AeadAes128Gcm,
        Self::AeadAes256Gcm,
    ];

    /// The profile of a DTLS-SRTP code point, `None` for the ones not implemented
    /// (the NULL-cipher profiles and unknown values).
    pub fn from_id(id: u16) -> Option<Self> {
        // RFC 5764 §4.1.2; RFC 7714 §14.2.
        match id {
            0x0001 => Some(Self::Aes128CmHmacSha1_80),
            0x0002 => Some(Self::Aes128CmHmacSha1_32),
            0x0007 => Some(Self::AeadAes128Gcm),
            0x0008 => Some(Self::AeadAes256Gcm),
            _ => None,
        }
    }

    /// The DTLS-SRTP code point.
    pub fn id(self) -> u16 {
        match self {
            Self::Aes128CmHmacSha1_80 => 0x0001,
            Self::Aes128CmHmacSha1_32 => 0x0002,
            Self::AeadAes128Gcm => 0x0007,
            Self::AeadAes256Gcm => 0x0008,
        }
    }

    /// Length of the master key (and of the session encryption key) in bytes.
    pub fn master_key_len(self) -> usize {
        match self {
            Self::AeadAes256Gcm => 32,
            _ => 16,
        }
    }

    /// Length of the master salt (and of the session salt) in bytes: 112 bits for counter
    /// mode (RFC 3711 §8.2), 96 bits for GCM (RFC 7714 §12).
    pub fn master_salt_len(self) -> usize {
        if self.is_aead() { 12 } else { 14 }
    }

    /// Length of the DTLS exporter output this profile needs: two keys and two salts
    /// (RFC 5764 §4.2).
    pub fn keying_material_len(self) -> usize {
        2 * (self.master_key_len() + self.master_salt_len())
    }

    /// Length of the SRTP authentication tag in bytes.
    pub fn rtp_tag_len(self) -> usize {
        match self {
            Self::Aes128CmHmacSha1_80 => 10,
            Self::Aes128CmHmacSha1_32 => 4,
            Self::AeadAes128Gcm | Self::AeadAes256Gcm => 16,
        }
    }

    /// Length of the SRTCP authentication tag in bytes (80 bits for both counter-mode
    /// profiles, RFC 5764 §4.1.2).
    pub fn rtcp_tag_len(self) -> usize {
        if self.is_aead() { 16 } else { 10 }
    }

    /// Bytes [`protect_rtp`](crate::Context::protect_rtp) appends to a packet.
    pub fn rtp_overhead(self) -> usize {
        self.rtp_tag_len()
    }

    /// Bytes [`protect_rtcp`](crate::Context::protect_rtcp) appends to a packet: the tag and
    /// the 4-byte E flag and SRTCP index.
    pub fn rtcp_overhead(self) -> usize {
        self.rtcp_tag_len() + 4
    }

    /// True for the AES-GCM profiles of RFC 7714.
    pub fn is_aead(self) -> bool {
        matches!(self, Self::AeadAes128Gcm | Self::AeadAes256Gcm)
    }
}

/// Our DTLS role, which picks our half of the keying material (RFC 5764 §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// We are the DTLS client: we send with the client write key.
    Client,
    /// We are the DTLS server: we send with the server write key.
    Server,
}

/// One direction's master key and master salt.
#[derive(Clone, PartialEq, Eq)]
pub struct MasterKey<'a> {
    /// The master key.
    pub key: &'a [u8],
    /// The master salt.
    pub salt: &'a [u8],
}

impl std::fmt::Debug for MasterKey<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Key material stays out of logs.
        f.debug_struct("MasterKey").finish_non_exhaustive()
    }
}

/// Splits DTLS-SRTP keying material into (ours, theirs) for `role`.
///
/// RFC 5764 §4.2: the exporter output is client_write_SRTP_master_key,
/// server_write_SRTP_master_key, client_write_SRTP_master_salt, server_write_SRTP_master_salt.
pub fn split_keying_material(
    profile: Profile,
    material: &[u8],
    role: Role,
) -> Result<(MasterKey<'_>, MasterKey<'_>), KeyingError> {
    if material.len() != profile.keying_material_len() {
        return Err(KeyingError::WrongLength {
            expected: profile.keying_material_len(),
            actual: material.len(),
        });
    }
    let (k, s) = (profile.master_key_len(), profile.master_salt_len());
    let (client_key, rest) = material.split_at(k);
    let (server_key, rest) = rest.split_at(k);
    let (client_salt, server_salt) = rest.split_at(s);
    let client = MasterKey {
        key: client_key,
        salt: client_salt,
    };
    let server = MasterKey {
        key: server_key,
        salt: server_salt,
    };
    Ok(match role {
        Role::Client => (client, server),
        Role::Server => (server, client),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_points_round_trip() {
        for p in Profile::ALL {
            assert_eq!(Profile::from_id(p.id()), Some(p));
        }
        assert_eq!(Profile::from_id(0x0005), None);
    }

    #[test]
    fn keying_material_is_split_by_role() {
        let p = Profile::AeadAes128Gcm;
        let material: Vec<u8> = (0..56).collect();
        let (ours, theirs) = split_keying_material(p, &material, Role::Client).unwrap();
        assert_eq!(ours.key, &material[..16]);
        assert_eq!(theirs.key, &material[16..32]);
        assert_eq!(ours.salt, &material[32..44]);
        assert_eq!(theirs.salt, &material[44..56]);
        let (ours, theirs) = split_keying_material(p, &material, Role::Server).unwrap();
        assert_eq!(ours.key, &material[16..32]);
        assert_eq!(theirs.salt, &material[32..44]);
        assert_eq!(
            split_keying_material(p, &material[1..], Role::Server),
            Err(KeyingError::WrongLength {
                expected: 56,
                actual: 55
            })
        );
    }
}
