//! SRTP: protecting and unprotecting RTP packets in place (RFC 3711 §3.1, §3.3; RFC 7714 §8).

use rtp_rs::{RtpReader, RtpReaderError};

use crate::cipher::{Cipher, GCM_TAG_LEN};
use crate::context::Context;
use crate::error::Error;

/// The fixed RTP header (RFC 3550 §5.1).
const FIXED_HEADER_LEN: usize = 12;

/// Where the payload starts: after the CSRC list and the header extension (RFC 3550 §5.1,
/// §5.3.1), as `rtp-rs` reads it.
fn payload_offset(packet: &mut [u8]) -> Result<usize, Error> {
    let first = *packet.first().ok_or(Error::TooShort { len: 0 })?;
    // RFC 3711 §3.1: the padding is encrypted, so the padding length (the last byte) is not
    // readable in an SRTP packet. rtp-rs validates it, so hide the P bit while it reads the
    // header, and put it back.
    let padded = first & 0x20 != 0;
    if padded {
        packet[0] = first & !0x20;
    }
    let offset = RtpReader::new(packet).map(|r| r.payload_offset());
    if padded {
        packet[0] = first;
    }
    offset.map_err(|e| match e {
        RtpReaderError::BufferTooShort(len) => Error::TooShort { len },
        _ => Error::MalformedHeader,
    })
}

fn seq_and_ssrc(packet: &[u8]) -> (u16, u32) {
    // The caller checked the fixed header is present.
    let seq = u16::from_be_bytes([packet[2], packet[3]]);
    let ssrc = u32::from_be_bytes([packet[8], packet[9], packet[10], packet[11]]);
    (seq, ssrc)
}

/// The packet index i = 2^16 * v + SEQ, with v the ROC guessed from the highest index seen
/// (RFC 3711 §3.3.1 and Appendix A). The first packet of a stream has ROC 0.
pub(crate) fn estimate_index(highest: Option<u64>, seq: u16) -> Result<u64, Error> {
    let Some(highest) = highest else {
        return Ok(u64::from(seq));
    };
    let roc = highest >> 16;
    let s_l = (highest & 0xffff) as u16;
    let v = if s_l < 0x8000 {
        if seq > s_l && seq - s_l > 0x8000 {
            // From before the last wrap; with ROC 0 there is none, so take it as ROC 0.
            roc.saturating_sub(1)
        } else {
            roc
        }
    } else if s_l - 0x8000 > seq {
        roc + 1
    } else {
        roc
    };
    // RFC 3711 §3.3.1: the ROC is 32 bits; the 48-bit index must not wrap (§9.2).
    if v > u64::from(u32::MAX) {
        return Err(Error::IndexExhausted);
    }
    Ok(v << 16 | u64::from(seq))
}

/// Encrypts `buf[header_len..len]` and writes the tag at `buf[len..]`.
#[inline]
fn seal(cipher: &Cipher, buf: &mut [u8], header_len: usize, len: usize, ssrc: u32, index: u64) {
    match cipher {
        Cipher::Cm(cm) => {
            cm.apply_keystream(ssrc, index, &mut buf[header_len..len]);
            let roc = ((index >> 16) as u32).to_be_bytes();
            let (packet, tag) = buf.split_at_mut(len);
            // RFC 3711 §4.2: the tag covers the header, the encrypted payload and the ROC.
            cm.tag(packet, &roc, tag);
        }
        Cipher::Gcm(gcm) => {
            // RFC 7714 §8.2: the header is the associated data, the payload the plaintext.
            let (header, rest) = buf.split_at_mut(header_len);
            let (payload, tag) = rest.split_at_mut(len - header_len);
            gcm.seal(gcm.nonce(ssrc, index), header, payload, tag);
        }
    }
}

