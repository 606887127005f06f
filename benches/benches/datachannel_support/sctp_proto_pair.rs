//! Two sctp-proto peers (str0m's SCTP, with the DCEP of the interop tests) moving the same
//! bytes as our benchmark: the other implementation, in the same run.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

#[path = "../../../crates/datachannel/tests/support/sctp_proto_peer.rs"]
mod peer;

use peer::{Dcep, SctpProtoPeer};

use crate::Loss;

pub(crate) fn transfer(total: usize, message: usize, loss_per_mille: u64) -> usize {
    let mut now = Instant::now();
    let mut client = SctpProtoPeer::client(now, 1200);
    let mut server = SctpProtoPeer::server(1200);
    let mut loss = Loss::new(loss_per_mille);
    let chunk = vec![0x5au8; message];
    let mut sent = 0;
    let mut opened = false;
    let mut wire: VecDeque<(bool, Vec<u8>)> = VecDeque::new();
    while server.received_bytes < total {
        if client.connected && !opened {
            client.open_channel(now, 0, "bench");
            opened = true;
        }
        let acked = client.dcep.contains(&Dcep::Ack { id: 0 });
        while acked && sent < total && client.buffered_amount(0) < 4 * message {
            client.send(now, 0, 53, &chunk);
            sent += message;
        }
        wire.extend(client.outgoing.drain(..).map(|p| (true, p)));
        wire.extend(server.outgoing.drain(..).map(|p| (false, p)));
        if wire.is_empty() {
            now += Duration::from_millis(1);
            client.handle_timeout(now);
            server.handle_timeout(now);
        }
        while let Some((to_server, p)) = wire.pop_front() {
            if loss.drop() {
                continue;
            }
            if to_server {
                server.handle_datagram(now, &p);
            } else {
                client.handle_datagram(now, &p);
            }
        }
        server.received.clear();
    }
    server.received_bytes
}
