//! IANA registries of TLS code points, as open enums: a newtype over the wire value with the
//! known values as constants, so an unknown value read from the wire stays representable.

use std::fmt;

macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident($repr:ty) { $( $(#[$vmeta:meta])* $variant:ident = $value:expr, )* }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub $repr);

        impl $name {
            $( $(#[$vmeta])* pub const $variant: Self = Self($value); )*

            /// The registry name of a known value.
            pub fn name(self) -> Option<&'static str> {
                match self {
                    $( Self::$variant => Some(stringify!($variant)), )*
                    _ => None,
                }
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.name() {
                    Some(n) => f.write_str(n),
                    None => write!(f, "{}(0x{:x})", stringify!($name), self.0),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(self, f)
            }
        }
    };
}

open_enum! {
    /// A TLS cipher suite (IANA "TLS Cipher Suites").
    CipherSuite(u16) {
        /// RFC 5289: the suite WebRTC requires (RFC 8827 §6.5).
        TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 = 0xc02b,
        /// RFC 5289.
        TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 = 0xc02c,
        /// RFC 5289.
        TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 = 0xc02f,
        /// RFC 5289.
        TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 = 0xc030,
        /// RFC 7905.
        TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 = 0xcca8,
        /// RFC 7905.
        TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 = 0xcca9,
        /// RFC 5746 §3.3: signals secure renegotiation support in a ClientHello.
        TLS_EMPTY_RENEGOTIATION_INFO_SCSV = 0x00ff,
        /// RFC 8446 §B.4: TLS 1.3 / DTLS 1.3 only.
        TLS_AES_128_GCM_SHA256 = 0x1301,
        /// RFC 8446 §B.4: TLS 1.3 / DTLS 1.3 only.
        TLS_AES_256_GCM_SHA384 = 0x1302,
        /// RFC 8446 §B.4: TLS 1.3 / DTLS 1.3 only.
        TLS_CHACHA20_POLY1305_SHA256 = 0x1303,
    }
}

/// The bulk cipher of a suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BulkCipher {
    /// AES-128-GCM (RFC 5288).
    Aes128Gcm,
    /// AES-256-GCM (RFC 5288).
    Aes256Gcm,
    /// ChaCha20-Poly1305 (RFC 7905).
    Chacha20Poly1305,
}

/// The hash of a suite's PRF (RFC 5246 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrfHash {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
}

/// The kind of certificate key a suite authenticates the server with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthKind {
    /// ECDSA (and, in TLS 1.2, EdDSA) server certificates.
    Ecdsa,
    /// RSA server certificates.
    Rsa,
}

impl CipherSuite {
    /// Every suite this crate implements, in our order of preference.
    pub const SUPPORTED: [Self; 6] = [
        Self::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        Self::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        Self::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        Self::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        Self::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        Self::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ];

    /// The DTLS 1.3 suites we implement, in our order of preference (RFC 8446 §9.1: AES-128-GCM
    /// is the one every implementation has).
    pub const SUPPORTED_TLS13: [Self; 3] = [
        Self::TLS_AES_128_GCM_SHA256,
        Self::TLS_AES_256_GCM_SHA384,
        Self::TLS_CHACHA20_POLY1305_SHA256,
    ];

    /// Cipher and hash of a DTLS 1.3 suite (RFC 8446 §B.4: the suite no longer names the key
    /// exchange or the authentication); `None` for the others.
    pub fn params13(self) -> Option<(BulkCipher, PrfHash)> {
        Some(match self {
            Self::TLS_AES_128_GCM_SHA256 => (BulkCipher::Aes128Gcm, PrfHash::Sha256),
            Self::TLS_AES_256_GCM_SHA384 => (BulkCipher::Aes256Gcm, PrfHash::Sha384),
            Self::TLS_CHACHA20_POLY1305_SHA256 => (BulkCipher::Chacha20Poly1305, PrfHash::Sha256),
            _ => return None,
        })
    }

    /// Cipher, PRF hash and authentication of a DTLS 1.2 suite we implement; `None` for the others.
    pub fn params(self) -> Option<(BulkCipher, PrfHash, AuthKind)> {
        use AuthKind::*;
        use BulkCipher::*;
        use PrfHash::*;
        Some(match self {
            Self::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 => (Aes128Gcm, Sha256, Ecdsa),
            Self::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 => (Aes256Gcm, Sha384, Ecdsa),
            Self::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 => {
                (Chacha20Poly1305, Sha256, Ecdsa)
            }
            Self::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 => (Aes128Gcm, Sha256, Rsa),
            Self::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 => (Aes256Gcm, Sha384, Rsa),
            Self::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 => (Chacha20Poly1305, Sha256, Rsa),
            _ => return None,
        })
    }
}

