//! The receive side of a video stream: packets in as they arrive, whole frames out in
//! decoding order, NACKs for missing packets (RFC 4585 §6.2.1) and key-frame requests (PLI,
//! RFC 4585 §6.3.1) when a frame cannot complete in time.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use rtcweb_rtp::payload::{
    DepacketizeError, Frame, H264Depacketizer, Vp8Depacketizer, Vp8Descriptor, Vp9Depacketizer,
    Vp9Descriptor,
};

/// The codec of the stream, which says where frames start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VideoCodec {
    /// VP8 (RFC 7741).
    Vp8,
    /// H.264, packetization-mode 1 (RFC 6184).
    H264,
    /// VP9 (RFC 9628).
    Vp9,
}

/// Settings of the [`VideoFrameBuffer`].
#[derive(Debug, Clone)]
pub struct VideoBufferConfig {
    /// The codec.
    pub codec: VideoCodec,
    /// Most packets held (frames waiting for a missing packet included).
    pub max_packets: usize,
    /// Most sequence numbers tracked as missing; beyond that, a key frame is asked for.
    pub max_missing: usize,
    /// How long a gap may be reordering before the first NACK.
    pub reorder_wait: Duration,
    /// NACKs of one packet at most.
    pub max_nacks: u32,
    /// How long a frame may wait for a missing packet before it is given up and a key frame
    /// is asked for.
    pub max_wait: Duration,
    /// Least time between two key-frame requests.
    pub keyframe_request_interval: Duration,
    /// Most events held unpolled; beyond that the oldest frame is dropped.
    pub max_events: usize,
}

impl VideoBufferConfig {
    /// Defaults for a codec: 2048 packets, 1000 missing, 5 ms reordering wait, 10 NACKs per
    /// packet, 1 s wait, a key-frame request at most every 300 ms.
    pub fn new(codec: VideoCodec) -> Self {
        Self {
            codec,
            max_packets: 2048,
            max_missing: 1000,
            reorder_wait: Duration::from_millis(5),
            max_nacks: 10,
            max_wait: Duration::from_secs(1),
            keyframe_request_interval: Duration::from_millis(300),
            max_events: 256,
        }
    }
}

/// What the owner must act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VideoEvent {
    /// A whole frame, in decoding order; the first is a key frame, and each one follows the
    /// one before without a gap.
    Frame(Frame),
    /// Send a generic NACK (RFC 4585 §6.2.1) for these sequence numbers
    /// (`rtcweb_rtp::rtcp::Nack::from_lost`).
    Nack(Vec<u16>),
    /// Send a PLI (RFC 4585 §6.3.1): decoding cannot go on without a key frame.
    KeyframeRequest,
}

/// Counters, named as in webrtc-stats `inbound-rtp` where there is a name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct VideoStats {
    /// Frames handed out (`framesReceived`, here only whole ones).
    pub frames_assembled: u64,
    /// Of those, key frames.
    pub keyframes_assembled: u64,
    /// Frames given up or skipped (a packet never came, or no key frame before them).
    pub frames_dropped: u64,
    /// NACK messages asked for (`nackCount`).
    pub nack_count: u64,
    /// Sequence numbers NACKed, retries included.
    pub packets_nacked: u64,
    /// Packets that came after being NACKed.
    pub packets_recovered: u64,
    /// Key-frame requests (`pliCount`).
    pub pli_count: u64,
    /// Packets discarded: duplicates, too late, malformed, or over a limit.
    pub packets_discarded: u64,
}

#[derive(Debug, Clone)]
struct Held {
    timestamp: u32,
    marker: bool,
    /// What the payload says about starting a frame: `Some(true)` starts one,
    /// `Some(false)` does not, `None` cannot tell (the packet before decides).
    starts: Option<bool>,
    payload: Vec<u8>,
}

#[derive(Debug, Clone, Copy)]
struct Missing {
    since: Instant,
    nacks: u32,
    last_nack: Option<Instant>,
}

