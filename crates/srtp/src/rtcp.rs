//! SRTCP: protecting and unprotecting RTCP compound packets in place (RFC 3711 §3.4;
//! RFC 7714 §9). The first 8 bytes (header and sender SSRC) stay in the clear; the E flag and
//! 31-bit SRTCP index follow the packet.

use crate::cipher::{Cipher, GCM_TAG_LEN};
use crate::context::Context;
use crate::error::Error;

/// The part of an RTCP packet never encrypted: V/P/RC, PT, length, SSRC (RFC 3711 §3.4).
const CLEAR_LEN: usize = 8;
/// The E flag and SRTCP index word.
const INDEX_LEN: usize = 4;
/// The E flag: the packet is encrypted (RFC 3711 §3.4).
const E_FLAG: u32 = 0x8000_0000;
/// The largest SRTCP index (31 bits).
const MAX_INDEX: u32 = 0x7fff_ffff;

fn check_header(packet: &[u8]) -> Result<u32, Error> {
    // RFC 3550 §6.4.1: version 2.
    if packet[0] >> 6 != 2 {
        return Err(Error::MalformedHeader);
    }
    Ok(u32::from_be_bytes([
        packet[4], packet[5], packet[6], packet[7],
    ]))
}

impl Context {
    /// Protects the RTCP compound packet in `buf[..len]` in place and returns the SRTCP
    /// packet's length.
    ///
    /// Everything after the first 8 bytes is encrypted, then the E flag and SRTCP index and
    /// the tag are appended, so `buf` must hold `len + profile.rtcp_overhead()` bytes. The
    /// SRTCP index of each SSRC starts at 0 (RFC 3711 §3.3.2). On error nothing has changed.
    #[inline]
    pub fn protect_rtcp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, Error> {
        let tag_len = self.profile.rtcp_tag_len();
        let needed = len + INDEX_LEN + tag_len;
        if buf.len() < needed {
            return Err(Error::BufferTooSmall { needed });
        }
        if len < CLEAR_LEN {
            return Err(Error::TooShort { len });
        }
        let ssrc = check_header(buf)?;
        self.streams.has_room_for(ssrc)?;
        let index = self.streams.get(ssrc).map_or(0, |s| s.rtcp_next);
        if index > MAX_INDEX {
            return Err(Error::IndexExhausted);
        }
        let trailer = (E_FLAG | index).to_be_bytes();
        match &self.rtcp {
            Cipher::Cm(cm) => {
                cm.apply_keystream(ssrc, u64::from(index), &mut buf[CLEAR_LEN..len]);
                buf[len..len + INDEX_LEN].copy_from_slice(&trailer);
                // RFC 3711 §3.4: the tag covers the packet and the E flag and index.
                let (packet, tag) = buf[..needed].split_at_mut(len + INDEX_LEN);
                cm.tag(packet, &[], tag);
            }
            Cipher::Gcm(gcm) => {
                // RFC 7714 §9.2: AAD = the first 8 bytes || E flag and index.
                let mut aad = [0u8; CLEAR_LEN + INDEX_LEN];
                aad[..CLEAR_LEN].copy_from_slice(&buf[..CLEAR_LEN]);
                aad[CLEAR_LEN..].copy_from_slice(&trailer);
                let nonce = gcm.nonce(ssrc, u64::from(index));
                let (packet, rest) = buf[..needed].split_at_mut(len);
                let (tag, word) = rest.split_at_mut(GCM_TAG_LEN);
                gcm.seal(nonce, &aad, &mut packet[CLEAR_LEN..], tag);
                // RFC 7714 §9: the index word follows the tag.
                word.copy_from_slice(&trailer);
            }
        }
        self.streams.get_or_create(ssrc)?.rtcp_next = index + 1;
        Ok(needed)
    }

