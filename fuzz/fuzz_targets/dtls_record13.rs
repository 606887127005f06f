//! The DTLS 1.3 record layer (unified header, sequence number decryption and reconstruction,
//! replay windows, in-place opening) on arbitrary datagrams, with keys for epochs 2 and 3:
//! never panics, always moves forward inside the datagram, and ranges stay inside it. With
//! the high bit of the first byte set, the datagram is made of genuine records sealed from
//! the input and then corrupted at positions the input gives, so the deprotection paths past
//! the tag check are reached too; what still authenticates must be what was sealed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtcweb_dtls::fuzzing::{BulkCipher, Outcome, RecordPair};

const CIPHERS: [BulkCipher; 3] = [
    BulkCipher::Aes128Gcm,
    BulkCipher::Aes256Gcm,
    BulkCipher::Chacha20Poly1305,
];

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut pair = RecordPair::new(CIPHERS[usize::from(mode) % 3]);
    let mut sealed: Vec<(u64, u8, Vec<u8>)> = Vec::new();
    let mut datagram = Vec::new();
    if mode & 0x80 == 0 {
        datagram.extend_from_slice(rest);
    } else {
        // [count] then per record [epoch selector, type, len] + content; then [pos, xor] pairs.
        let mut input = rest;
        let count = input.first().map_or(0, |c| c % 5);
        input = input.get(1..).unwrap_or_default();
        for _ in 0..count {
            let [sel, ty, len, tail @ ..] = input else {
                break;
            };
            let epoch = [0, 2, 3][usize::from(*sel) % 3];
            let len = usize::from(*len).min(tail.len());
            let (content, tail) = tail.split_at(len);
            if pair.seal(epoch, *ty, content, &mut datagram) {
                sealed.push((epoch, *ty, content.to_vec()));
            }
            input = tail;
        }
        for flip in input.chunks_exact(2) {
            if !datagram.is_empty() {
                let at = usize::from(flip[0]) % datagram.len();
                datagram[at] ^= flip[1];
            }
        }
    }
    let original = datagram.clone();
    let mut at = 0;
    let mut records = 0;
    loop {
        let next = match pair.read(&mut datagram, at) {
            Outcome::End | Outcome::Malformed => break,
            Outcome::Plaintext { fragment, next, .. } => {
                assert!(fragment.start >= at && fragment.end == next);
                next
            }
            Outcome::Protected {
                epoch,
                content_type,
                plaintext,
                next,
                ..
            } => {
                assert!(epoch == 2 || epoch == 3);
                assert!(plaintext.start > at && plaintext.end < next);
                // Forging a tag is out of reach: a protected record is one we sealed.
                assert!(
                    sealed.iter().any(|(e, ty, content)| *e == epoch
                        && *ty == content_type
                        && content[..] == datagram[plaintext.clone()]),
                    "authenticated a record that was not sealed"
                );
                next
            }
            Outcome::Dropped { next } => next,
        };
        assert!(next > at && next <= datagram.len(), "no progress at {at}");
        assert_eq!(datagram.len(), original.len());
        at = next;
        records += 1;
        assert!(records <= original.len());
    }
});
