//! The open registries of code points: chunk types (RFC 9260 §3.2), parameter types
//! (§3.2.1) and error cause codes (§3.3.10), and what to do with unrecognised ones.

/// What the upper two bits of an unrecognised chunk or parameter type ask for
/// (RFC 9260 §3.2 for chunks, §3.2.1 for parameters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnrecognizedAction {
    /// `00`: stop processing the packet (chunk) or the chunk (parameter); report nothing.
    Stop,
    /// `01`: stop, and report it (an ERROR with "Unrecognized Chunk Type", or an
    /// "Unrecognized Parameters" cause).
    StopAndReport,
    /// `10`: skip it and go on.
    Skip,
    /// `11`: skip it, go on, and report it.
    SkipAndReport,
}

impl UnrecognizedAction {
    /// The action encoded in the two highest bits of `high_byte`.
    pub const fn from_high_bits(high_byte: u8) -> Self {
        match high_byte >> 6 {
            0 => Self::Stop,
            1 => Self::StopAndReport,
            2 => Self::Skip,
            _ => Self::SkipAndReport,
        }
    }

    /// Whether processing goes on past the unrecognised item.
    pub const fn skips(self) -> bool {
        matches!(self, Self::Skip | Self::SkipAndReport)
    }

    /// Whether the peer wants it reported.
    pub const fn reports(self) -> bool {
        matches!(self, Self::StopAndReport | Self::SkipAndReport)
    }
}

/// A chunk type (RFC 9260 §3.2): an open set, so unknown types stay representable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChunkType(pub u8);

impl ChunkType {
    /// Payload Data (RFC 9260 §3.3.1).
    pub const DATA: Self = Self(0);
    /// Initiation (§3.3.2).
    pub const INIT: Self = Self(1);
    /// Initiation Acknowledgement (§3.3.3).
    pub const INIT_ACK: Self = Self(2);
    /// Selective Acknowledgement (§3.3.4).
    pub const SACK: Self = Self(3);
    /// Heartbeat Request (§3.3.5).
    pub const HEARTBEAT: Self = Self(4);
    /// Heartbeat Acknowledgement (§3.3.6).
    pub const HEARTBEAT_ACK: Self = Self(5);
    /// Abort (§3.3.7).
    pub const ABORT: Self = Self(6);
    /// Shutdown (§3.3.8).
    pub const SHUTDOWN: Self = Self(7);
    /// Shutdown Acknowledgement (§3.3.9).
    pub const SHUTDOWN_ACK: Self = Self(8);
    /// Operation Error (§3.3.10).
    pub const ERROR: Self = Self(9);
    /// State Cookie (§3.3.11).
    pub const COOKIE_ECHO: Self = Self(10);
    /// Cookie Acknowledgement (§3.3.12).
    pub const COOKIE_ACK: Self = Self(11);
    /// Shutdown Complete (§3.3.13).
    pub const SHUTDOWN_COMPLETE: Self = Self(14);
    /// I-DATA (RFC 8260 §2.1); not built here, carried as unknown.
    pub const I_DATA: Self = Self(0x40);
    /// Re-configuration (RFC 6525 §3.1).
    pub const RE_CONFIG: Self = Self(0x82);
    /// Padding (RFC 4820); carried as unknown.
    pub const PAD: Self = Self(0x84);
    /// Forward Cumulative TSN (RFC 3758 §3.2).
    pub const FORWARD_TSN: Self = Self(0xC0);
    /// I-FORWARD-TSN (RFC 8260 §2.3.1); not built here, carried as unknown.
    pub const I_FORWARD_TSN: Self = Self(0xC2);

    /// What RFC 9260 §3.2 asks of a receiver that does not recognise this type.
    pub const fn action(self) -> UnrecognizedAction {
        UnrecognizedAction::from_high_bits(self.0)
    }
}

/// An INIT / INIT ACK parameter type (RFC 9260 §3.2.1): an open set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParamType(pub u16);

