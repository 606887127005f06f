//! The DTLS 1.3 ACK (RFC 9147 §7): `RecordNumber record_numbers<0..2^16-1>`, each an
//! epoch and a sequence number of 64 bits, and KeyUpdate (RFC 8446 §4.6.3).

use crate::error::WireError;
use crate::wire::codec::{Reader, put_vec16};

/// Most record numbers we read from one ACK (more than any flight of ours has records).
pub const MAX_ACKED: usize = 256;

/// Reads an ACK body into `(epoch, sequence)` pairs.
pub fn parse_ack(body: &[u8]) -> Result<Vec<(u64, u64)>, WireError> {
    let mut r = Reader::new(body);
    let list = r.vec16()?;
    r.finish()?;
    if list.len() % 16 != 0 {
        return Err(WireError::BadLength);
    }
    if list.len() / 16 > MAX_ACKED {
        return Err(WireError::TooLong);
    }
    Ok(list
        .chunks_exact(16)
        .map(|c| {
            let mut e = [0u8; 8];
            let mut s = [0u8; 8];
            e.copy_from_slice(&c[..8]);
            s.copy_from_slice(&c[8..]);
            (u64::from_be_bytes(e), u64::from_be_bytes(s))
        })
        .collect())
}

/// Writes an ACK body; RFC 9147 §7: sorted in increasing order.
pub fn ack_body(records: &[(u64, u64)]) -> Result<Vec<u8>, WireError> {
    let mut sorted = records.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let list: Vec<u8> = sorted
        .iter()
        .flat_map(|(e, s)| e.to_be_bytes().into_iter().chain(s.to_be_bytes()))
        .collect();
    let mut out = Vec::with_capacity(list.len() + 2);
    put_vec16(&mut out, &list)?;
    Ok(out)
}

/// A KeyUpdate body (RFC 8446 §4.6.3): whether the peer should update its keys too.
pub fn parse_key_update(body: &[u8]) -> Result<bool, WireError> {
    match body {
        [0] => Ok(false),
        [1] => Ok(true),
        _ => Err(WireError::BadLength),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ack_round_trips_sorted() {
        let body = ack_body(&[(2, 5), (2, 1), (3, 0), (2, 1)]).unwrap();
        assert_eq!(parse_ack(&body).unwrap(), [(2, 1), (2, 5), (3, 0)]);
        assert_eq!(
            parse_ack(&body[..body.len() - 1]),
            Err(WireError::Truncated)
        );
        assert_eq!(parse_ack(&[0, 3, 1, 2, 3]), Err(WireError::BadLength));
        assert_eq!(parse_key_update(&[1]), Ok(true));
        assert!(parse_key_update(&[2]).is_err());
    }
}
