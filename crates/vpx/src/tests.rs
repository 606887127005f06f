use super::*;

/// A moving synthetic picture: a diagonal gradient sliding right, a bright square crossing
/// it and a fixed checkerboard corner, with chroma that drifts, so every frame differs.
struct Picture {
    width: u32,
    height: u32,
    y: Vec<u8>,
    u: Vec<u8>,
    v: Vec<u8>,
}

impl Picture {
    fn new(width: u32, height: u32, t: u32) -> Self {
        let (w, h) = (width as usize, height as usize);
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        let t = t as usize;
        let mut y = vec![0u8; w * h];
        for r in 0..h {
            for c in 0..w {
                let mut p = 16 + ((c + r + 4 * t) % 200);
                let (bx, by) = ((20 + 8 * t) % w, h / 3);
                if (bx..bx + 64).contains(&c) && (by..by + 64).contains(&r) {
                    p = 230;
                }
                if c < 64 && r < 64 && ((c / 8) + (r / 8)) % 2 == 0 {
                    p = 40;
                }
                y[r * w + c] = p as u8;
            }
        }
        let mut u = vec![0u8; cw * ch];
        let mut v = vec![0u8; cw * ch];
        for r in 0..ch {
            for c in 0..cw {
                u[r * cw + c] = (96 + (c + t) % 64) as u8;
                v[r * cw + c] = (160 - (r + t) % 64) as u8;
            }
        }
        Self {
            width,
            height,
            y,
            u,
            v,
        }
    }

    fn planes(&self) -> Planes<'_> {
        let cw = self.width.div_ceil(2) as usize;
        Planes::new(
            self.width,
            self.height,
            (&self.y, self.width as usize),
            (&self.u, cw),
            (&self.v, cw),
        )
        .unwrap()
    }
}

/// PSNR of the Y plane of a decoded picture against the original.
fn psnr(original: &Picture, decoded: &Planes<'_>) -> f64 {
    let (data, stride) = decoded.y();
    let w = original.width as usize;
    let mut sse = 0f64;
    for r in 0..original.height as usize {
        for c in 0..w {
            let d = f64::from(original.y[r * w + c]) - f64::from(data[r * stride + c]);
            sse += d * d;
        }
    }
    let mse = sse / (w * original.height as usize) as f64;
    10.0 * (255.0 * 255.0 / mse.max(1e-9)).log10()
}

struct RoundTrip {
    sizes: Vec<usize>,
    keys: Vec<bool>,
    psnr: Vec<f64>,
    qps: Vec<Option<u32>>,
}

/// Encodes `frames` pictures (key frames forced at `forced`, the bitrate switched to
/// `then_bps` at frame `switch_at`) and decodes each frame back.
fn round_trip(
    config: EncoderConfig,
    frames: u32,
    forced: &[u32],
    switch: Option<(u32, u32)>,
) -> RoundTrip {
    let mut enc = Encoder::new(config).unwrap();
    let mut dec = Decoder::new(config.codec, 1).unwrap();
    let mut out = RoundTrip {
        sizes: Vec::new(),
        keys: Vec::new(),
        psnr: Vec::new(),
        qps: Vec::new(),
    };
    for t in 0..frames {
        if let Some((at, bps)) = switch
            && at == t
        {
            enc.set_bitrate(bps).unwrap();
        }
        let pic = Picture::new(config.width, config.height, t);
        let frame = enc
            .encode(&pic.planes(), forced.contains(&t))
            .unwrap()
            .expect("every picture gives a frame");
        assert_eq!((frame.width, frame.height), (config.width, config.height));
        out.sizes.push(frame.data.len());
        out.keys.push(frame.keyframe);
        out.qps.push(frame.qp);
        dec.decode(frame.data).unwrap();
        assert_eq!(dec.keyframe(), frame.keyframe, "frame {t}");
        let decoded = dec.next_frame().unwrap().expect("a shown picture");
        assert_eq!(
            (decoded.width(), decoded.height()),
            (config.width, config.height)
        );
        out.psnr.push(psnr(&pic, &decoded));
        assert!(dec.next_frame().unwrap().is_none(), "one picture per frame");
    }
    out
}

