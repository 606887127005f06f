//! RTCP packets: known bytes from the RFCs' layouts, a compound packet as browsers send it,
//! and property round trips for every type.

use proptest::prelude::*;
use rtcweb_rtp::rtcp::{
    App, Bye, CcfbPacketReport, CcfbReportBlock, Compound, CongestionControlFeedback, Ecn, Fir,
    Nack, Packet, Pli, ReceiverReport, Remb, ReportBlock, Sdes, SdesChunk, SdesItem, SenderReport,
    TransportCc,
};

fn round_trip(p: &Packet<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    p.emit(&mut out).unwrap();
    assert_eq!(out.len() % 4, 0);
    let (again, len) = Packet::parse(&out).unwrap();
    assert_eq!(len, out.len());
    assert_eq!(&again, p);
    out
}

#[test]
fn generic_nack_bytes() {
    // RFC 4585 §6.2.1: PID 100 with BLP 0x0005 = 100, 101, 103 lost.
    let bytes = [0x81, 205, 0, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 100, 0x00, 0x05];
    let (p, _) = Packet::parse(&bytes).unwrap();
    let Packet::Nack(nack) = &p else {
        panic!("{p:?}")
    };
    assert_eq!(nack.lost().collect::<Vec<_>>(), vec![100, 101, 103]);
    assert_eq!(nack, &Nack::from_lost(1, 2, &[100, 101, 103]));
    let mut out = Vec::new();
    p.emit(&mut out).unwrap();
    assert_eq!(out, bytes);
}

#[test]
fn remb_bytes() {
    // draft-alvestrand-rmcat-remb §2.2: 1 SSRC, exponent 1, mantissa 0x3ffff → 524286 bps.
    let bytes = [
        0x8f, 206, 0, 5, 0, 0, 0, 9, 0, 0, 0, 0, b'R', b'E', b'M', b'B', 1, 0x07, 0xff, 0xff, 0, 0,
        0, 7,
    ];
    let (p, _) = Packet::parse(&bytes).unwrap();
    assert_eq!(
        p,
        Packet::Remb(Remb {
            sender_ssrc: 9,
            bitrate: 0x3ffff << 1,
            ssrcs: vec![7]
        })
    );
}

#[test]
fn compound_sr_sdes_bye_with_an_unknown_type() {
    let mut bytes = Vec::new();
    SenderReport {
        ssrc: 0x1234,
        ntp_time: 0xe8a1_2345_6789_abcd,
        rtp_time: 960,
        packet_count: 10,
        octet_count: 1000,
        reports: vec![ReportBlock {
            ssrc: 0x5678,
            fraction_lost: 12,
            cumulative_lost: -3,
            extended_highest_seq: 70000,
            jitter: 42,
            last_sr: 0xa1b2_c3d4,
            delay_since_last_sr: 65536,
        }],
    }
    .emit(&mut bytes)
    .unwrap();
    Sdes {
        chunks: vec![SdesChunk {
            ssrc: 0x1234,
            items: vec![SdesItem {
                item_type: 1,
                text: b"rtcweb-cname".to_vec(),
            }],
        }],
    }
    .emit(&mut bytes)
    .unwrap();
    // An XR packet (PT 207), unknown here, carried through.
    let xr = [0x80, 207, 0, 1, 0, 0, 0x12, 0x34];
    bytes.extend_from_slice(&xr);
    Bye {
        sources: vec![0x1234],
        reason: Some(b"done".to_vec()),
    }
    .emit(&mut bytes)
    .unwrap();
    let packets: Vec<_> = Compound::new(&bytes).collect::<Result<_, _>>().unwrap();
    assert_eq!(packets.len(), 4);
    match &packets[0] {
        Packet::SenderReport(sr) => assert_eq!(sr.reports[0].cumulative_lost, -3),
        p => panic!("{p:?}"),
    }
    match &packets[1] {
        Packet::Sdes(s) => assert_eq!(s.chunks[0].cname(), Some("rtcweb-cname")),
        p => panic!("{p:?}"),
    }
    match &packets[2] {
        Packet::Unknown { header, bytes } => {
            assert_eq!(header.packet_type, 207);
            assert_eq!(*bytes, &xr);
        }
        p => panic!("{p:?}"),
    }
    let mut again = Vec::new();
    for p in &packets {
        p.emit(&mut again).unwrap();
    }
    assert_eq!(again, bytes, "compound re-emits byte-exact");
}