/// Assembles frames from packets and decides on NACKs and key-frame requests. Sans-IO:
/// [`handle_packet`](Self::handle_packet) and [`handle_timeout`](Self::handle_timeout) take
/// the time; [`poll_event`](Self::poll_event) gives what to do.
#[derive(Debug, Clone)]
pub struct VideoFrameBuffer {
    config: VideoBufferConfig,
    rtt: Duration,
    packets: BTreeMap<u64, Held>,
    missing: BTreeMap<u64, Missing>,
    highest: Option<u64>,
    /// First sequence number of the next frame to hand out; `None` while waiting for a key
    /// frame (at the start and after giving up).
    next: Option<u64>,
    /// Everything below this was handed out or given up.
    floor: u64,
    keyframe_wanted: bool,
    last_keyframe_request: Option<Instant>,
    events: VecDeque<VideoEvent>,
    stats: VideoStats,
}

impl VideoFrameBuffer {
    /// An empty buffer.
    pub fn new(config: VideoBufferConfig) -> Self {
        Self {
            config,
            rtt: Duration::from_millis(100),
            packets: BTreeMap::new(),
            missing: BTreeMap::new(),
            highest: None,
            next: None,
            floor: 0,
            keyframe_wanted: false,
            last_keyframe_request: None,
            events: VecDeque::new(),
            stats: VideoStats::default(),
        }
    }

    /// The round-trip time (from RTCP), which spaces NACK retries.
    pub fn set_rtt(&mut self, rtt: Duration) {
        self.rtt = rtt.max(Duration::from_millis(5));
    }

    /// Counters.
    pub fn stats(&self) -> VideoStats {
        self.stats
    }

    /// Packets held.
    pub fn len(&self) -> usize {
        self.packets.len()
    }

    /// Whether no packet is held.
    pub fn is_empty(&self) -> bool {
        self.packets.is_empty()
    }

    /// Sequence numbers currently missing.
    pub fn missing(&self) -> usize {
        self.missing.len()
    }

    fn extend(&self, seq: u16) -> u64 {
        match self.highest {
            None => u64::from(seq) + (1 << 16),
            Some(last) => {
                let candidate = (last & !0xffff) | u64::from(seq);
                [
                    candidate.wrapping_sub(1 << 16),
                    candidate,
                    candidate + (1 << 16),
                ]
                .into_iter()
                .min_by_key(|c| c.abs_diff(last))
                .unwrap_or(candidate)
            }
        }
    }

    /// What a payload says about starting a frame.
    fn starts(&self, payload: &[u8]) -> Option<bool> {
        match self.config.codec {
            // RFC 7741 §4.2: S set on the first packet of partition 0.
            VideoCodec::Vp8 => {
                Vp8Descriptor::parse(payload).map(|d| d.start && d.partition_id == 0)
            }
            // RFC 9628 §4.2: B set on the first packet of the base layer's frame.
            VideoCodec::Vp9 => Vp9Descriptor::parse(payload).map(|d| d.starts_picture()),
            VideoCodec::H264 => {
                let nal = *payload.first()?;
                match nal & 0x1f {
                    // SPS or access unit delimiter open an access unit (H.264 §7.4.1.2.3).
                    7 | 9 => Some(true),
                    // STAP-A (RFC 6184 §5.7.1): look at its first NAL unit.
                    24 => payload
                        .get(3)
                        .and_then(|h| matches!(h & 0x1f, 7 | 9).then_some(true)),
                    // FU-A without the start bit continues a NAL unit (RFC 6184 §5.8).
                    28 => payload
                        .get(1)
                        .and_then(|h| (h & 0x80 == 0).then_some(false)),
                    _ => None,
                }
            }
        }
    }

    /// A video RTP packet arrived (after SRTP, RTX already unwrapped).
    pub fn handle_packet(
        &mut self,
        now: Instant,
        seq: u16,
        timestamp: u32,
        marker: bool,
        payload: &[u8],
    ) {
        let ext = self.extend(seq);
        if ext < self.floor || self.packets.contains_key(&ext) {
            self.stats.packets_discarded += 1;
            return;
        }
        let Some(starts) = self.starts_or_discard(payload) else {
            return;
        };
        match self.highest {
            None => self.highest = Some(ext),
            Some(h) if ext > h => {
                let gap = ext - h - 1;
                if self.missing.len() as u64 + gap > self.config.max_missing as u64 {
                    // Too much lost to NACK (RFC 4585 §6.2.1 leaves it to us): start over
                    // from a key frame.
                    self.missing.clear();
                    self.give_up(now, ext);
                } else {
                    for s in h + 1..ext {
                        self.missing.insert(
                            s,
                            Missing {
                                since: now,
                                nacks: 0,
                                last_nack: None,
                            },
                        );
                    }
                }
                self.highest = Some(ext);
            }
            Some(_) => {
                if let Some(m) = self.missing.remove(&ext)
                    && m.nacks > 0
                {
                    self.stats.packets_recovered += 1;
                }
            }
        }
        if self.packets.len() >= self.config.max_packets {
            // Full: what is held cannot complete soon enough; wait for a key frame.
            self.stats.packets_discarded += self.packets.len() as u64;
            self.give_up(now, ext);
            self.packets.clear();
            self.missing.clear();
        }
        self.packets.insert(
            ext,
            Held {
                timestamp,
                marker,
                starts,
                payload: payload.to_vec(),
            },
        );
        self.assemble(now, Some(ext));
        self.send_nacks(now);
    }

