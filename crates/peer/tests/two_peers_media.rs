//! The encoded-frame core between two peers in the simulator: video frames packetized,
//! lost packets asked for with NACK and resent as RTX (RFC 4588), a key frame asked for
//! with a PLI, the sender's wall-clock time on received frames once a sender report
//! mapped the stream (RFC 3550 §6.4.1), DTMF both ways (RFC 4733), and BYE when a sender
//! stops (RFC 3550 §6.6).

mod support;

use std::time::Duration;

use rtcweb_peer::{
    Bitrate, CcConfig, Config, Direction, Event, KeyFrameRequest, MediaKind, MediaTrack,
    OutgoingFrame, ReceivedFrame, TransceiverId,
};
use support::{World, lossy};

/// A VP8 frame of `len` bytes: the frame tag's bit 0 says key (0) or inter (1), RFC 6386
/// §9.1, a key frame has its start code and size; bytes 10..14 name the frame.
fn vp8_frame(n: u32, len: usize) -> Vec<u8> {
    let mut data = vec![0u8; len];
    data[0] = if n == 0 { 0x10 } else { 0x11 };
    if n == 0 {
        // Key frame start code and a 640x480 size (RFC 6386 §9.1).
        data[3..10].copy_from_slice(&[0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01]);
    }
    data[10..14].copy_from_slice(&n.to_be_bytes());
    data
}

/// The number [`vp8_frame`] gave a frame.
fn number(f: &ReceivedFrame) -> u32 {
    u32::from_be_bytes(f.data[10..14].try_into().unwrap())
}

/// A sends video to B (who only receives), both connected.
fn video_world(seed: u64, link: rtcweb_netsim::LinkConfig) -> (World, TransceiverId) {
    // These senders write frames at a fixed 730 kbit/s, as an application that ignores
    // the allocated bitrate would: congestion control starts at 1 Mbit/s so the pacer
    // does not hold them back (5 % loss alone does not lower the estimate, gcc-02 §6).
    let config = Config {
        congestion_control: Some(CcConfig {
            start_bitrate: Bitrate::from_mbps(1),
            ..CcConfig::default()
        }),
        ..Config::default()
    };
    let mut w = World::with_config(seed, link, &config);
    let video = w.connect_video_sender();
    (w, video)
}

fn frames_at_b(w: &World) -> Vec<&ReceivedFrame> {
    w.b.events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::Frame { frame, .. } => Some(frame),
            _ => None,
        })
        .collect()
}

#[test]
fn video_frames_cross_five_percent_loss_with_nack_and_rtx() {
    frames_cross_five_percent_loss("VP8", vp8_frame);
}

/// VP9 (RFC 9628): the bytes are opaque to the packetizer; the key-frame flag of the frame
/// sets the descriptor's P bit, which the receiver reads back.
#[test]
fn vp9_frames_cross_five_percent_loss_with_nack_and_rtx() {
    frames_cross_five_percent_loss("VP9", |n, len| {
        let mut data = vec![0x82u8; len];
        data[10..14].copy_from_slice(&n.to_be_bytes());
        data
    });
}

fn frames_cross_five_percent_loss(codec: &str, make: fn(u32, usize) -> Vec<u8>) {
    let (mut w, video) = video_world(51, lossy(0.05));
    let pt =
        w.a.peer
            .sender_parameters(video)
            .unwrap()
            .codecs
            .into_iter()
            .find(|(_, c)| c.is(codec))
            .map(|(pt, _)| pt)
            .expect("codec negotiated");
    let mut next = w.now;
    for n in 0..150u32 {
        while w.now < next {
            w.step(next);
        }
        let data = make(n, 3000);
        let mut frame = OutgoingFrame::new(pt, n * 3000, &data);
        frame.keyframe = n == 0;
        frame.video_size = Some((640, 480));
        frame.capture_time = Some(w.now);
        assert!(w.a.peer.write_frame(w.now, video, frame).unwrap());
        w.flush();
        next += Duration::from_millis(33);
    }
    w.run_for(Duration::from_secs(2));
    let frames = frames_at_b(&w);
    let numbers: Vec<u32> = frames.iter().map(|f| number(f)).collect();
    let sent = w.a.peer.transceiver_stats(video).unwrap().outbound.unwrap();
    let got = w.b.peer.transceivers()[0].id;
    let received = w.b.peer.transceiver_stats(got).unwrap().inbound.unwrap();
    println!(
        "{codec}, 5 % loss each way: {} of 150 frames whole at B; A sent {} packets, retransmitted {} \
         after {} NACKs; B lost {} and got {} RTX",
        frames.len(),
        sent.packets_sent,
        sent.counters.retransmitted_packets,
        sent.counters.nack_count,
        received.packets_lost,
        received.retransmitted_packets_received
    );
    assert!(frames[0].keyframe, "the first frame is the key frame");
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "decoding order");
    assert!(frames.len() >= 140, "{} frames", frames.len());
    assert!(sent.counters.retransmitted_packets > 0);
    assert!(received.retransmitted_packets_received > 0);
    assert!(
        frames
            .iter()
            .all(|f| f.data.len() == 3000 && f.codec.is(codec))
    );
}

