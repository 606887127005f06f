//! Alert (RFC 5246 §7.2): `level(1) description(1)`.

use std::fmt;

use crate::error::WireError;

/// Alert level (RFC 5246 §7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlertLevel {
    /// `warning` (1).
    Warning,
    /// `fatal` (2).
    Fatal,
}

/// An alert description (RFC 5246 §7.2, RFC 8446 §6), open to unknown values.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AlertDescription(pub u8);

impl AlertDescription {
    /// `close_notify`.
    pub const CLOSE_NOTIFY: Self = Self(0);
    /// `unexpected_message`.
    pub const UNEXPECTED_MESSAGE: Self = Self(10);
    /// `bad_record_mac`.
    pub const BAD_RECORD_MAC: Self = Self(20);
    /// `record_overflow`.
    pub const RECORD_OVERFLOW: Self = Self(22);
    /// `handshake_failure`.
    pub const HANDSHAKE_FAILURE: Self = Self(40);
    /// `bad_certificate`.
    pub const BAD_CERTIFICATE: Self = Self(42);
    /// `unsupported_certificate`.
    pub const UNSUPPORTED_CERTIFICATE: Self = Self(43);
    /// `certificate_unknown`.
    pub const CERTIFICATE_UNKNOWN: Self = Self(46);
    /// `illegal_parameter`.
    pub const ILLEGAL_PARAMETER: Self = Self(47);
    /// `decode_error`.
    pub const DECODE_ERROR: Self = Self(50);
    /// `decrypt_error`.
    pub const DECRYPT_ERROR: Self = Self(51);
    /// `protocol_version`.
    pub const PROTOCOL_VERSION: Self = Self(70);
    /// `insufficient_security`.
    pub const INSUFFICIENT_SECURITY: Self = Self(71);
    /// `internal_error`.
    pub const INTERNAL_ERROR: Self = Self(80);
    /// `user_canceled` (RFC 8446 §6.1: not fatal).
    pub const USER_CANCELED: Self = Self(90);
    /// `no_renegotiation`.
    pub const NO_RENEGOTIATION: Self = Self(100);
    /// `unsupported_extension`.
    pub const UNSUPPORTED_EXTENSION: Self = Self(110);
    /// `certificate_required` (RFC 8446).
    pub const CERTIFICATE_REQUIRED: Self = Self(116);

    fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "close_notify",
            10 => "unexpected_message",
            20 => "bad_record_mac",
            22 => "record_overflow",
            40 => "handshake_failure",
            42 => "bad_certificate",
            43 => "unsupported_certificate",
            46 => "certificate_unknown",
            47 => "illegal_parameter",
            50 => "decode_error",
            51 => "decrypt_error",
            70 => "protocol_version",
            71 => "insufficient_security",
            80 => "internal_error",
            100 => "no_renegotiation",
            110 => "unsupported_extension",
            116 => "certificate_required",
            _ => return None,
        })
    }
}

impl fmt::Debug for AlertDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "alert({})", self.0),
        }
    }
}

impl fmt::Display for AlertDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// An alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Alert {
    /// The level.
    pub level: AlertLevel,
    /// The description.
    pub description: AlertDescription,
}

impl Alert {
    /// Parses an alert record's plaintext.
    pub fn parse(body: &[u8]) -> Result<Self, WireError> {
        let [level, description] = body else {
            return Err(WireError::BadLength);
        };
        let level = match level {
            1 => AlertLevel::Warning,
            2 => AlertLevel::Fatal,
            _ => return Err(WireError::BadAlertLevel(*level)),
        };
        Ok(Self {
            level,
            description: AlertDescription(*description),
        })
    }

    /// The two bytes of the alert.
    pub fn to_bytes(self) -> [u8; 2] {
        let level = match self.level {
            AlertLevel::Warning => 1,
            AlertLevel::Fatal => 2,
        };
        [level, self.description.0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let a = Alert {
            level: AlertLevel::Fatal,
            description: AlertDescription::BAD_CERTIFICATE,
        };
        assert_eq!(Alert::parse(&a.to_bytes()), Ok(a));
        assert_eq!(Alert::parse(&[3, 0]), Err(WireError::BadAlertLevel(3)));
        assert_eq!(Alert::parse(&[1]), Err(WireError::BadLength));
        assert_eq!(format!("{}", AlertDescription(42)), "bad_certificate");
        assert_eq!(format!("{}", AlertDescription(200)), "alert(200)");
    }
}