fn keys_and_quality(codec: Codec) {
    let config = EncoderConfig::new(codec, 640, 480);
    let rt = round_trip(config, 30, &[15], None);
    assert!(rt.keys[0], "first frame is key");
    assert!(rt.keys[15], "forced key frame is key");
    assert!(
        rt.keys.iter().filter(|&&k| k).count() == 2,
        "no other key frames: {:?}",
        rt.keys
    );
    assert!(rt.qps.iter().all(|q| q.is_some_and(|q| q <= 63)));
    // 1 Mbit/s is plenty for this picture at 640x480, from the first frame on.
    let worst = rt.psnr.iter().copied().fold(f64::INFINITY, f64::min);
    assert!(worst > 30.0, "{codec:?} PSNR {worst:.1} dB: {:?}", rt.psnr);
}

#[test]
fn vp8_round_trip_keys_and_quality() {
    keys_and_quality(Codec::Vp8);
}

#[test]
fn vp9_round_trip_keys_and_quality() {
    keys_and_quality(Codec::Vp9);
}

fn bitrate_change(codec: Codec) {
    let config = EncoderConfig {
        bitrate_bps: 2_000_000,
        ..EncoderConfig::new(codec, 640, 480)
    };
    let rt = round_trip(config, 60, &[], Some((30, 200_000)));
    let high: usize = rt.sizes[10..30].iter().sum::<usize>() / 20;
    let low: usize = rt.sizes[40..60].iter().sum::<usize>() / 20;
    // 2 Mbit/s at 30 fps is about 8.3 kB a frame, 200 kbit/s about 830 bytes.
    assert!(
        low * 3 < high,
        "{codec:?}: {high} bytes a frame at 2 Mbit/s, {low} at 200 kbit/s"
    );
    assert!(low < 2500, "{codec:?}: {low} bytes a frame at 200 kbit/s");
}

#[test]
fn vp8_bitrate_change_takes_effect() {
    bitrate_change(Codec::Vp8);
}

#[test]
fn vp9_bitrate_change_takes_effect() {
    bitrate_change(Codec::Vp9);
}

#[test]
fn bitrate_set_before_the_first_frame_is_used() {
    for codec in [Codec::Vp8, Codec::Vp9] {
        let mut enc = Encoder::new(EncoderConfig::new(codec, 320, 240)).unwrap();
        enc.set_bitrate(300_000).unwrap();
        enc.set_frame_rate(15).unwrap();
        assert_eq!(enc.config().bitrate_bps, 300_000);
        assert_eq!(enc.config().frame_rate, 15);
        let frame = enc
            .encode(&Picture::new(320, 240, 0).planes(), false)
            .unwrap()
            .unwrap();
        assert!(frame.keyframe);
        assert!(enc.set_bitrate(10).is_err());
        assert!(enc.set_frame_rate(0).is_err());
    }
}

#[test]
fn a_new_size_restarts_with_a_key_frame() {
    for codec in [Codec::Vp8, Codec::Vp9] {
        let mut enc = Encoder::new(EncoderConfig::new(codec, 320, 240)).unwrap();
        let mut dec = Decoder::new(codec, 2).unwrap();
        for (t, (w, h)) in [(320, 240), (320, 240), (161, 121), (161, 121)]
            .into_iter()
            .enumerate()
        {
            let pic = Picture::new(w, h, t as u32);
            let frame = enc.encode(&pic.planes(), false).unwrap().unwrap();
            assert_eq!(frame.keyframe, t % 2 == 0, "{codec:?} frame {t}");
            assert_eq!((frame.width, frame.height), (w, h));
            dec.decode(frame.data).unwrap();
            let out = dec.next_frame().unwrap().unwrap();
            assert_eq!((out.width(), out.height()), (w, h));
            assert!(out.u().0.len() >= 81 * 60);
            assert!(psnr(&pic, &out) > 25.0);
        }
        assert_eq!(enc.config().width, 161);
    }
}

