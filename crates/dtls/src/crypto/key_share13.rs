//! Key shares of the TLS 1.3 `key_share` extension (RFC 8446 §4.2.8) for the groups we
//! implement: X25519MLKEM768, x25519 and secp256r1.
//!
//! - x25519 (RFC 8446 §4.2.8.2, RFC 7748): 32-byte public keys, 32-byte shared secret;
//!   ring refuses an all-zero result (RFC 7748 §6.1, RFC 8446 §7.4.2).
//! - secp256r1 (RFC 8446 §4.2.8.2): 65-byte uncompressed points, the shared secret is the
//!   x coordinate (RFC 8446 §7.4.1).
//! - X25519MLKEM768 (0x11EC, draft-ietf-tls-ecdhe-mlkem §4.1-§4.3): the client sends its
//!   ML-KEM-768 encapsulation key (1184 bytes) followed by its X25519 public key (32); the
//!   server answers with the ML-KEM ciphertext (1088) followed by its X25519 public key (32);
//!   the shared secret is the ML-KEM shared secret (32) followed by the X25519 one (32).
//!   An encapsulation key that fails the FIPS 203 §7.2 modulus check is refused.
//!
//! A client that offers X25519MLKEM768 and x25519 together sends the hybrid's X25519 key as
//! its x25519 share too (one key, two `KeyShareEntry`s), as rustls does: the server picks
//! one group, so the key is used in one exchange only, and the ClientHello costs one X25519
//! key generation instead of two.
//!
//! ECDH runs on ring; ML-KEM-768 on Cryspen's formally verified `libcrux-ml-kem` (AVX2 or
//! Neon code chosen at run time where the CPU has it, portable code elsewhere) through its
//! deterministic API, with the 64-byte key generation seed and the 32-byte encapsulation
//! randomness drawn from ring's OS generator. Any share of the wrong length or that is not
//! a valid key is [`Error::IllegalParameter`]`(`[`Parameter::PublicKey`]`)`.

use libcrux_ml_kem::mlkem768::{self, MlKem768Ciphertext, MlKem768KeyPair, MlKem768PublicKey};
use ring::rand::{SecureRandom, SystemRandom};

use crate::crypto::kx::EphemeralKey;
use crate::error::{Error, Parameter};
use crate::wire::code_points::NamedGroup;

/// Length of an ML-KEM-768 encapsulation key (FIPS 203 §8: 384·k + 32, k = 3).
pub(crate) const MLKEM768_ENCAPSULATION_KEY_LEN: usize = 1184;
/// Length of an ML-KEM-768 ciphertext (FIPS 203 §8).
pub(crate) const MLKEM768_CIPHERTEXT_LEN: usize = 1088;
/// Length of an ML-KEM shared secret.
const MLKEM_SHARED_LEN: usize = 32;
/// Length of an X25519 public key.
const X25519_LEN: usize = 32;

/// A share that is not a valid key of its group (RFC 8446 §4.2.8: illegal_parameter).
const BAD_SHARE: Error = Error::IllegalParameter(Parameter::PublicKey);

/// The private half of a client's share.
enum Private {
    /// x25519 or secp256r1.
    Ecdh(EphemeralKey),
    /// X25519MLKEM768: the ML-KEM key pair and the X25519 key.
    Hybrid {
        mlkem: Box<MlKem768KeyPair>,
        x25519: EphemeralKey,
    },
}

/// A client's key share for one group: sent in the ClientHello, finished with the
/// server's share from the ServerHello. An X25519MLKEM768 share may stand for an x25519
/// share too, with its X25519 key (see the [module docs](self)).
pub(crate) struct ClientKeyShare {
    group: NamedGroup,
    private: Private,
    public: Vec<u8>,
    /// X25519MLKEM768 only: the X25519 half is offered as an x25519 share as well.
    x25519_too: bool,
}

impl std::fmt::Debug for ClientKeyShare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientKeyShare")
            .field("group", &self.group)
            .field("public_len", &self.public.len())
            .field("x25519_too", &self.x25519_too)
            .finish_non_exhaustive()
    }
}