#[test]
fn malformed_compounds_stop_with_an_error() {
    let mut bytes = Vec::new();
    Pli {
        sender_ssrc: 1,
        media_ssrc: 2,
    }
    .emit(&mut bytes)
    .unwrap();
    bytes.extend_from_slice(&[0x80, 201, 0, 9, 0, 0]); // length past the end
    let items: Vec<_> = Compound::new(&bytes).collect();
    assert!(items[0].is_ok());
    assert!(items[1].is_err());
    assert_eq!(items.len(), 2);
    assert!(Packet::parse(&[0x40, 200, 0, 0]).is_err(), "version 1");
    // Padding larger than the packet.
    assert!(Packet::parse(&[0xa0, 201, 0, 1, 0, 0, 0, 9]).is_err());
}

#[test]
fn transport_cc_with_runs_vectors_and_large_deltas() {
    let mut arrivals = vec![Some(0), Some(250), None, None, Some(100_000)];
    arrivals.extend(std::iter::repeat_n(None, 40));
    arrivals.push(Some(100_500));
    arrivals.push(Some(50_000)); // negative delta: large
    let fb = TransportCc {
        sender_ssrc: 1,
        media_ssrc: 2,
        base_seq: 65530,
        reference_time: -5,
        feedback_count: 200,
        arrivals,
    };
    round_trip(&Packet::TransportCc(fb));
}

#[test]
fn rfc_8888_feedback_bytes() {
    // RFC 8888 §3.1 layout, by hand: FMT 11, PT 205, 6 words after the header; sender
    // 0x11223344; one block for SSRC 0xaabbccdd from sequence 65534, 3 reports:
    //   R=1 ECN=10 (ECT(0)) ATO=512 -> 1 10 0001000000000 = 0xc200
    //   R=0                          -> 0x0000
    //   R=1 ECN=11 (CE) ATO=0x1ffe   -> 1 11 1111111111110 = 0xfffe
    // then 16 bits of padding to 32, and the report timestamp 0x00010000 (1 s).
    let bytes = [
        0x8b, 205, 0, 6, 0x11, 0x22, 0x33, 0x44, 0xaa, 0xbb, 0xcc, 0xdd, 0xff, 0xfe, 0, 3, 0xc2,
        0x00, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
    ];
    let (p, len) = Packet::parse(&bytes).unwrap();
    assert_eq!(len, bytes.len());
    let Packet::CongestionControlFeedback(fb) = &p else {
        panic!("{p:?}")
    };
    let expected = CongestionControlFeedback {
        sender_ssrc: 0x1122_3344,
        blocks: vec![CcfbReportBlock {
            ssrc: 0xaabb_ccdd,
            begin_seq: 65534,
            reports: vec![
                CcfbPacketReport::received(Ecn::Ect0, 0x0000_8000, 0x0001_0000),
                CcfbPacketReport::lost(),
                CcfbPacketReport {
                    received: true,
                    ecn: Ecn::Ce,
                    arrival_time_offset: CcfbPacketReport::ATO_OVER_RANGE,
                },
            ],
        }],
        report_timestamp: 0x0001_0000,
    };
    assert_eq!(fb, &expected);
    assert_eq!(
        fb.blocks[0].reports[0].arrival_offset(),
        Some(std::time::Duration::from_millis(500))
    );
    let mut out = Vec::new();
    p.emit(&mut out).unwrap();
    assert_eq!(out, bytes);
    // A block with no reports, and a packet with no blocks, are valid too.
    let empty = CongestionControlFeedback {
        sender_ssrc: 1,
        blocks: vec![CcfbReportBlock {
            ssrc: 2,
            begin_seq: 3,
            reports: Vec::new(),
        }],
        report_timestamp: 4,
    };
    round_trip(&Packet::CongestionControlFeedback(empty));
    round_trip(&Packet::CongestionControlFeedback(
        CongestionControlFeedback::default(),
    ));
    // A block claiming more reports than the packet holds.
    let mut short = bytes;
    short[15] = 5;
    assert!(Packet::parse(&short).is_err());
}

fn ccfb_report() -> impl Strategy<Value = CcfbPacketReport> {
    (any::<bool>(), 0u8..4, 0u16..0x2000).prop_map(|(received, ecn, ato)| CcfbPacketReport {
        received,
        ecn: Ecn::from_bits(ecn),
        arrival_time_offset: ato,
    })
}

fn block() -> impl Strategy<Value = ReportBlock> {
    (
        any::<u32>(),
        any::<u8>(),
        -0x80_0000i32..0x80_0000,
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
    )
        .prop_map(
            |(
                ssrc,
                fraction_lost,
                cumulative_lost,
                extended_highest_seq,
                jitter,
                last_sr,
                delay_since_last_sr,
            )| ReportBlock {
                ssrc,
                fraction_lost,
                cumulative_lost,
                extended_highest_seq,
                jitter,
                last_sr,
                delay_since_last_sr,
            },
        )
}

