//! The cryptography of DTLS 1.2, all on ring: the PRF and key schedule (RFC 5246 §5, §8.1,
//! §6.3; RFC 7627; RFC 5705), ECDHE, signatures, and AEAD record protection; and of
//! DTLS 1.3: the HKDF key schedule (RFC 8446 §7 with RFC 9147 §5.9) and record protection
//! with sequence number encryption (RFC 9147 §4.2.3); key shares with the X25519MLKEM768
//! hybrid (ML-KEM-768 from RustCrypto's `ml-kem`).

pub(crate) mod key_schedule;
// Called by the DTLS 1.3 handshake (written beside this module); until it lands, only the
// tests, the fuzz target and the benchmarks use the DTLS 1.3 foundation.
pub(crate) mod key_schedule13;
pub(crate) mod key_share13;
pub(crate) mod kx;
pub(crate) mod peer_key;
pub(crate) mod prf;
pub(crate) mod record_cipher;
pub(crate) mod record_cipher13;
