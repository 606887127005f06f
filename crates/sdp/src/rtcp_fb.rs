//! `a=rtcp-fb` (RFC 4585 §4.2): RTCP feedback a receiver accepts for a payload type.

use std::fmt;

use crate::grammar::{is_token, payload_type};

/// One `a=rtcp-fb:<payload type or *> <type> [<parameters>]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RtcpFeedback {
    /// The payload type, or `None` for `*` (every payload type of the section).
    pub payload_type: Option<u8>,
    /// The feedback: a type and its optional parameter (`nack pli`, `ccm fir`,
    /// `transport-cc`, `goog-remb`).
    pub feedback: Feedback,
}

/// An RTCP feedback type with its parameter (RFC 4585 §4.2 `rtcp-fb-val`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Feedback {
    /// The type: `nack`, `ccm`, `trr-int`, `transport-cc`, `goog-remb`, ...
    pub kind: String,
    /// The parameter, as written (`pli`, `fir`, ...).
    pub parameter: Option<String>,
}

impl Feedback {
    /// A feedback type with an optional parameter.
    pub fn new(kind: &str, parameter: Option<&str>) -> Self {
        Self {
            kind: kind.to_owned(),
            parameter: parameter.map(str::to_owned),
        }
    }
}

impl fmt::Display for Feedback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.kind)?;
        if let Some(p) = &self.parameter {
            write!(f, " {p}")?;
        }
        Ok(())
    }
}

impl RtcpFeedback {
    /// Parses the attribute value.
    pub fn parse(s: &str) -> Option<Self> {
        let (pt, rest) = s.split_once(' ')?;
        let payload_type = if pt == "*" {
            None
        } else {
            Some(payload_type(pt)?)
        };
        let rest = rest.trim_matches(' ');
        let (kind, parameter) = match rest.split_once(' ') {
            Some((k, p)) => (k, Some(p.trim_start_matches(' '))),
            None => (rest, None),
        };
        if !is_token(kind) || parameter.is_some_and(str::is_empty) {
            return None;
        }
        Some(Self {
            payload_type,
            feedback: Feedback::new(kind, parameter),
        })
    }

    /// Whether the line applies to this payload type.
    pub fn applies_to(&self, pt: u8) -> bool {
        self.payload_type.is_none_or(|p| p == pt)
    }
}

impl fmt::Display for RtcpFeedback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.payload_type {
            Some(pt) => write!(f, "{pt} {}", self.feedback),
            None => write!(f, "* {}", self.feedback),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_chromium_feedback() {
        let pli = RtcpFeedback::parse("96 nack pli").unwrap();
        assert_eq!(pli.payload_type, Some(96));
        assert_eq!(pli.feedback, Feedback::new("nack", Some("pli")));
        assert_eq!(pli.to_string(), "96 nack pli");
        let star = RtcpFeedback::parse("* ccm tmmbr smaxpr=120").unwrap();
        assert!(star.applies_to(5));
        assert_eq!(star.feedback.parameter.as_deref(), Some("tmmbr smaxpr=120"));
        assert_eq!(star.to_string(), "* ccm tmmbr smaxpr=120");
        for bad in ["", "96", "200 nack", "96 ", "x nack"] {
            assert_eq!(RtcpFeedback::parse(bad), None, "{bad:?}");
        }
    }
}
