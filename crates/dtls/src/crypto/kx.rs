//! Ephemeral ECDH (RFC 8422 §5.4, §5.7) on ring: x25519 and secp256r1 (uncompressed points).

use ring::agreement::{self, EphemeralPrivateKey, UnparsedPublicKey};
use ring::rand::SystemRandom;

use crate::error::{Error, Parameter};
use crate::wire::code_points::NamedGroup;

/// Our ephemeral key pair for one handshake.
pub(crate) struct EphemeralKey {
    group: NamedGroup,
    private: EphemeralPrivateKey,
    public: Vec<u8>,
}

impl std::fmt::Debug for EphemeralKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EphemeralKey")
            .field("group", &self.group)
            .finish_non_exhaustive()
    }
}

fn algorithm(group: NamedGroup) -> Option<&'static agreement::Algorithm> {
    match group {
        NamedGroup::X25519 => Some(&agreement::X25519),
        NamedGroup::SECP256R1 => Some(&agreement::ECDH_P256),
        _ => None,
    }
}

impl EphemeralKey {
    /// A fresh key in `group` (x25519 or secp256r1). ring draws the key from the OS
    /// generator: one draw per handshake, not per record.
    pub(crate) fn generate(rng: &SystemRandom, group: NamedGroup) -> Result<Self, Error> {
        let alg = algorithm(group).ok_or(Error::NoCommonGroup)?;
        let private = EphemeralPrivateKey::generate(alg, rng).map_err(|_| Error::Crypto)?;
        let public = private
            .compute_public_key()
            .map_err(|_| Error::Crypto)?
            .as_ref()
            .to_vec();
        Ok(Self {
            group,
            private,
            public,
        })
    }

    /// The group.
    pub(crate) fn group(&self) -> NamedGroup {
        self.group
    }

    /// Our public key as sent (32 bytes, or a 65-byte uncompressed point).
    pub(crate) fn public(&self) -> &[u8] {
        &self.public
    }

    /// The pre-master secret with the peer's public key (RFC 8422 §5.10: the x coordinate
    /// for NIST curves, which is what ring returns). A public key that is not a valid point
    /// is an illegal parameter.
    pub(crate) fn agree(self, peer: &[u8]) -> Result<Vec<u8>, Error> {
        let alg = algorithm(self.group).ok_or(Error::NoCommonGroup)?;
        agreement::agree_ephemeral(self.private, &UnparsedPublicKey::new(alg, peer), |s| {
            s.to_vec()
        })
        .map_err(|_| Error::IllegalParameter(Parameter::PublicKey))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sides_agree() {
        let rng = SystemRandom::new();
        for g in NamedGroup::SUPPORTED {
            let a = EphemeralKey::generate(&rng, g).unwrap();
            let b = EphemeralKey::generate(&rng, g).unwrap();
            let pa = a.public().to_vec();
            let sa = a.agree(b.public()).unwrap();
            let sb = b.agree(&pa).unwrap();
            assert_eq!(sa, sb);
            assert_eq!(sa.len(), 32);
        }
    }

    #[test]
    fn refuses_bad_points_and_groups() {
        let rng = SystemRandom::new();
        let a = EphemeralKey::generate(&rng, NamedGroup::SECP256R1).unwrap();
        assert_eq!(
            a.agree(&[4; 65]).unwrap_err(),
            Error::IllegalParameter(Parameter::PublicKey)
        );
        assert_eq!(
            EphemeralKey::generate(&rng, NamedGroup::X448).unwrap_err(),
            Error::NoCommonGroup
        );
    }
}