/// Random bytes from the OS generator.
fn random<const N: usize>(rng: &SystemRandom) -> Result<[u8; N], Error> {
    let mut b = [0u8; N];
    rng.fill(&mut b).map_err(|_| Error::Crypto)?;
    Ok(b)
}

/// Keys made before the handshake ([`crate::PreparedKeys`]), each taken at most once.
#[derive(Default)]
pub(crate) struct Ahead {
    pub(crate) x25519: Option<EphemeralKey>,
    pub(crate) mlkem: Option<Box<MlKem768KeyPair>>,
}

impl Ahead {
    /// Makes the X25519 key; left unmade if the OS generator fails.
    pub(crate) fn make_x25519(&mut self, rng: &SystemRandom) {
        self.x25519 = EphemeralKey::generate(rng, NamedGroup::X25519).ok();
    }

    /// Makes the ML-KEM-768 key pair (FIPS 203 §7.1 ML-KEM.KeyGen from the seed d || z);
    /// left unmade if the OS generator fails.
    pub(crate) fn make_mlkem(&mut self, rng: &SystemRandom) {
        self.mlkem = random::<64>(rng)
            .ok()
            .map(|seed| Box::new(mlkem768::generate_key_pair(seed)));
    }

    /// The X25519 key made ahead, or a fresh one.
    fn take_x25519(&mut self, rng: &SystemRandom) -> Result<EphemeralKey, Error> {
        match self.x25519.take() {
            Some(key) => Ok(key),
            None => EphemeralKey::generate(rng, NamedGroup::X25519),
        }
    }
}

impl ClientKeyShare {
    /// A share in `group` (one of [`NamedGroup::SUPPORTED_TLS13`]; another group is
    /// [`Error::NoCommonGroup`]), from the keys made `ahead` where there are some, else
    /// fresh.
    pub(crate) fn generate(
        rng: &SystemRandom,
        group: NamedGroup,
        ahead: &mut Ahead,
    ) -> Result<Self, Error> {
        if group == NamedGroup::X25519MLKEM768 {
            let mlkem = match ahead.mlkem.take() {
                Some(pair) => pair,
                // FIPS 203 §7.1 ML-KEM.KeyGen from the seed d || z.
                None => Box::new(mlkem768::generate_key_pair(random::<64>(rng)?)),
            };
            let x25519 = ahead.take_x25519(rng)?;
            let mut public = Vec::with_capacity(MLKEM768_ENCAPSULATION_KEY_LEN + X25519_LEN);
            public.extend_from_slice(mlkem.public_key().as_slice());
            public.extend_from_slice(x25519.public());
            return Ok(Self {
                group,
                private: Private::Hybrid { mlkem, x25519 },
                public,
                x25519_too: false,
            });
        }
        let key = match group {
            NamedGroup::X25519 => ahead.take_x25519(rng)?,
            _ => EphemeralKey::generate(rng, group)?,
        };
        Ok(Self {
            group,
            public: key.public().to_vec(),
            private: Private::Ecdh(key),
            x25519_too: false,
        })
    }

    /// The shares of a ClientHello for `groups`, in their order, one entry each: an x25519
    /// share offered beside an X25519MLKEM768 one is that share's X25519 key. Keys made
    /// `ahead` are used first.
    pub(crate) fn offer(
        rng: &SystemRandom,
        groups: &[NamedGroup],
        ahead: &mut Ahead,
    ) -> Result<Vec<Self>, Error> {
        let mut shares: Vec<Self> = Vec::with_capacity(groups.len());
        for &group in groups {
            if group == NamedGroup::X25519
                && let Some(hybrid) = shares
                    .iter_mut()
                    .find(|s| s.group == NamedGroup::X25519MLKEM768 && !s.x25519_too)
            {
                hybrid.x25519_too = true;
                continue;
            }
            shares.push(Self::generate(rng, group, ahead)?);
        }
        Ok(shares)
    }

    /// The group.
    #[cfg(test)]
    pub(crate) fn group(&self) -> NamedGroup {
        self.group
    }

