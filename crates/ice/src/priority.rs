//! Candidate and pair priorities (RFC 8445 §5.1.2, §6.1.2.3) and foundations (§5.1.1.3).

use std::collections::HashMap;
use std::net::IpAddr;

use rtcweb_common::Transport;

use crate::{CandidateKind, TcpType};

/// Candidate priority (RFC 8445 §5.1.2.1):
/// `2^24 × type preference + 2^8 × local preference + (256 − component ID)`.
pub fn candidate_priority(kind: CandidateKind, local_preference: u16, component: u16) -> u32 {
    (kind.type_preference() << 24)
        + (u32::from(local_preference) << 8)
        + (256 - u32::from(component.clamp(1, 256)))
}

/// The local preference of a candidate (RFC 8445 §5.1.2.1, RFC 8421 §4): IPv6 above IPv4,
/// earlier interfaces above later ones, and for relayed candidates UDP above TCP above TLS to
/// the TURN server (as browsers rank them).
pub fn local_preference(
    ip: IpAddr,
    interface_index: usize,
    relay_transport: Option<Transport>,
) -> u16 {
    let family: u16 = if ip.is_ipv6() { 0x8000 } else { 0x4000 };
    let relay: u16 = match relay_transport {
        None | Some(Transport::Udp) => 0x2000,
        Some(Transport::Tcp) => 0x1000,
        Some(Transport::Tls) => 0,
    };
    let index = 0x0fff - (interface_index.min(0x0fff) as u16);
    family + relay + index
}

/// The type preference of a TCP candidate: below every UDP candidate of the same type, so
/// that UDP wins wherever it works (RFC 6544 §4.2 leaves the values to the agent; these
/// are libwebrtc's: 90 for host, 80 for peer-reflexive, 65 for server-reflexive).
pub fn tcp_type_preference(kind: CandidateKind) -> u32 {
    match kind {
        CandidateKind::Host => 90,
        CandidateKind::PeerReflexive => 80,
        CandidateKind::ServerReflexive => 65,
        CandidateKind::Relayed => 0,
    }
}

/// The local preference of an ICE-TCP candidate (RFC 6544 §4.2):
/// `2^13 × direction-pref + other-pref`, the direction preference of a host candidate 6
/// for active, 4 for passive, 2 for simultaneous-open, and the other preference (13 bits)
/// IPv6 above IPv4, earlier interfaces above later ones.
pub fn tcp_local_preference(ip: IpAddr, interface_index: usize, tcp_type: TcpType) -> u16 {
    let direction: u16 = match tcp_type {
        TcpType::Active => 6,
        TcpType::Passive => 4,
        TcpType::SimultaneousOpen => 2,
    };
    let family: u16 = if ip.is_ipv6() { 0x1000 } else { 0 };
    let index = 0x0fff - (interface_index.min(0x0fff) as u16);
    (direction << 13) + family + index
}

/// Priority of an ICE-TCP candidate (RFC 8445 §5.1.2.1 with the type preference of
/// [`tcp_type_preference`] and the local preference of [`tcp_local_preference`]).
pub fn tcp_candidate_priority(
    kind: CandidateKind,
    tcp_type: TcpType,
    ip: IpAddr,
    interface_index: usize,
    component: u16,
) -> u32 {
    (tcp_type_preference(kind) << 24)
        + (u32::from(tcp_local_preference(ip, interface_index, tcp_type)) << 8)
        + (256 - u32::from(component.clamp(1, 256)))
}

/// Pair priority (RFC 8445 §6.1.2.3), `g` the controlling agent's candidate priority and `d`
/// the controlled one's: `2^32 × min(G, D) + 2 × max(G, D) + (G > D ? 1 : 0)`.
pub fn pair_priority(g: u32, d: u32) -> u64 {
    let (g, d) = (u64::from(g), u64::from(d));
    (g.min(d) << 32) + 2 * g.max(d) + u64::from(g > d)
}

/// What makes two candidates share a foundation (RFC 8445 §5.1.1.3): same type, same base IP,
/// same STUN or TURN server IP, same transport.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct FoundationKey {
    pub(crate) kind: CandidateKind,
    pub(crate) base_ip: IpAddr,
    pub(crate) server_ip: Option<IpAddr>,
    pub(crate) transport: Transport,
}

