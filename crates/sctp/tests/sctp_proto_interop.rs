//! Wire-level interop with sctp-proto (str0m's SCTP, an independent implementation). Its
//! packet types are private, so the exchange goes through its public `Endpoint` and
//! `Association`: packets we write must be accepted by it, and what it writes must parse
//! here with a verified checksum.
#![allow(clippy::disallowed_methods)] // a test: the clock only seeds sctp-proto's timers

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use rtcweb_sctp::wire::{Chunk, CommonHeader, Data, Init, Packet, PacketWriter, Param, TlvList};
use sctp_proto::{
    Association, AssociationHandle, ClientConfig, DatagramEvent, Endpoint, EndpointConfig, Event,
    Payload, ServerConfig, StreamEvent,
};

struct Peer {
    endpoint: Endpoint,
    assoc: Option<(AssociationHandle, Association)>,
    out: Vec<Vec<u8>>,
    connected: bool,
    received: Vec<Vec<u8>>,
}

fn remote() -> SocketAddr {
    "192.0.2.1:5000".parse().unwrap()
}

impl Peer {
    fn server() -> Self {
        Self {
            endpoint: Endpoint::new(
                Arc::new(EndpointConfig::new()),
                Some(Arc::new(ServerConfig::new())),
            ),
            assoc: None,
            out: Vec::new(),
            connected: false,
            received: Vec::new(),
        }
    }

    fn handle(&mut self, now: Instant, packet: &[u8]) {
        let data = Bytes::copy_from_slice(packet);
        match self.endpoint.handle(now, remote(), None, None, data) {
            Some((ch, DatagramEvent::NewAssociation(a))) => self.assoc = Some((ch, a)),
            Some((_, DatagramEvent::AssociationEvent(e))) => {
                if let Some((_, a)) = &mut self.assoc {
                    a.handle_event(e);
                }
            }
            None => {}
        }
        self.drive(now);
    }

    fn drive(&mut self, now: Instant) {
        let Some((ch, a)) = &mut self.assoc else {
            return;
        };
        while let Some(t) = a.poll_transmit(now) {
            if let Payload::RawEncode(packets) = t.payload {
                self.out.extend(packets.into_iter().map(|b| b.to_vec()));
            }
        }
        while let Some(e) = a.poll_endpoint_event() {
            if let Some(back) = self.endpoint.handle_event(*ch, e) {
                a.handle_event(back);
            }
        }
        while let Some(e) = a.poll() {
            match e {
                Event::Connected => self.connected = true,
                Event::Stream(StreamEvent::Opened { .. }) => while a.accept_stream().is_some() {},
                _ => {}
            }
        }
        for id in [0u16, 1] {
            if let Ok(mut s) = a.stream(id) {
                while let Ok(Some(chunks)) = s.read_sctp() {
                    let mut buf = vec![0u8; chunks.len()];
                    let n = chunks.read(&mut buf).unwrap();
                    buf.truncate(n);
                    self.received.push(buf);
                }
            }
        }
        while let Some(t) = a.poll_transmit(now) {
            if let Payload::RawEncode(packets) = t.payload {
                self.out.extend(packets.into_iter().map(|b| b.to_vec()));
            }
        }
    }
}

