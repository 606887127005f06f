//! `a=group` (RFC 5888 §5) and its BUNDLE semantics (RFC 8843 §7).

use std::fmt;

use crate::grammar::is_token;

/// A group of media sections named by their mids (`a=group:BUNDLE 0 1 2`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Group {
    /// The semantics token: `BUNDLE` (RFC 8843), `LS` (RFC 5888), ...
    pub semantics: String,
    /// The mids in the group, in order. For BUNDLE the first is the offerer's tag
    /// (RFC 8843 §7.2.1).
    pub mids: Vec<String>,
}

impl Group {
    /// A BUNDLE group of these mids.
    pub fn bundle(mids: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self {
            semantics: "BUNDLE".to_owned(),
            mids: mids.into_iter().map(Into::into).collect(),
        }
    }

    /// Whether this is a BUNDLE group (RFC 8843 §7: the semantics are `BUNDLE`).
    pub fn is_bundle(&self) -> bool {
        self.semantics.eq_ignore_ascii_case("BUNDLE")
    }

    /// Parses the attribute value: the semantics, then the mids, separated by spaces.
    pub fn parse(s: &str) -> Option<Self> {
        let mut it = s.split(' ').filter(|p| !p.is_empty());
        let semantics = it.next().filter(|t| is_token(t))?.to_owned();
        let mut mids = Vec::new();
        for mid in it {
            if !is_token(mid) {
                return None;
            }
            mids.push(mid.to_owned());
        }
        Some(Self { semantics, mids })
    }
}

impl fmt::Display for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.semantics)?;
        for mid in &self.mids {
            write!(f, " {mid}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bundle() {
        let g = Group::parse("BUNDLE 0 1 2").unwrap();
        assert!(g.is_bundle());
        assert_eq!(g.mids, ["0", "1", "2"]);
        assert_eq!(g.to_string(), "BUNDLE 0 1 2");
        assert_eq!(Group::parse("BUNDLE").unwrap().mids.len(), 0);
        assert_eq!(Group::parse(""), None);
        assert_eq!(Group::parse("BUNDLE a\"b"), None);
    }
}
