//! The TLS 1.2 key schedule as DTLS-SRTP uses it: the extended master secret (RFC 7627 §4),
//! the key block (RFC 5246 §6.3), Finished (RFC 5246 §7.4.9) and the exporter (RFC 5705 §4).

use ring::digest;

use crate::crypto::prf::prf;
use crate::wire::code_points::{BulkCipher, PrfHash};
use crate::wire::finished::VERIFY_DATA_LEN;

/// Length of the master secret.
pub(crate) const MASTER_SECRET_LEN: usize = 48;

/// The master secret (wiped on drop is not attempted: ring keys hold copies anyway).
#[derive(Clone)]
pub(crate) struct MasterSecret(pub(crate) [u8; MASTER_SECRET_LEN]);

impl std::fmt::Debug for MasterSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterSecret(..)")
    }
}

/// The hash of the handshake messages so far, with the suite's PRF hash.
pub(crate) fn transcript_hash(hash: PrfHash, transcript: &[u8]) -> digest::Digest {
    let alg = match hash {
        PrfHash::Sha256 => &digest::SHA256,
        PrfHash::Sha384 => &digest::SHA384,
    };
    digest::digest(alg, transcript)
}

/// RFC 7627 §4: `PRF(pre_master_secret, "extended master secret", session_hash)[0..47]`,
/// where `session_hash` covers every handshake message up to and including
/// ClientKeyExchange.
pub(crate) fn extended_master_secret(
    hash: PrfHash,
    pre_master_secret: &[u8],
    session_hash: &[u8],
) -> MasterSecret {
    let mut ms = [0u8; MASTER_SECRET_LEN];
    prf(
        hash,
        pre_master_secret,
        b"extended master secret",
        &[session_hash],
        &mut ms,
    );
    MasterSecret(ms)
}

/// The write keys and IVs of both sides (RFC 5246 §6.3; AEAD suites have no MAC keys).
pub(crate) struct KeyBlock {
    pub(crate) client_key: Vec<u8>,
    pub(crate) server_key: Vec<u8>,
    pub(crate) client_iv: Vec<u8>,
    pub(crate) server_iv: Vec<u8>,
}

/// Key and IV lengths: GCM has a 4-byte implicit salt (RFC 5288 §3), ChaCha20-Poly1305 a
/// 12-byte IV (RFC 7905 §2).
pub(crate) fn key_iv_len(cipher: BulkCipher) -> (usize, usize) {
    match cipher {
        BulkCipher::Aes128Gcm => (16, 4),
        BulkCipher::Aes256Gcm => (32, 4),
        BulkCipher::Chacha20Poly1305 => (32, 12),
    }
}

/// `PRF(master_secret, "key expansion", server_random || client_random)` cut into keys.
pub(crate) fn key_block(
    hash: PrfHash,
    cipher: BulkCipher,
    master: &MasterSecret,
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> KeyBlock {
    let (k, iv) = key_iv_len(cipher);
    let mut block = vec![0u8; 2 * (k + iv)];
    prf(
        hash,
        &master.0,
        b"key expansion",
        &[server_random, client_random],
        &mut block,
    );
    let (client_key, rest) = block.split_at(k);
    let (server_key, rest) = rest.split_at(k);
    let (client_iv, server_iv) = rest.split_at(iv);
    KeyBlock {
        client_key: client_key.to_vec(),
        server_key: server_key.to_vec(),
        client_iv: client_iv.to_vec(),
        server_iv: server_iv.to_vec(),
    }
}

/// `verify_data` of a Finished message (RFC 5246 §7.4.9).
pub(crate) fn finished(
    hash: PrfHash,
    master: &MasterSecret,
    client: bool,
    transcript: &[u8],
) -> [u8; VERIFY_DATA_LEN] {
    let label: &[u8] = if client {
        b"client finished"
    } else {
        b"server finished"
    };
    let h = transcript_hash(hash, transcript);
    let mut out = [0u8; VERIFY_DATA_LEN];
    prf(hash, &master.0, label, &[h.as_ref()], &mut out);
    out
}

/// RFC 5705 §4: `PRF(master_secret, label, client_random || server_random
/// [|| context_length || context])`, `len` bytes.
pub(crate) fn export(
    hash: PrfHash,
    master: &MasterSecret,
    label: &[u8],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
    context: Option<&[u8]>,
    len: usize,
) -> Vec<u8> {
    let mut out = vec![0u8; len];
    match context {
        None => prf(
            hash,
            &master.0,
            label,
            &[client_random, server_random],
            &mut out,
        ),
        Some(ctx) => {
            // The context length is a uint16 (RFC 5705 §4); callers bound it.
            let ctx_len = (ctx.len() as u16).to_be_bytes();
            prf(
                hash,
                &master.0,
                label,
                &[client_random, server_random, &ctx_len, ctx],
                &mut out,
            )
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_block_lengths_per_cipher() {
        let ms = MasterSecret([1; 48]);
        for (c, k, iv) in [
            (BulkCipher::Aes128Gcm, 16, 4),
            (BulkCipher::Aes256Gcm, 32, 4),
            (BulkCipher::Chacha20Poly1305, 32, 12),
        ] {
            let kb = key_block(PrfHash::Sha256, c, &ms, &[2; 32], &[3; 32]);
            assert_eq!(kb.client_key.len(), k);
            assert_eq!(kb.server_key.len(), k);
            assert_eq!(kb.client_iv.len(), iv);
            assert_eq!(kb.server_iv.len(), iv);
            assert_ne!(kb.client_key, kb.server_key);
        }
    }

    #[test]
    fn finished_differs_by_side_and_exporter_by_context() {
        let ms = MasterSecret([7; 48]);
        let c = finished(PrfHash::Sha256, &ms, true, b"transcript");
        let s = finished(PrfHash::Sha256, &ms, false, b"transcript");
        assert_ne!(c, s);
        let a = export(
            PrfHash::Sha256,
            &ms,
            b"EXTRACTOR-dtls_srtp",
            &[1; 32],
            &[2; 32],
            None,
            60,
        );
        let b = export(
            PrfHash::Sha256,
            &ms,
            b"EXTRACTOR-dtls_srtp",
            &[1; 32],
            &[2; 32],
            Some(b""),
            60,
        );
        assert_eq!(a.len(), 60);
        assert_ne!(
            a, b,
            "an empty context differs from no context (RFC 5705 §4)"
        );
    }
}
