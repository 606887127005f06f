//! The TLS 1.2 PRF (RFC 5246 §5): `PRF(secret, label, seed) = P_<hash>(secret, label || seed)`
//! with `P_hash` built from ring's HMAC.

use ring::hmac;

use crate::wire::code_points::PrfHash;

fn algorithm(hash: PrfHash) -> hmac::Algorithm {
    match hash {
        PrfHash::Sha256 => hmac::HMAC_SHA256,
        PrfHash::Sha384 => hmac::HMAC_SHA384,
    }
}

/// Fills `out` with `PRF(secret, label, seed)` (RFC 5246 §5). `seed` is given in parts that
/// are concatenated.
pub(crate) fn prf(hash: PrfHash, secret: &[u8], label: &[u8], seed: &[&[u8]], out: &mut [u8]) {
    let key = hmac::Key::new(algorithm(hash), secret);
    // A(1) = HMAC(secret, label || seed)
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(label);
    for s in seed {
        ctx.update(s);
    }
    let mut a = ctx.sign();
    let mut written = 0;
    while written < out.len() {
        // P_hash chunk = HMAC(secret, A(i) || label || seed)
        let mut ctx = hmac::Context::with_key(&key);
        ctx.update(a.as_ref());
        ctx.update(label);
        for s in seed {
            ctx.update(s);
        }
        let chunk = ctx.sign();
        let n = (out.len() - written).min(chunk.as_ref().len());
        out[written..written + n].copy_from_slice(&chunk.as_ref()[..n]);
        written += n;
        // A(i+1) = HMAC(secret, A(i))
        a = hmac::sign(&key, a.as_ref());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The widely used TLS 1.2 PRF test vector (SHA-256) published on the IETF TLS list
    /// (`secret`, label "test label", 100 bytes of output).
    #[test]
    fn sha256_vector() {
        let secret = hex::decode("9bbe436ba940f017b17652849a71db35").unwrap();
        let seed = hex::decode("a0ba9f936cda311827a6f796ffd5198c").unwrap();
        let mut out = [0u8; 100];
        prf(PrfHash::Sha256, &secret, b"test label", &[&seed], &mut out);
        assert_eq!(
            hex::encode(out),
            "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66"
        );
    }

    /// The SHA-384 vector from the same set.
    #[test]
    fn sha384_vector() {
        let secret = hex::decode("b80b733d6ceefcdc71566ea48e5567df").unwrap();
        let seed = hex::decode("cd665cf6a8447dd6ff8b27555edb7465").unwrap();
        let mut out = [0u8; 148];
        prf(PrfHash::Sha384, &secret, b"test label", &[&seed], &mut out);
        assert_eq!(
            hex::encode(out),
            "7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cde9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700884f9dc236f80edd8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d9184259b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee691c8f3a26854308d5eaa3be85e0990703d73e56f"
        );
    }

    #[test]
    fn seed_parts_concatenate() {
        let mut a = [0u8; 40];
        let mut b = [0u8; 40];
        prf(PrfHash::Sha256, b"k", b"l", &[b"ab", b"cd"], &mut a);
        prf(PrfHash::Sha256, b"k", b"l", &[b"abcd"], &mut b);
        assert_eq!(a, b);
    }
}
