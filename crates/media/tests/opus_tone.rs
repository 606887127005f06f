//! A 440 Hz tone encoded with Opus, packetized in RTP, sent through a lossy, jittery
//! simulated link and the jitter buffer, and decoded: it comes out at 440 Hz and at the
//! level it went in.
#![cfg(feature = "opus")] // Opus is the `opus` feature

mod support;

use std::time::Duration;

use rtcweb_media::{
    AudioSource, FRAME_SAMPLES, JitterBuffer, JitterConfig, OpusConfig, OpusDecoder, OpusEncoder,
    Playout, ToneSource,
};
use rtcweb_netsim::LinkConfig;
use rtcweb_rtp::RtpPacket;
use support::{TwoHosts, epoch};

const AMPLITUDE: f64 = 8000.0;

fn rms(samples: &[i16]) -> f64 {
    (samples.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / samples.len() as f64).sqrt()
}

/// Frequency from rising zero crossings, with linear interpolation between samples.
fn frequency(samples: &[i16]) -> f64 {
    let mut crossings = Vec::new();
    for (i, w) in samples.windows(2).enumerate() {
        if w[0] < 0 && w[1] >= 0 {
            let frac = f64::from(-w[0]) / f64::from(w[1] - w[0]);
            crossings.push(i as f64 + frac);
        }
    }
    let span = crossings.last().unwrap() - crossings.first().unwrap();
    (crossings.len() - 1) as f64 * 48_000.0 / span
}

#[test]
fn a_440_hz_tone_survives_loss_and_jitter() {
    let start = epoch();
    let TwoHosts {
        mut net,
        a,
        b,
        ha,
        hb,
    } = TwoHosts::new(
        9,
        start,
        LinkConfig {
            delay: Duration::from_millis(30),
            jitter: Duration::from_millis(20),
            loss: 0.02,
            duplicate: 0.01,
            reorder: 0.01,
        },
        LinkConfig::with_delay(Duration::from_millis(5)),
    );
    let mut encoder = OpusEncoder::new(OpusConfig::default()).unwrap();
    let mut tone = ToneSource::new(440.0, AMPLITUDE, 48_000, 1);
    let mut decoder = OpusDecoder::new(false).unwrap();
    let mut jb = JitterBuffer::new(JitterConfig::default());
    let frame = Duration::from_millis(20);
    let seconds = 10;
    let frames = seconds * 50;
    let mut sent = 0;
    let mut out: Vec<i16> = Vec::new();
    let mut pcm = vec![0i16; FRAME_SAMPLES];
    let mut packet = [0u8; 1500];
    let mut decoded = vec![0i16; FRAME_SAMPLES * 6];
    let mut now = start;
    let mut next_play = start + Duration::from_millis(5);
    let end = start + frame * (frames as u32 + 20);
    while now < end {
        let next_send = start + frame * sent as u32;
        now = [
            if sent < frames { Some(next_send) } else { None },
            Some(next_play),
            net.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap();
        net.advance_to(now);
        while let Some(d) = net.poll_delivery(hb) {
            let p = RtpPacket::parse(&d.contents).unwrap();
            jb.handle_packet(now, p.timestamp(), p.payload());
        }
        if sent < frames && now >= next_send {
            assert_eq!(tone.fill(&mut pcm), FRAME_SAMPLES);
            let len = encoder.encode(&pcm, &mut packet).unwrap();
            let rtp = rtp_rs::RtpPacketBuilder::new()
                .payload_type(111)
                .ssrc(0x1234)
                .sequence(rtp_rs::Seq::from(sent as u16))
                .timestamp((sent * FRAME_SAMPLES) as u32)
                .payload(&packet[..len])
                .build()
                .unwrap();
            net.send(ha, a, b, rtp);
            sent += 1;
        }
        if now >= next_play {
            match jb.pop(now) {
                Playout::Waiting => {}
                Playout::Frame { payload, .. } => {
                    let n = decoder.decode(&payload, &mut decoded).unwrap();
                    out.extend_from_slice(&decoded[..n]);
                }
                Playout::Conceal { next } => {
                    let n = decoder.conceal(next.as_deref(), &mut decoded).unwrap();
                    out.extend_from_slice(&decoded[..n]);
                }
            }
            next_play += frame;
        }
    }
    let stats = jb.stats();
    assert!(net.stats().lost > 0, "the link lost nothing");
    assert!(stats.concealed_samples > 0, "nothing was concealed");
    // Skip the codec's first half second, measure the rest.
    let steady = &out[24_000..out.len() - 24_000];
    let f = frequency(steady);
    let level_db = 20.0 * (rms(steady) / (AMPLITUDE / 2f64.sqrt())).log10();
    println!(
        "440 Hz tone: measured {f:.2} Hz, level {level_db:+.2} dB, concealed {:.2} %, mean delay {:?}",
        stats.concealment_ratio() * 100.0,
        stats.mean_delay()
    );
    assert!((f - 440.0).abs() < 1.0, "frequency {f}");
    assert!(level_db.abs() < 3.0, "level {level_db} dB");
}