impl ParamType {
    /// Heartbeat Info (RFC 9260 §3.3.5).
    pub const HEARTBEAT_INFO: Self = Self(1);
    /// IPv4 Address (§3.3.2.1).
    pub const IPV4_ADDRESS: Self = Self(5);
    /// IPv6 Address (§3.3.2.1).
    pub const IPV6_ADDRESS: Self = Self(6);
    /// State Cookie (§3.3.3.1).
    pub const STATE_COOKIE: Self = Self(7);
    /// Unrecognized Parameter (§3.3.3.1).
    pub const UNRECOGNIZED_PARAMETER: Self = Self(8);
    /// Cookie Preservative (§3.3.2.1).
    pub const COOKIE_PRESERVATIVE: Self = Self(9);
    /// Supported Address Types (§3.3.2.1).
    pub const SUPPORTED_ADDRESS_TYPES: Self = Self(12);
    /// Outgoing SSN Reset Request (RFC 6525 §4.1).
    pub const OUTGOING_SSN_RESET: Self = Self(13);
    /// Incoming SSN Reset Request (RFC 6525 §4.2).
    pub const INCOMING_SSN_RESET: Self = Self(14);
    /// SSN/TSN Reset Request (RFC 6525 §4.3).
    pub const SSN_TSN_RESET: Self = Self(15);
    /// Re-configuration Response (RFC 6525 §4.4).
    pub const RECONFIG_RESPONSE: Self = Self(16);
    /// Add Outgoing Streams Request (RFC 6525 §4.5).
    pub const ADD_OUTGOING_STREAMS: Self = Self(17);
    /// Add Incoming Streams Request (RFC 6525 §4.6).
    pub const ADD_INCOMING_STREAMS: Self = Self(18);
    /// Zero Checksum Acceptable (RFC 9653 §5.1).
    pub const ZERO_CHECKSUM_ACCEPTABLE: Self = Self(0x8001);
    /// Supported Extensions (RFC 5061 §4.2.7).
    pub const SUPPORTED_EXTENSIONS: Self = Self(0x8008);
    /// Forward-TSN-Supported (RFC 3758 §3.1).
    pub const FORWARD_TSN_SUPPORTED: Self = Self(0xC000);

    /// What RFC 9260 §3.2.1 asks of a receiver that does not recognise this type.
    pub const fn action(self) -> UnrecognizedAction {
        UnrecognizedAction::from_high_bits((self.0 >> 8) as u8)
    }
}

/// An error cause code (RFC 9260 §3.3.10): an open set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CauseCode(pub u16);

impl CauseCode {
    /// Invalid Stream Identifier (§3.3.10.1).
    pub const INVALID_STREAM_IDENTIFIER: Self = Self(1);
    /// Missing Mandatory Parameter (§3.3.10.2).
    pub const MISSING_MANDATORY_PARAMETER: Self = Self(2);
    /// Stale Cookie Error (§3.3.10.3).
    pub const STALE_COOKIE: Self = Self(3);
    /// Out of Resource (§3.3.10.4).
    pub const OUT_OF_RESOURCE: Self = Self(4);
    /// Unresolvable Address (§3.3.10.5).
    pub const UNRESOLVABLE_ADDRESS: Self = Self(5);
    /// Unrecognized Chunk Type (§3.3.10.6).
    pub const UNRECOGNIZED_CHUNK_TYPE: Self = Self(6);
    /// Invalid Mandatory Parameter (§3.3.10.7).
    pub const INVALID_MANDATORY_PARAMETER: Self = Self(7);
    /// Unrecognized Parameters (§3.3.10.8).
    pub const UNRECOGNIZED_PARAMETERS: Self = Self(8);
    /// No User Data (§3.3.10.9).
    pub const NO_USER_DATA: Self = Self(9);
    /// Cookie Received While Shutting Down (§3.3.10.10).
    pub const COOKIE_RECEIVED_WHILE_SHUTTING_DOWN: Self = Self(10);
    /// Restart of an Association with New Addresses (§3.3.10.11).
    pub const RESTART_WITH_NEW_ADDRESSES: Self = Self(11);
    /// User-Initiated Abort (§3.3.10.12).
    pub const USER_INITIATED_ABORT: Self = Self(12);
    /// Protocol Violation (§3.3.10.13).
    pub const PROTOCOL_VIOLATION: Self = Self(13);
}
