//! Echo cancellation in the driver's audio layer, over real UDP on loopback (issue 18).
//!
//! A talks (a far-end signal: noise shaped like syllables, Opus); B plays what its driver
//! hands out for A's track and its "microphone" hears that played audio back through a
//! room (`echo_room`), then, once A has gone quiet, B's own near-end talker (a 600 Hz
//! tone). B sends its microphone to A. The
//! call runs twice: B's sender without processing, then with
//! `RtpSender::set_audio_processing` (echo cancellation). A measures what it decodes of B:
//! the echo of its own voice while it talks after the canceller had 2 s to converge, and
//! B's talker afterwards. The canceller must take the echo down by at least 30 dB end to
//! end (through both Opus codings) and keep the talker within 3 dB; B's `media-source`
//! stats must report the enhancement.
//!
//! The ratio is of two runs on the same machine; the signals are deterministic, the
//! scheduling is not, so the bounds keep a margin below what is measured.

#![allow(clippy::disallowed_methods)] // the test paces audio in wall time
use std::time::{Duration, Instant};

mod echo_call;
mod echo_room;

use echo_call::{FRAME, db, energy, listen, near_samples, talk};
use echo_room::Room;
use rtcweb_media::PcmFrame;
use rtcweb_peer::StatsKind;
use rtcweb_peer::driver::AudioProcessing;
use tokio::time::{Instant as TokioInstant, sleep_until};

/// A talks for this many frames (6 s), then is quiet.
const FAR_FRAMES: usize = 300;
/// B's talker speaks from this frame (6.4 s) to the end.
const NEAR_FROM: usize = 320;
/// Frames in all (8 s).
const FRAMES: usize = 400;

struct Run {
    /// Mean energy a sample of B's audio at A while A talks (after 2 s).
    echo: f64,
    /// The same while B's talker speaks alone.
    near: f64,
    /// B's `media-source` enhancement, dB.
    erle: Option<f64>,
}

async fn call(settings: AudioProcessing) -> Run {
    let call = echo_call::connect(settings).await;
    let (b, mic, mut from_a, mut from_b) = (call.b, call.mic, call.from_a, call.from_b);

    // A talks at the pace of a microphone.
    let start = TokioInstant::now() + Duration::from_millis(300);
    let talk = talk(call.voice, start, FAR_FRAMES, FRAMES);

    // B plays A (the frames its driver hands out, through a speaker that takes 20 ms each
    // 20 ms and plays silence when nothing came) and its microphone hears the room.
    let b_side = tokio::spawn(async move {
        let mut room = Room::new();
        let mut sent_at = Vec::with_capacity(FRAMES);
        for k in 0..FRAMES {
            sleep_until(start + Duration::from_millis(20 * k as u64)).await;
            while let Some(frame) = from_a.try_recv() {
                room.play(&frame);
            }
            let near = near_samples(k * FRAME, FRAME);
            let heard_by_mic = room.microphone((k >= NEAR_FROM).then_some(&near[..]));
            sent_at.push(Instant::now());
            let pcm = PcmFrame {
                samples: heard_by_mic,
                sample_rate: 48_000,
                channels: 1,
            };
            let _ = mic.send_audio(pcm, None).await;
        }
        let stats = b.stats().await.unwrap();
        let erle = stats.iter().find_map(|s| match &s.kind {
            StatsKind::MediaSource(m) => m.echo_return_loss_enhancement,
            _ => None,
        });
        (sent_at, erle)
    });

    // A hears B.
    let heard = listen(
        &mut from_b,
        start + Duration::from_millis(20 * FRAMES as u64 + 1000),
    )
    .await;
    talk.await.unwrap();
    let (sent_at, erle) = b_side.await.unwrap();
    // Windows in A's time: B's frames took a network hop and a jitter buffer, so each
    // window starts 200 ms after B sent its first frame.
    let margin = Duration::from_millis(200);
    let echo = energy(&heard, sent_at[100] + margin, sent_at[FAR_FRAMES - 10]);
    let near = energy(
        &heard,
        sent_at[NEAR_FROM + 10] + margin,
        sent_at[FRAMES - 5],
    );
    Run { echo, near, erle }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_driver_cancels_the_echo_of_what_it_plays() {
    let off = call(AudioProcessing::default()).await;
    let on = call(AudioProcessing {
        echo_cancellation: true,
        ..AudioProcessing::default()
    })
    .await;
    let reduction = db(off.echo, on.echo);
    let talker = db(on.near, off.near);
    println!(
        "echo at A: {:.1} dB below the unprocessed echo ({:.0} vs {:.0} mean square); \
         B's talker {talker:+.1} dB; B's media-source echoReturnLossEnhancement {:?} dB \
         (without processing: {:?})",
        reduction, on.echo, off.echo, on.erle, off.erle
    );
    // Without processing the echo is there, as loud as the room makes it.
    assert!(
        off.echo > 1e4,
        "no echo without processing: {:.0}",
        off.echo
    );
    assert!(reduction >= 30.0, "the echo only {reduction:.1} dB down");
    assert!(talker.abs() <= 3.0, "B's talker moved {talker:+.1} dB");
    assert!(off.erle.is_none(), "no media-source without processing");
    assert!(
        on.erle.is_some_and(|e| e > 10.0),
        "echoReturnLossEnhancement {:?}",
        on.erle
    );
}