#[test]
fn garbage_and_truncated_frames_are_errors() {
    for codec in [Codec::Vp8, Codec::Vp9] {
        let mut enc = Encoder::new(EncoderConfig::new(codec, 320, 240)).unwrap();
        let key = enc
            .encode(&Picture::new(320, 240, 0).planes(), false)
            .unwrap()
            .unwrap()
            .data
            .to_vec();
        let mut dec = Decoder::new(codec, 1).unwrap();
        assert_eq!(dec.decode(&[]), Err(VpxError::Empty));
        let garbage: Vec<u8> = (0..2000u32).map(|i| (i * 7919 % 251) as u8).collect();
        assert!(matches!(dec.decode(&garbage), Err(VpxError::Codec(_))));
        assert!(dec.decode(&key[..5]).is_err(), "{codec:?} truncated header");
        // A key frame cut in half: an error, or a picture (libvpx conceals); never a panic.
        if dec.decode(&key[..key.len() / 2]).is_ok() {
            while let Ok(Some(_)) = dec.next_frame() {}
        }
        // The decoder recovers at the next whole key frame.
        dec.decode(&key).unwrap();
        assert!(dec.next_frame().unwrap().is_some());
    }
}

#[test]
fn an_inter_frame_without_its_key_frame_is_an_error() {
    for codec in [Codec::Vp8, Codec::Vp9] {
        let mut enc = Encoder::new(EncoderConfig::new(codec, 320, 240)).unwrap();
        enc.encode(&Picture::new(320, 240, 0).planes(), false)
            .unwrap();
        let delta = enc
            .encode(&Picture::new(320, 240, 1).planes(), false)
            .unwrap()
            .unwrap();
        assert!(!delta.keyframe);
        let delta = delta.data.to_vec();
        let mut dec = Decoder::new(codec, 1).unwrap();
        match dec.decode(&delta) {
            Err(_) => {}
            Ok(()) => assert!(dec.next_frame().unwrap().is_none(), "{codec:?}"),
        }
    }
}

#[test]
fn oversized_key_frames_are_refused_before_decoding() {
    // A VP8 key frame header (RFC 6386 §9.1) announcing 16383x16383.
    let mut frame = vec![0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0xff, 0x3f, 0xff, 0x3f];
    frame.extend_from_slice(&[0u8; 64]);
    let mut dec = Decoder::new(Codec::Vp8, 1).unwrap();
    assert_eq!(
        dec.decode(&frame),
        Err(VpxError::Size {
            width: 16383,
            height: 16383
        })
    );
}

#[test]
fn bad_settings_and_planes_are_refused() {
    let mut c = EncoderConfig::new(Codec::Vp8, 0, 240);
    assert!(matches!(Encoder::new(c), Err(VpxError::Size { .. })));
    c.width = 320;
    c.threads = 0;
    assert!(matches!(Encoder::new(c), Err(VpxError::Config(_))));
    assert!(Decoder::new(Codec::Vp9, 0).is_err());
    let y = vec![0u8; 100];
    assert!(matches!(
        Planes::new(10, 10, (&y, 10), (&y[..24], 5), (&y, 5)),
        Err(VpxError::Plane { plane: 1, .. })
    ));
    assert!(matches!(
        Planes::new(10, 10, (&y, 9), (&y, 5), (&y, 5)),
        Err(VpxError::Plane { plane: 0, .. })
    ));
    assert!(Planes::new(10, 10, (&y, 10), (&y[..25], 5), (&y, 5)).is_ok());
}

#[test]
fn speeds_map_to_libvpx_ranges() {
    for s in [Speed::Quality, Speed::Balanced, Speed::Fast, Speed::Fastest] {
        assert!((-16..=-4).contains(&s.cpu_used(Codec::Vp8)));
        assert!((5..=9).contains(&s.cpu_used(Codec::Vp9)));
    }
}