    /// Unprotects the SRTCP packet `buf` in place and returns the RTCP packet's length.
    ///
    /// Packets with the E flag clear (authenticated, not encrypted) are accepted too. On
    /// error the context is unchanged; for the AEAD profiles the bytes after the first 8 are
    /// then unspecified.
    #[inline]
    pub fn unprotect_rtcp(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        let len = buf.len();
        let tag_len = self.profile.rtcp_tag_len();
        if len < CLEAR_LEN + INDEX_LEN + tag_len {
            return Err(Error::TooShort { len });
        }
        let ssrc = check_header(buf)?;
        let plain_len = len - INDEX_LEN - tag_len;
        // Counter mode: packet || E+index || tag. GCM: packet || tag || E+index.
        let word_at = if self.profile.is_aead() {
            len - INDEX_LEN
        } else {
            plain_len
        };
        let word = u32::from_be_bytes([
            buf[word_at],
            buf[word_at + 1],
            buf[word_at + 2],
            buf[word_at + 3],
        ]);
        let encrypted = word & E_FLAG != 0;
        let index = word & MAX_INDEX;
        if let Some(stream) = self.streams.get(ssrc) {
            stream.rtcp_received.check(u64::from(index))?;
        }
        match &self.rtcp {
            Cipher::Cm(cm) => {
                let (packet, tag) = buf.split_at_mut(len - tag_len);
                cm.verify(packet, &[], tag)?;
                self.streams.has_room_for(ssrc)?;
                if encrypted {
                    cm.apply_keystream(ssrc, u64::from(index), &mut packet[CLEAR_LEN..plain_len]);
                }
            }
            Cipher::Gcm(gcm) => {
                let nonce = gcm.nonce(ssrc, u64::from(index));
                if encrypted {
                    let mut aad = [0u8; CLEAR_LEN + INDEX_LEN];
                    aad[..CLEAR_LEN].copy_from_slice(&buf[..CLEAR_LEN]);
                    aad[CLEAR_LEN..].copy_from_slice(&word.to_be_bytes());
                    gcm.open(nonce, &aad, &mut buf[CLEAR_LEN..len - INDEX_LEN])?;
                } else {
                    // RFC 7714 §9.2: unencrypted, the whole packet and the index word are the
                    // AAD and the plaintext is empty. Move the word before the tag to make the
                    // AAD contiguous.
                    buf[plain_len..].rotate_right(INDEX_LEN);
                    let (aad, tag) = buf.split_at_mut(len - GCM_TAG_LEN);
                    if let Err(e) = gcm.open(nonce, aad, tag) {
                        buf[plain_len..].rotate_left(INDEX_LEN);
                        return Err(e);
                    }
                }
                self.streams.has_room_for(ssrc)?;
            }
        }
        self.streams
            .get_or_create(ssrc)?
            .rtcp_received
            .accept(u64::from(index));
        Ok(plain_len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::Config;
    use crate::profile::{MasterKey, Profile};

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s.replace([' ', '\n'], "")).unwrap()
    }

    /// RFC 7714 §17.1 (AEAD_AES_128_GCM) and §17.2 (AEAD_AES_256_GCM): SRTCP with index 0x5d4.
    #[test]
    fn rfc7714_srtcp_vectors() {
        let plain = h(
            "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61
                       deadbeef deadbeef deadbeef deadbeef deadbeef",
        );
        let cases = [
            (
                Profile::AeadAes128Gcm,
                h("000102030405060708090a0b0c0d0e0f"),
                h(
                    "81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d
                   c676a5f1 730d6fda 4ce09b46 86303ded 0bb9275b c84aa458 96cf4d2f c5abf872
                   45d9eade 800005d4",
                ),
            ),
            (
                Profile::AeadAes256Gcm,
                h("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"),
                h(
                    "81c8000d 4d617273 d50ae4d1 f5ce5d30 4ba297e4 7d470c28 2c3ece5d bffe0a50
                   a2eaa5c1 110555be 8415f658 c61de047 6f1b6fad 1d1eb30c 4446839f 57ff6f6c
                   b26ac3be 800005d4",
                ),
            ),
        ];
        for (profile, key, expected) in cases {
            let mut tx = crate::context::rfc7714_context(profile, &key);
            tx.streams.get_or_create(0x4d61_7273).unwrap().rtcp_next = 0x5d4;
            let mut buf = plain.clone();
            buf.resize(plain.len() + 20, 0);
            let n = tx.protect_rtcp(&mut buf, plain.len()).unwrap();
            assert_eq!(buf[..n], expected[..], "{profile:?} protect");
            let mut rx = crate::context::rfc7714_context(profile, &key);
            assert_eq!(rx.unprotect_rtcp(&mut buf).unwrap(), plain.len());
            assert_eq!(buf[..plain.len()], plain[..], "{profile:?} unprotect");
            let mut again = expected.clone();
            assert_eq!(
                rx.unprotect_rtcp(&mut again),
                Err(Error::Replayed { index: 0x5d4 })
            );
        }
    }