    fn starts_or_discard(&mut self, payload: &[u8]) -> Option<Option<bool>> {
        let malformed = match self.config.codec {
            VideoCodec::Vp8 => Vp8Descriptor::parse(payload).is_none(),
            VideoCodec::Vp9 => Vp9Descriptor::parse(payload).is_none(),
            VideoCodec::H264 => payload.is_empty(),
        };
        if malformed {
            self.stats.packets_discarded += 1;
            return None;
        }
        Some(self.starts(payload))
    }

    /// Whether the packet at `s` opens a frame.
    fn opens_frame(&self, s: u64) -> bool {
        let Some(p) = self.packets.get(&s) else {
            return false;
        };
        if let Some(starts) = p.starts {
            return starts;
        }
        if self.next == Some(s) {
            return true;
        }
        match s.checked_sub(1).and_then(|prev| self.packets.get(&prev)) {
            Some(prev) => prev.marker || prev.timestamp != p.timestamp,
            None => false,
        }
    }

    /// The last sequence number of the frame opening at `first`, if all its packets are here.
    fn complete_from(&self, first: u64) -> Option<u64> {
        let timestamp = self.packets.get(&first)?.timestamp;
        let mut s = first;
        loop {
            let p = self.packets.get(&s)?;
            if p.timestamp != timestamp {
                // The frame ended without a marker (the sender's choice): it ends before.
                return Some(s - 1);
            }
            if p.marker {
                return Some(s);
            }
            s += 1;
        }
    }

    /// Depacketizes `first..=last` and removes those packets.
    fn take_frame(&mut self, first: u64, last: u64) -> Result<Frame, DepacketizeError> {
        let mut vp8 = Vp8Depacketizer::new();
        let mut vp9 = Vp9Depacketizer::new();
        let mut h264 = H264Depacketizer::new();
        let mut frame = None;
        for s in first..=last {
            let Some(p) = self.packets.remove(&s) else {
                return Err(DepacketizeError::Gap);
            };
            // Force the end of the frame at `last` even without a marker.
            let marker = s == last;
            let pushed = match self.config.codec {
                VideoCodec::Vp8 => vp8.push(s as u16, p.timestamp, marker, &p.payload),
                VideoCodec::Vp9 => vp9.push(s as u16, p.timestamp, marker, &p.payload),
                VideoCodec::H264 => h264.push(s as u16, p.timestamp, marker, &p.payload),
            };
            if let Some(f) = pushed? {
                frame = Some(f);
            }
        }
        frame.ok_or(DepacketizeError::Gap)
    }

    /// Where the frame holding the packet `s` starts, walking back over held packets.
    fn frame_start_of(&self, s: u64) -> Option<u64> {
        let mut first = s;
        while !self.opens_frame(first) {
            first = first.checked_sub(1)?;
            self.packets.get(&first)?;
        }
        Some(first)
    }

    /// Frame starts to look at for a complete frame: near `hint` (the packet that just came,
    /// which can only complete its own frame or let the next one start), or all of them.
    fn candidate_starts(&self, after: u64, hint: Option<u64>) -> Vec<u64> {
        match hint {
            Some(h) => [self.frame_start_of(h), Some(h + 1)]
                .into_iter()
                .flatten()
                .filter(|s| *s >= after && self.opens_frame(*s))
                .collect(),
            None => self
                .packets
                .range(after..)
                .map(|(s, _)| *s)
                .filter(|s| self.opens_frame(*s))
                .collect(),
        }
    }

