//! The stats objects of a report, one struct per webrtc-stats dictionary, with the
//! specification's member names when serialized (camelCase; members not known are left
//! out). Enumerated values are the specification's strings (`"connected"`, `"srflx"`).

use std::collections::BTreeMap;

use serde::Serialize;

/// A stats report (W3C `RTCStatsReport`): the stats objects by id.
///
/// It serializes (serde) as the JSON object a browser's `getStats()` gives when its map is
/// turned into an object: `{ id: { id, type, timestamp, ...members } }`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct StatsReport {
    entries: BTreeMap<String, RtcStats>,
}

impl StatsReport {
    /// The stats object with this id.
    pub fn get(&self, id: &str) -> Option<&RtcStats> {
        self.entries.get(id)
    }

    /// The stats object with this id, to change (an owner adds what it measures itself,
    /// such as a decoder's playout counters).
    pub fn get_mut(&mut self, id: &str) -> Option<&mut RtcStats> {
        self.entries.get_mut(id)
    }

    /// Every stats object, by id.
    pub fn iter(&self) -> impl Iterator<Item = &RtcStats> {
        self.entries.values()
    }

    /// How many stats objects there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The report as a JSON value (what `serde_json::to_value` gives).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    pub(crate) fn insert(&mut self, stats: RtcStats) {
        self.entries.insert(stats.id.clone(), stats);
    }
}

/// The report as JSON text.
impl std::fmt::Display for StatsReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let json = serde_json::to_string(self).map_err(|_| std::fmt::Error)?;
        f.write_str(&json)
    }
}

/// One stats object (W3C `RTCStats`): its id, when it was taken, and its type's members.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RtcStats {
    /// `id`: unique in the report, stable across reports.
    pub id: String,
    /// `timestamp`: milliseconds since the Unix epoch.
    pub timestamp: f64,
    /// `type` and the members of that type.
    #[serde(flatten)]
    pub kind: StatsKind,
}

/// The type of a stats object (`RTCStatsType`) with its members.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum StatsKind {
    /// `peer-connection`.
    PeerConnection(PeerConnectionStats),
    /// `transport`: the one BUNDLE transport (ICE and DTLS).
    Transport(TransportStats),
    /// `candidate-pair`.
    CandidatePair(CandidatePairStats),
    /// `local-candidate`.
    LocalCandidate(CandidateStats),
    /// `remote-candidate`.
    RemoteCandidate(CandidateStats),
    /// `certificate`: ours, and the peer's once DTLS is up.
    Certificate(CertificateStats),
    /// `codec`: a payload type in use.
    Codec(CodecStats),
    /// `inbound-rtp`: a stream we receive.
    InboundRtp(InboundRtpStats),
    /// `outbound-rtp`: a stream we send.
    OutboundRtp(OutboundRtpStats),
    /// `media-source`: what an audio sender's processing did to its source.
    MediaSource(MediaSourceStats),
    /// `remote-inbound-rtp`: what the peer's receiver reports about a stream we send.
    RemoteInboundRtp(RemoteInboundRtpStats),
    /// `sctp-transport`.
    SctpTransport(SctpTransportStats),
    /// `data-channel`.
    DataChannel(DataChannelStats),
}

/// `RTCAudioSourceStats` (a `media-source` of kind `audio`): here, an audio sender whose
/// audio goes through echo cancellation, noise suppression or gain control.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaSourceStats {
    /// `audio`.
    pub kind: &'static str,
    /// The sender's track id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub track_identifier: Option<String>,
    /// `echoReturnLoss`, dB: how much quieter the echo is than the far end in the
    /// microphone, as the echo canceller estimates it (when it is on and has measured).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub echo_return_loss: Option<f64>,
    /// `echoReturnLossEnhancement`, dB: how much the echo canceller took off the echo.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub echo_return_loss_enhancement: Option<f64>,
}

/// `RTCPeerConnectionStats`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PeerConnectionStats {
    /// Data channels that reached `open`.
    pub data_channels_opened: u64,
    /// Data channels that reached `closed` after being open.
    pub data_channels_closed: u64,
}

/// `RTCTransportStats`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransportStats {
    /// Datagrams sent.
    pub packets_sent: u64,
    /// Datagrams received.
    pub packets_received: u64,
    /// Bytes sent.
    pub bytes_sent: u64,
    /// Bytes received.
    pub bytes_received: u64,
    /// `RTCDtlsTransportState`.
    pub dtls_state: &'static str,
    /// `RTCIceTransportState`.
    pub ice_state: &'static str,
    /// Our ICE username fragment.
    pub ice_local_username_fragment: String,
    /// The id of our `certificate`.
    pub local_certificate_id: String,
    /// `client` or `server`, once known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dtls_role: Option<&'static str>,
    /// `controlling` or `controlled`, once ICE runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ice_role: Option<&'static str>,
    /// The DTLS cipher suite (IANA name), once connected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dtls_cipher: Option<String>,
    /// The DTLS version's bytes in hex (`FEFD` for DTLS 1.2, `FEFC` for 1.3), once
    /// connected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_version: Option<&'static str>,
    /// The key exchange group of the DTLS handshake, by its IANA name
    /// (`X25519MLKEM768`, `x25519`, `secp256r1`), once connected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_group: Option<&'static str>,
    /// The SRTP protection profile, once keyed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub srtp_cipher: Option<&'static str>,
    /// The id of the peer's `certificate`, once DTLS is up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_certificate_id: Option<String>,
    /// The id of the selected `candidate-pair`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selected_candidate_pair_id: Option<String>,
}

