//! SRTCP unprotect on arbitrary bytes, under fixed keys for every profile and under a key taken
//! from the input: never panics, a failure leaves the stream usable, and whatever
//! authenticates round-trips through protect.
#![no_main]

#[path = "shared/srtp.rs"]
mod srtp;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| srtp::run(srtp::Kind::Rtcp, 0x24, data));
