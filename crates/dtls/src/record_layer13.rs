//! The DTLS 1.3 record layer (RFC 9147 §4): epochs, sequence numbers, the unified header
//! with encrypted sequence numbers, replay windows and record number reconstruction.
//!
//! - **Writing**: epoch 0 records keep the 13-byte `DTLSPlaintext` header of DTLS 1.2 with
//!   version {254, 253} (RFC 9147 §4); records of epoch 2 and later get a unified header
//!   with a 16-bit sequence number and a length (S=1, L=1, no connection ID: 5 bytes),
//!   then the protected inner plaintext `content || type` without padding (RFC 9147 §4,
//!   RFC 8446 §5.2). Each epoch counts its own sequence numbers from 0 and stops before
//!   2^48 (RFC 9147 §4.2). The keys of epoch 2 stay next to the newest application
//!   epoch's, so a handshake flight can be retransmitted after the application keys arrive
//!   (RFC 9147 §6.1).
//! - **Reading**: [`RecordLayer13::read`] walks the records of a datagram in place. A
//!   unified header's two epoch bits select the installed read epoch with the same low bits
//!   (RFC 9147 §4.2.2: of any four consecutive epochs at most one is kept); its sequence
//!   bytes are decrypted (RFC 9147 §4.2.3), the full sequence number reconstructed as the
//!   value closest to one more than the highest deprotected one (RFC 9147 §4.2.2), checked
//!   against the epoch's replay window (RFC 9147 §4.5.1), then the record is opened and
//!   the content type found after stripping the zero padding (RFC 8446 §5.4). Records that
//!   fail are dropped one by one; the next record of the datagram is still read.
//! - **Epochs kept for reading**: 2 and the two newest others; installing an epoch evicts
//!   any kept epoch with the same two low bits.

use std::ops::Range;

use crate::crypto::record_cipher13::{BadRecord13, RecordProtection13, TAG_LEN};
use crate::error::Error;
use crate::replay::ReplayWindow;
use crate::wire::code_points::ProtocolVersion;
use crate::wire::record::{ContentType, MAX_PLAINTEXT, RECORD_HEADER_LEN, Record, emit_header};
use crate::wire::unified_header::{
    MAX_HEADER_LEN, SEQUENCE_OFFSET, UnifiedHeader, UnifiedHeaderError, is_unified_header,
};

/// Largest sequence number of an epoch: records stop before the 48-bit space wraps
/// (RFC 9147 §4.2).
pub(crate) const MAX_SEQUENCE: u64 = (1 << 48) - 1;

/// The header of the records we write: first byte, 16-bit sequence, 16-bit length.
const WRITE_HEADER_LEN: usize = MAX_HEADER_LEN;

/// Epoch of the handshake traffic keys (RFC 9147 §6.1).
const HANDSHAKE_EPOCH: u64 = 2;

/// Read epochs other than 2 kept at once (the current one and the one before a KeyUpdate).
const KEPT_OTHER_EPOCHS: usize = 2;

/// The content types a `DTLSPlaintext` record may carry here: change_cipher_spec (20) to
/// ack (26) (RFC 9147 §4.1 demultiplexes on these first bytes).
const PLAINTEXT_TYPES: std::ops::RangeInclusive<u8> = 20..=26;

/// A record's full number: epoch and sequence number (RFC 9147 §7: the unit of ACKs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct RecordNumber {
    /// The 64-bit epoch.
    pub(crate) epoch: u64,
    /// The sequence number within the epoch.
    pub(crate) sequence: u64,
}

/// Why a record was dropped (the rest of the datagram is still read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpenError13 {
    /// No read keys for an epoch with its two low bits.
    NoKeys,
    /// Shorter than the 16 bytes of ciphertext sequence number encryption samples, or the
    /// tag does not verify (RFC 9147 §4.5.2: drop silently).
    BadRecord,
    /// Its record number was received before, or is older than the replay window
    /// (RFC 9147 §4.5.1).
    Replayed,
    /// A connection ID is present, but none was negotiated; its length, and so where the
    /// record ends, is unknown: the rest of the datagram is skipped.
    ConnectionId,
    /// The inner plaintext is all zeros: no content type (RFC 8446 §5.4).
    NoContentType,
}

/// One record read from a datagram by [`RecordLayer13::read`]. Ranges index the datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Read {
    /// A `DTLSPlaintext` record (13-byte header), as on the wire; the caller checks its
    /// epoch (0 in DTLS 1.3) and type.
    Plaintext {
        /// Its content type.
        ty: ContentType,
        /// The epoch of its header.
        epoch: u16,
        /// The 48-bit sequence number of its header.
        sequence: u64,
        /// Where the fragment lies.
        fragment: Range<usize>,
        /// Where the next record starts.
        next: usize,
    },
    /// A protected record, authenticated and decrypted in place.
    Protected {
        /// Its epoch and reconstructed sequence number (for ACKs).
        number: RecordNumber,
        /// The inner content type.
        ty: ContentType,
        /// Where the content lies (without content type and padding).
        plaintext: Range<usize>,
        /// Where the next record starts.
        next: usize,
    },
    /// A record that was dropped; reading goes on at `next`.
    Dropped {
        /// Why.
        reason: OpenError13,
        /// Where the next record starts.
        next: usize,
    },
    /// No record left (`at` is the end of the datagram).
    End,
    /// Bytes that are no record: stop reading this datagram.
    Malformed,
}

