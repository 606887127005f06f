//! A synthetic moving test picture whose frame number and capture time can be read back
//! from the decoded picture: colour bars, a scrolling gradient and a bouncing checkered box
//! under a bar code of big black and white blocks.
//!
//! The code sits in rows at the top of the luma plane: blocks of 16×16 pixels (8×8 or 4×4
//! on small pictures, so that it never takes more than half the height), row-major; where
//! two copies fit in half the height, a second copy fills the bottom rows, and the reader
//! takes the first copy whose CRC holds (a real-time encoder may leave a block of the last
//! picture in place). The
//! first four blocks are a start marker (white, black, white, black) that also gives the
//! reader its black and white levels; then 104 data bits, most significant first: the frame
//! number (32), the capture time in microseconds (64) and a CRC-8 (AUTOSAR) of those twelve
//! bytes. A block is read from the mean of its central half, so blur, noise and the ringing
//! of a lossy codec at block edges do not flip it; the blocks line up with the 16×16
//! macroblocks of VP8 and H.264 (and VP9's 8×8 transforms). The block size depends only on
//! the picture's size, so the reader needs nothing but the picture.

use super::{FrameError, I420Frame};

/// Luma of black and white in limited-range BT.601.
const BLACK: u8 = 16;
const WHITE: u8 = 235;
/// The start marker.
const MARKER: [bool; 4] = [true, false, true, false];
/// Data bits: frame number, capture time, CRC-8.
const DATA_BITS: usize = 32 + 64 + 8;
/// Blocks of the whole code.
const BLOCKS: usize = MARKER.len() + DATA_BITS;
const CRC8: crc::Crc<u8> = crc::Crc::<u8>::new(&crc::CRC_8_AUTOSAR);

/// What the bar code of a [`TestPattern`] picture carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PatternCode {
    /// The frame's number, from 0 for the first frame a pattern drew.
    pub frame_number: u32,
    /// The capture time the caller gave, microseconds.
    pub capture_micros: u64,
}

/// What a [`TestPattern`] frame shows around its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fill {
    /// Colour bars, a scrolling gradient and a bouncing box: a picture a codec has to work
    /// for.
    #[default]
    Pattern,
    /// All white (a flash, for lip-sync measurements).
    White,
    /// All black.
    Black,
}

/// Why a pattern cannot be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PatternError {
    /// The picture size itself is out of range.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// The code does not fit: it needs at least 8 blocks of 4 pixels per row and at most
    /// half the height (32×32 is too small, 160×120 fits with 8-pixel blocks).
    #[error("a {width}x{height} picture is too small for the code")]
    TooSmall {
        /// Width asked for.
        width: u32,
        /// Height asked for.
        height: u32,
    },
}

/// Where the code's blocks are for a picture size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Layout {
    /// Side of a block, pixels.
    side: usize,
    /// Blocks per row.
    cols: usize,
    /// Rows of blocks.
    rows: usize,
}

impl Layout {
    /// The largest blocks (16, 8 or 4 pixels) that fit at least 8 to a row and take at most
    /// half the height.
    fn for_size(width: u32, height: u32) -> Option<Self> {
        let (w, h) = (width as usize, height as usize);
        [16, 8, 4].into_iter().find_map(|side| {
            let cols = w / side;
            if cols < 8 {
                return None;
            }
            let rows = BLOCKS.div_ceil(cols);
            (rows * side <= h / 2).then_some(Self { side, cols, rows })
        })
    }

    /// Rows of pixels the code takes.
    fn height(&self) -> usize {
        self.rows * self.side
    }

    /// Top-left pixel of block `i`.
    fn origin(&self, i: usize) -> (usize, usize) {
        ((i % self.cols) * self.side, (i / self.cols) * self.side)
    }

    /// Where the copies of the code start: the top rows, and the bottom rows too when two
    /// copies fit in half the height. A real-time encoder may leave a block of the last
    /// picture in place when little of its area changed (libvpx's VP9 does, now and then):
    /// the second copy is read when the first one is damaged.
    fn copies(&self, height: usize) -> impl Iterator<Item = usize> {
        let second = (2 * self.height() <= height / 2).then(|| height - self.height());
        std::iter::once(0).chain(second)
    }
}

