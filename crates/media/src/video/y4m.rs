//! YUV4MPEG2 (`.y4m`) files as video sources and sinks, through the `y4m` crate: the raw
//! format of test sequences, `ffmpeg -f yuv4mpegpipe` and the browsers' fake capture
//! (`--use-file-for-fake-video-capture`).

use std::cell::Cell;
use std::io::{Cursor, Read, Write};
use std::rc::Rc;

use super::{I420Frame, MAX_SIDE};

/// Longest header line read before giving up (the `y4m` crate's own limit is 1 KiB).
const MAX_HEADER: usize = 1024;

/// Why a Y4M file cannot be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Y4mError {
    /// Reading or writing failed.
    #[error("y4m i/o: {0}")]
    Io(#[from] std::io::Error),
    /// Not a well-formed YUV4MPEG2 stream.
    #[error("not a y4m stream: {0}")]
    Format(String),
    /// A colour space other than 8-bit 4:2:0.
    #[error("y4m colour space {0} is not 8-bit 4:2:0")]
    Colorspace(String),
    /// A picture size of 0 or above [`MAX_SIDE`], or not the sink's size.
    #[error("picture size {width}x{height} refused")]
    Size {
        /// Width.
        width: u64,
        /// Height.
        height: u64,
    },
    /// A frame rate with a zero numerator or denominator.
    #[error("frame rate {0}:{1} refused")]
    FrameRate(u64, u64),
    /// The stream ends inside a frame.
    #[error("y4m stream cut inside frame {0}")]
    Truncated(u64),
}

impl From<::y4m::Error> for Y4mError {
    fn from(e: ::y4m::Error) -> Self {
        match e {
            ::y4m::Error::IoError(io) => Self::Io(io),
            ::y4m::Error::UnknownColorspace => Self::Colorspace("(unknown)".into()),
            other => Self::Format(other.to_string()),
        }
    }
}

/// A reader that counts the bytes it gave, so a cut inside a frame can be told from the end
/// of the stream (the `y4m` crate reports both as end of file).
struct Counting<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// Reads 8-bit 4:2:0 pictures from a Y4M stream, with the header's frame rate.
///
/// ```
/// use rtcweb_media::video::{I420Frame, Y4mSink, Y4mSource};
///
/// let mut file = Vec::new();
/// let mut sink = Y4mSink::new(&mut file, 32, 16, (30, 1))?;
/// sink.write_frame(&I420Frame::black(32, 16)?)?;
/// let mut source = Y4mSource::new(file.as_slice())?;
/// assert_eq!(source.frame_rate(), (30, 1));
/// assert_eq!(source.read_frame()?, Some(I420Frame::black(32, 16)?));
/// assert_eq!(source.read_frame()?, None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Y4mSource<R: Read> {
    decoder: ::y4m::Decoder<Counting<std::io::Chain<Cursor<Vec<u8>>, R>>>,
    count: Rc<Cell<u64>>,
    /// Bytes consumed when the last whole frame ended.
    frame_end: u64,
    frames: u64,
    width: u32,
    height: u32,
    frame_rate: (u32, u32),
    ended: bool,
}

impl<R: Read> std::fmt::Debug for Y4mSource<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Y4mSource")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("frame_rate", &self.frame_rate)
            .field("frames", &self.frames)
            .finish_non_exhaustive()
    }
}

/// Reads the header line (bounded) and refuses sizes above [`MAX_SIDE`] before the `y4m`
/// crate multiplies them.
fn read_header<R: Read>(reader: &mut R) -> Result<Vec<u8>, Y4mError> {
    let mut header = Vec::with_capacity(64);
    let mut byte = [0u8; 1];
    loop {
        if reader.read(&mut byte)? == 0 {
            return Err(Y4mError::Format("no header".into()));
        }
        header.push(byte[0]);
        if byte[0] == b'\n' {
            break;
        }
        if header.len() >= MAX_HEADER {
            return Err(Y4mError::Format("header too long".into()));
        }
    }
    let number =
        |field: &[u8]| -> Option<u64> { std::str::from_utf8(field).ok()?.trim().parse().ok() };
    let (mut width, mut height) = (None, None);
    for field in header.split(|&b| b == b' ' || b == b'\n').skip(1) {
        match field.first() {
            Some(b'W') => width = Some(number(&field[1..]).unwrap_or(0)),
            Some(b'H') => height = Some(number(&field[1..]).unwrap_or(0)),
            _ => {}
        }
    }
    let (width, height) = (width.unwrap_or(0), height.unwrap_or(0));
    let max = u64::from(MAX_SIDE);
    if width == 0 || height == 0 || width > max || height > max {
        return Err(Y4mError::Size { width, height });
    }
    Ok(header)
}

