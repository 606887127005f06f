//! Video beside the connection's task: a sender's encoder and a remote track's decoder each
//! run on a thread of their own, so a slow codec never holds up the network. The encoder
//! takes raw pictures and hands encoded frames to the core (a key frame when the peer asks
//! with a PLI or FIR); the decoder takes the core's whole frames and hands out pictures,
//! asking for a key frame after a decoder error. Both keep the webrtc-stats counters that
//! the connection's stats report shows.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc as sync_mpsc};
use std::time::{Duration, Instant};

use rtcweb_media::video::{EncodedVideoFrame, VideoDecoder, VideoEncoder, VideoEncoderConfig};
use rtcweb_media::{CodecError, DecodedVideoFrame, RawVideoFrame, VideoCodec};
use tokio::sync::{mpsc, oneshot};

use super::command::Command;
use super::tracks::{EncodedFrame, RemoteTrack, RtpSender};
use super::{DriverError, clock, request};
use crate::{CodecInfo, ReceivedFrame, TransceiverId};

/// Decoded pictures queued on a [`RemoteVideoTrack`]: about a second at 30 frame/s. When
/// the application does not read, newer pictures are dropped and counted.
const DECODED_FRAMES: usize = 30;

/// The video codec rtcweb encodes and decodes for a negotiated codec, if any: VP8, VP9
/// profile 0 (RFC 9628 §6), H.264 with packetization-mode 1 (RFC 6184 §5.8).
pub(crate) fn video_codec(codec: &CodecInfo) -> Option<VideoCodec> {
    if codec.is("VP8") {
        Some(VideoCodec::Vp8)
    } else if codec.is("VP9") && codec.parameter("profile-id").unwrap_or("0") == "0" {
        Some(VideoCodec::Vp9)
    } else if codec.is("H264") && codec.parameter("packetization-mode") == Some("1") {
        Some(VideoCodec::H264)
    } else {
        None
    }
}

/// Encoder settings of a [`VideoSender`]; the bitrate and frame rate can change at any time
/// ([`VideoSender::set_bitrate`], [`VideoSender::set_frame_rate`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VideoSendSettings {
    /// Target bitrate, bits per second. While congestion control runs (the peer negotiated
    /// transport-wide feedback), the encoder gets what it allocates, at most this.
    pub bitrate_bps: u32,
    /// Frames per second the source runs at.
    pub frame_rate: u32,
    /// Most frames between two key frames when nobody asks for one.
    pub max_keyframe_interval: u32,
}

impl Default for VideoSendSettings {
    /// At most 2.5 Mbit/s (what browsers give 1280×720) at 30 frames per second, a key
    /// frame only when asked for (or every 3000 frames).
    fn default() -> Self {
        Self {
            bitrate_bps: 2_500_000,
            frame_rate: 30,
            max_keyframe_interval: 3000,
        }
    }
}

/// The encoder's webrtc-stats `outbound-rtp` counters.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct EncoderCounters {
    pub(crate) frames_encoded: u64,
    pub(crate) key_frames_encoded: u64,
    /// The sum of the frames' quantizers, when the encoder reports them (libvpx does,
    /// OpenH264's API does not).
    pub(crate) qp_sum: Option<u64>,
    pub(crate) total_encode_time: Duration,
    pub(crate) frame_size: Option<(u32, u32)>,
}

/// What a sender's encoder thread shares with its handles and the connection's task.
#[derive(Debug)]
pub(crate) struct EncoderShared {
    keyframe: AtomicBool,
    bitrate_bps: AtomicU32,
    /// What congestion control allocates; 0 while it does not run.
    allocated_bps: AtomicU32,
    frame_rate: AtomicU32,
    counters: Mutex<EncoderCounters>,
}

impl EncoderShared {
    /// The peer asked for a key frame: the next picture is encoded as one.
    pub(crate) fn request_keyframe(&self) {
        self.keyframe.store(true, Ordering::Relaxed);
    }

