//! ICE attributes other than candidates: `a=ice-options` (RFC 8839 §5.6).

use std::fmt;

use crate::grammar::is_ice_chars;

/// One `ice-option-tag` (RFC 8839 §5.6).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IceOption {
    /// `trickle`: candidates may come after the description (RFC 8838 §4.1.1).
    Trickle,
    /// `ice2`: the agent follows RFC 8445 (RFC 8445 §10).
    Ice2,
    /// Any other tag (`renomination`, ...).
    Other(String),
}

impl IceOption {
    /// The tag.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Trickle => "trickle",
            Self::Ice2 => "ice2",
            Self::Other(s) => s,
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "trickle" => Self::Trickle,
            "ice2" => Self::Ice2,
            _ if is_ice_chars(s) => Self::Other(s.to_owned()),
            _ => return None,
        })
    }
}

/// The value of `a=ice-options`: tags separated by spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct IceOptions(pub Vec<IceOption>);

impl IceOptions {
    /// Whether the `trickle` tag is present.
    pub fn trickle(&self) -> bool {
        self.0.contains(&IceOption::Trickle)
    }

    /// Whether the `ice2` tag is present.
    pub fn ice2(&self) -> bool {
        self.0.contains(&IceOption::Ice2)
    }

    /// Parses the value.
    pub fn parse(s: &str) -> Option<Self> {
        let tags = s
            .split(' ')
            .filter(|t| !t.is_empty())
            .map(IceOption::parse)
            .collect::<Option<Vec<_>>>()?;
        (!tags.is_empty()).then_some(Self(tags))
    }
}

impl fmt::Display for IceOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, t) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(t.as_str())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tags() {
        let o = IceOptions::parse("trickle ice2 renomination").unwrap();
        assert!(o.trickle() && o.ice2());
        assert_eq!(o.to_string(), "trickle ice2 renomination");
        assert_eq!(IceOptions::parse(""), None);
        assert_eq!(IceOptions::parse("tr:ckle"), None);
    }
}
