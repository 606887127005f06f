//! RFC 7983 demultiplexing agrees with the parsers: whatever the STUN classifier or the
//! ChannelData parser accepts is routed to them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtcweb_common::PacketKind;

fuzz_target!(|data: &[u8]| {
    let kind = PacketKind::of(data);
    if rtcweb_stun::classify(data).is_ok() {
        assert_eq!(kind, PacketKind::Stun);
    }
    if rtcweb_turn::ChannelData::parse(data).is_ok() {
        assert_eq!(kind, PacketKind::ChannelData);
    }
});
