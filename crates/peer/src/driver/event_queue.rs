//! Back-pressure on the connection's events: what does not fit the application's bounded
//! event stream is held here, in order, with state changes coalesced; while an event that
//! is not a state change is held, the task does not read the sockets (see the
//! [module docs](super)).

use std::collections::VecDeque;
use std::mem::discriminant;

use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;

use super::PeerConnectionEvent;

/// The sending side of [`Events`](super::Events), with what did not fit.
#[derive(Debug)]
pub(super) struct EventQueue {
    sender: mpsc::Sender<PeerConnectionEvent>,
    /// Events that did not fit the stream, in order; state changes coalesced to the latest
    /// of each kind.
    held: VecDeque<PeerConnectionEvent>,
    /// How many of `held` are not state changes.
    held_others: usize,
}

impl EventQueue {
    pub(super) fn new(sender: mpsc::Sender<PeerConnectionEvent>) -> Self {
        Self {
            sender,
            held: VecDeque::new(),
            held_others: 0,
        }
    }

    /// Whether anything is held back (the task then waits for the application to take
    /// an event).
    pub(super) fn is_holding(&self) -> bool {
        !self.held.is_empty()
    }

    /// Whether an event that is not a state change is held back: then the task stops
    /// reading the sockets. State changes alone never pause reading.
    pub(super) fn holds_others(&self) -> bool {
        self.held_others > 0
    }

    /// Sends the event, or holds it after what is held already. A held state change
    /// replaces the held one of its kind and goes last; returns true when it did (one
    /// event coalesced). A caller that dropped its event stream does not want events:
    /// they are discarded.
    pub(super) fn emit(&mut self, event: PeerConnectionEvent) -> bool {
        let event = if self.held.is_empty() {
            match self.sender.try_send(event) {
                Ok(()) | Err(TrySendError::Closed(_)) => return false,
                Err(TrySendError::Full(event)) => event,
            }
        } else if self.sender.is_closed() {
            self.discard();
            return false;
        } else {
            event
        };
        let mut coalesced = false;
        if is_state(&event) {
            let kind = discriminant(&event);
            if let Some(i) = self.held.iter().position(|e| discriminant(e) == kind) {
                self.held.remove(i);
                coalesced = true;
            }
        } else {
            self.held_others += 1;
        }
        self.held.push_back(event);
        coalesced
    }

    /// Moves held events to the stream while they fit (the application took some).
    pub(super) fn release(&mut self) {
        while let Some(event) = self.held.pop_front() {
            let other = !is_state(&event);
            match self.sender.try_send(event) {
                Ok(()) => {}
                Err(TrySendError::Full(event)) => {
                    self.held.push_front(event);
                    return;
                }
                Err(TrySendError::Closed(_)) => {
                    self.discard();
                    return;
                }
            }
            if other {
                self.held_others -= 1;
            }
        }
    }

    fn discard(&mut self) {
        self.held.clear();
        self.held_others = 0;
    }
}

/// State changes: coalesced when held, and never a reason to stop reading.
fn is_state(event: &PeerConnectionEvent) -> bool {
    use PeerConnectionEvent as E;
    matches!(
        event,
        E::NegotiationNeeded
            | E::SignalingState(_)
            | E::IceGatheringState(_)
            | E::IceConnectionState(_)
            | E::DtlsState(_)
            | E::ConnectionState(_)
            | E::SelectedCandidatePair(_)
    )
}

#[cfg(test)]
mod tests {
    use rtcweb_sdp::SignalingState;

    use super::*;
    use crate::{IceConnectionState, PeerConnectionState};

    fn queue(capacity: usize) -> (EventQueue, mpsc::Receiver<PeerConnectionEvent>) {
        let (sender, receiver) = mpsc::channel(capacity);
        (EventQueue::new(sender), receiver)
    }

    #[test]
    fn what_fits_goes_out_at_once() {
        let (mut q, mut rx) = queue(2);
        assert!(!q.emit(PeerConnectionEvent::NegotiationNeeded));
        assert!(!q.is_holding());
        assert!(matches!(
            rx.try_recv(),
            Ok(PeerConnectionEvent::NegotiationNeeded)
        ));
    }

    #[test]
    fn a_full_stream_holds_events_in_order_and_others_pause_reading() {
        let (mut q, mut rx) = queue(1);
        q.emit(PeerConnectionEvent::NegotiationNeeded);
        q.emit(PeerConnectionEvent::ClosedByPeer);
        q.emit(PeerConnectionEvent::ConnectionState(
            PeerConnectionState::Connected,
        ));
        assert!(q.is_holding() && q.holds_others());
        // The application takes one: the held ones follow as they fit, in order.
        assert!(matches!(
            rx.try_recv(),
            Ok(PeerConnectionEvent::NegotiationNeeded)
        ));
        q.release();
        assert!(matches!(
            rx.try_recv(),
            Ok(PeerConnectionEvent::ClosedByPeer)
        ));
        assert!(!q.holds_others(), "only a state change is held");
        assert!(q.is_holding());
        q.release();
        assert!(matches!(
            rx.try_recv(),
            Ok(PeerConnectionEvent::ConnectionState(
                PeerConnectionState::Connected
            ))
        ));
        assert!(!q.is_holding());
    }

    #[test]
    fn held_state_changes_are_coalesced_to_the_latest_which_goes_last() {
        let (mut q, mut rx) = queue(1);
        q.emit(PeerConnectionEvent::NegotiationNeeded);
        assert!(!q.emit(PeerConnectionEvent::IceConnectionState(
            IceConnectionState::Checking
        )));
        assert!(!q.emit(PeerConnectionEvent::SignalingState(SignalingState::Stable)));
        assert!(q.emit(PeerConnectionEvent::IceConnectionState(
            IceConnectionState::Connected
        )));
        assert!(!q.holds_others(), "state changes never pause reading");
        let mut got = Vec::new();
        while let Ok(e) = rx.try_recv() {
            got.push(e);
            q.release();
        }
        assert!(matches!(
            got.as_slice(),
            [
                PeerConnectionEvent::NegotiationNeeded,
                PeerConnectionEvent::SignalingState(SignalingState::Stable),
                PeerConnectionEvent::IceConnectionState(IceConnectionState::Connected),
            ]
        ));
    }

    #[test]
    fn a_dropped_stream_discards_what_is_held() {
        let (mut q, rx) = queue(1);
        q.emit(PeerConnectionEvent::NegotiationNeeded);
        q.emit(PeerConnectionEvent::ClosedByPeer);
        assert!(q.holds_others());
        drop(rx);
        q.emit(PeerConnectionEvent::ClosedByPeer);
        assert!(!q.is_holding() && !q.holds_others());
        q.release();
        assert!(!q.is_holding());
    }
}
