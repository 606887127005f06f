//! Property: any description built from the typed model writes to SDP text that parses back
//! to the same description, and writing that again gives the same text.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use proptest::prelude::*;
use rtcweb_sdp::{
    Attribute, Candidate, Direction, ExtMap, Feedback, Fingerprint, Fmtp, FormatParameters, Group,
    HashAlgorithm, IceOption, IceOptions, MediaKind, MediaSection, Msid, Rid, RidDirection,
    RtcpFeedback, RtpMap, SessionDescription, Setup, Simulcast, SimulcastStream, Ssrc, SsrcGroup,
};

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9][A-Za-z0-9.!#$%&'*+^_`{|}~-]{0,11}"
}

fn ice_chars(min: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[A-Za-z0-9+/]{{{min},30}}")).unwrap()
}

fn direction() -> impl Strategy<Value = Direction> {
    prop_oneof![
        Just(Direction::SendRecv),
        Just(Direction::SendOnly),
        Just(Direction::RecvOnly),
        Just(Direction::Inactive),
    ]
}

fn candidate() -> impl Strategy<Value = Candidate> {
    (
        "[A-Za-z0-9+/]{1,32}",
        any::<u32>(),
        any::<[u8; 4]>(),
        1u16..,
        prop::option::of(0u32..10),
        prop::option::of(0u32..100),
    )
        .prop_map(|(foundation, priority, ip, port, generation, network_id)| {
            let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), port);
            let mut c = Candidate::new(rtcweb_ice::CandidateKind::Host, foundation, priority, addr);
            c.generation = generation;
            c.network_id = network_id;
            c
        })
}

fn params() -> impl Strategy<Value = FormatParameters> {
    prop::collection::vec(
        ("[a-z][a-z-]{0,9}", prop::option::of("[0-9a-z/]{0,6}")),
        0..4,
    )
    .prop_map(FormatParameters)
}

fn rid() -> impl Strategy<Value = Rid> {
    (
        "[a-z0-9_-]{1,6}",
        prop_oneof![Just(RidDirection::Send), Just(RidDirection::Recv)],
        prop::collection::vec(0u8..=127, 0..3),
        prop::collection::vec(("max-[a-z]{1,6}", prop::option::of("[0-9]{1,4}")), 0..3),
    )
        .prop_map(|(id, direction, payload_types, restrictions)| Rid {
            id,
            direction,
            payload_types,
            restrictions,
        })
}

fn simulcast() -> impl Strategy<Value = Simulcast> {
    let list = prop::collection::vec(
        prop::collection::vec(
            ("[a-z0-9]{1,4}", any::<bool>())
                .prop_map(|(rid, paused)| SimulcastStream { rid, paused }),
            1..3,
        ),
        0..3,
    );
    (list.clone(), list)
        .prop_filter("one direction at least", |(s, r)| {
            !s.is_empty() || !r.is_empty()
        })
        .prop_map(|(send, recv)| Simulcast { send, recv })
}

