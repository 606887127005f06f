//! Type-length-value lists: the parameters of INIT (RFC 9260 §3.2.1), the error causes of
//! ABORT and ERROR (§3.3.10) and the parameters of RE-CONFIG (RFC 6525 §3.1). Each TLV is
//! padded to 4 bytes; the padding of the last one may lie outside the chunk's length.

use std::fmt;

use super::WireError;
use super::list::Repr;

/// One type-length-value item with a 4-byte header (type, length).
pub trait Tlv<'a>: Sized {
    /// Parses the value of a TLV of type `kind`; `chunk` names the enclosing chunk in errors.
    fn parse(chunk: u8, kind: u16, value: &'a [u8]) -> Result<Self, WireError>;
    /// The type field.
    fn kind(&self) -> u16;
    /// Length of the value, without the 4-byte header and without padding.
    fn value_len(&self) -> usize;
    /// Writes the value into exactly [`Self::value_len`] bytes.
    fn emit_value(&self, buf: &mut [u8]);
}

/// Splits the first TLV off `bytes`: type, value, and the rest after the padding.
fn split(chunk: u8, bytes: &[u8]) -> Result<(u16, &[u8], &[u8]), WireError> {
    let [t0, t1, l0, l1, ..] = *bytes else {
        // A header cut short is a length error of an unknown parameter.
        return Err(WireError::BadParameterLength { chunk, param: 0 });
    };
    let kind = u16::from_be_bytes([t0, t1]);
    let len = usize::from(u16::from_be_bytes([l0, l1]));
    if len < 4 || len > bytes.len() {
        return Err(WireError::BadParameterLength { chunk, param: kind });
    }
    let value = &bytes[4..len];
    // RFC 9260 §3.2.1: the padding of the last parameter need not be inside the chunk.
    let rest = bytes.get(pad4(len)..).unwrap_or(&[]);
    Ok((kind, value, rest))
}

/// `n` rounded up to a multiple of 4 (RFC 9260 §3.2).
pub(crate) const fn pad4(n: usize) -> usize {
    (n + 3) & !3
}

/// A list of TLVs: parsed without copying, or given as a slice to write.
#[derive(Clone, Copy)]
pub struct TlvList<'a, T> {
    repr: Repr<'a, T>,
    chunk: u8,
}

impl<'a, T: Tlv<'a> + Copy> TlvList<'a, T> {
    /// A list of the given items, for writing.
    pub const fn new(items: &'a [T]) -> Self {
        Self {
            repr: Repr::Items(items),
            chunk: 0,
        }
    }

    /// Checks that `bytes` is a sequence of well-formed TLVs and keeps a view of them.
    pub(crate) fn from_wire(chunk: u8, mut bytes: &'a [u8]) -> Result<Self, WireError> {
        let all = bytes;
        while !bytes.is_empty() {
            let (kind, value, rest) = split(chunk, bytes)?;
            T::parse(chunk, kind, value)?;
            bytes = rest;
        }
        Ok(Self {
            repr: Repr::Wire(all),
            chunk,
        })
    }

    /// The items in order.
    pub fn iter(&self) -> TlvIter<'a, T> {
        TlvIter {
            repr: self.repr,
            chunk: self.chunk,
        }
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        match self.repr {
            Repr::Wire(b) => b.is_empty(),
            Repr::Items(i) => i.is_empty(),
        }
    }

    /// Bytes on the wire, without the padding of the last item (which a chunk's length
    /// does not count, RFC 9260 §3.2).
    pub fn wire_len(&self) -> usize {
        let mut total = 0;
        for item in self.iter() {
            total = pad4(total) + 4 + item.value_len();
        }
        total
    }

    /// Writes the items, each padded with zeros but the last, into exactly
    /// [`Self::wire_len`] bytes.
    pub(crate) fn emit(&self, buf: &mut [u8]) {
        let mut at = 0;
        for item in self.iter() {
            let start = pad4(at);
            buf[at..start].fill(0);
            let len = 4 + item.value_len();
            buf[start..start + 2].copy_from_slice(&item.kind().to_be_bytes());
            // Lengths were checked against 65535 by the chunk's `buffer_len` caller.
            buf[start + 2..start + 4].copy_from_slice(&(len as u16).to_be_bytes());
            item.emit_value(&mut buf[start + 4..start + len]);
            at = start + len;
        }
    }
}

impl<'a, T: Tlv<'a> + Copy> Default for TlvList<'a, T> {
    fn default() -> Self {
        Self::new(&[])
    }
}

impl<'a, T: Tlv<'a> + Copy + PartialEq> PartialEq for TlvList<'a, T> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl<'a, T: Tlv<'a> + Copy + Eq> Eq for TlvList<'a, T> {}

impl<'a, T: Tlv<'a> + Copy + fmt::Debug> fmt::Debug for TlvList<'a, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Iterator over a [`TlvList`].
#[derive(Clone)]
pub struct TlvIter<'a, T> {
    repr: Repr<'a, T>,
    chunk: u8,
}

impl<T> fmt::Debug for TlvIter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlvIter").finish_non_exhaustive()
    }
}

impl<'a, T: Tlv<'a> + Copy> Iterator for TlvIter<'a, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        match &mut self.repr {
            Repr::Wire(b) => {
                // Every item parsed when the list was made, so neither step fails here.
                let (kind, value, rest) = split(self.chunk, b).ok()?;
                *b = rest;
                T::parse(self.chunk, kind, value).ok()
            }
            Repr::Items(i) => {
                let (head, rest) = i.split_first()?;
                *i = rest;
                Some(*head)
            }
        }
    }
}
