//! Chromium's real SCTP INIT (`shared/fixtures/chromium/sctp_init_chromium.bin`) is accepted
//! and answered; the INIT-ACK parses back with what Chromium asked for.

use rtcweb_datachannel::{Config, DataChannels, DtlsRole};
use rtcweb_test_support::{chromium_fixture as fixture, epoch};

/// CRC-32C (Castagnoli), reflected, as SCTP's checksum (RFC 9260 Appendix A).
fn crc32c(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0x82f6_3b78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// The parts of an INIT or INIT-ACK this test looks at (RFC 9260 §3.3.2, §3.3.3).
#[derive(Debug)]
struct Init {
    chunk_type: u8,
    ports: (u16, u16),
    verification_tag: u32,
    initiate_tag: u32,
    a_rwnd: u32,
    outbound_streams: u16,
    inbound_streams: u16,
    /// Parameter types, and the chunk types listed in Supported Extensions (0x8008).
    parameters: Vec<u16>,
    extensions: Vec<u8>,
}

fn parse_init(packet: &[u8]) -> Init {
    let u16_at = |i: usize| u16::from_be_bytes([packet[i], packet[i + 1]]);
    let u32_at = |i: usize| u32::from_be_bytes(packet[i..i + 4].try_into().unwrap());
    // Common header: the checksum is CRC-32C over the packet with the field zeroed, stored
    // little-endian (RFC 9260 §6.8, Appendix A).
    let mut zeroed = packet.to_vec();
    zeroed[8..12].fill(0);
    assert_eq!(
        crc32c(&zeroed),
        u32::from_le_bytes(packet[8..12].try_into().unwrap()),
        "CRC-32C"
    );
    let chunk_len = usize::from(u16_at(14));
    assert!(12 + chunk_len <= packet.len());
    let mut init = Init {
        chunk_type: packet[12],
        ports: (u16_at(0), u16_at(2)),
        verification_tag: u32_at(4),
        initiate_tag: u32_at(16),
        a_rwnd: u32_at(20),
        outbound_streams: u16_at(24),
        inbound_streams: u16_at(26),
        parameters: Vec::new(),
        extensions: Vec::new(),
    };
    let mut at = 32;
    while at + 4 <= 12 + chunk_len {
        let (kind, len) = (u16_at(at), usize::from(u16_at(at + 2)));
        assert!(len >= 4);
        init.parameters.push(kind);
        if kind == 0x8008 {
            init.extensions = packet[at + 4..at + len].to_vec();
        }
        at += (len + 3) & !3;
    }
    init
}

#[test]
fn chromium_init_is_answered_with_the_features_it_asked_for() {
    let init_bytes = fixture("sctp_init_chromium.bin");
    assert_eq!(init_bytes.len(), 44);
    let init = parse_init(&init_bytes);
    // What Chromium sends: a_rwnd 5 MiB, 65535 streams both ways, FORWARD-TSN and RE-CONFIG,
    // no I-DATA.
    assert_eq!(init.chunk_type, 1);
    assert_eq!(init.a_rwnd, 5 * 1024 * 1024);
    assert_eq!(
        (init.outbound_streams, init.inbound_streams),
        (65535, 65535)
    );
    assert!(init.extensions.contains(&0xc0) && init.extensions.contains(&0x82));
    assert!(!init.extensions.contains(&0x40));

    let now = epoch();
    let mut dc = DataChannels::new(
        Config {
            role: DtlsRole::Client,
            ..Config::default()
        },
        now,
    );
    dc.handle_datagram(now, &init_bytes);
    let mut answer = Vec::new();
    assert!(dc.poll_transmit_into(&mut answer), "an INIT-ACK");
    let ack = parse_init(&answer);
    assert_eq!(ack.chunk_type, 2, "INIT-ACK");
    assert_eq!(ack.ports, (5000, 5000));
    assert_eq!(
        ack.verification_tag, init.initiate_tag,
        "tagged with Chromium's tag"
    );
    assert_ne!(ack.initiate_tag, 0);
    assert_eq!((ack.outbound_streams, ack.inbound_streams), (65535, 65535));
    assert!(ack.a_rwnd >= 1024 * 1024);
    assert!(ack.parameters.contains(&0x0007), "state cookie");
    assert!(
        ack.parameters.contains(&0xc000),
        "Forward-TSN-Supported (RFC 3758)"
    );
    assert!(ack.extensions.contains(&0xc0), "FORWARD-TSN");
    assert!(ack.extensions.contains(&0x82), "RE-CONFIG (RFC 6525)");
    assert!(
        !ack.extensions.contains(&0x40),
        "no I-DATA: Chromium did not offer it"
    );
    // The aiortc-offers capture's INIT (Chromium as DTLS client) is answered the same way.
    let mut dc = DataChannels::new(Config::default(), now);
    dc.handle_datagram(now, &fixture("sctp_init_chromium_dtls_client.bin"));
    assert!(dc.poll_transmit_into(&mut answer));
    assert_eq!(parse_init(&answer).chunk_type, 2);
}

#[test]
fn chromium_init_ack_is_accepted_after_our_init() {
    // Our INIT goes out; Chromium's INIT-ACK from the capture answers aiortc's INIT, so its
    // tag does not match ours: the association must drop it without harm (RFC 9260 §8.5).
    let now = epoch();
    let mut dc = DataChannels::new(Config::default(), now);
    dc.connect(now);
    let mut packet = Vec::new();
    assert!(dc.poll_transmit_into(&mut packet));
    let ours = parse_init(&packet);
    assert_eq!(ours.chunk_type, 1);
    let init_ack = fixture("sctp_init_ack_chromium.bin");
    let theirs = parse_init(&init_ack);
    assert_eq!(theirs.chunk_type, 2);
    assert!(theirs.parameters.contains(&0x0007));
    dc.handle_datagram(now, &init_ack);
    assert!(!dc.is_connected());
    assert!(
        !dc.poll_transmit_into(&mut packet),
        "a mismatched INIT-ACK gets no answer"
    );
}
