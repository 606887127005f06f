//! Serial-number arithmetic (RFC 9260 §1.6, RFC 1982) for TSNs and SSNs, and the unwrapping of
//! 32-bit TSNs into a 64-bit count that never wraps, so the association compares plain
//! integers.

/// Unwraps a 32-bit TSN into the 64-bit space next to `reference` (an unwrapped TSN): the
/// value whose low 32 bits are `tsn` and which is nearest to `reference` (RFC 1982: within
/// 2^31 either way).
pub(crate) fn unwrap_tsn(reference: u64, tsn: u32) -> u64 {
    let delta = i64::from(tsn.wrapping_sub(reference as u32) as i32);
    reference.wrapping_add_signed(delta)
}

/// Whether SSN `a` comes before `b` (16-bit serial arithmetic).
pub(crate) fn ssn_lt(a: u16, b: u16) -> bool {
    a != b && b.wrapping_sub(a) < 0x8000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwraps_across_the_32_bit_wrap() {
        let reference = u64::from(u32::MAX) - 1;
        assert_eq!(unwrap_tsn(reference, u32::MAX), u64::from(u32::MAX));
        assert_eq!(unwrap_tsn(reference, 0), 1 << 32);
        assert_eq!(unwrap_tsn(reference, 5), (1 << 32) + 5);
        assert_eq!(unwrap_tsn(1 << 32, u32::MAX - 3), (1 << 32) - 4);
        assert_eq!(unwrap_tsn(100, 90), 90);
    }

    #[test]
    fn ssn_order_wraps() {
        assert!(ssn_lt(1, 2));
        assert!(ssn_lt(65535, 0));
        assert!(!ssn_lt(0, 65535));
        assert!(!ssn_lt(7, 7));
    }
}
