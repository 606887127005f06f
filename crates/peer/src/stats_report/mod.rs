//! The W3C webrtc-stats report (`getStats()`): one typed stats object per webrtc-stats
//! dictionary ([`types`]), keyed by id; serialized, the specification's names and members.

use std::time::Instant;

use base64::Engine;
use rtcweb_datachannel::ChannelState;
use rtcweb_dtls::HashAlgorithm;
use rtcweb_ice::{Candidate, CandidateKind, PairState};

pub use types::{
    CandidatePairStats, CandidateStats, CertificateStats, CodecStats, DataChannelStats,
    InboundRtpStats, MediaSourceStats, OutboundRtpStats, PeerConnectionStats,
    RemoteInboundRtpStats, RtcStats, SctpTransportStats, StatsKind, StatsReport, TransportStats,
};

use crate::Peer;

mod types;

const TRANSPORT: &str = "T01";

impl Peer {
    /// The stats report (W3C `getStats()`, webrtc-stats): the stats objects by id, each
    /// of its type ([`StatsKind`]: `peer-connection`, `transport`, `candidate-pair`,
    /// `local-candidate`, `remote-candidate`, `certificate`, `codec`, `inbound-rtp`,
    /// `outbound-rtp`, `remote-inbound-rtp`, `sctp-transport`, `data-channel`) with its
    /// `timestamp` (milliseconds since the Unix epoch, from
    /// [`Config::wallclock`](crate::Config::wallclock)). It serializes with serde as a
    /// browser's report does in JSON ([`StatsReport::to_json`]).
    pub fn stats_report(&self, now: Instant) -> StatsReport {
        let wallclock = self.config.wallclock.unwrap_or_default();
        let timestamp =
            (wallclock + now.saturating_duration_since(self.epoch)).as_secs_f64() * 1000.0;
        let mut report = Report {
            timestamp,
            report: StatsReport::default(),
        };
        self.peer_connection_stats(&mut report);
        self.transport_stats(&mut report);
        self.ice_stats(&mut report);
        self.certificate_stats(&mut report);
        self.rtp_stats(&mut report);
        self.sctp_transport_stats(&mut report);
        self.data_channel_stats(&mut report);
        report.report
    }

    fn peer_connection_stats(&self, report: &mut Report) {
        report.add(
            "P",
            StatsKind::PeerConnection(PeerConnectionStats {
                data_channels_opened: self.stats.data_channels_opened,
                data_channels_closed: self.stats.data_channels_closed,
            }),
        );
    }

    fn transport_stats(&self, report: &mut Report) {
        let dtls_role = self.dtls_role.map(|role| match role {
            rtcweb_sdp::DtlsRole::Client => "client",
            rtcweb_sdp::DtlsRole::Server => "server",
        });
        let ice_role = self.ice.as_ref().map(|agent| {
            if agent.is_controlling() {
                "controlling"
            } else {
                "controlled"
            }
        });
        let remote_certificate_id = self.remote_certificate.as_ref().map(|der| {
            certificate_id(&rtcweb_dtls::Fingerprint::of(der, HashAlgorithm::Sha256).value)
        });
        let selected_candidate_pair_id = self
            .ice
            .as_ref()
            .and_then(|agent| agent.pairs().position(|p| p.selected))
            .map(pair_id);
        let t = TransportStats {
            packets_sent: self.stats.datagrams_sent,
            packets_received: self.stats.datagrams_received,
            bytes_sent: self.stats.bytes_sent,
            bytes_received: self.stats.bytes_received,
            dtls_state: match self.dtls_state {
                crate::DtlsState::New => "new",
                crate::DtlsState::Connecting => "connecting",
                crate::DtlsState::Connected => "connected",
                crate::DtlsState::Closed => "closed",
                crate::DtlsState::Failed => "failed",
            },
            ice_state: ice_state(self.ice_state),
            ice_local_username_fragment: self.ice_credentials.ufrag.clone(),
            local_certificate_id: certificate_id(&self.fingerprint().value),
            dtls_role,
            ice_role,
            dtls_cipher: self.dtls_cipher.map(|c| c.to_string()),
            // As the spec asks: the version's bytes in hex (RFC 6347 §4.1, RFC 9147 §5.3).
            tls_version: self.dtls_version.map(|v| match v {
                rtcweb_dtls::ProtocolVersion::DTLS_1_3 => "FEFC",
                _ => "FEFD",
            }),
            tls_group: self.dtls_group.and_then(group_name),
            srtp_cipher: self.srtp_profile().map(|p| p.name()),
            remote_certificate_id,
            selected_candidate_pair_id,
        };
        report.add(TRANSPORT, StatsKind::Transport(t));
    }

