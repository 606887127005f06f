//! Send-side congestion control of the peer's media: every RTP packet goes through the
//! pacer; when it leaves, it gets its transport-wide sequence number
//! (draft-holmer-rmcat-transport-wide-cc-extensions-01 §2) and the estimator records it;
//! the peer's feedback moves the estimate, which sets the pacing rate, the probes, and
//! the bitrate given to each sender.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use rtcweb_cc::PacketArrival;
use rtcweb_cc::{
    Bitrate, CcConfig, CcEvent, CcStats, CongestionController, Paced, Pacer, PacerConfig,
    PacerStats, PacketClass, ProbeCluster, SentPacket, TargetRate,
};
use rtcweb_rtp::RtpPacket;
use rtcweb_rtp::rtcp::{CongestionControlFeedback, TransportCc};

use super::outbox::OutPacket;

/// What a packet costs on the wire beyond its plain RTP bytes: the SRTP tag (10 bytes for
/// the AES-CM profiles, 16 for AES-GCM: the larger), UDP and IPv4 headers.
const WIRE_OVERHEAD: usize = 16 + 8 + 20;

/// The pacer, the estimator, and the transport-wide sequence numbers of one connection.
#[derive(Debug)]
pub(crate) struct SendSide {
    controller: CongestionController,
    pacer: Pacer<OutPacket>,
    /// The transport-wide sequence number extension id (0: none).
    extension: u8,
    /// The absolute send time extension id, stamped for a peer that estimates with REMB
    /// (0: none), and the origin of its clock.
    abs_send_time: u8,
    origin: Instant,
    /// The next transport-wide sequence number (the wire carries its low 16 bits).
    next_sequence: u64,
    /// Packets the pacer could not take (its queue was full).
    pub(crate) dropped: u64,
    /// Packets sent without a transport-wide number (no room for the extension).
    pub(crate) unstamped: u64,
    /// Probes asked for before any media was queued: a probe needs media or padding,
    /// and padding needs a stream that has started (libwebrtc probes from the first
    /// media packet on too).
    waiting_probes: Vec<ProbeCluster>,
    media_seen: bool,
    /// RFC 8888 feedback was negotiated: packets are found by stream and sequence number.
    rtp_map: Option<RtpSequenceMap>,
    /// The last report timestamp, unwrapped (1/65536 s).
    report_clock: Option<u64>,
    arrivals: Vec<PacketArrival>,
}

/// Most sent packets remembered by stream and sequence number for RFC 8888 feedback.
const MAX_RTP_MAP: usize = 16_384;

/// Sent packets by (SSRC, RTP sequence number), for RFC 8888 feedback, which names packets
/// that way (RFC 8888 §3.1) where TWCC names them by transport-wide number.
#[derive(Debug, Default)]
struct RtpSequenceMap {
    by_rtp: HashMap<(u32, u16), u64>,
    order: VecDeque<(u32, u16)>,
}

impl RtpSequenceMap {
    fn insert(&mut self, ssrc: u32, seq: u16, sequence: u64) {
        if self.order.len() >= MAX_RTP_MAP
            && let Some(old) = self.order.pop_front()
        {
            self.by_rtp.remove(&old);
        }
        self.by_rtp.insert((ssrc, seq), sequence);
        self.order.push_back((ssrc, seq));
    }
}

/// Most probes held until media starts.
const MAX_WAITING_PROBES: usize = 8;
/// Most padding requests in a row that no sender could fill before giving up until the
/// next poll.
const MAX_UNFILLED_PADDING: usize = 16;

impl SendSide {
    pub(crate) fn new(now: Instant, extension: u8, config: CcConfig) -> Self {
        let controller = CongestionController::new(now, config);
        let mut pacer = Pacer::new(now, PacerConfig::default());
        let target = controller.target();
        pacer.set_rates(now, target.pacing, target.padding);
        let mut side = Self {
            controller,
            pacer,
            extension,
            abs_send_time: 0,
            origin: now,
            next_sequence: 0,
            dropped: 0,
            unstamped: 0,
            waiting_probes: Vec::new(),
            media_seen: false,
            rtp_map: None,
            report_clock: None,
            arrivals: Vec::new(),
        };
        // Start-up probes come as events before any packet: they wait for media.
        side.apply_events(now);
        side
    }

