//! Lip sync between a decoded remote audio track and a decoded remote video track of the
//! same remote stream (W3C: the tracks of one `MediaStream` play in sync; RFC 8834 §4.9):
//! one [`LipSync`] per pair, fed with each stream's sender-report mapping (carried by every
//! frame as its sender time, RFC 3550 §6.4.1) and the instants its frames are played,
//! giving the extra delays that the audio playout and the video render queue take.

use std::time::{Duration, Instant};

use rtcweb_media::{LipSync, LipSyncConfig, MediaKind as SyncKind, SenderClock};
use rtcweb_rtp::{NTP_UNIX_OFFSET, duration_to_ntp};

use crate::{ReceivedFrame, TransceiverId};

/// Most pairs synchronised at once (one per remote stream with both kinds decoded).
const MAX_PAIRS: usize = 16;

#[derive(Debug)]
struct Pair {
    audio: TransceiverId,
    video: TransceiverId,
    sync: LipSync,
}

/// The extra delays of one pair after an adjustment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Delays {
    pub(crate) audio: TransceiverId,
    pub(crate) audio_extra: Duration,
    pub(crate) video: TransceiverId,
    pub(crate) video_extra: Duration,
}

/// Every synchronised pair of a connection.
#[derive(Debug, Default)]
pub(crate) struct LipSyncs {
    pairs: Vec<Pair>,
}

impl LipSyncs {
    /// Synchronises `audio` and `video` (nothing when they already are, or at the limit).
    pub(crate) fn pair(&mut self, audio: TransceiverId, video: TransceiverId) {
        if self.pairs.len() >= MAX_PAIRS
            || self
                .pairs
                .iter()
                .any(|p| p.audio == audio || p.video == video)
        {
            return;
        }
        self.pairs.push(Pair {
            audio,
            video,
            sync: LipSync::new(LipSyncConfig::default()),
        });
    }

    /// Forgets the pairs of a track that ended.
    pub(crate) fn remove(&mut self, id: TransceiverId) {
        self.pairs.retain(|p| p.audio != id && p.video != id);
    }

    fn of(&mut self, id: TransceiverId) -> Option<(&mut LipSync, SyncKind)> {
        self.pairs.iter_mut().find_map(|p| {
            if p.audio == id {
                Some((&mut p.sync, SyncKind::Audio))
            } else if p.video == id {
                Some((&mut p.sync, SyncKind::Video))
            } else {
                None
            }
        })
    }

    /// A frame of track `id` arrived: its sender time maps its RTP timestamp to the
    /// sender's clock, as the last sender report did.
    pub(crate) fn frame(&mut self, id: TransceiverId, frame: &ReceivedFrame) {
        let Some(sender_time) = frame.sender_time else {
            return;
        };
        if let Some((sync, kind)) = self.of(id) {
            sync.handle_sender_report(
                kind,
                SenderClock {
                    ntp: duration_to_ntp(sender_time + Duration::from_secs(NTP_UNIX_OFFSET)),
                    rtp_timestamp: frame.rtp_timestamp,
                    clock_rate: frame.codec.clock_rate,
                },
            );
        }
    }

    /// The frame of track `id` with `rtp_timestamp` was played at `at`.
    pub(crate) fn played(&mut self, id: TransceiverId, at: Instant, rtp_timestamp: u32) {
        if let Some((sync, kind)) = self.of(id) {
            sync.handle_played(kind, at, rtp_timestamp);
        }
    }

    /// The next adjustment.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.pairs
            .iter()
            .filter_map(|p| p.sync.poll_timeout())
            .min()
    }

    /// Adjusts the pairs that are due; their delays now.
    pub(crate) fn handle_timeout(&mut self, now: Instant) -> Vec<Delays> {
        let mut out = Vec::new();
        for p in &mut self.pairs {
            if p.sync.poll_timeout().is_some_and(|t| t <= now) {
                p.sync.handle_timeout(now);
                out.push(Delays {
                    audio: p.audio,
                    audio_extra: p.sync.audio_extra_delay(),
                    video: p.video,
                    video_extra: p.sync.video_extra_delay(),
                });
            }
        }
        out
    }
}
