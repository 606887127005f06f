//! The TURN server's data path: Send indications and ChannelData from the client to peers,
//! datagrams from peers to the client (RFC 8656 §11, §12).

use std::net::SocketAddr;
use std::time::Instant;

use rtcweb_stun::{Message, MessageWriter, Method};
use rtcweb_turn::ChannelData;

use crate::stun_server::Outgoing;
use crate::turn_server::{Outcome, TurnServer};

/// Room for the STUN header and attributes around relayed data in a Data indication.
const INDICATION_OVERHEAD: usize = 128;

impl TurnServer {
    /// RFC 8656 §11.2: relayed to the peer if a permission exists; silently dropped
    /// otherwise.
    pub(crate) fn send_indication(
        &mut self,
        now: Instant,
        source: SocketAddr,
        message: &Message,
        out: &mut Vec<Outgoing>,
    ) -> Outcome {
        let Some(allocation) = self.allocations.get(&source) else {
            return Outcome::Dropped;
        };
        let (Some(peer), Some(data)) = (message.xor_peer_address(), message.data()) else {
            return Outcome::Dropped;
        };
        if peer.is_ipv4() != allocation.relayed.is_ipv4() || !allocation.permits(peer.ip(), now) {
            return Outcome::Dropped;
        }
        out.push(Outgoing {
            from: allocation.relayed,
            to: peer,
            contents: data.to_vec(),
        });
        Outcome::Relayed
    }

    /// RFC 8656 §12.6: ChannelData on a bound channel goes to its peer (with a permission;
    /// it refreshes neither).
    pub(crate) fn channel_data(
        &mut self,
        now: Instant,
        source: SocketAddr,
        datagram: &[u8],
        out: &mut Vec<Outgoing>,
    ) -> Outcome {
        let Some(allocation) = self.allocations.get(&source) else {
            return Outcome::Dropped;
        };
        let Ok(message) = ChannelData::parse(datagram) else {
            return Outcome::Dropped;
        };
        let Some(peer) = allocation.channel_peer(message.channel, now) else {
            return Outcome::Dropped;
        };
        if !allocation.permits(peer.ip(), now) {
            return Outcome::Dropped;
        }
        out.push(Outgoing {
            from: allocation.relayed,
            to: peer,
            contents: message.data.to_vec(),
        });
        Outcome::Relayed
    }

    /// RFC 8656 §11.3, §12.7: a datagram from a peer to a relayed address goes to the client
    /// as ChannelData if a channel is bound to the peer, else as a Data indication; without a
    /// permission for the peer's IP it is dropped.
    pub(crate) fn relay_from_peer(
        &mut self,
        now: Instant,
        peer: SocketAddr,
        relayed: SocketAddr,
        datagram: &[u8],
        out: &mut Vec<Outgoing>,
    ) -> Outcome {
        let Some(&client) = self.relays.get(&relayed) else {
            return Outcome::Dropped;
        };
        let Some(allocation) = self.allocations.get(&client) else {
            return Outcome::Dropped;
        };
        if !allocation.permits(peer.ip(), now) {
            return Outcome::Dropped;
        }
        let contents = match allocation.channel_of(peer, now) {
            Some(channel) => {
                let message = ChannelData {
                    channel,
                    data: datagram,
                };
                let mut buf = vec![0u8; message.buffer_len(false)];
                match message.emit(false, &mut buf) {
                    Ok(n) => {
                        buf.truncate(n);
                        buf
                    }
                    Err(_) => return Outcome::Dropped,
                }
            }
            None => {
                let mut buf = vec![0u8; datagram.len() + INDICATION_OVERHEAD];
                // Indications need unique transaction IDs only: a counter will do.
                self.indications = self.indications.wrapping_add(1);
                let mut id = [0u8; 12];
                id[4..].copy_from_slice(&self.indications.to_be_bytes());
                let written = MessageWriter::indication(Method::DATA, id)
                    .xor_peer_address(peer)
                    .data(datagram)
                    .encode(None, true, &mut buf);
                match written {
                    Ok(n) => {
                        buf.truncate(n);
                        buf
                    }
                    Err(_) => return Outcome::Dropped,
                }
            }
        };
        self.send(client, contents, out);
        Outcome::Relayed
    }
}
