//! `a=rtpmap` (RFC 8866 §6.6) and the static payload types of RFC 3551 §6.

use std::fmt;

use crate::grammar::{is_token, number, payload_type};

/// One `a=rtpmap:<payload type> <encoding name>/<clock rate>[/<channels>]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RtpMap {
    /// The RTP payload type (0..=127).
    pub payload_type: u8,
    /// The encoding name (`opus`, `VP8`, `rtx`, ...), compared case-insensitively
    /// (RFC 4855 §3).
    pub encoding: String,
    /// The RTP clock rate in Hz.
    pub clock_rate: u32,
    /// The encoding parameters: the number of audio channels.
    pub channels: Option<u16>,
}

impl RtpMap {
    /// Parses the attribute value.
    pub fn parse(s: &str) -> Option<Self> {
        let (pt, rest) = s.split_once(' ')?;
        let payload_type = payload_type(pt)?;
        let mut parts = rest.split('/');
        let encoding = parts.next().filter(|e| is_token(e))?.to_owned();
        let clock_rate = number(parts.next()?, 10)?;
        let channels = match parts.next() {
            Some(c) => Some(number(c, 5)?),
            None => None,
        };
        if parts.next().is_some() {
            return None;
        }
        Some(Self {
            payload_type,
            encoding,
            clock_rate,
            channels,
        })
    }

    /// The codec a static payload type stands for when no `a=rtpmap` names it
    /// (RFC 3551 §6, Table 4 and 5; the ones still met in WebRTC).
    pub fn static_payload_type(payload_type: u8) -> Option<Self> {
        let (encoding, clock_rate, channels) = match payload_type {
            0 => ("PCMU", 8000, Some(1)),
            3 => ("GSM", 8000, Some(1)),
            4 => ("G723", 8000, Some(1)),
            8 => ("PCMA", 8000, Some(1)),
            9 => ("G722", 8000, Some(1)),
            13 => ("CN", 8000, Some(1)),
            18 => ("G729", 8000, Some(1)),
            _ => return None,
        };
        Some(Self {
            payload_type,
            encoding: encoding.to_owned(),
            clock_rate,
            channels,
        })
    }
}

impl fmt::Display for RtpMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}/{}",
            self.payload_type, self.encoding, self.clock_rate
        )?;
        if let Some(c) = self.channels {
            write!(f, "/{c}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_opus_and_vp8() {
        let opus = RtpMap::parse("111 opus/48000/2").unwrap();
        assert_eq!(
            (opus.payload_type, opus.encoding.as_str(), opus.clock_rate),
            (111, "opus", 48000)
        );
        assert_eq!(opus.channels, Some(2));
        assert_eq!(opus.to_string(), "111 opus/48000/2");
        let vp8 = RtpMap::parse("96 VP8/90000").unwrap();
        assert_eq!(vp8.channels, None);
        assert_eq!(vp8.to_string(), "96 VP8/90000");
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "111",
            "200 opus/48000",
            "111 opus",
            "111 opus/x",
            "111 opus/1/2/3",
        ] {
            assert_eq!(RtpMap::parse(bad), None, "{bad:?}");
        }
        assert_eq!(RtpMap::static_payload_type(0).unwrap().encoding, "PCMU");
        assert_eq!(RtpMap::static_payload_type(96), None);
    }
}
