//! Round trips of every chunk type, malformed input, and Chromium's INIT and INIT ACK.

use super::*;

const HEADER: CommonHeader = CommonHeader {
    source_port: 5000,
    destination_port: 5000,
    verification_tag: 0xdead_beef,
};

/// Writes `chunks` into one packet and returns its bytes.
fn write(chunks: &[Chunk<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = PacketWriter::new_in_vec(&mut out, HEADER, 65_536).unwrap();
    for c in chunks {
        w.push(c).unwrap();
    }
    let len = w.finish();
    assert_eq!(len, out.len());
    out
}

/// Writes, parses back, and checks the chunks are the same; returns the bytes.
fn round_trip(chunks: &[Chunk<'_>]) -> Vec<u8> {
    let bytes = write(chunks);
    assert_eq!(bytes.len() % 4, 0, "chunks are padded to 4 bytes");
    let packet = Packet::parse(&bytes).unwrap();
    assert_eq!(packet.header(), HEADER);
    let parsed: Vec<Chunk<'_>> = packet.chunks().map(Result::unwrap).collect();
    assert_eq!(parsed, chunks);
    // Writing the parsed chunks gives the same bytes.
    assert_eq!(write(&parsed), bytes);
    bytes
}

#[test]
fn data_flags_and_payload() {
    for flags in 0..16u8 {
        let d = Data {
            immediate: flags & 8 != 0,
            unordered: flags & 4 != 0,
            beginning: flags & 2 != 0,
            ending: flags & 1 != 0,
            tsn: 0xfffffff0 + u32::from(flags),
            stream_id: 7,
            ssn: 65535,
            ppid: 53,
            payload: b"hello",
        };
        let bytes = round_trip(&[Chunk::Data(d)]);
        assert_eq!(bytes[12], 0);
        assert_eq!(bytes[13], flags);
        assert_eq!(&bytes[14..16], &[0, 21]);
        assert_eq!(bytes.len(), 12 + 24);
    }
    // No user data: parses (the association aborts, RFC 9260 §3.3.1).
    round_trip(&[Chunk::Data(Data::default())]);
}

#[test]
fn data_payload_is_borrowed() {
    let payload = [0xabu8; 1200];
    let bytes = write(&[Chunk::Data(Data {
        payload: &payload,
        ..Data::default()
    })]);
    let packet = Packet::parse(&bytes).unwrap();
    let Some(Ok(Chunk::Data(d))) = packet.chunks().next() else {
        panic!("a DATA chunk");
    };
    assert_eq!(d.payload.as_ptr(), bytes[28..].as_ptr());
}

#[test]
fn init_and_init_ack() {
    let params = [
        Param::ForwardTsnSupported,
        Param::SupportedExtensions(&[0x82, 0xc0, 0x40]),
        Param::ZeroChecksumAcceptable { edmid: 1 },
        Param::Unknown {
            kind: ParamType(0x8123),
            value: &[1, 2, 3],
        },
    ];
    let init = Init {
        initiate_tag: 1,
        a_rwnd: 2,
        outbound_streams: 3,
        inbound_streams: 4,
        initial_tsn: 5,
        params: TlvList::new(&params),
    };
    round_trip(&[Chunk::Init(init)]);
    assert!(init.forward_tsn_supported());
    assert!(init.supports(ChunkType::RE_CONFIG));
    assert_eq!(init.zero_checksum_edmid(), Some(1));
    let unknown = init.params.iter().last().unwrap();
    assert_eq!(
        unknown.unrecognized_action(),
        Some(UnrecognizedAction::Skip)
    );

    let cookie_params = [Param::StateCookie(b"a cookie of odd length")];
    let ack = Init {
        params: TlvList::new(&cookie_params),
        ..init
    };
    round_trip(&[Chunk::InitAck(ack)]);
    assert_eq!(ack.state_cookie(), Some(&b"a cookie of odd length"[..]));
    assert!(!ack.forward_tsn_supported());
    // No parameters at all.
    round_trip(&[Chunk::Init(Init::default())]);
}

#[test]
fn sack_with_gaps_and_duplicates() {
    let gaps = [GapBlock { start: 2, end: 3 }, GapBlock { start: 5, end: 9 }];
    let dups = [7, 8, 0xffff_ffff];
    let sack = Sack {
        cumulative_tsn_ack: 41,
        a_rwnd: 5 << 20,
        gap_blocks: List::new(&gaps),
        duplicate_tsns: List::new(&dups),
    };
    let bytes = round_trip(&[Chunk::Sack(sack)]);
    assert_eq!(&bytes[14..16], &[0, 16 + 8 + 12]);
    round_trip(&[Chunk::Sack(Sack::default())]);
}

#[test]
fn heartbeat_and_ack() {
    let h = Heartbeat {
        info: b"nonce+time",
    };
    let bytes = round_trip(&[Chunk::Heartbeat(h), Chunk::HeartbeatAck(h)]);
    // Heartbeat Info parameter: type 1, length 14.
    assert_eq!(&bytes[16..20], &[0, 1, 0, 14]);
}

#[test]
fn abort_error_and_causes() {
    let causes = [
        ErrorCause {
            code: CauseCode::USER_INITIATED_ABORT,
            value: b"bye",
        },
        ErrorCause {
            code: CauseCode::PROTOCOL_VIOLATION,
            value: b"",
        },
    ];
    round_trip(&[Chunk::Abort(Abort {
        reflected_tag: true,
        causes: TlvList::new(&causes),
    })]);
    round_trip(&[Chunk::Abort(Abort::default())]);
    round_trip(&[Chunk::Error(ErrorChunk {
        causes: TlvList::new(&causes[1..]),
    })]);
}

#[test]
fn shutdown_family_and_cookies() {
    let bytes = round_trip(&[
        Chunk::Shutdown {
            cumulative_tsn_ack: 99,
        },
        Chunk::ShutdownAck,
        Chunk::ShutdownComplete {
            reflected_tag: true,
        },
        Chunk::ShutdownComplete {
            reflected_tag: false,
        },
        Chunk::CookieEcho(b"cookie"),
        Chunk::CookieAck,
    ]);
    assert_eq!(&bytes[12..20], &[7, 0, 0, 8, 0, 0, 0, 99]);
    assert_eq!(&bytes[24..28], &[14, 1, 0, 4]);
}

#[test]
fn forward_tsn() {
    let streams = [
        SkippedStream {
            stream_id: 1,
            ssn: 2,
        },
        SkippedStream {
            stream_id: 65535,
            ssn: 0,
        },
    ];
    let bytes = round_trip(&[Chunk::ForwardTsn(ForwardTsn {
        new_cumulative_tsn: 1000,
        streams: List::new(&streams),
    })]);
    assert_eq!(&bytes[12..16], &[0xc0, 0, 0, 16]);
    round_trip(&[Chunk::ForwardTsn(ForwardTsn::default())]);
}

#[test]
fn reconfig() {
    let streams = [1u16, 3, 5];
    let params = [
        ReconfigParam::OutgoingSsnReset {
            request_seq: 10,
            response_seq: 20,
            last_tsn: 30,
            streams: List::new(&streams),
        },
        ReconfigParam::IncomingSsnReset {
            request_seq: 11,
            streams: List::new(&streams[..2]),
        },
    ];
    let bytes = round_trip(&[Chunk::ReConfig(ReConfig {
        params: TlvList::new(&params),
    })]);
    // Outgoing SSN Reset Request: type 13, length 16 + 6, padded to 24.
    assert_eq!(&bytes[16..20], &[0, 13, 0, 22]);
    let responses = [
        ReconfigParam::Response {
            response_seq: 10,
            result: ReconfigResult::SUCCESS_PERFORMED,
            next_tsns: None,
        },
        ReconfigParam::Response {
            response_seq: 11,
            result: ReconfigResult::IN_PROGRESS,
            next_tsns: Some((5, 6)),
        },
        ReconfigParam::Other {
            kind: ParamType::ADD_OUTGOING_STREAMS,
            value: &[0, 0, 0, 1, 0, 4, 0, 0],
        },
    ];
    round_trip(&[Chunk::ReConfig(ReConfig {
        params: TlvList::new(&responses),
    })]);
}

#[test]
fn unknown_chunks_kept_with_their_action() {
    let actions = [
        (0x40, UnrecognizedAction::StopAndReport),
        (0x84, UnrecognizedAction::Skip),
        (0xc2, UnrecognizedAction::SkipAndReport),
        (0x3f, UnrecognizedAction::Stop),
    ];
    for (kind, action) in actions {
        let u = UnknownChunk {
            kind: ChunkType(kind),
            flags: 0xa5,
            value: b"xyz",
        };
        round_trip(&[Chunk::Unknown(u)]);
        assert_eq!(u.action(), action);
    }
}

#[test]
fn bundle_of_everything() {
    let gaps = [GapBlock { start: 1, end: 1 }];
    round_trip(&[
        Chunk::CookieEcho(b"c"),
        Chunk::Sack(Sack {
            gap_blocks: List::new(&gaps),
            ..Sack::default()
        }),
        Chunk::Data(Data {
            payload: b"abc",
            ..Data::default()
        }),
        Chunk::ForwardTsn(ForwardTsn::default()),
        Chunk::Unknown(UnknownChunk {
            kind: ChunkType(0x85),
            flags: 0,
            value: b"",
        }),
    ]);
}

#[test]
fn writer_respects_the_maximum_size() {
    let mut buf = [0u8; 1500];
    let mut w = PacketWriter::new(&mut buf, HEADER, 100).unwrap();
    let d = Data {
        payload: &[1; 40],
        ..Data::default()
    };
    // 16 + 40 = 56 bytes per chunk: one fits in 100 - 12, the second does not.
    w.push(&Chunk::Data(d)).unwrap();
    assert_eq!(w.remaining(), 100 - 12 - 56);
    assert_eq!(
        w.push(&Chunk::Data(d)),
        Err(WireError::NoRoom {
            needed: 56,
            available: 32
        })
    );
    w.push(&Chunk::CookieAck).unwrap();
    let len = w.finish();
    assert_eq!(len, 12 + 56 + 4);
    assert_eq!(Packet::parse(&buf[..len]).unwrap().chunks().count(), 2);
    // A buffer smaller than the maximum is the limit.
    let mut small = [0u8; 11];
    assert!(PacketWriter::new(&mut small, HEADER, 1200).is_err());
    // A chunk too long for its length field.
    let huge = vec![0u8; 70_000];
    let mut big = vec![0u8; 80_000];
    let mut w = PacketWriter::new(&mut big, HEADER, 80_000).unwrap();
    let c = Chunk::CookieEcho(&huge);
    assert_eq!(w.push(&c), Err(WireError::TooLong));
}

#[test]
fn checksum_verified_and_zero_checksum() {
    let mut bytes = write(&[Chunk::CookieAck]);
    let good = Packet::parse(&bytes).unwrap().checksum();
    bytes[13] ^= 1;
    assert!(matches!(
        Packet::parse(&bytes),
        Err(WireError::BadChecksum { received, .. }) if received == good
    ));
    bytes[13] ^= 1;

    let mut out = [0u8; 64];
    let w = PacketWriter::new(&mut out, HEADER, 64)
        .unwrap()
        .with_zero_checksum();
    let len = w.finish();
    assert_eq!(&out[8..12], &[0; 4]);
    assert!(Packet::parse(&out[..len]).is_err());
    assert!(Packet::parse_with(&out[..len], ChecksumPolicy::AcceptZero).is_ok());
    // A wrong non-zero checksum is still refused under AcceptZero.
    out[8] = 1;
    assert!(Packet::parse_with(&out[..len], ChecksumPolicy::AcceptZero).is_err());
    assert!(Packet::parse_with(&out[..len], ChecksumPolicy::Ignore).is_ok());
}

/// A packet with the given chunk bytes and a correct checksum.
fn packet_of(chunks: &[u8]) -> Vec<u8> {
    let mut p = vec![0x13, 0x88, 0x13, 0x88, 0, 0, 0, 1, 0, 0, 0, 0];
    p.extend_from_slice(chunks);
    let crc = checksum::compute(&p);
    checksum::store(&mut p, crc);
    p
}

fn first(chunks: &[u8]) -> Result<(), WireError> {
    let p = packet_of(chunks);
    let packet = Packet::parse(&p)?;
    packet.chunks().try_for_each(|c| c.map(drop))
}

#[test]
fn malformed_input_is_a_typed_error() {
    assert_eq!(Packet::parse(&[0; 11]), Err(WireError::PacketTooShort));
    // A header alone is a packet with no chunks.
    assert_eq!(first(&[]), Ok(()));
    assert_eq!(
        first(&[11, 0, 0, 3]),
        Err(WireError::ChunkLengthTooSmall { chunk: 11 })
    );
    assert_eq!(
        first(&[11, 0, 0, 8]),
        Err(WireError::ChunkOverrun { chunk: 11 })
    );
    assert_eq!(first(&[11, 0]), Err(WireError::ChunkOverrun { chunk: 11 }));
    // Length 5 needs 3 bytes of padding that are not there.
    assert_eq!(
        first(&[10, 0, 0, 5, 1]),
        Err(WireError::PaddingOverrun { chunk: 10 })
    );
    assert_eq!(
        first(&[0, 0, 0, 8, 0, 0, 0, 0]),
        Err(WireError::BadChunkLength { chunk: 0 })
    );
    assert_eq!(
        first(&[7, 0, 0, 4]),
        Err(WireError::BadChunkLength { chunk: 7 })
    );
    assert_eq!(
        first(&[11, 0, 0, 8, 0, 0, 0, 0]),
        Err(WireError::BadChunkLength { chunk: 11 })
    );
    // SACK counting one gap block it does not carry.
    let mut sack = vec![3, 0, 0, 16];
    sack.extend_from_slice(&[0; 8]);
    sack.extend_from_slice(&[0, 1, 0, 0]);
    assert_eq!(first(&sack), Err(WireError::BadChunkLength { chunk: 3 }));
    // FORWARD TSN with half a stream pair.
    assert_eq!(
        first(&[0xc0, 0, 0, 10, 0, 0, 0, 1, 0, 1, 0, 0]),
        Err(WireError::BadChunkLength { chunk: 0xc0 })
    );
    // INIT whose parameter runs past the chunk, or is shorter than its header.
    let mut init = vec![1, 0, 0, 24];
    init.extend_from_slice(&[0; 16]);
    init.extend_from_slice(&[0, 7, 0, 9]);
    assert_eq!(
        first(&init),
        Err(WireError::BadParameterLength { chunk: 1, param: 7 })
    );
    init[23] = 2;
    assert_eq!(
        first(&init),
        Err(WireError::BadParameterLength { chunk: 1, param: 7 })
    );
    // Forward-TSN-Supported with a value.
    let mut init = vec![1, 0, 0, 28];
    init.extend_from_slice(&[0; 16]);
    init.extend_from_slice(&[0xc0, 0, 0, 8, 0, 0, 0, 0]);
    assert_eq!(
        first(&init),
        Err(WireError::BadParameterLength {
            chunk: 1,
            param: 0xc000
        })
    );
    // HEARTBEAT without Heartbeat Info.
    assert_eq!(
        first(&[4, 0, 0, 4]),
        Err(WireError::MissingParameter { chunk: 4 })
    );
    assert_eq!(
        first(&[4, 0, 0, 8, 0, 2, 0, 4]),
        Err(WireError::MissingParameter { chunk: 4 })
    );
    assert_eq!(
        first(&[4, 0, 0, 8, 0, 1, 0, 9]),
        Err(WireError::BadParameterLength { chunk: 4, param: 1 })
    );
    // RE-CONFIG response of a length §4.4 does not allow.
    assert_eq!(
        first(&[0x82, 0, 0, 12, 0, 16, 0, 8, 0, 0, 0, 0]),
        Err(WireError::BadParameterLength {
            chunk: 0x82,
            param: 16
        })
    );
    // An error ends the iteration.
    let p = packet_of(&[7, 0, 0, 4, 11, 0, 0, 4]);
    let packet = Packet::parse(&p).unwrap();
    let mut it = packet.chunks();
    assert!(matches!(it.next(), Some(Err(_))));
    assert!(it.next().is_none());
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../../shared/fixtures/chromium/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Parses a fixture, checks it writes back byte for byte, and returns its one INIT value.
fn chromium_init(name: &str) -> (CommonHeader, Chunk<'static>) {
    let bytes: &'static [u8] = fixture(name).leak();
    let packet = Packet::parse(bytes).expect("checksum verifies");
    let chunks: Vec<Chunk<'_>> = packet.chunks().map(Result::unwrap).collect();
    assert_eq!(chunks.len(), 1);
    let mut out = vec![0u8; bytes.len()];
    let mut w = PacketWriter::new(&mut out, packet.header(), 1200).unwrap();
    w.push(&chunks[0]).unwrap();
    let len = w.finish();
    assert_eq!(&out[..len], bytes, "written back byte for byte");
    (packet.header(), chunks[0])
}

fn check_chromium_values(init: &Init<'_>) {
    assert_eq!(init.a_rwnd, 5 * 1024 * 1024);
    assert_eq!(init.outbound_streams, 65535);
    assert_eq!(init.inbound_streams, 65535);
    assert!(init.supports(ChunkType::FORWARD_TSN));
    assert!(init.supports(ChunkType::RE_CONFIG));
    assert!(init.forward_tsn_supported());
    assert_eq!(init.supported_extensions(), &[0x82, 0xc0]);
    assert!(init.params.iter().any(|p| p == Param::ForwardTsnSupported));
}

#[test]
fn chromium_init_fixture() {
    let (header, chunk) = chromium_init("sctp_init_chromium.bin");
    assert_eq!(header.source_port, 5000);
    assert_eq!(
        header.verification_tag, 0,
        "INIT goes with tag 0 (RFC 9260 §8.5.1)"
    );
    let Chunk::Init(init) = chunk else {
        panic!("an INIT, got {chunk:?}")
    };
    check_chromium_values(&init);
    assert_eq!(init.params.len(), 2);
    assert_eq!(init.state_cookie(), None);
    assert_eq!(init.zero_checksum_edmid(), None);
}

#[test]
fn chromium_init_ack_fixture() {
    let (header, chunk) = chromium_init("sctp_init_ack_chromium.bin");
    let Chunk::InitAck(ack) = chunk else {
        panic!("an INIT ACK, got {chunk:?}")
    };
    check_chromium_values(&ack);
    let cookie = ack.state_cookie().expect("a State Cookie");
    assert_eq!(cookie.len(), 48);
    assert!(cookie.starts_with(b"dcSCTP00"), "dcsctp's cookie magic");
    // Sent on aiortc's INIT: the header carries aiortc's Initiate Tag.
    let (_, aiortc) = chromium_init("sctp_init_aiortc.bin");
    let Chunk::Init(aiortc) = aiortc else {
        panic!("aiortc's INIT")
    };
    assert_eq!(header.verification_tag, aiortc.initiate_tag);
    // The same association as Chromium's own INIT: the same tag and TSN (an INIT
    // collision, RFC 9260 §5.2.1).
    let (_, own) = chromium_init("sctp_init_chromium.bin");
    let Chunk::Init(own) = own else { panic!() };
    assert_eq!(ack.initiate_tag, own.initiate_tag);
    assert_eq!(ack.initial_tsn, own.initial_tsn);
}
