//! The table of data-channel handles and the SCTP streams they map to.

use std::collections::BTreeMap;

use rtcweb_datachannel::{ChannelOptions, ChannelState};

use crate::DataChannelId;

/// What the owner can read about a data channel (W3C `RTCDataChannel` attributes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataChannelInfo {
    /// Label.
    pub label: String,
    /// Sub-protocol.
    pub protocol: String,
    /// The SCTP stream id, once known (W3C `id`; RFC 8832 §6 picks it by DTLS role).
    pub stream_id: Option<u16>,
    /// Pre-negotiated (`negotiated: true`).
    pub negotiated: bool,
    /// State.
    pub state: ChannelState,
}

#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) options: ChannelOptions,
    pub(crate) stream: Option<u16>,
    pub(crate) state: ChannelState,
    /// Messages and payload bytes each way (webrtc-stats `data-channel`).
    pub(crate) messages_sent: u64,
    pub(crate) bytes_sent: u64,
    pub(crate) messages_received: u64,
    pub(crate) bytes_received: u64,
}

/// Handles in creation order; a bounded table.
#[derive(Debug)]
pub(crate) struct Channels {
    entries: BTreeMap<u32, Entry>,
    /// Stream id → handle, for every entry with a stream.
    streams: BTreeMap<u16, u32>,
    next: u32,
    max: usize,
}

impl Channels {
    pub(crate) fn new(max: usize) -> Self {
        Self {
            entries: BTreeMap::new(),
            streams: BTreeMap::new(),
            next: 0,
            max,
        }
    }

    /// A new handle, or `None` when the table is full.
    pub(crate) fn insert(
        &mut self,
        options: ChannelOptions,
        stream: Option<u16>,
        state: ChannelState,
    ) -> Option<DataChannelId> {
        if self.entries.len() >= self.max {
            return None;
        }
        let id = self.next;
        self.next = self.next.wrapping_add(1);
        if let Some(stream) = stream {
            self.streams.insert(stream, id);
        }
        self.entries.insert(
            id,
            Entry {
                options,
                stream,
                state,
                messages_sent: 0,
                bytes_sent: 0,
                messages_received: 0,
                bytes_received: 0,
            },
        );
        Some(DataChannelId(id))
    }

    pub(crate) fn get(&self, id: DataChannelId) -> Option<&Entry> {
        self.entries.get(&id.0)
    }

    pub(crate) fn get_mut(&mut self, id: DataChannelId) -> Option<&mut Entry> {
        self.entries.get_mut(&id.0)
    }

    /// Records the SCTP stream a channel got.
    pub(crate) fn set_stream(&mut self, id: DataChannelId, stream: u16) {
        if let Some(e) = self.entries.get_mut(&id.0) {
            e.stream = Some(stream);
            self.streams.insert(stream, id.0);
        }
    }

    pub(crate) fn remove(&mut self, id: DataChannelId) -> Option<Entry> {
        let entry = self.entries.remove(&id.0)?;
        if let Some(stream) = entry.stream {
            self.streams.remove(&stream);
        }
        Some(entry)
    }

    pub(crate) fn by_stream(&self, stream: u16) -> Option<DataChannelId> {
        self.streams.get(&stream).map(|id| DataChannelId(*id))
    }

    /// Channels created before the association could take them.
    pub(crate) fn unopened(&self) -> Vec<DataChannelId> {
        self.entries
            .iter()
            .filter(|(_, e)| e.stream.is_none() && e.state == ChannelState::Connecting)
            .map(|(id, _)| DataChannelId(*id))
            .collect()
    }

    /// Every channel, in handle order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.entries.values()
    }

    /// Every handle, emptying the table.
    pub(crate) fn drain(&mut self) -> Vec<DataChannelId> {
        let ids = self.entries.keys().map(|id| DataChannelId(*id)).collect();
        self.entries.clear();
        self.streams.clear();
        ids
    }

    pub(crate) fn info(entry: &Entry) -> DataChannelInfo {
        DataChannelInfo {
            label: entry.options.label.clone(),
            protocol: entry.options.protocol.clone(),
            stream_id: entry.stream,
            negotiated: entry.options.negotiated.is_some(),
            state: entry.state,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_map_to_streams_and_the_table_is_bounded() {
        let mut table = Channels::new(2);
        let a = table
            .insert(ChannelOptions::new("a"), None, ChannelState::Connecting)
            .unwrap();
        let b = table
            .insert(ChannelOptions::new("b"), Some(3), ChannelState::Open)
            .unwrap();
        assert_eq!(
            table.insert(ChannelOptions::new("c"), None, ChannelState::Connecting),
            None
        );
        assert_eq!(table.unopened(), vec![a]);
        assert_eq!(table.by_stream(3), Some(b));
        table.set_stream(a, 0);
        assert_eq!(table.by_stream(0), Some(a));
        assert!(table.unopened().is_empty());
        assert_eq!(Channels::info(table.get(a).unwrap()).stream_id, Some(0));
        table.remove(b);
        assert_eq!(table.by_stream(3), None);
        assert_eq!(table.drain(), vec![a]);
        assert_eq!(table.by_stream(0), None);
    }
}