fn write(tag: u32, chunks: &[Chunk<'_>]) -> Vec<u8> {
    let header = CommonHeader {
        source_port: 5000,
        destination_port: 5000,
        verification_tag: tag,
    };
    let mut buf = Vec::new();
    let mut w = PacketWriter::new_in_vec(&mut buf, header, 1200).unwrap();
    for c in chunks {
        w.push(c).unwrap();
    }
    w.finish();
    buf
}

/// The only chunks of the packets `peer` sent, parsed here.
fn take(peer: &mut Peer) -> Vec<(CommonHeader, Vec<u8>)> {
    std::mem::take(&mut peer.out)
        .into_iter()
        .map(|p| {
            (
                Packet::parse(&p)
                    .expect("sctp-proto's packet parses")
                    .header(),
                p,
            )
        })
        .collect()
}

#[test]
fn we_connect_and_send_data_to_sctp_proto() {
    let now = Instant::now();
    let mut peer = Peer::server();
    let ext = [0x82, 0xc0];
    let params = [Param::ForwardTsnSupported, Param::SupportedExtensions(&ext)];
    let init = Init {
        initiate_tag: 0x0102_0304,
        a_rwnd: 1 << 20,
        outbound_streams: 1024,
        inbound_streams: 1024,
        initial_tsn: 1000,
        params: TlvList::new(&params),
    };
    peer.handle(now, &write(0, &[Chunk::Init(init)]));

    // Its INIT ACK, to our tag, with a cookie.
    let packets = take(&mut peer);
    assert_eq!(packets.len(), 1, "one INIT ACK");
    let (header, bytes) = &packets[0];
    assert_eq!(header.verification_tag, init.initiate_tag);
    let packet = Packet::parse(bytes).unwrap();
    let Some(Ok(Chunk::InitAck(ack))) = packet.chunks().next() else {
        panic!("INIT ACK expected");
    };
    let cookie = ack.state_cookie().expect("a State Cookie");
    assert!(ack.forward_tsn_supported());
    let their_tag = ack.initiate_tag;

    // COOKIE ECHO bundled with DATA, as RFC 9260 §5.1 allows.
    let data = Data {
        tsn: 1000,
        stream_id: 0,
        ssn: 0,
        ppid: 51,
        beginning: true,
        ending: true,
        payload: b"hello from rtcweb-sctp",
        ..Data::default()
    };
    peer.handle(
        now,
        &write(their_tag, &[Chunk::CookieEcho(cookie), Chunk::Data(data)]),
    );
    assert!(peer.connected, "sctp-proto accepted our COOKIE ECHO");
    assert_eq!(peer.received, [b"hello from rtcweb-sctp".to_vec()]);

    // Its COOKIE ACK and a SACK of TSN 1000 (sent now or on its delayed-ack timer).
    let mut chunks = Vec::new();
    let mut pending = take(&mut peer);
    if let Some(t) = peer.assoc.as_ref().and_then(|(_, a)| a.poll_timeout()) {
        peer.assoc.as_mut().unwrap().1.handle_timeout(t);
        peer.drive(t);
        pending.extend(take(&mut peer));
    }
    for (header, bytes) in &pending {
        assert_eq!(header.verification_tag, init.initiate_tag);
        let packet = Packet::parse(bytes).unwrap();
        for c in packet.chunks() {
            chunks.push(c.unwrap().kind());
            if let Chunk::Sack(s) = c.unwrap() {
                assert_eq!(s.cumulative_tsn_ack, 1000);
                assert!(s.gap_blocks.is_empty());
            }
        }
    }
    assert!(chunks.contains(&rtcweb_sctp::wire::ChunkType::COOKIE_ACK));
    assert!(chunks.contains(&rtcweb_sctp::wire::ChunkType::SACK));
}

#[test]
fn sctp_proto_init_parses_here() {
    let now = Instant::now();
    let mut peer = Peer::server();
    let (ch, assoc) = peer
        .endpoint
        .connect(ClientConfig::new(), remote())
        .unwrap();
    peer.assoc = Some((ch, assoc));
    peer.drive(now);
    let packets = take(&mut peer);
    let (header, bytes) = &packets[0];
    assert_eq!(header.verification_tag, 0);
    let packet = Packet::parse(bytes).unwrap();
    let chunks: Vec<Chunk<'_>> = packet.chunks().map(Result::unwrap).collect();
    let [Chunk::Init(init)] = chunks[..] else {
        panic!("one INIT, got {chunks:?}");
    };
    assert_ne!(init.initiate_tag, 0);
    assert!(init.forward_tsn_supported());
    // Written back by us, byte for byte.
    assert_eq!(&write(0, &chunks)[12..], &bytes[12..]);
}
