//! `a=fmtp` (RFC 8866 §6.15): format parameters of one payload type.

use std::fmt;

use crate::grammar::payload_type;

/// Format parameters: `key=value` pairs, or bare values such as RED's `111/111`, separated
/// by `;` (RFC 4855 §3 parameters; names compared case-insensitively).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct FormatParameters(pub Vec<(String, Option<String>)>);

impl FormatParameters {
    /// Parameters from `(name, value)` pairs.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), Some(v.to_owned())))
                .collect(),
        )
    }

    /// The value of a `name=value` parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, v)| v.is_some() && k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.as_deref())
    }

    /// A parameter parsed as a number.
    pub fn get_number<T: std::str::FromStr>(&self, name: &str) -> Option<T> {
        self.get(name).and_then(|v| v.trim().parse().ok())
    }

    /// Whether a flag parameter (`useinbandfec=1`) is set to `1`.
    pub fn flag(&self, name: &str) -> bool {
        self.get(name).is_some_and(|v| v.trim() == "1")
    }

    /// Sets (or adds) a `name=value` parameter.
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        let value = Some(value.into());
        match self
            .0
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
        {
            Some((_, v)) => *v = value,
            None => self.0.push((name.to_owned(), value)),
        }
    }

    /// Whether there are no parameters.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Parses `a;b=c; d=e`: items are trimmed, empty ones skipped.
    pub fn parse(s: &str) -> Self {
        Self(
            s.split(';')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(|item| match item.split_once('=') {
                    Some((k, v)) => (k.trim().to_owned(), Some(v.trim().to_owned())),
                    None => (item.to_owned(), None),
                })
                .collect(),
        )
    }
}

impl fmt::Display for FormatParameters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(";")?;
            }
            f.write_str(k)?;
            if let Some(v) = v {
                write!(f, "={v}")?;
            }
        }
        Ok(())
    }
}

/// One `a=fmtp:<payload type> <parameters>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fmtp {
    /// The payload type the parameters belong to.
    pub payload_type: u8,
    /// The parameters.
    pub parameters: FormatParameters,
}

impl Fmtp {
    /// Parses the attribute value.
    pub fn parse(s: &str) -> Option<Self> {
        let (pt, params) = s.split_once(' ').unwrap_or((s, ""));
        Some(Self {
            payload_type: payload_type(pt)?,
            parameters: FormatParameters::parse(params),
        })
    }
}

impl fmt::Display for Fmtp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.payload_type)?;
        if !self.parameters.is_empty() {
            write!(f, " {}", self.parameters)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_opus_h264_and_red() {
        let opus = Fmtp::parse("111 minptime=10;useinbandfec=1").unwrap();
        assert_eq!(opus.payload_type, 111);
        assert!(opus.parameters.flag("useinbandfec"));
        assert_eq!(opus.parameters.get_number::<u32>("minptime"), Some(10));
        assert_eq!(opus.to_string(), "111 minptime=10;useinbandfec=1");

        let h264 = Fmtp::parse(
            "102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f",
        )
        .unwrap();
        assert_eq!(h264.parameters.get("PROFILE-LEVEL-ID"), Some("42001f"));

        let red = Fmtp::parse("63 111/111").unwrap();
        assert_eq!(red.parameters.0, vec![("111/111".to_owned(), None)]);
        assert_eq!(red.to_string(), "63 111/111");
    }

    #[test]
    fn spaces_after_semicolons_parse_to_the_same_value() {
        let spaced = Fmtp::parse("109 maxplaybackrate=48000; stereo=1;").unwrap();
        let plain = Fmtp::parse("109 maxplaybackrate=48000;stereo=1").unwrap();
        assert_eq!(spaced, plain);
        assert_eq!(Fmtp::parse("x apt=1"), None);
        let mut p = FormatParameters::default();
        p.set("apt", "96");
        p.set("APT", "97");
        assert_eq!(p.to_string(), "apt=97");
    }
}
