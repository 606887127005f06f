//! Every video codec round-trips a moving synthetic picture through `VideoEncoder` and
//! `VideoDecoder`: one frame out per picture in, key frames where asked, the size kept (odd
//! sides rounded down to even by H.264), and a PSNR above 30 dB at 1 Mbit/s. Bad input is an error, never a panic.
#![cfg(all(feature = "vpx", feature = "h264"))]

use std::time::Duration;

use rtcweb_media::video::{
    I420Frame, RawVideoFrame, VideoDecoder, VideoEncoder, VideoEncoderConfig,
};
use rtcweb_media::{CodecError, VideoCodec};

const CODECS: [VideoCodec; 3] = [VideoCodec::Vp8, VideoCodec::Vp9, VideoCodec::H264];

/// A moving picture: a gradient sliding right, a bright square crossing it, a checkerboard
/// corner, drifting chroma.
fn picture(width: u32, height: u32, t: u32) -> I420Frame {
    let mut f = I420Frame::black(width, height).unwrap();
    let (w, h) = (width as usize, height as usize);
    let cw = f.chroma_width() as usize;
    let t = t as usize;
    let (y, u, v) = f.planes_mut();
    for r in 0..h {
        for c in 0..w {
            let mut p = 16 + (c + r + 4 * t) % 200;
            let bx = (20 + 6 * t) % w;
            if (bx..bx + 48).contains(&c) && (h / 3..h / 3 + 48).contains(&r) {
                p = 230;
            }
            if c < 48 && r < 48 && (c / 8 + r / 8) % 2 == 0 {
                p = 40;
            }
            y[r * w + c] = p as u8;
        }
    }
    for (i, (u, v)) in u.iter_mut().zip(v.iter_mut()).enumerate() {
        let (r, c) = (i / cw, i % cw);
        *u = (96 + (c + t) % 64) as u8;
        *v = (160 - (r + t) % 64) as u8;
    }
    f
}

fn psnr_y(a: &I420Frame, b: &I420Frame) -> f64 {
    let sse: f64 = a
        .y()
        .iter()
        .zip(b.y())
        .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
        .sum();
    let mse = sse / a.y().len() as f64;
    10.0 * (255.0f64 * 255.0 / mse.max(1e-9)).log10()
}

fn round_trip(codec: VideoCodec, width: u32, height: u32) {
    let mut enc = VideoEncoder::new(VideoEncoderConfig::new(codec, width, height)).unwrap();
    let mut dec = VideoDecoder::new(codec).unwrap();
    let forced = [7, 13];
    let mut keys = Vec::new();
    let mut worst = f64::INFINITY;
    for t in 0..20u32 {
        let raw = RawVideoFrame {
            picture: picture(width, height, t),
            rtp_timestamp: 3000 * t,
            capture_time: None,
        };
        if t == 13 {
            enc.request_keyframe();
        }
        enc.handle_frame(&raw, t == 7).unwrap();
        let frame = enc.poll_frame().expect("one frame per picture");
        assert!(enc.poll_frame().is_none());
        assert_eq!(frame.rtp_timestamp, 3000 * t);
        assert_eq!((frame.width, frame.height), (width, height));
        keys.push(frame.keyframe);
        let sender = Some(Duration::from_millis(u64::from(t) * 33));
        dec.handle_frame(&frame.data, frame.rtp_timestamp, sender)
            .unwrap();
        let out = dec.poll_frame().expect("one picture per frame");
        assert!(dec.poll_frame().is_none());
        assert_eq!(out.rtp_timestamp, 3000 * t);
        assert_eq!(out.sender_time, sender);
        assert_eq!((out.picture.width(), out.picture.height()), (width, height));
        worst = worst.min(psnr_y(&raw.picture, &out.picture));
    }
    assert!(keys[0], "{codec:?}: first frame is key");
    for &k in &forced {
        assert!(keys[k], "{codec:?}: forced frame {k} is key");
    }
    assert_eq!(
        keys.iter().filter(|&&k| k).count(),
        3,
        "{codec:?}: no other key frames: {keys:?}"
    );
    assert!(
        worst > 30.0,
        "{codec:?} {width}x{height}: PSNR {worst:.1} dB"
    );
    let stats = dec.stats();
    assert_eq!(stats.frames_decoded, 20);
    assert_eq!(stats.key_frames_decoded, 3);
    assert_eq!(stats.errors, 0);
}

#[test]
fn every_codec_round_trips_at_320x240() {
    for codec in CODECS {
        round_trip(codec, 320, 240);
    }
}

#[test]
fn every_codec_round_trips_at_640x480() {
    for codec in CODECS {
        round_trip(codec, 640, 480);
    }
}

