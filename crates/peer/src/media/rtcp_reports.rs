//! RTCP reports (RFC 3550 §6.4): when to send them, what they say, and what the peer's say
//! about our streams.

use std::time::{Duration, Instant};

use rtcweb_rtp::rtcp::{
    CNAME, Compound, Packet, ReceiverReport, Sdes, SdesChunk, SdesItem, SenderReport,
};
use rtcweb_rtp::{AnchoredNtpClock, NtpClock, RtcpEvent, RtcpIntervalConfig, RtcpScheduler};

use super::{MediaError, Track};

/// Report blocks per SR or RR (RFC 3550 §6.4: a 5-bit count).
const MAX_BLOCKS: usize = 31;

/// The RTCP timer and what the reports need.
#[derive(Debug)]
pub(crate) struct RtcpReports {
    scheduler: RtcpScheduler,
    /// Our SSRC in receiver reports when we send nothing (RFC 3550 §6.4.2).
    reporter: u32,
    /// A report is due.
    due: bool,
    /// Reports sent and received.
    pub(crate) sent: u64,
    pub(crate) received: u64,
    /// Compound packets that did not parse (what came before the error was used).
    pub(crate) malformed: u64,
}

impl RtcpReports {
    pub(crate) fn new(now: Instant, random: u64) -> Self {
        // WebRTC peers report about once a second (RFC 8834 §5.1.3 allows the reduced
        // minimum; browsers use 1 s for audio).
        let config = RtcpIntervalConfig {
            min_interval: Duration::from_secs(1),
            seed: random,
            ..RtcpIntervalConfig::default()
        };
        Self {
            scheduler: RtcpScheduler::new(now, config),
            reporter: (random >> 32) as u32 | 1,
            due: false,
            sent: 0,
            received: 0,
            malformed: 0,
        }
    }

    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        if self.due {
            return None;
        }
        self.scheduler.poll_timeout()
    }

    /// Whether a report is due now.
    pub(crate) fn handle_timeout(&mut self, now: Instant) -> bool {
        self.scheduler.handle_timeout(now);
        while let Some(RtcpEvent::SendReport) = self.scheduler.poll_event() {
            self.due = true;
        }
        self.due
    }

    /// Writes the compound report into `out` (cleared first): an SR per sending track (the
    /// first carries the report blocks of every receiving track) or one RR, then SDES with
    /// our CNAME (RFC 3550 §6.1).
    pub(crate) fn build(
        &mut self,
        now: Instant,
        clock: &AnchoredNtpClock,
        cname: &str,
        tracks: &mut [Track],
        out: &mut Vec<u8>,
    ) -> Result<(), MediaError> {
        self.due = false;
        out.clear();
        let mut blocks: Vec<_> = tracks
            .iter_mut()
            .filter_map(|t| t.inbound_mut()?.report_block(now))
            .take(MAX_BLOCKS)
            .collect();
        let mut sources = Vec::new();
        for sender in tracks.iter().filter_map(|t| t.sender.as_ref()) {
            if !sender.stats.has_sent() {
                continue;
            }
            let reports = std::mem::take(&mut blocks);
            if let Some(sr) = sender.stats.sender_report(now, clock, reports) {
                Packet::SenderReport(sr).emit(out)?;
                sources.push(sender.ssrc);
            }
        }
        if sources.is_empty() {
            Packet::ReceiverReport(ReceiverReport {
                ssrc: self.reporter,
                reports: blocks,
            })
            .emit(out)?;
            sources.push(self.reporter);
        }
        let chunks = sources
            .iter()
            .map(|&ssrc| SdesChunk {
                ssrc,
                items: vec![SdesItem {
                    item_type: CNAME,
                    text: cname.as_bytes().to_vec(),
                }],
            })
            .take(MAX_BLOCKS)
            .collect();
        Packet::Sdes(Sdes { chunks }).emit(out)?;
        let senders = tracks.iter().filter(|t| t.sender.is_some()).count();
        self.scheduler.set_we_sent(senders > 0);
        self.scheduler.on_rtcp_sent(now, out.len() + 28);
        self.sent += 1;
        Ok(())
    }

    /// Writes a feedback packet (NACK or PLI, RFC 4585 §6.1) into `out` (cleared first),
    /// in a minimal compound packet: an empty RR from our reporting SSRC, SDES with our
    /// CNAME, then the feedback (RFC 4585 §3.1).
    pub(crate) fn build_feedback(
        &mut self,
        cname: &str,
        feedback: &Packet<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), MediaError> {
        out.clear();
        Packet::ReceiverReport(ReceiverReport {
            ssrc: self.reporter,
            reports: Vec::new(),
        })
        .emit(out)?;
        Packet::Sdes(Sdes {
            chunks: vec![SdesChunk {
                ssrc: self.reporter,
                items: vec![SdesItem {
                    item_type: CNAME,
                    text: cname.as_bytes().to_vec(),
                }],
            }],
        })
        .emit(out)?;
        feedback.emit(out)?;
        Ok(())
    }

    /// Our SSRC as the sender of feedback and receiver reports.
    pub(crate) fn reporter(&self) -> u32 {
        self.reporter
    }

    /// A compound packet from the peer: its sender reports go to the receivers of those
    /// SSRCs (for LSR/DLSR), its report blocks to our senders (loss, jitter, round trip).
    pub(crate) fn handle(
        &mut self,
        now: Instant,
        clock: &AnchoredNtpClock,
        bytes: &[u8],
        tracks: &mut [Track],
    ) {
        self.received += 1;
        self.scheduler.on_rtcp_received(bytes.len() + 28);
        let arrival = clock.ntp_time(now);
        for packet in Compound::new(bytes) {
            let blocks = match packet {
                Ok(Packet::SenderReport(SenderReport {
                    ssrc,
                    ntp_time,
                    reports,
                    ..
                })) => {
                    for inbound in tracks.iter_mut().filter_map(Track::inbound_mut) {
                        if inbound.ssrc() == Some(ssrc) {
                            inbound.sender_report(ntp_time, now);
                        }
                    }
                    reports
                }
                Ok(Packet::ReceiverReport(rr)) => rr.reports,
                Ok(_) => continue,
                Err(_) => {
                    self.malformed += 1;
                    break;
                }
            };
            for block in &blocks {
                for sender in tracks.iter_mut().filter_map(|t| t.sender.as_mut()) {
                    sender.stats.on_report_block(block, arrival);
                }
            }
        }
    }
}