    fn ice_stats(&self, report: &mut Report) {
        let Some(agent) = &self.ice else { return };
        let locals: Vec<&Candidate> = agent.local_candidates().collect();
        let remotes: Vec<&Candidate> = agent.remote_candidates().collect();
        for (i, c) in locals.iter().enumerate() {
            // As signalled (webrtc-stats: a local candidate's address is its
            // RTCIceCandidate's): a published mDNS name, not the address it hides.
            let mut stats = candidate(&self.published((*c).clone()));
            // webrtc-stats `relayProtocol`: how we reach the TURN server.
            stats.relay_protocol = agent.relay_protocol(c).map(|t| match t {
                rtcweb_common::Transport::Udp => "udp",
                rtcweb_common::Transport::Tcp => "tcp",
                rtcweb_common::Transport::Tls => "tls",
            });
            report.add(&format!("IL{i}"), StatsKind::LocalCandidate(stats));
        }
        for (i, c) in remotes.iter().enumerate() {
            report.add(&format!("IR{i}"), StatsKind::RemoteCandidate(candidate(c)));
        }
        for (i, pair) in agent.pairs().enumerate() {
            let local = locals.iter().position(|c| *c == pair.local);
            let remote = remotes.iter().position(|c| *c == pair.remote);
            let state = match pair.state {
                PairState::Frozen => "frozen",
                PairState::Waiting => "waiting",
                PairState::InProgress => "in-progress",
                PairState::Succeeded => "succeeded",
                PairState::Failed => "failed",
            };
            report.add(
                &pair_id(i),
                StatsKind::CandidatePair(CandidatePairStats {
                    transport_id: TRANSPORT.to_owned(),
                    local_candidate_id: local.map(|l| format!("IL{l}")),
                    remote_candidate_id: remote.map(|r| format!("IR{r}")),
                    state,
                    nominated: pair.nominated,
                    priority: pair.priority,
                    available_outgoing_bitrate: pair
                        .nominated
                        .then(|| self.media.available_bitrate())
                        .flatten()
                        .map(|b| b.as_f64()),
                }),
            );
        }
    }

    /// Ours and, once DTLS is up, the peer's.
    fn certificate_stats(&self, report: &mut Report) {
        let ours = std::iter::once(self.certificate.der());
        for der in ours.chain(self.remote_certificate.as_deref()) {
            let fingerprint = rtcweb_dtls::Fingerprint::of(der, HashAlgorithm::Sha256);
            report.add(
                &certificate_id(&fingerprint.value),
                StatsKind::Certificate(CertificateStats {
                    fingerprint: colon_hex(&fingerprint.value),
                    fingerprint_algorithm: "sha-256",
                    base64_certificate: base64::engine::general_purpose::STANDARD.encode(der),
                }),
            );
        }
    }