/// The code's bits: marker, then data with its CRC.
fn code_bits(code: PatternCode) -> [bool; BLOCKS] {
    let mut bytes = [0u8; 13];
    bytes[..4].copy_from_slice(&code.frame_number.to_be_bytes());
    bytes[4..12].copy_from_slice(&code.capture_micros.to_be_bytes());
    bytes[12] = CRC8.checksum(&bytes[..12]);
    let mut bits = [false; BLOCKS];
    bits[..MARKER.len()].copy_from_slice(&MARKER);
    for (i, bit) in bits[MARKER.len()..].iter_mut().enumerate() {
        *bit = bytes[i / 8] & (0x80 >> (i % 8)) != 0;
    }
    bits
}

/// A moving test picture of a fixed size, numbering its frames. Sans-IO: the caller gives
/// each frame's capture time.
///
/// ```
/// use rtcweb_media::video::{TestPattern, read_code};
///
/// let mut pattern = TestPattern::new(640, 480)?;
/// let picture = pattern.next_frame(33_333);
/// let code = read_code(&picture).expect("a code");
/// assert_eq!((code.frame_number, code.capture_micros), (0, 33_333));
/// # Ok::<(), rtcweb_media::video::PatternError>(())
/// ```
#[derive(Debug, Clone)]
pub struct TestPattern {
    width: u32,
    height: u32,
    /// A picture of the size, cloned for each new frame.
    blank: I420Frame,
    layout: Layout,
    frame_number: u32,
}

impl TestPattern {
    /// A pattern of `width`×`height`; an error if the size is out of range or too small for
    /// the code.
    pub fn new(width: u32, height: u32) -> Result<Self, PatternError> {
        let blank = I420Frame::black(width, height)?;
        let layout =
            Layout::for_size(width, height).ok_or(PatternError::TooSmall { width, height })?;
        Ok(Self {
            width,
            height,
            blank,
            layout,
            frame_number: 0,
        })
    }

    /// Width of the pictures.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height of the pictures.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The number the next frame will carry.
    pub fn frame_number(&self) -> u32 {
        self.frame_number
    }

    /// The next picture, captured at `capture_micros`.
    pub fn next_frame(&mut self, capture_micros: u64) -> I420Frame {
        self.next_frame_with(capture_micros, Fill::Pattern)
    }

    /// The next picture with `fill` around the code.
    pub fn next_frame_with(&mut self, capture_micros: u64, fill: Fill) -> I420Frame {
        let mut picture = self.blank.clone();
        self.draw(&mut picture, capture_micros, fill);
        picture
    }

    /// Draws the next picture into `picture` (which must have the pattern's size; another
    /// size is left untouched and `false` returned), without allocating.
    pub fn draw(&mut self, picture: &mut I420Frame, capture_micros: u64, fill: Fill) -> bool {
        if picture.width() != self.width || picture.height() != self.height {
            return false;
        }
        let n = self.frame_number;
        self.frame_number = self.frame_number.wrapping_add(1);
        let (w, h) = (self.width as usize, self.height as usize);
        let (cw, ch) = (
            picture.chroma_width() as usize,
            picture.chroma_height() as usize,
        );
        let top = self.layout.height();
        let (y, u, v) = picture.planes_mut();
        match fill {
            Fill::White | Fill::Black => {
                y.fill(if fill == Fill::White { WHITE } else { BLACK });
                u.fill(128);
                v.fill(128);
            }
            Fill::Pattern => draw_scene(n, (w, h), (cw, ch), top, y, u, v),
        }
        let side = self.layout.side;
        let bits = code_bits(PatternCode {
            frame_number: n,
            capture_micros,
        });
        for first in self.layout.copies(h) {
            // The code's rows: black background, neutral chroma.
            y[first * w..(first + top) * w].fill(BLACK);
            let chroma = (first / 2).min(ch)..(first + top).div_ceil(2).min(ch);
            u[chroma.start * cw..chroma.end * cw].fill(128);
            v[chroma.start * cw..chroma.end * cw].fill(128);
            for (i, _) in bits.iter().enumerate().filter(|(_, b)| **b) {
                let (x0, y0) = self.layout.origin(i);
                for row in first + y0..first + y0 + side {
                    y[row * w + x0..row * w + x0 + side].fill(WHITE);
                }
            }
        }
        true
    }
}

