//! The chunk: a typed view of one chunk of a packet (RFC 9260 §3.2), and its layout on
//! the wire (type, flags, length, value, padding to 4 bytes).

use super::cause::{Abort, ErrorChunk};
use super::chunk_type::{ChunkType, UnrecognizedAction};
use super::data::Data;
use super::forward_tsn::ForwardTsn;
use super::heartbeat::Heartbeat;
use super::init::Init;
use super::reconfig::ReConfig;
use super::sack::Sack;
use super::{WireError, be32};

/// A chunk type this crate does not model, kept whole so it can be skipped, reported or
/// forwarded (RFC 9260 §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownChunk<'a> {
    /// Chunk type.
    pub kind: ChunkType,
    /// Chunk flags.
    pub flags: u8,
    /// Chunk value, without padding.
    pub value: &'a [u8],
}

impl UnknownChunk<'_> {
    /// What RFC 9260 §3.2 asks of a receiver that does not recognise the type.
    pub fn action(&self) -> UnrecognizedAction {
        self.kind.action()
    }
}

/// One chunk, borrowed from the packet it was parsed from or from the caller who writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Chunk<'a> {
    /// DATA (RFC 9260 §3.3.1).
    Data(Data<'a>),
    /// INIT (§3.3.2).
    Init(Init<'a>),
    /// INIT ACK (§3.3.3).
    InitAck(Init<'a>),
    /// SACK (§3.3.4).
    Sack(Sack<'a>),
    /// HEARTBEAT (§3.3.5).
    Heartbeat(Heartbeat<'a>),
    /// HEARTBEAT ACK (§3.3.6).
    HeartbeatAck(Heartbeat<'a>),
    /// ABORT (§3.3.7).
    Abort(Abort<'a>),
    /// SHUTDOWN (§3.3.8), with its Cumulative TSN Ack.
    Shutdown {
        /// Cumulative TSN Ack.
        cumulative_tsn_ack: u32,
    },
    /// SHUTDOWN ACK (§3.3.9).
    ShutdownAck,
    /// ERROR (§3.3.10).
    Error(ErrorChunk<'a>),
    /// COOKIE ECHO (§3.3.11), with the State Cookie from the INIT ACK.
    CookieEcho(&'a [u8]),
    /// COOKIE ACK (§3.3.12).
    CookieAck,
    /// SHUTDOWN COMPLETE (§3.3.13).
    ShutdownComplete {
        /// T bit: the verification tag is the peer's own, reflected (no TCB).
        reflected_tag: bool,
    },
    /// FORWARD TSN (RFC 3758 §3.2).
    ForwardTsn(ForwardTsn<'a>),
    /// RE-CONFIG (RFC 6525 §3.1).
    ReConfig(ReConfig<'a>),
    /// Any other chunk type, kept whole.
    Unknown(UnknownChunk<'a>),
}

/// The chunk header: type, flags, length (RFC 9260 §3.2).
pub(crate) const HEADER_LEN: usize = 4;

impl<'a> Chunk<'a> {
    /// Parses a chunk from its type, flags and value (the bytes its length covers, after the
    /// header, without padding).
    pub(crate) fn parse(kind: ChunkType, flags: u8, value: &'a [u8]) -> Result<Self, WireError> {
        let exact = |n: usize| {
            if value.len() == n {
                Ok(())
            } else {
                Err(WireError::BadChunkLength { chunk: kind.0 })
            }
        };
        Ok(match kind {
            ChunkType::DATA => Self::Data(Data::parse(flags, value)?),
            ChunkType::INIT => Self::Init(Init::parse(kind, value)?),
            ChunkType::INIT_ACK => Self::InitAck(Init::parse(kind, value)?),
            ChunkType::SACK => Self::Sack(Sack::parse(value)?),
            ChunkType::HEARTBEAT => Self::Heartbeat(Heartbeat::parse(kind.0, value)?),
            ChunkType::HEARTBEAT_ACK => Self::HeartbeatAck(Heartbeat::parse(kind.0, value)?),
            ChunkType::ABORT => Self::Abort(Abort::parse(flags, value)?),
            ChunkType::SHUTDOWN => {
                exact(4)?;
                Self::Shutdown {
                    cumulative_tsn_ack: be32(value, 0),
                }
            }
            ChunkType::SHUTDOWN_ACK => {
                exact(0)?;
                Self::ShutdownAck
            }
            ChunkType::ERROR => Self::Error(ErrorChunk::parse(value)?),
            ChunkType::COOKIE_ECHO => Self::CookieEcho(value),
            ChunkType::COOKIE_ACK => {
                exact(0)?;
                Self::CookieAck
            }
            ChunkType::SHUTDOWN_COMPLETE => {
                exact(0)?;
                Self::ShutdownComplete {
                    reflected_tag: flags & 1 != 0,
                }
            }
            ChunkType::FORWARD_TSN => Self::ForwardTsn(ForwardTsn::parse(value)?),
            ChunkType::RE_CONFIG => Self::ReConfig(ReConfig::parse(value)?),
            kind => Self::Unknown(UnknownChunk { kind, flags, value }),
        })
    }

    /// The chunk's type.
    pub fn kind(&self) -> ChunkType {
        match self {
            Self::Data(_) => ChunkType::DATA,
            Self::Init(_) => ChunkType::INIT,
            Self::InitAck(_) => ChunkType::INIT_ACK,
            Self::Sack(_) => ChunkType::SACK,
            Self::Heartbeat(_) => ChunkType::HEARTBEAT,
            Self::HeartbeatAck(_) => ChunkType::HEARTBEAT_ACK,
            Self::Abort(_) => ChunkType::ABORT,
            Self::Shutdown { .. } => ChunkType::SHUTDOWN,
            Self::ShutdownAck => ChunkType::SHUTDOWN_ACK,
            Self::Error(_) => ChunkType::ERROR,
            Self::CookieEcho(_) => ChunkType::COOKIE_ECHO,
            Self::CookieAck => ChunkType::COOKIE_ACK,
            Self::ShutdownComplete { .. } => ChunkType::SHUTDOWN_COMPLETE,
            Self::ForwardTsn(_) => ChunkType::FORWARD_TSN,
            Self::ReConfig(_) => ChunkType::RE_CONFIG,
            Self::Unknown(u) => u.kind,
        }
    }

    /// The flags byte as written.
    pub fn flags(&self) -> u8 {
        match self {
            Self::Data(d) => d.flags(),
            Self::Abort(a) => u8::from(a.reflected_tag),
            Self::ShutdownComplete { reflected_tag } => u8::from(*reflected_tag),
            Self::Unknown(u) => u.flags,
            _ => 0,
        }
    }

    fn value_len(&self) -> usize {
        match self {
            Self::Data(d) => d.value_len(),
            Self::Init(i) | Self::InitAck(i) => i.value_len(),
            Self::Sack(s) => s.value_len(),
            Self::Heartbeat(h) | Self::HeartbeatAck(h) => h.value_len(),
            Self::Abort(Abort { causes, .. }) | Self::Error(ErrorChunk { causes }) => {
                causes.wire_len()
            }
            Self::Shutdown { .. } => 4,
            Self::ShutdownAck | Self::CookieAck | Self::ShutdownComplete { .. } => 0,
            Self::CookieEcho(c) => c.len(),
            Self::ForwardTsn(f) => f.value_len(),
            Self::ReConfig(r) => r.params.wire_len(),
            Self::Unknown(u) => u.value.len(),
        }
    }

    /// Length of the chunk as its length field says: header and value, without padding.
    ///
    /// Fails with [`WireError::TooLong`] when it does not fit the 16-bit length field.
    pub fn buffer_len(&self) -> Result<usize, WireError> {
        match self {
            Self::Sack(s) => s.check()?,
            Self::Heartbeat(h) | Self::HeartbeatAck(h) => h.check()?,
            _ => {}
        }
        let len = HEADER_LEN + self.value_len();
        if len > usize::from(u16::MAX) {
            return Err(WireError::TooLong);
        }
        Ok(len)
    }

    /// Writes header and value into `buf`, exactly [`Self::buffer_len`] bytes long.
    pub(crate) fn emit(&self, buf: &mut [u8]) {
        // `buffer_len` checked the length fits 16 bits before the caller sized `buf`.
        let len = buf.len() as u16;
        buf[0] = self.kind().0;
        buf[1] = self.flags();
        buf[2..4].copy_from_slice(&len.to_be_bytes());
        let value = &mut buf[HEADER_LEN..];
        match self {
            Self::Data(d) => d.emit_value(value),
            Self::Init(i) | Self::InitAck(i) => i.emit_value(value),
            Self::Sack(s) => s.emit_value(value),
            Self::Heartbeat(h) | Self::HeartbeatAck(h) => h.emit_value(value),
            Self::Abort(Abort { causes, .. }) | Self::Error(ErrorChunk { causes }) => {
                causes.emit(value)
            }
            Self::Shutdown { cumulative_tsn_ack } => {
                value.copy_from_slice(&cumulative_tsn_ack.to_be_bytes())
            }
            Self::ShutdownAck | Self::CookieAck | Self::ShutdownComplete { .. } => {}
            Self::CookieEcho(c) => value.copy_from_slice(c),
            Self::ForwardTsn(f) => f.emit_value(value),
            Self::ReConfig(r) => r.params.emit(value),
            Self::Unknown(u) => value.copy_from_slice(u.value),
        }
    }
}