/// One write epoch: its protection and next sequence number.
#[derive(Debug)]
struct WriteEpoch {
    epoch: u64,
    protection: RecordProtection13,
    next: u64,
}

/// One read epoch: its protection, replay window and highest deprotected sequence number.
#[derive(Debug)]
struct ReadEpoch {
    epoch: u64,
    protection: RecordProtection13,
    replay: ReplayWindow,
    highest: Option<u64>,
}

/// The record layer of one DTLS 1.3 connection: write epochs 0, 2 and the newest
/// application epoch; read epochs 2 and the two newest others.
#[derive(Debug, Default)]
pub(crate) struct RecordLayer13 {
    /// Next epoch-0 sequence number.
    epoch0_next: u64,
    /// Epoch 2.
    write_handshake: Option<WriteEpoch>,
    /// The newest epoch other than 2.
    write_latest: Option<WriteEpoch>,
    /// At most 1 + [`KEPT_OTHER_EPOCHS`] entries, no two with the same low two bits.
    read: Vec<ReadEpoch>,
    /// Records that failed authentication, over all epochs (RFC 9147 §4.5.3 bounds them
    /// per key).
    auth_failures: u64,
}

/// RFC 9147 §4.2.2: the sequence number closest to `expected` (one more than the highest
/// deprotected) whose low `bits` bits are `low`, within 0..=[`MAX_SEQUENCE`]. The same rule
/// as QUIC's packet numbers (RFC 9000 Appendix A.3).
pub(crate) fn reconstruct_sequence(expected: u64, low: u64, bits: u32) -> u64 {
    let window = 1u64 << bits;
    let half = window / 2;
    let candidate = (expected & !(window - 1)) | (low & (window - 1));
    if expected.checked_sub(half).is_some_and(|e| candidate <= e)
        && candidate + window <= MAX_SEQUENCE
    {
        candidate + window
    } else if candidate > expected.saturating_add(half) && candidate >= window {
        candidate - window
    } else {
        candidate
    }
}

impl RecordLayer13 {
    /// A record layer with epoch 0 only.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Overrides the next epoch-0 sequence number (a stateless server answers a ClientHello
    /// with the record sequence number of that ClientHello, as in RFC 6347 §4.2.1).
    pub(crate) fn set_epoch0_sequence(&mut self, sequence: u64) {
        self.epoch0_next = sequence;
    }

    /// Installs the write keys of `epoch` (≥ 1); its sequence numbers restart at 0. Epoch 2
    /// keeps its own slot; any other epoch replaces the previous non-2 one.
    pub(crate) fn install_write(&mut self, epoch: u64, p: RecordProtection13) {
        let state = Some(WriteEpoch {
            epoch,
            protection: p,
            next: 0,
        });
        if epoch == HANDSHAKE_EPOCH {
            self.write_handshake = state;
        } else {
            self.write_latest = state;
        }
    }

    /// Installs the read keys of `epoch` with a fresh replay window. Evicts a kept epoch
    /// with the same two low bits (which the header could not tell apart, RFC 9147 §4.2.2),
    /// then keeps epoch 2 and the two newest others.
    pub(crate) fn install_read(&mut self, epoch: u64, p: RecordProtection13) {
        self.read.retain(|r| r.epoch & 3 != epoch & 3);
        self.read.push(ReadEpoch {
            epoch,
            protection: p,
            replay: ReplayWindow::default(),
            highest: None,
        });
        while self
            .read
            .iter()
            .filter(|r| r.epoch != HANDSHAKE_EPOCH)
            .count()
            > KEPT_OTHER_EPOCHS
        {
            let oldest = self
                .read
                .iter()
                .enumerate()
                .filter(|(_, r)| r.epoch != HANDSHAKE_EPOCH)
                .min_by_key(|(_, r)| r.epoch)
                .map(|(i, _)| i);
            if let Some(i) = oldest {
                self.read.remove(i);
            }
        }
    }

    #[cfg(test)]
    /// Forgets the read keys of `epoch` (e.g. epoch 2 once the handshake is over).
    pub(crate) fn drop_read(&mut self, epoch: u64) {
        self.read.retain(|r| r.epoch != epoch);
    }

    #[cfg(test)]
    /// Whether read keys of `epoch` are installed.
    pub(crate) fn has_read(&self, epoch: u64) -> bool {
        self.read.iter().any(|r| r.epoch == epoch)
    }

