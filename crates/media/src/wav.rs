//! WAV files (through `hound`) as audio sources and sinks: 16-bit PCM.

use std::io::{Read, Seek, Write};

use thiserror::Error;

use crate::source::{AudioSink, AudioSource};

/// A WAV file that cannot be read or written.
#[derive(Debug, Error)]
#[error("wav: {0}")]
pub struct WavError(#[from] hound::Error);

/// Reads 16-bit PCM from a WAV file.
pub struct WavSource<R: Read> {
    reader: hound::WavReader<R>,
    channels: usize,
    sample_rate: u32,
}

impl<R: Read> std::fmt::Debug for WavSource<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WavSource")
            .field("channels", &self.channels)
            .field("sample_rate", &self.sample_rate)
            .finish()
    }
}

impl<R: Read> WavSource<R> {
    /// Opens a WAV stream; it must hold 16-bit integer samples.
    pub fn new(reader: R) -> Result<Self, WavError> {
        let reader = hound::WavReader::new(reader)?;
        let spec = reader.spec();
        if spec.bits_per_sample != 16 || spec.sample_format != hound::SampleFormat::Int {
            return Err(WavError(hound::Error::Unsupported));
        }
        Ok(Self {
            channels: usize::from(spec.channels),
            sample_rate: spec.sample_rate,
            reader,
        })
    }

    /// Sample rate of the file (resampling to 48 kHz is the caller's business).
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }
}

impl<R: Read> AudioSource for WavSource<R> {
    fn channels(&self) -> usize {
        self.channels
    }

    /// Reads on until the end or the first damaged sample.
    fn fill(&mut self, pcm: &mut [i16]) -> usize {
        let mut n = 0;
        for (slot, sample) in pcm.iter_mut().zip(self.reader.samples::<i16>()) {
            match sample {
                Ok(s) => *slot = s,
                Err(_) => break,
            }
            n += 1;
        }
        n
    }
}

/// Writes 16-bit PCM to a WAV file; call [`WavSink::finish`] to write the header's sizes.
pub struct WavSink<W: Write + Seek> {
    writer: hound::WavWriter<W>,
    error: Option<hound::Error>,
}

impl<W: Write + Seek> std::fmt::Debug for WavSink<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WavSink")
            .field("spec", &self.writer.spec())
            .finish()
    }
}

impl<W: Write + Seek> WavSink<W> {
    /// A WAV stream of 16-bit samples.
    pub fn new(writer: W, sample_rate: u32, channels: u16) -> Result<Self, WavError> {
        let spec = hound::WavSpec {
            channels,
            sample_rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        Ok(Self {
            writer: hound::WavWriter::new(writer, spec)?,
            error: None,
        })
    }

    /// Completes the file; reports the first write error, if any.
    pub fn finish(self) -> Result<(), WavError> {
        if let Some(e) = self.error {
            return Err(WavError(e));
        }
        Ok(self.writer.finalize()?)
    }
}

impl<W: Write + Seek> AudioSink for WavSink<W> {
    fn write(&mut self, pcm: &[i16]) {
        if self.error.is_some() {
            return;
        }
        for &s in pcm {
            if let Err(e) = self.writer.write_sample(s) {
                self.error = Some(e);
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{self, Cursor};

    use super::*;

    fn read_all<R: Read>(source: &mut WavSource<R>, chunk: usize) -> Vec<i16> {
        let mut out = Vec::new();
        let mut pcm = vec![0i16; chunk];
        loop {
            let n = source.fill(&mut pcm);
            out.extend_from_slice(&pcm[..n]);
            if n < pcm.len() {
                return out;
            }
        }
    }

    #[test]
    fn samples_written_read_back_exactly_extremes_included() {
        for (rate, channels) in [(48_000, 1u16), (44_100, 2), (8000, 6)] {
            let written: Vec<i16> = (0..999 * usize::from(channels))
                .map(|i| (i as i32 * 7919 % 65_536 - 32_768) as i16)
                .chain([i16::MIN, i16::MAX, 0, -1].repeat(usize::from(channels)))
                .collect();
            let mut file = Cursor::new(Vec::new());
            let mut sink = WavSink::new(&mut file, rate, channels).unwrap();
            // In uneven pieces: the sink keeps no frame structure of its own.
            for piece in written.chunks(333) {
                sink.write(piece);
            }
            sink.finish().unwrap();
            // The canonical 44-byte header (hound writes WAVE_FORMAT_EXTENSIBLE, 68 bytes,
            // for more than two channels), then the samples, 16 bits each.
            let header = if channels <= 2 { 44 } else { 68 };
            assert_eq!(file.get_ref().len(), header + 2 * written.len());
            file.set_position(0);
            let mut source = WavSource::new(file).unwrap();
            assert_eq!(
                (source.channels(), source.sample_rate()),
                (usize::from(channels), rate)
            );
            // Read in pieces that do not divide the length: the last one comes short.
            assert_eq!(read_all(&mut source, 480), written);
        }
    }

    #[test]
    fn only_16_bit_integer_files_are_read() {
        for (bits, format) in [
            (8, hound::SampleFormat::Int),
            (24, hound::SampleFormat::Int),
            (32, hound::SampleFormat::Float),
        ] {
            let mut file = Cursor::new(Vec::new());
            let spec = hound::WavSpec {
                channels: 1,
                sample_rate: 48_000,
                bits_per_sample: bits,
                sample_format: format,
            };
            hound::WavWriter::new(&mut file, spec)
                .unwrap()
                .finalize()
                .unwrap();
            file.set_position(0);
            assert!(WavSource::new(file).is_err(), "{bits} bits {format:?}");
        }
        assert!(WavSource::new(Cursor::new(b"RIFF not a wav".to_vec())).is_err());
    }

    /// A file that fails once `limit` bytes are written.
    struct Full {
        file: Cursor<Vec<u8>>,
        limit: u64,
    }

    impl Write for Full {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.file.position() + buf.len() as u64 > self.limit {
                return Err(io::Error::other("disk full"));
            }
            self.file.write(buf)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Seek for Full {
        fn seek(&mut self, pos: io::SeekFrom) -> io::Result<u64> {
            self.file.seek(pos)
        }
    }

    #[test]
    fn a_write_error_is_kept_and_reported_by_finish() {
        let full = Full {
            file: Cursor::new(Vec::new()),
            limit: 44 + 100,
        };
        let mut sink = WavSink::new(full, 48_000, 1).unwrap();
        sink.write(&[1; 40]);
        assert!(sink.error.is_none());
        sink.write(&[1; 40]);
        assert!(sink.error.is_some(), "the 51st sample does not fit");
        // Later writes are ignored rather than retried.
        sink.write(&[1; 40]);
        assert!(sink.finish().is_err());
    }
}