#[test]
fn sender_reports_map_frames_to_the_sender_clock() {
    let (mut w, video) = video_world(52, lossy(0.0));
    let vp8 = w.a.peer.sender_parameters(video).unwrap().codecs[0].0;
    let mut next = w.now;
    let mut captured = Vec::new();
    for n in 0..120u32 {
        while w.now < next {
            w.step(next);
        }
        let data = vp8_frame(n, 500);
        // 90 kHz: 33 ms is 2970 ticks.
        let mut frame = OutgoingFrame::new(vp8, 1000 + n * 2970, &data);
        frame.keyframe = n == 0;
        // Captured 5 ms before it is written.
        let capture = w.now - Duration::from_millis(5);
        frame.capture_time = Some(capture);
        captured.push(capture - w.start);
        w.a.peer.write_frame(w.now, video, frame).unwrap();
        w.flush();
        next += Duration::from_millis(33);
    }
    w.run_for(Duration::from_secs(1));
    let frames = frames_at_b(&w);
    // A's wall clock reads 0 at its start (no Config::wallclock): its sender reports put
    // the frames at their capture times since then.
    let mapped: Vec<(u32, Duration)> = frames
        .iter()
        .filter_map(|f| {
            let n = number(f);
            Some((n, f.sender_time?))
        })
        .collect();
    assert!(mapped.len() > 50, "{} frames mapped", mapped.len());
    assert!(
        frames[0].sender_time.is_none(),
        "no report before the first frame"
    );
    for (n, t) in &mapped {
        let want = captured[*n as usize];
        let error = t.abs_diff(want);
        assert!(
            error < Duration::from_millis(1),
            "frame {n}: {t:?} vs {want:?}"
        );
    }
}

#[test]
fn a_pli_becomes_a_key_frame_request_and_a_stop_says_bye() {
    let (mut w, video) = video_world(53, lossy(0.0));
    let vp8 = w.a.peer.sender_parameters(video).unwrap().codecs[0].0;
    let data = vp8_frame(0, 800);
    w.a.peer
        .write_frame(w.now, video, OutgoingFrame::new(vp8, 0, &data))
        .unwrap();
    w.run_for(Duration::from_millis(200));
    let theirs = w.b.peer.transceivers()[0].id;
    assert!(w.b.peer.request_key_frame(w.now, theirs).unwrap());
    w.run_for(Duration::from_millis(200));
    assert!(w.a.saw(&Event::KeyFrameRequest {
        transceiver: video,
        kind: KeyFrameRequest::Pli
    }));
    let stats = w.a.peer.transceiver_stats(video).unwrap().outbound.unwrap();
    assert_eq!(stats.counters.pli_count, 1);
    // A stops its transceiver: a BYE, and B's track is muted at once.
    w.a.peer.stop_transceiver(w.now, video).unwrap();
    w.run_for(Duration::from_millis(200));
    assert!(
        w.b.saw(&Event::TrackMuted {
            transceiver: theirs,
            muted: true
        }),
        "B saw no BYE"
    );
    assert!(w.a.peer.transceiver(video).unwrap().stopped);
}