    #[cfg(test)]
    /// The next sequence number of write epoch `epoch`, if it has keys (or is 0): a sender
    /// updates its keys well before [`MAX_SEQUENCE`] and the AEAD limits (RFC 9147 §4.5.3).
    pub(crate) fn write_sequence(&self, epoch: u64) -> Option<u64> {
        if epoch == 0 {
            return Some(self.epoch0_next);
        }
        self.write_epoch(epoch).map(|w| w.next)
    }

    #[cfg(test)]
    /// Records that failed authentication so far, over all epochs.
    pub(crate) fn auth_failures(&self) -> u64 {
        self.auth_failures
    }

    /// Bytes a record of `epoch` adds around its content: the 13-byte plaintext header in
    /// epoch 0; the 5-byte unified header, the content type byte and the tag after.
    pub(crate) fn overhead(&self, epoch: u64) -> usize {
        if epoch == 0 {
            RECORD_HEADER_LEN
        } else {
            WRITE_HEADER_LEN + 1 + TAG_LEN
        }
    }

    #[cfg(test)]
    fn write_epoch(&self, epoch: u64) -> Option<&WriteEpoch> {
        [&self.write_handshake, &self.write_latest]
            .into_iter()
            .flatten()
            .find(|w| w.epoch == epoch)
    }

    /// Appends one record of `epoch` carrying `plaintext` as `ty` to `out` and returns its
    /// number. Epoch 0 is written in the clear; other epochs need write keys and a non-zero
    /// content type ([`Error::Crypto`] otherwise). At 2^48 records in an epoch it refuses with
    /// [`Error::Closed`] (RFC 9147 §4.2: never wrap); more than 2^14 bytes is
    /// [`Error::DataTooLong`].
    pub(crate) fn write(
        &mut self,
        epoch: u64,
        ty: ContentType,
        plaintext: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<RecordNumber, Error> {
        if plaintext.len() > MAX_PLAINTEXT {
            return Err(Error::DataTooLong {
                len: plaintext.len(),
            });
        }
        if epoch == 0 {
            let sequence = self.epoch0_next;
            if sequence > MAX_SEQUENCE {
                return Err(Error::Closed);
            }
            self.epoch0_next += 1;
            let at = out.len();
            out.resize(at + RECORD_HEADER_LEN, 0);
            // At most 2^14 bytes (checked above): fits the 16-bit length.
            let len = plaintext.len() as u16;
            emit_header(
                &mut out[at..],
                ty,
                ProtocolVersion::DTLS_1_2,
                0,
                sequence,
                len,
            );
            out.extend_from_slice(plaintext);
            return Ok(RecordNumber { epoch, sequence });
        }
        if ty.0 == 0 {
            // RFC 8446 §5.1: type 0 is `invalid`; the reader would take a content byte for
            // the type (§5.4). Only our own bug can ask for it.
            return Err(Error::Crypto);
        }
        let state = [&mut self.write_handshake, &mut self.write_latest]
            .into_iter()
            .flatten()
            .find(|w| w.epoch == epoch)
            .ok_or(Error::Crypto)?;
        let sequence = state.next;
        if sequence > MAX_SEQUENCE {
            return Err(Error::Closed);
        }
        let header = UnifiedHeader {
            epoch_bits: (epoch & 3) as u8,
            sequence_bits: sequence as u16,
            long_sequence: true,
            length_present: true,
        };
        let at = out.len();
        header
            .emit(plaintext.len() + 1 + TAG_LEN, out)
            .map_err(|_: UnifiedHeaderError| Error::DataTooLong {
                len: plaintext.len(),
            })?;
        out.extend_from_slice(plaintext);
        out.push(ty.0);
        if let Err(e) = state
            .protection
            .seal_record(sequence, out, at, WRITE_HEADER_LEN)
        {
            out.truncate(at);
            return Err(e);
        }
        state.next += 1;
        Ok(RecordNumber { epoch, sequence })
    }

    /// Reads the record at `datagram[at..]`, decrypting a protected one in place. Call with
    /// `at = 0`, then with each result's `next`, until [`Read::End`] or [`Read::Malformed`].
    pub(crate) fn read(&mut self, datagram: &mut [u8], at: usize) -> Read {
        let Some(&first) = datagram.get(at) else {
            return Read::End;
        };
        if !is_unified_header(first) {
            if !PLAINTEXT_TYPES.contains(&first) {
                // RFC 9147 §4.1: neither format; where it ends is unknown.
                return Read::Malformed;
            }
            return match Record::parse(&datagram[at..]) {
                Ok((r, _)) => {
                    let start = at + RECORD_HEADER_LEN;
                    let end = start + r.fragment.len();
                    Read::Plaintext {
                        ty: r.content_type,
                        epoch: r.epoch,
                        sequence: r.sequence,
                        fragment: start..end,
                        next: end,
                    }
                }
                Err(_) => Read::Malformed,
            };
        }
        let (header, header_len, next) = match UnifiedHeader::parse(&datagram[at..]) {
            Ok((r, _)) => {
                let header_len = r.header.header_len();
                (r.header, header_len, at + header_len + r.ciphertext.len())
            }
            Err(UnifiedHeaderError::ConnectionId) => {
                return Read::Dropped {
                    reason: OpenError13::ConnectionId,
                    next: datagram.len(),
                };
            }
            Err(_) => return Read::Malformed,
        };
        let record = &mut datagram[at..next];
        match self.open(record, header, header_len) {
            Ok((number, ty, plaintext)) => Read::Protected {
                number,
                ty,
                plaintext: at + plaintext.start..at + plaintext.end,
                next,
            },
            Err(reason) => Read::Dropped { reason, next },
        }
    }

    /// Deprotects one unified-header record (`record` is exactly the record).
    fn open(
        &mut self,
        record: &mut [u8],
        header: UnifiedHeader,
        header_len: usize,
    ) -> Result<(RecordNumber, ContentType, Range<usize>), OpenError13> {
        let state = self
            .read
            .iter_mut()
            .find(|r| r.epoch & 3 == u64::from(header.epoch_bits))
            .ok_or(OpenError13::NoKeys)?;
        let bad = |failures: &mut u64| {
            *failures += 1;
            OpenError13::BadRecord
        };
        if state.protection.mask_sequence(record, header_len).is_err() {
            return Err(bad(&mut self.auth_failures));
        }
        let (low, bits) = if header.long_sequence {
            (
                u64::from(u16::from_be_bytes([
                    record[SEQUENCE_OFFSET],
                    record[SEQUENCE_OFFSET + 1],
                ])),
                16,
            )
        } else {
            (u64::from(record[SEQUENCE_OFFSET]), 8)
        };
        let expected = state.highest.map_or(0, |h| h + 1);
        let sequence = reconstruct_sequence(expected, low, bits);
        state
            .replay
            .check(sequence)
            .map_err(|_| OpenError13::Replayed)?;
        let inner = match state.protection.open_record(sequence, record, header_len) {
            Ok(r) => r,
            Err(BadRecord13) => return Err(bad(&mut self.auth_failures)),
        };
        state.replay.accept(sequence);
        state.highest = Some(state.highest.map_or(sequence, |h| h.max(sequence)));
        let number = RecordNumber {
            epoch: state.epoch,
            sequence,
        };
        // RFC 8446 §5.4: the content type is the last non-zero byte; zeros after it are
        // padding.
        let content = &record[inner.clone()];
        let type_at = content
            .iter()
            .rposition(|&b| b != 0)
            .ok_or(OpenError13::NoContentType)?;
        let ty = ContentType(content[type_at]);
        Ok((number, ty, inner.start..inner.start + type_at))
    }
}

/// The DTLS 1.3 record layer with fixed keys, for the fuzz targets and the benchmarks (not
/// part of the API; re-exported as `rtcweb_dtls::fuzzing`).
pub mod fuzzing {
    use std::ops::Range;

