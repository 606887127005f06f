//! The converters on the committed sample frames (`tests/data/`, see its README): each
//! comes out as the pattern it was made from, bar code and all.

mod samples;

use rtcweb_capture::{CaptureError, FrameConverter, PixelFormat, RawFrame};
use rtcweb_media::video::read_code;

const W: u32 = 160;
const H: u32 = 120;

fn data(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn convert(format: PixelFormat, bytes: &[u8]) -> Result<rtcweb_media::I420Frame, CaptureError> {
    FrameConverter::new().convert(&RawFrame {
        format,
        width: W,
        height: H,
        stride: 0,
        data: bytes,
    })
}

/// Converts a sample and checks its bar code and its luma against the pattern.
fn check(format: PixelFormat, name: &str, min_psnr: f64) {
    let picture = convert(format, &data(name)).expect("converts");
    let code = read_code(&picture).expect("bar code readable");
    assert_eq!(
        (code.frame_number, code.capture_micros),
        (samples::FRAME_NUMBER, samples::CAPTURE_MICROS)
    );
    let psnr = samples::luma_psnr(&samples::pattern(W, H), &picture);
    println!("{name}: luma PSNR {psnr:.1} dB");
    assert!(psnr >= min_psnr, "{name}: {psnr:.1} dB");
}

#[test]
fn yuyv_sample_converts_to_the_pattern() {
    // Luma is carried unchanged through YUYV.
    check(PixelFormat::Yuyv, "pattern-160x120.yuyv", f64::INFINITY);
}

#[test]
fn nv12_sample_converts_to_the_pattern_exactly() {
    let picture = convert(PixelFormat::Nv12, &data("pattern-160x120.nv12")).unwrap();
    assert_eq!(picture, samples::pattern(W, H));
    check(PixelFormat::Nv12, "pattern-160x120.nv12", f64::INFINITY);
}

#[test]
fn mjpeg_sample_without_huffman_tables_decodes_to_the_pattern() {
    // JPEG at quality 90, through RGB twice: 30 dB is far above a wrong decode (~10 dB).
    check(PixelFormat::Mjpeg, "pattern-160x120-nodht.mjpeg", 30.0);
}

#[test]
fn the_jpeg_decoder_alone_cannot_read_the_sample_without_huffman_tables() {
    // Why the converter inserts the Motion-JPEG marker: without it the decoder has no tables.
    let bytes = data("pattern-160x120-nodht.mjpeg");
    let mut decoder = jpeg_decoder::Decoder::new(&bytes[..]);
    assert!(decoder.decode().is_err());
}

#[test]
fn a_jpeg_of_another_size_than_the_mode_is_a_bad_frame() {
    let bytes = data("pattern-160x120-nodht.mjpeg");
    let result = FrameConverter::new().convert(&RawFrame {
        format: PixelFormat::Mjpeg,
        width: 320,
        height: 240,
        stride: 0,
        data: &bytes,
    });
    assert!(
        matches!(result, Err(CaptureError::BadFrame(_))),
        "{result:?}"
    );
}

#[test]
fn a_corrupt_or_cut_jpeg_is_a_bad_frame_or_a_picture_never_a_panic() {
    let bytes = data("pattern-160x120-nodht.mjpeg");
    // Cut in the header: always an error.
    assert!(matches!(
        convert(PixelFormat::Mjpeg, &bytes[..100]),
        Err(CaptureError::BadFrame(_))
    ));
    // Flipped bytes anywhere: an error or some picture of the mode's size.
    for at in (2..bytes.len()).step_by(7) {
        let mut broken = bytes.clone();
        broken[at] ^= 0x5A;
        if let Ok(picture) = convert(PixelFormat::Mjpeg, &broken) {
            assert_eq!((picture.width(), picture.height()), (W, H));
        }
    }
}

/// The committed YUYV and NV12 frames are what the generator makes (the MJPEG one depends
/// on the encoder's version, so it is only regenerated). `RTCWEB_REGENERATE_CAPTURE_SAMPLES=1
/// cargo test -p rtcweb-capture --test convert_samples` rewrites all three.
#[test]
fn committed_samples_are_what_the_generator_makes() {
    let picture = samples::pattern(W, H);
    let made = [
        ("pattern-160x120.yuyv", samples::yuyv(&picture)),
        ("pattern-160x120.nv12", samples::nv12(&picture)),
        (
            "pattern-160x120-nodht.mjpeg",
            samples::mjpeg_without_dht(&picture),
        ),
    ];
    if std::env::var_os("RTCWEB_REGENERATE_CAPTURE_SAMPLES").is_some() {
        for (name, bytes) in &made {
            let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
            std::fs::write(path, bytes).unwrap();
        }
    }
    for (name, bytes) in &made[..2] {
        assert_eq!(&data(name), bytes, "{name}");
    }
    assert!(
        !data("pattern-160x120-nodht.mjpeg")
            .windows(2)
            .any(|m| m == [0xFF, 0xC4])
    );
}

#[test]
fn the_frame_that_broke_zune_jpeg_is_a_bad_frame_or_a_picture() {
    // The fuzz target's first find with zune-jpeg 0.4.21 (a debug assertion in its bit
    // reader): one byte of the sample changed and the frame cut to about half.
    let mut bytes = data("pattern-160x120-nodht.mjpeg");
    let at = 0x7aff % bytes.len();
    bytes[at] = 0x1f;
    let cut = bytes.len() - 0xfd * bytes.len() / 256 / 2;
    bytes.truncate(cut);
    if let Ok(picture) = convert(PixelFormat::Mjpeg, &bytes) {
        assert_eq!((picture.width(), picture.height()), (W, H));
    }
}