    /// The `key_exchange` bytes of our `KeyShareEntry` for [`group`](Self::group).
    #[cfg(test)]
    pub(crate) fn public(&self) -> &[u8] {
        &self.public
    }

    /// The `KeyShareEntry`s this share is sent as: its group and `key_exchange` bytes, and
    /// the x25519 entry it stands for too.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (NamedGroup, &[u8])> {
        let component = self.x25519_too.then(|| {
            (
                NamedGroup::X25519,
                &self.public[MLKEM768_ENCAPSULATION_KEY_LEN..],
            )
        });
        std::iter::once((self.group, self.public.as_slice())).chain(component)
    }

    /// Whether this share was sent for `group`.
    pub(crate) fn offers(&self, group: NamedGroup) -> bool {
        self.entries().any(|(g, _)| g == group)
    }

    /// The shared secret with the server's `key_exchange` bytes in `group`, one this share
    /// [`offers`](Self::offers) (the (EC)DHE input of the key schedule, RFC 8446 §7.1).
    pub(crate) fn finish(self, group: NamedGroup, server_share: &[u8]) -> Result<Vec<u8>, Error> {
        match self.private {
            Private::Ecdh(key) if group == self.group => key.agree(server_share),
            Private::Hybrid { x25519, .. } if group == NamedGroup::X25519 && self.x25519_too => {
                x25519.agree(server_share)
            }
            Private::Hybrid { mlkem, x25519 } if group == self.group => {
                if server_share.len() != MLKEM768_CIPHERTEXT_LEN + X25519_LEN {
                    return Err(BAD_SHARE);
                }
                let (ct, x_public) = server_share.split_at(MLKEM768_CIPHERTEXT_LEN);
                let ct = MlKem768Ciphertext::try_from(ct).map_err(|_| BAD_SHARE)?;
                // FIPS 203 §7.3: decapsulation never fails (implicit rejection).
                let mut shared = Vec::with_capacity(MLKEM_SHARED_LEN + X25519_LEN);
                shared.extend_from_slice(&mlkem768::decapsulate(mlkem.private_key(), &ct));
                shared.extend_from_slice(&x25519.agree(x_public)?);
                Ok(shared)
            }
            _ => Err(Error::IllegalParameter(Parameter::KeyShare)),
        }
    }
}

/// The server's side of a key exchange once its share is made: the ML-KEM-768 secret
/// (encapsulation made the ciphertext the share carries) and the ECDH still to do. The
/// share goes out in the ServerHello first; the ECDH, which nothing in the ServerHello
/// needs, runs after it (`connection/tls13/server.rs`).
pub(crate) struct Answer {
    mlkem_shared: Option<Vec<u8>>,
    key: EphemeralKey,
    peer_public: Vec<u8>,
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secrets stay out of logs.
        f.debug_struct("Answer")
            .field("group", &self.key.group())
            .finish_non_exhaustive()
    }
}

impl Answer {
    /// The shared secret: the ECDH with the client's public key, after the ML-KEM secret
    /// for X25519MLKEM768 (draft-ietf-tls-ecdhe-mlkem §4.3). A public key that is not a
    /// valid point fails here.
    pub(crate) fn shared_secret(self) -> Result<Vec<u8>, Error> {
        let ecdh = self.key.agree(&self.peer_public)?;
        match self.mlkem_shared {
            Some(mut shared) => {
                shared.extend_from_slice(&ecdh);
                Ok(shared)
            }
            None => Ok(ecdh),
        }
    }
}

