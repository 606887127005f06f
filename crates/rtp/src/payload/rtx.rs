//! RTX retransmission payload (RFC 4588 §4): the original sequence number, then the original
//! payload, sent with the RTX payload type, SSRC and its own sequence numbers.

/// Writes the RTX payload for an original packet into `out`: OSN then payload.
pub fn rtx_wrap(original_seq: u16, original_payload: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(&original_seq.to_be_bytes());
    out.extend_from_slice(original_payload);
}

/// The original sequence number and payload of an RTX payload; `None` when shorter than the
/// OSN (an empty RTX packet is padding, RFC 4588 §4 allows it for probing).
pub fn rtx_unwrap(payload: &[u8]) -> Option<(u16, &[u8])> {
    let (osn, rest) = payload.split_first_chunk::<2>()?;
    Some((u16::from_be_bytes(*osn), rest))
}
