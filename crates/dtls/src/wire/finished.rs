//! Finished (RFC 5246 §7.4.9): `verify_data[12]` for every suite we implement.

use crate::error::WireError;

/// Length of `verify_data` (RFC 5246 §7.4.9; none of our suites changes it).
pub const VERIFY_DATA_LEN: usize = 12;

/// A Finished body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finished {
    /// `PRF(master_secret, finished_label, Hash(handshake_messages))[0..12]`.
    pub verify_data: [u8; VERIFY_DATA_LEN],
}

impl Finished {
    /// Parses a Finished body.
    pub fn parse(body: &[u8]) -> Result<Self, WireError> {
        let verify_data = body.try_into().map_err(|_| WireError::BadLength)?;
        Ok(Self { verify_data })
    }

    /// Appends the body to `out`.
    pub fn emit(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.verify_data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let f = Finished {
            verify_data: [1; 12],
        };
        let mut out = Vec::new();
        f.emit(&mut out);
        assert_eq!(Finished::parse(&out), Ok(f));
        assert_eq!(Finished::parse(&out[1..]), Err(WireError::BadLength));
    }
}
