//! RTCP reports (RFC 3550 §6.4): when to send them, what they say, and what the peer's say
//! about our streams.

use std::time::{Duration, Instant};

use rtcweb_rtp::rtcp::{
    Bye, CNAME, Compound, Packet, ReceiverReport, Sdes, SdesChunk, SdesItem, SenderReport,
};
use rtcweb_rtp::{AnchoredNtpClock, NtpClock, RtcpEvent, RtcpIntervalConfig, RtcpScheduler};

use super::{Entry, MediaError};
use crate::frame::KeyFrameRequest;

/// What the peer's RTCP asks of our senders, or says of its streams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Incoming {
    /// Resend these packets of our stream `ssrc` (RFC 4585 §6.2.1).
    Nack { ssrc: u32, lost: Vec<u16> },
    /// A key frame for our stream `ssrc`.
    KeyFrame { ssrc: u32, kind: KeyFrameRequest },
    /// These sources left (RFC 3550 §6.6).
    Bye { sources: Vec<u32> },
    /// Transport-wide congestion-control feedback on what we sent.
    TransportCc(rtcweb_rtp::rtcp::TransportCc),
    /// RFC 8888 congestion-control feedback on what we sent.
    Ccfb(rtcweb_rtp::rtcp::CongestionControlFeedback),
    /// The peer's estimate of what it can receive (draft-alvestrand-rmcat-remb-03).
    Remb { bitrate: u64 },
}

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
        entries: &mut [Entry],
        out: &mut Vec<u8>,
    ) -> Result<(), MediaError> {
        self.due = false;
        out.clear();
        let mut blocks: Vec<_> = entries
            .iter_mut()
            .filter_map(|e| e.receiver.as_mut()?.inbound.report_block(now))
            .take(MAX_BLOCKS)
            .collect();
        let mut sources = Vec::new();
        for sender in entries.iter().filter_map(|e| e.sender.as_ref()) {
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
        let senders = entries.iter().filter(|e| e.sender.is_some()).count();
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

    /// Writes a BYE for `sources` (RFC 3550 §6.6) into `out` (cleared first), after an
    /// empty RR and SDES as a compound packet must start (§6.1).
    pub(crate) fn build_bye(
        &mut self,
        cname: &str,
        sources: &[u32],
        out: &mut Vec<u8>,
    ) -> Result<(), MediaError> {
        let bye = Packet::Bye(Bye {
            sources: sources.iter().copied().take(MAX_BLOCKS).collect(),
            reason: None,
        });
        self.build_feedback(cname, &bye, out)
    }

    /// Our SSRC as the sender of feedback and receiver reports.
    pub(crate) fn reporter(&self) -> u32 {
        self.reporter
    }

    /// A compound packet from the peer: its sender reports go to the receivers of those
    /// SSRCs (for LSR/DLSR and the wall-clock mapping), its report blocks to our senders
    /// (loss, jitter, round trip); what it asks of our senders (NACK, PLI, FIR) and the
    /// sources that left (BYE) are returned.
    pub(crate) fn handle(
        &mut self,
        now: Instant,
        clock: &AnchoredNtpClock,
        bytes: &[u8],
        entries: &mut [Entry],
    ) -> Vec<Incoming> {
        self.received += 1;
        self.scheduler.on_rtcp_received(bytes.len() + 28);
        let arrival = clock.ntp_time(now);
        let mut incoming = Vec::new();
        for packet in Compound::new(bytes) {
            let blocks = match packet {
                Ok(Packet::SenderReport(SenderReport {
                    ssrc,
                    ntp_time,
                    rtp_time,
                    reports,
                    ..
                })) => {
                    for receiver in entries.iter_mut().filter_map(|e| e.receiver.as_mut()) {
                        if receiver.ssrc() == Some(ssrc) {
                            receiver.inbound.sender_report(ntp_time, rtp_time, now);
                        }
                    }
                    reports
                }
                Ok(Packet::ReceiverReport(rr)) => rr.reports,
                Ok(Packet::Nack(nack)) => {
                    incoming.push(Incoming::Nack {
                        ssrc: nack.media_ssrc,
                        lost: nack.lost().collect(),
                    });
                    continue;
                }
                Ok(Packet::Pli(pli)) => {
                    incoming.push(Incoming::KeyFrame {
                        ssrc: pli.media_ssrc,
                        kind: KeyFrameRequest::Pli,
                    });
                    continue;
                }
                Ok(Packet::Fir(fir)) => {
                    for (ssrc, _) in fir.entries {
                        incoming.push(Incoming::KeyFrame {
                            ssrc,
                            kind: KeyFrameRequest::Fir,
                        });
                    }
                    continue;
                }
                Ok(Packet::Bye(bye)) => {
                    incoming.push(Incoming::Bye {
                        sources: bye.sources,
                    });
                    continue;
                }
                Ok(Packet::TransportCc(feedback)) => {
                    incoming.push(Incoming::TransportCc(feedback));
                    continue;
                }
                Ok(Packet::CongestionControlFeedback(feedback)) => {
                    incoming.push(Incoming::Ccfb(feedback));
                    continue;
                }
                Ok(Packet::Remb(remb)) => {
                    incoming.push(Incoming::Remb {
                        bitrate: remb.bitrate,
                    });
                    continue;
                }
                Ok(_) => continue,
                Err(_) => {
                    self.malformed += 1;
                    break;
                }
            };
            for block in &blocks {
                for sender in entries.iter_mut().filter_map(|e| e.sender.as_mut()) {
                    sender.stats.handle_report_block(arrival, block);
                }
            }
        }
        incoming
    }
}
