//! Signaling states and the transitions JSEP allows (RFC 8829 §3.2, the W3C
//! `RTCSignalingState` machine).

use std::fmt;

/// The type of a description (RFC 8829 §3.2: offer, provisional answer, answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SdpType {
    /// An offer.
    Offer,
    /// A provisional answer: applied, but the exchange stays open (RFC 8829 §4.1.10.1).
    Pranswer,
    /// A final answer.
    Answer,
    /// W3C `rollback`: cancels the outstanding offer (RFC 8829 §4.1.10.2); carries no SDP.
    Rollback,
}

impl SdpType {
    /// The W3C `RTCSdpType` string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Offer => "offer",
            Self::Pranswer => "pranswer",
            Self::Answer => "answer",
            Self::Rollback => "rollback",
        }
    }
}

impl fmt::Display for SdpType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The signaling state (RFC 8829 §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SignalingState {
    /// No exchange in progress.
    #[default]
    Stable,
    /// We applied an offer and wait for the answer.
    HaveLocalOffer,
    /// We applied the peer's offer and owe an answer.
    HaveRemoteOffer,
    /// We applied our provisional answer.
    HaveLocalPranswer,
    /// We applied the peer's provisional answer.
    HaveRemotePranswer,
    /// Closed for good.
    Closed,
}

impl SignalingState {
    /// Every state.
    pub const ALL: [Self; 6] = [
        Self::Stable,
        Self::HaveLocalOffer,
        Self::HaveRemoteOffer,
        Self::HaveLocalPranswer,
        Self::HaveRemotePranswer,
        Self::Closed,
    ];

    /// The W3C string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stable => "stable",
            Self::HaveLocalOffer => "have-local-offer",
            Self::HaveRemoteOffer => "have-remote-offer",
            Self::HaveLocalPranswer => "have-local-pranswer",
            Self::HaveRemotePranswer => "have-remote-pranswer",
            Self::Closed => "closed",
        }
    }

    /// The state after `op`, or `None` when JSEP forbids `op` in this state.
    ///
    /// RFC 8829 §3.2 (figure 1): a local offer from stable or have-local-offer; a remote
    /// offer from stable or have-remote-offer; answers and provisional answers only against
    /// an outstanding offer of the other side; rollback only with an offer outstanding (W3C
    /// `setLocalDescription({type: "rollback"})`); createOffer in stable or
    /// have-local-offer, createAnswer in have-remote-offer or have-local-pranswer (W3C
    /// §4.4.1.6). Nothing is allowed once closed.
    pub fn after(self, op: Operation) -> Option<Self> {
        use Operation::*;
        use SdpType::*;
        use SignalingState::*;
        match (self, op) {
            (Closed, _) => None,
            (Stable | HaveLocalOffer, CreateOffer) => Some(self),
            (HaveRemoteOffer | HaveLocalPranswer, CreateAnswer) => Some(self),
            // A rollback as a description type goes through `Operation::Rollback`.
            (_, SetLocal(SdpType::Rollback) | SetRemote(SdpType::Rollback)) => None,
            (Stable | HaveLocalOffer, SetLocal(Offer)) => Some(HaveLocalOffer),
            (Stable | HaveRemoteOffer, SetRemote(Offer)) => Some(HaveRemoteOffer),
            (HaveRemoteOffer | HaveLocalPranswer, SetLocal(Pranswer)) => Some(HaveLocalPranswer),
            (HaveRemoteOffer | HaveLocalPranswer, SetLocal(Answer)) => Some(Stable),
            (HaveLocalOffer | HaveRemotePranswer, SetRemote(Pranswer)) => Some(HaveRemotePranswer),
            (HaveLocalOffer | HaveRemotePranswer, SetRemote(Answer)) => Some(Stable),
            (HaveLocalOffer | HaveRemoteOffer, Operation::Rollback) => Some(Stable),
            _ => None,
        }
    }
}

impl fmt::Display for SignalingState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A signaling operation, for [`SignalingState::after`] and error reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `createOffer`.
    CreateOffer,
    /// `createAnswer`.
    CreateAnswer,
    /// `setLocalDescription` of this type.
    SetLocal(SdpType),
    /// `setRemoteDescription` of this type.
    SetRemote(SdpType),
    /// Rollback of the outstanding offer.
    Rollback,
}

impl Operation {
    /// Every operation.
    pub const ALL: [Self; 9] = [
        Self::CreateOffer,
        Self::CreateAnswer,
        Self::SetLocal(SdpType::Offer),
        Self::SetLocal(SdpType::Pranswer),
        Self::SetLocal(SdpType::Answer),
        Self::SetRemote(SdpType::Offer),
        Self::SetRemote(SdpType::Pranswer),
        Self::SetRemote(SdpType::Answer),
        Self::Rollback,
    ];
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::CreateOffer => f.write_str("createOffer"),
            Self::CreateAnswer => f.write_str("createAnswer"),
            Self::SetLocal(t) => write!(f, "setLocalDescription({t})"),
            Self::SetRemote(t) => write!(f, "setRemoteDescription({t})"),
            Self::Rollback => f.write_str("rollback"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offer_answer_cycles() {
        use Operation::{Rollback, SetLocal, SetRemote};
        use SdpType::{Answer, Offer, Pranswer};
        let s = SignalingState::Stable;
        let s = s.after(SetLocal(Offer)).unwrap();
        assert_eq!(s, SignalingState::HaveLocalOffer);
        let s = s.after(SetRemote(Pranswer)).unwrap();
        assert_eq!(s.after(SetRemote(Answer)), Some(SignalingState::Stable));
        assert_eq!(
            SignalingState::Stable.after(SetRemote(Answer)),
            None,
            "answer without offer"
        );
        assert_eq!(SignalingState::HaveLocalOffer.after(SetRemote(Offer)), None);
        assert_eq!(SignalingState::Stable.after(Rollback), None);
        assert_eq!(SignalingState::HaveLocalPranswer.after(Rollback), None);
        for op in Operation::ALL {
            assert_eq!(SignalingState::Closed.after(op), None);
        }
    }
}
