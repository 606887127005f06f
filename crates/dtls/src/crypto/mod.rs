//! The cryptography of DTLS 1.2, all on ring: the PRF and key schedule (RFC 5246 §5, §8.1,
//! §6.3; RFC 7627; RFC 5705), ECDHE, signatures, and AEAD record protection.

pub(crate) mod key_schedule;
pub(crate) mod kx;
pub(crate) mod peer_key;
pub(crate) mod prf;
pub(crate) mod record_cipher;
