//! The video frame buffer: whole frames in order through loss (NACK and retransmission), a
//! key-frame request when a frame cannot be repaired, and its limits.

mod support;

use std::collections::HashMap;
use std::time::Duration;

use rtcweb_media::{VideoBufferConfig, VideoCodec, VideoEvent, VideoFrameBuffer};
use rtcweb_netsim::LinkConfig;
use rtcweb_rtp::payload::{Frame, H264Packetizer, Vp8Packetizer};
use support::{TwoHosts, epoch};

/// One RTP packet's worth, as the buffer takes it.
#[derive(Debug, Clone)]
struct Packet {
    seq: u16,
    timestamp: u32,
    marker: bool,
    payload: Vec<u8>,
}

/// A VP8 sender: frames of `size` bytes, a key frame first and whenever asked.
struct Vp8Sender {
    packetizer: Vp8Packetizer,
    seq: u16,
    frame_no: u32,
    keyframe_asked: bool,
    sent: HashMap<u16, Packet>,
    /// The frames sent, by timestamp, to compare with what comes out.
    frames: HashMap<u32, Vec<u8>>,
}

impl Vp8Sender {
    fn new(first_seq: u16) -> Self {
        Self {
            packetizer: Vp8Packetizer::new(1000, 100),
            seq: first_seq,
            frame_no: 0,
            keyframe_asked: true,
            sent: HashMap::new(),
            frames: HashMap::new(),
        }
    }

    fn next_frame(&mut self, size: usize) -> Vec<Packet> {
        let keyframe = std::mem::take(&mut self.keyframe_asked);
        // VP8 payload header (RFC 7741 §4.3): P bit 0 for a key frame.
        let mut data = vec![if keyframe { 0x10 } else { 0x11 }];
        data.extend((1..size).map(|i| (i as u32 ^ self.frame_no) as u8));
        let timestamp = self.frame_no.wrapping_mul(3000).wrapping_add(7);
        self.frame_no += 1;
        self.frames.insert(timestamp, data.clone());
        let payloads = self.packetizer.packetize(&data);
        let n = payloads.len();
        payloads
            .into_iter()
            .enumerate()
            .map(|(i, payload)| {
                let p = Packet {
                    seq: self.seq,
                    timestamp,
                    marker: i + 1 == n,
                    payload,
                };
                self.sent.insert(p.seq, p.clone());
                self.seq = self.seq.wrapping_add(1);
                p
            })
            .collect()
    }
}

fn encode(p: &Packet) -> Vec<u8> {
    let mut out = vec![1];
    out.extend_from_slice(&p.seq.to_be_bytes());
    out.extend_from_slice(&p.timestamp.to_be_bytes());
    out.push(u8::from(p.marker));
    out.extend_from_slice(&p.payload);
    out
}

fn decode(d: &[u8]) -> Packet {
    Packet {
        seq: u16::from_be_bytes([d[1], d[2]]),
        timestamp: u32::from_be_bytes([d[3], d[4], d[5], d[6]]),
        marker: d[7] == 1,
        payload: d[8..].to_vec(),
    }
}

fn drain(buffer: &mut VideoFrameBuffer) -> (Vec<Frame>, Vec<Vec<u16>>, usize) {
    let (mut frames, mut nacks, mut plis) = (Vec::new(), Vec::new(), 0);
    while let Some(e) = buffer.poll_event() {
        match e {
            VideoEvent::Frame(f) => frames.push(f),
            VideoEvent::Nack(n) => nacks.push(n),
            VideoEvent::KeyframeRequest => plis += 1,
        }
    }
    (frames, nacks, plis)
}