/// `RTCIceCandidateStats` (local and remote).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CandidateStats {
    /// The `transport`'s id.
    pub transport_id: String,
    /// The address as signalled: an mDNS name stays a name, the peer's and ours (a local
    /// host candidate on an address with a published name shows the name).
    pub address: String,
    /// The port.
    pub port: u16,
    /// `udp` or `tcp`.
    pub protocol: &'static str,
    /// `host`, `srflx`, `prflx` or `relay`.
    pub candidate_type: &'static str,
    /// The candidate's priority.
    pub priority: u32,
    /// The candidate's foundation.
    pub foundation: String,
    /// For a local relayed candidate: how we reach the TURN server (`udp`, `tcp`, `tls`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relay_protocol: Option<&'static str>,
    /// For an ICE-TCP candidate: `active`, `passive` or `so` (RFC 6544 §4.5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tcp_type: Option<&'static str>,
}

/// `RTCIceCandidatePairStats`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CandidatePairStats {
    /// The `transport`'s id.
    pub transport_id: String,
    /// The `local-candidate`'s id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_candidate_id: Option<String>,
    /// The `remote-candidate`'s id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_candidate_id: Option<String>,
    /// `frozen`, `waiting`, `in-progress`, `succeeded` or `failed`.
    pub state: &'static str,
    /// Whether the pair was nominated.
    pub nominated: bool,
    /// The pair's priority (RFC 8445 §6.1.2.3).
    pub priority: u64,
    /// The bandwidth estimate of congestion control for what we send, bits per second,
    /// on the nominated pair while it runs (`availableOutgoingBitrate`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available_outgoing_bitrate: Option<f64>,
}

/// `RTCCertificateStats`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateStats {
    /// The SHA-256 fingerprint, upper-case hex with colons.
    pub fingerprint: String,
    /// `sha-256`.
    pub fingerprint_algorithm: &'static str,
    /// The DER certificate in base64.
    pub base64_certificate: String,
}

/// `RTCCodecStats`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CodecStats {
    /// The `transport`'s id.
    pub transport_id: String,
    /// The RTP payload type.
    pub payload_type: u8,
    /// `audio/opus`, `video/VP8`, ...
    pub mime_type: String,
    /// The RTP clock rate.
    pub clock_rate: u32,
    /// Audio channels.
    pub channels: u16,
    /// The `a=fmtp` parameters.
    pub sdp_fmtp_line: String,
}

/// `RTCOutboundRtpStreamStats`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboundRtpStats {
    /// The stream's SSRC.
    pub ssrc: u32,
    /// `audio` or `video`.
    pub kind: &'static str,
    /// The `transport`'s id.
    pub transport_id: String,
    /// The `codec`'s id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codec_id: Option<String>,
    /// The transceiver's mid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mid: Option<String>,
    /// RTP packets sent (retransmissions excluded).
    pub packets_sent: u64,
    /// Payload bytes sent.
    pub bytes_sent: u64,
    /// The `remote-inbound-rtp`'s id.
    pub remote_id: String,
    /// The `media-source`'s id, when the sender has one (an audio sender that processes
    /// its audio).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_source_id: Option<String>,
    /// Packets retransmitted (RTX).
    pub retransmitted_packets_sent: u64,
    /// Bytes retransmitted.
    pub retransmitted_bytes_sent: u64,
    /// NACKs received.
    pub nack_count: u64,
    /// Whether the encoding is sent.
    pub active: bool,
    /// The bitrate congestion control allocates to the sender, bits per second
    /// (`targetBitrate`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_bitrate: Option<f64>,
    /// Video: frames sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frames_sent: Option<u64>,
    /// Video: key frames sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_frames_encoded: Option<u64>,
    /// Video: PLIs received.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pli_count: Option<u64>,
    /// Video: FIRs received.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fir_count: Option<u64>,
    /// The RTX stream's SSRC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtx_ssrc: Option<u32>,
    /// Video encoded by the driver: frames encoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frames_encoded: Option<u64>,
    /// Video encoded by the driver: the sum of the encoded frames' quantizers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qp_sum: Option<u64>,
    /// Video encoded by the driver: seconds spent encoding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_encode_time: Option<f64>,
    /// Video encoded by the driver: the last encoded frame's width.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame_width: Option<u32>,
    /// Video encoded by the driver: the last encoded frame's height.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame_height: Option<u32>,
}