    /// The negotiated extension id changed (a renegotiation); 0 for none.
    pub(crate) fn set_extension(&mut self, extension: u8) {
        self.extension = extension;
    }

    /// The absolute send time extension to stamp (0: none).
    pub(crate) fn set_abs_send_time(&mut self, extension: u8) {
        self.abs_send_time = extension;
    }

    /// Whether the peer sends RFC 8888 feedback (negotiated `ack ccfb`).
    pub(crate) fn set_ccfb(&mut self, on: bool) {
        match (on, self.rtp_map.is_some()) {
            (true, false) => self.rtp_map = Some(RtpSequenceMap::default()),
            (false, true) => self.rtp_map = None,
            _ => {}
        }
    }

    /// Queues an RTP packet; false (and the packet back) when the pacer is full.
    pub(crate) fn enqueue(&mut self, now: Instant, packet: OutPacket) -> Result<(), OutPacket> {
        let size = packet.bytes.len() + WIRE_OVERHEAD;
        let class = packet.class;
        if !self.media_seen && class == PacketClass::Video {
            self.media_seen = true;
            for cluster in std::mem::take(&mut self.waiting_probes) {
                self.pacer.add_probe(now, cluster);
            }
        }
        self.pacer
            .enqueue(now, class, size, packet)
            .inspect_err(|_| {
                self.dropped += 1;
            })
    }

    /// The next packet the pacer lets go at `now`, stamped and recorded; `pad` makes a
    /// padding packet of about the size asked for (or `None` when no sender can).
    pub(crate) fn poll_packet(
        &mut self,
        now: Instant,
        pad: &mut dyn FnMut(usize) -> Option<OutPacket>,
    ) -> Option<OutPacket> {
        for _ in 0..MAX_UNFILLED_PADDING {
            // Every packet sent fills the congestion window; feedback empties it.
            self.pacer
                .set_congested(now, self.controller.is_congested());
            let (mut packet, probe) = match self.pacer.poll_packet(now)? {
                Paced::Packet { item, probe, .. } => (item, probe),
                Paced::Padding { size, probe } => match pad(size) {
                    Some(p) => (p, probe),
                    // Nothing can pad: that part of the probe goes without it.
                    None => continue,
                },
            };
            self.stamp(now, &mut packet, probe);
            return Some(packet);
        }
        None
    }

    /// Writes the next transport-wide sequence number into the packet's extension (when it
    /// has one), remembers its stream and sequence number for RFC 8888 feedback (when
    /// negotiated), and tells the estimator it left.
    fn stamp(&mut self, now: Instant, packet: &mut OutPacket, probe: Option<u32>) {
        let Layout {
            transport_cc: offset,
            abs_send_time,
            ids: rtp,
        } = layout(&packet.bytes, self.extension, self.abs_send_time);
        if let Some(at) = abs_send_time {
            // 6.18 fixed-point seconds, 24 bits (webrtc.org's abs-send-time).
            let since = now.saturating_duration_since(self.origin);
            let value = ((since.as_nanos() << 18) / 1_000_000_000) as u32;
            packet.bytes[at..at + 3].copy_from_slice(&value.to_be_bytes()[1..]);
        }
        let sequence = self.next_sequence;
        match (offset, self.rtp_map.as_mut(), rtp) {
            (Some(at), map, _) => {
                packet.bytes[at..at + 2].copy_from_slice(&(sequence as u16).to_be_bytes());
                if let (Some(map), Some((ssrc, seq))) = (map, rtp) {
                    map.insert(ssrc, seq, sequence);
                }
            }
            (None, Some(map), Some((ssrc, seq))) => map.insert(ssrc, seq, sequence),
            _ => {
                self.unstamped += 1;
                return;
            }
        }
        self.next_sequence += 1;
        self.controller.on_packet_sent(SentPacket {
            sequence,
            size: packet.bytes.len() + WIRE_OVERHEAD,
            send_time: now,
            probe,
            audio: packet.class == PacketClass::Audio,
        });
    }

