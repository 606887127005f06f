//! The `aec3` crate (a Rust port of libwebrtc's AEC3, with its high-pass filter and noise
//! suppressor), issue 18's second baseline, through the crate's `linear` pipeline:
//! high-pass filter, AEC3, noise suppression and its full-band post-filter, with its gain
//! controller off (as ours runs in the scenarios).

use aec3::nodes::audio::AudioFormat;
use aec3::pipelines::linear::{self, LinearPipeline};

/// `aec3`'s pipeline on 10 ms mono frames of 16-bit PCM.
pub struct Aec3Baseline {
    pipeline: LinearPipeline,
    render: Vec<f32>,
    capture: Vec<f32>,
    output: Vec<f32>,
}

impl std::fmt::Debug for Aec3Baseline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Aec3Baseline")
            .field("frame", &self.render.len())
            .finish_non_exhaustive()
    }
}

impl Aec3Baseline {
    /// A pipeline for mono at `rate` Hz; `None` if `aec3` refuses it.
    pub fn new(rate: u32) -> Option<Self> {
        let format = AudioFormat::ten_ms(rate, 1);
        let pipeline = linear::builder(format, format)
            .enable_gain_controller2(false)
            .build()
            .ok()?;
        let n = format.sample_count();
        Some(Self {
            pipeline,
            render: vec![0.0; n],
            capture: vec![0.0; n],
            output: vec![0.0; n],
        })
    }

    /// Cancels the echo of `render` in `capture` in place (frames of other lengths are
    /// left untouched; a frame the pipeline holds back comes out as silence).
    pub fn process(&mut self, render: &[i16], capture: &mut [i16]) {
        if render.len() != self.render.len() || capture.len() != self.capture.len() {
            return;
        }
        for (f, &s) in self.render.iter_mut().zip(render) {
            *f = f32::from(s) / 32768.0;
        }
        for (f, &s) in self.capture.iter_mut().zip(capture.iter()) {
            *f = f32::from(s) / 32768.0;
        }
        let produced = self.pipeline.handle_render_frame(&self.render).is_ok()
            && self
                .pipeline
                .process_capture_frame(&self.capture, &mut self.output)
                .unwrap_or(false);
        if !produced {
            self.output.fill(0.0);
        }
        for (s, &f) in capture.iter_mut().zip(&self.output) {
            *s = (f * 32768.0).round().clamp(-32768.0, 32767.0) as i16;
        }
    }
}

impl super::scenario::Canceller for Aec3Baseline {
    fn process(&mut self, render: &[i16], capture: &mut [i16]) {
        Self::process(self, render, capture);
    }
}