/// The moving scene under the code: colour bars, then a scrolling luma gradient with a
/// chroma ramp, and a checkered box bouncing over both.
fn draw_scene(
    n: u32,
    (w, h): (usize, usize),
    (cw, ch): (usize, usize),
    top: usize,
    y: &mut [u8],
    u: &mut [u8],
    v: &mut [u8],
) {
    // 75 % colour bars in BT.601 limited range: white, yellow, cyan, green, magenta, red,
    // blue.
    const BARS: [(u8, u8, u8); 7] = [
        (180, 128, 128),
        (162, 44, 142),
        (131, 156, 44),
        (112, 72, 58),
        (84, 184, 198),
        (65, 100, 212),
        (35, 212, 114),
    ];
    let split = top + (h - top) / 2;
    let scroll = (n as usize).wrapping_mul(4);
    // Each kind of row is computed once and copied down: the bars do not change from row to
    // row, nor the scrolling gradient.
    if top < h {
        let first = &mut y[top * w..(top + 1) * w];
        for (x, p) in first.iter_mut().enumerate() {
            *p = BARS[x * 7 / w].0;
        }
        for row in top + 1..split {
            y.copy_within(top * w..(top + 1) * w, row * w);
        }
    }
    if split < h {
        let first = &mut y[split * w..(split + 1) * w];
        for (x, p) in first.iter_mut().enumerate() {
            *p = 16 + (((x + scroll) % w) * 219 / w) as u8;
        }
        for row in split + 1..h {
            y.copy_within(split * w..(split + 1) * w, row * w);
        }
    }
    let (ctop, csplit) = (top / 2, (split / 2).min(ch));
    for row in ctop..ch {
        let line = row * cw..(row + 1) * cw;
        if row > ctop && row != csplit {
            // Same U as the row above (bars and ramp alike); V too within the bars.
            u.copy_within(line.start - cw..line.start, line.start);
            if row < csplit {
                v.copy_within(line.start - cw..line.start, line.start);
            } else {
                v[line].fill(64 + ((row - csplit) * 128 / (ch - csplit).max(1)) as u8);
            }
            continue;
        }
        let (ul, vl) = (&mut u[line.clone()], &mut v[line]);
        if row < csplit {
            for (x, (up, vp)) in ul.iter_mut().zip(vl.iter_mut()).enumerate() {
                let bar = BARS[(x * 7 / cw).min(6)];
                *up = bar.1;
                *vp = bar.2;
            }
        } else {
            for (x, up) in ul.iter_mut().enumerate() {
                *up = 64 + (x * 128 / cw) as u8;
            }
            vl.fill(64 + ((row - csplit) * 128 / (ch - csplit).max(1)) as u8);
        }
    }
    // The box: a quarter of the scene's height, bouncing at 3 px per frame across and 2 down.
    let side = ((h - top) / 4).max(2);
    let bounce = |step: usize, span: usize| {
        if span == 0 {
            return 0;
        }
        let p = step % (2 * span);
        if p < span { p } else { 2 * span - p }
    };
    let bx = bounce(3 * n as usize, w.saturating_sub(side));
    let by = top + bounce(2 * n as usize, (h - top).saturating_sub(side));
    let square = (side / 4).max(1);
    for row in by..(by + side).min(h) {
        let band = (row - by) / square;
        let line = &mut y[row * w + bx..row * w + (bx + side).min(w)];
        for (k, cell) in line.chunks_mut(square).enumerate() {
            cell.fill(if (band + k) % 2 == 0 { 40 } else { 220 });
        }
    }
}

/// Reads the code of a [`TestPattern`] picture: `None` when there is none, it is damaged
/// (a wrong CRC) or a block is too grey to call.
pub fn read_code(picture: &I420Frame) -> Option<PatternCode> {
    let layout = Layout::for_size(picture.width(), picture.height())?;
    layout
        .copies(picture.height() as usize)
        .find_map(|first| read_copy(picture, layout, first))
}