/// Verifies the tag of `buf` (whose last `tag_len` bytes are the tag), then decrypts.
#[inline]
fn open(
    cipher: &Cipher,
    buf: &mut [u8],
    header_len: usize,
    body_len: usize,
    ssrc: u32,
    index: u64,
) -> Result<(), Error> {
    match cipher {
        Cipher::Cm(cm) => {
            let roc = ((index >> 16) as u32).to_be_bytes();
            let (packet, tag) = buf.split_at_mut(body_len);
            // RFC 3711 §3.3 steps 5 and 6: authenticate first, then decrypt.
            cm.verify(packet, &roc, tag)?;
            cm.apply_keystream(ssrc, index, &mut packet[header_len..]);
        }
        Cipher::Gcm(gcm) => {
            let (header, rest) = buf.split_at_mut(header_len);
            let plain = gcm.open(gcm.nonce(ssrc, index), header, rest)?;
            debug_assert_eq!(plain + GCM_TAG_LEN, rest.len());
        }
    }
    Ok(())
}

impl Context {
    /// Protects the RTP packet in `buf[..len]` in place and returns the SRTP packet's length.
    ///
    /// The payload is encrypted and the tag appended, so `buf` must hold
    /// `len + profile.rtp_overhead()` bytes. The ROC is tracked from the sequence numbers
    /// (RFC 3711 §3.3.1). On error nothing in `buf` or in the context has changed.
    #[inline]
    pub fn protect_rtp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, Error> {
        let needed = len + self.profile.rtp_tag_len();
        if buf.len() < needed {
            return Err(Error::BufferTooSmall { needed });
        }
        if len < FIXED_HEADER_LEN {
            return Err(Error::TooShort { len });
        }
        let buf = &mut buf[..needed];
        let header_len = payload_offset(&mut buf[..len])?;
        let (seq, ssrc) = seq_and_ssrc(buf);
        // One table lookup on the hot path: the stream and the cipher are disjoint fields.
        if let Some(stream) = self.streams.get_mut(ssrc) {
            let index = estimate_index(stream.rtp_sent, seq)?;
            seal(&self.rtp, buf, header_len, len, ssrc, index);
            stream.rtp_sent = Some(stream.rtp_sent.map_or(index, |s| s.max(index)));
        } else {
            self.streams.has_room_for(ssrc)?;
            let index = estimate_index(None, seq)?;
            seal(&self.rtp, buf, header_len, len, ssrc, index);
            self.streams.get_or_create(ssrc)?.rtp_sent = Some(index);
        }
        Ok(needed)
    }

