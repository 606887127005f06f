//! Lists of fixed-size items (gap ack blocks, TSNs, stream numbers, FORWARD TSN pairs):
//! a borrowed view of the wire bytes when parsed, a borrowed slice when written.

use std::fmt;

/// A fixed-size big-endian item of a list inside a chunk.
pub trait FixedItem: Copy {
    /// Size on the wire.
    const LEN: usize;
    /// Reads one item from exactly [`Self::LEN`] bytes.
    fn read(b: &[u8]) -> Self;
    /// Writes one item into exactly [`Self::LEN`] bytes.
    fn write(self, b: &mut [u8]);
}

impl FixedItem for u16 {
    const LEN: usize = 2;
    fn read(b: &[u8]) -> Self {
        Self::from_be_bytes([b[0], b[1]])
    }
    fn write(self, b: &mut [u8]) {
        b.copy_from_slice(&self.to_be_bytes());
    }
}

impl FixedItem for u32 {
    const LEN: usize = 4;
    fn read(b: &[u8]) -> Self {
        Self::from_be_bytes([b[0], b[1], b[2], b[3]])
    }
    fn write(self, b: &mut [u8]) {
        b.copy_from_slice(&self.to_be_bytes());
    }
}

/// What a borrowed list of the wire format holds: the parsed packet's bytes (checked when
/// the list was made: a whole number of fixed-size items, or TLVs that all parsed), or the
/// writer's items. Shared by [`List`] and [`TlvList`](super::TlvList).
#[derive(Clone, Copy)]
pub(crate) enum Repr<'a, T> {
    /// Wire bytes.
    Wire(&'a [u8]),
    /// Items given by the writer.
    Items(&'a [T]),
}

/// A list of fixed-size items: parsed without copying, or given as a slice to write.
#[derive(Clone, Copy)]
pub struct List<'a, T> {
    repr: Repr<'a, T>,
}

impl<'a, T: FixedItem> List<'a, T> {
    /// A list of the given items, for writing.
    pub const fn new(items: &'a [T]) -> Self {
        Self {
            repr: Repr::Items(items),
        }
    }

    /// A view of wire bytes; `None` unless they hold a whole number of items.
    pub(crate) fn from_wire(bytes: &'a [u8]) -> Option<Self> {
        (bytes.len() % T::LEN == 0).then_some(Self {
            repr: Repr::Wire(bytes),
        })
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        match self.repr {
            Repr::Wire(b) => b.len() / T::LEN,
            Repr::Items(i) => i.len(),
        }
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes on the wire.
    pub fn wire_len(&self) -> usize {
        self.len() * T::LEN
    }

    /// The items in order.
    pub fn iter(&self) -> ListIter<'a, T> {
        ListIter { repr: self.repr }
    }

    /// Writes the items into `buf`, which is exactly [`Self::wire_len`] bytes long.
    pub(crate) fn emit(&self, buf: &mut [u8]) {
        match self.repr {
            Repr::Wire(b) => buf.copy_from_slice(b),
            Repr::Items(items) => {
                for (item, out) in items.iter().zip(buf.chunks_exact_mut(T::LEN)) {
                    item.write(out);
                }
            }
        }
    }
}

impl<T: FixedItem> Default for List<'_, T> {
    fn default() -> Self {
        Self::new(&[])
    }
}

impl<T: FixedItem + PartialEq> PartialEq for List<'_, T> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<T: FixedItem + Eq> Eq for List<'_, T> {}

impl<T: FixedItem + fmt::Debug> fmt::Debug for List<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a, T: FixedItem> IntoIterator for List<'a, T> {
    type Item = T;
    type IntoIter = ListIter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Iterator over a [`List`].
#[derive(Debug, Clone)]
pub struct ListIter<'a, T> {
    repr: Repr<'a, T>,
}

impl<T: fmt::Debug> fmt::Debug for Repr<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Wire(b) => write!(f, "Wire({} bytes)", b.len()),
            Self::Items(i) => write!(f, "Items({i:?})"),
        }
    }
}

impl<T: FixedItem> Iterator for ListIter<'_, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        match &mut self.repr {
            Repr::Wire(b) => {
                let (head, rest) = b.split_at_checked(T::LEN)?;
                *b = rest;
                Some(T::read(head))
            }
            Repr::Items(i) => {
                let (head, rest) = i.split_first()?;
                *i = rest;
                Some(*head)
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = match self.repr {
            Repr::Wire(b) => b.len() / T::LEN,
            Repr::Items(i) => i.len(),
        };
        (n, Some(n))
    }
}

impl<T: FixedItem> ExactSizeIterator for ListIter<'_, T> {}
