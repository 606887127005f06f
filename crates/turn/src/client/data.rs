//! The data path: what travels to and from the server besides requests. Send indications
//! and ChannelData out (RFC 8656 §10.1, §12), Data indications and ChannelData in (§10.4,
//! §12.4), responses routed to the requests; and the byte stream under TCP or TLS (framing,
//! RFC 8656 §12.5; TLS records, RFC 8489 §6.2.3).

use std::net::SocketAddr;
use std::ops::Range;
use std::time::Instant;

use rand::RngCore;
use rtcweb_common::{Transmit, Transport};
use rtcweb_stun::{Class, ClientTransactions, Message, MessageWriter, Method, classify};

use super::requests::Request;
use super::{Client, Input, State, StreamInputs};
use crate::channel_data::{self, ChannelData};
use crate::framing::{Frame, StreamFramer};
use crate::tls::TlsSession;
use crate::{Config, TurnError};

/// The connection to the server as bytes: the stream framer and the TLS session (on streams),
/// and the buffers reused to fill them.
#[derive(Debug)]
pub(super) struct Wire {
    framer: StreamFramer,
    /// What each message of the last stream read was: relayed data (its peer and where it lies
    /// in the framer's buffer) or consumed. Reused across reads.
    stream_inputs: Vec<Option<(SocketAddr, Range<usize>)>>,
    tls: Option<TlsSession>,
    plaintext: Vec<u8>,
    scratch: Vec<u8>,
}

impl Wire {
    /// The wire for `config`'s transport; TLS needs its settings.
    pub(super) fn new(config: &Config) -> Result<Self, TurnError> {
        Ok(Self {
            framer: StreamFramer::new(config.max_stream_buffer),
            stream_inputs: Vec::new(),
            tls: Self::tls_session(config)?,
            plaintext: Vec::new(),
            scratch: Vec::new(),
        })
    }

    fn tls_session(config: &Config) -> Result<Option<TlsSession>, TurnError> {
        match config.transport {
            Transport::Tls => Ok(Some(TlsSession::new(
                config.tls.as_ref().ok_or(TurnError::TlsConfig)?,
            )?)),
            _ => Ok(None),
        }
    }

    /// A new connection (after a redirect): nothing buffered, a fresh TLS session.
    pub(super) fn reconnect(&mut self, config: &Config) -> Result<(), TurnError> {
        self.framer.clear();
        if self.tls.is_some() {
            self.tls = Self::tls_session(config)?;
        }
        Ok(())
    }

    /// Whether the TLS handshake is going on.
    pub(super) fn is_handshaking(&self) -> bool {
        self.tls.as_ref().is_some_and(|t| t.is_handshaking())
    }

    /// Sends TLS close_notify, if on TLS.
    pub(super) fn close(&mut self) {
        if let Some(tls) = &mut self.tls {
            tls.close();
        }
    }

    /// The next transmit of `transactions`; over TLS, all of them sealed into records (the
    /// handshake's included) as one transmit to `server`.
    pub(super) fn poll_transmit(
        &mut self,
        transactions: &mut ClientTransactions<Request>,
        server: SocketAddr,
    ) -> Option<Transmit> {
        let Some(tls) = &mut self.tls else {
            return transactions.poll_transmit();
        };
        while let Some(t) = transactions.poll_transmit() {
            if tls.write_plaintext(&t.contents).is_err() {
                break;
            }
        }
        let mut out = Vec::new();
        tls.drain_tls(&mut out);
        (!out.is_empty()).then_some(Transmit {
            transport: Transport::Tls,
            source: None,
            destination: server,
            contents: out,
        })
    }

    /// The inputs of the last stream read.
    pub(super) fn stream_inputs(&self) -> StreamInputs<'_> {
        StreamInputs {
            buffer: self.framer.buffered(),
            inputs: self.stream_inputs.iter(),
        }
    }
}

