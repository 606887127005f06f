//! The cheap classifier on arbitrary bytes: never panics, and agrees with itself.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let quick = rtcweb_stun::looks_like_stun(data);
    match rtcweb_stun::classify_checked(data) {
        Ok((header, _)) => {
            assert!(quick, "classified but the quick test says no");
            assert_eq!(header.message_len(), data.len());
            assert_eq!(rtcweb_stun::classify(data), Ok(header));
        }
        Err(_) => {}
    }
    let _ = rtcweb_stun::parse_header(data);
});