    /// The first complete key frame opening at or after `after`, as (first, last); and
    /// whether a complete frame that is not a key frame was seen.
    fn find_keyframe(&self, after: u64, hint: Option<u64>) -> (Option<(u64, u64)>, bool) {
        let mut undecodable = false;
        for first in self.candidate_starts(after, hint) {
            if let Some(last) = self.complete_from(first) {
                if self.is_keyframe(first, last) {
                    return (Some((first, last)), undecodable);
                }
                undecodable = true;
            }
        }
        (None, undecodable)
    }

    fn is_keyframe(&self, first: u64, last: u64) -> bool {
        match self.config.codec {
            // RFC 7741 §4.3: the P bit of the VP8 payload header, 0 for a key frame.
            VideoCodec::Vp8 => self.packets.get(&first).is_some_and(|p| {
                Vp8Descriptor::parse(&p.payload)
                    .and_then(|d| p.payload.get(d.len).copied())
                    .is_some_and(|b| b & 0x01 == 0)
            }),
            // RFC 9628 §4.2: P = 0 on the base layer's first packet.
            VideoCodec::Vp9 => self.packets.get(&first).is_some_and(|p| {
                Vp9Descriptor::parse(&p.payload).is_some_and(|d| d.starts_keyframe())
            }),
            // An IDR slice (type 5) anywhere in the access unit.
            VideoCodec::H264 => {
                let mut depacketizer = H264Depacketizer::new();
                let mut keyframe = false;
                for s in first..=last {
                    let Some(p) = self.packets.get(&s) else {
                        return false;
                    };
                    if let Ok(Some(f)) =
                        depacketizer.push(s as u16, p.timestamp, s == last, &p.payload)
                    {
                        keyframe = f.keyframe;
                    }
                }
                keyframe
            }
        }
    }

    /// Drops everything below `upto` and waits for a key frame.
    fn give_up(&mut self, now: Instant, upto: u64) {
        let dropped = self.drop_below(upto);
        self.stats.frames_dropped += dropped.max(u64::from(self.next.is_some()));
        self.next = None;
        self.keyframe_wanted = true;
        self.request_keyframe(now);
    }

    fn request_keyframe(&mut self, now: Instant) {
        let due = self.last_keyframe_request.is_none_or(|t| {
            now.saturating_duration_since(t) >= self.config.keyframe_request_interval
        });
        if due {
            self.last_keyframe_request = Some(now);
            self.stats.pli_count += 1;
            self.push_event(VideoEvent::KeyframeRequest);
        }
    }

    fn push_event(&mut self, event: VideoEvent) {
        if self.events.len() >= self.config.max_events {
            // The owner is not polling: drop the oldest frame (or event) to stay bounded.
            let oldest_frame = self
                .events
                .iter()
                .position(|e| matches!(e, VideoEvent::Frame(_)))
                .unwrap_or(0);
            if let Some(VideoEvent::Frame(_)) = self.events.remove(oldest_frame) {
                self.stats.frames_dropped += 1;
            }
        }
        self.events.push_back(event);
    }

    /// Hands out every frame that can be; `hint` is the packet that just came (`None`: look
    /// at everything).
    fn assemble(&mut self, now: Instant, mut hint: Option<u64>) {
        loop {
            let next = match self.next {
                Some(n) => n,
                None => {
                    let (found, undecodable) = self.find_keyframe(self.floor, hint);
                    let Some((first, _)) = found else {
                        if undecodable {
                            // A complete frame that is not a key frame cannot be decoded.
                            self.keyframe_wanted = true;
                            self.request_keyframe(now);
                        }
                        return;
                    };
                    self.skip_to(first, false);
                    first
                }
            };
            let Some(last) = self.complete_from(next) else {
                // Stuck on a missing packet; a complete key frame further on ends the wait.
                if let (Some((first, _)), _) = self.find_keyframe(next + 1, hint) {
                    self.skip_to(first, true);
                    continue;
                }
                return;
            };
            // Frames after this one are complete only if they were before the packet came.
            hint = None;
            match self.take_frame(next, last) {
                Ok(frame) => {
                    self.stats.frames_assembled += 1;
                    if frame.keyframe {
                        self.stats.keyframes_assembled += 1;
                    }
                    self.keyframe_wanted = false;
                    self.floor = last + 1;
                    self.next = Some(last + 1);
                    self.missing = self.missing.split_off(&(last + 1));
                    self.push_event(VideoEvent::Frame(frame));
                }
                Err(_) => {
                    // Malformed: the decoder cannot follow, start over from a key frame.
                    self.stats.packets_discarded += last - next + 1;
                    self.give_up(now, last + 1);
                }
            }
        }
    }