    /// Unprotects the SRTP packet `buf` in place and returns the RTP packet's length (the
    /// header and decrypted payload are `buf[..returned]`).
    ///
    /// In order (RFC 3711 §3.3): estimate the index, check the replay window, verify the tag,
    /// decrypt, and only then update the ROC and the window. On error the context is
    /// unchanged; for the AEAD profiles the payload bytes of `buf` are then unspecified.
    #[inline]
    pub fn unprotect_rtp(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        let len = buf.len();
        let tag_len = self.profile.rtp_tag_len();
        if len < FIXED_HEADER_LEN + tag_len {
            return Err(Error::TooShort { len });
        }
        let body_len = len - tag_len;
        let header_len = payload_offset(&mut buf[..body_len])?;
        let (seq, ssrc) = seq_and_ssrc(buf);
        if let Some(stream) = self.streams.get_mut(ssrc) {
            let index = estimate_index(stream.rtp_received.highest(), seq)?;
            stream.rtp_received.check(index)?;
            open(&self.rtp, buf, header_len, body_len, ssrc, index)?;
            stream.rtp_received.accept(index);
        } else {
            // A new SSRC gets state only once a packet for it authenticated.
            let index = estimate_index(None, seq)?;
            open(&self.rtp, buf, header_len, body_len, ssrc, index)?;
            self.streams.get_or_create(ssrc)?.rtp_received.accept(index);
        }
        Ok(body_len)
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

    #[test]
    fn appendix_a_index_estimation() {
        assert_eq!(estimate_index(None, 7), Ok(7));
        // Plain progress, in ROC 0.
        assert_eq!(estimate_index(Some(100), 101), Ok(101));
        // Wrap forward: s_l near the top, SEQ small.
        assert_eq!(estimate_index(Some(65_530), 3), Ok(65_536 + 3));
        // A late packet from before the wrap.
        assert_eq!(estimate_index(Some(65_536 + 3), 65_534), Ok(65_534));
        // ROC 0 has nothing before it.
        assert_eq!(estimate_index(Some(10), 65_000), Ok(65_000));
        // The index must stay within 48 bits.
        let last = (u64::from(u32::MAX) << 16) | 65_000;
        assert_eq!(estimate_index(Some(last), 2), Err(Error::IndexExhausted));
    }

    const RFC7714_RTP: &str = "8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973
        20646976 69736120 696e2070 61727465 73207472 6573";

    /// RFC 7714 §16.1.1 / §16.1.2 (AEAD_AES_128_GCM) and §16.2.1 / §16.2.2 (AEAD_AES_256_GCM):
    /// session key 00 01 .. and salt "Quid pro quo".
    #[test]
    fn rfc7714_srtp_vectors() {
        let cases = [
            (
                Profile::AeadAes128Gcm,
                h("000102030405060708090a0b0c0d0e0f"),
                h(
                    "8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5
                   0d294e6f 42a5f47a 51c7d19b 36de3adf 8833899d 7f27beb1 6a9152cf 765ee439 0cce",
                ),
            ),
            (
                Profile::AeadAes256Gcm,
                h("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"),
                h(
                    "8040f17b 8041f8d3 5501a0b2 32b1de78 a822fe12 ef9f78fa 332e33aa b1801238
                   9a58e2f3 b50b2a02 76ffae0f 1ba63799 b87b7aa3 db36dfff d6b0f9bb 7878d7a7 6c13",
                ),
            ),
        ];
        let plain = h(RFC7714_RTP);
        for (profile, key, expected) in cases {
            let mut buf = plain.clone();
            buf.resize(plain.len() + 16, 0);
            let n = crate::context::rfc7714_context(profile, &key)
                .protect_rtp(&mut buf, plain.len())
                .unwrap();
            assert_eq!(buf[..n], expected[..], "{profile:?} protect");
            let mut rx = crate::context::rfc7714_context(profile, &key);
            let n = rx.unprotect_rtp(&mut buf).unwrap();
            assert_eq!(buf[..n], plain[..], "{profile:?} unprotect");
            // A flipped ciphertext bit fails and leaves the stream untouched.
            let mut bad = expected.clone();
            bad[20] ^= 1;
            let mut rx = crate::context::rfc7714_context(profile, &key);
            assert_eq!(rx.unprotect_rtp(&mut bad), Err(Error::AuthenticationFailed));
            assert_eq!(rx.stream_count(), 0);
        }
    }

    fn cm_pair(profile: Profile) -> (Context, Context) {
        let master = MasterKey {
            key: &[0x11; 16],
            salt: &[0x22; 14],
        };
        let c = Config::default();
        (
            Context::new(profile, master.clone(), &c).unwrap(),
            Context::new(profile, master, &c).unwrap(),
        )
    }

    fn packet(seq: u16, payload: &[u8], extra: usize) -> (Vec<u8>, usize) {
        let mut p = vec![0x80, 0x6f];
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&[0, 0, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef]);
        p.extend_from_slice(payload);
        let len = p.len();
        p.resize(len + extra, 0);
        (p, len)
    }

    #[test]
    fn counter_mode_round_trip_replay_and_tamper() {
        for profile in [Profile::Aes128CmHmacSha1_80, Profile::Aes128CmHmacSha1_32] {
            let (mut tx, mut rx) = cm_pair(profile);
            let (mut p, len) = packet(65_535, b"hello", profile.rtp_overhead());
            let n = tx.protect_rtp(&mut p, len).unwrap();
            assert_eq!(n, len + profile.rtp_tag_len());
            assert_ne!(&p[12..17], b"hello");
            let copy = p.clone();
            assert_eq!(rx.unprotect_rtp(&mut p).unwrap(), len);
            assert_eq!(&p[12..17], b"hello");
            let mut again = copy.clone();
            assert_eq!(
                rx.unprotect_rtp(&mut again),
                Err(Error::Replayed { index: 65_535 })
            );
            // The next one wraps to ROC 1.
            let (mut p, len) = packet(0, b"world", profile.rtp_overhead());
            tx.protect_rtp(&mut p, len).unwrap();
            let mut bad = p.clone();
            bad[14] ^= 0x40;
            assert_eq!(rx.unprotect_rtp(&mut bad), Err(Error::AuthenticationFailed));
            assert_eq!(rx.rollover_counter(0xdeadbeef), Some(0));
            assert_eq!(rx.unprotect_rtp(&mut p).unwrap(), len);
            assert_eq!(&p[12..17], b"world");
            assert_eq!(rx.rollover_counter(0xdeadbeef), Some(1));
        }
    }