#[test]
fn every_frame_arrives_whole_and_in_order_through_loss() {
    let start = epoch();
    let lossy = LinkConfig {
        delay: Duration::from_millis(20),
        jitter: Duration::from_millis(2),
        loss: 0.05,
        duplicate: 0.01,
        reorder: 0.01,
    };
    let TwoHosts {
        mut net,
        a,
        b,
        ha,
        hb,
    } = TwoHosts::new(5, start, lossy, lossy);
    let mut sender = Vp8Sender::new(65_000); // wraps within the first second
    let mut buffer = VideoFrameBuffer::new(VideoBufferConfig::new(VideoCodec::Vp8));
    buffer.set_rtt(Duration::from_millis(45));
    let (mut got, mut nacks, mut plis, mut retransmitted) = (Vec::new(), 0, 0, 0);
    let frame_interval = Duration::from_millis(33);
    let frames = 300;
    let mut next_frame = start;
    let mut now = start;
    let end = start + frame_interval * (frames + 60);
    while now < end {
        now = [
            (sender.frame_no < frames).then_some(next_frame),
            net.poll_timeout(),
            buffer.poll_timeout(),
            Some(end),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap();
        net.advance_to(now);
        buffer.handle_timeout(now);
        if sender.frame_no < frames && now >= next_frame {
            for p in sender.next_frame(2500) {
                net.send(ha, a, b, encode(&p));
            }
            next_frame += frame_interval;
        }
        while let Some(d) = net.poll_delivery(hb) {
            let p = decode(&d.contents);
            buffer.handle_packet(now, p.seq, p.timestamp, p.marker, &p.payload);
        }
        while let Some(d) = net.poll_delivery(ha) {
            // Feedback: 2 = NACK (sequence numbers), 3 = PLI.
            if d.contents[0] == 2 {
                for s in d.contents[1..].chunks(2) {
                    let seq = u16::from_be_bytes([s[0], s[1]]);
                    if let Some(p) = sender.sent.get(&seq) {
                        retransmitted += 1;
                        net.send(ha, a, b, encode(p));
                    }
                }
            } else {
                sender.keyframe_asked = true;
            }
        }
        let (frames_out, nack_lists, pli) = drain(&mut buffer);
        got.extend(frames_out);
        for list in nack_lists {
            nacks += 1;
            let mut msg = vec![2];
            for s in list {
                msg.extend_from_slice(&s.to_be_bytes());
            }
            net.send(hb, b, a, msg);
        }
        for _ in 0..pli {
            plis += 1;
            net.send(hb, b, a, vec![3]);
        }
    }
    let stats = buffer.stats();
    println!(
        "lost {} of {} datagrams; {nacks} NACKs, {retransmitted} retransmissions, {} recovered, {plis} PLIs",
        net.stats().lost,
        net.stats().sent,
        stats.packets_recovered
    );
    assert!(net.stats().lost > 20, "the link lost too little to test");
    assert!(nacks > 0 && stats.packets_recovered > 0);
    assert_eq!(plis, 0, "every loss was repaired by retransmission");
    assert_eq!(got.len(), frames as usize);
    assert!(got[0].keyframe);
    for (i, f) in got.iter().enumerate() {
        assert_eq!(f.timestamp, (i as u32) * 3000 + 7, "in order");
        assert_eq!(f.data, sender.frames[&f.timestamp], "whole");
    }
    assert_eq!(stats.frames_assembled, u64::from(frames));
    assert_eq!(stats.frames_dropped, 0);
}

#[test]
fn an_unrepairable_frame_leads_to_a_keyframe_request() {
    let t0 = epoch();
    let mut buffer = VideoFrameBuffer::new(VideoBufferConfig::new(VideoCodec::Vp8));
    buffer.set_rtt(Duration::from_millis(50));
    let mut sender = Vp8Sender::new(10);
    let mut now = t0;
    let mut delivered = Vec::new();
    let mut plis = 0;
    let mut nacked = Vec::new();
    // Frame 3's second packet is lost for good (the sender's history forgot it).
    for k in 0..40u32 {
        let packets = sender.next_frame(2500);
        for (i, p) in packets.iter().enumerate() {
            if k == 3 && i == 1 {
                continue;
            }
            buffer.handle_packet(now, p.seq, p.timestamp, p.marker, &p.payload);
        }
        let frame_end = now + Duration::from_millis(33);
        while let Some(t) = buffer.poll_timeout().filter(|t| *t <= frame_end) {
            now = t.max(now);
            buffer.handle_timeout(now);
        }
        now = frame_end;
        let (f, n, p) = drain(&mut buffer);
        delivered.extend(f.into_iter().map(|f| (f.timestamp - 7) / 3000));
        nacked.extend(n.into_iter().flatten());
        if p > 0 {
            plis += p;
            sender.keyframe_asked = true;
        }
    }
    let stats = buffer.stats();
    // The missing packet was NACKed up to the limit, then given up.
    let lost_seq = 10 + 3 * 3 + 1;
    assert_eq!(nacked.iter().filter(|s| **s == lost_seq).count(), 10);
    assert_eq!(plis, 1, "one request, answered by a key frame");
    // Frames 0..3 out; 3 and the delta frames until the key frame are dropped; then on.
    let resumed = delivered.iter().position(|f| *f > 3).unwrap();
    assert_eq!(&delivered[..resumed], &[0, 1, 2]);
    let key = delivered[resumed];
    assert!((5..40).contains(&key));
    assert_eq!(delivered[resumed..], (key..40).collect::<Vec<_>>()[..]);
    assert!(stats.frames_dropped >= u64::from(key - 3));
    assert_eq!(stats.keyframes_assembled, 2);
}

#[test]
fn reordering_within_the_wait_sends_no_nack() {
    let t0 = epoch();
    let mut buffer = VideoFrameBuffer::new(VideoBufferConfig::new(VideoCodec::Vp8));
    let mut sender = Vp8Sender::new(500);
    let mut packets = sender.next_frame(3500);
    packets.swap(1, 2);
    for p in &packets {
        buffer.handle_packet(t0, p.seq, p.timestamp, p.marker, &p.payload);
    }
    buffer.handle_timeout(t0 + Duration::from_millis(50));
    let (frames, nacks, plis) = drain(&mut buffer);
    assert_eq!((frames.len(), nacks.len(), plis), (1, 0, 0));
    assert_eq!(frames[0].data, sender.frames[&frames[0].timestamp]);
}

#[test]
fn joining_mid_stream_asks_for_a_keyframe_first() {
    let t0 = epoch();
    let mut buffer = VideoFrameBuffer::new(VideoBufferConfig::new(VideoCodec::Vp8));
    let mut sender = Vp8Sender::new(0);
    sender.next_frame(1500); // the key frame, missed
    let mut now = t0;
    let mut plis = 0;
    let mut frames = Vec::new();
    for k in 0..20 {
        if k == 12 {
            // The sender answers the request late.
            sender.keyframe_asked = true;
        }
        for p in sender.next_frame(1500) {
            buffer.handle_packet(now, p.seq, p.timestamp, p.marker, &p.payload);
        }
        buffer.handle_timeout(now);
        let (f, _, p) = drain(&mut buffer);
        plis += p;
        frames.extend(f);
        now += Duration::from_millis(33);
    }
    // Repeated every 300 ms while no key frame came (at 0 and 330 ms), then frames 12..20.
    assert_eq!(plis, 2);
    assert_eq!(frames.len(), 8);
    assert!(frames[0].keyframe);
    assert!(frames[1..].iter().all(|f| !f.keyframe));
}

#[test]
fn h264_access_units_are_assembled_and_repaired_by_keyframe() {
    let t0 = epoch();
    let mut buffer = VideoFrameBuffer::new(VideoBufferConfig {
        max_wait: Duration::from_millis(200),
        ..VideoBufferConfig::new(VideoCodec::H264)
    });
    let packetizer = H264Packetizer::new(1000);
    let sps = [0x67, 0x42, 0xe0, 0x1f, 0x8c, 0x8d];
    let pps = [0x68, 0xce, 0x3c, 0x80];
    let access_unit = |key: bool, n: u8| {
        let mut au = Vec::new();
        if key {
            for nal in [&sps[..], &pps[..]] {
                au.extend_from_slice(&[0, 0, 0, 1]);
                au.extend_from_slice(nal);
            }
        }
        au.extend_from_slice(&[0, 0, 0, 1]);
        // IDR slice (type 5) or non-IDR slice (type 1), large enough for FU-A.
        au.push(if key { 0x65 } else { 0x41 });
        au.extend((0..2400).map(|i| (i as u8) ^ n));
        au
    };
    let mut seq = 40_000u16;
    let mut now = t0;
    let mut out = Vec::new();
    let mut plis = 0;
    let mut key_next = true;
    for n in 0..30u8 {
        let key = std::mem::take(&mut key_next);
        let payloads = packetizer.packetize(&access_unit(key, n));
        let count = payloads.len();
        for (i, payload) in payloads.iter().enumerate() {
            let s = seq;
            seq = seq.wrapping_add(1);
            if n == 8 && i == 1 {
                continue; // lost, never repaired
            }
            buffer.handle_packet(now, s, u32::from(n) * 3000, i + 1 == count, payload);
        }
        now += Duration::from_millis(33);
        buffer.handle_timeout(now);
        let (f, _, p) = drain(&mut buffer);
        out.extend(f);
        if p > 0 {
            plis += p;
            key_next = true;
        }
    }
    assert_eq!(plis, 1);
    let numbers: Vec<u32> = out.iter().map(|f| f.timestamp / 3000).collect();
    assert_eq!(&numbers[..8], &(0..8).collect::<Vec<_>>()[..]);
    let key = numbers[8];
    assert!(key > 8);
    assert_eq!(numbers[8..], (key..30).collect::<Vec<_>>()[..]);
    assert!(out[0].keyframe && out[8].keyframe);
    // Annex B out, byte for byte what went in.
    assert_eq!(out[0].data, access_unit(true, 0));
    assert_eq!(out[1].data, access_unit(false, 1));
}

#[test]
fn limits_hold_under_floods_and_gaps() {
    let t0 = epoch();
    let config = VideoBufferConfig::new(VideoCodec::Vp8);
    let mut buffer = VideoFrameBuffer::new(config.clone());
    let mut sender = Vp8Sender::new(0);
    for p in sender.next_frame(1000) {
        buffer.handle_packet(t0, p.seq, p.timestamp, p.marker, &p.payload);
    }
    // A jump of 5000 sequence numbers: too many to NACK.
    let p = &sender.next_frame(1000)[0];
    buffer.handle_packet(t0, p.seq.wrapping_add(5000), p.timestamp, true, &p.payload);
    assert!(buffer.missing() <= config.max_missing);
    let (_, _, plis) = drain(&mut buffer);
    assert_eq!(plis, 1);
    // A flood of frame starts that never end: held packets stay bounded.
    let mut seq = 6000u16;
    for i in 0..10_000u32 {
        buffer.handle_packet(t0, seq, i * 10, false, &[0x10, 0x00, 0x11]);
        seq = seq.wrapping_add(2);
        assert!(buffer.len() <= config.max_packets);
        assert!(buffer.missing() <= config.max_missing);
    }
    // Garbage is discarded, not held.
    let before = buffer.stats().packets_discarded;
    buffer.handle_packet(t0, 1, 1, true, &[]);
    buffer.handle_packet(t0, 2, 1, true, &[0x80]);
    assert_eq!(buffer.stats().packets_discarded, before + 2);
    // Nobody polls: events stay bounded too.
    for _ in 0..10 {
        buffer.handle_timeout(t0 + Duration::from_secs(5));
    }
    let mut events = 0;
    while buffer.poll_event().is_some() {
        events += 1;
    }
    assert!(events <= config.max_events);
}