    pub(crate) fn counters(&self) -> EncoderCounters {
        *self.counters.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Congestion control allocates this bitrate to the sender.
    pub(crate) fn set_allocated(&self, bps: u32) {
        self.allocated_bps.store(bps, Ordering::Relaxed);
    }

    /// The bitrate the encoder aims at: the application's, or less when congestion
    /// control allocates less.
    fn bitrate(&self) -> u32 {
        let set = self.bitrate_bps.load(Ordering::Relaxed);
        match self.allocated_bps.load(Ordering::Relaxed) {
            0 => set,
            allocated => allocated.min(set),
        }
    }
}

struct EncodeJob {
    frame: RawVideoFrame,
    codec: VideoCodec,
    reply: oneshot::Sender<Result<Option<EncodedVideoFrame>, CodecError>>,
}

/// Sends raw pictures on a video transceiver: they are encoded on a thread of the sender's
/// own with the negotiated codec (VP8, VP9 or H.264, the peer's preference first) and
/// handed to the connection. Key frames come when the peer asks (PLI, FIR), on
/// [`request_keyframe`](Self::request_keyframe), and after a codec or size change. Clones
/// share the encoder; the thread ends with the last clone.
#[derive(Debug, Clone)]
pub struct VideoSender {
    sender: RtpSender,
    jobs: sync_mpsc::SyncSender<EncodeJob>,
    shared: Arc<EncoderShared>,
}

impl VideoSender {
    pub(crate) async fn start(
        sender: RtpSender,
        settings: VideoSendSettings,
    ) -> Result<Self, DriverError> {
        let shared = Arc::new(EncoderShared {
            keyframe: AtomicBool::new(false),
            bitrate_bps: AtomicU32::new(settings.bitrate_bps),
            allocated_bps: AtomicU32::new(0),
            frame_rate: AtomicU32::new(settings.frame_rate.max(1)),
            counters: Mutex::new(EncoderCounters::default()),
        });
        // One picture in the queue at most: a source faster than the encoder loses
        // pictures, it does not build up delay.
        let (jobs, queue) = sync_mpsc::sync_channel::<EncodeJob>(1);
        let thread_shared = Arc::clone(&shared);
        let max_keyframe_interval = settings.max_keyframe_interval;
        std::thread::Builder::new()
            .name("rtcweb-video-encoder".into())
            .spawn(move || encode_loop(&queue, &thread_shared, max_keyframe_interval))
            .map_err(DriverError::Thread)?;
        let id = sender.id;
        let link = Arc::clone(&shared);
        request(&sender.commands, |reply| Command::AttachVideoSender {
            id,
            shared: link,
            reply,
        })
        .await?;
        Ok(Self {
            sender,
            jobs,
            shared,
        })
    }

    /// Its transceiver.
    pub fn transceiver(&self) -> TransceiverId {
        self.sender.id
    }

    /// Encodes and sends one picture. `Ok(false)` when it was not sent: nothing negotiated
    /// to send yet, the connection is not up, the encoder is still busy with the previous
    /// picture, or its output ran more than half a second ahead of the target bitrate (a
    /// live source goes on with the next). An error when the peer
    /// accepted only codecs this build cannot encode, or the encoder failed.
    pub async fn send(&self, frame: RawVideoFrame) -> Result<bool, DriverError> {
        let parameters = self.sender.parameters().await?;
        if parameters.codecs.is_empty() {
            return Ok(false);
        }
        let Some((payload_type, codec)) = parameters
            .codecs
            .iter()
            .find_map(|(pt, c)| video_codec(c).map(|v| (*pt, v)))
        else {
            return Err(DriverError::Video(CodecError::NoCodec));
        };
        let (reply, encoded) = oneshot::channel();
        match self.jobs.try_send(EncodeJob {
            frame,
            codec,
            reply,
        }) {
            Ok(()) => {}
            Err(sync_mpsc::TrySendError::Full(_)) => return Ok(false),
            Err(sync_mpsc::TrySendError::Disconnected(_)) => return Err(DriverError::Closed),
        }
        let Some(encoded) = encoded
            .await
            .map_err(|_| DriverError::Closed)?
            .map_err(DriverError::Video)?
        else {
            return Ok(false);
        };
        let video_size = u16::try_from(encoded.width)
            .ok()
            .zip(u16::try_from(encoded.height).ok());
        let sent = self
            .sender
            .write_frame(EncodedFrame {
                payload_type,
                rtp_timestamp: encoded.rtp_timestamp,
                capture_time: encoded.capture_time,
                audio_level: None,
                keyframe: encoded.keyframe,
                video_size,
                data: encoded.data,
            })
            .await?;
        if !sent {
            // Not sent (the connection is not up yet): the peer's decoder must start from
            // a key frame, so the next picture is one.
            self.shared.request_keyframe();
        }
        Ok(sent)
    }

