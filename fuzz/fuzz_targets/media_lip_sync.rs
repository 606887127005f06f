//! The video render queue, lip sync and the audio jitter buffer's extra delay fed arbitrary
//! frames, sender reports, played frames and times: no panic, bounded memory, render times
//! that never go back, deadlines that move past the time handled, extra delays within their
//! bounds.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use rtcweb_media::video::{VideoPlayout, VideoPlayoutConfig};
use rtcweb_media::{JitterBuffer, JitterConfig, LipSync, LipSyncConfig, MediaKind, SenderClock};

fuzz_target!(|data: &[u8]| {
    #[allow(clippy::disallowed_methods)]
    let mut now = Instant::now();
    let config = VideoPlayoutConfig {
        max_frames: 16,
        ..VideoPlayoutConfig::default()
    };
    let max_delay = config.max_delay;
    let mut video: VideoPlayout<u8> = VideoPlayout::new(config);
    let mut sync = LipSync::new(LipSyncConfig::default());
    let mut jitter = JitterBuffer::new(JitterConfig::default());
    let mut last_render: Option<Instant> = None;
    let (mut polled, mut rendered) = (0u64, 0u64);
    for chunk in data.chunks(14) {
        let [op, step, a, b, c, d, rest @ ..] = chunk else {
            break;
        };
        now += Duration::from_micros(u64::from(*step) * 500);
        let word = u32::from_be_bytes([*a, *b, *c, *d]);
        let kind = if op & 1 == 0 {
            MediaKind::Audio
        } else {
            MediaKind::Video
        };
        match op % 8 {
            0 | 1 => video.handle_frame(now, word, *op),
            2 | 3 => {
                let mut ntp = [0u8; 8];
                for (dst, src) in ntp.iter_mut().zip(rest) {
                    *dst = *src;
                }
                let rate = u32::from(u16::from_be_bytes([*c, *d]));
                sync.handle_sender_report(
                    kind,
                    SenderClock {
                        ntp: u64::from_be_bytes(ntp),
                        rtp_timestamp: word,
                        clock_rate: rate,
                    },
                );
            }
            4 => sync.handle_played(kind, now, word),
            5 => {
                video.set_extra_delay(Duration::from_millis(u64::from(word % 5000)));
                jitter.set_extra_delay(Duration::from_millis(u64::from(word % 3000)));
            }
            6 => jitter.handle_packet(now, word, rest),
            _ => {
                let _ = jitter.pop(now);
            }
        }
        if video.poll_timeout().is_some_and(|t| t <= now) {
            video.handle_timeout(now);
            assert!(video.poll_timeout().is_none_or(|t| t > now));
        }
        while let Some(frame) = video.poll_frame() {
            assert!(last_render.is_none_or(|l| frame.render_at >= l));
            last_render = Some(frame.render_at);
            polled += 1;
            // Handed out frames feed the sync as the owner would.
            sync.handle_played(MediaKind::Video, frame.render_at, frame.rtp_timestamp);
        }
        rendered = video.stats().frames_rendered;
        if sync.poll_timeout().is_some_and(|t| t <= now) {
            sync.handle_timeout(now);
            assert!(sync.poll_timeout().is_none_or(|t| t > now));
            video.set_extra_delay(sync.video_extra_delay());
            jitter.set_extra_delay(sync.audio_extra_delay());
        }
        assert!(video.len() <= 16);
        assert!(video.current_delay() <= max_delay);
        assert!(sync.audio_extra_delay() <= Duration::from_secs(1));
        assert!(sync.video_extra_delay() <= Duration::from_secs(1));
        assert!(jitter.len() <= 250);
    }
    assert!(polled <= rendered);
});
