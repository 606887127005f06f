//! ChannelData parsing, emit/parse round trips, and the stream framer on arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtcweb_turn::{ChannelData, Frame, StreamFramer};

fuzz_target!(|data: &[u8]| {
    if let Ok(msg) = ChannelData::parse(data) {
        for pad in [false, true] {
            let mut buf = vec![0u8; msg.buffer_len(pad)];
            let n = msg.emit(pad, &mut buf).expect("a parsed message fits its own length");
            assert_eq!(ChannelData::parse(&buf[..n]).expect("round trip"), msg);
        }
    }
    // Feed the bytes to a framer in two pieces: whatever comes out must be well-formed.
    let split = data.first().map_or(0, |b| usize::from(*b)).min(data.len());
    let mut framer = StreamFramer::new(4096);
    for part in [&data[..split], &data[split..]] {
        if framer.push(part).is_err() {
            return;
        }
        loop {
            match framer.next_frame() {
                Ok(Some(Frame::Stun(m))) => assert!(m.len() >= 20),
                Ok(Some(Frame::ChannelData(m))) => assert!((0x4000..=0x4FFF).contains(&m.channel)),
                Ok(None) | Err(_) => break,
            }
        }
    }
});