#[test]
fn dtmf_tones_go_across_and_tonechange_reports_them() {
    let mut w = World::new(54, lossy(0.0));
    let now = w.now;
    let a =
        w.a.peer
            .add_track(now, MediaTrack::audio("mic"), &["a"])
            .unwrap();
    w.offer();
    assert!(
        w.run_until(Duration::from_secs(10), |w| w.a.connected_at().is_some()
            && w.b.connected_at().is_some())
    );
    let info = w.a.peer.transceiver(a).unwrap();
    assert!(info.sender.can_insert_dtmf, "telephone-event negotiated");
    w.a.peer
        .insert_dtmf(
            w.now,
            a,
            "1#,9",
            Duration::from_millis(100),
            Duration::from_millis(70),
        )
        .unwrap();
    assert_eq!(w.a.peer.dtmf_tone_buffer(a).as_deref(), Some("1#,9"));
    w.run_for(Duration::from_secs(4));
    let tones: Vec<(char, Duration)> =
        w.b.events
            .iter()
            .filter_map(|(_, e)| match e {
                Event::Dtmf { tone, duration, .. } => Some((*tone, *duration)),
                _ => None,
            })
            .collect();
    assert_eq!(
        tones.iter().map(|t| t.0).collect::<String>(),
        "1#9",
        "{tones:?}"
    );
    assert!(
        tones.iter().all(|t| t.1 == Duration::from_millis(100)),
        "{tones:?}"
    );
    let changes: Vec<Option<char>> =
        w.a.events
            .iter()
            .filter_map(|(_, e)| match e {
                Event::ToneChange { tone, .. } => Some(*tone),
                _ => None,
            })
            .collect();
    assert_eq!(changes, [Some('1'), Some('#'), Some('9'), None]);
    // The pause between '#' and '9' is the comma's two seconds.
    let at = |t: Option<char>| {
        w.a.first(|e| matches!(e, Event::ToneChange { tone, .. } if *tone == t))
            .unwrap()
    };
    let gap = at(Some('9')) - at(Some('#'));
    assert!(
        gap >= Duration::from_millis(2100) && gap < Duration::from_millis(2300),
        "{gap:?}"
    );
    assert!(w.b.peer.transceivers()[0].kind == MediaKind::Audio);
}

/// A sender paused by a direction change and resumed goes on with its stream: the same
/// SSRC, the next sequence number (RFC 3550 §5.1). A restarted random sequence would look
/// like replays to the peer's SRTP when it fell behind the last one (RFC 3711 §3.3.2);
/// browsers then drop everything (the live renegotiation test with Firefox found it).
#[test]
fn a_sender_resumed_after_a_direction_change_continues_its_sequence() {
    let (mut w, video) = video_world(55, lossy(0.0));
    let vp8 = w.a.peer.sender_parameters(video).unwrap().codecs[0].0;
    // The first frame after the pause is a key frame: B's receiver starts afresh.
    let send = |w: &mut World, n: u32| {
        let mut data = vp8_frame(if n == 15 { 0 } else { n }, 300);
        data[10..14].copy_from_slice(&n.to_be_bytes());
        w.a.peer
            .write_frame(w.now, video, OutgoingFrame::new(vp8, n * 3000, &data))
    };
    for n in 0..10 {
        assert!(send(&mut w, n).unwrap());
        w.run_for(Duration::from_millis(33));
    }
    for (direction, frames) in [(Direction::Inactive, 10..15), (Direction::SendOnly, 15..25)] {
        w.a.peer.set_direction(w.now, video, direction).unwrap();
        w.offer();
        w.run_for(Duration::from_millis(300));
        assert_eq!(
            w.a.peer.transceiver(video).unwrap().current_direction,
            Some(direction)
        );
        for n in frames {
            let sent = send(&mut w, n);
            assert_eq!(sent.is_ok(), direction.sends(), "{direction:?}: {sent:?}");
            w.run_for(Duration::from_millis(33));
        }
    }
    let got = frames_at_b(&w);
    let numbers: Vec<u32> = got.iter().map(|f| number(f)).collect();
    let want: Vec<u32> = (0..10).chain(15..25).collect();
    assert_eq!(numbers, want, "every frame sent arrived, in order");
    let ssrcs: Vec<u32> = got.iter().map(|f| f.ssrc).collect();
    assert!(ssrcs.iter().all(|s| *s == ssrcs[0]), "one SSRC: {ssrcs:?}");
    for pair in got.windows(2) {
        assert_eq!(
            pair[1].sequence.0,
            pair[0].sequence.1.wrapping_add(1),
            "the sequence goes on across the pause"
        );
    }
}