    use super::{Read, RecordLayer13};
    use crate::crypto::key_schedule13::{KeySchedule13, LabelPrefix};
    use crate::crypto::record_cipher13::RecordProtection13;
    pub use crate::wire::code_points::BulkCipher;
    use crate::wire::code_points::PrfHash;
    use crate::wire::record::ContentType;

    /// A writer and a reader of DTLS 1.3 records sharing fixed keys for epochs 2 and 3.
    #[derive(Debug)]
    pub struct RecordPair {
        writer: RecordLayer13,
        reader: RecordLayer13,
    }

    /// What reading one record gave (`RecordLayer13::read` with public types).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Outcome {
        /// A `DTLSPlaintext` record.
        Plaintext {
            /// Epoch of its header.
            epoch: u16,
            /// Its content type.
            content_type: u8,
            /// Where its fragment lies.
            fragment: Range<usize>,
            /// Where the next record starts.
            next: usize,
        },
        /// A record that authenticated and was decrypted in place.
        Protected {
            /// Its epoch.
            epoch: u64,
            /// Its reconstructed sequence number.
            sequence: u64,
            /// Its inner content type.
            content_type: u8,
            /// Where its content lies.
            plaintext: Range<usize>,
            /// Where the next record starts.
            next: usize,
        },
        /// A dropped record.
        Dropped {
            /// Where the next record starts.
            next: usize,
        },
        /// The end of the datagram.
        End,
        /// Not a record: the rest of the datagram is ignored.
        Malformed,
    }

