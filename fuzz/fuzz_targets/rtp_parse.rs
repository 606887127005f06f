//! RTP header and RFC 8285 extensions fed arbitrary bytes: no panic, and every element the
//! parser yields lies inside the packet.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtcweb_rtp::RtpPacket;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = RtpPacket::parse(data) {
        let _ = (p.payload_type(), p.sequence_number(), p.timestamp(), p.ssrc());
        assert!(p.payload().len() <= data.len());
        for e in p.extensions().flatten() {
            assert!(e.data.len() <= data.len());
        }
    }
});
