//! The record layer state (RFC 6347 §4.1): write epochs and sequence numbers, the cipher
//! states of epoch 1, and the receive replay window.
//!
//! Epoch 0 is the null cipher of the first handshake; epoch 1 follows ChangeCipherSpec.
//! Both write epochs stay usable so a flight that straddles them (Finished in epoch 1 after
//! messages in epoch 0) can be retransmitted as a whole (RFC 6347 §4.2.4). DTLS 1.3 would
//! add epochs 2 and 3 with their own ciphers here.

use std::ops::Range;

use crate::crypto::record_cipher::{BadRecordMac, RecordCipher};
use crate::error::Error;
use crate::replay::{Replay, ReplayWindow};
use crate::wire::code_points::ProtocolVersion;
use crate::wire::record::{ContentType, RECORD_HEADER_LEN, emit_header};

/// Largest 48-bit sequence number (RFC 6347 §4.1: it must not wrap).
const MAX_SEQUENCE: u64 = (1 << 48) - 1;

/// The write and read states of both epochs.
#[derive(Debug, Default)]
pub(crate) struct RecordLayer {
    /// Next sequence number per write epoch.
    write_seq: [u64; 2],
    /// Epoch-1 ciphers (write, read), once the keys are derived.
    write_cipher: Option<RecordCipher>,
    read_cipher: Option<RecordCipher>,
    /// Replay window of epoch 1 (epoch 0 duplicates are caught by message sequence numbers).
    replay: ReplayWindow,
}

/// Why an incoming protected record was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpenError {
    /// No keys for its epoch yet.
    NoKeys,
    /// It did not authenticate.
    BadMac,
    /// Seen before, or too old.
    Replayed,
}

impl RecordLayer {
    /// Installs the epoch-1 ciphers.
    pub(crate) fn install(&mut self, write: RecordCipher, read: RecordCipher) {
        self.write_cipher = Some(write);
        self.read_cipher = Some(read);
    }

    /// Overrides the next epoch-0 sequence number (RFC 6347 §4.2.1: a stateless server
    /// answers with the record sequence number of the ClientHello).
    pub(crate) fn set_epoch0_sequence(&mut self, seq: u64) {
        self.write_seq[0] = seq;
    }

    /// The next epoch-0 sequence number (what a DTLS 1.3 machine continues from).
    pub(crate) fn epoch0_sequence(&self) -> u64 {
        self.write_seq[0]
    }

    /// Bytes a record in `epoch` adds around its plaintext.
    pub(crate) fn overhead(&self, epoch: u16) -> usize {
        RECORD_HEADER_LEN
            + match (epoch, &self.write_cipher) {
                (1, Some(c)) => c.overhead(),
                _ => 0,
            }
    }

    /// Appends one record (header and, in epoch 1, protected fragment) to `out`.
    pub(crate) fn write(
        &mut self,
        epoch: u16,
        ty: ContentType,
        plaintext: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        let slot = usize::from(epoch.min(1));
        let seq = self.write_seq[slot];
        if seq > MAX_SEQUENCE {
            // RFC 6347 §4.1: renegotiate or close before the sequence wraps; we close.
            return Err(Error::Closed);
        }
        self.write_seq[slot] += 1;
        let version = ProtocolVersion::DTLS_1_2;
        let header_at = out.len();
        out.extend_from_slice(&[0; RECORD_HEADER_LEN]);
        if epoch == 0 {
            out.extend_from_slice(plaintext);
        } else {
            let cipher = self.write_cipher.as_ref().ok_or(Error::Crypto)?;
            cipher.seal(epoch, seq, ty, version, plaintext, out)?;
        }
        let len = out.len() - header_at - RECORD_HEADER_LEN;
        // The fragment is at most 2^14 + 24 bytes: fits 16 bits.
        emit_header(&mut out[header_at..], ty, version, epoch, seq, len as u16);
        Ok(())
    }

    /// Checks the replay window, authenticates and decrypts an epoch-1 record into `out`,
    /// then marks it received.
    pub(crate) fn open(
        &mut self,
        epoch: u16,
        seq: u64,
        ty: ContentType,
        version: ProtocolVersion,
        fragment: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), OpenError> {
        let cipher = self.read_cipher.as_ref().ok_or(OpenError::NoKeys)?;
        self.replay
            .check(seq)
            .map_err(|_: Replay| OpenError::Replayed)?;
        cipher
            .open(epoch, seq, ty, version, fragment, out)
            .map_err(|_: BadRecordMac| OpenError::BadMac)?;
        self.replay.accept(seq);
        Ok(())
    }

    /// [`Self::open`] where the record lies: returns the plaintext's range in `fragment`.
    pub(crate) fn open_in_place(
        &mut self,
        epoch: u16,
        seq: u64,
        ty: ContentType,
        version: ProtocolVersion,
        fragment: &mut [u8],
    ) -> Result<Range<usize>, OpenError> {
        let cipher = self.read_cipher.as_ref().ok_or(OpenError::NoKeys)?;
        self.replay
            .check(seq)
            .map_err(|_: Replay| OpenError::Replayed)?;
        let plaintext = cipher
            .open_in_place(epoch, seq, ty, version, fragment)
            .map_err(|_: BadRecordMac| OpenError::BadMac)?;
        self.replay.accept(seq);
        Ok(plaintext)
    }
}
