//! `a=rid` (RFC 8851 §10): restriction identifiers, one per simulcast stream.

use std::fmt;

use crate::grammar::payload_type;

/// The direction of a rid (RFC 8851 §10 `rid-dir`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RidDirection {
    /// The author sends this stream.
    Send,
    /// The author receives this stream.
    Recv,
}

impl RidDirection {
    /// The token.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Send => "send",
            Self::Recv => "recv",
        }
    }

    /// The other side's view.
    pub fn reverse(self) -> Self {
        match self {
            Self::Send => Self::Recv,
            Self::Recv => Self::Send,
        }
    }
}

/// One `a=rid:<id> <send|recv> [pt=<fmt>,...;<restriction>;...]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rid {
    /// The rid (`1*(alpha-numeric / "-" / "_")`).
    pub id: String,
    /// Send or receive.
    pub direction: RidDirection,
    /// The payload types the stream may use (`pt=`); empty for all.
    pub payload_types: Vec<u8>,
    /// Other restrictions (`max-width=1280`, ...), in order.
    pub restrictions: Vec<(String, Option<String>)>,
}

/// RFC 8851 §10 `rid-id`.
pub(crate) fn is_rid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 255
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Rid {
    /// A rid with no restrictions.
    pub fn new(id: &str, direction: RidDirection) -> Self {
        Self {
            id: id.to_owned(),
            direction,
            payload_types: Vec::new(),
            restrictions: Vec::new(),
        }
    }

    /// Parses the attribute value.
    pub fn parse(s: &str) -> Option<Self> {
        let mut it = s.splitn(3, ' ');
        let id = it.next().filter(|i| is_rid_id(i))?.to_owned();
        let direction = match it.next()? {
            "send" => RidDirection::Send,
            "recv" => RidDirection::Recv,
            _ => return None,
        };
        let mut rid = Self::new(&id, direction);
        let Some(params) = it.next() else {
            return Some(rid);
        };
        for (i, param) in params.split(';').enumerate() {
            let (name, value) = match param.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (param, None),
            };
            let name_ok =
                !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if !name_ok || value.is_some_and(|v| v.is_empty() || v.contains([' ', ';'])) {
                return None;
            }
            if name == "pt" && i == 0 {
                rid.payload_types = value?
                    .split(',')
                    .map(payload_type)
                    .collect::<Option<Vec<_>>>()?;
            } else {
                rid.restrictions
                    .push((name.to_owned(), value.map(str::to_owned)));
            }
        }
        Some(rid)
    }
}

impl fmt::Display for Rid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.id, self.direction.as_str())?;
        let mut sep = " ";
        if !self.payload_types.is_empty() {
            f.write_str(" pt=")?;
            for (i, pt) in self.payload_types.iter().enumerate() {
                if i > 0 {
                    f.write_str(",")?;
                }
                write!(f, "{pt}")?;
            }
            sep = ";";
        }
        for (name, value) in &self.restrictions {
            write!(f, "{sep}{name}")?;
            if let Some(v) = value {
                write!(f, "={v}")?;
            }
            sep = ";";
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rids_with_restrictions() {
        let r = Rid::parse("h send pt=96,97;max-width=1280;max-height=720").unwrap();
        assert_eq!(r.id, "h");
        assert_eq!(r.direction, RidDirection::Send);
        assert_eq!(r.payload_types, [96, 97]);
        assert_eq!(r.restrictions.len(), 2);
        assert_eq!(
            r.to_string(),
            "h send pt=96,97;max-width=1280;max-height=720"
        );
        let plain = Rid::parse("lo recv").unwrap();
        assert_eq!(plain.to_string(), "lo recv");
        let restricted = Rid::parse("m send max-fps=30").unwrap();
        assert_eq!(restricted.to_string(), "m send max-fps=30");
        for bad in [
            "",
            "h",
            "h both",
            "h send pt=300",
            "h send pt=",
            "h@ send",
            "h send a b",
        ] {
            assert_eq!(Rid::parse(bad), None, "{bad:?}");
        }
    }
}