    fn rtp_stats(&self, report: &mut Report) {
        for entry in &self.media.entries {
            let kind = kind_name(&entry.kind);
            let codec_id = |payload_type: u8, info: &crate::CodecInfo, report: &mut Report| {
                let id = format!("C{TRANSPORT}_{payload_type}");
                report.add(
                    &id,
                    StatsKind::Codec(CodecStats {
                        transport_id: TRANSPORT.to_owned(),
                        payload_type,
                        mime_type: format!("{kind}/{}", info.name),
                        clock_rate: info.clock_rate,
                        channels: info.channels,
                        sdp_fmtp_line: info.fmtp.clone(),
                    }),
                );
                id
            };
            if let Some(s) = &entry.sender {
                let codec = entry
                    .send_codecs
                    .first()
                    .map(|(pt, info)| codec_id(*pt, info, report));
                let out_id = outbound_rtp_id(&entry.kind, s.ssrc);
                let remote_id = format!("RI{}{}", kind_letter(&entry.kind), s.ssrc);
                let c = s.counters;
                let video = (entry.kind == rtcweb_sdp::MediaKind::Video).then_some(c);
                let o = OutboundRtpStats {
                    ssrc: s.ssrc,
                    kind,
                    transport_id: TRANSPORT.to_owned(),
                    codec_id: codec.clone(),
                    mid: entry.mid.clone(),
                    packets_sent: s.stats.packets_sent(),
                    bytes_sent: s.stats.octets_sent(),
                    remote_id: remote_id.clone(),
                    media_source_id: None,
                    retransmitted_packets_sent: c.retransmitted_packets,
                    retransmitted_bytes_sent: c.retransmitted_bytes,
                    nack_count: c.nack_count,
                    active: entry.encodings.first().is_none_or(|e| e.active),
                    target_bitrate: entry.target_bps.map(f64::from),
                    frames_sent: video.map(|c| c.frames_sent),
                    key_frames_encoded: video.map(|c| c.key_frames_sent),
                    pli_count: video.map(|c| c.pli_count),
                    fir_count: video.map(|c| c.fir_count),
                    rtx_ssrc: s.rtx_ssrc,
                    frames_encoded: None,
                    qp_sum: None,
                    total_encode_time: None,
                    frame_width: None,
                    frame_height: None,
                };
                report.add(&out_id, StatsKind::OutboundRtp(o));
                let r = s.stats.remote();
                if r.reports_received > 0 {
                    report.add(
                        &remote_id,
                        StatsKind::RemoteInboundRtp(RemoteInboundRtpStats {
                            ssrc: s.ssrc,
                            kind,
                            transport_id: TRANSPORT.to_owned(),
                            codec_id: codec,
                            local_id: out_id,
                            packets_lost: r.packets_lost,
                            fraction_lost: r.fraction_lost,
                            jitter: r.jitter,
                            round_trip_time: r.round_trip_time.map(|d| d.as_secs_f64()),
                            total_round_trip_time: r.total_round_trip_time,
                            round_trip_time_measurements: r.round_trip_time_measurements,
                        }),
                    );
                }
            }
            if let Some(r) = &entry.receiver {
                let st = r.stats();
                let codec = entry
                    .receive_codecs
                    .first()
                    .map(|(pt, info)| codec_id(*pt, info, report));
                let video = entry.kind == rtcweb_sdp::MediaKind::Video;
                let i = InboundRtpStats {
                    ssrc: r.ssrc(),
                    kind,
                    transport_id: TRANSPORT.to_owned(),
                    codec_id: codec,
                    mid: entry.mid.clone(),
                    track_identifier: entry.remote_track.as_ref().map(|t| t.id.clone()),
                    packets_received: st.packets_received,
                    bytes_received: st.bytes_received,
                    packets_lost: st.packets_lost,
                    jitter: st.jitter,
                    retransmitted_packets_received: st.retransmitted_packets_received,
                    frames_received: video.then_some(st.frames_received),
                    key_frames_decoded: video.then_some(st.key_frames_received),
                    frames_dropped: video.then_some(st.video.frames_dropped),
                    nack_count: video.then_some(st.video.nack_count),
                    pli_count: video.then_some(st.video.pli_count),
                    packets_discarded: video.then_some(st.video.packets_discarded),
                    ..InboundRtpStats::default()
                };
                report.add(
                    &inbound_rtp_id(&entry.kind, r.ssrc().unwrap_or(0)),
                    StatsKind::InboundRtp(i),
                );
            }
        }
    }

    /// RTCSctpTransportStats: the association's round-trip time, windows and unacked
    /// data.
    fn sctp_transport_stats(&self, report: &mut Report) {
        let Some(sctp) = &self.sctp else { return };
        let m = sctp.sctp_metrics();
        report.add(
            "S",
            StatsKind::SctpTransport(SctpTransportStats {
                transport_id: TRANSPORT.to_owned(),
                smoothed_round_trip_time: m.srtt.map(|d| d.as_secs_f64()),
                congestion_window: m.cwnd as u64,
                receiver_window: m.peer_rwnd as u64,
                unack_data: m.unacked_chunks as u64,
            }),
        );
    }

