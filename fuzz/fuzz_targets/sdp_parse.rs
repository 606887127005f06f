//! The SDP parser fed arbitrary bytes: it never panics, and a description it accepts writes
//! to text that parses back to the same description and writes the same text again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtcweb_sdp::SessionDescription;

fuzz_target!(|data: &[u8]| {
    let Ok(description) = SessionDescription::parse_bytes(data) else {
        return;
    };
    let text = description.to_string();
    let again = SessionDescription::parse(&text).expect("what we write parses");
    assert_eq!(again, description, "round trip of {text:?}");
    assert_eq!(again.to_string(), text);
    // The semantic checks never panic either.
    let _ = description.validate();
    for m in &description.media {
        let _ = m.codecs();
    }
});