    /// RFC 8888 feedback from the peer: each reported packet found by stream and sequence
    /// number, its arrival the report timestamp less its offset (RFC 8888 §3.1).
    pub(crate) fn handle_ccfb(&mut self, now: Instant, feedback: &CongestionControlFeedback) {
        let Some(map) = self.rtp_map.as_ref() else {
            return;
        };
        // The compact NTP timestamp wraps every 18 hours: unwrapped against the last.
        let raw = u64::from(feedback.report_timestamp);
        let report = match self.report_clock {
            None => raw + (1 << 32),
            Some(last) => {
                let candidate = (last & !0xffff_ffff) | raw;
                [
                    candidate.saturating_sub(1 << 32),
                    candidate,
                    candidate + (1 << 32),
                ]
                .into_iter()
                .min_by_key(|c| c.abs_diff(last))
                .unwrap_or(candidate)
            }
        };
        self.report_clock = Some(report);
        let report = Duration::from_nanos(
            u64::try_from(u128::from(report) * 1_000_000_000 / 65_536).unwrap_or(u64::MAX),
        );
        let mut arrivals = std::mem::take(&mut self.arrivals);
        arrivals.clear();
        for block in &feedback.blocks {
            for (i, r) in block.reports.iter().enumerate() {
                let seq = block.begin_seq.wrapping_add(i as u16);
                let Some(&sequence) = map.by_rtp.get(&(block.ssrc, seq)) else {
                    continue;
                };
                let arrival = if r.received {
                    // Received at a time not told: left out (neither lost nor timed).
                    let Some(offset) = r.arrival_offset() else {
                        continue;
                    };
                    report.checked_sub(offset)
                } else {
                    None
                };
                arrivals.push(PacketArrival { sequence, arrival });
            }
        }
        self.controller.handle_feedback(now, &arrivals);
        self.arrivals = arrivals;
        self.apply_events(now);
    }

    /// Transport-wide feedback from the peer.
    pub(crate) fn handle_transport_cc(&mut self, now: Instant, feedback: &TransportCc) {
        self.controller.handle_transport_cc(now, feedback);
        self.apply_events(now);
    }

    /// A REMB from the peer.
    pub(crate) fn handle_remb(&mut self, now: Instant, bitrate: u64) {
        self.controller.handle_remb(now, Bitrate::from_bps(bitrate));
        self.apply_events(now);
    }

    /// A round-trip time from RTCP reports.
    pub(crate) fn handle_rtt(&mut self, now: Instant, rtt: Duration) {
        self.controller.handle_rtt(now, rtt);
    }

    /// Data-channel bytes went out: the media target leaves room for them.
    pub(crate) fn on_data_sent(&mut self, now: Instant, bytes: usize) {
        self.controller.on_data_sent(now, bytes);
    }

    /// The estimator's periodic work, then its new rates and probes to the pacer.
    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        self.controller.handle_timeout(now);
        self.apply_events(now);
    }

    /// The estimator's and the pacer's next deadline.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        [self.controller.poll_timeout(), self.pacer.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
    }

    fn apply_events(&mut self, now: Instant) {
        while let Some(event) = self.controller.poll_event() {
            match event {
                CcEvent::TargetChanged(t) => self.pacer.set_rates(now, t.pacing, t.padding),
                CcEvent::Probe(cluster) if self.media_seen => self.pacer.add_probe(now, cluster),
                CcEvent::Probe(cluster) => {
                    if self.waiting_probes.len() < MAX_WAITING_PROBES {
                        self.waiting_probes.push(cluster);
                    }
                }
            }
        }
    }

    /// The current target (webrtc-stats `availableOutgoingBitrate`).
    pub(crate) fn target(&self) -> TargetRate {
        self.controller.target()
    }

    /// What the encoders should aim at in total: the target, less while the congestion
    /// window overflows.
    pub(crate) fn encoder_target(&self) -> rtcweb_cc::Bitrate {
        self.controller.encoder_target()
    }

    /// The estimator's counters.
    pub(crate) fn stats(&self) -> CcStats {
        self.controller.stats()
    }

    /// The pacer's counters.
    pub(crate) fn pacer_stats(&self) -> PacerStats {
        self.pacer.stats()
    }
}