/// The copy of the code whose rows start at `first`.
fn read_copy(picture: &I420Frame, layout: Layout, first: usize) -> Option<PatternCode> {
    let w = picture.width() as usize;
    let luma = picture.y();
    let side = layout.side;
    let (inner, margin) = ((side / 2).max(1), side / 4);
    let mean = |i: usize| -> i32 {
        let (x0, y0) = layout.origin(i);
        let y0 = y0 + first;
        let mut sum = 0u32;
        for row in y0 + margin..y0 + margin + inner {
            let start = row * w + x0 + margin;
            sum += luma[start..start + inner]
                .iter()
                .map(|&p| u32::from(p))
                .sum::<u32>();
        }
        (sum / (inner * inner) as u32) as i32
    };
    // The marker: two white blocks and two black ones, clearly apart.
    let white = (mean(0) + mean(2)) / 2;
    let black = (mean(1) + mean(3)) / 2;
    let contrast = white - black;
    if contrast < 64 || (mean(0) - mean(2)).abs() > contrast / 3 {
        return None;
    }
    if (mean(1) - mean(3)).abs() > contrast / 3 {
        return None;
    }
    let threshold = (white + black) / 2;
    let mut bytes = [0u8; 13];
    for bit in 0..DATA_BITS {
        let m = mean(MARKER.len() + bit);
        if (m - threshold).abs() < contrast / 8 {
            return None;
        }
        if m > threshold {
            bytes[bit / 8] |= 0x80 >> (bit % 8);
        }
    }
    if CRC8.checksum(&bytes[..12]) != bytes[12] {
        return None;
    }
    let mut frame = [0u8; 4];
    frame.copy_from_slice(&bytes[..4]);
    let mut micros = [0u8; 8];
    micros.copy_from_slice(&bytes[4..12]);
    Some(PatternCode {
        frame_number: u32::from_be_bytes(frame),
        capture_micros: u64::from_be_bytes(micros),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::picture_has_structure;

    /// A tiny deterministic generator (xorshift) for noise and times.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    #[test]
    fn codes_read_back_exactly_across_frames_and_times() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for (w, h) in [
            (640, 480),
            (1280, 720),
            (320, 240),
            (322, 242),
            (160, 120),
            (176, 144),
        ] {
            let mut p = TestPattern::new(w, h).unwrap();
            for i in 0..40u32 {
                let micros = if i % 3 == 0 {
                    rng.next()
                } else {
                    u64::from(i) * 33_333
                };
                let pic = p.next_frame(micros);
                assert_eq!(
                    read_code(&pic),
                    Some(PatternCode {
                        frame_number: i,
                        capture_micros: micros
                    }),
                    "{w}x{h} frame {i}"
                );
            }
            // Big frame numbers and the extreme times, on every fill.
            p.frame_number = u32::MAX - 1;
            for (fill, micros) in [
                (Fill::White, u64::MAX),
                (Fill::Black, 0),
                (Fill::Pattern, 1),
            ] {
                let n = p.frame_number();
                let code = read_code(&p.next_frame_with(micros, fill)).unwrap();
                assert_eq!((code.frame_number, code.capture_micros), (n, micros));
            }
            assert_eq!(p.frame_number(), 1, "wraps");
        }
    }

    #[test]
    fn the_picture_moves_and_has_structure() {
        let mut p = TestPattern::new(640, 480).unwrap();
        let a = p.next_frame(0);
        let b = p.next_frame(33_333);
        assert!(picture_has_structure(&a) && picture_has_structure(&b));
        let changed = a.y().iter().zip(b.y()).filter(|(x, y)| x != y).count();
        // More than the code changed: the box and the gradient moved.
        assert!(changed > 640 * 480 / 10, "{changed} samples changed");
        let white = p.next_frame_with(66_666, Fill::White);
        let top = Layout::for_size(640, 480).unwrap().height();
        // White between the two copies of the code.
        assert!(
            white.y()[top * 640..(480 - top) * 640]
                .iter()
                .all(|&s| s == WHITE)
        );
    }

    #[test]
    fn a_flipped_block_is_caught_by_the_crc_and_the_other_copy_is_read() {
        let mut p = TestPattern::new(640, 480).unwrap();
        let pic = p.next_frame(123_456_789);
        let code = read_code(&pic).unwrap();
        let layout = Layout::for_size(640, 480).unwrap();
        let bottom = 480 - layout.height();
        let flip = |picture: &mut I420Frame, block: usize, first: usize| {
            let (x0, y0) = layout.origin(block);
            let y0 = y0 + first;
            let (y, _, _) = picture.planes_mut();
            let old = y[y0 * 640 + x0];
            let flipped = if old == WHITE { BLACK } else { WHITE };
            for row in y0..y0 + 16 {
                y[row * 640 + x0..row * 640 + x0 + 16].fill(flipped);
            }
        };
        for block in MARKER.len()..BLOCKS {
            // One copy damaged: the other one reads.
            let mut bad = pic.clone();
            flip(&mut bad, block, 0);
            assert_eq!(read_code(&bad), Some(code), "block {block} of the top copy");
            // Both damaged: the CRC catches it.
            flip(
                &mut bad,
                (block + 7) % (BLOCKS - MARKER.len()) + MARKER.len(),
                bottom,
            );
            assert_eq!(read_code(&bad), None, "block {block}");
        }
        // A picture with the bottom copy cut away still reads.
        let mut cut = pic.clone();
        cut.planes_mut().0[bottom * 640..].fill(BLACK);
        assert_eq!(read_code(&cut), Some(code));
        // A grey block (in both copies) cannot be called either way.
        let mut grey = pic.clone();
        let (x0, y0) = layout.origin(10);
        let (y, _, _) = grey.planes_mut();
        for first in [0, bottom] {
            for row in first + y0..first + y0 + 16 {
                y[row * 640 + x0..row * 640 + x0 + 16].fill(125);
            }
        }
        assert_eq!(read_code(&grey), None);
    }

    #[test]
    fn pictures_without_a_code_read_none() {
        for (w, h) in [(640, 480), (160, 120), (1, 1), (31, 17)] {
            let black = I420Frame::black(w, h).unwrap();
            assert_eq!(read_code(&black), None);
            let mut white = black.clone();
            white.planes_mut().0.fill(235);
            assert_eq!(read_code(&white), None);
        }
        // Noise everywhere.
        let mut rng = Rng(7);
        let mut noisy = I420Frame::black(320, 240).unwrap();
        noisy
            .planes_mut()
            .0
            .iter_mut()
            .for_each(|s| *s = rng.next() as u8);
        assert_eq!(read_code(&noisy), None);
    }

    #[test]
    fn blur_and_noise_do_not_change_the_code() {
        let mut rng = Rng(42);
        for (w, h) in [(640, 480), (322, 242), (160, 120)] {
            let mut p = TestPattern::new(w, h).unwrap();
            let micros = 987_654_321_012;
            let pic = p.next_frame(micros);
            let (wu, hu) = (w as usize, h as usize);
            // A 5×5 box blur.
            let src = pic.y().to_vec();
            let mut blurred = pic.clone();
            let (y, _, _) = blurred.planes_mut();
            for row in 0..hu {
                for x in 0..wu {
                    let mut sum = 0u32;
                    let mut n = 0u32;
                    for r in row.saturating_sub(2)..(row + 3).min(hu) {
                        for c in x.saturating_sub(2)..(x + 3).min(wu) {
                            sum += u32::from(src[r * wu + c]);
                            n += 1;
                        }
                    }
                    y[row * wu + x] = (sum / n) as u8;
                }
            }
            assert_eq!(read_code(&blurred).map(|c| c.capture_micros), Some(micros));
            // ±20 on every luma sample.
            let mut noisy = pic.clone();
            let (y, _, _) = noisy.planes_mut();
            for s in y.iter_mut() {
                let d = (rng.next() % 41) as i32 - 20;
                *s = (i32::from(*s) + d).clamp(0, 255) as u8;
            }
            assert_eq!(read_code(&noisy).map(|c| c.capture_micros), Some(micros));
        }
    }

    #[test]
    fn sizes_choose_the_block_or_refuse() {
        assert_eq!(Layout::for_size(640, 480).unwrap().side, 16);
        assert_eq!(Layout::for_size(322, 242).unwrap().side, 16);
        assert_eq!(Layout::for_size(160, 120).unwrap().side, 8);
        assert_eq!(Layout::for_size(64, 64).unwrap().side, 4);
        assert!(matches!(
            TestPattern::new(32, 32),
            Err(PatternError::TooSmall { .. })
        ));
        assert!(matches!(
            TestPattern::new(0, 32),
            Err(PatternError::Frame(_))
        ));
        assert!(matches!(
            TestPattern::new(9000, 32),
            Err(PatternError::Frame(_))
        ));
        // A picture of another size is not drawn into.
        let mut p = TestPattern::new(160, 120).unwrap();
        let mut other = I420Frame::black(320, 240).unwrap();
        assert!(!p.draw(&mut other, 0, Fill::Pattern));
        assert_eq!(p.frame_number(), 0);
    }
}
