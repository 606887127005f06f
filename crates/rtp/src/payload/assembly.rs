//! Frame assembly shared by the VP8 and VP9 depacketizers, whose payload descriptors say
//! where a frame starts: the packets of one frame follow each other without a gap and share
//! a timestamp; the marker bit ends the frame.

use super::vp8::MAX_FRAME;
use super::{DepacketizeError, Frame};

/// The frame being put together, and the sequence number its next packet must have.
#[derive(Debug, Clone, Default)]
pub(crate) struct Assembly {
    current: Option<Frame>,
    next_seq: u16,
}

impl Assembly {
    /// One packet's data (its descriptor removed). `start` is `Some(keyframe)` when the
    /// descriptor says a frame starts here. A frame comes out when its marker packet does.
    pub(crate) fn push(
        &mut self,
        seq: u16,
        timestamp: u32,
        marker: bool,
        start: Option<bool>,
        data: &[u8],
    ) -> Result<Option<Frame>, DepacketizeError> {
        if let Some(keyframe) = start {
            // A new frame; an unfinished one is lost.
            let dropped = self.current.take().is_some();
            self.current = Some(Frame {
                timestamp,
                data: Vec::new(),
                keyframe,
                first_seq: seq,
                last_seq: seq,
            });
            self.next_seq = seq;
            if dropped {
                // Report the lost frame unless the new one is already complete.
                self.append(seq, data)?;
                if marker {
                    return Ok(self.current.take());
                }
                return Err(DepacketizeError::Gap);
            }
        }
        let Some(frame) = &self.current else {
            return Err(DepacketizeError::Gap);
        };
        if seq != self.next_seq || frame.timestamp != timestamp {
            self.current = None;
            return Err(DepacketizeError::Gap);
        }
        self.append(seq, data)?;
        Ok(if marker { self.current.take() } else { None })
    }

    fn append(&mut self, seq: u16, data: &[u8]) -> Result<(), DepacketizeError> {
        let Some(frame) = &mut self.current else {
            return Ok(());
        };
        if frame.data.len() + data.len() > MAX_FRAME {
            self.current = None;
            return Err(DepacketizeError::TooLarge);
        }
        frame.data.extend_from_slice(data);
        frame.last_seq = seq;
        self.next_seq = seq.wrapping_add(1);
        Ok(())
    }
}