/// A sender's congestion controller moves the target every few hundred milliseconds: each
/// codec follows it down and up again (bytes a picture, skipped pictures counted as none)
/// without a key frame (OpenH264 through `SetOption`,
/// libvpx through a configuration change), and a new frame rate is no key frame either.
#[test]
fn rate_changes_take_effect_without_a_key_frame() {
    for codec in CODECS {
        let mut c = VideoEncoderConfig::new(codec, 640, 480);
        c.bitrate_bps = 2_000_000;
        let mut enc = VideoEncoder::new(c).unwrap();
        let mut sizes = Vec::new();
        let mut keys = Vec::new();
        for t in 0..150u32 {
            match t {
                30 => enc.set_bitrate(200_000).unwrap(),
                60 => enc.set_bitrate(1_500_000).unwrap(),
                // A rate the test pattern fills at both frame rates.
                90 => enc.set_bitrate(400_000).unwrap(),
                120 => enc.set_frame_rate(15).unwrap(),
                _ => {}
            }
            let raw = RawVideoFrame {
                picture: picture(640, 480, t),
                rtp_timestamp: 3000 * t,
                capture_time: None,
            };
            enc.handle_frame(&raw, false).unwrap();
            // OpenH264 skips a picture now and then when its rate control needs to, as
            // libwebrtc lets it: a skipped picture counts as no bytes.
            let frame = enc.poll_frame();
            sizes.push(frame.as_ref().map_or(0, |f| f.data.len()));
            keys.push(frame.is_some_and(|f| f.keyframe));
        }
        assert_eq!(enc.config().bitrate_bps, 400_000);
        assert_eq!(enc.config().frame_rate, 15);
        let key_frames: Vec<usize> = (0..keys.len()).filter(|&i| keys[i]).collect();
        assert_eq!(key_frames, [0], "{codec:?}: key frames at {key_frames:?}");
        let mean = |r: std::ops::Range<usize>| {
            let n = r.len();
            sizes[r].iter().sum::<usize>() / n
        };
        let (high, low, again, full_rate, half_rate) = (
            mean(10..30),
            mean(40..60),
            mean(70..90),
            mean(100..120),
            mean(130..150),
        );
        println!(
            "{codec:?}: bytes a frame at 2 Mbit/s {high}, 200 kbit/s {low}, \
             1.5 Mbit/s {again}, 400 kbit/s {full_rate}, 400 kbit/s at 15 frame/s {half_rate}"
        );
        assert!(low * 2 < high, "{codec:?}: {high} then {low} bytes a frame");
        assert!(
            low * 2 < again,
            "{codec:?}: {low} then {again} bytes a frame"
        );
        // Half the frames for the same bitrate: each frame gets more of it.
        assert!(
            half_rate * 2 > full_rate * 3,
            "{codec:?}: {full_rate} bytes a frame at 30 frame/s, {half_rate} at 15"
        );
    }
}

#[test]
fn a_new_size_reinitialises_with_a_key_frame() {
    for codec in CODECS {
        let mut enc = VideoEncoder::new(VideoEncoderConfig::new(codec, 320, 240)).unwrap();
        let mut dec = VideoDecoder::new(codec).unwrap();
        for (t, (w, h)) in [(320, 240), (320, 240), (640, 360), (640, 360)]
            .into_iter()
            .enumerate()
        {
            let raw = RawVideoFrame {
                picture: picture(w, h, t as u32),
                rtp_timestamp: t as u32,
                capture_time: None,
            };
            enc.handle_frame(&raw, false).unwrap();
            let frame = enc.poll_frame().unwrap();
            assert_eq!(frame.keyframe, t % 2 == 0, "{codec:?} frame {t}");
            dec.handle_frame(&frame.data, frame.rtp_timestamp, None)
                .unwrap();
            let out = dec.poll_frame().unwrap();
            assert_eq!((out.picture.width(), out.picture.height()), (w, h));
        }
        assert_eq!((enc.config().width, enc.config().height), (640, 360));
    }
}

#[test]
fn garbage_is_an_error_and_counted() {
    let garbage: Vec<u8> = (0..3000u32).map(|i| (i * 7919 % 251) as u8).collect();
    for codec in CODECS {
        let mut dec = VideoDecoder::new(codec).unwrap();
        let mut errors = 0;
        for input in [&garbage[..], &garbage[..7], &[][..]] {
            match dec.handle_frame(input, 0, None) {
                Err(_) => errors += 1,
                // OpenH264 takes bytes without a start code as "nothing to decode yet".
                Ok(()) => assert!(dec.poll_frame().is_none(), "{codec:?}"),
            }
        }
        assert!(errors >= 1, "{codec:?}");
        assert_eq!(dec.stats().errors, errors);
        assert_eq!(dec.stats().frames_decoded, 0);
    }
}

