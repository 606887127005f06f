//! The Opus settings WebRTC negotiates (RFC 7587 §6.1): frame durations, stereo, bitrate,
//! DTX and FEC, each checked on what libopus actually produces.
#![cfg(feature = "opus")] // Opus is the `opus` feature

use rtcweb_media::{
    AudioSource, CodecError, FrameDuration, MAX_PACKET, NoiseSource, OpusConfig, OpusDecoder,
    OpusEncoder, ToneSource,
};

fn encode_tone(config: OpusConfig, frames: usize) -> Vec<Vec<u8>> {
    let mut encoder = OpusEncoder::new(config).unwrap();
    let channels = if config.stereo { 2 } else { 1 };
    let mut tone = ToneSource::new(440.0, 8000.0, 48_000, channels);
    let mut pcm = vec![0i16; encoder.frame_len()];
    let mut out = [0u8; MAX_PACKET];
    (0..frames)
        .map(|_| {
            tone.fill(&mut pcm);
            let n = encoder.encode(&pcm, &mut out).unwrap();
            out[..n].to_vec()
        })
        .collect()
}

#[test]
fn every_frame_duration_decodes_to_its_length() {
    for (duration, samples) in [
        (FrameDuration::Ms10, 480),
        (FrameDuration::Ms20, 960),
        (FrameDuration::Ms40, 1920),
        (FrameDuration::Ms60, 2880),
    ] {
        let config = OpusConfig {
            frame: duration,
            ..OpusConfig::default()
        };
        let packets = encode_tone(config, 10);
        let mut decoder = OpusDecoder::new(false).unwrap();
        let mut pcm = vec![0i16; decoder.max_output_len()];
        for p in &packets {
            assert_eq!(
                decoder.decode(p, &mut pcm).unwrap(),
                samples,
                "{duration:?}"
            );
        }
        // A lost packet is concealed with the duration of the last one.
        assert_eq!(decoder.conceal(None, &mut pcm).unwrap(), samples);
        assert_eq!(
            FrameDuration::from_millis(duration.millis()),
            Some(duration)
        );
    }
}

#[test]
fn stereo_keeps_two_channels() {
    let config = OpusConfig {
        stereo: true,
        bitrate: Some(64_000),
        ..OpusConfig::default()
    };
    let packets = encode_tone(config, 25);
    // The TOC byte's stereo flag (RFC 6716 §3.1).
    assert!(packets.iter().all(|p| p[0] & 0x04 != 0));
    let mut decoder = OpusDecoder::new(true).unwrap();
    let mut pcm = vec![0i16; decoder.max_output_len()];
    let n = decoder.decode(packets.last().unwrap(), &mut pcm).unwrap();
    assert_eq!(n, 960);
    // Both channels carry the tone.
    let left: f64 = pcm[..2 * n]
        .iter()
        .step_by(2)
        .map(|s| f64::from(*s).abs())
        .sum();
    let right: f64 = pcm[1..2 * n]
        .iter()
        .step_by(2)
        .map(|s| f64::from(*s).abs())
        .sum();
    assert!(
        left > 0.0 && (left / right - 1.0).abs() < 0.2,
        "{left} {right}"
    );
}

#[test]
fn bitrate_sets_the_packet_size() {
    let mean = |bps| {
        let packets = encode_tone(
            OpusConfig {
                bitrate: Some(bps),
                ..OpusConfig::default()
            },
            100,
        );
        packets.iter().map(Vec::len).sum::<usize>() as f64 / packets.len() as f64
    };
    let low = mean(12_000);
    let high = mean(64_000);
    // 20 ms packets: bytes ≈ bitrate / 400.
    assert!((low - 30.0).abs() < 12.0, "12 kbit/s: {low} bytes");
    assert!((high - 160.0).abs() < 40.0, "64 kbit/s: {high} bytes");
}