/// The server's side: answers the client's `key_exchange` bytes in `group` with our share
/// and what the shared secret still needs ([`Answer::shared_secret`]). `x25519` is an
/// X25519 key made ahead (used for x25519 and the X25519 half of X25519MLKEM768; a fresh
/// one is made without it).
pub(crate) fn answer(
    rng: &SystemRandom,
    group: NamedGroup,
    client_share: &[u8],
    x25519: Option<EphemeralKey>,
) -> Result<(Vec<u8>, Answer), Error> {
    let x25519_key = |ahead: Option<EphemeralKey>| match ahead {
        Some(key) => Ok(key),
        None => EphemeralKey::generate(rng, NamedGroup::X25519),
    };
    if group != NamedGroup::X25519MLKEM768 {
        let key = match group {
            NamedGroup::X25519 => x25519_key(x25519)?,
            _ => EphemeralKey::generate(rng, group)?,
        };
        let public = key.public().to_vec();
        let answer = Answer {
            mlkem_shared: None,
            key,
            peer_public: client_share.to_vec(),
        };
        return Ok((public, answer));
    }
    if client_share.len() != MLKEM768_ENCAPSULATION_KEY_LEN + X25519_LEN {
        return Err(BAD_SHARE);
    }
    let (ek, x_public) = client_share.split_at(MLKEM768_ENCAPSULATION_KEY_LEN);
    let ek = MlKem768PublicKey::try_from(ek).map_err(|_| BAD_SHARE)?;
    // FIPS 203 §7.2: the type and modulus checks of the encapsulation key.
    if !mlkem768::validate_public_key(&ek) {
        return Err(BAD_SHARE);
    }
    // FIPS 203 §7.2 ML-KEM.Encaps with fresh randomness m.
    let (ct, mlkem_shared) = mlkem768::encapsulate(&ek, random::<32>(rng)?);
    let x25519 = x25519_key(x25519)?;
    let mut share = Vec::with_capacity(MLKEM768_CIPHERTEXT_LEN + X25519_LEN);
    share.extend_from_slice(ct.as_slice());
    share.extend_from_slice(x25519.public());
    let mut shared = Vec::with_capacity(MLKEM_SHARED_LEN + X25519_LEN);
    shared.extend_from_slice(&mlkem_shared);
    let answer = Answer {
        mlkem_shared: Some(shared),
        key: x25519,
        peer_public: x_public.to_vec(),
    };
    Ok((share, answer))
}