impl<R: Read> Y4mSource<R> {
    /// Reads the stream's header; refuses colour spaces other than 8-bit 4:2:0 and sizes
    /// above [`MAX_SIDE`].
    pub fn new(mut reader: R) -> Result<Self, Y4mError> {
        let header = read_header(&mut reader)?;
        let count = Rc::new(Cell::new(0));
        let limits = ::y4m::Limits {
            bytes: (MAX_SIDE as usize).pow(2) * 3 / 2,
        };
        let decoder = ::y4m::Decoder::new_with_limits(
            Counting {
                inner: Cursor::new(header).chain(reader),
                count: Rc::clone(&count),
            },
            limits,
        )?;
        match decoder.get_colorspace() {
            ::y4m::Colorspace::C420
            | ::y4m::Colorspace::C420jpeg
            | ::y4m::Colorspace::C420paldv
            | ::y4m::Colorspace::C420mpeg2 => {}
            other => return Err(Y4mError::Colorspace(format!("{other:?}"))),
        }
        let (width, height) = (decoder.get_width(), decoder.get_height());
        let size_error = || Y4mError::Size {
            width: width as u64,
            height: height as u64,
        };
        let width = u32::try_from(width).map_err(|_| size_error())?;
        let height = u32::try_from(height).map_err(|_| size_error())?;
        let rate = decoder.get_framerate();
        let frame_rate = match (u32::try_from(rate.num), u32::try_from(rate.den)) {
            (Ok(num), Ok(den)) if num > 0 && den > 0 => (num, den),
            _ => return Err(Y4mError::FrameRate(rate.num as u64, rate.den as u64)),
        };
        let frame_end = count.get();
        Ok(Self {
            decoder,
            count,
            frame_end,
            frames: 0,
            width,
            height,
            frame_rate,
            ended: false,
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

    /// Frames per second as the header gives it: (numerator, denominator).
    pub fn frame_rate(&self) -> (u32, u32) {
        self.frame_rate
    }

    /// The time between frames.
    pub fn frame_duration(&self) -> std::time::Duration {
        let (num, den) = self.frame_rate;
        std::time::Duration::from_nanos(u64::from(den) * 1_000_000_000 / u64::from(num))
    }

    /// Frames read so far.
    pub fn frames_read(&self) -> u64 {
        self.frames
    }

    /// The next picture; `None` at the end of the stream; [`Y4mError::Truncated`] when it
    /// ends inside a frame (and `None` after that).
    pub fn read_frame(&mut self) -> Result<Option<I420Frame>, Y4mError> {
        if self.ended {
            return Ok(None);
        }
        let result = self.decoder.read_frame().map(|frame| {
            let mut data =
                Vec::with_capacity(frame.get_y_plane().len() + 2 * frame.get_u_plane().len());
            data.extend_from_slice(frame.get_y_plane());
            data.extend_from_slice(frame.get_u_plane());
            data.extend_from_slice(frame.get_v_plane());
            data
        });
        match result {
            Ok(data) => {
                self.frame_end = self.count.get();
                self.frames += 1;
                I420Frame::from_bytes(self.width, self.height, data)
                    .map(Some)
                    .map_err(|_| Y4mError::Size {
                        width: u64::from(self.width),
                        height: u64::from(self.height),
                    })
            }
            Err(::y4m::Error::EOF) => {
                self.ended = true;
                if self.count.get() == self.frame_end {
                    Ok(None)
                } else {
                    Err(Y4mError::Truncated(self.frames))
                }
            }
            Err(e) => {
                self.ended = true;
                Err(e.into())
            }
        }
    }
}

/// Writes pictures of one size to a Y4M stream (`C420jpeg`, the colour space every tool
/// reads as 8-bit 4:2:0).
pub struct Y4mSink<W: Write> {
    encoder: ::y4m::Encoder<W>,
    width: u32,
    height: u32,
}

impl<W: Write> std::fmt::Debug for Y4mSink<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Y4mSink")
            .field("width", &self.width)
            .field("height", &self.height)
            .finish_non_exhaustive()
    }
}

impl<W: Write> Y4mSink<W> {
    /// Writes the header for `width`×`height` pictures at `frame_rate` (numerator,
    /// denominator) frames per second.
    pub fn new(
        writer: W,
        width: u32,
        height: u32,
        frame_rate: (u32, u32),
    ) -> Result<Self, Y4mError> {
        if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
            return Err(Y4mError::Size {
                width: width.into(),
                height: height.into(),
            });
        }
        if frame_rate.0 == 0 || frame_rate.1 == 0 {
            return Err(Y4mError::FrameRate(
                frame_rate.0.into(),
                frame_rate.1.into(),
            ));
        }
        let encoder = ::y4m::encode(
            width as usize,
            height as usize,
            ::y4m::Ratio::new(frame_rate.0 as usize, frame_rate.1 as usize),
        )
        .with_colorspace(::y4m::Colorspace::C420jpeg)
        .write_header(writer)?;
        Ok(Self {
            encoder,
            width,
            height,
        })
    }