#[test]
fn dtx_shrinks_silence_to_tiny_packets() {
    let silence = |dtx| {
        let mut encoder = OpusEncoder::new(OpusConfig {
            dtx,
            ..OpusConfig::default()
        })
        .unwrap();
        let pcm = vec![0i16; encoder.frame_len()];
        let mut out = [0u8; MAX_PACKET];
        (0..100)
            .map(|_| encoder.encode(&pcm, &mut out).unwrap())
            .filter(|n| *n <= 2)
            .count()
    };
    assert!(silence(true) > 50, "DTX on: few tiny packets");
    assert_eq!(silence(false), 0, "DTX off: tiny packets");
}

#[test]
fn fec_recovers_a_lost_packet_better_than_concealment() {
    // Noise is hard to predict: concealment cannot invent it, FEC carries a coarse copy.
    let config = OpusConfig {
        fec: true,
        expected_loss_percent: 20,
        bitrate: Some(32_000),
        ..OpusConfig::default()
    };
    let mut encoder = OpusEncoder::new(config).unwrap();
    let mut noise = NoiseSource::new(6000.0, 1, 3);
    let mut pcm = vec![0i16; encoder.frame_len()];
    let mut frames = Vec::new();
    let mut packets = Vec::new();
    let mut out = [0u8; MAX_PACKET];
    for _ in 0..60 {
        noise.fill(&mut pcm);
        frames.push(pcm.clone());
        let n = encoder.encode(&pcm, &mut out).unwrap();
        packets.push(out[..n].to_vec());
    }
    let lost = 50;
    let error_of = |use_fec: bool| {
        let mut decoder = OpusDecoder::new(false).unwrap();
        let mut buf = vec![0i16; decoder.max_output_len()];
        let mut got = Vec::new();
        for (i, p) in packets.iter().enumerate() {
            let n = if i == lost {
                let next = use_fec.then(|| packets[i + 1].as_slice());
                decoder.conceal(next, &mut buf).unwrap()
            } else {
                decoder.decode(p, &mut buf).unwrap()
            };
            got.push(buf[..n].to_vec());
        }
        // Opus delays its output by its look-ahead (6.5 ms = 312 samples): compare the lost
        // frame's span shifted by it, in energy terms.
        let flat_in: Vec<i16> = frames.concat();
        let flat_out: Vec<i16> = got.concat();
        let delay = 312;
        let range = lost * 960..(lost + 1) * 960;
        let err: f64 = range
            .clone()
            .map(|i| (f64::from(flat_out[i + delay]) - f64::from(flat_in[i])).powi(2))
            .sum();
        let energy: f64 = range.map(|i| f64::from(flat_in[i]).powi(2)).sum();
        err / energy
    };
    let with_fec = error_of(true);
    let plc_only = error_of(false);
    println!("lost-frame error energy: FEC {with_fec:.3}, concealment {plc_only:.3}");
    assert!(with_fec < plc_only, "FEC {with_fec} vs PLC {plc_only}");
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let mut encoder = OpusEncoder::new(OpusConfig::default()).unwrap();
    let mut out = [0u8; MAX_PACKET];
    assert!(matches!(
        encoder.encode(&[0; 100], &mut out),
        Err(CodecError::FrameLength {
            expected: 960,
            got: 100
        })
    ));
    let mut decoder = OpusDecoder::new(false).unwrap();
    let mut pcm = vec![0i16; decoder.max_output_len()];
    assert!(decoder.decode(&[0xff, 0xff, 0xff], &mut pcm).is_err());
    assert!(decoder.decode(&[], &mut pcm).is_err());
    let mut small = [0i16; 100];
    let packets = encode_tone(OpusConfig::default(), 1);
    assert!(matches!(
        decoder.decode(&packets[0], &mut small),
        Err(CodecError::BufferTooSmall { .. })
    ));
    // Changing the channel count after creation is refused.
    assert!(
        encoder
            .apply(OpusConfig {
                stereo: true,
                ..OpusConfig::default()
            })
            .is_err()
    );
}
