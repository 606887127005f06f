//! A small deterministic generator (SplitMix64) for verification tags, initial TSNs and
//! cookie nonces. Its seed comes from the owner ([`Config::seed`](crate::Config::seed)), so
//! the association stays free of IO and a test replays exactly.

/// SplitMix64 (Steele, Lea, Flood 2014): fast, and every seed gives a full-period sequence.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A non-zero 32-bit value (RFC 9260 §5.3.1: the Initiate Tag is never 0).
    pub(crate) fn non_zero_u32(&mut self) -> u32 {
        loop {
            let v = self.next_u64() as u32;
            if v != 0 {
                return v;
            }
        }
    }
}