/// `RTCRemoteInboundRtpStreamStats`, from the peer's receiver reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteInboundRtpStats {
    /// The SSRC of the stream we send.
    pub ssrc: u32,
    /// `audio` or `video`.
    pub kind: &'static str,
    /// The `transport`'s id.
    pub transport_id: String,
    /// The `codec`'s id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codec_id: Option<String>,
    /// The `outbound-rtp`'s id.
    pub local_id: String,
    /// Cumulative packets lost, as reported.
    pub packets_lost: i64,
    /// The last report's fraction lost.
    pub fraction_lost: f64,
    /// Interarrival jitter, seconds.
    pub jitter: f64,
    /// The last round-trip time, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub round_trip_time: Option<f64>,
    /// Sum of the round-trip times, seconds.
    pub total_round_trip_time: f64,
    /// How many round-trip times were measured.
    pub round_trip_time_measurements: u64,
}

/// `RTCInboundRtpStreamStats`. The audio playout members are there when the owner decodes
/// the stream (the driver's audio layer adds them).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InboundRtpStats {
    /// The stream's SSRC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssrc: Option<u32>,
    /// `audio` or `video`.
    pub kind: &'static str,
    /// The `transport`'s id.
    pub transport_id: String,
    /// The `codec`'s id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codec_id: Option<String>,
    /// The transceiver's mid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mid: Option<String>,
    /// The remote track's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub track_identifier: Option<String>,
    /// RTP packets received.
    pub packets_received: u64,
    /// Payload bytes received.
    pub bytes_received: u64,
    /// Packets lost (RFC 3550 A.3; negative with duplicates).
    pub packets_lost: i64,
    /// Interarrival jitter, seconds.
    pub jitter: f64,
    /// Retransmissions (RTX) received.
    pub retransmitted_packets_received: u64,
    /// Video: frames assembled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frames_received: Option<u64>,
    /// Video: key frames assembled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_frames_decoded: Option<u64>,
    /// Video: frames dropped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frames_dropped: Option<u64>,
    /// Video: NACKs sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nack_count: Option<u64>,
    /// Video: PLIs sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pli_count: Option<u64>,
    /// Packets discarded (late or duplicate), by the frame buffer or the jitter buffer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub packets_discarded: Option<u64>,
    /// Audio playout: samples played (decoded or concealed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_samples_received: Option<u64>,
    /// Audio playout: the sum of each sample's energy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_audio_energy: Option<f64>,
    /// Audio playout: seconds played.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_samples_duration: Option<f64>,
    /// Audio playout: samples concealed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concealed_samples: Option<u64>,
    /// Audio playout: concealment events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concealment_events: Option<u64>,
    /// Audio playout: the sum of each sample's time in the jitter buffer, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jitter_buffer_delay: Option<f64>,
    /// Audio playout: samples that left the jitter buffer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jitter_buffer_emitted_count: Option<u64>,
    /// Audio playout: the sum of the target delays, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jitter_buffer_target_delay: Option<f64>,
    /// Video decoded by the driver: frames decoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frames_decoded: Option<u64>,
    /// Video decoded by the driver: seconds spent decoding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_decode_time: Option<f64>,
    /// Video decoded by the driver: the last decoded frame's width.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame_width: Option<u32>,
    /// Video decoded by the driver: the last decoded frame's height.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame_height: Option<u32>,
    /// Video decoded by the driver: frames decoded in the last second.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frames_per_second: Option<f64>,
    /// Video decoded by the driver: freezes (a gap between frames above
    /// max(3 × the mean, the mean + 150 ms)).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub freeze_count: Option<u64>,
    /// Video decoded by the driver: seconds of those freezes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_freezes_duration: Option<f64>,
}

/// `RTCSctpTransportStats`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SctpTransportStats {
    /// The `transport`'s id.
    pub transport_id: String,
    /// Smoothed round-trip time, seconds, once measured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smoothed_round_trip_time: Option<f64>,
    /// Congestion window, bytes.
    pub congestion_window: u64,
    /// The peer's receiver window, bytes.
    pub receiver_window: u64,
    /// DATA chunks not yet acknowledged.
    pub unack_data: u64,
}

/// `RTCDataChannelStats`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DataChannelStats {
    /// The label.
    pub label: String,
    /// The sub-protocol.
    pub protocol: String,
    /// The SCTP stream id, once known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_channel_identifier: Option<u16>,
    /// `connecting`, `open`, `closing` or `closed`.
    pub state: &'static str,
    /// Messages sent.
    pub messages_sent: u64,
    /// Payload bytes sent.
    pub bytes_sent: u64,
    /// Messages received.
    pub messages_received: u64,
    /// Payload bytes received.
    pub bytes_received: u64,
}
