//! speexdsp's echo canceller and preprocessor (Debian's `libspeexdsp-dev`), the baseline of
//! issue 18, through a small FFI of our own.
//!
//! ## Why this module has `unsafe`
//! speexdsp is C; calling it is `unsafe` in Rust. The maintained binding (`speexdsp` 0.1.2
//! over `speexdsp-sys`) was not used: its `-sys` crate generates bindings with bindgen at
//! build time (libclang, `metadeps`), and its safe `SpeexEcho` is `Clone` with a `Drop` that
//! destroys the C state, while handing the echo state to the preprocessor
//! (`preprocess_ctl(SET_ECHO_STATE, &echo)`) clones it into a temporary that is dropped:
//! the echo state is freed while the preprocessor still points at it. Eight functions
//! declared here avoid both. This module is compiled only with the `testkit` feature (tests,
//! benches, the fuzz target); the library itself has no `unsafe`.
#![allow(unsafe_code)]

use std::ffi::{c_int, c_void};
use std::ptr::NonNull;

/// speexdsp's opaque echo canceller state.
#[repr(C)]
struct SpeexEchoState {
    _private: [u8; 0],
}

/// speexdsp's opaque preprocessor state.
#[repr(C)]
struct SpeexPreprocessState {
    _private: [u8; 0],
}

/// `speex_echo.h`: set the sampling rate (an `int*`).
const SPEEX_ECHO_SET_SAMPLING_RATE: c_int = 24;
/// `speex_preprocess.h`: give the preprocessor the echo state (a `SpeexEchoState*`), which
/// turns on its residual echo suppressor.
const SPEEX_PREPROCESS_SET_ECHO_STATE: c_int = 24;

#[link(name = "speexdsp")]
unsafe extern "C" {
    fn speex_echo_state_init(frame_size: c_int, filter_length: c_int) -> *mut SpeexEchoState;
    fn speex_echo_state_destroy(st: *mut SpeexEchoState);
    fn speex_echo_cancellation(
        st: *mut SpeexEchoState,
        rec: *const i16,
        play: *const i16,
        out: *mut i16,
    );
    fn speex_echo_ctl(st: *mut SpeexEchoState, request: c_int, ptr: *mut c_void) -> c_int;
    fn speex_preprocess_state_init(
        frame_size: c_int,
        sampling_rate: c_int,
    ) -> *mut SpeexPreprocessState;
    fn speex_preprocess_state_destroy(st: *mut SpeexPreprocessState);
    fn speex_preprocess_run(st: *mut SpeexPreprocessState, x: *mut i16) -> c_int;
    fn speex_preprocess_ctl(
        st: *mut SpeexPreprocessState,
        request: c_int,
        ptr: *mut c_void,
    ) -> c_int;
}

/// speexdsp's echo canceller followed by its preprocessor (noise suppression on, its
/// residual echo suppressor fed by the canceller), as speexdsp's own `testecho` runs them.
#[derive(Debug)]
pub struct SpeexBaseline {
    echo: NonNull<SpeexEchoState>,
    preprocess: NonNull<SpeexPreprocessState>,
    frame: usize,
    out: Vec<i16>,
}

impl SpeexBaseline {
    /// A canceller for `frame`-sample frames at `rate` Hz with an adaptive filter of
    /// `filter_len` samples (speexdsp has no delay estimator: the filter must span the delay
    /// and the room). `None` if speexdsp refuses.
    pub fn new(rate: u32, frame: usize, filter_len: usize) -> Option<Self> {
        let frame_c = c_int::try_from(frame).ok()?;
        let filter_c = c_int::try_from(filter_len).ok()?;
        let mut rate_c = c_int::try_from(rate).ok()?;
        // SAFETY: plain constructor with integer arguments; a null return is checked.
        let echo = NonNull::new(unsafe { speex_echo_state_init(frame_c, filter_c) })?;
        // SAFETY: constructor with integer arguments; a null return is checked.
        let Some(preprocess) =
            NonNull::new(unsafe { speex_preprocess_state_init(frame_c, rate_c) })
        else {
            // SAFETY: `echo` came from `speex_echo_state_init` and is not used again.
            unsafe { speex_echo_state_destroy(echo.as_ptr()) };
            return None;
        };
        // SAFETY: `echo` is a live state; the request takes an `int*`, valid for the call.
        unsafe {
            speex_echo_ctl(
                echo.as_ptr(),
                SPEEX_ECHO_SET_SAMPLING_RATE,
                (&raw mut rate_c).cast(),
            );
        }
        // SAFETY: both states are live; the request takes the echo state pointer, which
        // outlives the preprocessor (both are destroyed together in `Drop`, preprocessor
        // first).
        unsafe {
            speex_preprocess_ctl(
                preprocess.as_ptr(),
                SPEEX_PREPROCESS_SET_ECHO_STATE,
                echo.as_ptr().cast(),
            );
        }
        Some(Self {
            echo,
            preprocess,
            frame,
            out: vec![0; frame],
        })
    }

    /// Cancels the echo of `render` in `capture` in place; both must be one frame long
    /// (other lengths are left untouched).
    pub fn process(&mut self, render: &[i16], capture: &mut [i16]) {
        if render.len() != self.frame || capture.len() != self.frame {
            return;
        }
        // SAFETY: the state is live; `capture`, `render` and `self.out` each hold exactly
        // `frame` samples, the frame size the state was made for, and do not overlap.
        unsafe {
            speex_echo_cancellation(
                self.echo.as_ptr(),
                capture.as_ptr(),
                render.as_ptr(),
                self.out.as_mut_ptr(),
            );
        }
        // SAFETY: the state is live and `self.out` holds `frame` samples.
        unsafe { speex_preprocess_run(self.preprocess.as_ptr(), self.out.as_mut_ptr()) };
        capture.copy_from_slice(&self.out);
    }
}

impl Drop for SpeexBaseline {
    fn drop(&mut self) {
        // SAFETY: both pointers came from their constructors and are destroyed once; the
        // preprocessor, which points at the echo state, goes first.
        unsafe {
            speex_preprocess_state_destroy(self.preprocess.as_ptr());
            speex_echo_state_destroy(self.echo.as_ptr());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speexdsp_cancels_a_plain_echo() {
        // White noise as render, the echo its copy 5 ms later at half amplitude: after 3 s
        // the canceller has removed most of it.
        let render =
            crate::testkit::signals::to_i16(&crate::testkit::signals::noise(64_000, 0.1, 9));
        let mut speex = SpeexBaseline::new(16_000, 160, 1600).expect("speexdsp state");
        let mut mic_energy = 0.0f64;
        let mut out_energy = 0.0f64;
        for (n, chunk) in render.chunks(160).enumerate() {
            let mut capture: Vec<i16> = (0..160)
                .map(|i| {
                    let at = (n * 160 + i).checked_sub(80);
                    at.map_or(0, |a| render[a] / 2)
                })
                .collect();
            if n >= 300 {
                mic_energy += capture.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>();
            }
            speex.process(chunk, &mut capture);
            if n >= 300 {
                out_energy += capture.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>();
            }
        }
        let erle = 10.0 * (mic_energy / out_energy.max(1.0)).log10();
        assert!(erle > 20.0, "speexdsp ERLE {erle} dB");
    }
}
