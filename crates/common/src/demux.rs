//! Demultiplexing of the protocols that share one WebRTC 5-tuple, by the first byte.

/// What a datagram on a WebRTC 5-tuple carries, by the value of its first byte.
///
/// RFC 7983 §7 as updated by RFC 9443 §5 (TURN channel numbers 64..=79).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketKind {
    /// 0..=3: STUN (RFC 8489), incl. TURN control messages.
    Stun,
    /// 16..=19: ZRTP.
    Zrtp,
    /// 20..=63: DTLS records.
    Dtls,
    /// 64..=79: TURN ChannelData (RFC 8656 §12).
    ChannelData,
    /// 128..=191: RTP or RTCP (told apart by the payload type, RFC 5761 §4).
    Rtp,
    /// Any other first byte, or an empty datagram: to be dropped and counted.
    Unknown,
}

impl PacketKind {
    /// Classifies a datagram by its first byte (RFC 7983 §7, RFC 9443 §5).
    pub fn of(datagram: &[u8]) -> Self {
        match datagram.first() {
            Some(0..=3) => Self::Stun,
            Some(16..=19) => Self::Zrtp,
            Some(20..=63) => Self::Dtls,
            Some(64..=79) => Self::ChannelData,
            Some(128..=191) => Self::Rtp,
            _ => Self::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_first_byte_has_one_kind() {
        let mut counts = [0usize; 6];
        for b in 0..=255u8 {
            let i = match PacketKind::of(&[b]) {
                PacketKind::Stun => 0,
                PacketKind::Zrtp => 1,
                PacketKind::Dtls => 2,
                PacketKind::ChannelData => 3,
                PacketKind::Rtp => 4,
                PacketKind::Unknown => 5,
            };
            counts[i] += 1;
        }
        assert_eq!(counts, [4, 4, 44, 16, 64, 124]);
        assert_eq!(PacketKind::of(&[]), PacketKind::Unknown);
    }
}
