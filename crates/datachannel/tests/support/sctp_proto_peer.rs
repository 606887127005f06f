//! An independent data-channel peer for interop tests and benchmarks: sctp-proto (the SCTP of
//! str0m, a separate implementation from ours) with DCEP written here from RFC 8832 §5,
//! without our `dcep` module.
#![allow(dead_code, unreachable_pub, clippy::disallowed_methods)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use sctp_proto::{
    Association, AssociationHandle, ClientConfig, DatagramEvent, Endpoint, EndpointConfig, Event,
    Payload, PayloadProtocolIdentifier as Ppi, ServerConfig, StreamEvent, TransportConfig,
};

/// A DCEP message seen by the peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dcep {
    /// DATA_CHANNEL_OPEN with its label.
    Open {
        id: u16,
        label: String,
        channel_type: u8,
    },
    /// DATA_CHANNEL_ACK.
    Ack { id: u16 },
}

pub struct SctpProtoPeer {
    endpoint: Endpoint,
    assoc: Option<(AssociationHandle, Association)>,
    remote: SocketAddr,
    /// SCTP packets to hand to the other side.
    pub outgoing: VecDeque<Vec<u8>>,
    pub connected: bool,
    /// Data messages received: stream, PPID, payload.
    pub received: Vec<(u16, u32, Vec<u8>)>,
    pub received_bytes: usize,
    pub dcep: Vec<Dcep>,
    transport: Arc<TransportConfig>,
}

fn transport(max_message: u32) -> Arc<TransportConfig> {
    Arc::new(
        TransportConfig::default()
            .with_max_send_message_size(max_message)
            .with_max_receive_message_size(max_message)
            .with_max_receive_buffer_size(8 * 1024 * 1024),
    )
}

fn endpoint_config(mtu: u32) -> Arc<EndpointConfig> {
    let mut c = EndpointConfig::new();
    // sctp-proto counts the payload of one DATA chunk: MTU − common header − chunk header.
    c.max_payload_size(mtu - 12 - 16);
    Arc::new(c)
}

impl SctpProtoPeer {
    /// Accepts the association the other side starts.
    pub fn server(mtu: u32) -> Self {
        let transport = transport(1024 * 1024);
        let mut server = ServerConfig::new();
        server.transport = transport.clone();
        Self {
            endpoint: Endpoint::new(endpoint_config(mtu), Some(Arc::new(server))),
            assoc: None,
            remote: "192.0.2.1:5000".parse().unwrap(),
            outgoing: VecDeque::new(),
            connected: false,
            received: Vec::new(),
            received_bytes: 0,
            dcep: Vec::new(),
            transport,
        }
    }

    /// Starts the association (sends INIT).
    pub fn client(now: Instant, mtu: u32) -> Self {
        let mut peer = Self::server(mtu);
        let mut config = ClientConfig::new();
        config.transport = peer.transport.clone();
        let (ch, assoc) = peer.endpoint.connect(config, peer.remote).unwrap();
        peer.assoc = Some((ch, assoc));
        peer.drive(now);
        peer
    }

    pub fn handle_datagram(&mut self, now: Instant, packet: &[u8]) {
        let data = Bytes::copy_from_slice(packet);
        match self.endpoint.handle(now, self.remote, None, None, data) {
            Some((ch, DatagramEvent::NewAssociation(assoc))) => self.assoc = Some((ch, assoc)),
            Some((_, DatagramEvent::AssociationEvent(event))) => {
                if let Some((_, a)) = &mut self.assoc {
                    a.handle_event(event);
                }
            }
            None => {}
        }
        self.drive(now);
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some((_, a)) = &mut self.assoc {
            a.handle_timeout(now);
        }
        self.drive(now);
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        self.assoc.as_ref().and_then(|(_, a)| a.poll_timeout())
    }

