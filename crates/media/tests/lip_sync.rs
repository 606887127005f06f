//! Lip sync measured end to end in simulated time: a sender captures an audio click (a 5 ms
//! burst in otherwise silent 20 ms Opus frames) and a video flash (a white frame among dark
//! 30 frames/s pictures) at the same instant every second; the two streams cross the
//! simulated network (`rtcweb-netsim`) with different delays and ±10 ms of jitter each,
//! with sender reports mapping each RTP clock (48 kHz and 90 kHz, random starting offsets)
//! to the sender's NTP clock. At the receiver the click is found in the samples the audio
//! playout gives (its tick plus the sample's offset) and the flash in the pictures the video
//! render queue hands out (its render time, its capture time read from the picture's code);
//! the skew is the flash's render time minus the click's play time for the same capture
//! second. Without sync it is about the difference of the network delays; with `LipSync`
//! it must be within ±15 ms once converged (from the 6th second on). `LIP_SYNC_SEED=n`
//! runs other network draws and RTP offsets.
#![cfg(feature = "opus")]

mod support;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtcweb_media::analysis::luma_stats;
use rtcweb_media::audio::AudioCodec;
use rtcweb_media::video::{Fill, I420Frame, VideoPlayout, VideoPlayoutConfig};
use rtcweb_media::{
    AudioEncoder, AudioPlayout, LipSync, LipSyncConfig, MediaKind, PcmFrame, SenderClock,
    TestPattern, read_code,
};
use rtcweb_netsim::{LinkConfig, Network};

const SECONDS: u64 = 15;
const SETTLED: u64 = 6;
/// NTP seconds of the sender's clock at the start (a date in 2025).
const NTP_BASE: u64 = 3_950_000_000;

#[derive(Debug, Clone, Copy)]
struct Case {
    audio_ms: u64,
    video_ms: u64,
}

#[derive(Debug)]
struct Outcome {
    /// Flash render time minus click play time, ms, by capture second.
    skews: BTreeMap<u64, f64>,
    audio_extra: Duration,
    video_extra: Duration,
}

fn opus() -> AudioCodec {
    AudioCodec {
        payload_type: 111,
        name: "opus".into(),
        clock_rate: 48_000,
        channels: 2,
        fmtp: String::new(),
    }
}

/// The sender's NTP timestamp `t` after the start.
fn ntp(t: Duration) -> u64 {
    let fraction = (u128::from(t.subsec_nanos()) << 32) / 1_000_000_000;
    ((NTP_BASE + t.as_secs()) << 32) | fraction as u64
}

