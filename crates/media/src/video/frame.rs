//! Raw video: an I420 picture (planar 4:2:0, the format every codec here takes and gives)
//! and the metadata that travels with it.

use std::time::{Duration, Instant};

/// One I420 picture: a full-resolution Y plane, then U and V planes of half the width and
/// height (rounded up), each tightly packed (stride = plane width) in one buffer.
#[derive(Clone, PartialEq, Eq)]
pub struct I420Frame {
    width: u32,
    height: u32,
    data: Vec<u8>,
}

impl std::fmt::Debug for I420Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("I420Frame")
            .field("width", &self.width)
            .field("height", &self.height)
            .finish_non_exhaustive()
    }
}

/// Largest side accepted (the limit libvpx and OpenH264 share for a level 6.2 picture, and
/// what keeps one frame's buffer bounded).
pub const MAX_SIDE: u32 = 8192;

/// Why a picture cannot be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// A side is 0 or above [`MAX_SIDE`].
    #[error("picture size {width}x{height} out of range")]
    Size {
        /// Width asked for.
        width: u32,
        /// Height asked for.
        height: u32,
    },
    /// A plane does not have the length the size needs.
    #[error("plane of {got} bytes, {needed} needed")]
    Plane {
        /// Bytes needed.
        needed: usize,
        /// Bytes given.
        got: usize,
    },
}

impl I420Frame {
    /// A black picture (Y 16, U and V 128: black in limited-range BT.601, as cameras give).
    pub fn black(width: u32, height: u32) -> Result<Self, FrameError> {
        let (y, c) = Self::plane_sizes(width, height)?;
        let mut data = vec![16u8; y + 2 * c];
        data[y..].fill(128);
        Ok(Self {
            width,
            height,
            data,
        })
    }

    /// A picture from its three planes, each with its own stride (bytes per row, at least
    /// the plane's width), as decoders and converters hand them out.
    pub fn from_planes(
        width: u32,
        height: u32,
        (y, y_stride): (&[u8], usize),
        (u, u_stride): (&[u8], usize),
        (v, v_stride): (&[u8], usize),
    ) -> Result<Self, FrameError> {
        let (y_len, c_len) = Self::plane_sizes(width, height)?;
        let mut data = Vec::with_capacity(y_len + 2 * c_len);
        let (w, h) = (width as usize, height as usize);
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        for (plane, stride, pw, ph) in [
            (y, y_stride, w, h),
            (u, u_stride, cw, ch),
            (v, v_stride, cw, ch),
        ] {
            let needed = stride.max(pw) * (ph - 1) + pw;
            if stride < pw || plane.len() < needed {
                return Err(FrameError::Plane {
                    needed,
                    got: plane.len(),
                });
            }
            for row in 0..ph {
                data.extend_from_slice(&plane[row * stride..row * stride + pw]);
            }
        }
        Ok(Self {
            width,
            height,
            data,
        })
    }

    /// A picture from one tightly packed I420 buffer (Y, then U, then V), as a Y4M file
    /// holds it.
    pub fn from_bytes(width: u32, height: u32, data: Vec<u8>) -> Result<Self, FrameError> {
        let (y, c) = Self::plane_sizes(width, height)?;
        if data.len() != y + 2 * c {
            return Err(FrameError::Plane {
                needed: y + 2 * c,
                got: data.len(),
            });
        }
        Ok(Self {
            width,
            height,
            data,
        })
    }

    /// Bytes of the Y plane and of each chroma plane for a size.
    fn plane_sizes(width: u32, height: u32) -> Result<(usize, usize), FrameError> {
        if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
            return Err(FrameError::Size { width, height });
        }
        let (w, h) = (width as usize, height as usize);
        Ok((w * h, w.div_ceil(2) * h.div_ceil(2)))
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Width of the U and V planes.
    pub fn chroma_width(&self) -> u32 {
        self.width.div_ceil(2)
    }

    /// Height of the U and V planes.
    pub fn chroma_height(&self) -> u32 {
        self.height.div_ceil(2)
    }

    fn split(&self) -> (usize, usize) {
        let y = self.width as usize * self.height as usize;
        let c = self.chroma_width() as usize * self.chroma_height() as usize;
        (y, c)
    }

    /// The Y plane (stride = width).
    pub fn y(&self) -> &[u8] {
        &self.data[..self.split().0]
    }

    /// The U plane (stride = chroma width).
    pub fn u(&self) -> &[u8] {
        let (y, c) = self.split();
        &self.data[y..y + c]
    }

    /// The V plane (stride = chroma width).
    pub fn v(&self) -> &[u8] {
        let (y, c) = self.split();
        &self.data[y + c..]
    }

    /// The three planes, to draw into.
    pub fn planes_mut(&mut self) -> (&mut [u8], &mut [u8], &mut [u8]) {
        let (y, c) = self.split();
        let (luma, chroma) = self.data.split_at_mut(y);
        let (u, v) = chroma.split_at_mut(c);
        (luma, u, v)
    }

    /// The whole buffer: Y, U, V, tightly packed.
    pub fn as_bytes(&self) -> &[u8] {
        &self.data
    }
}

/// A picture to encode, with its timing.
#[derive(Debug, Clone)]
pub struct RawVideoFrame {
    /// The picture.
    pub picture: I420Frame,
    /// Its RTP timestamp (90 kHz clock, RFC 7741 §4.1 and every video payload format).
    pub rtp_timestamp: u32,
    /// When it was captured, for sender reports and latency figures.
    pub capture_time: Option<Instant>,
}

/// A decoded picture handed to the application.
#[derive(Debug, Clone)]
pub struct DecodedVideoFrame {
    /// The picture.
    pub picture: I420Frame,
    /// The RTP timestamp of the frame it was decoded from.
    pub rtp_timestamp: u32,
    /// The sender's wall-clock capture time since the Unix epoch, once a sender report
    /// mapped RTP time to NTP time (RFC 3550 §6.4.1).
    pub sender_time: Option<Duration>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planes_of_an_odd_size_round_up() {
        let mut f = I420Frame::black(5, 3).unwrap();
        assert_eq!((f.chroma_width(), f.chroma_height()), (3, 2));
        assert_eq!((f.y().len(), f.u().len(), f.v().len()), (15, 6, 6));
        let (y, u, _) = f.planes_mut();
        y[0] = 235;
        u[5] = 7;
        assert_eq!(f.y()[0], 235);
        assert_eq!(f.u()[5], 7);
        assert!(f.v().iter().all(|&b| b == 128));
    }

    #[test]
    fn strided_planes_are_packed() {
        // A 2x2 picture whose rows sit in 4-byte strides.
        let y = [1, 2, 0, 0, 3, 4, 0, 0];
        let f = I420Frame::from_planes(2, 2, (&y, 4), (&[5], 1), (&[6], 1)).unwrap();
        assert_eq!(f.as_bytes(), &[1, 2, 3, 4, 5, 6]);
        assert!(matches!(
            I420Frame::from_planes(2, 2, (&y[..5], 4), (&[5], 1), (&[6], 1)),
            Err(FrameError::Plane { .. })
        ));
    }

    #[test]
    fn sizes_are_bounded() {
        assert!(I420Frame::black(0, 10).is_err());
        assert!(I420Frame::black(MAX_SIDE + 1, 10).is_err());
        assert!(I420Frame::from_bytes(2, 2, vec![0; 5]).is_err());
        assert!(I420Frame::from_bytes(2, 2, vec![0; 6]).is_ok());
    }
}