    impl RecordPair {
        /// Both sides keyed for epochs 2 and 3 with `cipher` (SHA-384 for AES-256-GCM,
        /// SHA-256 otherwise), from a fixed shared secret.
        pub fn new(cipher: BulkCipher) -> Self {
            let hash = match cipher {
                BulkCipher::Aes256Gcm => PrfHash::Sha384,
                _ => PrfHash::Sha256,
            };
            let mut ks = KeySchedule13::new(hash, LabelPrefix::Dtls13);
            let hello_hash = [0x48u8; 48];
            let (hs, _) = ks.handshake(&[0x5au8; 32], &hello_hash[..ks.hash_len()]);
            let (ap, _, _) = ks.application(&hello_hash[..ks.hash_len()]);
            let mut pair = Self {
                writer: RecordLayer13::new(),
                reader: RecordLayer13::new(),
            };
            for (epoch, secret) in [(2, &hs), (3, &ap)] {
                // Invariant: the key lengths are the cipher's own.
                let p = || {
                    RecordProtection13::new(cipher, &ks, secret)
                        .expect("keys of the cipher's length")
                };
                pair.writer.install_write(epoch, p());
                pair.reader.install_read(epoch, p());
            }
            pair
        }

        /// Appends a record of `epoch` (0, 2 or 3) to `out`; false if refused.
        pub fn seal(
            &mut self,
            epoch: u64,
            content_type: u8,
            plaintext: &[u8],
            out: &mut Vec<u8>,
        ) -> bool {
            self.writer
                .write(epoch, ContentType(content_type), plaintext, out)
                .is_ok()
        }

        /// Bytes a record of `epoch` adds to its content.
        pub fn overhead(&self, epoch: u64) -> usize {
            self.writer.overhead(epoch)
        }

