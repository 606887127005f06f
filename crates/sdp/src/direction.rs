//! Media direction attributes (`a=sendrecv`, `a=sendonly`, `a=recvonly`, `a=inactive`,
//! RFC 8866 §6.7) and how an answer mirrors them (RFC 3264 §6.1, RFC 8829 §5.3.1).

use std::fmt;

/// The direction of a media section, from the point of view of the description's author.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Direction {
    /// Sends and receives (the default when no direction attribute is present, RFC 8866 §6.7).
    #[default]
    SendRecv,
    /// Only sends.
    SendOnly,
    /// Only receives.
    RecvOnly,
    /// Neither sends nor receives.
    Inactive,
}

impl Direction {
    /// The direction made of two flags.
    pub fn from_flags(send: bool, recv: bool) -> Self {
        match (send, recv) {
            (true, true) => Self::SendRecv,
            (true, false) => Self::SendOnly,
            (false, true) => Self::RecvOnly,
            (false, false) => Self::Inactive,
        }
    }

    /// Whether the author sends.
    pub fn sends(self) -> bool {
        matches!(self, Self::SendRecv | Self::SendOnly)
    }

    /// Whether the author receives.
    pub fn receives(self) -> bool {
        matches!(self, Self::SendRecv | Self::RecvOnly)
    }

    /// The same direction seen from the other side: sendonly becomes recvonly.
    pub fn reverse(self) -> Self {
        Self::from_flags(self.receives(), self.sends())
    }

    /// What both allow.
    pub fn intersect(self, other: Self) -> Self {
        Self::from_flags(
            self.sends() && other.sends(),
            self.receives() && other.receives(),
        )
    }

    /// The direction an answerer puts in its answer: what it wants (`local`) limited by the
    /// mirror of what was offered (RFC 3264 §6.1, RFC 8829 §5.3.1).
    pub fn answer(offered: Self, local: Self) -> Self {
        local.intersect(offered.reverse())
    }

    /// The attribute name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SendRecv => "sendrecv",
            Self::SendOnly => "sendonly",
            Self::RecvOnly => "recvonly",
            Self::Inactive => "inactive",
        }
    }

    /// The direction an attribute name stands for.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "sendrecv" => Self::SendRecv,
            "sendonly" => Self::SendOnly,
            "recvonly" => Self::RecvOnly,
            "inactive" => Self::Inactive,
            _ => return None,
        })
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Direction::{self, *};

    #[test]
    fn answers_mirror_the_offer_rfc3264_6_1() {
        assert_eq!(Direction::answer(SendRecv, SendRecv), SendRecv);
        assert_eq!(Direction::answer(SendOnly, SendRecv), RecvOnly);
        assert_eq!(Direction::answer(RecvOnly, SendRecv), SendOnly);
        assert_eq!(Direction::answer(RecvOnly, RecvOnly), Inactive);
        assert_eq!(Direction::answer(Inactive, SendRecv), Inactive);
        assert_eq!(Direction::answer(SendRecv, RecvOnly), RecvOnly);
    }

    #[test]
    fn names_round_trip() {
        for d in [SendRecv, SendOnly, RecvOnly, Inactive] {
            assert_eq!(Direction::from_name(d.as_str()), Some(d));
            assert_eq!(d.reverse().reverse(), d);
        }
        assert_eq!(Direction::from_name("SENDRECV"), None);
    }
}
