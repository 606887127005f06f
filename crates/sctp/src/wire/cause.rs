//! Error causes (RFC 9260 §3.3.10) and the chunks that carry them: ABORT (§3.3.7) and
//! ERROR (§3.3.10).

use super::WireError;
use super::chunk_type::CauseCode;
use super::tlv::{Tlv, TlvList};

/// One error cause: its code and raw value (the cause-specific information).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCause<'a> {
    /// Cause Code.
    pub code: CauseCode,
    /// Cause-specific information, without the 4-byte header and padding.
    pub value: &'a [u8],
}

impl<'a> Tlv<'a> for ErrorCause<'a> {
    fn parse(_chunk: u8, kind: u16, value: &'a [u8]) -> Result<Self, WireError> {
        Ok(Self {
            code: CauseCode(kind),
            value,
        })
    }
    fn kind(&self) -> u16 {
        self.code.0
    }
    fn value_len(&self) -> usize {
        self.value.len()
    }
    fn emit_value(&self, buf: &mut [u8]) {
        buf.copy_from_slice(self.value);
    }
}

/// A list of error causes.
pub type Causes<'a> = TlvList<'a, ErrorCause<'a>>;

/// An ABORT chunk (RFC 9260 §3.3.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Abort<'a> {
    /// T bit: the sender put the peer's own verification tag, not ours, in the header
    /// (it had no TCB).
    pub reflected_tag: bool,
    /// Zero or more error causes.
    pub causes: Causes<'a>,
}

impl<'a> Abort<'a> {
    pub(crate) fn parse(flags: u8, value: &'a [u8]) -> Result<Self, WireError> {
        Ok(Self {
            reflected_tag: flags & 1 != 0,
            causes: TlvList::from_wire(6, value)?,
        })
    }
}

/// An ERROR chunk (RFC 9260 §3.3.10): non-fatal errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ErrorChunk<'a> {
    /// One or more error causes.
    pub causes: Causes<'a>,
}

impl<'a> ErrorChunk<'a> {
    pub(crate) fn parse(value: &'a [u8]) -> Result<Self, WireError> {
        Ok(Self {
            causes: TlvList::from_wire(9, value)?,
        })
    }
}