/// [`answer`] and its shared secret at once: `(server share, shared secret)`.
#[cfg(test)]
pub(crate) fn respond(
    rng: &SystemRandom,
    group: NamedGroup,
    client_share: &[u8],
    x25519: Option<EphemeralKey>,
) -> Result<(Vec<u8>, Vec<u8>), Error> {
    let (share, answer) = self::answer(rng, group, client_share, x25519)?;
    Ok((share, answer.shared_secret()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys made ahead are the ones a ClientHello's shares carry, each used once: the
    /// hybrid share is the prepared ML-KEM key and X25519 key, the x25519 share beside it
    /// that same X25519 key; a second offer makes fresh ones.
    #[test]
    fn an_offer_uses_the_keys_made_ahead_once() {
        let rng = SystemRandom::new();
        let mut ahead = Ahead::default();
        ahead.make_x25519(&rng);
        ahead.make_mlkem(&rng);
        let x_public = ahead.x25519.as_ref().unwrap().public().to_vec();
        let ek = ahead
            .mlkem
            .as_ref()
            .unwrap()
            .public_key()
            .as_slice()
            .to_vec();
        let groups = [NamedGroup::X25519MLKEM768, NamedGroup::X25519];
        let shares = ClientKeyShare::offer(&rng, &groups, &mut ahead).unwrap();
        assert_eq!(shares.len(), 1);
        let entries: Vec<(NamedGroup, Vec<u8>)> =
            shares[0].entries().map(|(g, b)| (g, b.to_vec())).collect();
        assert_eq!(entries[0].1, [ek.as_slice(), x_public.as_slice()].concat());
        assert_eq!(entries[1], (NamedGroup::X25519, x_public.clone()));
        assert!(ahead.x25519.is_none() && ahead.mlkem.is_none(), "taken");
        let again = ClientKeyShare::offer(&rng, &groups, &mut ahead).unwrap();
        assert_ne!(again[0].public()[..ek.len()], ek[..]);
        assert_ne!(again[0].public()[ek.len()..], x_public[..]);
    }
    use ml_kem::array::Array;
    use ml_kem::{Decapsulate, DecapsulationKey768, EncapsulationKey768, KeyExport, MlKem768};

    const HYBRID_CLIENT_LEN: usize = MLKEM768_ENCAPSULATION_KEY_LEN + X25519_LEN;
    const HYBRID_SERVER_LEN: usize = MLKEM768_CIPHERTEXT_LEN + X25519_LEN;

    #[test]
    fn both_sides_agree_in_every_group() {
        let rng = SystemRandom::new();
        for (group, client_len, server_len, shared_len) in [
            (
                NamedGroup::X25519MLKEM768,
                HYBRID_CLIENT_LEN,
                HYBRID_SERVER_LEN,
                64,
            ),
            (NamedGroup::X25519, 32, 32, 32),
            (NamedGroup::SECP256R1, 65, 65, 32),
        ] {
            assert!(NamedGroup::SUPPORTED_TLS13.contains(&group));
            let client = ClientKeyShare::generate(&rng, group, &mut Ahead::default()).unwrap();
            assert_eq!(client.group(), group);
            assert_eq!(client.public().len(), client_len, "{group}");
            let (server_share, server_secret) =
                respond(&rng, group, client.public(), None).unwrap();
            assert_eq!(server_share.len(), server_len, "{group}");
            let client_secret = client.finish(group, &server_share).unwrap();
            assert_eq!(client_secret, server_secret, "{group}");
            assert_eq!(client_secret.len(), shared_len, "{group}");
        }
    }

    #[test]
    fn refuses_wrong_lengths_and_garbage() {
        let rng = SystemRandom::new();
        for group in NamedGroup::SUPPORTED_TLS13 {
            let good = ClientKeyShare::generate(&rng, group, &mut Ahead::default()).unwrap();
            let len = good.public().len();
            for bad in [&[][..], &good.public()[..len - 1], &[0xff; 1300][..]] {
                assert_eq!(
                    respond(&rng, group, bad, None).unwrap_err(),
                    BAD_SHARE,
                    "{group}"
                );
            }
            let (server, _) = respond(&rng, group, good.public(), None).unwrap();
            for cut in [0, 1, server.len() - 1] {
                let c = ClientKeyShare::generate(&rng, group, &mut Ahead::default()).unwrap();
                assert_eq!(
                    c.finish(group, &server[..cut]).unwrap_err(),
                    BAD_SHARE,
                    "{group} {cut}"
                );
            }
            let c = ClientKeyShare::generate(&rng, group, &mut Ahead::default()).unwrap();
            let mut long = server.clone();
            long.push(0);
            assert_eq!(c.finish(group, &long).unwrap_err(), BAD_SHARE, "{group}");
        }
        assert_eq!(
            ClientKeyShare::generate(&rng, NamedGroup::X448, &mut Ahead::default()).unwrap_err(),
            Error::NoCommonGroup
        );
        assert_eq!(
            respond(&rng, NamedGroup(0x0200), &[0; 32], None).unwrap_err(),
            Error::NoCommonGroup
        );
    }

    #[test]
    fn refuses_an_encapsulation_key_out_of_range() {
        // FIPS 203 §7.2 modulus check: coefficient 0xfff ≥ q = 3329 in the first 12 bits.
        let rng = SystemRandom::new();
        let good =
            ClientKeyShare::generate(&rng, NamedGroup::X25519MLKEM768, &mut Ahead::default())
                .unwrap();
        let mut bad = good.public().to_vec();
        bad[0] = 0xff;
        bad[1] |= 0x0f;
        assert_eq!(
            respond(&rng, NamedGroup::X25519MLKEM768, &bad, None).unwrap_err(),
            BAD_SHARE
        );
    }

    #[test]
    fn refuses_all_zero_x25519_results() {
        // A small-order point (here 0) gives an all-zero X25519 secret (RFC 8446 §7.4.2).
        let rng = SystemRandom::new();
        let zero = [0u8; 32];
        assert_eq!(
            respond(&rng, NamedGroup::X25519, &zero, None).unwrap_err(),
            BAD_SHARE
        );
        let good =
            ClientKeyShare::generate(&rng, NamedGroup::X25519MLKEM768, &mut Ahead::default())
                .unwrap();
        let mut hybrid = good.public().to_vec();
        hybrid[MLKEM768_ENCAPSULATION_KEY_LEN..].fill(0);
        assert_eq!(
            respond(&rng, NamedGroup::X25519MLKEM768, &hybrid, None).unwrap_err(),
            BAD_SHARE
        );
        let (mut server, _) =
            respond(&rng, NamedGroup::X25519MLKEM768, good.public(), None).unwrap();
        server[MLKEM768_CIPHERTEXT_LEN..].fill(0);
        assert_eq!(
            good.finish(NamedGroup::X25519MLKEM768, &server)
                .unwrap_err(),
            BAD_SHARE
        );
    }

    /// An x25519 share offered beside X25519MLKEM768 is the hybrid's X25519 key: one
    /// entry each on the wire, either group completes, and a group not offered is refused.
    #[test]
    fn the_x25519_share_beside_the_hybrid_is_its_x25519_key() {
        let rng = SystemRandom::new();
        let groups = [NamedGroup::X25519MLKEM768, NamedGroup::X25519];
        let offer = || ClientKeyShare::offer(&rng, &groups, &mut Ahead::default()).unwrap();
        let shares = offer();
        assert_eq!(shares.len(), 1);
        let entries: Vec<_> = shares[0].entries().collect();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].0, NamedGroup::X25519MLKEM768);
        assert_eq!(entries[0].1.len(), HYBRID_CLIENT_LEN);
        assert_eq!(entries[1].0, NamedGroup::X25519);
        assert_eq!(
            entries[1].1,
            &entries[0].1[MLKEM768_ENCAPSULATION_KEY_LEN..]
        );
        for group in groups {
            let mut shares = offer();
            let public = shares[0]
                .entries()
                .find(|(g, _)| *g == group)
                .unwrap()
                .1
                .to_vec();
            let (server, server_secret) = respond(&rng, group, &public, None).unwrap();
            let share = shares.remove(0);
            assert!(share.offers(group));
            assert_eq!(
                share.finish(group, &server).unwrap(),
                server_secret,
                "{group}"
            );
        }
        let share = offer().remove(0);
        assert!(!share.offers(NamedGroup::SECP256R1));
        let p256 =
            ClientKeyShare::generate(&rng, NamedGroup::SECP256R1, &mut Ahead::default()).unwrap();
        let (server, _) = respond(&rng, NamedGroup::SECP256R1, p256.public(), None).unwrap();
        assert_eq!(
            share.finish(NamedGroup::SECP256R1, &server).unwrap_err(),
            Error::IllegalParameter(Parameter::KeyShare)
        );
        // Alone, or after another group, each group gets its own key.
        let apart = ClientKeyShare::offer(
            &rng,
            &[NamedGroup::X25519, NamedGroup::X25519MLKEM768],
            &mut Ahead::default(),
        );
        assert_eq!(apart.unwrap().len(), 2);
        let x = ClientKeyShare::offer(
            &rng,
            &[NamedGroup::X25519, NamedGroup::SECP256R1],
            &mut Ahead::default(),
        );
        assert_eq!(x.unwrap().len(), 2);
    }

    /// A server's X25519 key made ahead is the one its share carries, in both groups that
    /// use X25519; P-256 makes its own.
    #[test]
    fn the_server_answers_with_its_key_made_ahead() {
        let rng = SystemRandom::new();
        for group in [NamedGroup::X25519MLKEM768, NamedGroup::X25519] {
            let ahead = EphemeralKey::generate(&rng, NamedGroup::X25519).unwrap();
            let public = ahead.public().to_vec();
            let client = ClientKeyShare::generate(&rng, group, &mut Ahead::default()).unwrap();
            let (server, secret) = respond(&rng, group, client.public(), Some(ahead)).unwrap();
            assert_eq!(&server[server.len() - X25519_LEN..], &public[..], "{group}");
            assert_eq!(client.finish(group, &server).unwrap(), secret, "{group}");
        }
        let ahead = EphemeralKey::generate(&rng, NamedGroup::X25519).unwrap();
        let client =
            ClientKeyShare::generate(&rng, NamedGroup::SECP256R1, &mut Ahead::default()).unwrap();
        let (server, secret) =
            respond(&rng, NamedGroup::SECP256R1, client.public(), Some(ahead)).unwrap();
        assert_eq!(server.len(), 65);
        assert_eq!(
            client.finish(NamedGroup::SECP256R1, &server).unwrap(),
            secret
        );
    }

    /// Our client (libcrux) with a server whose ML-KEM encapsulation is RustCrypto's
    /// `ml-kem`, an independent implementation.
    #[test]
    fn ml_kem_encapsulates_to_our_key() {
        let rng = SystemRandom::new();
        for _ in 0..4 {
            let client =
                ClientKeyShare::generate(&rng, NamedGroup::X25519MLKEM768, &mut Ahead::default())
                    .unwrap();
            let (ek, client_x) = client.public().split_at(MLKEM768_ENCAPSULATION_KEY_LEN);
            let ek = EncapsulationKey768::new(&Array::try_from(ek).unwrap()).unwrap();
            let (ct, other_secret) =
                ek.encapsulate_deterministic(&Array::from(random::<32>(&rng).unwrap()));
            let server_x = EphemeralKey::generate(&rng, NamedGroup::X25519).unwrap();
            let mut server_share = ct.to_vec();
            server_share.extend_from_slice(server_x.public());
            let x_secret = server_x.agree(client_x).unwrap();
            let ours = client
                .finish(NamedGroup::X25519MLKEM768, &server_share)
                .unwrap();
            assert_eq!(&ours[..32], &other_secret[..]);
            assert_eq!(&ours[32..], &x_secret[..]);
        }
    }

    /// RustCrypto's `ml-kem` key with our server (libcrux encapsulation), decapsulated by
    /// `ml-kem`.
    #[test]
    fn ml_kem_decapsulates_our_encapsulation() {
        let rng = SystemRandom::new();
        for _ in 0..4 {
            let dk = DecapsulationKey768::from_seed(Array::from(random::<64>(&rng).unwrap()));
            let client_x = EphemeralKey::generate(&rng, NamedGroup::X25519).unwrap();
            let mut client_share = dk.encapsulation_key().to_bytes().to_vec();
            client_share.extend_from_slice(client_x.public());
            let (server_share, ours) =
                respond(&rng, NamedGroup::X25519MLKEM768, &client_share, None).unwrap();
            let (ct, server_x) = server_share.split_at(MLKEM768_CIPHERTEXT_LEN);
            let ct = ml_kem::Ciphertext::<MlKem768>::try_from(ct).unwrap();
            let other_secret = dk.decapsulate(&ct);
            assert_eq!(&ours[..32], &other_secret[..]);
            assert_eq!(&ours[32..], &client_x.agree(server_x).unwrap()[..]);
        }
    }

    /// Both implementations are FIPS 203's deterministic functions: the same seed gives the
    /// same encapsulation key, the same randomness the same ciphertext and secret.
    #[test]
    fn same_seed_same_keys_as_ml_kem() {
        let rng = SystemRandom::new();
        let seed = random::<64>(&rng).unwrap();
        let theirs = DecapsulationKey768::from_seed(Array::from(seed));
        let ours = mlkem768::generate_key_pair(seed);
        let ek = theirs.encapsulation_key().to_bytes();
        assert_eq!(&ek[..], ours.public_key().as_slice());
        let m = random::<32>(&rng).unwrap();
        let (ct, k) = theirs
            .encapsulation_key()
            .encapsulate_deterministic(&Array::from(m));
        let (ct2, k2) = mlkem768::encapsulate(ours.public_key(), m);
        assert_eq!(&ct[..], ct2.as_slice());
        assert_eq!(&k[..], k2.as_slice());
    }
}