    fn pair(profile: Profile) -> (Context, Context) {
        let key = vec![0x5a; profile.master_key_len()];
        let salt = vec![0xa5; profile.master_salt_len()];
        let master = MasterKey {
            key: &key,
            salt: &salt,
        };
        let c = Config::default();
        (
            Context::new(profile, master.clone(), &c).unwrap(),
            Context::new(profile, master, &c).unwrap(),
        )
    }

    #[test]
    fn round_trip_every_profile() {
        let rr = h("81c90007 00000001 00000002 00000000 00000000 00000000 00000000 00000000");
        for profile in Profile::ALL {
            let (mut tx, mut rx) = pair(profile);
            for index in 0..3u64 {
                let mut buf = rr.clone();
                buf.resize(rr.len() + profile.rtcp_overhead(), 0);
                let n = tx.protect_rtcp(&mut buf, rr.len()).unwrap();
                assert_eq!(n, rr.len() + profile.rtcp_overhead());
                assert_eq!(buf[..8], rr[..8]);
                let copy = buf.clone();
                let mut tampered = buf.clone();
                tampered[10] ^= 1;
                assert_eq!(
                    rx.unprotect_rtcp(&mut tampered),
                    Err(Error::AuthenticationFailed)
                );
                assert_eq!(rx.unprotect_rtcp(&mut buf).unwrap(), rr.len());
                assert_eq!(buf[..rr.len()], rr[..], "{profile:?}");
                let mut again = copy;
                assert_eq!(
                    rx.unprotect_rtcp(&mut again),
                    Err(Error::Replayed { index })
                );
            }
        }
    }

    /// E = 0: authenticated only. Made by hand for counter mode (RFC 3711 §3.4) and by the
    /// same AEAD call with an empty plaintext for GCM (RFC 7714 §9.2).
    #[test]
    fn unencrypted_srtcp_is_accepted() {
        let rr = h("81c90007 00000001 00000002 00000000 00000000 00000000 00000000 00000000");
        for profile in Profile::ALL {
            let (tx, mut rx) = pair(profile);
            let word = 7u32.to_be_bytes();
            let mut buf = rr.clone();
            match &tx.rtcp {
                Cipher::Cm(cm) => {
                    buf.extend_from_slice(&word);
                    let mut tag = [0u8; 10];
                    cm.tag(&buf, &[], &mut tag);
                    buf.extend_from_slice(&tag);
                }
                Cipher::Gcm(gcm) => {
                    let mut aad = buf.clone();
                    aad.extend_from_slice(&word);
                    let mut tag = [0u8; GCM_TAG_LEN];
                    gcm.seal(gcm.nonce(1, 7), &aad, &mut [], &mut tag);
                    buf.extend_from_slice(&tag);
                    buf.extend_from_slice(&word);
                }
            }
            assert_eq!(
                rx.unprotect_rtcp(&mut buf).unwrap(),
                rr.len(),
                "{profile:?}"
            );
            assert_eq!(buf[..rr.len()], rr[..]);
        }
    }

    #[test]
    fn short_and_malformed() {
        let (mut tx, mut rx) = pair(Profile::Aes128CmHmacSha1_32);
        let mut b = [0x81u8; 21];
        assert_eq!(rx.unprotect_rtcp(&mut b), Err(Error::TooShort { len: 21 }));
        let mut b = [0x41u8; 40];
        assert_eq!(rx.unprotect_rtcp(&mut b), Err(Error::MalformedHeader));
        let mut b = [0x81u8; 20];
        assert_eq!(
            tx.protect_rtcp(&mut b, 8),
            Err(Error::BufferTooSmall { needed: 22 })
        );
        assert_eq!(tx.protect_rtcp(&mut b, 4), Err(Error::TooShort { len: 4 }));
    }
}