    /// Drops what comes before `first` and makes it the next frame; `pending` says a frame
    /// was being waited for (it counts as dropped even with none of its packets here).
    fn skip_to(&mut self, first: u64, pending: bool) {
        let dropped = self.drop_below(first);
        self.stats.frames_dropped += dropped.max(u64::from(pending));
        self.next = Some(first);
    }

    /// Forgets packets and gaps below `upto`; returns how many frames that dropped.
    fn drop_below(&mut self, upto: u64) -> u64 {
        let frames = self
            .packets
            .range(..upto)
            .map(|(_, p)| p.timestamp)
            .collect::<std::collections::BTreeSet<_>>()
            .len() as u64;
        self.packets = self.packets.split_off(&upto);
        self.missing = self.missing.split_off(&upto);
        self.floor = self.floor.max(upto);
        frames
    }

    fn retry_interval(&self) -> Duration {
        self.rtt.max(Duration::from_millis(10))
    }

    /// When the missing packet `m` should be NACKed next, if ever.
    fn nack_due(&self, m: &Missing) -> Option<Instant> {
        if m.nacks >= self.config.max_nacks {
            return None;
        }
        Some(match m.last_nack {
            None => m.since + self.config.reorder_wait,
            Some(t) => t + self.retry_interval(),
        })
    }

    fn send_nacks(&mut self, now: Instant) {
        let mut seqs = Vec::new();
        let retry = self.retry_interval();
        let max = self.config.max_nacks;
        let wait = self.config.reorder_wait;
        for (s, m) in self.missing.iter_mut() {
            let due = match m.last_nack {
                _ if m.nacks >= max => continue,
                None => m.since + wait,
                Some(t) => t + retry,
            };
            if now >= due {
                m.nacks += 1;
                m.last_nack = Some(now);
                seqs.push(*s as u16);
            }
        }
        if !seqs.is_empty() {
            self.stats.nack_count += 1;
            self.stats.packets_nacked += seqs.len() as u64;
            self.push_event(VideoEvent::Nack(seqs));
        }
    }

    /// The first missing packet the next frame waits for, if any.
    fn blocking_gap(&self) -> Option<(u64, Missing)> {
        let next = self.next?;
        self.missing.range(next..).next().map(|(s, m)| (*s, *m))
    }

    /// Time passed: NACK retries, giving up on frames, repeated key-frame requests.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some((s, m)) = self.blocking_gap() {
            let exhausted = m.nacks >= self.config.max_nacks
                && m.last_nack
                    .is_some_and(|t| now >= t + self.retry_interval());
            if exhausted || now >= m.since + self.config.max_wait {
                // RFC 4585 §6.3.1: a picture that cannot be repaired calls for a PLI.
                self.give_up(now, s + 1);
                self.assemble(now, None);
            }
        }
        if self.keyframe_wanted && self.next.is_none() {
            self.request_keyframe(now);
        }
        self.send_nacks(now);
    }

    /// When [`handle_timeout`](Self::handle_timeout) is next due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let nacks = self.missing.values().filter_map(|m| self.nack_due(m)).min();
        let give_up = self.blocking_gap().map(|(_, m)| {
            let by_wait = m.since + self.config.max_wait;
            match m.last_nack {
                Some(t) if m.nacks >= self.config.max_nacks => {
                    by_wait.min(t + self.retry_interval())
                }
                _ => by_wait,
            }
        });
        let keyframe = if self.keyframe_wanted && self.next.is_none() {
            self.last_keyframe_request
                .map(|t| t + self.config.keyframe_request_interval)
        } else {
            None
        };
        [nacks, give_up, keyframe].into_iter().flatten().min()
    }

    /// The next thing to do: a frame to decode, a NACK or a PLI to send.
    pub fn poll_event(&mut self) -> Option<VideoEvent> {
        self.events.pop_front()
    }
}