    /// Appends a picture; it must have the sink's size.
    pub fn write_frame(&mut self, picture: &I420Frame) -> Result<(), Y4mError> {
        if (picture.width(), picture.height()) != (self.width, self.height) {
            return Err(Y4mError::Size {
                width: picture.width().into(),
                height: picture.height().into(),
            });
        }
        let frame = ::y4m::Frame::new([picture.y(), picture.u(), picture.v()], None);
        Ok(self.encoder.write_frame(&frame)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::video::{TestPattern, read_code};

    fn pattern_file(width: u32, height: u32, n: u32) -> (Vec<u8>, Vec<I420Frame>) {
        let mut pattern = TestPattern::new(width, height).unwrap();
        let frames: Vec<I420Frame> = (0..n)
            .map(|i| pattern.next_frame(u64::from(i) * 33_333))
            .collect();
        let mut file = Vec::new();
        let mut sink = Y4mSink::new(&mut file, width, height, (30_000, 1001)).unwrap();
        for f in &frames {
            sink.write_frame(f).unwrap();
        }
        (file, frames)
    }

    #[test]
    fn pattern_frames_come_back_bit_exact_with_their_codes() {
        for (w, h) in [(320, 240), (322, 242)] {
            let (file, frames) = pattern_file(w, h, 12);
            let mut source = Y4mSource::new(file.as_slice()).unwrap();
            assert_eq!((source.width(), source.height()), (w, h));
            assert_eq!(source.frame_rate(), (30_000, 1001));
            assert_eq!(source.frame_duration().as_micros(), 33_366);
            for (i, expected) in frames.iter().enumerate() {
                let got = source.read_frame().unwrap().unwrap();
                assert_eq!(&got, expected, "frame {i}");
                let code = read_code(&got).unwrap();
                assert_eq!(code.frame_number, i as u32);
                assert_eq!(code.capture_micros, i as u64 * 33_333);
            }
            assert!(source.read_frame().unwrap().is_none());
            assert!(source.read_frame().unwrap().is_none());
            assert_eq!(source.frames_read(), 12);
        }
    }

    #[test]
    fn a_cut_file_gives_the_frames_before_the_cut_then_an_error() {
        let (file, frames) = pattern_file(160, 120, 5);
        let frame_len = 6 + 160 * 120 * 3 / 2;
        let header_len = file.len() - 5 * frame_len;
        for cut in [
            header_len + 2 * frame_len + 3,    // inside the third frame's tag
            header_len + 2 * frame_len + 1000, // inside its planes
        ] {
            let mut source = Y4mSource::new(&file[..cut]).unwrap();
            assert_eq!(source.read_frame().unwrap().as_ref(), Some(&frames[0]));
            assert_eq!(source.read_frame().unwrap().as_ref(), Some(&frames[1]));
            assert!(matches!(source.read_frame(), Err(Y4mError::Truncated(2))));
            assert!(source.read_frame().unwrap().is_none());
        }
        // Cut exactly between frames: a clean end.
        let mut source = Y4mSource::new(&file[..header_len + 2 * frame_len]).unwrap();
        let mut n = 0;
        while source.read_frame().unwrap().is_some() {
            n += 1;
        }
        assert_eq!(n, 2);
        // Every cut inside the header is an error, never a panic.
        for cut in 0..header_len {
            assert!(Y4mSource::new(&file[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn other_colour_spaces_and_sizes_are_refused() {
        for header in [
            "YUV4MPEG2 W16 H16 F30:1 C444\n",
            "YUV4MPEG2 W16 H16 F30:1 C420p10\n",
            "YUV4MPEG2 W16 H16 F30:1 Cmono\n",
        ] {
            let mut file = header.as_bytes().to_vec();
            file.extend_from_slice(b"FRAME\n");
            file.resize(file.len() + 16 * 16 * 3, 0);
            assert!(
                matches!(
                    Y4mSource::new(file.as_slice()),
                    Err(Y4mError::Colorspace(_))
                ),
                "{header}"
            );
        }
        for header in [
            "YUV4MPEG2 W99999999999999999999 H16 F30:1\n",
            "YUV4MPEG2 W4294967296 H4294967296 F30:1\n",
            "YUV4MPEG2 W8193 H16 F30:1\n",
            "YUV4MPEG2 W0 H16\n",
            "YUV4MPEG2 H16\n",
        ] {
            assert!(
                matches!(
                    Y4mSource::new(header.as_bytes()),
                    Err(Y4mError::Size { .. })
                ),
                "{header}"
            );
        }
        assert!(matches!(
            Y4mSource::new("YUV4MPEG2 W16 H16 F30:0\n".as_bytes()),
            Err(Y4mError::FrameRate(30, 0))
        ));
        assert!(matches!(
            Y4mSource::new("RIFF W16 H16\n".as_bytes()),
            Err(Y4mError::Format(_))
        ));
        // The sink refuses a picture of another size.
        let mut out = Vec::new();
        let mut sink = Y4mSink::new(&mut out, 16, 16, (30, 1)).unwrap();
        assert!(matches!(
            sink.write_frame(&I420Frame::black(8, 8).unwrap()),
            Err(Y4mError::Size { .. })
        ));
        assert!(Y4mSink::new(Vec::new(), 16, 16, (0, 1)).is_err());
        assert!(Y4mSink::new(Vec::new(), 0, 16, (30, 1)).is_err());
    }
}