    fn data_channel_stats(&self, report: &mut Report) {
        for (i, e) in self.channels.iter().enumerate() {
            let state = match e.state {
                ChannelState::Connecting => "connecting",
                ChannelState::Open => "open",
                ChannelState::Closing => "closing",
                ChannelState::Closed => "closed",
            };
            report.add(
                &format!("D{i}"),
                StatsKind::DataChannel(DataChannelStats {
                    label: e.options.label.clone(),
                    protocol: e.options.protocol.clone(),
                    data_channel_identifier: e.stream,
                    state,
                    messages_sent: e.messages_sent,
                    bytes_sent: e.bytes_sent,
                    messages_received: e.messages_received,
                    bytes_received: e.bytes_received,
                }),
            );
        }
    }
}

/// The report being built.
struct Report {
    timestamp: f64,
    report: StatsReport,
}

impl Report {
    /// Adds one stats object with its `id` and `timestamp`.
    fn add(&mut self, id: &str, kind: StatsKind) {
        self.report.insert(RtcStats {
            id: id.to_owned(),
            timestamp: self.timestamp,
            kind,
        });
    }
}

fn candidate(c: &Candidate) -> CandidateStats {
    let kind = match c.kind {
        CandidateKind::Host => "host",
        CandidateKind::ServerReflexive => "srflx",
        CandidateKind::PeerReflexive => "prflx",
        CandidateKind::Relayed => "relay",
    };
    CandidateStats {
        transport_id: TRANSPORT.to_owned(),
        address: c.address.to_string(),
        port: c.port,
        protocol: match c.transport {
            rtcweb_ice::CandidateTransport::Udp => "udp",
            _ => "tcp",
        },
        candidate_type: kind,
        priority: c.priority,
        foundation: c.foundation.clone(),
        relay_protocol: None,
        tcp_type: c.tcp_type.map(|t| match t {
            rtcweb_ice::TcpType::Active => "active",
            rtcweb_ice::TcpType::Passive => "passive",
            rtcweb_ice::TcpType::SimultaneousOpen => "so",
        }),
    }
}

/// The IANA "TLS Supported Groups" name of a group.
fn group_name(g: rtcweb_dtls::NamedGroup) -> Option<&'static str> {
    use rtcweb_dtls::NamedGroup as G;
    Some(match g {
        G::X25519MLKEM768 => "X25519MLKEM768",
        G::X25519 => "x25519",
        G::SECP256R1 => "secp256r1",
        G::SECP384R1 => "secp384r1",
        _ => return None,
    })
}

fn pair_id(i: usize) -> String {
    format!("CP{i}")
}

fn certificate_id(fingerprint: &[u8]) -> String {
    format!("CF{}", colon_hex(fingerprint))
}

fn colon_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn ice_state(state: crate::IceConnectionState) -> &'static str {
    use rtcweb_ice::ConnectionState as S;
    match state {
        S::New => "new",
        S::Checking => "checking",
        S::Connected => "connected",
        S::Completed => "completed",
        S::Disconnected => "disconnected",
        S::Failed => "failed",
        S::Closed => "closed",
    }
}

/// The `kind` member: `audio` or `video` (media entries are one or the other).
fn kind_name(kind: &rtcweb_sdp::MediaKind) -> &'static str {
    if *kind == rtcweb_sdp::MediaKind::Video {
        "video"
    } else {
        "audio"
    }
}

/// `A` for audio, `V` for video, as Chromium's stats ids have them.
fn kind_letter(kind: &rtcweb_sdp::MediaKind) -> char {
    if *kind == rtcweb_sdp::MediaKind::Video {
        'V'
    } else {
        'A'
    }
}

/// The id of the `outbound-rtp` object of a sent stream (an owner that encodes adds its
/// encoder's counters to it).
pub(crate) fn outbound_rtp_id(kind: &rtcweb_sdp::MediaKind, ssrc: u32) -> String {
    format!("OT01{}{ssrc}", kind_letter(kind))
}

/// The id of the `inbound-rtp` object of a received stream (an owner that decodes adds
/// its playout counters to it).
pub(crate) fn inbound_rtp_id(kind: &rtcweb_sdp::MediaKind, ssrc: u32) -> String {
    format!("IT01{}{ssrc}", kind_letter(kind))
}
