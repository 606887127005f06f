//! The video sources fed arbitrary bytes: a Y4M stream (header and frames) and pictures
//! whose luma is arbitrary, read for a test-pattern code. No panic; a stream gives frames
//! of its header's size, then an end or an error, and nothing after.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtcweb_media::video::{I420Frame, Y4mSource, read_code};

fuzz_target!(|data: &[u8]| {
    if let Ok(mut source) = Y4mSource::new(data) {
        let (w, h) = (source.width(), source.height());
        let mut frames = 0u64;
        loop {
            match source.read_frame() {
                Ok(Some(frame)) => {
                    assert_eq!((frame.width(), frame.height()), (w, h));
                    frames += 1;
                    let _ = read_code(&frame);
                }
                Ok(None) | Err(_) => break,
            }
        }
        assert_eq!(source.frames_read(), frames);
        assert!(matches!(source.read_frame(), Ok(None)));
    }
    // The bytes as the luma of a picture (sizes from the first two bytes), read for a code.
    if let [w, h, luma @ ..] = data {
        let (w, h) = (u32::from(*w).max(1), u32::from(*h).max(1));
        if let Ok(mut picture) = I420Frame::black(w, h) {
            let (y, _, _) = picture.planes_mut();
            for (dst, src) in y.iter_mut().zip(luma.iter().cycle()) {
                *dst = *src;
            }
            let _ = read_code(&picture);
        }
    }
});
