//! Interop with an independent implementation: sctp-proto (str0m's SCTP) with DCEP written
//! from RFC 8832 in `support/sctp_proto_peer.rs`. Channels open both ways and every message
//! size goes both ways, with either side starting the association.

mod support;

use std::time::{Duration, Instant};

use rtcweb_datachannel::{ChannelOptions, Config, DataChannels, DtlsRole, Event, Message};
use support::sctp_proto_peer::{Dcep, SctpProtoPeer};

const SIZES: [usize; 5] = [0, 1, 1199, 64 * 1024, 256 * 1024];

struct Link {
    now: Instant,
    ours: DataChannels,
    theirs: SctpProtoPeer,
    events: Vec<Event>,
    /// Our packets, one at a time.
    packet: Vec<u8>,
}

impl Link {
    fn pump(&mut self) -> bool {
        let mut moved = false;
        while self.ours.poll_transmit_into(&mut self.packet) {
            self.theirs.handle_datagram(self.now, &self.packet);
            moved = true;
        }
        while let Some(p) = self.theirs.outgoing.pop_front() {
            self.ours.handle_datagram(self.now, &p);
            moved = true;
        }
        self.events
            .extend(std::iter::from_fn(|| self.ours.poll_event()));
        moved
    }

    fn run_until(&mut self, mut done: impl FnMut(&Self) -> bool) {
        let limit = self.now + Duration::from_secs(60);
        while !done(self) {
            if !self.pump() {
                let next = [self.ours.poll_timeout(), self.theirs.poll_timeout()]
                    .into_iter()
                    .flatten()
                    .min()
                    .unwrap_or(self.now + Duration::from_millis(10));
                self.now = self.now.max(next);
                self.ours.handle_timeout(self.now);
                self.theirs.handle_timeout(self.now);
            }
            assert!(self.now < limit, "stuck; our events: {:?}", self.events);
        }
    }
}

fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

fn exchange(link: &mut Link, ours: u16, theirs: u16) {
    // Ours → theirs on our channel, theirs → ours on theirs: text and binary of every size.
    let now = link.now;
    for len in SIZES {
        link.ours
            .send(now, ours, Message::binary(payload(len)))
            .unwrap();
        link.ours
            .send(now, ours, Message::text("x".repeat(len)))
            .unwrap();
        let (bin, text) = if len == 0 { (57, 56) } else { (53, 51) };
        let body = if len == 0 { vec![0] } else { payload(len) };
        link.theirs.send(now, theirs, bin, &body);
        let text_body = if len == 0 { vec![0] } else { vec![b'x'; len] };
        link.theirs.send(now, theirs, text, &text_body);
    }
    let n = SIZES.len() * 2;
    link.run_until(|l| {
        l.theirs.received.len() >= n
            && l.events
                .iter()
                .filter(|e| matches!(e, Event::Message { id, .. } if *id == theirs))
                .count()
                >= n
    });
    // What sctp-proto received from us: PPIDs and bytes as RFC 8831 §6.6 says.
    for (i, len) in SIZES.iter().enumerate() {
        let (id, ppid, data) = &link.theirs.received[2 * i];
        assert_eq!((*id, *ppid), (ours, if *len == 0 { 57 } else { 53 }));
        assert_eq!(data, &if *len == 0 { vec![0] } else { payload(*len) });
        let (_, ppid, data) = &link.theirs.received[2 * i + 1];
        assert_eq!(*ppid, if *len == 0 { 56 } else { 51 });
        assert_eq!(data.len(), (*len).max(1));
    }
    // What we received from sctp-proto.
    let got: Vec<&Message> = link
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Message { id, message } if *id == theirs => Some(message),
            _ => None,
        })
        .collect();
    for (i, len) in SIZES.iter().enumerate() {
        assert_eq!(got[2 * i], &Message::binary(payload(*len)));
        assert_eq!(got[2 * i + 1], &Message::text("x".repeat(*len)));
    }
}

fn config() -> Config {
    Config {
        role: DtlsRole::Client,
        remote_max_message_size: 256 * 1024,
        ..Config::default()
    }
}

#[test]
fn channels_open_both_ways_and_every_size_crosses_when_we_connect() {
    #[allow(clippy::disallowed_methods)]
    let now = Instant::now();
    let mut link = Link {
        now,
        ours: DataChannels::new(config(), now),
        theirs: SctpProtoPeer::server(1200),
        events: Vec::new(),
        packet: Vec::new(),
    };
    link.ours.connect(now);
    let ours = link
        .ours
        .open_channel(now, ChannelOptions::new("from-rtcweb"))
        .unwrap();
    // Open on our side as the DATA_CHANNEL_OPEN leaves; theirs has it when it arrives.
    link.run_until(|l| {
        l.events.contains(&Event::ChannelOpen { id: ours })
            && l.theirs
                .dcep
                .iter()
                .any(|d| matches!(d, Dcep::Open { id, .. } if *id == ours))
    });
    assert!(link.theirs.connected);
    assert_eq!(
        link.theirs.dcep[0],
        Dcep::Open {
            id: ours,
            label: "from-rtcweb".into(),
            channel_type: 0
        }
    );
    // sctp-proto's side opens one too (odd id: it is the DTLS server here).
    let now = link.now;
    link.theirs.open_channel(now, 1, "from-sctp-proto");
    link.run_until(|l| l.theirs.dcep.contains(&Dcep::Ack { id: 1 }));
    assert!(link.events.iter().any(
        |e| matches!(e, Event::IncomingChannel(c) if c.id == 1 && c.label == "from-sctp-proto")
    ));
    exchange(&mut link, ours, 1);
}

#[test]
fn sctp_proto_starts_the_association() {
    #[allow(clippy::disallowed_methods)]
    let now = Instant::now();
    let mut link = Link {
        now,
        ours: DataChannels::new(config(), now),
        theirs: SctpProtoPeer::client(now, 1200),
        events: Vec::new(),
        packet: Vec::new(),
    };
    link.run_until(|l| l.events.contains(&Event::Connected) && l.theirs.connected);
    let now = link.now;
    link.theirs.open_channel(now, 3, "theirs");
    let ours = link
        .ours
        .open_channel(now, ChannelOptions::new("ours"))
        .unwrap();
    link.run_until(|l| {
        l.events.contains(&Event::ChannelOpen { id: ours })
            && l.theirs.dcep.contains(&Dcep::Ack { id: 3 })
            && l.theirs
                .dcep
                .iter()
                .any(|d| matches!(d, Dcep::Open { id, .. } if *id == ours))
    });
    exchange(&mut link, ours, 3);
}
