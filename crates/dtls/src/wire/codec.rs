//! A borrowed cursor for parsing and small helpers for emitting big-endian TLS vectors
//! (RFC 5246 §4: `uint8`..`uint24` integers, vectors with 1-, 2- or 3-byte length prefixes).

use crate::error::WireError;

/// A cursor over borrowed bytes. Every read either returns what the format says or
/// [`WireError::Truncated`]; nothing is copied.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A cursor at the start of `buf`.
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf }
    }

    /// The bytes not yet read.
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.buf
    }

    /// True when everything is read.
    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Fails unless everything is read: trailing bytes in a message are malformed.
    pub(crate) fn finish(&self) -> Result<(), WireError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(WireError::TrailingBytes)
        }
    }

    /// The next `n` bytes.
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        if self.buf.len() < n {
            return Err(WireError::Truncated);
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    /// The next `N` bytes as an array.
    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, WireError> {
        Ok(self.take(1)?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16, WireError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    pub(crate) fn u24(&mut self) -> Result<u32, WireError> {
        let b = self.take(3)?;
        Ok(u32::from_be_bytes([0, b[0], b[1], b[2]]))
    }

    /// A vector with a one-byte length prefix.
    pub(crate) fn vec8(&mut self) -> Result<&'a [u8], WireError> {
        let n = self.u8()?;
        self.take(usize::from(n))
    }

    /// A vector with a two-byte length prefix.
    pub(crate) fn vec16(&mut self) -> Result<&'a [u8], WireError> {
        let n = self.u16()?;
        self.take(usize::from(n))
    }

    /// A vector with a three-byte length prefix.
    pub(crate) fn vec24(&mut self) -> Result<&'a [u8], WireError> {
        let n = self.u24()?;
        self.take(n as usize)
    }
}

/// Appends a `uint16`.
pub(crate) fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// Appends a `uint24`; `v` must fit in 24 bits (callers check lengths first).
pub(crate) fn put_u24(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes()[1..]);
}

/// Appends `body` with a one-byte length prefix. Fails when it is longer than 255 bytes.
pub(crate) fn put_vec8(out: &mut Vec<u8>, body: &[u8]) -> Result<(), WireError> {
    let n = u8::try_from(body.len()).map_err(|_| WireError::TooLong)?;
    out.push(n);
    out.extend_from_slice(body);
    Ok(())
}

/// Appends `body` with a two-byte length prefix. Fails when it is longer than 65535 bytes.
pub(crate) fn put_vec16(out: &mut Vec<u8>, body: &[u8]) -> Result<(), WireError> {
    let n = u16::try_from(body.len()).map_err(|_| WireError::TooLong)?;
    put_u16(out, n);
    out.extend_from_slice(body);
    Ok(())
}

/// Appends `body` with a three-byte length prefix. Fails past 2^24 - 1 bytes.
pub(crate) fn put_vec24(out: &mut Vec<u8>, body: &[u8]) -> Result<(), WireError> {
    if body.len() >= 1 << 24 {
        return Err(WireError::TooLong);
    }
    put_u24(out, body.len() as u32);
    out.extend_from_slice(body);
    Ok(())
}

/// Starts a vector whose two-byte length is filled in by [`end_vec16`]; returns its position.
pub(crate) fn begin_vec16(out: &mut Vec<u8>) -> usize {
    out.extend_from_slice(&[0, 0]);
    out.len()
}

/// Writes the length of the vector started at `start` by [`begin_vec16`].
pub(crate) fn end_vec16(out: &mut [u8], start: usize) -> Result<(), WireError> {
    let n = u16::try_from(out.len() - start).map_err(|_| WireError::TooLong)?;
    out[start - 2..start].copy_from_slice(&n.to_be_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_integers_and_vectors() {
        let bytes = [1, 0, 2, 0, 0, 3, 2, 0xaa, 0xbb, 0, 1, 0xcc, 9];
        let mut r = Reader::new(&bytes);
        assert_eq!(r.u8(), Ok(1));
        assert_eq!(r.u16(), Ok(2));
        assert_eq!(r.u24(), Ok(3));
        assert_eq!(r.vec8(), Ok(&[0xaa, 0xbb][..]));
        assert_eq!(r.vec16(), Ok(&[0xcc][..]));
        assert_eq!(r.finish(), Err(WireError::TrailingBytes));
        assert_eq!(r.u16(), Err(WireError::Truncated));
        assert_eq!(r.u8(), Ok(9));
        assert!(r.is_empty());
    }

    #[test]
    fn truncated_vectors_fail() {
        assert_eq!(Reader::new(&[3, 1, 2]).vec8(), Err(WireError::Truncated));
        assert_eq!(Reader::new(&[0, 0, 9]).vec24(), Err(WireError::Truncated));
    }

    #[test]
    fn writes_vectors() {
        let mut out = Vec::new();
        put_vec8(&mut out, &[1]).unwrap();
        put_vec16(&mut out, &[2, 3]).unwrap();
        put_vec24(&mut out, &[4]).unwrap();
        let start = begin_vec16(&mut out);
        out.extend_from_slice(&[5, 6, 7]);
        end_vec16(&mut out, start).unwrap();
        assert_eq!(out, [1, 1, 0, 2, 2, 3, 0, 0, 1, 4, 0, 3, 5, 6, 7]);
        assert_eq!(put_vec8(&mut out, &[0; 256]), Err(WireError::TooLong));
    }
}
