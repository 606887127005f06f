//! `a=ssrc` and `a=ssrc-group` (RFC 5576 §4.1, §4.2).

use std::fmt;

use crate::grammar::{is_token, number};

/// One `a=ssrc:<ssrc-id> <attribute>[:<value>]`: a source-level attribute (`cname`, `msid`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ssrc {
    /// The synchronization source.
    pub ssrc: u32,
    /// The source attribute name (`cname`, `msid`, ...).
    pub attribute: String,
    /// Its value, as written (`msid` values hold a space).
    pub value: Option<String>,
}

impl Ssrc {
    /// A `cname` source attribute (RFC 5576 §6.1).
    pub fn cname(ssrc: u32, cname: &str) -> Self {
        Self {
            ssrc,
            attribute: "cname".to_owned(),
            value: Some(cname.to_owned()),
        }
    }

    /// Parses the attribute value.
    pub fn parse(s: &str) -> Option<Self> {
        let (id, rest) = s.split_once(' ')?;
        let ssrc = number(id, 10)?;
        let rest = rest.trim_start_matches(' ');
        let (attribute, value) = match rest.split_once(':') {
            Some((a, v)) => (a, Some(v)),
            None => (rest, None),
        };
        if !is_token(attribute) {
            return None;
        }
        Some(Self {
            ssrc,
            attribute: attribute.to_owned(),
            value: value.map(str::to_owned),
        })
    }
}

impl fmt::Display for Ssrc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.ssrc, self.attribute)?;
        if let Some(v) = &self.value {
            write!(f, ":{v}")?;
        }
        Ok(())
    }
}

/// One `a=ssrc-group:<semantics> <ssrc-id>...`: `FID` pairs a stream with its RTX stream
/// (RFC 5576 §4.2, RFC 4588 §8.1 usage), `SIM` lists simulcast layers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SsrcGroup {
    /// The semantics: `FID`, `SIM`, `FEC-FR`, ...
    pub semantics: String,
    /// The sources, in order.
    pub ssrcs: Vec<u32>,
}

impl SsrcGroup {
    /// A `FID` group: a primary source and its retransmission source.
    pub fn fid(primary: u32, rtx: u32) -> Self {
        Self {
            semantics: "FID".to_owned(),
            ssrcs: vec![primary, rtx],
        }
    }

    /// Parses the attribute value.
    pub fn parse(s: &str) -> Option<Self> {
        let mut it = s.split(' ').filter(|p| !p.is_empty());
        let semantics = it.next().filter(|t| is_token(t))?.to_owned();
        let ssrcs = it.map(|p| number(p, 10)).collect::<Option<Vec<u32>>>()?;
        Some(Self { semantics, ssrcs })
    }
}

impl fmt::Display for SsrcGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.semantics)?;
        for s in &self.ssrcs {
            write!(f, " {s}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_chromium_ssrc_lines() {
        let c = Ssrc::parse("2668571040 cname:wIFGr1eKsqVA6o5q").unwrap();
        assert_eq!(c, Ssrc::cname(2668571040, "wIFGr1eKsqVA6o5q"));
        let m = Ssrc::parse("1 msid:stream track").unwrap();
        assert_eq!(m.value.as_deref(), Some("stream track"));
        assert_eq!(m.to_string(), "1 msid:stream track");
        let g = SsrcGroup::parse("FID 1516034624 123868265").unwrap();
        assert_eq!(g, SsrcGroup::fid(1516034624, 123868265));
        assert_eq!(g.to_string(), "FID 1516034624 123868265");
        for bad in ["", "1", "99999999999 cname:x", "x cname:y", "1 :x"] {
            assert_eq!(Ssrc::parse(bad), None, "{bad:?}");
        }
        assert_eq!(SsrcGroup::parse("FID x"), None);
    }
}
