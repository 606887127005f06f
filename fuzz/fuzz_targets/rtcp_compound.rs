//! The RTCP compound parser fed arbitrary bytes: no panic, and whatever parses re-emits to
//! bytes that parse to the same packets.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtcweb_rtp::rtcp::{Compound, Packet};

fuzz_target!(|data: &[u8]| {
    for packet in Compound::new(data).flatten() {
        let mut out = Vec::new();
        if packet.emit(&mut out).is_ok() {
            // Padding and reserved bits are not kept, so compare the parsed values.
            if let Ok((again, _)) = Packet::parse(&out) {
                if !matches!(packet, Packet::Remb(_) | Packet::Unknown { .. }) {
                    assert_eq!(again, packet);
                }
            }
        }
    }
});
