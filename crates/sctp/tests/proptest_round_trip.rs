//! Random DATA, SACK and FORWARD TSN chunks write, parse back the same, and write back to
//! the same bytes.

use proptest::prelude::*;
use rtcweb_sctp::wire::{
    Chunk, CommonHeader, Data, ForwardTsn, GapBlock, List, Packet, PacketWriter, Sack,
    SkippedStream,
};

fn header() -> impl Strategy<Value = CommonHeader> {
    (any::<u16>(), any::<u16>(), any::<u32>()).prop_map(|(s, d, t)| CommonHeader {
        source_port: s,
        destination_port: d,
        verification_tag: t,
    })
}

fn check(header: CommonHeader, chunk: Chunk<'_>) {
    let mut buf = vec![0u8; 70_000];
    let mut w = PacketWriter::new(&mut buf, header, 70_000).unwrap();
    w.push(&chunk).unwrap();
    let len = w.finish();
    let packet = Packet::parse(&buf[..len]).unwrap();
    assert_eq!(packet.header(), header);
    let parsed: Vec<Chunk<'_>> = packet.chunks().map(Result::unwrap).collect();
    assert_eq!(parsed, [chunk]);
    let mut again = vec![0u8; len];
    let mut w = PacketWriter::new(&mut again, header, len).unwrap();
    w.push(&parsed[0]).unwrap();
    assert_eq!(w.finish(), len);
    assert_eq!(again, &buf[..len]);
}

proptest! {
    #[test]
    fn data(
        header in header(),
        flags in 0u8..16,
        tsn in any::<u32>(),
        stream_id in any::<u16>(),
        ssn in any::<u16>(),
        ppid in any::<u32>(),
        payload in proptest::collection::vec(any::<u8>(), 0..1500),
    ) {
        check(header, Chunk::Data(Data {
            immediate: flags & 8 != 0,
            unordered: flags & 4 != 0,
            beginning: flags & 2 != 0,
            ending: flags & 1 != 0,
            tsn, stream_id, ssn, ppid,
            payload: &payload,
        }));
    }

    #[test]
    fn sack(
        header in header(),
        cumulative_tsn_ack in any::<u32>(),
        a_rwnd in any::<u32>(),
        gaps in proptest::collection::vec((any::<u16>(), any::<u16>()), 0..64),
        dups in proptest::collection::vec(any::<u32>(), 0..64),
    ) {
        let gaps: Vec<GapBlock> = gaps.into_iter().map(|(start, end)| GapBlock { start, end }).collect();
        check(header, Chunk::Sack(Sack {
            cumulative_tsn_ack,
            a_rwnd,
            gap_blocks: List::new(&gaps),
            duplicate_tsns: List::new(&dups),
        }));
    }

    #[test]
    fn forward_tsn(
        header in header(),
        new_cumulative_tsn in any::<u32>(),
        streams in proptest::collection::vec((any::<u16>(), any::<u16>()), 0..128),
    ) {
        let streams: Vec<SkippedStream> =
            streams.into_iter().map(|(stream_id, ssn)| SkippedStream { stream_id, ssn }).collect();
        check(header, Chunk::ForwardTsn(ForwardTsn {
            new_cumulative_tsn,
            streams: List::new(&streams),
        }));
    }

    /// Arbitrary bytes never panic the parser.
    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        if let Ok(p) = rtcweb_sctp::wire::Packet::parse_with(&bytes, rtcweb_sctp::wire::ChecksumPolicy::Ignore) {
            for c in p.chunks() {
                let _ = c;
            }
        }
    }
}
