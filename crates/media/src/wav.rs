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
