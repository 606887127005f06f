//! RTP header extensions (RFC 8285): the one-byte and two-byte forms, parsed without
//! allocation and written into the caller's buffer, with typed values for the extensions
//! browsers use.

use crate::WireError;

/// "defined by profile" of the one-byte form (RFC 8285 §4.2).
pub const ONE_BYTE_PROFILE: u16 = 0xBEDE;
/// "defined by profile" of the two-byte form, low 4 bits "appbits" (RFC 8285 §4.3).
pub const TWO_BYTE_PROFILE: u16 = 0x1000;

/// Which form a block of extensions uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExtensionForm {
    /// One-byte headers: ids 1..=14, 1..=16 bytes each.
    OneByte,
    /// Two-byte headers: ids 1..=255, 0..=255 bytes each (`extmap-allow-mixed`).
    TwoByte,
}

/// One extension element, borrowed from the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Extension<'a> {
    /// Local identifier (the `a=extmap` id).
    pub id: u8,
    /// The element's data.
    pub data: &'a [u8],
}

/// Iterates the elements of an extension block (`profile` and the block's bytes as
/// `rtp_rs::RtpReader::extension` returns them). Padding bytes are skipped; a malformed
/// element ends the iteration with an error.
#[derive(Debug, Clone)]
pub struct Extensions<'a> {
    form: Option<ExtensionForm>,
    bytes: &'a [u8],
    failed: bool,
}

impl<'a> Extensions<'a> {
    /// The elements of a block with this profile; other profiles yield nothing (RFC 8285
    /// §4.1: an unknown profile is ignored).
    pub fn new(profile: u16, bytes: &'a [u8]) -> Self {
        let form = if profile == ONE_BYTE_PROFILE {
            Some(ExtensionForm::OneByte)
        } else if profile & 0xfff0 == TWO_BYTE_PROFILE {
            Some(ExtensionForm::TwoByte)
        } else {
            None
        };
        Self {
            form,
            bytes,
            failed: false,
        }
    }

    /// No extensions.
    pub fn empty() -> Self {
        Self::new(0, &[])
    }

    /// The form of the block, if it is an RFC 8285 block.
    pub fn form(&self) -> Option<ExtensionForm> {
        self.form
    }

    /// The first element with this id.
    pub fn get(&self, id: u8) -> Option<&'a [u8]> {
        self.clone()
            .filter_map(Result::ok)
            .find(|e| e.id == id)
            .map(|e| e.data)
    }
}

impl<'a> Iterator for Extensions<'a> {
    type Item = Result<Extension<'a>, WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        let form = self.form?;
        if self.failed {
            return None;
        }
        loop {
            let (&first, rest) = self.bytes.split_first()?;
            if first == 0 {
                // Padding (RFC 8285 §4.2, §4.3).
                self.bytes = rest;
                continue;
            }
            let (id, len, header) = match form {
                ExtensionForm::OneByte => {
                    let id = first >> 4;
                    if id == 15 {
                        // RFC 8285 §4.2: id 15 stops processing of the block.
                        self.bytes = &[];
                        return None;
                    }
                    (id, usize::from(first & 0x0f) + 1, 1)
                }
                ExtensionForm::TwoByte => {
                    let Some(&len) = rest.first() else {
                        self.failed = true;
                        return Some(Err(WireError::BadExtension));
                    };
                    (first, usize::from(len), 2)
                }
            };
            let Some(data) = self.bytes.get(header..header + len) else {
                self.failed = true;
                return Some(Err(WireError::BadExtension));
            };
            self.bytes = &self.bytes[header + len..];
            return Some(Ok(Extension { id, data }));
        }
    }
}

