//! RFC 4571 framing: any bytes, pushed in pieces the input chooses, never panic, never
//! make the decoder hold more than its limit, and the frames cut re-encode to exactly the
//! bytes consumed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtcweb_common::{FrameDecoder, MIN_DECODER_LIMIT, encode_frame};

fuzz_target!(|data: &[u8]| {
    let Some((&split, stream)) = data.split_first() else {
        return;
    };
    let piece = usize::from(split).max(1);
    let mut decoder = FrameDecoder::new(0);
    let mut consumed = Vec::new();
    let mut reencoded = Vec::new();
    let mut rest = stream;
    while !rest.is_empty() {
        // As the owner reads: never more than the decoder has room for.
        let room = decoder.room();
        assert!(room > 0, "a decoder with no complete frame has room");
        let (chunk, after) = rest.split_at(piece.min(room).min(rest.len()));
        decoder.push(chunk).expect("what fits is taken");
        consumed.extend_from_slice(chunk);
        rest = after;
        while let Some(frame) = decoder.next_frame() {
            encode_frame(frame, &mut reencoded).expect("a decoded frame re-encodes");
        }
        assert!(decoder.buffered() < MIN_DECODER_LIMIT);
    }
    assert_eq!(reencoded, consumed[..consumed.len() - decoder.buffered()]);
});
