//! SCTP packets from arbitrary bytes: parsing never panics, and whatever parses writes back
//! and parses again to the same chunks. The checksum is ignored on the way in so the fuzzer
//! reaches the chunks; the packet written back must verify.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtcweb_sctp::wire::{ChecksumPolicy, Chunk, Packet, PacketWriter};

fuzz_target!(|data: &[u8]| {
    let _ = Packet::parse(data);
    let Ok(packet) = Packet::parse_with(data, ChecksumPolicy::Ignore) else {
        return;
    };
    let mut chunks = Vec::new();
    for c in packet.chunks() {
        match c {
            Ok(c) => chunks.push(c),
            Err(_) => return,
        }
    }
    // Written back, a packet is never longer than the one parsed.
    let mut out = vec![0u8; data.len()];
    let mut w = PacketWriter::new(&mut out, packet.header(), data.len()).expect("12 bytes fit");
    for c in &chunks {
        w.push(c).expect("a parsed chunk fits where it came from");
    }
    let len = w.finish();
    let again = Packet::parse(&out[..len]).expect("what we write parses");
    assert_eq!(again.header(), packet.header());
    let reparsed: Vec<Chunk<'_>> = again
        .chunks()
        .map(|c| c.expect("what we write parses"))
        .collect();
    assert_eq!(reparsed, chunks);
});
