//! The options of a new data channel, W3C `RTCDataChannelInit`.

use rtcweb_datachannel::{ChannelOptions, ChannelType};

/// How a new data channel behaves (W3C `RTCDataChannelInit`): everything but its label,
/// which [`Peer::create_data_channel`](crate::Peer::create_data_channel) takes on its own,
/// as `createDataChannel(label, options)` does.
///
/// The default is what a browser makes for `createDataChannel(label)`: reliable, ordered,
/// no sub-protocol, priority low, opened in-band (DCEP).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataChannelInit {
    /// Sub-protocol (`protocol`).
    pub protocol: String,
    /// Reliability and ordering (`ordered`, `maxRetransmits`, `maxPacketLifeTime`).
    pub channel_type: ChannelType,
    /// Priority (RFC 8832 §5.1; W3C: very-low 128, low 256, medium 512, high 1024).
    pub priority: u16,
    /// `negotiated: true` with this `id`: no DCEP, both sides create the channel
    /// themselves (RFC 8832 §6).
    pub negotiated: Option<u16>,
}

impl Default for DataChannelInit {
    fn default() -> Self {
        Self::from(ChannelOptions::new(""))
    }
}

impl DataChannelInit {
    /// The options with this channel type (reliability and ordering).
    pub fn with_channel_type(mut self, channel_type: ChannelType) -> Self {
        self.channel_type = channel_type;
        self
    }

    /// The data channel layer's options for a channel with this label.
    pub(crate) fn with_label(self, label: &str) -> ChannelOptions {
        ChannelOptions {
            label: label.to_owned(),
            protocol: self.protocol,
            channel_type: self.channel_type,
            priority: self.priority,
            negotiated: self.negotiated,
        }
    }
}

impl From<ChannelOptions> for DataChannelInit {
    /// The data channel layer's options without their label.
    fn from(options: ChannelOptions) -> Self {
        Self {
            protocol: options.protocol,
            channel_type: options.channel_type,
            priority: options.priority,
            negotiated: options.negotiated,
        }
    }
}

#[cfg(test)]
mod tests {
    use rtcweb_datachannel::Reliability;

    use super::*;

    #[test]
    fn default_is_a_browsers_default_channel() {
        let init = DataChannelInit::default();
        assert_eq!(init.channel_type, ChannelType::RELIABLE);
        assert_eq!(init.priority, 256);
        assert_eq!(init.negotiated, None);
        assert!(init.protocol.is_empty());
    }

    #[test]
    fn the_label_is_given_once_and_the_rest_is_kept() {
        let kind = ChannelType {
            reliability: Reliability::MaxRetransmits(0),
            ordered: false,
        };
        let options = DataChannelInit {
            protocol: "chat/1".into(),
            negotiated: Some(3),
            ..DataChannelInit::default()
        }
        .with_channel_type(kind)
        .with_label("room");
        assert_eq!(options.label, "room");
        assert_eq!(options.protocol, "chat/1");
        assert_eq!(options.channel_type, kind);
        assert_eq!(options.negotiated, Some(3));
    }
}
