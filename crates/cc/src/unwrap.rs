//! Extending a wrapping counter (16-bit sequence numbers, 24-bit send times) to 64 bits
//! against a nearby value.

/// The value nearest to `near` whose low `bits` bits are `raw`.
pub(crate) fn unwrap_near(near: u64, raw: u64, bits: u32) -> u64 {
    let span = 1u64 << bits;
    let candidate = (near & !(span - 1)) | (raw & (span - 1));
    [
        candidate.checked_sub(span),
        Some(candidate),
        candidate.checked_add(span),
    ]
    .into_iter()
    .flatten()
    .min_by_key(|c| c.abs_diff(near))
    .unwrap_or(candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_nearest_across_the_wrap() {
        assert_eq!(unwrap_near(0x1_fff0, 0x0005, 16), 0x2_0005);
        assert_eq!(unwrap_near(0x2_0005, 0xfff0, 16), 0x1_fff0);
        assert_eq!(unwrap_near(0x1_0010, 0x0011, 16), 0x1_0011);
        assert_eq!(unwrap_near(0x1ff_fff0, 0x10, 24), 0x200_0010);
        assert_eq!(unwrap_near(5, 0xffff, 16), 0xffff);
    }
}
