//! The W3C webrtc-stats report (`getStats()`): one JSON object per stats object, keyed by
//! id, with the dictionary names and fields of the specification.

use std::time::Instant;

use base64::Engine;
use rtcweb_datachannel::ChannelState;
use rtcweb_dtls::HashAlgorithm;
use rtcweb_ice::{Candidate, CandidateKind, PairState};
use serde_json::{Map, Value, json};

use crate::Peer;

const TRANSPORT: &str = "T01";

impl Peer {
    /// The stats report (W3C `getStats()`, webrtc-stats): a JSON object whose members are
    /// the stats objects by id, each with its `type` (`peer-connection`, `transport`,
    /// `candidate-pair`, `local-candidate`, `remote-candidate`, `certificate`, `codec`,
    /// `inbound-rtp`, `outbound-rtp`, `remote-inbound-rtp`, `sctp-transport`,
    /// `data-channel`) and `timestamp` (milliseconds since the Unix epoch, from
    /// [`Config::wallclock`](crate::Config::wallclock)). Serialize it with `to_string()`.
    pub fn stats_report(&self, now: Instant) -> Value {
        let wallclock = self.config.wallclock.unwrap_or_default();
        let timestamp =
            (wallclock + now.saturating_duration_since(self.epoch)).as_secs_f64() * 1000.0;
        let mut report = Report {
            timestamp,
            entries: Map::new(),
        };
        self.peer_connection_stats(&mut report);
        self.transport_stats(&mut report);
        self.ice_stats(&mut report);
        self.certificate_stats(&mut report);
        self.rtp_stats(&mut report);
        self.sctp_transport_stats(&mut report);
        self.data_channel_stats(&mut report);
        Value::Object(report.entries)
    }

    fn peer_connection_stats(&self, report: &mut Report) {
        report.add(
            "P",
            "peer-connection",
            json!({
                "dataChannelsOpened": self.stats.data_channels_opened,
                "dataChannelsClosed": self.stats.data_channels_closed,
            }),
        );
    }

    fn transport_stats(&self, report: &mut Report) {
        let mut t = json!({
            "packetsSent": self.stats.datagrams_sent,
            "packetsReceived": self.stats.datagrams_received,
            "bytesSent": self.stats.bytes_sent,
            "bytesReceived": self.stats.bytes_received,
            "dtlsState": match self.dtls_state {
                crate::DtlsState::New => "new",
                crate::DtlsState::Connecting => "connecting",
                crate::DtlsState::Connected => "connected",
                crate::DtlsState::Closed => "closed",
                crate::DtlsState::Failed => "failed",
            },
            "iceState": ice_state(self.ice_state),
            "iceLocalUsernameFragment": self.ice_credentials.ufrag,
            "localCertificateId": certificate_id(&self.fingerprint().value),
        });
        let fields = t.as_object_mut().expect("an object");
        if let Some(role) = self.dtls_role {
            let role = match role {
                rtcweb_sdp::DtlsRole::Client => "client",
                rtcweb_sdp::DtlsRole::Server => "server",
            };
            fields.insert("dtlsRole".into(), json!(role));
        }
        if let Some(agent) = &self.ice {
            let role = if agent.is_controlling() {
                "controlling"
            } else {
                "controlled"
            };
            fields.insert("iceRole".into(), json!(role));
        }
        if let Some(cipher) = self.dtls_cipher {
            fields.insert("dtlsCipher".into(), json!(cipher));
            // DTLS 1.2 (RFC 6347 §4.1), as the spec asks: the version's bytes in hex.
            fields.insert("tlsVersion".into(), json!("FEFD"));
        }
        if let Some(profile) = self.srtp_profile() {
            fields.insert("srtpCipher".into(), json!(profile.name()));
        }
        if let Some(der) = &self.remote_certificate {
            let fingerprint = rtcweb_dtls::Fingerprint::of(der, HashAlgorithm::Sha256);
            fields.insert(
                "remoteCertificateId".into(),
                json!(certificate_id(&fingerprint.value)),
            );
        }
        if let Some(agent) = &self.ice
            && let Some(i) = agent.pairs().position(|p| p.selected)
        {
            fields.insert("selectedCandidatePairId".into(), json!(pair_id(i)));
        }
        report.add(TRANSPORT, "transport", t);
    }

