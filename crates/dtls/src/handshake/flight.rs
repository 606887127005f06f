//! Outgoing flights (RFC 6347 §4.2.4): the messages of one flight are kept whole and cut into
//! records and datagrams of at most the MTU each time the flight is (re)sent, with fresh
//! record sequence numbers (RFC 6347 §4.2.3 fragmentation, §4.1.1 several records per
//! datagram).

use crate::error::Error;
use crate::record_layer::RecordLayer;
use crate::wire::handshake::{HANDSHAKE_HEADER_LEN, HandshakeType, emit_header};
use crate::wire::record::ContentType;

/// One element of a flight.
#[derive(Debug, Clone)]
pub(crate) enum FlightItem {
    /// A handshake message (its body), sent in `epoch`.
    Handshake {
        epoch: u16,
        msg_type: HandshakeType,
        seq: u16,
        body: Vec<u8>,
    },
    /// ChangeCipherSpec (sent in epoch 0, RFC 6347 §4.1).
    ChangeCipherSpec,
}

/// A fragment smaller than this is not worth a record: start a new datagram instead.
const MIN_FRAGMENT: usize = 64;

/// Where a flight is being cut into datagrams: the datagram being filled, those full, and
/// a scratch buffer for a record's plaintext. DTLS 1.2 and 1.3 flights share it.
pub(crate) struct Packer<'a> {
    /// Largest datagram.
    pub(crate) mtu: usize,
    /// The datagram being filled.
    pub(crate) cur: &'a mut Vec<u8>,
    /// The datagrams filled.
    pub(crate) datagrams: &'a mut Vec<Vec<u8>>,
    /// Scratch for one record's plaintext.
    pub(crate) plain: &'a mut Vec<u8>,
}

impl Packer<'_> {
    /// Cuts one handshake message into fragments (RFC 6347 §4.2.3, RFC 9147 §5.5), each in
    /// a record that `write` appends to the datagram (`per_record` bytes of headers and
    /// tag each); a fragment that would be smaller than [`MIN_FRAGMENT`] starts a new
    /// datagram.
    pub(crate) fn message(
        &mut self,
        msg_type: HandshakeType,
        seq: u16,
        body: &[u8],
        per_record: usize,
        mut write: impl FnMut(&[u8], &mut Vec<u8>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let mut offset = 0;
        loop {
            let remaining = body.len() - offset;
            let room = self.mtu.saturating_sub(self.cur.len() + per_record);
            if room < remaining.min(MIN_FRAGMENT) && !self.cur.is_empty() {
                let full = std::mem::replace(self.cur, Vec::with_capacity(self.mtu));
                self.datagrams.push(full);
                continue;
            }
            // Config guarantees mtu >= 256, so an empty datagram has room.
            let n = remaining.min(room.max(1));
            self.plain.clear();
            emit_header(self.plain, msg_type, body.len(), seq, offset, n);
            self.plain.extend_from_slice(&body[offset..offset + n]);
            write(self.plain, self.cur)?;
            offset += n;
            if offset >= body.len() {
                return Ok(());
            }
        }
    }
}

/// Cuts `items` into datagrams of at most `mtu` bytes.
pub(crate) fn pack(
    items: &[FlightItem],
    mtu: usize,
    records: &mut RecordLayer,
) -> Result<Vec<Vec<u8>>, Error> {
    let mut datagrams = Vec::new();
    let mut cur: Vec<u8> = Vec::with_capacity(mtu);
    let mut plain: Vec<u8> = Vec::with_capacity(mtu);
    for item in items {
        match item {
            FlightItem::ChangeCipherSpec => {
                if cur.len() + records.overhead(0) + 1 > mtu && !cur.is_empty() {
                    datagrams.push(std::mem::replace(&mut cur, Vec::with_capacity(mtu)));
                }
                records.write(0, ContentType::CHANGE_CIPHER_SPEC, &[1], &mut cur)?;
            }
            FlightItem::Handshake {
                epoch,
                msg_type,
                seq,
                body,
            } => {
                let per_record = records.overhead(*epoch) + HANDSHAKE_HEADER_LEN;
                let mut packer = Packer {
                    mtu,
                    cur: &mut cur,
                    datagrams: &mut datagrams,
                    plain: &mut plain,
                };
                packer.message(*msg_type, *seq, body, per_record, |plain, out| {
                    records.write(*epoch, ContentType::HANDSHAKE, plain, out)
                })?;
            }
        }
    }
    if !cur.is_empty() {
        datagrams.push(cur);
    }
    Ok(datagrams)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handshake::reassembly::Reassembler;
    use crate::wire::handshake::Fragment;
    use crate::wire::record::Record;

    #[test]
    fn fragments_to_the_mtu_and_reassembles() {
        let big: Vec<u8> = (0..3000).map(|i| i as u8).collect();
        let items = vec![
            FlightItem::Handshake {
                epoch: 0,
                msg_type: HandshakeType::SERVER_HELLO,
                seq: 0,
                body: vec![1; 80],
            },
            FlightItem::Handshake {
                epoch: 0,
                msg_type: HandshakeType::CERTIFICATE,
                seq: 1,
                body: big.clone(),
            },
            FlightItem::Handshake {
                epoch: 0,
                msg_type: HandshakeType::SERVER_HELLO_DONE,
                seq: 2,
                body: vec![],
            },
            FlightItem::ChangeCipherSpec,
        ];
        let mut layer = RecordLayer::default();
        let datagrams = pack(&items, 500, &mut layer).unwrap();
        assert!(datagrams.len() >= 7);
        let mut r = Reassembler::new(10_000, 10_000);
        let mut ccs = 0;
        let mut last_seq = None;
        for d in &datagrams {
            assert!(d.len() <= 500, "datagram of {} bytes", d.len());
            let mut rest = &d[..];
            while !rest.is_empty() {
                let (rec, tail) = Record::parse(rest).unwrap();
                rest = tail;
                assert!(last_seq < Some(rec.sequence));
                last_seq = Some(rec.sequence);
                if rec.content_type == ContentType::CHANGE_CIPHER_SPEC {
                    ccs += 1;
                    continue;
                }
                let (f, tail) = Fragment::parse(rec.fragment).unwrap();
                assert!(tail.is_empty());
                r.insert(0, rec.sequence, &f);
            }
        }
        assert_eq!(ccs, 1);
        assert_eq!(r.pop().unwrap().body, vec![1; 80]);
        assert_eq!(r.pop().unwrap().body, big);
        assert_eq!(r.pop().unwrap().msg_type, HandshakeType::SERVER_HELLO_DONE);
    }
}
