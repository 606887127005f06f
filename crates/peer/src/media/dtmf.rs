//! DTMF as RFC 4733 telephone events: the sending side of W3C `RTCDTMFSender`
//! (`insertDTMF`, its tone buffer, `tonechange`) and the receiving side's decoder.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// W3C `insertDTMF`: tone duration bounds and default (ms).
pub(crate) const MIN_DURATION: Duration = Duration::from_millis(40);
const MAX_DURATION: Duration = Duration::from_millis(6000);
/// W3C `insertDTMF`: the shortest gap between tones.
pub(crate) const MIN_GAP: Duration = Duration::from_millis(30);
/// The pause a `,` stands for (W3C).
const COMMA_PAUSE: Duration = Duration::from_secs(2);
/// RFC 4733 §2.5.1.2: an update packet every 50 ms while a tone plays.
const PACKET_INTERVAL: Duration = Duration::from_millis(50);
/// RFC 4733 §2.5.1.4: the end packet is sent three times.
const END_PACKETS: u8 = 3;
/// Most tones in the buffer (W3C sets no limit; a long string is refused).
pub(crate) const MAX_TONES: usize = 256;
/// The volume written (RFC 4733 §2.3.4: -dBm0, 10 as browsers send).
const VOLUME: u8 = 10;

/// The event code of a DTMF tone (RFC 4733 §3.2): 0-9, * = 10, # = 11, A-D = 12-15.
pub(crate) fn event_code(tone: char) -> Option<u8> {
    match tone.to_ascii_uppercase() {
        c @ '0'..='9' => Some(c as u8 - b'0'),
        '*' => Some(10),
        '#' => Some(11),
        c @ 'A'..='D' => Some(12 + (c as u8 - b'A')),
        _ => None,
    }
}

/// The tone of an event code.
pub(crate) fn tone_of(code: u8) -> Option<char> {
    match code {
        0..=9 => Some((b'0' + code) as char),
        10 => Some('*'),
        11 => Some('#'),
        12..=15 => Some((b'A' + code - 12) as char),
        _ => None,
    }
}

/// Whether `tones` is a valid `insertDTMF` string (W3C: 0-9, A-D, #, *, and `,`).
pub(crate) fn valid_tones(tones: &str) -> bool {
    tones.len() <= MAX_TONES && tones.chars().all(|c| c == ',' || event_code(c).is_some())
}

/// One telephone-event payload (RFC 4733 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EventPayload {
    pub(crate) code: u8,
    pub(crate) end: bool,
    pub(crate) volume: u8,
    /// In units of the RTP clock.
    pub(crate) duration: u16,
}

impl EventPayload {
    pub(crate) fn parse(payload: &[u8]) -> Option<Self> {
        let b = payload.get(..4)?;
        Some(Self {
            code: b[0],
            end: b[1] & 0x80 != 0,
            volume: b[1] & 0x3f,
            duration: u16::from_be_bytes([b[2], b[3]]),
        })
    }

    pub(crate) fn emit(&self) -> [u8; 4] {
        let d = self.duration.to_be_bytes();
        [
            self.code,
            if self.end { 0x80 } else { 0 } | (self.volume & 0x3f),
            d[0],
            d[1],
        ]
    }
}

/// A telephone-event packet to send: payload, whether it starts the event (marker bit,
/// RFC 4733 §2.5.1.1), and its RTP timestamp (the event's start).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EventPacket {
    pub(crate) payload: [u8; 4],
    pub(crate) marker: bool,
    pub(crate) timestamp: u32,
}

/// What a tick of the sender gave.
#[derive(Debug, Default)]
pub(crate) struct Tick {
    pub(crate) packets: Vec<EventPacket>,
    /// W3C `tonechange`: a tone started (`Some`), or the buffer ran out (`None`).
    pub(crate) tone_changes: Vec<Option<char>>,
}

#[derive(Debug)]
struct Playing {
    code: u8,
    timestamp: u32,
    started: Instant,
    ends: Instant,
    next_packet: Instant,
    first: bool,
    end_packets: u8,
}

