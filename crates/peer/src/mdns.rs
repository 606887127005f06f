//! Multicast DNS messages for mDNS host candidates (draft-ietf-mmusic-mdns-ice-candidates,
//! RFC 6762), sans-IO: the query that resolves a peer's `<uuid>.local` name, the address an
//! answer gives it, and the responder's answer to a query for the names we publish. The
//! driver sends and receives them on the multicast group; these functions only build and
//! read bytes, so any datagram can be fed to them (`fuzz/fuzz_targets/peer_mdns.rs`).
//!
//! ```
//! use std::net::{IpAddr, Ipv4Addr};
//! use rtcweb_peer::mdns::{MdnsName, answer, query, resolved_address};
//!
//! let ours = [MdnsName::new(
//!     "1f4712db-ea17-4bcf-a596-105139dfd8bf.local",
//!     IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
//! )];
//! // The peer asks for the name (A and AAAA) ...
//! let question = query("1f4712db-ea17-4bcf-a596-105139dfd8bf.local").unwrap();
//! // ... our responder answers for it ...
//! let response = answer(&question, &ours, false).unwrap();
//! // ... and the peer reads the address.
//! assert_eq!(
//!     resolved_address(&response.bytes, "1f4712db-ea17-4bcf-a596-105139dfd8bf.local"),
//!     Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))),
//! );
//! ```

use std::net::IpAddr;

use simple_dns::rdata::{A, AAAA, RData};
use simple_dns::{
    CLASS, Name, OPCODE, Packet, PacketFlag, QCLASS, QTYPE, Question, ResourceRecord, TYPE,
};

/// The TTL of our answers, in seconds: RFC 6762 §10 recommends 120 s for records that
/// carry a host name's address.
pub const TTL: u32 = 120;
/// The TTL of an answer to a legacy unicast query (RFC 6762 §6.7: at most 10 s).
pub const LEGACY_TTL: u32 = 10;
/// Most questions of one query that are looked at; the rest are ignored.
pub const MAX_QUESTIONS: usize = 16;

/// A name we publish for one of our host addresses (one name per address, kept for the
/// connection's life: draft-ietf-mmusic-mdns-ice-candidates §3.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MdnsName {
    /// The name, `<uuid v4>.local`.
    pub name: String,
    /// The address it stands for.
    pub ip: IpAddr,
}

impl MdnsName {
    /// The name `name` for the address `ip`.
    pub fn new(name: impl Into<String>, ip: IpAddr) -> Self {
        Self {
            name: name.into(),
            ip,
        }
    }

    /// A fresh random name, `<uuid v4>.local`, from 16 random bytes (the UUID's version
    /// and variant bits are set over them, RFC 9562 §5.4).
    pub fn random(ip: IpAddr, random: [u8; 16]) -> Self {
        let uuid = uuid::Builder::from_random_bytes(random).into_uuid();
        Self::new(format!("{}.local", uuid.hyphenated()), ip)
    }

    /// Whether `name` (a question's or record's name) is this one; DNS names compare
    /// without regard to case (RFC 6762 §16) and to a final dot.
    pub fn is(&self, name: &str) -> bool {
        name.trim_end_matches('.')
            .eq_ignore_ascii_case(self.name.trim_end_matches('.'))
    }
}

/// The responder's answer to one query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The DNS message to send.
    pub bytes: Vec<u8>,
    /// The indexes, in the `names` given to [`answer`], of the names it answers for.
    pub answered: Vec<usize>,
}

/// The query that resolves the peer's `name`: one question for its A record and one for
/// its AAAA record (the name may stand for an IPv4 or an IPv6 host candidate), asking for
/// a multicast response (QM, RFC 6762 §5.4). `None` when `name` is not a valid DNS name.
pub fn query(name: &str) -> Option<Vec<u8>> {
    let mut packet = Packet::new_query(0);
    for kind in [TYPE::A, TYPE::AAAA] {
        packet.questions.push(Question::new(
            Name::new(name).ok()?,
            QTYPE::TYPE(kind),
            QCLASS::CLASS(CLASS::IN),
            false,
        ));
    }
    packet.build_bytes_vec().ok()
}