impl Client {
    /// Frames `data` for `peer` into `out`: ChannelData when a channel is bound, else a Send
    /// indication (RFC 8656 §10.1), sealed into TLS records on TLS.
    pub(super) fn frame_send<'o>(
        &mut self,
        now: Instant,
        peer: SocketAddr,
        data: &[u8],
        out: &'o mut Vec<u8>,
    ) -> Result<Transmit<&'o [u8]>, TurnError> {
        let stream = self.config.transport.is_stream();
        let wire = &mut self.wire;
        let target: &mut Vec<u8> = if wire.tls.is_some() {
            &mut wire.scratch
        } else {
            &mut *out
        };
        target.clear();
        if let Some(channel) = self.channels.channel_of(peer, now) {
            let msg = ChannelData { channel, data };
            target.resize(msg.buffer_len(stream), 0);
            msg.emit(stream, target)?;
        } else if self.permissions.is_installed(peer.ip(), now) {
            let mut id = [0u8; 12];
            self.rng.fill_bytes(&mut id);
            target.resize(data.len() + 64, 0);
            let n = MessageWriter::indication(Method::SEND, id)
                .xor_peer_address(peer)
                .data(data)
                .encode(None, false, target)?;
            target.truncate(n);
        } else {
            return Err(TurnError::NoPermission(peer.ip()));
        }
        if let Some(tls) = &mut wire.tls {
            tls.write_plaintext(&wire.scratch)?;
            out.clear();
            tls.drain_tls(out);
        }
        Ok(Transmit {
            transport: self.config.transport,
            source: None,
            destination: self.server,
            contents: out.as_slice(),
        })
    }

    /// One datagram from the server.
    pub(super) fn read_datagram<'a>(&mut self, now: Instant, datagram: &'a [u8]) -> Input<'a> {
        match datagram.first() {
            Some(0x40..=0x4F) => match ChannelData::parse(datagram) {
                Ok(msg) => match self.channel_peer(msg.channel, now) {
                    Some(peer) => Input::Relayed {
                        peer,
                        data: msg.data,
                    },
                    None => Input::Consumed,
                },
                Err(_) => {
                    self.stats.dropped_malformed += 1;
                    Input::Consumed
                }
            },
            Some(0..=3) => match self.handle_stun(now, datagram) {
                Some((peer, range)) => Input::Relayed {
                    peer,
                    data: &datagram[range],
                },
                None => Input::Consumed,
            },
            _ => {
                self.stats.dropped_malformed += 1;
                Input::NotForUs
            }
        }
    }

    /// Pushes stream bytes (decrypted first over TLS) into the framer and handles every
    /// complete message, noting what each was for [`Wire::stream_inputs`]. A broken stream
    /// fails the client.
    pub(super) fn read_stream(&mut self, now: Instant, bytes: &[u8]) {
        self.wire.stream_inputs.clear();
        if !self.config.transport.is_stream() || matches!(self.state, State::Failed | State::Closed)
        {
            return;
        }
        let wire = &mut self.wire;
        let pushed = match &mut wire.tls {
            Some(tls) => {
                wire.plaintext.clear();
                match tls.read_tls(bytes, &mut wire.plaintext) {
                    Ok(()) => wire.framer.push(&wire.plaintext).map_err(TurnError::from),
                    Err(e) => Err(e),
                }
            }
            None => wire.framer.push(bytes).map_err(TurnError::from),
        };
        if let Err(e) = pushed {
            self.fail(e);
            return;
        }
        let mut framer = std::mem::replace(&mut self.wire.framer, StreamFramer::new(0));
        loop {
            let input = match framer.next_frame_at() {
                Ok(Some((at, Frame::Stun(msg)))) => self
                    .handle_stun(now, msg)
                    .map(|(peer, range)| (peer, at + range.start..at + range.end)),
                Ok(Some((at, Frame::ChannelData(msg)))) => {
                    self.channel_peer(msg.channel, now).map(|peer| {
                        let start = at + channel_data::HEADER_LEN;
                        (peer, start..start + msg.data.len())
                    })
                }
                Ok(None) => break,
                Err(e) => {
                    self.fail(e.into());
                    break;
                }
            };
            self.wire.stream_inputs.push(input);
        }
        self.wire.framer = framer;
    }

    fn channel_peer(&mut self, channel: u16, now: Instant) -> Option<SocketAddr> {
        if self.state != State::Allocated {
            return None;
        }
        let peer = self.channels.peer_of(channel, now);
        if peer.is_none() {
            self.stats.dropped_unknown_channel += 1;
        }
        peer
    }

    /// Handles one STUN message; for a Data indication from a permitted peer, returns the peer
    /// and where its data lies in `bytes`.
    fn handle_stun(&mut self, now: Instant, bytes: &[u8]) -> Option<(SocketAddr, Range<usize>)> {
        let Ok(header) = classify(bytes) else {
            self.stats.dropped_malformed += 1;
            return None;
        };
        match header.class {
            Class::Indication if header.method == Method::DATA.0 => {
                self.handle_data_indication(now, bytes)
            }
            Class::SuccessResponse | Class::ErrorResponse => {
                self.handle_response(now, bytes, header.transaction_id);
                None
            }
            // Requests and other indications have no meaning for a client.
            _ => {
                self.stats.dropped_malformed += 1;
                None
            }
        }
    }

    fn handle_data_indication(
        &mut self,
        now: Instant,
        bytes: &[u8],
    ) -> Option<(SocketAddr, Range<usize>)> {
        if self.state != State::Allocated {
            return None;
        }
        let Ok(msg) = Message::decode(bytes) else {
            self.stats.dropped_malformed += 1;
            return None;
        };
        let (Some(peer), Some(range)) = (msg.xor_peer_address(), data_range(bytes)) else {
            self.stats.dropped_malformed += 1;
            return None;
        };
        // RFC 8656 §10.4: data from a peer without a permission is not delivered.
        if !self.permissions.is_installed(peer.ip(), now) {
            self.stats.dropped_no_permission += 1;
            return None;
        }
        Some((peer, range))
    }
}

/// Where the value of the DATA attribute (0x0013) lies in a STUN message that passed
/// [`classify`].
fn data_range(msg: &[u8]) -> Option<Range<usize>> {
    let mut offset = rtcweb_stun::HEADER_LEN;
    while offset + 4 <= msg.len() {
        let attr_type = u16::from_be_bytes([msg[offset], msg[offset + 1]]);
        let len = usize::from(u16::from_be_bytes([msg[offset + 2], msg[offset + 3]]));
        let start = offset + 4;
        if start + len > msg.len() {
            return None;
        }
        if attr_type == 0x0013 {
            return Some(start..start + len);
        }
        offset = start + ((len + 3) & !3);
    }
    None
}