#[cfg(test)]
mod tests {
    //! The buffer's rules one by one, with hand-made VP8 packets: a one-byte descriptor
    //! (S bit on the first packet of a frame, RFC 7741 §4.2) and, on that first packet, a
    //! payload header whose P bit is 0 for a key frame (§4.3).

    use super::*;

    fn t0() -> Instant {
        #[allow(clippy::disallowed_methods)]
        Instant::now()
    }

    fn ms(t: Instant, ms: u64) -> Instant {
        t + Duration::from_millis(ms)
    }

    /// The payload of packet `index` of a frame: `data` after the descriptor.
    fn payload(index: usize, key: bool, data: u8) -> Vec<u8> {
        if index == 0 {
            vec![0x10, if key { 0x00 } else { 0x01 }, data]
        } else {
            vec![0x00, data]
        }
    }

    /// Feeds packet `index` of the `n`-packet frame starting at `first_seq`.
    fn feed(
        b: &mut VideoFrameBuffer,
        now: Instant,
        first_seq: u16,
        index: usize,
        n: usize,
        timestamp: u32,
        key: bool,
    ) {
        b.handle_packet(
            now,
            first_seq.wrapping_add(index as u16),
            timestamp,
            index + 1 == n,
            &payload(index, key, index as u8),
        );
    }

    fn frame(b: &mut VideoFrameBuffer, now: Instant, first_seq: u16, n: usize, ts: u32, key: bool) {
        for i in 0..n {
            feed(b, now, first_seq, i, n, ts, key);
        }
    }

    fn drain(b: &mut VideoFrameBuffer) -> Vec<VideoEvent> {
        std::iter::from_fn(|| b.poll_event()).collect()
    }

    fn vp8() -> VideoFrameBuffer {
        VideoFrameBuffer::new(VideoBufferConfig::new(VideoCodec::Vp8))
    }

    #[test]
    fn vp9_pictures_assemble_and_a_lost_one_waits_for_a_key_frame() {
        use rtcweb_rtp::payload::Vp9Packetizer;
        let t = t0();
        let mut b = VideoFrameBuffer::new(VideoBufferConfig::new(VideoCodec::Vp9));
        let mut p = Vp9Packetizer::new(300, 1);
        let mut seq = 500u16;
        let mut send = |b: &mut VideoFrameBuffer, at: u64, ts: u32, key: bool, skip: bool| {
            let packets = p.packetize(&[ts as u8; 1000], key, (320, 240));
            let n = packets.len();
            for (i, pkt) in packets.iter().enumerate() {
                if !(skip && i == 1) {
                    b.handle_packet(ms(t, at), seq, ts, i + 1 == n, pkt);
                }
                seq = seq.wrapping_add(1);
            }
        };
        send(&mut b, 0, 3000, true, false);
        send(&mut b, 33, 6000, false, false);
        let frames: Vec<_> = drain(&mut b)
            .into_iter()
            .filter_map(|e| match e {
                VideoEvent::Frame(f) => Some((f.timestamp, f.keyframe, f.data.len())),
                _ => None,
            })
            .collect();
        assert_eq!(frames, [(3000, true, 1000), (6000, false, 1000)]);
        // A picture loses a packet for good: the one after it is not handed out.
        send(&mut b, 66, 9000, false, true);
        send(&mut b, 100, 12000, false, false);
        b.handle_timeout(ms(t, 2000));
        let events = drain(&mut b);
        assert!(
            events
                .iter()
                .any(|e| matches!(e, VideoEvent::KeyframeRequest))
        );
        assert!(!events.iter().any(|e| matches!(e, VideoEvent::Frame(_))));
        send(&mut b, 2100, 15000, true, false);
        let keys: Vec<_> = drain(&mut b)
            .into_iter()
            .filter_map(|e| match e {
                VideoEvent::Frame(f) => Some((f.timestamp, f.keyframe)),
                _ => None,
            })
            .collect();
        assert_eq!(keys, [(15000, true)]);
    }