        /// Reads the record at `datagram[at..]`, decrypting in place.
        pub fn read(&mut self, datagram: &mut [u8], at: usize) -> Outcome {
            match self.reader.read(datagram, at) {
                Read::Plaintext {
                    ty,
                    epoch,
                    fragment,
                    next,
                    ..
                } => Outcome::Plaintext {
                    epoch,
                    content_type: ty.0,
                    fragment,
                    next,
                },
                Read::Protected {
                    number,
                    ty,
                    plaintext,
                    next,
                } => Outcome::Protected {
                    epoch: number.epoch,
                    sequence: number.sequence,
                    content_type: ty.0,
                    plaintext,
                    next,
                },
                Read::Dropped { next, .. } => Outcome::Dropped { next },
                Read::End => Outcome::End,
                Read::Malformed => Outcome::Malformed,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::key_schedule13::{KeySchedule13, LabelPrefix};
    use crate::replay::WINDOW;
    use crate::wire::code_points::{BulkCipher, PrfHash};

    const SUITES: [(BulkCipher, PrfHash); 3] = [
        (BulkCipher::Aes128Gcm, PrfHash::Sha256),
        (BulkCipher::Aes256Gcm, PrfHash::Sha384),
        (BulkCipher::Chacha20Poly1305, PrfHash::Sha256),
    ];

    /// Protections of epoch `epoch` for one direction, the same for writer and reader.
    fn protection(cipher: BulkCipher, hash: PrfHash, epoch: u64) -> RecordProtection13 {
        let mut ks = KeySchedule13::new(hash, LabelPrefix::Dtls13);
        let (mut secret, _) = ks.handshake(&[3; 32], &vec![4; ks.hash_len()]);
        for _ in 2..epoch {
            secret = ks.next_traffic_secret(&secret);
        }
        RecordProtection13::new(cipher, &ks, &secret).unwrap()
    }

    fn pair(cipher: BulkCipher, hash: PrfHash, epochs: &[u64]) -> (RecordLayer13, RecordLayer13) {
        let (mut w, mut r) = (RecordLayer13::new(), RecordLayer13::new());
        for &e in epochs {
            w.install_write(e, protection(cipher, hash, e));
            r.install_read(e, protection(cipher, hash, e));
        }
        (w, r)
    }

    /// A record read: (epoch, sequence, type, content) or the drop reason.
    type Got = Result<(u64, u64, u8, Vec<u8>), OpenError13>;

    /// Every record of a datagram.
    fn read_all(r: &mut RecordLayer13, d: &mut [u8]) -> Vec<Got> {
        let mut out = Vec::new();
        let mut at = 0;
        loop {
            match r.read(d, at) {
                Read::Plaintext {
                    ty,
                    epoch,
                    sequence,
                    fragment,
                    next,
                } => {
                    out.push(Ok((u64::from(epoch), sequence, ty.0, d[fragment].to_vec())));
                    at = next;
                }
                Read::Protected {
                    number,
                    ty,
                    plaintext,
                    next,
                } => {
                    out.push(Ok((
                        number.epoch,
                        number.sequence,
                        ty.0,
                        d[plaintext].to_vec(),
                    )));
                    at = next;
                }
                Read::Dropped { reason, next } => {
                    out.push(Err(reason));
                    at = next;
                }
                Read::End => return out,
                Read::Malformed => panic!("malformed at {at}"),
            }
        }
    }

    #[test]
    fn round_trips_every_suite_over_epochs_0_2_3() {
        for (c, h) in SUITES {
            let (mut w, mut r) = pair(c, h, &[2, 3]);
            let mut d = Vec::new();
            for (i, epoch) in [0u64, 2, 3, 3, 2, 0].into_iter().enumerate() {
                let content = vec![i as u8 + 1; 100 * i];
                let n = w
                    .write(epoch, ContentType::HANDSHAKE, &content, &mut d)
                    .unwrap();
                assert_eq!(n.epoch, epoch);
                assert_eq!(
                    d.len(),
                    content.len() + w.overhead(epoch),
                    "{c:?} epoch {epoch}"
                );
                let got = read_all(&mut r, &mut d);
                assert_eq!(got, vec![Ok((epoch, n.sequence, 22, content))], "{c:?}");
                d.clear();
            }
            assert_eq!(w.write_sequence(0), Some(2));
            assert_eq!(w.write_sequence(2), Some(2));
            assert_eq!(w.write_sequence(3), Some(2));
            assert_eq!(w.write_sequence(4), None);
        }
    }

    #[test]
    fn several_records_in_one_datagram() {
        let (mut w, mut r) = pair(BulkCipher::Aes128Gcm, PrfHash::Sha256, &[2, 3]);
        let mut d = Vec::new();
        w.write(0, ContentType::HANDSHAKE, b"hello", &mut d)
            .unwrap();
        w.write(2, ContentType::HANDSHAKE, b"finished", &mut d)
            .unwrap();
        w.write(3, ContentType::APPLICATION_DATA, b"data", &mut d)
            .unwrap();
        w.write(3, ContentType(26), b"", &mut d).unwrap();
        let got = read_all(&mut r, &mut d);
        assert_eq!(
            got,
            vec![
                Ok((0, 0, 22, b"hello".to_vec())),
                Ok((2, 0, 22, b"finished".to_vec())),
                Ok((3, 0, 23, b"data".to_vec())),
                Ok((3, 1, 26, Vec::new())),
            ]
        );
    }

    #[test]
    fn drops_bad_records_and_reads_on() {
        let (mut w, mut r) = pair(BulkCipher::Chacha20Poly1305, PrfHash::Sha256, &[2]);
        let mut d = Vec::new();
        w.write(2, ContentType::HANDSHAKE, b"one", &mut d).unwrap();
        let second = d.len();
        w.write(2, ContentType::HANDSHAKE, b"two", &mut d).unwrap();
        w.write(2, ContentType::HANDSHAKE, b"three", &mut d)
            .unwrap();
        d[second + 24] ^= 0x80; // the last byte of the second record's tag
        let mut no_keys = Vec::new();
        let (mut w3, _) = pair(BulkCipher::Chacha20Poly1305, PrfHash::Sha256, &[3]);
        w3.write(3, ContentType::HANDSHAKE, b"epoch 3", &mut no_keys)
            .unwrap();
        d.extend_from_slice(&no_keys);
        let got = read_all(&mut r, &mut d);
        assert_eq!(
            got,
            vec![
                Ok((2, 0, 22, b"one".to_vec())),
                Err(OpenError13::BadRecord),
                Ok((2, 2, 22, b"three".to_vec())),
                Err(OpenError13::NoKeys),
            ]
        );
        assert_eq!(r.auth_failures(), 1);
        // A header with the C bit: the rest of the datagram is skipped.
        let mut d = vec![0x3e, 0, 0, 0, 0, 1, 2, 3];
        assert_eq!(
            r.read(&mut d, 0),
            Read::Dropped {
                reason: OpenError13::ConnectionId,
                next: 8
            }
        );
        // Truncated and unknown first bytes stop the datagram.
        assert_eq!(r.read(&mut [0x2e, 0, 0, 0, 40, 1], 0), Read::Malformed);
        assert_eq!(r.read(&mut [0x05; 20], 0), Read::Malformed);
        assert_eq!(r.read(&mut [22, 0xfe, 0xfd, 0], 0), Read::Malformed);
        // Too short to sample the mask: dropped.
        let mut d = vec![0x2e, 0, 0, 0, 15];
        d.extend_from_slice(&[0; 15]);
        assert_eq!(
            r.read(&mut d, 0),
            Read::Dropped {
                reason: OpenError13::BadRecord,
                next: 20
            }
        );
        assert_eq!(r.read(&mut d, 20), Read::End);
    }

    #[test]
    fn reordering_and_replay() {
        let (mut w, mut r) = pair(BulkCipher::Aes256Gcm, PrfHash::Sha384, &[3]);
        let records: Vec<Vec<u8>> = (0..6u8)
            .map(|i| {
                let mut d = Vec::new();
                w.write(3, ContentType::APPLICATION_DATA, &[i; 10], &mut d)
                    .unwrap();
                d
            })
            .collect();
        for i in [3usize, 1, 5, 0, 2, 4] {
            let mut d = records[i].clone();
            assert_eq!(
                read_all(&mut r, &mut d),
                vec![Ok((3, i as u64, 23, vec![i as u8; 10]))]
            );
        }
        for i in [0usize, 5, 2] {
            let mut d = records[i].clone();
            assert_eq!(read_all(&mut r, &mut d), vec![Err(OpenError13::Replayed)]);
        }
        // Far ahead, then one older than the window.
        let mut late = Vec::new();
        let mut early = Vec::new();
        w.write(3, ContentType::APPLICATION_DATA, b"early", &mut early)
            .unwrap();
        for _ in 0..WINDOW + 10 {
            late.clear();
            w.write(3, ContentType::APPLICATION_DATA, b"late", &mut late)
                .unwrap();
        }
        assert_eq!(read_all(&mut r, &mut late).len(), 1);
        assert_eq!(
            read_all(&mut r, &mut early),
            vec![Err(OpenError13::Replayed)]
        );
    }

    #[test]
    fn sequence_bytes_are_encrypted_on_the_wire() {
        let (mut w, _) = pair(BulkCipher::Aes128Gcm, PrfHash::Sha256, &[2]);
        let mut masked = 0;
        for seq in 0..64u16 {
            let mut d = Vec::new();
            w.write(2, ContentType::HANDSHAKE, b"x", &mut d).unwrap();
            assert_eq!(d[0], 0x2e, "S=1 L=1 epoch bits 2");
            assert_eq!(d[3..5], [0, 18], "length = 1 + 1 + 16");
            if d[1..3] != seq.to_be_bytes() {
                masked += 1;
            }
        }
        assert!(masked >= 62, "{masked} of 64");
    }

    #[test]
    fn reconstruction_rule() {
        // RFC 9147 §4.2.2 / RFC 9000 Appendix A.3.
        assert_eq!(reconstruct_sequence(0, 0, 8), 0);
        assert_eq!(reconstruct_sequence(0, 0xff, 8), 0xff);
        assert_eq!(reconstruct_sequence(0x100, 0xff, 8), 0xff);
        assert_eq!(reconstruct_sequence(0x1fe, 0x01, 8), 0x201);
        assert_eq!(reconstruct_sequence(0x201, 0xfe, 8), 0x1fe);
        assert_eq!(reconstruct_sequence(0xa82f30ea, 0x9b32, 16), 0xa82f9b32);
        assert_eq!(reconstruct_sequence(0xffff, 0x0002, 16), 0x1_0002);
        assert_eq!(reconstruct_sequence(0x1_0002, 0xfffe, 16), 0xfffe);
        // Never above the 48-bit space.
        assert_eq!(
            reconstruct_sequence(MAX_SEQUENCE, 0x00, 8),
            MAX_SEQUENCE - 0xff
        );
        assert!(reconstruct_sequence(MAX_SEQUENCE - 2, 0x10, 8) <= MAX_SEQUENCE);
    }

    #[test]
    fn reconstructs_across_the_16_bit_wrap() {
        let (mut w, mut r) = pair(BulkCipher::Aes128Gcm, PrfHash::Sha256, &[3]);
        let start = 0xfffa;
        w.write_latest.as_mut().unwrap().next = start;
        r.read[0].highest = Some(start - 1);
        for seq in start..start + 40 {
            let mut d = Vec::new();
            w.write(3, ContentType::APPLICATION_DATA, b"x", &mut d)
                .unwrap();
            assert_eq!(
                read_all(&mut r, &mut d),
                vec![Ok((3, seq, 23, b"x".to_vec()))]
            );
        }
        // A late record from before the wrap is still placed before it.
        let mut w2 = RecordLayer13::new();
        w2.install_write(3, protection(BulkCipher::Aes128Gcm, PrfHash::Sha256, 3));
        w2.write_latest.as_mut().unwrap().next = 0xfffa - 1;
        let mut d = Vec::new();
        w2.write(3, ContentType::APPLICATION_DATA, b"late", &mut d)
            .unwrap();
        assert_eq!(
            read_all(&mut r, &mut d),
            vec![Ok((3, 0xfff9, 23, b"late".to_vec()))]
        );
    }

    #[test]
    fn reconstructs_8_bit_sequences_across_the_wrap() {
        // We write 16-bit sequence numbers; peers may write 8 bits (S=0, L=0).
        let p = protection(BulkCipher::Chacha20Poly1305, PrfHash::Sha256, 2);
        let (_, mut r) = pair(BulkCipher::Chacha20Poly1305, PrfHash::Sha256, &[2]);
        for seq in 0xf0u64..0x130 {
            let header = UnifiedHeader {
                epoch_bits: 2,
                sequence_bits: (seq & 0xff) as u16,
                long_sequence: false,
                length_present: false,
            };
            let mut d = Vec::new();
            header.emit(0, &mut d).unwrap();
            d.extend_from_slice(b"short");
            d.extend_from_slice(&[23, 0, 0, 0]); // type, then padding
            p.seal_record(seq, &mut d, 0, 2).unwrap();
            if seq == 0xf0 {
                // The first one sets the expectation (reconstructed near 0: 0xf0).
                assert_eq!(
                    read_all(&mut r, &mut d),
                    vec![Ok((2, 0xf0, 23, b"short".to_vec()))]
                );
                continue;
            }
            assert_eq!(
                read_all(&mut r, &mut d),
                vec![Ok((2, seq, 23, b"short".to_vec()))]
            );
        }
    }

    #[test]
    fn zero_inner_plaintext_has_no_type() {
        let p = protection(BulkCipher::Aes128Gcm, PrfHash::Sha256, 2);
        let (_, mut r) = pair(BulkCipher::Aes128Gcm, PrfHash::Sha256, &[2]);
        let mut d = vec![0x2e, 0, 0, 0, 4 + 16, 0, 0, 0, 0];
        p.seal_record(0, &mut d, 0, 5).unwrap();
        assert_eq!(
            read_all(&mut r, &mut d),
            vec![Err(OpenError13::NoContentType)]
        );
    }

    #[test]
    fn keeps_epoch_2_and_the_two_newest() {
        let c = BulkCipher::Aes128Gcm;
        let h = PrfHash::Sha256;
        let mut r = RecordLayer13::new();
        for e in [2, 3, 4, 5] {
            r.install_read(e, protection(c, h, e));
        }
        let mut kept: Vec<u64> = r.read.iter().map(|e| e.epoch).collect();
        kept.sort();
        assert_eq!(kept, [2, 4, 5]);
        // Epoch 6 shares its low bits with 2: 2 goes, and 4 as the oldest of the others.
        r.install_read(6, protection(c, h, 6));
        let mut kept: Vec<u64> = r.read.iter().map(|e| e.epoch).collect();
        kept.sort();
        assert_eq!(kept, [5, 6]);
        r.drop_read(5);
        assert!(!r.has_read(5) && r.has_read(6));
        // Epoch 6 records decrypt with epoch 6's keys.
        let mut w = RecordLayer13::new();
        w.install_write(6, protection(c, h, 6));
        let mut d = Vec::new();
        w.write(6, ContentType::APPLICATION_DATA, b"six", &mut d)
            .unwrap();
        assert_eq!(
            read_all(&mut r, &mut d),
            vec![Ok((6, 0, 23, b"six".to_vec()))]
        );
    }

    #[test]
    fn write_keeps_handshake_epoch_and_refuses_limits() {
        let c = BulkCipher::Aes128Gcm;
        let h = PrfHash::Sha256;
        let (mut w, mut r) = pair(c, h, &[2, 3]);
        w.install_write(4, protection(c, h, 4));
        r.install_read(4, protection(c, h, 4));
        let mut d = Vec::new();
        // Epoch 2 is still writable (a retransmitted flight); epoch 3 was replaced by 4.
        w.write(2, ContentType::HANDSHAKE, b"again", &mut d)
            .unwrap();
        w.write(4, ContentType::APPLICATION_DATA, b"new", &mut d)
            .unwrap();
        assert_eq!(
            read_all(&mut r, &mut d),
            vec![
                Ok((2, 0, 22, b"again".to_vec())),
                Ok((4, 0, 23, b"new".to_vec()))
            ]
        );
        assert_eq!(
            w.write(3, ContentType::APPLICATION_DATA, b"x", &mut d),
            Err(Error::Crypto)
        );
        // Type 0 is refused: the reader would take the last content byte for the type.
        assert_eq!(w.write(4, ContentType(0), b"x", &mut d), Err(Error::Crypto));
        assert_eq!(
            w.write(
                4,
                ContentType::APPLICATION_DATA,
                &vec![0; MAX_PLAINTEXT + 1],
                &mut d
            ),
            Err(Error::DataTooLong {
                len: MAX_PLAINTEXT + 1
            })
        );
        w.write(
            4,
            ContentType::APPLICATION_DATA,
            &vec![0; MAX_PLAINTEXT],
            &mut d,
        )
        .unwrap();
        w.write_latest.as_mut().unwrap().next = MAX_SEQUENCE + 1;
        let before = d.len();
        assert_eq!(
            w.write(4, ContentType::APPLICATION_DATA, b"x", &mut d),
            Err(Error::Closed)
        );
        assert_eq!(d.len(), before, "nothing written");
        w.set_epoch0_sequence(MAX_SEQUENCE + 1);
        assert_eq!(
            w.write(0, ContentType::HANDSHAKE, b"x", &mut d),
            Err(Error::Closed)
        );
    }
}
