//! Transceivers (RFC 8829 §3.4.1): one per audio or video media section, and the table of
//! media sections in negotiation order.

use std::fmt;

use crate::{Direction, MediaKind};

/// Identifies a transceiver for the lifetime of the negotiator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TransceiverId(pub u32);

impl fmt::Display for TransceiverId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The track a transceiver sends: its `a=msid` (RFC 8830 §2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LocalTrack {
    /// The MediaStream id (`-` for none).
    pub stream_id: String,
    /// The track id.
    pub track_id: String,
}

/// A transceiver: what we want for one audio or video media section, and what was
/// negotiated for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transceiver {
    pub(crate) id: TransceiverId,
    pub(crate) kind: MediaKind,
    pub(crate) direction: Direction,
    pub(crate) track: Option<LocalTrack>,
    pub(crate) stopped: bool,
    pub(crate) mid: Option<String>,
    pub(crate) current_direction: Option<Direction>,
    pub(crate) ssrc: u32,
    pub(crate) rtx_ssrc: u32,
    /// Made by applying a remote offer (removed again by a rollback).
    pub(crate) from_remote: bool,
}

impl Transceiver {
    /// Its id.
    pub fn id(&self) -> TransceiverId {
        self.id
    }

    /// Audio or video.
    pub fn kind(&self) -> &MediaKind {
        &self.kind
    }

    /// The direction we want.
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// The track we send, if any.
    pub fn track(&self) -> Option<&LocalTrack> {
        self.track.as_ref()
    }

    /// Whether it was stopped (its section is rejected in the next offer).
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// The mid of its media section, once associated.
    pub fn mid(&self) -> Option<&str> {
        self.mid.as_deref()
    }

    /// The direction negotiated last, from our side (`None` before negotiation or after
    /// rejection).
    pub fn current_direction(&self) -> Option<Direction> {
        self.current_direction
    }

    /// The SSRC of the stream we send.
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// The SSRC of our retransmission stream (RFC 4588).
    pub fn rtx_ssrc(&self) -> u32 {
        self.rtx_ssrc
    }
}

/// What occupies a media section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Content {
    /// An audio or video transceiver.
    Transceiver(TransceiverId),
    /// The data channel section.
    Data,
    /// A section we cannot use (other media type or protocol), rejected in our answers and
    /// offers until recycled.
    Unsupported {
        kind: MediaKind,
        protocol: String,
        formats: Vec<String>,
    },
}

/// One media section of the session, in `m=` order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    pub(crate) mid: String,
    pub(crate) content: Content,
    /// Rejected (port 0) in the last applied exchange: may be recycled (RFC 8829 §5.2.2).
    pub(crate) rejected: bool,
}