    /// Sets the encoder's target bitrate from the next picture on (the most it gets while
    /// congestion control runs).
    pub fn set_bitrate(&self, bps: u32) {
        self.shared.bitrate_bps.store(bps, Ordering::Relaxed);
    }

    /// Sets the frame rate the encoder plans for from the next picture on.
    pub fn set_frame_rate(&self, frame_rate: u32) {
        self.shared
            .frame_rate
            .store(frame_rate.max(1), Ordering::Relaxed);
    }

    /// Encodes the next picture as a key frame.
    pub fn request_keyframe(&self) {
        self.shared.request_keyframe();
    }
}

/// How far the encoder's output may run ahead of its target bitrate, in time at that
/// rate, before pictures are dropped.
const MAX_RATE_DEBT: Duration = Duration::from_millis(500);

/// Drops pictures while the encoder's output runs ahead of its target (libwebrtc's
/// `FrameDropper` does the same): a leaky bucket of the bits sent, drained at the target.
/// Encoders overshoot where the content is complex for the rate (and after key frames);
/// without it the pacer's queue, then the network's, would grow.
#[derive(Debug, Default)]
struct FrameDropper {
    debt_bits: f64,
    last: Option<Instant>,
}

impl FrameDropper {
    /// Drains the bucket to `now`; true when the next picture should be dropped.
    fn should_drop(&mut self, now: Instant, bitrate: u32) -> bool {
        if let Some(last) = self.last {
            let drained = f64::from(bitrate) * now.saturating_duration_since(last).as_secs_f64();
            self.debt_bits = (self.debt_bits - drained).max(0.0);
        }
        self.last = Some(now);
        // What was sent at a higher rate is not paid back at a lower one for more than
        // twice the allowance: a rate cut drops at most about half a second of pictures
        // (more would starve the estimate of what it measures, and cut it further).
        let allowance = f64::from(bitrate) * MAX_RATE_DEBT.as_secs_f64();
        self.debt_bits = self.debt_bits.min(2.0 * allowance);
        self.debt_bits > allowance
    }