/// Hands out short numeric foundations, the same for the same [`FoundationKey`].
#[derive(Debug, Default)]
pub(crate) struct Foundations {
    known: HashMap<FoundationKey, u32>,
}

impl Foundations {
    pub(crate) fn get(&mut self, key: FoundationKey) -> String {
        let next = self.known.len() as u32 + 1;
        self.known.entry(key).or_insert(next).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities_follow_rfc_8445_formulas() {
        // Host, local preference 65535, component 1: 126·2^24 + 65535·2^8 + 255.
        assert_eq!(
            candidate_priority(CandidateKind::Host, 65535, 1),
            2_130_706_431
        );
        assert_eq!(candidate_priority(CandidateKind::Relayed, 0, 1), 255);
        assert!(
            candidate_priority(CandidateKind::PeerReflexive, 1, 1)
                > candidate_priority(CandidateKind::ServerReflexive, 65535, 1)
        );
        assert_eq!(pair_priority(5, 3), (3u64 << 32) + 10 + 1);
        assert_eq!(pair_priority(3, 5), (3u64 << 32) + 10);
    }

    #[test]
    fn local_preference_ranks_families_and_relay_transports() {
        let v4: IpAddr = "10.0.0.1".parse().unwrap();
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        assert!(local_preference(v6, 0, None) > local_preference(v4, 0, None));
        assert!(local_preference(v4, 0, None) > local_preference(v4, 1, None));
        assert!(
            local_preference(v4, 0, Some(Transport::Udp))
                > local_preference(v4, 0, Some(Transport::Tcp))
        );
        assert!(
            local_preference(v4, 0, Some(Transport::Tcp))
                > local_preference(v4, 0, Some(Transport::Tls))
        );
    }

    #[test]
    fn tcp_priorities_follow_rfc_6544() {
        let v4: IpAddr = "203.0.113.7".parse().unwrap();
        let v6: IpAddr = "2001:db8::7".parse().unwrap();
        // RFC 6544 §4.2: direction-pref 6 active, 4 passive, 2 S-O for host candidates.
        assert_eq!(
            tcp_local_preference(v4, 0, TcpType::Active),
            (6 << 13) + 0x0fff
        );
        assert_eq!(
            tcp_local_preference(v4, 0, TcpType::Passive),
            (4 << 13) + 0x0fff
        );
        assert_eq!(
            tcp_local_preference(v6, 1, TcpType::SimultaneousOpen),
            (2 << 13) + 0x1000 + 0x0ffe
        );
        let active = tcp_candidate_priority(CandidateKind::Host, TcpType::Active, v4, 0, 1);
        let passive = tcp_candidate_priority(CandidateKind::Host, TcpType::Passive, v4, 0, 1);
        assert_eq!(active, (90 << 24) + (((6 << 13) + 0x0fff) << 8) + 255);
        assert!(active > passive);
        // Every TCP host candidate ranks below every UDP host and server-reflexive one, and
        // a TCP peer-reflexive one below the TCP hosts.
        let udp_host = candidate_priority(CandidateKind::Host, local_preference(v4, 99, None), 1);
        let tcp_v6 = tcp_candidate_priority(CandidateKind::Host, TcpType::Active, v6, 0, 1);
        assert!(udp_host > tcp_v6);
        let udp_srflx = candidate_priority(CandidateKind::ServerReflexive, 0, 1);
        assert!(udp_srflx > tcp_v6);
        let tcp_prflx =
            tcp_candidate_priority(CandidateKind::PeerReflexive, TcpType::Active, v6, 0, 1);
        assert!(tcp_prflx < passive);
    }

    #[test]
    fn foundations_repeat_for_equal_keys() {
        let mut f = Foundations::default();
        let key = |kind| FoundationKey {
            kind,
            base_ip: "10.0.0.1".parse().unwrap(),
            server_ip: None,
            transport: Transport::Udp,
        };
        let a = f.get(key(CandidateKind::Host));
        let b = f.get(key(CandidateKind::ServerReflexive));
        assert_ne!(a, b);
        assert_eq!(f.get(key(CandidateKind::Host)), a);
    }
}
