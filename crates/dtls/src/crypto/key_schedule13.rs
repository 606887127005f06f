//! The TLS 1.3 key schedule (RFC 8446 §7.1) as DTLS 1.3 uses it (RFC 9147 §5.9), on ring.
//!
//! ```text
//!              0 -> HKDF-Extract(0, 0)                  = Early Secret
//!  Derive-Secret(., "derived", "") -> HKDF-Extract(., (EC)DHE) = Handshake Secret
//!      -> Derive-Secret(., "c hs traffic" / "s hs traffic", ClientHello...ServerHello)
//!  Derive-Secret(., "derived", "") -> HKDF-Extract(., 0)  = Master Secret
//!      -> Derive-Secret(., "c ap traffic" / "s ap traffic" / "exp master",
//!                       ClientHello...server Finished)
//! ```
//! No PSK is ever offered (WebRTC authenticates by certificate fingerprint), so the Early
//! Secret is always extracted from a zero PSK. Every `HKDF-Expand-Label` carries the label
//! prefix `"dtls13"` in DTLS 1.3 (RFC 9147 §5.9) where TLS 1.3 has `"tls13 "`
//! (RFC 8446 §7.1); [`LabelPrefix::Tls13`] exists so the RFC 8448 vectors can check the
//! schedule.

use ring::{digest, hkdf, hmac};

use crate::wire::code_points::PrfHash;

/// Largest hash output of a suite (SHA-384).
const MAX_HASH_LEN: usize = 48;

/// `HandshakeType.message_hash` (RFC 8446 §4.4.1).
const MESSAGE_HASH: u8 = 254;

/// The prefix put before every `HKDF-Expand-Label` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LabelPrefix {
    /// `"dtls13"`: DTLS 1.3 (RFC 9147 §5.9).
    Dtls13,
    /// `"tls13 "`: TLS 1.3 (RFC 8446 §7.1). Only for the RFC 8448 test vectors.
    #[cfg_attr(not(test), allow(dead_code))]
    Tls13,
}

impl LabelPrefix {
    fn bytes(self) -> &'static [u8] {
        match self {
            Self::Dtls13 => b"dtls13",
            Self::Tls13 => b"tls13 ",
        }
    }
}

/// A secret of the schedule: a traffic secret, an exporter master secret, a Finished
/// `verify_data`... Its length is the suite's hash length (32 or 48 bytes).
#[derive(Clone)]
pub(crate) struct Secret {
    bytes: [u8; MAX_HASH_LEN],
    len: usize,
}

impl Secret {
    /// The first `len` bytes of `bytes` (`len` ≤ 48).
    fn new(bytes: &[u8]) -> Self {
        let mut s = Self {
            bytes: [0; MAX_HASH_LEN],
            len: bytes.len().min(MAX_HASH_LEN),
        };
        s.bytes[..s.len].copy_from_slice(&bytes[..s.len]);
        s
    }

    /// The secret's bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        write!(f, "Secret({} bytes)", self.len)
    }
}

/// A length for ring's HKDF-Expand (its output-length type).
struct OutLen(usize);

impl hkdf::KeyType for OutLen {
    fn len(&self) -> usize {
        self.0
    }
}

/// Which secret the schedule holds now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Early,
    Handshake,
    Master,
}

/// The key schedule of one handshake: it holds the current stage's secret (Early, then
/// Handshake, then Master Secret) and derives the traffic secrets from it.
///
/// Call [`Self::handshake`] once, after the ServerHello, then [`Self::application`] once,
/// after the server Finished.
pub(crate) struct KeySchedule13 {
    hash: PrfHash,
    prefix: LabelPrefix,
    stage: Stage,
    /// The Early, Handshake or Master Secret, by `stage`.
    current: Secret,
}

impl std::fmt::Debug for KeySchedule13 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySchedule13")
            .field("hash", &self.hash)
            .field("prefix", &self.prefix)
            .field("stage", &self.stage)
            .finish_non_exhaustive()
    }
}

impl KeySchedule13 {
    /// A schedule for a suite with hash `hash`, at the Early Secret
    /// `HKDF-Extract(0, 0)` (RFC 8446 §7.1: no PSK, so a zero string of the hash length).
    pub(crate) fn new(hash: PrfHash, prefix: LabelPrefix) -> Self {
        let mut ks = Self {
            hash,
            prefix,
            stage: Stage::Early,
            current: Secret::new(&[]),
        };
        let zeros = [0u8; MAX_HASH_LEN];
        ks.current = ks.extract(&zeros[..ks.hash_len()], &zeros[..ks.hash_len()]);
        ks
    }