    /// A picture of `bytes` was encoded.
    fn encoded(&mut self, bytes: usize) {
        self.debt_bits += bytes as f64 * 8.0;
    }
}

/// The encoder thread: one job at a time until every handle is gone.
fn encode_loop(
    jobs: &sync_mpsc::Receiver<EncodeJob>,
    shared: &EncoderShared,
    max_keyframe_interval: u32,
) {
    let mut encoder: Option<(VideoCodec, VideoEncoder)> = None;
    let mut dropper = FrameDropper::default();
    while let Ok(job) = jobs.recv() {
        // A key frame asked for is never dropped.
        if !shared.keyframe.load(Ordering::Relaxed)
            && dropper.should_drop(clock(), shared.bitrate())
        {
            let _ = job.reply.send(Ok(None));
            continue;
        }
        let result = encode(&mut encoder, &job, shared, max_keyframe_interval);
        if let Ok(Some(f)) = &result {
            dropper.encoded(f.data.len());
        }
        if result.is_err() {
            // Start again from a fresh encoder (and a key frame) with the next picture.
            encoder = None;
        }
        let _ = job.reply.send(result);
    }
}

fn encode(
    encoder: &mut Option<(VideoCodec, VideoEncoder)>,
    job: &EncodeJob,
    shared: &EncoderShared,
    max_keyframe_interval: u32,
) -> Result<Option<EncodedVideoFrame>, CodecError> {
    let bitrate = shared.bitrate();
    let frame_rate = shared.frame_rate.load(Ordering::Relaxed);
    let picture = &job.frame.picture;
    let started = clock();
    let fresh = encoder.as_ref().is_none_or(|(c, _)| *c != job.codec);
    if fresh {
        let mut config = VideoEncoderConfig::new(job.codec, picture.width(), picture.height());
        config.bitrate_bps = bitrate;
        config.frame_rate = frame_rate;
        config.max_keyframe_interval = max_keyframe_interval;
        *encoder = Some((job.codec, VideoEncoder::new(config)?));
    }
    let Some((_, e)) = encoder.as_mut() else {
        return Ok(None);
    };
    // Every codec takes a new rate without a key frame (OpenH264 through `SetOption`).
    if e.config().bitrate_bps != bitrate {
        e.set_bitrate(bitrate)?;
    }
    if e.config().frame_rate != frame_rate {
        e.set_frame_rate(frame_rate)?;
    }
    let keyframe = shared.keyframe.swap(false, Ordering::Relaxed);
    e.handle_frame(&job.frame, keyframe)?;
    let mut out = None;
    while let Some(frame) = e.poll_frame() {
        out = Some(frame);
    }
    let took = clock().saturating_duration_since(started);
    if let Some(f) = &out {
        let mut c = shared
            .counters
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        c.frames_encoded += 1;
        c.key_frames_encoded += u64::from(f.keyframe);
        if let Some(qp) = f.qp {
            c.qp_sum = Some(c.qp_sum.unwrap_or(0) + u64::from(qp));
        }
        c.total_encode_time += took;
        c.frame_size = Some((f.width, f.height));
    }
    Ok(out)
}

/// The decoder's webrtc-stats `inbound-rtp` counters.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct DecoderCounters {
    pub(crate) frames_decoded: u64,
    pub(crate) key_frames_decoded: u64,
    /// Frames not shown: refused by the decoder, waiting for a key frame after an error,
    /// of a codec this build does not decode, or decoded but not read by the application
    /// (webrtc-stats `framesDropped`: dropped before decoding or at display).
    pub(crate) frames_dropped: u64,
    pub(crate) total_decode_time: Duration,
    pub(crate) frame_size: Option<(u32, u32)>,
    /// Frames decoded in the last second.
    pub(crate) frames_per_second: f64,
    pub(crate) freeze_count: u64,
    pub(crate) total_freezes_duration: Duration,
}

/// Freezes as webrtc-stats defines them: a gap between two decoded frames longer than
/// max(3 × the mean gap, the mean gap + 150 ms), the mean over the last 30 gaps.
#[derive(Debug, Default)]
struct FreezeDetector {
    gaps: std::collections::VecDeque<Duration>,
    last: Option<Instant>,
    recent: std::collections::VecDeque<Instant>,
}

impl FreezeDetector {
    const GAPS: usize = 30;

    fn frame(&mut self, at: Instant, c: &mut DecoderCounters) {
        if let Some(last) = self.last {
            let gap = at.saturating_duration_since(last);
            if self.gaps.len() >= 5 {
                let mean = self.gaps.iter().sum::<Duration>() / self.gaps.len() as u32;
                if gap > (mean * 3).max(mean + Duration::from_millis(150)) {
                    c.freeze_count += 1;
                    c.total_freezes_duration += gap;
                }
            }
            if self.gaps.len() == Self::GAPS {
                self.gaps.pop_front();
            }
            self.gaps.push_back(gap);
        }
        self.last = Some(at);
        self.recent.push_back(at);
        while self
            .recent
            .front()
            .is_some_and(|t| at.saturating_duration_since(*t) >= Duration::from_secs(1))
        {
            self.recent.pop_front();
        }
        c.frames_per_second = self.recent.len() as f64;
    }
}

/// What a remote track's decoder thread shares with the connection's task.
#[derive(Debug, Default)]
pub(crate) struct DecoderShared {
    counters: Mutex<DecoderCounters>,
}