open_enum! {
    /// A key exchange group (IANA "TLS Supported Groups", RFC 8422 §5.1.1).
    NamedGroup(u16) {
        /// NIST P-256.
        SECP256R1 = 23,
        /// NIST P-384.
        SECP384R1 = 24,
        /// NIST P-521.
        SECP521R1 = 25,
        /// Curve25519 (RFC 8422).
        X25519 = 29,
        /// Curve448.
        X448 = 30,
        /// The hybrid post-quantum group Chromium lists first: ML-KEM-768 with X25519
        /// (draft-ietf-tls-ecdhe-mlkem; TLS 1.3 only).
        X25519MLKEM768 = 0x11ec,
    }
}

impl NamedGroup {
    /// The groups we implement in DTLS 1.2, in our order of preference.
    pub const SUPPORTED: [Self; 2] = [Self::X25519, Self::SECP256R1];

    /// The groups we implement in DTLS 1.3, in our order of preference: the post-quantum
    /// hybrid first.
    pub const SUPPORTED_TLS13: [Self; 3] = [Self::X25519MLKEM768, Self::X25519, Self::SECP256R1];
}

open_enum! {
    /// A signature scheme (IANA "TLS SignatureScheme"; in TLS 1.2 the
    /// SignatureAndHashAlgorithm pair of RFC 5246 §7.4.1.4.1 read as one `uint16`).
    SignatureScheme(u16) {
        /// PKCS#1 v1.5 with SHA-256.
        RSA_PKCS1_SHA256 = 0x0401,
        /// PKCS#1 v1.5 with SHA-384.
        RSA_PKCS1_SHA384 = 0x0501,
        /// PKCS#1 v1.5 with SHA-512.
        RSA_PKCS1_SHA512 = 0x0601,
        /// ECDSA with SHA-256 (P-256 in TLS 1.3; any curve in TLS 1.2).
        ECDSA_SECP256R1_SHA256 = 0x0403,
        /// ECDSA with SHA-384.
        ECDSA_SECP384R1_SHA384 = 0x0503,
        /// ECDSA with SHA-512.
        ECDSA_SECP521R1_SHA512 = 0x0603,
        /// RSASSA-PSS with SHA-256, rsaEncryption keys.
        RSA_PSS_RSAE_SHA256 = 0x0804,
        /// RSASSA-PSS with SHA-384, rsaEncryption keys.
        RSA_PSS_RSAE_SHA384 = 0x0805,
        /// RSASSA-PSS with SHA-512, rsaEncryption keys.
        RSA_PSS_RSAE_SHA512 = 0x0806,
        /// Ed25519 (RFC 8422).
        ED25519 = 0x0807,
        /// PKCS#1 v1.5 with SHA-1 (legacy; never accepted).
        RSA_PKCS1_SHA1 = 0x0201,
        /// ECDSA with SHA-1 (legacy; never accepted).
        ECDSA_SHA1 = 0x0203,
    }
}

impl SignatureScheme {
    /// The schemes we verify, in our order of preference; the first one is the one we sign
    /// with (our certificate is ECDSA P-256).
    pub const VERIFIED: [Self; 9] = [
        Self::ECDSA_SECP256R1_SHA256,
        Self::ECDSA_SECP384R1_SHA384,
        Self::ED25519,
        Self::RSA_PSS_RSAE_SHA256,
        Self::RSA_PSS_RSAE_SHA384,
        Self::RSA_PSS_RSAE_SHA512,
        Self::RSA_PKCS1_SHA256,
        Self::RSA_PKCS1_SHA384,
        Self::RSA_PKCS1_SHA512,
    ];
}

