//! The `a=candidate` parser (RFC 8839 §5.1) fed arbitrary text: it never panics, and what it
//! accepts formats to a line that parses back to the same candidate.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtcweb_ice::Candidate;

fuzz_target!(|data: &[u8]| {
    let Ok(line) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(candidate) = Candidate::parse(line) {
        let formatted = candidate.to_string();
        let again = Candidate::parse(&formatted).expect("a formatted candidate parses");
        assert_eq!(again, candidate, "round trip of {formatted:?}");
    }
});