/// Writes extension elements in one block, choosing the one-byte form when every element
/// fits it (RFC 8285 §4.2) and the two-byte form otherwise (§4.3, needs
/// `extmap-allow-mixed`). Returns the profile and the number of bytes written (a multiple of
/// 4, zero-padded).
pub fn write_extensions(
    elements: &[Extension<'_>],
    out: &mut [u8],
) -> Result<(u16, usize), WireError> {
    let one_byte = elements
        .iter()
        .all(|e| (1..=14).contains(&e.id) && (1..=16).contains(&e.data.len()));
    let mut at = 0;
    for e in elements {
        if e.id == 0 {
            return Err(WireError::TooLarge);
        }
        let header = if one_byte { 1 } else { 2 };
        if e.data.len() > 255 {
            return Err(WireError::TooLarge);
        }
        let end = at + header + e.data.len();
        if end > out.len() {
            return Err(WireError::BufferTooSmall);
        }
        if one_byte {
            out[at] = (e.id << 4) | (e.data.len() as u8 - 1);
        } else {
            out[at] = e.id;
            out[at + 1] = e.data.len() as u8;
        }
        out[at + header..end].copy_from_slice(e.data);
        at = end;
    }
    let padded = at.div_ceil(4) * 4;
    if padded > out.len() {
        return Err(WireError::BufferTooSmall);
    }
    out[at..padded].fill(0);
    let profile = if one_byte {
        ONE_BYTE_PROFILE
    } else {
        TWO_BYTE_PROFILE
    };
    Ok((profile, padded))
}

/// Extension URIs browsers negotiate (`a=extmap`).
pub mod uri {
    /// RFC 9335 / RFC 8843 §15: the MID of the m-line.
    pub const SDES_MID: &str = "urn:ietf:params:rtp-hdrext:sdes:mid";
    /// RFC 8852: RID of a simulcast layer.
    pub const RTP_STREAM_ID: &str = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";
    /// RFC 8852: RID of the layer an RTX stream repairs.
    pub const REPAIRED_RTP_STREAM_ID: &str =
        "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id";
    /// RFC 6464: audio level.
    pub const SSRC_AUDIO_LEVEL: &str = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
    /// Absolute send time (WebRTC).
    pub const ABS_SEND_TIME: &str = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time";
    /// Transport-wide sequence number (draft-holmer-rmcat-transport-wide-cc-extensions-01).
    pub const TRANSPORT_WIDE_CC: &str =
        "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
    /// 3GPP TS 26.114 video orientation (CVO).
    pub const VIDEO_ORIENTATION: &str = "urn:3gpp:video-orientation";
    /// Playout delay limits (WebRTC).
    pub const PLAYOUT_DELAY: &str = "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay";
}

/// RFC 6464 §3: voice-activity flag and level in −dBov (0 loudest, 127 silence).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AudioLevel {
    /// Voice activity.
    pub voice: bool,
    /// Level, 0..=127 −dBov.
    pub level: u8,
}

impl AudioLevel {
    /// Parses the one-byte value.
    pub fn parse(data: &[u8]) -> Option<Self> {
        let b = *data.first()?;
        Some(Self {
            voice: b & 0x80 != 0,
            level: b & 0x7f,
        })
    }

    /// The one-byte value.
    pub fn to_byte(self) -> u8 {
        (u8::from(self.voice) << 7) | (self.level & 0x7f)
    }
}

/// Absolute send time: 6.18 fixed-point seconds, 24 bits.
pub fn parse_abs_send_time(data: &[u8]) -> Option<u32> {
    let [a, b, c] = data.get(..3)?.try_into().ok()?;
    Some(u32::from_be_bytes([0, a, b, c]))
}

/// The transport-wide sequence number (16 bits).
pub fn parse_transport_wide_seq(data: &[u8]) -> Option<u16> {
    Some(u16::from_be_bytes(data.get(..2)?.try_into().ok()?))
}

/// An SDES item carried as an extension (MID, RID, repaired RID): UTF-8 text.
pub fn parse_sdes_text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// 3GPP video orientation (CVO): camera, flip and rotation in degrees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VideoOrientation {
    /// Back-facing camera.
    pub back_camera: bool,
    /// Horizontal flip.
    pub flip: bool,
    /// Rotation: 0, 90, 180 or 270.
    pub rotation: u16,
}