fn attribute() -> impl Strategy<Value = Attribute> {
    prop_oneof![
        token().prop_map(Attribute::Mid),
        direction().prop_map(Attribute::Direction),
        Just(Attribute::RtcpMux),
        Just(Attribute::RtcpRsize),
        Just(Attribute::BundleOnly),
        Just(Attribute::EndOfCandidates),
        Just(Attribute::ExtmapAllowMixed),
        ice_chars(4).prop_map(Attribute::IceUfrag),
        ice_chars(22).prop_map(Attribute::IcePwd),
        prop::collection::vec(
            prop_oneof![
                Just(IceOption::Trickle),
                Just(IceOption::Ice2),
                "[a-z0-9]{3,9}".prop_map(IceOption::Other)
            ],
            1..3
        )
        .prop_filter("known tags are typed", |v| {
            v.iter()
                .all(|o| !matches!(o, IceOption::Other(s) if s == "ice2" || s == "trickle"))
        })
        .prop_map(|v| Attribute::IceOptions(IceOptions(v))),
        candidate().prop_map(|c| Attribute::Candidate(Box::new(c))),
        prop::collection::vec(any::<u8>(), 32)
            .prop_map(|v| Attribute::Fingerprint(Fingerprint::new(HashAlgorithm::Sha256, v))),
        prop_oneof![
            Just(Setup::ActPass),
            Just(Setup::Active),
            Just(Setup::Passive)
        ]
        .prop_map(Attribute::Setup),
        (
            0u8..=127,
            "[A-Za-z0-9-]{1,8}",
            1u32..200_000,
            prop::option::of(1u16..9)
        )
            .prop_map(
                |(payload_type, encoding, clock_rate, channels)| Attribute::RtpMap(RtpMap {
                    payload_type,
                    encoding,
                    clock_rate,
                    channels
                })
            ),
        (0u8..=127, params()).prop_map(|(payload_type, parameters)| Attribute::Fmtp(Fmtp {
            payload_type,
            parameters
        })),
        (
            prop::option::of(0u8..=127),
            "[a-z-]{1,8}",
            prop::option::of("[a-z0-9=]{1,6}")
        )
            .prop_map(|(payload_type, kind, parameter)| Attribute::RtcpFeedback(
                RtcpFeedback {
                    payload_type,
                    feedback: Feedback { kind, parameter }
                }
            )),
        (
            1u16..=255,
            prop::option::of(direction()),
            "urn:[a-z]{1,8}:[a-z0-9-]{1,8}",
            prop::option::of("[a-z0-9]{1,5}")
        )
            .prop_map(
                |(id, direction, uri, attributes)| Attribute::ExtMap(ExtMap {
                    id,
                    direction,
                    uri,
                    attributes
                })
            ),
        (
            any::<u32>(),
            "[a-z]{1,6}",
            prop::option::of("[a-zA-Z0-9 {}-]{0,20}")
        )
            .prop_map(|(ssrc, attribute, value)| Attribute::Ssrc(Ssrc {
                ssrc,
                attribute,
                value
            })),
        (
            prop_oneof![Just("FID"), Just("SIM")],
            prop::collection::vec(any::<u32>(), 0..4)
        )
            .prop_map(|(s, ssrcs)| Attribute::SsrcGroup(SsrcGroup {
                semantics: s.to_owned(),
                ssrcs
            })),
        (token(), prop::option::of(token()))
            .prop_map(|(stream, track)| Attribute::Msid(Msid { stream, track })),
        rid().prop_map(Attribute::Rid),
        simulcast().prop_map(Attribute::Simulcast),
        any::<u16>().prop_map(Attribute::SctpPort),
        any::<u64>().prop_map(Attribute::MaxMessageSize),
        ("x-[a-z]{1,8}", prop::option::of("[ -~]{0,24}"))
            .prop_map(|(name, value)| Attribute::Other { name, value }),
    ]
}

fn media() -> impl Strategy<Value = MediaSection> {
    (
        prop_oneof![
            Just(MediaKind::Audio),
            Just(MediaKind::Video),
            Just(MediaKind::Application),
            Just(MediaKind::Other("text".into()))
        ],
        any::<u16>(),
        prop_oneof![
            Just("UDP/TLS/RTP/SAVPF"),
            Just("UDP/DTLS/SCTP"),
            Just("RTP/AVP")
        ],
        prop::collection::vec(
            prop_oneof!["[0-9]{1,3}", Just("webrtc-datachannel".to_owned())],
            1..6,
        ),
        prop::collection::vec(attribute(), 0..24),
    )
        .prop_map(|(kind, port, proto, formats, attributes)| {
            let mut m = MediaSection::new(kind, proto, formats);
            m.port = port;
            for a in attributes {
                m.push(a);
            }
            m
        })
}

fn description() -> impl Strategy<Value = SessionDescription> {
    (
        0u64..(1 << 63),
        any::<u64>(),
        prop::collection::vec(attribute(), 0..8),
        prop::collection::vec(token(), 0..4),
        prop::collection::vec(media(), 0..5),
    )
        .prop_map(|(id, version, attributes, bundle, media)| {
            let mut d = SessionDescription::new(id, version);
            if !bundle.is_empty() {
                d.push(Attribute::Group(Group::bundle(bundle)));
            }
            for a in attributes {
                d.push(a);
            }
            d.media = media;
            d
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn generated_descriptions_round_trip(d in description()) {
        let text = d.to_string();
        let parsed = SessionDescription::parse(&text)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(&parsed, &d, "{}", text);
        prop_assert_eq!(parsed.to_string(), text);
    }

    #[test]
    fn every_attribute_parses_back_from_its_line(a in attribute()) {
        let mut d = SessionDescription::new(1, 1);
        d.push(a.clone());
        let parsed = SessionDescription::parse(&d.to_string()).unwrap();
        prop_assert_eq!(parsed.attributes().next(), Some(&a));
    }
}