    #[test]
    fn a_frame_is_assembled_from_its_packets_in_any_order() {
        let t = t0();
        let orders = [
            [0, 1, 2],
            [0, 2, 1],
            [1, 0, 2],
            [1, 2, 0],
            [2, 0, 1],
            [2, 1, 0],
        ];
        for order in orders {
            let mut b = vp8();
            for (k, i) in order.into_iter().enumerate() {
                assert!(
                    drain(&mut b).is_empty(),
                    "{order:?}: nothing before the last"
                );
                feed(&mut b, ms(t, k as u64), 100, i, 3, 9000, true);
            }
            let events = drain(&mut b);
            let [VideoEvent::Frame(f)] = &events[..] else {
                panic!("{order:?}: {events:?}");
            };
            assert_eq!((f.first_seq, f.last_seq, f.timestamp), (100, 102, 9000));
            assert!(f.keyframe);
            // The VP8 payload header byte, then each packet's data byte, in sequence order.
            assert_eq!(f.data, [0x00, 0, 1, 2], "{order:?}");
            assert!(b.is_empty() && b.missing() == 0);
            let s = b.stats();
            assert_eq!((s.frames_assembled, s.keyframes_assembled), (1, 1));
            assert_eq!((s.nack_count, s.pli_count, s.packets_discarded), (0, 0, 0));
        }
    }