/// Where a packet's stamps go and which packet it is, from one parse.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Layout {
    /// Where the transport-wide sequence number's two bytes start.
    transport_cc: Option<usize>,
    /// Where the absolute send time's three bytes start.
    abs_send_time: Option<usize>,
    /// SSRC and sequence number (RFC 3550 §5.1).
    ids: Option<(u32, u16)>,
}

/// The layout of an RTP packet for the extensions `transport_cc` and `abs_send_time` (0:
/// not looked for), through `rtcweb_rtp`'s RFC 8285 parser.
fn layout(packet: &[u8], transport_cc: u8, abs_send_time: u8) -> Layout {
    let Ok(rtp) = RtpPacket::parse(packet) else {
        return Layout::default();
    };
    let extensions = rtp.extensions();
    let offset = |id: u8, min_len: usize| -> Option<usize> {
        if id == 0 {
            return None;
        }
        let data = extensions.get(id).filter(|d| d.len() >= min_len)?;
        // The element's data is borrowed from `packet`: where it starts is its offset.
        (data.as_ptr() as usize).checked_sub(packet.as_ptr() as usize)
    };
    Layout {
        transport_cc: offset(transport_cc, 2),
        abs_send_time: offset(abs_send_time, 3),
        ids: Some((rtp.ssrc(), rtp.sequence_number())),
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests take their epoch from the clock
mod tests {
    use super::*;
    use rtcweb_rtp::{Extension, write_extensions};

    fn packet(class: PacketClass, size: usize) -> OutPacket {
        let mut ext = [0u8; 4];
        let (profile, n) = write_extensions(
            &[Extension {
                id: 3,
                data: &[0, 0],
            }],
            &mut ext,
        )
        .unwrap();
        let bytes = rtp_rs::RtpPacketBuilder::new()
            .payload_type(96)
            .extension(profile, &ext[..n])
            .payload(&vec![0; size])
            .build()
            .unwrap();
        OutPacket {
            bytes,
            rtcp: false,
            class,
        }
    }

    #[test]
    fn start_up_probes_go_out_with_the_first_media() {
        let t0 = Instant::now();
        let mut side = SendSide::new(t0, 3, CcConfig::default());
        let mut now = t0;
        let mut sent = Vec::new();
        for i in 0..100u32 {
            if i % 33 == 0 {
                for _ in 0..3 {
                    side.enqueue(now, packet(PacketClass::Video, 1000)).unwrap();
                }
            }
            side.handle_timeout(now);
            let mut pad = |size: usize| Some(packet(PacketClass::Padding, size.min(255)));
            while let Some(p) = side.poll_packet(now, &mut pad) {
                sent.push((now - t0, p.class, p.bytes.len()));
            }
            now += Duration::from_millis(1);
        }
        let stats = side.pacer_stats();
        assert!(stats.probes_done >= 2, "{stats:?}");
    }

    #[test]
    fn finds_the_extension_in_both_forms() {
        for (elements, expect) in [
            (
                vec![
                    Extension {
                        id: 3,
                        data: &[0, 0],
                    },
                    Extension { id: 4, data: b"0" },
                ],
                17,
            ),
            (
                vec![
                    Extension { id: 4, data: b"0" },
                    Extension {
                        id: 3,
                        data: &[0, 0],
                    },
                ],
                19,
            ),
            (
                vec![
                    Extension { id: 20, data: &[] },
                    Extension {
                        id: 3,
                        data: &[0, 0],
                    },
                ],
                20,
            ),
        ] {
            let mut ext = [0u8; 32];
            let (profile, n) = write_extensions(&elements, &mut ext).unwrap();
            let packet = rtp_rs::RtpPacketBuilder::new()
                .payload_type(96)
                .extension(profile, &ext[..n])
                .payload(&[1, 2, 3])
                .build()
                .unwrap();
            assert_eq!(
                layout(&packet, 3, 0).transport_cc,
                Some(expect),
                "{elements:?}"
            );
            assert_eq!(layout(&packet, 9, 0).transport_cc, None);
        }
        assert_eq!(layout(&[0x80, 96, 0, 0], 3, 0).transport_cc, None);
        assert_eq!(
            layout(
                &[0x90, 96, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xbe, 0xde, 0, 9],
                3,
                0
            )
            .transport_cc,
            None
        );
    }
}
