//! Data channels (RFC 8831): the W3C `createDataChannel` and `RTCDataChannel` methods.

use std::time::Instant;

use rtcweb_datachannel::{ChannelState, Message};

use crate::DataChannelInit;

use crate::channels::{Channels, DataChannelInfo};
use crate::{DataChannelId, Error, Event, Peer};

impl Peer {
    /// Creates a data channel (W3C `createDataChannel`). The first one asks for a data
    /// section in the next offer ([`Event::NegotiationNeeded`]). The channel opens once the
    /// SCTP association is up ([`Event::DataChannelOpen`]); its stream id follows our DTLS
    /// role (RFC 8832 §6), unless `options.negotiated` gives one.
    pub fn create_data_channel(
        &mut self,
        now: Instant,
        label: &str,
        options: DataChannelInit,
    ) -> Result<DataChannelId, Error> {
        if self.closed {
            return Err(Error::Closed);
        }
        if !self.data_requested {
            self.negotiator.add_data_channel()?;
            self.data_requested = true;
        }
        let options = options.with_label(label);
        let id = self
            .channels
            .insert(options, None, ChannelState::Connecting)
            .ok_or(Error::TooManyChannels(self.config.max_data_channels))?;
        if self.sctp_started {
            self.open_unopened(now);
        }
        self.drive(now);
        Ok(id)
    }

    /// What is known about a channel.
    pub fn data_channel(&self, channel: DataChannelId) -> Option<DataChannelInfo> {
        self.channels.get(channel).map(Channels::info)
    }

    /// Sends a message (W3C `RTCDataChannel.send`), text or binary, with the channel's
    /// reliability; larger than the peer's `a=max-message-size` is refused (RFC 8841 §6).
    pub fn send(
        &mut self,
        now: Instant,
        channel: DataChannelId,
        message: Message,
    ) -> Result<(), Error> {
        if self.closed {
            return Err(Error::Closed);
        }
        let entry = self
            .channels
            .get(channel)
            .ok_or(Error::UnknownChannel(channel))?;
        let (Some(stream), Some(sctp)) = (entry.stream, self.sctp.as_mut()) else {
            return Err(Error::ChannelNotOpen(channel));
        };
        let len = message.data.len() as u64;
        sctp.send(now, stream, message)?;
        if let Some(e) = self.channels.get_mut(channel) {
            e.messages_sent += 1;
            e.bytes_sent += len;
        }
        self.drive(now);
        Ok(())
    }

    /// Sends a text message.
    pub fn send_text(
        &mut self,
        now: Instant,
        channel: DataChannelId,
        text: &str,
    ) -> Result<(), Error> {
        self.send(now, channel, Message::text(text))
    }

    /// Sends a binary message.
    pub fn send_binary(
        &mut self,
        now: Instant,
        channel: DataChannelId,
        data: &[u8],
    ) -> Result<(), Error> {
        self.send(now, channel, Message::binary(data))
    }

    /// Bytes queued on a channel and not yet sent (W3C `bufferedAmount`).
    pub fn buffered_amount(&self, channel: DataChannelId) -> usize {
        match (
            self.channels.get(channel).and_then(|e| e.stream),
            &self.sctp,
        ) {
            (Some(stream), Some(sctp)) => sctp.buffered_amount(stream),
            _ => 0,
        }
    }

    /// Sets the threshold of [`Event::BufferedAmountLow`] (W3C
    /// `bufferedAmountLowThreshold`).
    pub fn set_buffered_amount_low_threshold(&mut self, channel: DataChannelId, bytes: usize) {
        if let (Some(stream), Some(sctp)) = (
            self.channels.get(channel).and_then(|e| e.stream),
            self.sctp.as_mut(),
        ) {
            sctp.set_buffered_amount_low_threshold(stream, bytes);
        }
    }

    /// Closes a channel (W3C `RTCDataChannel.close`): its stream is reset both ways
    /// (RFC 8831 §6.7) and [`Event::DataChannelClosed`] follows on both sides.
    pub fn close_data_channel(&mut self, now: Instant, channel: DataChannelId) {
        let Some(entry) = self.channels.get_mut(channel) else {
            return;
        };
        match (entry.stream, self.sctp.as_mut()) {
            (Some(stream), Some(sctp)) => {
                entry.state = ChannelState::Closing;
                sctp.close_channel(now, stream);
            }
            _ => {
                // Never reached the wire.
                self.channels.remove(channel);
                self.push_event(Event::DataChannelClosed { channel });
            }
        }
        self.drive(now);
    }

    /// Hands the channels created before the association to it.
    pub(crate) fn open_unopened(&mut self, now: Instant) {
        for channel in self.channels.unopened() {
            let Some(sctp) = self.sctp.as_mut() else {
                return;
            };
            let Some(entry) = self.channels.get(channel) else {
                continue;
            };
            match sctp.open_channel(now, entry.options.clone()) {
                Ok(stream) => self.channels.set_stream(channel, stream),
                Err(e) => {
                    tracing::debug!(%channel, error = %e, "data channel could not open");
                    self.channels.remove(channel);
                    self.push_event(Event::DataChannelClosed { channel });
                }
            }
        }
    }

    /// Every channel closes at once (the transport is gone).
    pub(crate) fn close_all_channels(&mut self) {
        for channel in self.channels.drain() {
            self.push_event(Event::DataChannelClosed { channel });
        }
    }
}