proptest! {
    #[test]
    fn reports_round_trip(ssrc: u32, ntp: u64, rtp: u32, pc: u32, oc: u32, blocks in prop::collection::vec(block(), 0..31)) {
        round_trip(&Packet::SenderReport(SenderReport { ssrc, ntp_time: ntp, rtp_time: rtp, packet_count: pc, octet_count: oc, reports: blocks.clone() }));
        round_trip(&Packet::ReceiverReport(ReceiverReport { ssrc, reports: blocks }));
    }

    #[test]
    fn sdes_bye_app_round_trip(
        chunks in prop::collection::vec((any::<u32>(), prop::collection::vec((1u8..=8, prop::collection::vec(any::<u8>(), 0..40)), 0..4)), 0..5),
        sources in prop::collection::vec(any::<u32>(), 0..31),
        reason in prop::option::of(prop::collection::vec(any::<u8>(), 0..60)),
        subtype in 0u8..32, name: [u8; 4], words in prop::collection::vec(any::<u32>(), 0..8),
    ) {
        let chunks = chunks.into_iter().map(|(ssrc, items)| SdesChunk {
            ssrc,
            items: items.into_iter().map(|(item_type, text)| SdesItem { item_type, text }).collect(),
        }).collect();
        round_trip(&Packet::Sdes(Sdes { chunks }));
        round_trip(&Packet::Bye(Bye { sources, reason }));
        let data = words.iter().flat_map(|w| w.to_be_bytes()).collect();
        round_trip(&Packet::App(App { subtype, ssrc: 5, name, data }));
    }

    #[test]
    fn feedback_round_trips(sender: u32, media: u32, lost in prop::collection::vec(any::<u16>(), 0..50),
                            firs in prop::collection::vec((any::<u32>(), any::<u8>()), 0..10),
                            bitrate in 0u64..(0x3ffffu64 << 40), ssrcs in prop::collection::vec(any::<u32>(), 0..10)) {
        let lost: Vec<u16> = { let mut l = lost; l.sort_unstable(); l.dedup(); l };
        let nack = Nack::from_lost(sender, media, &lost);
        let mut expected = lost.clone();
        let mut got: Vec<u16> = nack.lost().collect();
        expected.sort_unstable();
        got.sort_unstable();
        prop_assert_eq!(got, expected);
        round_trip(&Packet::Nack(nack));
        round_trip(&Packet::Pli(Pli { sender_ssrc: sender, media_ssrc: media }));
        round_trip(&Packet::Fir(Fir { sender_ssrc: sender, entries: firs }));
        // REMB keeps 18 bits of mantissa: compare after the same rounding.
        let mut exp = 0;
        while bitrate >> exp > 0x3ffff { exp += 1; }
        let rounded = (bitrate >> exp) << exp;
        round_trip(&Packet::Remb(Remb { sender_ssrc: sender, bitrate: rounded, ssrcs }));
    }

    #[test]
    fn transport_cc_round_trips(base: u16, reference in -0x80_0000i32..0x80_0000, count: u8,
                                gaps in prop::collection::vec(prop::option::of(0i64..20_000), 1..300)) {
        // Arrival times increase by up to 20 ms in 250 µs units, some packets missing.
        let mut t = 0i64;
        let arrivals = gaps.into_iter().map(|g| g.map(|d| { t += d / 250 * 250; t })).collect();
        round_trip(&Packet::TransportCc(TransportCc { sender_ssrc: 1, media_ssrc: 0, base_seq: base, reference_time: reference, feedback_count: count, arrivals }));
    }

    #[test]
    fn rfc_8888_feedback_round_trips(sender: u32, timestamp: u32,
                                     blocks in prop::collection::vec((any::<u32>(), any::<u16>(), prop::collection::vec(ccfb_report(), 0..200)), 0..5)) {
        let blocks = blocks.into_iter().map(|(ssrc, begin_seq, reports)| CcfbReportBlock { ssrc, begin_seq, reports }).collect();
        round_trip(&Packet::CongestionControlFeedback(CongestionControlFeedback { sender_ssrc: sender, blocks, report_timestamp: timestamp }));
    }

    #[test]
    fn parsers_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        for p in Compound::new(&bytes) { let _ = p; }
        if let Ok(p) = rtcweb_rtp::RtpPacket::parse(&bytes) {
            for e in p.extensions() { let _ = e; }
        }
    }
}