    fn ice_stats(&self, report: &mut Report) {
        let Some(agent) = &self.ice else { return };
        let locals: Vec<&Candidate> = agent.local_candidates().collect();
        let remotes: Vec<&Candidate> = agent.remote_candidates().collect();
        for (i, c) in locals.iter().enumerate() {
            let mut stats = candidate(c);
            // webrtc-stats `relayProtocol`: how we reach the TURN server.
            if let Some(t) = agent.relay_protocol(c) {
                stats["relayProtocol"] = json!(match t {
                    rtcweb_common::Transport::Udp => "udp",
                    rtcweb_common::Transport::Tcp => "tcp",
                    rtcweb_common::Transport::Tls => "tls",
                });
            }
            report.add(&format!("IL{i}"), "local-candidate", stats);
        }
        for (i, c) in remotes.iter().enumerate() {
            report.add(&format!("IR{i}"), "remote-candidate", candidate(c));
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
                "candidate-pair",
                json!({
                    "transportId": TRANSPORT,
                    "localCandidateId": local.map(|l| format!("IL{l}")),
                    "remoteCandidateId": remote.map(|r| format!("IR{r}")),
                    "state": state,
                    "nominated": pair.nominated,
                    "priority": pair.priority,
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
                "certificate",
                json!({
                    "fingerprint": colon_hex(&fingerprint.value),
                    "fingerprintAlgorithm": "sha-256",
                    "base64Certificate": base64::engine::general_purpose::STANDARD.encode(der),
                }),
            );
        }
    }

    fn rtp_stats(&self, report: &mut Report) {
        for entry in &self.media.entries {
            let kind = entry.kind.as_str();
            let codec_id = |payload_type: u8, info: &crate::CodecInfo, report: &mut Report| {
                let id = format!("C{TRANSPORT}_{payload_type}");
                report.add(
                    &id,
                    "codec",
                    json!({
                        "transportId": TRANSPORT,
                        "payloadType": payload_type,
                        "mimeType": format!("{kind}/{}", info.name),
                        "clockRate": info.clock_rate,
                        "channels": info.channels,
                        "sdpFmtpLine": info.fmtp,
                    }),
                );
                id
            };
            if let Some(s) = &entry.sender {
                let codec = entry
                    .send_codecs
                    .first()
                    .map(|(pt, info)| codec_id(*pt, info, report));
                let out_id = format!("OT01{}{}", kind_letter(&entry.kind), s.ssrc);
                let remote_id = format!("RI{}{}", kind_letter(&entry.kind), s.ssrc);
                let c = s.counters;
                let mut o = json!({
                    "ssrc": s.ssrc,
                    "kind": kind,
                    "transportId": TRANSPORT,
                    "codecId": codec,
                    "mid": entry.mid,
                    "packetsSent": s.stats.packets_sent(),
                    "bytesSent": s.stats.octets_sent(),
                    "remoteId": remote_id,
                    "retransmittedPacketsSent": c.retransmitted_packets,
                    "retransmittedBytesSent": c.retransmitted_bytes,
                    "nackCount": c.nack_count,
                    "active": entry.encodings.first().is_none_or(|e| e.active),
                });
                if entry.kind == rtcweb_sdp::MediaKind::Video {
                    merge(
                        &mut o,
                        json!({
                            "framesSent": c.frames_sent,
                            "keyFramesEncoded": c.key_frames_sent,
                            "pliCount": c.pli_count,
                            "firCount": c.fir_count,
                        }),
                    );
                }
                if let Some(rtx) = s.rtx_ssrc {
                    merge(&mut o, json!({ "rtxSsrc": rtx }));
                }
                report.add(&out_id, "outbound-rtp", o);
                let r = s.stats.remote();
                if r.reports_received > 0 {
                    report.add(
                        &remote_id,
                        "remote-inbound-rtp",
                        json!({
                            "ssrc": s.ssrc,
                            "kind": kind,
                            "transportId": TRANSPORT,
                            "codecId": codec,
                            "localId": out_id,
                            "packetsLost": r.packets_lost,
                            "fractionLost": r.fraction_lost,
                            "jitter": r.jitter,
                            "roundTripTime": r.round_trip_time.map(|d| d.as_secs_f64()),
                            "totalRoundTripTime": r.total_round_trip_time,
                            "roundTripTimeMeasurements": r.round_trip_time_measurements,
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
                let mut i = json!({
                    "ssrc": r.ssrc(),
                    "kind": kind,
                    "transportId": TRANSPORT,
                    "codecId": codec,
                    "mid": entry.mid,
                    "trackIdentifier": entry.remote_track.as_ref().map(|t| t.id.clone()),
                    "packetsReceived": st.packets_received,
                    "bytesReceived": st.bytes_received,
                    "packetsLost": st.packets_lost,
                    "jitter": st.jitter,
                    "retransmittedPacketsReceived": st.retransmitted_packets_received,
                });
                if entry.kind == rtcweb_sdp::MediaKind::Video {
                    merge(
                        &mut i,
                        json!({
                            "framesReceived": st.frames_received,
                            "keyFramesDecoded": st.key_frames_received,
                            "framesDropped": st.video.frames_dropped,
                            "nackCount": st.video.nack_count,
                            "pliCount": st.video.pli_count,
                            "packetsDiscarded": st.video.packets_discarded,
                        }),
                    );
                }
                report.add(
                    &inbound_rtp_id(&entry.kind, r.ssrc().unwrap_or(0)),
                    "inbound-rtp",
                    i,
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
            "sctp-transport",
            json!({
                "transportId": TRANSPORT,
                "smoothedRoundTripTime": m.srtt.map(|d| d.as_secs_f64()),
                "congestionWindow": m.cwnd,
                "receiverWindow": m.peer_rwnd,
                "unackData": m.unacked_chunks,
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
                "data-channel",
                json!({
                    "label": e.options.label,
                    "protocol": e.options.protocol,
                    "dataChannelIdentifier": e.stream,
                    "state": state,
                    "messagesSent": e.messages_sent,
                    "bytesSent": e.bytes_sent,
                    "messagesReceived": e.messages_received,
                    "bytesReceived": e.bytes_received,
                }),
            );
        }
    }
}

/// The report being built.
struct Report {
    timestamp: f64,
    entries: Map<String, Value>,
}

impl Report {
    /// Adds one stats object with its `id`, `type` and `timestamp`; fields that are `null`
    /// (not known) are left out, as the specification's optional members are.
    fn add(&mut self, id: &str, kind: &str, fields: Value) {
        let mut object = Map::new();
        object.insert("id".into(), json!(id));
        object.insert("type".into(), json!(kind));
        object.insert("timestamp".into(), json!(self.timestamp));
        if let Value::Object(fields) = fields {
            object.extend(fields.into_iter().filter(|(_, v)| !v.is_null()));
        }
        self.entries.insert(id.to_owned(), Value::Object(object));
    }
}

fn merge(into: &mut Value, more: Value) {
    if let (Value::Object(into), Value::Object(more)) = (into, more) {
        into.extend(more);
    }
}

fn candidate(c: &Candidate) -> Value {
    let kind = match c.kind {
        CandidateKind::Host => "host",
        CandidateKind::ServerReflexive => "srflx",
        CandidateKind::PeerReflexive => "prflx",
        CandidateKind::Relayed => "relay",
    };
    json!({
        "transportId": TRANSPORT,
        "address": c.address.to_string(),
        "port": c.port,
        "protocol": match c.transport {
            rtcweb_ice::CandidateTransport::Udp => "udp",
            _ => "tcp",
        },
        "candidateType": kind,
        "priority": c.priority,
        "foundation": c.foundation,
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

/// `A` for audio, `V` for video, as Chromium's stats ids have them.
fn kind_letter(kind: &rtcweb_sdp::MediaKind) -> char {
    if *kind == rtcweb_sdp::MediaKind::Video {
        'V'
    } else {
        'A'
    }
}

/// The id of the `inbound-rtp` object of a received stream (an owner that decodes adds
/// its playout counters to it).
pub(crate) fn inbound_rtp_id(kind: &rtcweb_sdp::MediaKind, ssrc: u32) -> String {
    format!("IT01{}{ssrc}", kind_letter(kind))
}
