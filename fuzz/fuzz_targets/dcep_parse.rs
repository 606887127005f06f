//! The DCEP parser (RFC 8832 §5) fed arbitrary bytes: it never panics, and an OPEN it accepts
//! re-encodes to bytes that parse to the same message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtcweb_datachannel::DcepMessage;

fuzz_target!(|data: &[u8]| {
    if let Ok(DcepMessage::Open(open)) = DcepMessage::parse(data) {
        let mut out = Vec::new();
        open.emit(&mut out).expect("parsed lengths fit in 16 bits");
        assert_eq!(DcepMessage::parse(&out), Ok(DcepMessage::Open(open)));
    }
});