/// The sending side: the tone buffer and the tone being played.
#[derive(Debug)]
pub(crate) struct DtmfSender {
    pub(crate) payload_type: u8,
    clock_rate: u32,
    buffer: VecDeque<char>,
    duration: Duration,
    gap: Duration,
    playing: Option<Playing>,
    /// When the next tone (or the end of a pause) is due.
    next_tone: Option<Instant>,
}

impl DtmfSender {
    pub(crate) fn new(payload_type: u8, clock_rate: u32) -> Self {
        Self {
            payload_type,
            clock_rate: clock_rate.max(1),
            buffer: VecDeque::new(),
            duration: Duration::from_millis(100),
            gap: Duration::from_millis(70),
            playing: None,
            next_tone: None,
        }
    }

    /// Drops the tone buffer and any tone playing (the sender stopped sending).
    pub(crate) fn reset(&mut self) {
        *self = Self::new(self.payload_type, self.clock_rate);
    }

    /// W3C `insertDTMF`: replaces the tone buffer; durations are clamped as the spec says.
    /// The tones start now unless a tone is playing.
    pub(crate) fn insert(&mut self, now: Instant, tones: &str, duration: Duration, gap: Duration) {
        self.buffer = tones.chars().map(|c| c.to_ascii_uppercase()).collect();
        self.duration = duration.clamp(MIN_DURATION, MAX_DURATION);
        self.gap = gap.max(MIN_GAP);
        if self.playing.is_none() && self.next_tone.is_none() && !self.buffer.is_empty() {
            self.next_tone = Some(now);
        }
    }

    /// W3C `toneBuffer`.
    pub(crate) fn tone_buffer(&self) -> String {
        self.buffer.iter().collect()
    }

    /// A tone is playing: audio frames are not sent meanwhile (the event replaces them).
    pub(crate) fn is_playing(&self) -> bool {
        self.playing.is_some()
    }

    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        match &self.playing {
            Some(p) => Some(p.next_packet),
            None => self.next_tone,
        }
    }

    /// Sends what is due; `timestamp_now` gives the stream's RTP time at an instant (the
    /// event starts where the audio is).
    pub(crate) fn tick(&mut self, now: Instant, timestamp_now: impl Fn(Instant) -> u32) -> Tick {
        let mut tick = Tick::default();
        loop {
            if let Some(p) = self.playing.as_mut() {
                if now < p.next_packet {
                    break;
                }
                let at = p.next_packet;
                let ending = at >= p.ends;
                let elapsed = at.min(p.ends).saturating_duration_since(p.started);
                let units = elapsed.as_micros() * u128::from(self.clock_rate) / 1_000_000;
                let payload = EventPayload {
                    code: p.code,
                    end: ending,
                    volume: VOLUME,
                    duration: units.min(u128::from(u16::MAX)) as u16,
                };
                tick.packets.push(EventPacket {
                    payload: payload.emit(),
                    marker: p.first,
                    timestamp: p.timestamp,
                });
                p.first = false;
                if ending {
                    p.end_packets += 1;
                    if p.end_packets >= END_PACKETS {
                        // The gap follows the tone.
                        self.next_tone = Some(p.ends + self.gap);
                        self.playing = None;
                        if self.buffer.is_empty() {
                            self.next_tone = None;
                            tick.tone_changes.push(None);
                        }
                        continue;
                    }
                    // The repeats go out right after one another (RFC 4733 §2.5.1.4
                    // leaves the spacing open; libwebrtc sends them back to back).
                    continue;
                }
                p.next_packet = (at + PACKET_INTERVAL).min(p.ends);
                continue;
            }
            let Some(due) = self.next_tone.filter(|t| *t <= now) else {
                break;
            };
            let Some(tone) = self.buffer.pop_front() else {
                self.next_tone = None;
                break;
            };
            if tone == ',' {
                self.next_tone = Some(due + COMMA_PAUSE);
                continue;
            }
            let Some(code) = event_code(tone) else {
                continue;
            };
            tick.tone_changes.push(Some(tone));
            self.next_tone = None;
            self.playing = Some(Playing {
                code,
                timestamp: timestamp_now(due),
                started: due,
                ends: due + self.duration,
                next_packet: due,
                first: true,
                end_packets: 0,
            });
        }
        tick
    }
}

