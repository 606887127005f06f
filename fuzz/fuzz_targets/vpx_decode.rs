//! The VP8 and VP9 decoders of rtcweb-vpx fed arbitrary frames: either raw bytes split into
//! length-prefixed frames, or a real encoded stream (key frame and deltas, made once) with
//! bytes flipped, frames cut short, dropped or repeated. No panic, no crash in libvpx, and
//! every picture handed out is 8-bit I420 within the size limit with planes as long as its
//! strides say.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rtcweb_vpx::{Codec, Decoder, Encoder, EncoderConfig, MAX_SIDE, Planes};

/// Four frames of a small moving picture per codec: a key frame, then deltas.
fn seeds(codec: Codec) -> &'static [Vec<u8>] {
    static VP8: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    static VP9: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    let cell = if codec == Codec::Vp8 { &VP8 } else { &VP9 };
    cell.get_or_init(|| {
        let (w, h) = (64u32, 48u32);
        let mut enc = Encoder::new(EncoderConfig::new(codec, w, h)).unwrap();
        (0..4u8)
            .map(|t| {
                let y: Vec<u8> = (0..64 * 48)
                    .map(|i| (i as u8).wrapping_add(t * 9))
                    .collect();
                let c = vec![128u8 ^ t; 32 * 24];
                let p = Planes::new(w, h, (&y, 64), (&c, 32), (&c, 32)).unwrap();
                enc.encode(&p, false).unwrap().unwrap().data.to_vec()
            })
            .collect()
    })
}

fn check(p: &Planes<'_>) {
    assert!(p.width() <= MAX_SIDE && p.height() <= MAX_SIDE);
    let (w, h) = (p.width() as usize, p.height() as usize);
    for (i, (data, stride)) in [p.y(), p.u(), p.v()].into_iter().enumerate() {
        let (pw, ph) = if i == 0 {
            (w, h)
        } else {
            (w.div_ceil(2), h.div_ceil(2))
        };
        assert!(stride >= pw && data.len() >= stride * (ph - 1) + pw);
        // Touch the last byte the view promises.
        std::hint::black_box(data[stride * (ph - 1) + pw - 1]);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let codec = if mode & 1 == 0 {
        Codec::Vp8
    } else {
        Codec::Vp9
    };
    let mut decoder = Decoder::new(codec, 1 + u32::from(mode >> 1 & 1)).unwrap();
    let mut frames: Vec<Vec<u8>> = Vec::new();
    if mode & 4 == 0 {
        // Raw frames, each after a 2-byte little-endian length.
        let mut rest = rest;
        while rest.len() >= 2 && frames.len() < 32 {
            let len = usize::from(u16::from_le_bytes([rest[0], rest[1]])).min(rest.len() - 2);
            frames.push(rest[2..2 + len].to_vec());
            rest = &rest[2 + len..];
        }
    } else {
        // The real stream, edited: each 4 bytes pick a frame, an offset and a change.
        let seeds = seeds(codec);
        frames = seeds.to_vec();
        for edit in rest.chunks_exact(4).take(64) {
            let f = usize::from(edit[0]) % frames.len();
            let frame = &mut frames[f];
            let at = usize::from(u16::from_le_bytes([edit[1], edit[2]]));
            match edit[0] >> 6 {
                0 | 1 if !frame.is_empty() => {
                    let i = at % frame.len();
                    frame[i] ^= edit[3];
                }
                2 => frame.truncate(at % (frame.len() + 1)),
                _ => {
                    let copy = seeds[usize::from(edit[3]) % seeds.len()].clone();
                    frames.insert(f, copy);
                    frames.truncate(16);
                }
            }
        }
    }
    for frame in &frames {
        if decoder.decode(frame).is_ok() {
            let mut pictures = 0;
            loop {
                match decoder.next_frame() {
                    Ok(Some(p)) => check(&p),
                    Ok(None) | Err(_) => break,
                }
                pictures += 1;
                assert!(pictures <= 8, "pictures out of one frame");
            }
        }
    }
});