impl DecoderShared {
    pub(crate) fn counters(&self) -> DecoderCounters {
        *self.counters.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn update(&self, f: impl FnOnce(&mut DecoderCounters)) {
        f(&mut self.counters.lock().unwrap_or_else(PoisonError::into_inner));
    }
}

/// A remote video track decoded on a thread of its own ([`RemoteTrack::decode`]): I420
/// pictures with their RTP timestamp and, once a sender report mapped the stream, the
/// sender's capture time. Frames go to the decoder whole and in decoding order; after a
/// decoder error, frames wait for the next key frame, which is asked for (PLI).
#[derive(Debug)]
pub struct RemoteVideoTrack {
    transceiver: TransceiverId,
    info: crate::RemoteTrack,
    mid: String,
    frames: mpsc::Receiver<DecodedVideoFrame>,
}

impl RemoteVideoTrack {
    pub(crate) async fn start(track: RemoteTrack) -> Result<Self, DriverError> {
        let RemoteTrack {
            transceiver,
            info,
            mid,
            frames: encoded,
            commands,
        } = track;
        let commands = commands.ok_or(DriverError::Closed)?;
        let shared = Arc::new(DecoderShared::default());
        let link = Arc::clone(&shared);
        request(&commands, |reply| Command::AttachVideoDecoder {
            id: transceiver,
            shared: link,
            reply,
        })
        .await?;
        let (out, frames) = mpsc::channel(DECODED_FRAMES);
        std::thread::Builder::new()
            .name("rtcweb-video-decoder".into())
            .spawn(move || decode_loop(transceiver, encoded, &out, &shared, &commands))
            .map_err(DriverError::Thread)?;
        Ok(Self {
            transceiver,
            info,
            mid,
            frames,
        })
    }

    /// The transceiver whose receiver has it.
    pub fn transceiver(&self) -> TransceiverId {
        self.transceiver
    }

    /// Its kind, id and streams.
    pub fn info(&self) -> &crate::RemoteTrack {
        &self.info
    }

    /// The mid of its section.
    pub fn mid(&self) -> &str {
        &self.mid
    }

    /// The next picture; `None` once the connection is gone.
    pub async fn recv(&mut self) -> Option<DecodedVideoFrame> {
        self.frames.recv().await
    }

