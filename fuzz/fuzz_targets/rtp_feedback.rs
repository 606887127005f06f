//! Congestion control feedback parsers fed arbitrary bodies: transport-wide CC (RTPFB FMT 15)
//! and RFC 8888 (RTPFB FMT 11). What parses re-emits without error, and the re-emitted bytes
//! parse back to an equal packet. The raw input also goes through the compound parser.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtcweb_rtp::rtcp::{Compound, Packet};

fuzz_target!(|data: &[u8]| {
    for p in Compound::new(data) {
        let _ = p;
    }
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let fmt = if selector & 1 == 0 { 15 } else { 11 };
    // The body, zero-filled to 32 bits, behind a header that declares it.
    let words = body.len().div_ceil(4);
    let Ok(length) = u16::try_from(words) else {
        return;
    };
    let mut packet = vec![0x80 | fmt, 205];
    packet.extend_from_slice(&length.to_be_bytes());
    packet.extend_from_slice(body);
    packet.resize(4 + words * 4, 0);
    let Ok((parsed, len)) = Packet::parse(&packet) else {
        return;
    };
    assert_eq!(len, packet.len());
    match &parsed {
        Packet::TransportCc(_) | Packet::CongestionControlFeedback(_) => {}
        other => panic!("FMT {fmt} parsed as {other:?}"),
    }
    let mut out = Vec::new();
    parsed.emit(&mut out).expect("what parsed re-emits");
    let (again, again_len) = Packet::parse(&out).expect("what was emitted parses");
    assert_eq!(again_len, out.len());
    assert_eq!(again, parsed);
});