open_enum! {
    /// A TLS extension type (IANA "TLS ExtensionType Values").
    ExtensionType(u16) {
        /// RFC 6066.
        SERVER_NAME = 0,
        /// RFC 8422 §5.1.1 (formerly elliptic_curves).
        SUPPORTED_GROUPS = 10,
        /// RFC 8422 §5.1.2.
        EC_POINT_FORMATS = 11,
        /// RFC 5246 §7.4.1.4.1.
        SIGNATURE_ALGORITHMS = 13,
        /// RFC 5764 §4.1.1.
        USE_SRTP = 14,
        /// RFC 7301.
        ALPN = 16,
        /// RFC 7627.
        EXTENDED_MASTER_SECRET = 23,
        /// RFC 5077.
        SESSION_TICKET = 35,
        /// RFC 8446 §4.2.1.
        SUPPORTED_VERSIONS = 43,
        /// RFC 8446 §4.2.2.
        COOKIE = 44,
        /// RFC 8446 §4.2.9.
        PSK_KEY_EXCHANGE_MODES = 45,
        /// RFC 8446 §4.2.8.
        KEY_SHARE = 51,
        /// RFC 5746.
        RENEGOTIATION_INFO = 0xff01,
    }
}

open_enum! {
    /// An SRTP protection profile of the `use_srtp` extension (RFC 5764 §4.1.2,
    /// RFC 7714 §14.2).
    SrtpProfile(u16) {
        /// `SRTP_AES128_CM_HMAC_SHA1_80`.
        AES128_CM_HMAC_SHA1_80 = 0x0001,
        /// `SRTP_AES128_CM_HMAC_SHA1_32`.
        AES128_CM_HMAC_SHA1_32 = 0x0002,
        /// `SRTP_AEAD_AES_128_GCM`.
        AEAD_AES_128_GCM = 0x0007,
        /// `SRTP_AEAD_AES_256_GCM`.
        AEAD_AES_256_GCM = 0x0008,
    }
}

impl SrtpProfile {
    /// The profiles we negotiate, in our default order of preference.
    pub const SUPPORTED: [Self; 4] = [
        Self::AEAD_AES_128_GCM,
        Self::AEAD_AES_256_GCM,
        Self::AES128_CM_HMAC_SHA1_80,
        Self::AES128_CM_HMAC_SHA1_32,
    ];

    /// Bytes of exporter output this profile needs: two master keys and two master salts
    /// (RFC 5764 §4.2); `None` for an unknown profile.
    pub fn keying_material_len(self) -> Option<usize> {
        match self {
            Self::AES128_CM_HMAC_SHA1_80 | Self::AES128_CM_HMAC_SHA1_32 => Some(2 * (16 + 14)),
            Self::AEAD_AES_128_GCM => Some(2 * (16 + 12)),
            Self::AEAD_AES_256_GCM => Some(2 * (32 + 12)),
            _ => None,
        }
    }
}

open_enum! {
    /// The version field of records and hellos (RFC 6347 §4.1: the one's complement of the
    /// TLS version).
    ProtocolVersion(u16) {
        /// DTLS 1.0 (RFC 4347), used in record headers of some initial ClientHellos.
        DTLS_1_0 = 0xfeff,
        /// DTLS 1.2 (RFC 6347).
        DTLS_1_2 = 0xfefd,
        /// DTLS 1.3 (RFC 9147), only ever seen in `supported_versions` (records and hellos
        /// keep the DTLS 1.2 value, RFC 9147 §5.3).
        DTLS_1_3 = 0xfefc,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_values_stay_representable() {
        let s = CipherSuite(0x1399);
        assert_eq!(s.name(), None);
        assert_eq!(format!("{s:?}"), "CipherSuite(0x1399)");
        assert_eq!(s.params(), None);
        assert_eq!(
            format!("{}", CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256),
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
        );
    }

    #[test]
    fn srtp_keying_lengths() {
        assert_eq!(
            SrtpProfile::AEAD_AES_128_GCM.keying_material_len(),
            Some(56)
        );
        assert_eq!(
            SrtpProfile::AEAD_AES_256_GCM.keying_material_len(),
            Some(88)
        );
        assert_eq!(
            SrtpProfile::AES128_CM_HMAC_SHA1_80.keying_material_len(),
            Some(60)
        );
        assert_eq!(SrtpProfile(5).keying_material_len(), None);
    }

    #[test]
    fn every_supported_suite_has_params() {
        for s in CipherSuite::SUPPORTED {
            assert!(s.params().is_some() && s.params13().is_none(), "{s}");
        }
        for s in CipherSuite::SUPPORTED_TLS13 {
            assert!(s.params13().is_some() && s.params().is_none(), "{s}");
        }
    }
}