    #[test]
    fn a_gap_is_nacked_after_the_reordering_wait_then_again_each_rtt() {
        // RFC 4585 §6.2.1: generic NACK for the missing sequence numbers.
        let t = t0();
        let mut b = vp8();
        b.set_rtt(Duration::from_millis(50));
        frame(&mut b, t, 10, 1, 0, true);
        assert_eq!(drain(&mut b).len(), 1, "the key frame");
        // 11 and 12 (a frame of two) are missing; 13 opens the next frame.
        frame(&mut b, ms(t, 40), 13, 1, 6000, false);
        assert_eq!(b.missing(), 2);
        assert!(drain(&mut b).is_empty(), "may be reordering");
        assert_eq!(b.poll_timeout(), Some(ms(t, 45)));
        b.handle_timeout(ms(t, 44));
        assert!(drain(&mut b).is_empty());
        b.handle_timeout(ms(t, 45));
        assert_eq!(drain(&mut b), [VideoEvent::Nack(vec![11, 12])]);
        assert_eq!(b.poll_timeout(), Some(ms(t, 95)), "a retry one RTT later");
        b.handle_timeout(ms(t, 94));
        assert!(drain(&mut b).is_empty());
        b.handle_timeout(ms(t, 95));
        assert_eq!(drain(&mut b), [VideoEvent::Nack(vec![11, 12])]);

        // The retransmissions arrive: recovered, and both frames come out.
        feed(&mut b, ms(t, 100), 11, 0, 2, 3000, false);
        feed(&mut b, ms(t, 100), 11, 1, 2, 3000, false);
        let frames: Vec<u16> = drain(&mut b)
            .into_iter()
            .map(|e| match e {
                VideoEvent::Frame(f) => f.first_seq,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(frames, [11, 13]);
        let s = b.stats();
        assert_eq!(
            (s.nack_count, s.packets_nacked, s.packets_recovered),
            (2, 4, 2)
        );
        assert_eq!(b.missing(), 0);
        assert_eq!(b.poll_timeout(), None);
    }

    #[test]
    fn a_frame_that_cannot_complete_in_time_asks_for_a_key_frame() {
        // RFC 4585 §6.3.1: a picture that cannot be repaired calls for a PLI, repeated no
        // more often than the configured interval until a key frame comes.
        let t = t0();
        let mut b = vp8();
        frame(&mut b, t, 10, 1, 0, true);
        drain(&mut b);
        // The first packet of frame 11..=12 never comes; the gap is seen at 40 ms.
        feed(&mut b, ms(t, 40), 11, 1, 2, 3000, false);
        b.handle_timeout(ms(t, 1039));
        assert!(!drain(&mut b).contains(&VideoEvent::KeyframeRequest));
        b.handle_timeout(ms(t, 1040));
        let events = drain(&mut b);
        assert!(events.contains(&VideoEvent::KeyframeRequest), "{events:?}");
        assert_eq!(b.stats().pli_count, 1);
        assert_eq!(b.stats().frames_dropped, 1);
        assert_eq!(b.missing(), 0);

        // Delta frames cannot be decoded meanwhile; the request is repeated at most every
        // 300 ms.
        frame(&mut b, ms(t, 1100), 13, 1, 6000, false);
        b.handle_timeout(ms(t, 1339));
        assert!(
            drain(&mut b)
                .iter()
                .all(|e| !matches!(e, VideoEvent::Frame(_)))
        );
        assert_eq!(b.stats().pli_count, 1);
        assert_eq!(b.poll_timeout(), Some(ms(t, 1340)));
        b.handle_timeout(ms(t, 1340));
        assert_eq!(drain(&mut b), [VideoEvent::KeyframeRequest]);
        assert_eq!(b.stats().pli_count, 2);

        // The key frame ends it.
        frame(&mut b, ms(t, 1350), 14, 2, 9000, true);
        let events = drain(&mut b);
        assert!(matches!(&events[..], [VideoEvent::Frame(f)] if f.keyframe && f.first_seq == 14));
        assert_eq!(b.poll_timeout(), None);
        assert!(b.is_empty(), "what came before the key frame is gone");
    }

    #[test]
    fn old_duplicate_and_malformed_packets_are_discarded() {
        let t = t0();
        let mut b = vp8();
        feed(&mut b, t, 10, 0, 2, 0, true);
        // A duplicate of a held packet.
        feed(&mut b, t, 10, 0, 2, 0, true);
        assert_eq!(b.stats().packets_discarded, 1);
        feed(&mut b, t, 10, 1, 2, 0, true);
        assert_eq!(drain(&mut b).len(), 1);
        // Packets of a frame already handed out.
        feed(&mut b, t, 10, 0, 2, 0, true);
        feed(&mut b, t, 10, 1, 2, 0, true);
        assert_eq!(b.stats().packets_discarded, 3);
        // An empty VP8 payload has no descriptor (RFC 7741 §4.2).
        b.handle_packet(t, 12, 3000, true, &[]);
        assert_eq!(b.stats().packets_discarded, 4);
        assert!(b.is_empty() && drain(&mut b).is_empty());
    }

    #[test]
    fn sequence_numbers_wrapping_past_u16_max_stay_in_order() {
        let t = t0();
        let mut b = vp8();
        frame(&mut b, t, 65534, 3, 0, true); // 65534, 65535, 0
        frame(&mut b, ms(t, 33), 1, 2, 3000, false);
        let seqs: Vec<(u16, u16)> = drain(&mut b)
            .into_iter()
            .map(|e| match e {
                VideoEvent::Frame(f) => (f.first_seq, f.last_seq),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(seqs, [(65534, 0), (1, 2)]);
        assert_eq!(b.missing(), 0);
    }

    #[test]
    fn memory_stays_bounded_when_frames_never_complete_or_nobody_polls() {
        let t = t0();
        let mut b = VideoFrameBuffer::new(VideoBufferConfig {
            max_packets: 16,
            max_missing: 50,
            max_events: 8,
            ..VideoBufferConfig::new(VideoCodec::Vp8)
        });
        // Packets of a frame whose end never comes.
        for i in 0..40u16 {
            b.handle_packet(t, i, 0, false, &payload(usize::from(i), true, 0));
            assert!(b.len() <= 16);
        }
        assert!(b.stats().packets_discarded >= 16);
        assert!(drain(&mut b).contains(&VideoEvent::KeyframeRequest));

        // A jump over more sequence numbers than may be tracked: no NACK storm.
        frame(&mut b, ms(t, 10), 1000, 1, 3000, false);
        assert!(b.missing() <= 50);
        assert!(
            drain(&mut b)
                .iter()
                .all(|e| !matches!(e, VideoEvent::Nack(_)))
        );

        // Frames nobody polls: the oldest are dropped.
        let dropped = b.stats().frames_dropped;
        for i in 0..20u16 {
            frame(
                &mut b,
                ms(t, 20),
                2000 + i,
                1,
                6000 + u32::from(i) * 3000,
                true,
            );
            assert!(b.events.len() <= 8);
        }
        // 12 frames nobody polled, and the undecodable delta frame 1000 the first key frame
        // skipped.
        assert_eq!(b.stats().frames_dropped - dropped, 13);
        assert_eq!(b.stats().frames_assembled, 20);
        let events = drain(&mut b);
        assert_eq!(events.len(), 8);
        assert!(matches!(&events[7], VideoEvent::Frame(f) if f.first_seq == 2019));
    }
}