    /// The suite's hash length: 32 (SHA-256) or 48 (SHA-384).
    pub(crate) fn hash_len(&self) -> usize {
        self.digest_algorithm().output_len()
    }

    /// The suite's hash, for transcript hashes.
    pub(crate) fn digest_algorithm(&self) -> &'static digest::Algorithm {
        match self.hash {
            PrfHash::Sha256 => &digest::SHA256,
            PrfHash::Sha384 => &digest::SHA384,
        }
    }

    fn hmac_algorithm(&self) -> hmac::Algorithm {
        match self.hash {
            PrfHash::Sha256 => hmac::HMAC_SHA256,
            PrfHash::Sha384 => hmac::HMAC_SHA384,
        }
    }

    fn hkdf_algorithm(&self) -> hkdf::Algorithm {
        match self.hash {
            PrfHash::Sha256 => hkdf::HKDF_SHA256,
            PrfHash::Sha384 => hkdf::HKDF_SHA384,
        }
    }

    /// `HKDF-Extract(salt, ikm)` = `HMAC-Hash(salt, ikm)` (RFC 5869 §2.2), kept as bytes
    /// because the schedule expands from it again.
    fn extract(&self, salt: &[u8], ikm: &[u8]) -> Secret {
        let key = hmac::Key::new(self.hmac_algorithm(), salt);
        Secret::new(hmac::sign(&key, ikm).as_ref())
    }

    /// `HKDF-Expand-Label(secret, label, context, out.len())` (RFC 8446 §7.1) with the
    /// schedule's label prefix:
    /// ```text
    /// struct { uint16 length; opaque label<7..255> = prefix + Label; opaque context<0..255>; }
    /// ```
    /// The labels are the protocol's constants and the contexts hashes, so the vector bounds
    /// hold: `label` at most 249 bytes, `context` at most 255, `out` at most 255 hash lengths
    /// (an exporter's output length is the caller's to bound).
    pub(crate) fn expand_label(&self, secret: &[u8], label: &[u8], context: &[u8], out: &mut [u8]) {
        let prefix = self.prefix.bytes();
        debug_assert!(prefix.len() + label.len() <= 255 && context.len() <= 255);
        let length = (out.len() as u16).to_be_bytes();
        let label_len = [(prefix.len() + label.len()) as u8];
        let context_len = [context.len() as u8];
        let info: [&[u8]; 6] = [&length, &label_len, prefix, label, &context_len, context];
        let prk = hkdf::Prk::new_less_safe(self.hkdf_algorithm(), secret);
        // Invariant: `out.len()` ≤ 255 × hash length (ring refuses longer outputs, RFC 5869
        // §2.3), and `fill` gets exactly the length `expand` was given.
        prk.expand(&info, OutLen(out.len()))
            .and_then(|okm| okm.fill(out))
            .expect("HKDF-Expand-Label output within 255 hash lengths");
    }

    /// `Derive-Secret(secret, label, messages)` with the transcript hash of `messages`
    /// already computed (RFC 8446 §7.1).
    fn derive_secret(&self, secret: &Secret, label: &[u8], transcript_hash: &[u8]) -> Secret {
        let mut out = [0u8; MAX_HASH_LEN];
        let out = &mut out[..self.hash_len()];
        self.expand_label(secret.as_bytes(), label, transcript_hash, out);
        Secret::new(out)
    }

    /// `Derive-Secret(current, "derived", "")`: the salt of the next extraction.
    fn derived(&self) -> Secret {
        let empty = digest::digest(self.digest_algorithm(), b"");
        self.derive_secret(&self.current, b"derived", empty.as_ref())
    }

    /// Advances to the Handshake Secret `HKDF-Extract(Derive-Secret(Early, "derived", ""),
    /// (EC)DHE)` and returns the client and server handshake traffic secrets, derived with
    /// `hello_hash` = Transcript-Hash(ClientHello...ServerHello) (RFC 8446 §7.1).
    pub(crate) fn handshake(
        &mut self,
        shared_secret: &[u8],
        hello_hash: &[u8],
    ) -> (Secret, Secret) {
        debug_assert_eq!(self.stage, Stage::Early);
        let salt = self.derived();
        self.current = self.extract(salt.as_bytes(), shared_secret);
        self.stage = Stage::Handshake;
        (
            self.derive_secret(&self.current, b"c hs traffic", hello_hash),
            self.derive_secret(&self.current, b"s hs traffic", hello_hash),
        )
    }

    /// Advances to the Master Secret `HKDF-Extract(Derive-Secret(Handshake, "derived", ""),
    /// 0)` and returns the client and server application traffic secrets and the exporter
    /// master secret, derived with `server_finished_hash` =
    /// Transcript-Hash(ClientHello...server Finished) (RFC 8446 §7.1).
    pub(crate) fn application(&mut self, server_finished_hash: &[u8]) -> (Secret, Secret, Secret) {
        debug_assert_eq!(self.stage, Stage::Handshake);
        let salt = self.derived();
        let zeros = [0u8; MAX_HASH_LEN];
        self.current = self.extract(salt.as_bytes(), &zeros[..self.hash_len()]);
        self.stage = Stage::Master;
        (
            self.derive_secret(&self.current, b"c ap traffic", server_finished_hash),
            self.derive_secret(&self.current, b"s ap traffic", server_finished_hash),
            self.derive_secret(&self.current, b"exp master", server_finished_hash),
        )
    }

    /// `finished_key = HKDF-Expand-Label(base, "finished", "", Hash.length)` (RFC 8446
    /// §4.4.4).
    fn finished_key(&self, base: &Secret) -> hmac::Key {
        let mut key = [0u8; MAX_HASH_LEN];
        let key = &mut key[..self.hash_len()];
        self.expand_label(base.as_bytes(), b"finished", b"", key);
        hmac::Key::new(self.hmac_algorithm(), key)
    }

    /// The Finished `verify_data = HMAC(finished_key, Transcript-Hash(...))` (RFC 8446
    /// §4.4.4), where `base` is the sender's handshake traffic secret.
    pub(crate) fn finished_verify_data(&self, base: &Secret, transcript_hash: &[u8]) -> Secret {
        Secret::new(hmac::sign(&self.finished_key(base), transcript_hash).as_ref())
    }

    /// Whether `received` is the Finished `verify_data` of `base` over `transcript_hash`,
    /// compared in constant time (RFC 8446 §4.4.4).
    pub(crate) fn verify_finished(
        &self,
        base: &Secret,
        transcript_hash: &[u8],
        received: &[u8],
    ) -> bool {
        hmac::verify(&self.finished_key(base), transcript_hash, received).is_ok()
    }

    /// The next generation of a traffic secret after a KeyUpdate:
    /// `HKDF-Expand-Label(s, "traffic upd", "", Hash.length)` (RFC 8446 §7.2).
    pub(crate) fn next_traffic_secret(&self, s: &Secret) -> Secret {
        let mut out = [0u8; MAX_HASH_LEN];
        let out = &mut out[..self.hash_len()];
        self.expand_label(s.as_bytes(), b"traffic upd", b"", out);
        Secret::new(out)
    }

    /// Keying material exporter (RFC 8446 §7.5): fills `out` with
    /// `HKDF-Expand-Label(Derive-Secret(exporter_master, label, ""), "exporter",
    /// Hash(context), out.len())`. DTLS-SRTP calls it with the label
    /// `EXTRACTOR-dtls_srtp` and an empty context (RFC 5764 §4.2).
    pub(crate) fn export(
        &self,
        exporter_master: &Secret,
        label: &[u8],
        context: &[u8],
        out: &mut [u8],
    ) {
        let empty = digest::digest(self.digest_algorithm(), b"");
        let secret = self.derive_secret(exporter_master, label, empty.as_ref());
        let context_hash = digest::digest(self.digest_algorithm(), context);
        self.expand_label(secret.as_bytes(), b"exporter", context_hash.as_ref(), out);
    }

    /// The synthetic `message_hash` handshake message that replaces ClientHello1 in the
    /// transcript after a HelloRetryRequest (RFC 8446 §4.4.1): type 254, a 3-byte length,
    /// then `Hash(ClientHello1)`. DTLS 1.3 hashes handshake messages with this TLS header
    /// (RFC 9147 §5.2).
    pub(crate) fn message_hash(&self, client_hello1_hash: &[u8]) -> Vec<u8> {
        let len = client_hello1_hash.len();
        let mut m = Vec::with_capacity(4 + len);
        // A hash is at most 64 bytes: fits the 3-byte length.
        m.extend_from_slice(&[MESSAGE_HASH, 0, 0, len as u8]);
        m.extend_from_slice(client_hello1_hash);
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    // RFC 8448 §3 "Simple 1-RTT Handshake" (TLS_AES_128_GCM_SHA256, x25519).
    const ECDHE: &str = "8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d";
    const HELLO_HASH: &str = "860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8";
    const EARLY: &str = "33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a";
    const DERIVED_EARLY: &str = "6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba";
    const HANDSHAKE: &str = "1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac";
    const C_HS: &str = "b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21";
    const S_HS: &str = "b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38";
    const DERIVED_HS: &str = "43de77e0c77713859a944db9db2590b53190a65b3ee2e4f12dd7a0bb7ce254b4";
    const MASTER: &str = "18df06843d13a08bf2a449844c5f8a478001bc4d4c627984d5a41da8d0402919";
    /// Transcript-Hash(ClientHello...CertificateVerify): the server Finished's context.
    const TH_CH_CV: &str = "edb7725fa7a3473b031ec8ef65a2485493900138a2b91291407d7951a06110ed";
    const S_FINISHED_KEY: &str = "008d3b66f816ea559f96b537e885c31fc068bf492c652f01f288a1d8cdc19fc8";
    const S_VERIFY_DATA: &str = "9b9b141d906337fbd2cbdce71df4deda4ab42c309572cb7fffee5454b78f0718";
    /// Transcript-Hash(ClientHello...server Finished).
    const TH_CH_SF: &str = "9608102a0f1ccc6db6250b7b7e417b1a000eaada3daae4777a7686c9ff83df13";
    const C_FINISHED_KEY: &str = "b80ad01015fb2f0bd65ff7d4da5d6bf83f84821d1f87fdc7d3c75b5a7b42d9c4";
    const C_VERIFY_DATA: &str = "a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61";
    const C_AP: &str = "9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5";
    const S_AP: &str = "a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643";
    const EXP_MASTER: &str = "fe22f881176eda18eb8f44529e6792c50c9a3f89452f68d8ae311b4309d3cf50";

    fn key_iv(ks: &KeySchedule13, secret: &[u8]) -> (String, String) {
        let (mut key, mut iv) = ([0u8; 16], [0u8; 12]);
        ks.expand_label(secret, b"key", b"", &mut key);
        ks.expand_label(secret, b"iv", b"", &mut iv);
        (hex::encode(key), hex::encode(iv))
    }

    fn finished_key(ks: &KeySchedule13, secret: &[u8]) -> String {
        let mut k = [0u8; 32];
        ks.expand_label(secret, b"finished", b"", &mut k);
        hex::encode(k)
    }

    #[test]
    fn rfc8448_simple_1rtt_schedule() {
        let mut ks = KeySchedule13::new(PrfHash::Sha256, LabelPrefix::Tls13);
        assert_eq!(ks.hash_len(), 32);
        assert_eq!(hex::encode(ks.current.as_bytes()), EARLY);
        assert_eq!(hex::encode(ks.derived().as_bytes()), DERIVED_EARLY);

        let (c_hs, s_hs) = ks.handshake(&h(ECDHE), &h(HELLO_HASH));
        assert_eq!(hex::encode(ks.current.as_bytes()), HANDSHAKE);
        assert_eq!(hex::encode(c_hs.as_bytes()), C_HS);
        assert_eq!(hex::encode(s_hs.as_bytes()), S_HS);
        assert_eq!(
            key_iv(&ks, s_hs.as_bytes()),
            (
                "3fce516009c21727d0f2e4e86ee403bc".into(),
                "5d313eb2671276ee13000b30".into()
            )
        );
        assert_eq!(
            key_iv(&ks, c_hs.as_bytes()),
            (
                "dbfaa693d1762c5b666af5d950258d01".into(),
                "5bd3c71b836e0b76bb73265f".into()
            )
        );
        assert_eq!(finished_key(&ks, s_hs.as_bytes()), S_FINISHED_KEY);
        assert_eq!(finished_key(&ks, c_hs.as_bytes()), C_FINISHED_KEY);
        let sv = ks.finished_verify_data(&s_hs, &h(TH_CH_CV));
        assert_eq!(hex::encode(sv.as_bytes()), S_VERIFY_DATA);
        assert!(ks.verify_finished(&s_hs, &h(TH_CH_CV), &h(S_VERIFY_DATA)));
        let cv = ks.finished_verify_data(&c_hs, &h(TH_CH_SF));
        assert_eq!(hex::encode(cv.as_bytes()), C_VERIFY_DATA);
        assert!(ks.verify_finished(&c_hs, &h(TH_CH_SF), &h(C_VERIFY_DATA)));
        assert_eq!(hex::encode(ks.derived().as_bytes()), DERIVED_HS);

        let (c_ap, s_ap, exp) = ks.application(&h(TH_CH_SF));
        assert_eq!(hex::encode(ks.current.as_bytes()), MASTER);
        assert_eq!(hex::encode(c_ap.as_bytes()), C_AP);
        assert_eq!(hex::encode(s_ap.as_bytes()), S_AP);
        assert_eq!(hex::encode(exp.as_bytes()), EXP_MASTER);
        assert_eq!(
            key_iv(&ks, s_ap.as_bytes()),
            (
                "9f02283b6c9c07efc26bb9f2ac92e356".into(),
                "cf782b88dd83549aadf1e984".into()
            )
        );
        assert_eq!(
            key_iv(&ks, c_ap.as_bytes()),
            (
                "17422dda596ed5d9acd890e3c63f5051".into(),
                "5b78923dee08579033e523d9".into()
            )
        );
    }

    #[test]
    fn finished_refuses_wrong_data() {
        let mut ks = KeySchedule13::new(PrfHash::Sha256, LabelPrefix::Tls13);
        let (_, s_hs) = ks.handshake(&h(ECDHE), &h(HELLO_HASH));
        let mut bad = h(S_VERIFY_DATA);
        bad[31] ^= 1;
        assert!(!ks.verify_finished(&s_hs, &h(TH_CH_CV), &bad));
        assert!(!ks.verify_finished(&s_hs, &h(TH_CH_CV), &bad[..31]));
        assert!(!ks.verify_finished(&s_hs, &h(TH_CH_SF), &h(S_VERIFY_DATA)));
    }

    #[test]
    fn dtls13_prefix_gives_other_secrets() {
        let mut tls = KeySchedule13::new(PrfHash::Sha256, LabelPrefix::Tls13);
        let mut dtls = KeySchedule13::new(PrfHash::Sha256, LabelPrefix::Dtls13);
        // The Early Secret has no label; everything after it has.
        assert_eq!(tls.current.as_bytes(), dtls.current.as_bytes());
        let (tc, ts) = tls.handshake(&h(ECDHE), &h(HELLO_HASH));
        let (dc, ds) = dtls.handshake(&h(ECDHE), &h(HELLO_HASH));
        assert_ne!(tls.current.as_bytes(), dtls.current.as_bytes());
        assert_ne!(tc.as_bytes(), dc.as_bytes());
        assert_ne!(ts.as_bytes(), ds.as_bytes());
        assert_ne!(key_iv(&tls, tc.as_bytes()), key_iv(&dtls, tc.as_bytes()));
    }

    /// The same schedule through dimpl's public HKDF-Expand-Label of DTLS 1.3 (an independent
    /// implementation on RustCrypto): every step of a SHA-384 schedule agrees.
    #[test]
    fn dtls13_labels_match_dimpl() {
        use dimpl::crypto::prf_hkdf::hkdf_expand_label_dtls13;
        use dimpl::crypto::{Buf, HashAlgorithm};
        let provider = dimpl::crypto::rust_crypto::default_provider();
        let dimpl_expand = |hash: HashAlgorithm, secret: &[u8], label: &[u8], ctx: &[u8], len| {
            let mut out = Buf::new();
            hkdf_expand_label_dtls13(
                provider.hmac_provider,
                hash,
                secret,
                label,
                ctx,
                &mut out,
                len,
            )
            .unwrap();
            out.as_ref().to_vec()
        };
        for (prf, hash) in [
            (PrfHash::Sha256, HashAlgorithm::SHA256),
            (PrfHash::Sha384, HashAlgorithm::SHA384),
        ] {
            let mut ks = KeySchedule13::new(prf, LabelPrefix::Dtls13);
            let n = ks.hash_len();
            let early = ks.current.clone();
            let empty = digest::digest(ks.digest_algorithm(), b"");
            let derived = dimpl_expand(hash, early.as_bytes(), b"derived", empty.as_ref(), n);
            let hello_hash = digest::digest(ks.digest_algorithm(), b"hellos");
            let (c_hs, s_hs) = ks.handshake(&[0x5a; 32], hello_hash.as_ref());
            let hs = ks.extract(&derived, &[0x5a; 32]);
            assert_eq!(ks.current.as_bytes(), hs.as_bytes());
            let want_c = dimpl_expand(hash, hs.as_bytes(), b"c hs traffic", hello_hash.as_ref(), n);
            let want_s = dimpl_expand(hash, hs.as_bytes(), b"s hs traffic", hello_hash.as_ref(), n);
            assert_eq!(c_hs.as_bytes(), &want_c[..]);
            assert_eq!(s_hs.as_bytes(), &want_s[..]);
            for (label, len) in [
                (&b"key"[..], 16),
                (b"iv", 12),
                (b"sn", 32),
                (b"finished", n),
            ] {
                let mut ours = vec![0u8; len];
                ks.expand_label(c_hs.as_bytes(), label, b"", &mut ours);
                assert_eq!(ours, dimpl_expand(hash, c_hs.as_bytes(), label, b"", len));
            }
            let upd = ks.next_traffic_secret(&s_hs);
            assert_eq!(
                upd.as_bytes(),
                &dimpl_expand(hash, s_hs.as_bytes(), b"traffic upd", b"", n)[..]
            );
        }
    }

    #[test]
    fn exporter_and_key_update() {
        let mut ks = KeySchedule13::new(PrfHash::Sha384, LabelPrefix::Dtls13);
        assert_eq!(ks.hash_len(), 48);
        let (c_hs, s_hs) = ks.handshake(&[1; 32], &[2; 48]);
        assert_eq!(c_hs.as_bytes().len(), 48);
        assert_ne!(c_hs.as_bytes(), s_hs.as_bytes());
        let (c_ap, s_ap, exp) = ks.application(&[3; 48]);
        assert_ne!(c_ap.as_bytes(), s_ap.as_bytes());
        let mut a = [0u8; 60];
        let mut b = [0u8; 60];
        ks.export(&exp, b"EXTRACTOR-dtls_srtp", b"", &mut a);
        ks.export(&exp, b"EXTRACTOR-dtls_srtp", b"", &mut b);
        assert_eq!(a, b);
        ks.export(&exp, b"EXTRACTOR-dtls_srtp", b"x", &mut b);
        assert_ne!(a, b, "the context is part of the exporter");
        ks.export(&exp, b"EXTRACTOR-other", b"", &mut b);
        assert_ne!(a, b, "the label is part of the exporter");
        // The exporter is the RFC 8446 §7.5 formula over the public expand_label.
        let empty = digest::digest(ks.digest_algorithm(), b"");
        let mut inner = [0u8; 48];
        ks.expand_label(
            exp.as_bytes(),
            b"EXTRACTOR-dtls_srtp",
            empty.as_ref(),
            &mut inner,
        );
        let mut want = [0u8; 60];
        ks.expand_label(&inner, b"exporter", empty.as_ref(), &mut want);
        assert_eq!(a, want);
        let next = ks.next_traffic_secret(&c_ap);
        assert_ne!(next.as_bytes(), c_ap.as_bytes());
        assert_ne!(ks.next_traffic_secret(&next).as_bytes(), next.as_bytes());
        assert_eq!(format!("{next:?}"), "Secret(48 bytes)");
    }

    #[test]
    fn message_hash_layout() {
        let ks = KeySchedule13::new(PrfHash::Sha256, LabelPrefix::Dtls13);
        let ch1 = digest::digest(ks.digest_algorithm(), b"client hello 1");
        let m = ks.message_hash(ch1.as_ref());
        assert_eq!(&m[..4], &[254, 0, 0, 32]);
        assert_eq!(&m[4..], ch1.as_ref());
    }
}