/// The receiving side: one event per tone, when its end packet arrives (retransmitted end
/// packets are not counted again).
#[derive(Debug, Default)]
pub(crate) struct DtmfReceiver {
    /// The timestamp of the last event reported.
    last_ended: Option<u32>,
}

impl DtmfReceiver {
    /// A telephone-event packet: the tone and its duration when it ends the event.
    pub(crate) fn handle(
        &mut self,
        timestamp: u32,
        payload: &[u8],
        clock_rate: u32,
    ) -> Option<(char, Duration)> {
        let event = EventPayload::parse(payload)?;
        if !event.end || self.last_ended == Some(timestamp) {
            return None;
        }
        self.last_ended = Some(timestamp);
        let tone = tone_of(event.code)?;
        let duration = Duration::from_micros(
            u64::from(event.duration) * 1_000_000 / u64::from(clock_rate.max(1)),
        );
        Some((tone, duration))
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests take their epoch from the clock
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_strings_are_checked() {
        for tone in "0123456789*#ABCD".chars() {
            assert_eq!(tone_of(event_code(tone).unwrap()), Some(tone));
        }
        assert_eq!(event_code('a'), Some(12));
        assert!(valid_tones("12,#ab"));
        assert!(!valid_tones("12x"));
    }

    #[test]
    fn a_tone_is_a_marked_start_updates_and_three_end_packets() {
        let t0 = Instant::now();
        let mut s = DtmfSender::new(110, 8000);
        s.insert(
            t0,
            "1",
            Duration::from_millis(100),
            Duration::from_millis(70),
        );
        let mut packets = Vec::new();
        let mut changes = Vec::new();
        let mut now = t0;
        while let Some(due) = s.poll_timeout() {
            now = now.max(due);
            let tick = s.tick(now, |_| 4000);
            packets.extend(tick.packets);
            changes.extend(tick.tone_changes);
        }
        assert_eq!(changes, [Some('1'), None]);
        assert!(packets[0].marker && packets.iter().skip(1).all(|p| !p.marker));
        assert!(packets.iter().all(|p| p.timestamp == 4000));
        let parsed: Vec<_> = packets
            .iter()
            .map(|p| EventPayload::parse(&p.payload).unwrap())
            .collect();
        // Start, 50 ms, then three end packets at 100 ms (800 units of 8 kHz).
        assert_eq!(parsed.iter().filter(|e| e.end).count(), 3);
        assert!(parsed.iter().filter(|e| e.end).all(|e| e.duration == 800));
        assert_eq!(parsed[0].duration, 0);
        assert_eq!(parsed[1].duration, 400);
        let mut r = DtmfReceiver::default();
        let got: Vec<_> = packets
            .iter()
            .filter_map(|p| r.handle(p.timestamp, &p.payload, 8000))
            .collect();
        assert_eq!(got, [('1', Duration::from_millis(100))]);
    }

    #[test]
    fn a_comma_pauses_two_seconds() {
        let t0 = Instant::now();
        let mut s = DtmfSender::new(110, 48_000);
        s.insert(
            t0,
            ",2",
            Duration::from_millis(40),
            Duration::from_millis(30),
        );
        assert_eq!(s.tone_buffer(), ",2");
        let tick = s.tick(t0, |_| 0);
        assert!(tick.packets.is_empty());
        assert_eq!(s.poll_timeout(), Some(t0 + COMMA_PAUSE));
        let tick = s.tick(t0 + COMMA_PAUSE, |_| 0);
        assert_eq!(tick.tone_changes, [Some('2')]);
    }
}