    /// A picture that is already there, without waiting.
    pub fn try_recv(&mut self) -> Option<DecodedVideoFrame> {
        self.frames.try_recv().ok()
    }
}

/// The decoder thread: until the connection or the track's handle is gone.
fn decode_loop(
    id: TransceiverId,
    mut encoded: mpsc::Receiver<ReceivedFrame>,
    out: &mpsc::Sender<DecodedVideoFrame>,
    shared: &DecoderShared,
    commands: &mpsc::Sender<Command>,
) {
    let mut decoder: Option<(u8, VideoDecoder)> = None;
    // After an error, frames wait for a key frame: a frame that references a picture the
    // decoder does not have would show garbage.
    let mut broken = false;
    let mut freezes = FreezeDetector::default();
    let ask_keyframe = || {
        let (reply, _) = oneshot::channel();
        let _ = commands.try_send(Command::RequestKeyFrame { id, reply });
    };
    while let Some(frame) = encoded.blocking_recv() {
        if out.is_closed() {
            return;
        }
        let Some(codec) = video_codec(&frame.codec) else {
            shared.update(|c| c.frames_dropped += 1);
            continue;
        };
        if decoder
            .as_ref()
            .is_none_or(|(pt, _)| *pt != frame.payload_type)
        {
            match VideoDecoder::new(codec) {
                Ok(d) => decoder = Some((frame.payload_type, d)),
                Err(_) => {
                    shared.update(|c| c.frames_dropped += 1);
                    continue;
                }
            }
            broken = !frame.keyframe;
        }
        if broken && !frame.keyframe {
            shared.update(|c| c.frames_dropped += 1);
            continue;
        }
        let Some((_, d)) = decoder.as_mut() else {
            continue;
        };
        let started = clock();
        let result = d.handle_frame(&frame.data, frame.rtp_timestamp, frame.sender_time);
        let took = clock().saturating_duration_since(started);
        if result.is_err() {
            broken = true;
            shared.update(|c| c.frames_dropped += 1);
            ask_keyframe();
            continue;
        }
        broken = false;
        while let Some(picture) = d.poll_frame() {
            shared.update(|c| {
                c.frames_decoded += 1;
                c.key_frames_decoded += u64::from(frame.keyframe);
                c.total_decode_time += took;
                c.frame_size = Some((picture.picture.width(), picture.picture.height()));
                freezes.frame(frame.received_at, c);
            });
            if out.try_send(picture).is_err() {
                shared.update(|c| c.frames_dropped += 1);
            }
        }
    }
}

impl RemoteTrack {
    /// Decodes this video track on a thread of its own: see [`RemoteVideoTrack`].
    pub async fn decode(self) -> Result<RemoteVideoTrack, DriverError> {
        RemoteVideoTrack::start(self).await
    }
}

impl RtpSender {
    /// A video sender that encodes raw pictures for this transceiver: see [`VideoSender`].
    pub async fn video(&self, settings: VideoSendSettings) -> Result<VideoSender, DriverError> {
        VideoSender::start(self.clone(), settings).await
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn pictures_are_dropped_while_the_output_runs_ahead_of_the_target() {
        let t0 = clock();
        let mut d = FrameDropper::default();
        let frame = Duration::from_millis(33);
        // 1 Mbit/s: 4 KB pictures (~1 Mbit/s) go; a 100 KB key frame is 0.8 s ahead.
        assert!(!d.should_drop(t0, 1_000_000));
        d.encoded(100_000);
        let dropped: Vec<bool> = (1..=20)
            .map(|i| {
                let drop = d.should_drop(t0 + frame * i, 1_000_000);
                if !drop {
                    d.encoded(4000);
                }
                drop
            })
            .collect();
        let first_kept = dropped.iter().position(|d| !d).unwrap();
        assert!((8..=12).contains(&first_kept), "{dropped:?}");
        assert!(dropped[first_kept..].iter().filter(|d| **d).count() <= 2);
    }

    use super::*;

    #[test]
    fn a_long_gap_after_steady_frames_is_one_freeze() {
        #[allow(clippy::disallowed_methods)] // the test takes its epoch from the clock
        let t0 = Instant::now();
        let mut f = FreezeDetector::default();
        let mut c = DecoderCounters::default();
        let mut at = t0;
        for _ in 0..40 {
            at += Duration::from_millis(33);
            f.frame(at, &mut c);
        }
        assert_eq!(c.freeze_count, 0);
        assert_eq!(c.frames_per_second, 31.0);
        // 33 ms × 3 = 99 ms < 33 + 150 ms: a gap of 150 ms is no freeze, 400 ms is.
        at += Duration::from_millis(150);
        f.frame(at, &mut c);
        assert_eq!(c.freeze_count, 0);
        at += Duration::from_millis(400);
        f.frame(at, &mut c);
        assert_eq!(c.freeze_count, 1);
        assert_eq!(c.total_freezes_duration, Duration::from_millis(400));
    }

    #[test]
    fn codecs_by_their_negotiated_names() {
        let info = |name: &str, fmtp: &str| CodecInfo {
            name: name.into(),
            clock_rate: 90_000,
            channels: 1,
            fmtp: fmtp.into(),
        };
        assert_eq!(video_codec(&info("vp8", "")), Some(VideoCodec::Vp8));
        assert_eq!(
            video_codec(&info("VP9", "profile-id=0")),
            Some(VideoCodec::Vp9)
        );
        assert_eq!(video_codec(&info("VP9", "profile-id=2")), None);
        assert_eq!(
            video_codec(&info(
                "H264",
                "packetization-mode=1;profile-level-id=42e01f"
            )),
            Some(VideoCodec::H264)
        );
        assert_eq!(video_codec(&info("H264", "profile-level-id=42e01f")), None);
        assert_eq!(video_codec(&info("AV1", "")), None);
    }
}