impl VideoOrientation {
    /// Parses the one-byte value (TS 26.114 §7.4.5).
    pub fn parse(data: &[u8]) -> Option<Self> {
        let b = *data.first()?;
        Some(Self {
            back_camera: b & 0x08 != 0,
            flip: b & 0x04 != 0,
            rotation: u16::from(b & 0x03) * 90,
        })
    }
}

/// Playout delay limits in units of 10 ms (12 bits each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PlayoutDelay {
    /// Minimum, ×10 ms.
    pub min: u16,
    /// Maximum, ×10 ms.
    pub max: u16,
}

impl PlayoutDelay {
    /// Parses the three-byte value.
    pub fn parse(data: &[u8]) -> Option<Self> {
        let [a, b, c] = data.get(..3)?.try_into().ok()?;
        Some(Self {
            min: (u16::from(a) << 4) | u16::from(b >> 4),
            max: (u16::from(b & 0x0f) << 8) | u16::from(c),
        })
    }

    /// The three-byte value.
    pub fn to_bytes(self) -> [u8; 3] {
        let (min, max) = (self.min & 0x0fff, self.max & 0x0fff);
        [
            (min >> 4) as u8,
            (((min & 0x0f) << 4) | (max >> 8)) as u8,
            max as u8,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_byte_form_with_padding() {
        // Chromium's Opus packet: mid "0", then audio level (voice, 127).
        let block = [0x40, 0x30, 0x10, 0xff];
        let all: Vec<_> = Extensions::new(ONE_BYTE_PROFILE, &block)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            all,
            vec![
                Extension { id: 4, data: b"0" },
                Extension {
                    id: 1,
                    data: &[0xff]
                }
            ]
        );
        let level = AudioLevel::parse(Extensions::new(ONE_BYTE_PROFILE, &block).get(1).unwrap());
        assert_eq!(
            level,
            Some(AudioLevel {
                voice: true,
                level: 127
            })
        );
    }

    #[test]
    fn two_byte_form_and_write_round_trip() {
        let long = [7u8; 20];
        let elements = [
            Extension {
                id: 3,
                data: &[0, 5],
            },
            Extension {
                id: 20,
                data: &long,
            },
            Extension { id: 9, data: &[] },
        ];
        let mut buf = [0u8; 64];
        let (profile, n) = write_extensions(&elements, &mut buf).unwrap();
        assert_eq!(profile, TWO_BYTE_PROFILE);
        assert_eq!(n % 4, 0);
        let parsed: Vec<_> = Extensions::new(profile, &buf[..n])
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(parsed, elements);
        let (profile, n) = write_extensions(&elements[..1], &mut buf).unwrap();
        assert_eq!((profile, n), (ONE_BYTE_PROFILE, 4));
    }

    #[test]
    fn malformed_blocks_end_with_an_error() {
        let truncated = [0x43, 1, 2];
        let mut it = Extensions::new(ONE_BYTE_PROFILE, &truncated);
        assert_eq!(it.next(), Some(Err(WireError::BadExtension)));
        assert_eq!(it.next(), None);
        // id 15 stops processing.
        let stop = [0xf0, 0x10, 0xff];
        assert_eq!(Extensions::new(ONE_BYTE_PROFILE, &stop).count(), 0);
        assert_eq!(
            Extensions::new(0x1234, &stop).count(),
            0,
            "unknown profile ignored"
        );
    }

    #[test]
    fn typed_values() {
        assert_eq!(parse_abs_send_time(&[0x2c, 0x2b, 0x5c]), Some(0x2c2b5c));
        assert_eq!(parse_transport_wide_seq(&[0x01, 0x02]), Some(258));
        let d = PlayoutDelay { min: 10, max: 400 };
        assert_eq!(PlayoutDelay::parse(&d.to_bytes()), Some(d));
        assert_eq!(
            VideoOrientation::parse(&[0x0b]),
            Some(VideoOrientation {
                back_camera: true,
                flip: false,
                rotation: 270
            })
        );
        assert_eq!(
            AudioLevel {
                voice: false,
                level: 30
            }
            .to_byte(),
            30
        );
    }
}