/// The address an mDNS response gives `name` (an A or AAAA record in its answer or
/// additional sections), if it is a response and answers for it.
pub fn resolved_address(bytes: &[u8], name: &str) -> Option<IpAddr> {
    let packet = Packet::parse(bytes).ok()?;
    if !packet.has_flags(PacketFlag::RESPONSE) {
        return None;
    }
    let wanted = MdnsName::new(name, IpAddr::from([0, 0, 0, 0]));
    packet
        .answers
        .iter()
        .chain(packet.additional_records.iter())
        .filter(|r| wanted.is(&r.name.to_string()))
        .find_map(|r| match &r.rdata {
            RData::A(a) => Some(IpAddr::from(std::net::Ipv4Addr::from(a.address))),
            RData::AAAA(a) => Some(IpAddr::from(std::net::Ipv6Addr::from(a.address))),
            _ => None,
        })
}

/// Our answer to the datagram `query` for the `names` we publish on the interface it came
/// from: an A record for an IPv4 name asked with type A or ANY, an AAAA record for an IPv6
/// name asked with AAAA or ANY, class IN. `None` when the datagram is not a standard
/// query (RFC 6762 §18.2, §18.3) or asks for none of the names.
///
/// A multicast answer (`legacy_unicast` false) has ID 0, no questions, the cache-flush
/// bit set (our names are unique, RFC 6762 §10.2) and TTL [`TTL`]. A legacy unicast query
/// (one whose source port is not 5353, RFC 6762 §6.7) is answered with its ID, its
/// questions repeated, no cache-flush bit and TTL [`LEGACY_TTL`].
pub fn answer(query: &[u8], names: &[MdnsName], legacy_unicast: bool) -> Option<Response> {
    let packet = Packet::parse(query).ok()?;
    if packet.has_flags(PacketFlag::RESPONSE) || packet.opcode() != OPCODE::StandardQuery {
        return None;
    }
    let id = if legacy_unicast { packet.id() } else { 0 };
    let mut reply = Packet::new_reply(id);
    // RFC 6762 §18.4: the AA bit is set in every response.
    reply.set_flags(PacketFlag::AUTHORITATIVE_ANSWER);
    let mut answered = Vec::new();
    for question in packet.questions.iter().take(MAX_QUESTIONS) {
        if !matches!(question.qclass, QCLASS::CLASS(CLASS::IN) | QCLASS::ANY) {
            continue;
        }
        let qname = question.qname.to_string();
        let mut asked = false;
        for (i, published) in names.iter().enumerate() {
            if !published.is(&qname) {
                continue;
            }
            let rdata = match (question.qtype, published.ip) {
                (QTYPE::TYPE(TYPE::A) | QTYPE::ANY, IpAddr::V4(v4)) => RData::A(A::from(v4)),
                (QTYPE::TYPE(TYPE::AAAA) | QTYPE::ANY, IpAddr::V6(v6)) => {
                    RData::AAAA(AAAA::from(v6))
                }
                _ => continue,
            };
            asked = true;
            if answered.contains(&i) {
                continue;
            }
            let Ok(name) = Name::new(&published.name) else {
                continue;
            };
            let ttl = if legacy_unicast { LEGACY_TTL } else { TTL };
            reply.answers.push(
                ResourceRecord::new(name, CLASS::IN, ttl, rdata).with_cache_flush(!legacy_unicast),
            );
            answered.push(i);
        }
        if asked && legacy_unicast {
            reply.questions.push(question.clone());
        }
    }
    if answered.is_empty() {
        return None;
    }
    let bytes = reply.build_bytes_vec().ok()?;
    Some(Response { bytes, answered })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    const V4_NAME: &str = "1f4712db-ea17-4bcf-a596-105139dfd8bf.local";
    const V6_NAME: &str = "6b1a9a7e-2f47-4e0c-9f0e-5d2b2f0f8a11.local";

    fn names() -> Vec<MdnsName> {
        vec![
            MdnsName::new(V4_NAME, IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))),
            MdnsName::new(
                V6_NAME,
                IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 7)),
            ),
        ]
    }

    fn question(name: &str, qtype: QTYPE, id: u16) -> Vec<u8> {
        let mut packet = Packet::new_query(id);
        packet.questions.push(Question::new(
            Name::new(name).unwrap(),
            qtype,
            QCLASS::CLASS(CLASS::IN),
            false,
        ));
        packet.build_bytes_vec().unwrap()
    }

    #[test]
    fn a_query_gets_a_multicast_a_record_with_cache_flush() {
        let response = answer(
            &question(V4_NAME, QTYPE::TYPE(TYPE::A), 77),
            &names(),
            false,
        )
        .expect("an answer");
        assert_eq!(response.answered, [0]);
        let packet = Packet::parse(&response.bytes).unwrap();
        assert!(packet.has_flags(PacketFlag::RESPONSE | PacketFlag::AUTHORITATIVE_ANSWER));
        assert_eq!(
            packet.id(),
            0,
            "multicast responses carry ID 0 (RFC 6762 §18.1)"
        );
        assert!(packet.questions.is_empty());
        assert_eq!(packet.answers.len(), 1);
        let record = &packet.answers[0];
        assert!(record.cache_flush);
        assert_eq!(record.ttl, TTL);
        assert_eq!(record.rdata, RData::A(A::from(Ipv4Addr::new(192, 0, 2, 1))));
        assert_eq!(
            resolved_address(&response.bytes, V4_NAME),
            Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)))
        );
    }

    #[test]
    fn aaaa_query_gets_the_ipv6_address_and_names_match_without_case() {
        let upper = V6_NAME.to_ascii_uppercase();
        let response = answer(
            &question(&upper, QTYPE::TYPE(TYPE::AAAA), 1),
            &names(),
            false,
        )
        .unwrap();
        assert_eq!(response.answered, [1]);
        assert_eq!(
            resolved_address(&response.bytes, V6_NAME),
            Some("2001:db8::7".parse().unwrap())
        );
    }

    #[test]
    fn the_resolvers_query_asks_a_and_aaaa_and_gets_the_one_that_exists() {
        let q = query(V6_NAME).unwrap();
        let parsed = Packet::parse(&q).unwrap();
        let types: Vec<QTYPE> = parsed.questions.iter().map(|q| q.qtype).collect();
        assert_eq!(types, [QTYPE::TYPE(TYPE::A), QTYPE::TYPE(TYPE::AAAA)]);
        let response = answer(&q, &names(), false).unwrap();
        let packet = Packet::parse(&response.bytes).unwrap();
        assert_eq!(packet.answers.len(), 1, "only the AAAA record exists");
        assert_eq!(response.answered, [1]);
    }

    #[test]
    fn wrong_type_other_names_and_responses_get_no_answer() {
        // An IPv4 name asked for its AAAA record: we have none (no negative answer).
        assert_eq!(
            answer(
                &question(V4_NAME, QTYPE::TYPE(TYPE::AAAA), 0),
                &names(),
                false
            ),
            None
        );
        assert_eq!(
            answer(
                &question("other.local", QTYPE::TYPE(TYPE::A), 0),
                &names(),
                false
            ),
            None
        );
        // Our own response heard back on the group is not a query.
        let response = answer(&question(V4_NAME, QTYPE::ANY, 0), &names(), false).unwrap();
        assert_eq!(answer(&response.bytes, &names(), false), None);
        assert_eq!(answer(b"garbage", &names(), false), None);
        assert_eq!(answer(&[], &names(), false), None);
        // A query is not an answer.
        assert_eq!(resolved_address(&query(V4_NAME).unwrap(), V4_NAME), None);
        assert_eq!(resolved_address(&response.bytes, "other.local"), None);
    }

    #[test]
    fn legacy_unicast_query_gets_its_id_its_question_and_a_short_ttl() {
        let response = answer(
            &question(V4_NAME, QTYPE::TYPE(TYPE::A), 0x4242),
            &names(),
            true,
        )
        .unwrap();
        let packet = Packet::parse(&response.bytes).unwrap();
        assert_eq!(packet.id(), 0x4242);
        assert_eq!(packet.questions.len(), 1);
        assert_eq!(packet.answers[0].ttl, LEGACY_TTL);
        assert!(!packet.answers[0].cache_flush);
    }

    #[test]
    fn a_name_asked_twice_in_one_query_is_answered_once() {
        let mut packet = Packet::new_query(0);
        for _ in 0..3 {
            packet.questions.push(Question::new(
                Name::new(V4_NAME).unwrap(),
                QTYPE::ANY,
                QCLASS::ANY,
                false,
            ));
        }
        let response = answer(&packet.build_bytes_vec().unwrap(), &names(), false).unwrap();
        assert_eq!(response.answered, [0]);
        assert_eq!(Packet::parse(&response.bytes).unwrap().answers.len(), 1);
    }

    #[test]
    fn random_names_are_uuid_v4_under_local() {
        let ip = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
        let a = MdnsName::random(ip, [0xab; 16]);
        let b = MdnsName::random(ip, [0x01; 16]);
        assert_ne!(a.name, b.name);
        let uuid = a.name.strip_suffix(".local").expect("ends in .local");
        let parsed = uuid::Uuid::parse_str(uuid).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
        assert!(a.is(&a.name.to_ascii_uppercase()));
    }
}
