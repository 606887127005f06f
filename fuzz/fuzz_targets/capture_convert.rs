//! The camera-frame converters fed arbitrary frames: YUYV, NV12, I420 and MJPEG bytes of
//! any length at any size and stride, and the committed MJPEG sample (no Huffman tables)
//! with arbitrary bytes overwritten and cut anywhere, so the JPEG decoder's deep paths are
//! reached. No panic; a picture, when one comes out, has the size asked for.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtcweb_capture::{CaptureError, FrameConverter, PixelFormat, RawFrame};

const SAMPLE: &[u8] = include_bytes!("../../crates/capture/tests/data/pattern-160x120-nodht.mjpeg");

fn check(converter: &mut FrameConverter, raw: &RawFrame<'_>) {
    match converter.convert(raw) {
        Ok(picture) => assert_eq!((picture.width(), picture.height()), (raw.width, raw.height)),
        Err(CaptureError::BadFrame(_)) => {}
        Err(other) => panic!("{other:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let [select, w, h, stride, rest @ ..] = data else {
        return;
    };
    let mut converter = FrameConverter::new();
    let formats = [
        PixelFormat::Yuyv,
        PixelFormat::Nv12,
        PixelFormat::I420,
        PixelFormat::Mjpeg,
    ];
    if select & 0x80 == 0 {
        // Arbitrary bytes as a frame of an arbitrary (small) size.
        check(
            &mut converter,
            &RawFrame {
                format: formats[usize::from(select & 3)],
                width: u32::from(*w),
                height: u32::from(*h),
                stride: u32::from(*stride) * 4,
                data: rest,
            },
        );
    } else {
        // The MJPEG sample, mutated: (offset, byte) pairs overwrite, then a cut.
        let mut jpeg = SAMPLE.to_vec();
        for pair in rest.chunks_exact(3) {
            let at = usize::from(u16::from_be_bytes([pair[0], pair[1]])) % jpeg.len();
            jpeg[at] = pair[2];
        }
        let cut = jpeg.len() - usize::from(*stride) * jpeg.len() / 256 / 2;
        jpeg.truncate(cut.max(1));
        let (width, height) = if select & 1 == 0 {
            (160, 120)
        } else {
            (u32::from(*w), u32::from(*h))
        };
        check(
            &mut converter,
            &RawFrame {
                format: PixelFormat::Mjpeg,
                width,
                height,
                stride: 0,
                data: &jpeg,
            },
        );
    }
});