fn run(case: Case, sync_on: bool, seed: u64) -> Outcome {
    let t0 = support::epoch();
    let at = |d: Duration| t0 + d;
    let mut net = Network::new(seed, t0);
    let (a_addr, v_addr, r_addr): (SocketAddr, SocketAddr, SocketAddr) = (
        "192.0.2.1:5004".parse().unwrap(),
        "192.0.2.2:5006".parse().unwrap(),
        "192.0.2.3:5004".parse().unwrap(),
    );
    let audio_host = net.add_host(a_addr.ip(), None);
    let video_host = net.add_host(v_addr.ip(), None);
    let receiver = net.add_host(r_addr.ip(), None);
    // Delay ± 10 ms: a fixed part 10 ms short and 0..=20 ms drawn per packet.
    let link = |ms: u64| LinkConfig {
        delay: Duration::from_millis(ms - 10),
        jitter: Duration::from_millis(20),
        ..LinkConfig::ideal()
    };
    net.set_link(audio_host, link(case.audio_ms));
    net.set_link(video_host, link(case.video_ms));
    net.set_link(receiver, LinkConfig::ideal());

    // Random starting points of the RTP clocks, as real senders pick them.
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut random = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x as u32
    };
    let (a_off, v_off) = (random(), random());

    let mut encoder = AudioEncoder::new(&[opus()], a_off).unwrap();
    let mut pattern = TestPattern::new(160, 120).unwrap();
    let mut in_flight: HashMap<u32, I420Frame> = HashMap::new();

    let mut audio = AudioPlayout::new(1);
    let mut video: VideoPlayout<I420Frame> = VideoPlayout::new(VideoPlayoutConfig::default());
    let mut sync = LipSync::new(LipSyncConfig::default());

    let mut clicks: BTreeMap<u64, Instant> = BTreeMap::new();
    let mut flashes: BTreeMap<u64, Instant> = BTreeMap::new();
    let (mut k, mut j, mut sr) = (0u64, 0u64, Duration::from_millis(100));
    let mut last_audio_point = None;
    let end = at(Duration::from_secs(SECONDS + 1));
    loop {
        let audio_capture = Duration::from_millis(k * 20);
        let video_capture = Duration::from_micros(j * 1_000_000 / 30);
        let now = [
            Some(at(audio_capture)),
            Some(at(video_capture)),
            Some(at(sr)),
            net.poll_timeout(),
            audio.poll_timeout(),
            video.poll_timeout(),
            sync.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap();
        if now > end {
            break;
        }
        net.advance_to(now);

        // The sender: an audio frame every 20 ms (a click at every whole second), a picture
        // every 1/30 s (white at every whole second), sender reports every second.
        let sending = now < at(Duration::from_secs(SECONDS));
        if now == at(audio_capture) && sending {
            let mut samples = vec![0i16; 960];
            if k % 50 == 0 {
                for (i, s) in samples.iter_mut().take(240).enumerate() {
                    let phase = 2.0 * std::f64::consts::PI * 1000.0 * i as f64 / 48_000.0;
                    *s = (20_000.0 * phase.sin()) as i16;
                }
            }
            encoder
                .handle_pcm(
                    &PcmFrame {
                        samples,
                        sample_rate: 48_000,
                        channels: 1,
                    },
                    None,
                )
                .unwrap();
            while let Some(f) = encoder.poll_frame() {
                let mut packet = vec![0u8];
                packet.extend_from_slice(&f.rtp_timestamp.to_be_bytes());
                packet.extend_from_slice(&f.data);
                net.send(audio_host, a_addr, r_addr, packet);
            }
        }
        if now == at(audio_capture) {
            k += 1;
        }
        if now == at(video_capture) && sending {
            let fill = if j % 30 == 0 {
                Fill::White
            } else {
                Fill::Black
            };
            let picture = pattern.next_frame_with(video_capture.as_micros() as u64, fill);
            let ts = v_off.wrapping_add((j * 3000) as u32);
            in_flight.insert(ts, picture);
            let mut packet = vec![1u8];
            packet.extend_from_slice(&ts.to_be_bytes());
            net.send(video_host, v_addr, r_addr, packet);
        }
        if now == at(video_capture) {
            j += 1;
        }
        if now == at(sr) {
            let micros = sr.as_micros() as u64;
            for (kind, host, from, rtp) in [
                (
                    2u8,
                    audio_host,
                    a_addr,
                    a_off.wrapping_add((micros * 48 / 1000) as u32),
                ),
                (
                    3u8,
                    video_host,
                    v_addr,
                    v_off.wrapping_add((micros * 90 / 1000) as u32),
                ),
            ] {
                let mut packet = vec![kind];
                packet.extend_from_slice(&ntp(sr).to_be_bytes());
                packet.extend_from_slice(&rtp.to_be_bytes());
                net.send(host, from, r_addr, packet);
            }
            sr += Duration::from_secs(1);
        }

        // The receiver.
        while let Some(d) = net.poll_delivery(receiver) {
            let p = &d.contents;
            let word = |i: usize| u32::from_be_bytes(p[i..i + 4].try_into().unwrap());
            match p[0] {
                0 => audio.handle_packet(d.at, &opus(), word(1), &p[5..]),
                1 => {
                    if let Some(picture) = in_flight.remove(&word(1)) {
                        video.handle_frame(d.at, word(1), picture);
                    }
                }
                kind => {
                    let clock = SenderClock {
                        ntp: u64::from_be_bytes(p[1..9].try_into().unwrap()),
                        rtp_timestamp: word(9),
                        clock_rate: if kind == 2 { 48_000 } else { 90_000 },
                    };
                    let kind = if kind == 2 {
                        MediaKind::Audio
                    } else {
                        MediaKind::Video
                    };
                    sync.handle_sender_report(kind, clock);
                }
            }
        }
        if audio.poll_timeout().is_some_and(|t| t <= now) {
            audio.handle_timeout(now);
            while let Some(frame) = audio.poll_frame() {
                let Some(ts) = frame.rtp_timestamp else {
                    continue;
                };
                let index = u64::from(ts.wrapping_sub(a_off)) / 960;
                if index % 50 != 0 {
                    continue;
                }
                if let Some(i) = frame.samples.iter().position(|s| s.unsigned_abs() > 8000) {
                    let played = now + Duration::from_micros(i as u64 * 1_000_000 / 48_000);
                    clicks.entry(index / 50).or_insert(played);
                }
            }
            if let Some(point) = audio
                .playout_point()
                .filter(|p| Some(*p) != last_audio_point)
            {
                last_audio_point = Some(point);
                sync.handle_played(MediaKind::Audio, point.1, point.0);
            }
        }
        if video.poll_timeout().is_some_and(|t| t <= now) {
            video.handle_timeout(now);
        }
        while let Some(frame) = video.poll_frame() {
            sync.handle_played(MediaKind::Video, frame.render_at, frame.rtp_timestamp);
            if luma_stats(&frame.payload).mean > 128.0 {
                let code = read_code(&frame.payload).expect("the flash carries its code");
                flashes
                    .entry(code.capture_micros / 1_000_000)
                    .or_insert(frame.render_at);
            }
        }
        if sync.poll_timeout().is_some_and(|t| t <= now) {
            sync.handle_timeout(now);
            if sync_on {
                audio.set_extra_delay(sync.audio_extra_delay());
                video.set_extra_delay(sync.video_extra_delay());
            }
        }
    }
    let skews = flashes
        .iter()
        .filter_map(|(s, flash)| {
            let click = clicks.get(s)?;
            let ms = if flash >= click {
                (*flash - *click).as_secs_f64() * 1000.0
            } else {
                -((*click - *flash).as_secs_f64() * 1000.0)
            };
            Some((*s, ms))
        })
        .collect();
    Outcome {
        skews,
        audio_extra: sync.audio_extra_delay(),
        video_extra: sync.video_extra_delay(),
    }
}