#[test]
fn a_stream_joined_mid_way_gives_nothing_until_a_key_frame() {
    for codec in CODECS {
        let mut enc = VideoEncoder::new(VideoEncoderConfig::new(codec, 320, 240)).unwrap();
        let mut frames = Vec::new();
        for t in 0..6u32 {
            let raw = RawVideoFrame {
                picture: picture(320, 240, t),
                rtp_timestamp: t,
                capture_time: None,
            };
            enc.handle_frame(&raw, t == 4).unwrap();
            frames.push(enc.poll_frame().unwrap());
        }
        let mut dec = VideoDecoder::new(codec).unwrap();
        // Frames 1 to 3 need frame 0: an error or no picture, never a panic.
        for f in &frames[1..4] {
            assert!(!f.keyframe);
            if dec.handle_frame(&f.data, f.rtp_timestamp, None).is_ok() {
                assert!(
                    dec.poll_frame().is_none(),
                    "{codec:?} decoded without a key"
                );
            }
        }
        // From the key frame on, everything decodes.
        for f in &frames[4..] {
            dec.handle_frame(&f.data, f.rtp_timestamp, None).unwrap();
            assert!(dec.poll_frame().is_some(), "{codec:?}");
        }
        assert_eq!(dec.stats().frames_decoded, 2);
        assert_eq!(dec.stats().key_frames_decoded, 1);
    }
}

#[test]
fn bad_settings_are_refused() {
    for codec in CODECS {
        let mut c = VideoEncoderConfig::new(codec, 320, 240);
        c.frame_rate = 0;
        assert!(matches!(
            VideoEncoder::new(c),
            Err(CodecError::VideoConfig(_))
        ));
        let mut enc = VideoEncoder::new(VideoEncoderConfig::new(codec, 320, 240)).unwrap();
        assert!(enc.set_bitrate(5).is_err());
        assert!(enc.set_frame_rate(500).is_err());
        enc.set_frame_rate(15).unwrap();
        assert_eq!(enc.config().frame_rate, 15);
    }
}

#[test]
fn an_owner_that_never_polls_gets_backlog() {
    let mut enc = VideoEncoder::new(VideoEncoderConfig::new(VideoCodec::Vp8, 64, 48)).unwrap();
    let raw = RawVideoFrame {
        picture: picture(64, 48, 0),
        rtp_timestamp: 0,
        capture_time: None,
    };
    let mut refused = 0;
    for _ in 0..20 {
        if let Err(e) = enc.handle_frame(&raw, false) {
            assert_eq!(e, CodecError::Backlog);
            refused += 1;
        }
    }
    assert_eq!(refused, 4);
}

#[test]
fn odd_sizes_round_trip() {
    for codec in CODECS {
        let mut enc = VideoEncoder::new(VideoEncoderConfig::new(codec, 161, 121)).unwrap();
        let mut dec = VideoDecoder::new(codec).unwrap();
        for t in 0..3u32 {
            let raw = RawVideoFrame {
                picture: picture(161, 121, t),
                rtp_timestamp: t,
                capture_time: None,
            };
            enc.handle_frame(&raw, false).unwrap();
            let frame = enc.poll_frame().unwrap();
            dec.handle_frame(&frame.data, t, None).unwrap();
            let out = dec.poll_frame().unwrap();
            // OpenH264 codes even sizes only: it drops the odd column and row.
            let size = if codec == VideoCodec::H264 {
                (160, 120)
            } else {
                (161, 121)
            };
            assert_eq!((frame.width, frame.height), size, "{codec:?}");
            assert_eq!(
                (out.picture.width(), out.picture.height()),
                size,
                "{codec:?}"
            );
            if codec != VideoCodec::H264 {
                assert!(psnr_y(&raw.picture, &out.picture) > 30.0, "{codec:?}");
            }
        }
    }
}

/// The test pattern's bar code read back from each codec's decoded pictures: 60 frames at
/// 640x480, at 1 Mbit/s and at 300 kbit/s, from the first (key) frame on.
#[test]
fn the_pattern_code_survives_every_codec() {
    use rtcweb_media::video::{TestPattern, read_code};
    for codec in [VideoCodec::Vp8, VideoCodec::Vp9, VideoCodec::H264] {
        for bitrate in [1_000_000, 300_000] {
            let mut config = VideoEncoderConfig::new(codec, 640, 480);
            config.bitrate_bps = bitrate;
            let mut encoder = VideoEncoder::new(config).unwrap();
            let mut decoder = VideoDecoder::new(codec).unwrap();
            let mut pattern = TestPattern::new(640, 480).unwrap();
            let mut unread = Vec::new();
            for n in 0..60u32 {
                let frame = RawVideoFrame {
                    picture: pattern.next_frame(u64::from(n) * 33_333),
                    rtp_timestamp: n * 3000,
                    capture_time: None,
                };
                encoder.handle_frame(&frame, false).unwrap();
                while let Some(f) = encoder.poll_frame() {
                    decoder
                        .handle_frame(&f.data, f.rtp_timestamp, None)
                        .unwrap();
                }
                while let Some(p) = decoder.poll_frame() {
                    match read_code(&p.picture) {
                        Some(code) => assert_eq!(code.frame_number, n, "{codec:?}"),
                        None => unread.push(n),
                    }
                }
            }
            println!("{codec:?} at {bitrate} bit/s: frames whose code did not read: {unread:?}");
            assert!(
                unread.is_empty(),
                "{codec:?} at {bitrate} bit/s: {unread:?}"
            );
        }
    }
}