    /// Opens a channel with DATA_CHANNEL_OPEN (reliable, ordered), encoded by hand per
    /// RFC 8832 §5.1.
    pub fn open_channel(&mut self, now: Instant, id: u16, label: &str) {
        let mut open = vec![0x03, 0x00, 0x01, 0x00, 0, 0, 0, 0];
        open.extend_from_slice(&(label.len() as u16).to_be_bytes());
        open.extend_from_slice(&0u16.to_be_bytes());
        open.extend_from_slice(label.as_bytes());
        self.write(now, id, 50, &open);
    }

    /// Sends one user message (PPID 51/53/56/57 chosen by the caller).
    pub fn send(&mut self, now: Instant, id: u16, ppid: u32, data: &[u8]) {
        self.write(now, id, ppid, data);
    }

    pub fn buffered_amount(&mut self, id: u16) -> usize {
        let Some((_, a)) = &mut self.assoc else {
            return 0;
        };
        a.stream(id)
            .ok()
            .and_then(|s| s.buffered_amount().ok())
            .unwrap_or(0)
    }

    fn write(&mut self, now: Instant, id: u16, ppid: u32, data: &[u8]) {
        let ppi = match ppid {
            50 => Ppi::Dcep,
            51 => Ppi::String,
            53 => Ppi::Binary,
            56 => Ppi::StringEmpty,
            57 => Ppi::BinaryEmpty,
            _ => Ppi::Unknown,
        };
        let (_, a) = self.assoc.as_mut().expect("an association");
        let bytes = Bytes::copy_from_slice(data);
        let result = match a.stream(id) {
            Ok(mut s) => s.write_sctp(&bytes, ppi),
            Err(_) => a
                .open_stream(id, ppi)
                .and_then(|mut s| s.write_sctp(&bytes, ppi)),
        };
        result.expect("sctp-proto write");
        self.drive(now);
    }

    /// Drains the association: packets, endpoint events, application events, stream data.
    pub fn drive(&mut self, now: Instant) {
        let Some((ch, a)) = &mut self.assoc else {
            return;
        };
        let ch = *ch;
        loop {
            let mut progressed = false;
            while let Some(t) = a.poll_transmit(now) {
                progressed = true;
                if let Payload::RawEncode(packets) = t.payload {
                    self.outgoing
                        .extend(packets.into_iter().map(|b| b.to_vec()));
                }
            }
            while let Some(e) = a.poll_endpoint_event() {
                progressed = true;
                if let Some(back) = self.endpoint.handle_event(ch, e) {
                    a.handle_event(back);
                }
            }
            let mut readable = Vec::new();
            while let Some(e) = a.poll() {
                progressed = true;
                match e {
                    Event::Connected => self.connected = true,
                    Event::Stream(StreamEvent::Opened { .. }) => {
                        while let Some(s) = a.accept_stream() {
                            readable.push(s.stream_identifier());
                        }
                    }
                    Event::Stream(StreamEvent::Readable { id }) => readable.push(id),
                    _ => {}
                }
            }
            for id in readable {
                let Ok(mut s) = a.stream(id) else { continue };
                while let Ok(Some(chunks)) = s.read_sctp() {
                    progressed = true;
                    let mut buf = vec![0u8; chunks.len()];
                    let n = chunks.read(&mut buf).unwrap();
                    buf.truncate(n);
                    let ppid = chunks.ppi as u32;
                    if ppid == 50 {
                        match buf.first() {
                            Some(0x03) if buf.len() >= 12 => {
                                let label_len = usize::from(u16::from_be_bytes([buf[8], buf[9]]));
                                let label =
                                    String::from_utf8_lossy(&buf[12..12 + label_len]).into_owned();
                                self.dcep.push(Dcep::Open {
                                    id,
                                    label,
                                    channel_type: buf[1],
                                });
                                // RFC 8832 §5.2: answer with DATA_CHANNEL_ACK.
                                let ack = Bytes::from_static(&[0x02]);
                                s.write_sctp(&ack, Ppi::Dcep).expect("ack");
                            }
                            Some(0x02) => self.dcep.push(Dcep::Ack { id }),
                            _ => {}
                        }
                    } else {
                        self.received_bytes += buf.len();
                        self.received.push((id, ppid, buf));
                    }
                }
            }
            if !progressed {
                break;
            }
        }
    }
}
