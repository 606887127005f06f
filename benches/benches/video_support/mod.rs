//! What the video benchmarks share: a moving camera-like picture sequence.

/// `n` packed I420 pictures of `width` x `height`: a gradient sliding right, a bright
/// square crossing it and a little sensor noise, so every frame differs like a camera's.
pub(crate) fn sequence(width: u32, height: u32, n: u32) -> Vec<Vec<u8>> {
    let (w, h) = (width as usize, height as usize);
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let mut seed = 0x2545_f491_u32;
    (0..n as usize)
        .map(|t| {
            let mut data = vec![0u8; w * h + 2 * cw * ch];
            let (y, chroma) = data.split_at_mut(w * h);
            for r in 0..h {
                for c in 0..w {
                    seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    let noise = (seed >> 29) as usize; // 0..8
                    let mut p = 16 + (c + r + 4 * t) % 200 + noise;
                    let bx = (20 + 8 * t) % w;
                    if (bx..bx + w / 8).contains(&c) && (h / 3..h / 3 + h / 6).contains(&r) {
                        p = 230;
                    }
                    y[r * w + c] = p as u8;
                }
            }
            let (u, v) = chroma.split_at_mut(cw * ch);
            for r in 0..ch {
                for c in 0..cw {
                    u[r * cw + c] = (96 + (c + t) % 64) as u8;
                    v[r * cw + c] = (160 - (r + t) % 64) as u8;
                }
            }
            data
        })
        .collect()
}