fn settled(o: &Outcome) -> Vec<f64> {
    o.skews
        .iter()
        .filter(|(s, _)| **s >= SETTLED)
        .map(|(_, v)| *v)
        .collect()
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

#[test]
fn audio_and_video_play_within_15_ms_of_each_other_once_synced() {
    let cases = [
        Case {
            audio_ms: 20,
            video_ms: 20,
        },
        Case {
            audio_ms: 20,
            video_ms: 120,
        },
        Case {
            audio_ms: 150,
            video_ms: 30,
        },
    ];
    println!(
        "\n| audio delay | video delay | video − audio | skew without sync (mean, s ≥ {SETTLED}) \
         | skew at 1 s (before sync acts) | skew with sync, s ≥ {SETTLED}: mean [min, max] \
         | within ±15 ms from second | extra delay audio / video |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let mut failures = Vec::new();
    for (n, case) in cases.iter().enumerate() {
        let seed = std::env::var("LIP_SYNC_SEED")
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(11)
            + n as u64;
        let off = run(*case, false, seed);
        let on = run(*case, true, seed);
        let (off_settled, on_settled) = (settled(&off), settled(&on));
        assert!(
            off_settled.len() >= 8 && on_settled.len() >= 8,
            "{case:?}: clicks and flashes were found ({} / {})",
            off_settled.len(),
            on_settled.len()
        );
        let min = on_settled.iter().copied().fold(f64::INFINITY, f64::min);
        let max = on_settled.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let difference = case.video_ms as f64 - case.audio_ms as f64;
        // The first second from which every skew is within ±15 ms.
        let converged = on
            .skews
            .iter()
            .rev()
            .take_while(|(_, v)| v.abs() <= 15.0)
            .last()
            .map_or(u64::MAX, |(s, _)| *s);
        println!(
            "| {} ms | {} ms | {difference:+.0} ms | {:+.1} ms | {:+.1} ms | {:+.1} ms [{min:+.1}, {max:+.1}] | {converged} | {} / {} ms |",
            case.audio_ms,
            case.video_ms,
            mean(&off_settled),
            on.skews.get(&1).copied().unwrap_or(f64::NAN),
            mean(&on_settled),
            on.audio_extra.as_millis(),
            on.video_extra.as_millis(),
        );
        // Without sync the skew follows the network delays' difference (give or take the
        // two playouts' own jitter delays).
        if (mean(&off_settled) - difference).abs() > 35.0 {
            failures.push(format!(
                "{case:?}: without sync {:.1} ms",
                mean(&off_settled)
            ));
        }
        if min < -15.0 || max > 15.0 {
            failures.push(format!("{case:?}: with sync [{min:.1}, {max:.1}] ms"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