    #[test]
    fn header_extension_csrc_and_padding_stay_in_the_clear() {
        let (mut tx, mut rx) = cm_pair(Profile::Aes128CmHmacSha1_80);
        // P and X set, one CSRC, a one-word 0xBEDE extension, payload with 3 bytes of padding.
        let mut p = vec![0xb1, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9, 0, 0, 0, 7];
        p.extend_from_slice(&[0xbe, 0xde, 0, 1, 0x10, 0xaa, 0, 0]);
        p.extend_from_slice(&[1, 2, 3, 4, 5, 0, 0, 3]);
        let plain = p.clone();
        let len = p.len();
        p.resize(len + 10, 0);
        tx.protect_rtp(&mut p, len).unwrap();
        assert_eq!(p[..24], plain[..24]);
        assert_ne!(p[24..len], plain[24..]);
        assert_eq!(rx.unprotect_rtp(&mut p).unwrap(), len);
        assert_eq!(p[..len], plain[..]);
    }

    #[test]
    fn malformed_and_short_packets() {
        let (mut tx, mut rx) = cm_pair(Profile::Aes128CmHmacSha1_80);
        let mut small = [0x80u8; 15];
        assert_eq!(
            rx.unprotect_rtp(&mut small),
            Err(Error::TooShort { len: 15 })
        );
        let (mut p, len) = packet(1, b"x", 0);
        assert_eq!(
            tx.protect_rtp(&mut p, len),
            Err(Error::BufferTooSmall { needed: len + 10 })
        );
        let (mut p, _) = packet(1, &[0; 20], 0);
        p[0] = 0x40;
        assert_eq!(rx.unprotect_rtp(&mut p), Err(Error::MalformedHeader));
        // An extension that claims more than there is.
        let (mut p, _) = packet(1, &[0xbe, 0xde, 0x00, 0x40, 0, 0, 0, 0, 0, 0, 0, 0], 0);
        p[0] = 0x90;
        assert_eq!(rx.unprotect_rtp(&mut p), Err(Error::MalformedHeader));
    }

    #[test]
    fn stream_table_is_bounded_and_only_authentic_packets_make_state() {
        let master = MasterKey {
            key: &[3; 16],
            salt: &[4; 12],
        };
        let cfg = Config::default().with_max_streams(1);
        let mut tx =
            Context::new(Profile::AeadAes128Gcm, master.clone(), &Config::default()).unwrap();
        let mut rx = Context::new(Profile::AeadAes128Gcm, master, &cfg).unwrap();
        let mut junk = vec![0x80; 60];
        assert_eq!(
            rx.unprotect_rtp(&mut junk),
            Err(Error::AuthenticationFailed)
        );
        assert_eq!(rx.stream_count(), 0);
        let (mut p, len) = packet(9, b"first", 16);
        tx.protect_rtp(&mut p, len).unwrap();
        rx.unprotect_rtp(&mut p).unwrap();
        let (mut q, len) = packet(10, b"second", 16);
        q[11] = 0xf0;
        tx.protect_rtp(&mut q, len).unwrap();
        assert_eq!(
            rx.unprotect_rtp(&mut q),
            Err(Error::TooManyStreams { max: 1 })
        );
        assert_eq!(rx.stream_count(), 1);
        assert!(rx.remove_stream(0xdeadbeef));
    }
}
