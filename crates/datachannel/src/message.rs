//! Data-channel messages and their SCTP payload protocol identifiers (RFC 8831 §6.6).

/// PPID of DCEP messages (RFC 8832 §8.1).
pub const PPID_DCEP: u32 = 50;
/// PPID of a non-empty UTF-8 string (RFC 8831 §8).
pub const PPID_STRING: u32 = 51;
/// PPID of a non-empty binary message.
pub const PPID_BINARY: u32 = 53;
/// PPID of an empty string: sent as one zero byte (RFC 8831 §6.6).
pub const PPID_STRING_EMPTY: u32 = 56;
/// PPID of an empty binary message: sent as one zero byte.
pub const PPID_BINARY_EMPTY: u32 = 57;

/// Whether a message is text or binary (`RTCDataChannel.send(string)` or `send(ArrayBuffer)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// A UTF-8 string.
    Text,
    /// Bytes.
    Binary,
}

/// One data-channel message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Text or binary.
    pub kind: MessageKind,
    /// The bytes (UTF-8 for text, not checked: browsers deliver what was sent).
    pub data: Vec<u8>,
}

impl Message {
    /// A text message.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            kind: MessageKind::Text,
            data: text.into().into_bytes(),
        }
    }

    /// A binary message.
    pub fn binary(data: impl Into<Vec<u8>>) -> Self {
        Self {
            kind: MessageKind::Binary,
            data: data.into(),
        }
    }

    /// The text, if this is a text message in valid UTF-8.
    pub fn as_text(&self) -> Option<&str> {
        match self.kind {
            MessageKind::Text => std::str::from_utf8(&self.data).ok(),
            MessageKind::Binary => None,
        }
    }

    /// The PPID and SCTP payload for this message: empty messages become one zero byte with
    /// the "empty" PPIDs, as SCTP cannot carry an empty user message (RFC 8831 §6.6).
    pub(crate) fn into_sctp(self) -> (u32, Vec<u8>) {
        match (self.kind, self.data.is_empty()) {
            (MessageKind::Text, false) => (PPID_STRING, self.data),
            (MessageKind::Binary, false) => (PPID_BINARY, self.data),
            (MessageKind::Text, true) => (PPID_STRING_EMPTY, vec![0]),
            (MessageKind::Binary, true) => (PPID_BINARY_EMPTY, vec![0]),
        }
    }

    /// The message an SCTP user message carries; `None` for PPIDs that are not data (DCEP,
    /// the deprecated partial PPIDs 52/54, unknown ones).
    pub(crate) fn from_sctp(ppid: u32, payload: Vec<u8>) -> Option<Self> {
        match ppid {
            PPID_STRING => Some(Self {
                kind: MessageKind::Text,
                data: payload,
            }),
            PPID_BINARY => Some(Self {
                kind: MessageKind::Binary,
                data: payload,
            }),
            PPID_STRING_EMPTY => Some(Self::text("")),
            PPID_BINARY_EMPTY => Some(Self::binary(Vec::new())),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_messages_use_their_own_ppids() {
        assert_eq!(Message::text("").into_sctp(), (56, vec![0]));
        assert_eq!(Message::binary(vec![]).into_sctp(), (57, vec![0]));
        assert_eq!(Message::text("hi").into_sctp(), (51, b"hi".to_vec()));
        assert_eq!(Message::binary(vec![1]).into_sctp(), (53, vec![1]));
        for m in [
            Message::text(""),
            Message::binary(vec![]),
            Message::text("x"),
            Message::binary(vec![0]),
        ] {
            let (ppid, payload) = m.clone().into_sctp();
            assert_eq!(Message::from_sctp(ppid, payload), Some(m));
        }
        assert_eq!(Message::from_sctp(50, vec![2]), None);
        assert_eq!(Message::from_sctp(52, vec![2]), None);
    }
}
