//! Receive backpressure of the driver, over real UDP on loopback: a receiver that does not
//! read keeps at most its configured queue (the connection stops reading its sockets and
//! the sender's SCTP waits), and once it reads, every message arrives byte-exact and in
//! order. Also: connection events that are not read are held or coalesced, not lost.

#![cfg(feature = "driver")]
#![allow(clippy::disallowed_methods)] // the test measures wall-clock time

use std::time::{Duration, Instant};

use rtcweb_peer::driver::{DriverConfig, PeerConnection, PeerConnectionEvent};
use rtcweb_peer::{DataChannelInit, GatheringState};
use tokio::time::timeout;

mod signal;
use signal::{Linked, link};

/// 32 MiB in 64 KiB messages.
const SIZE: usize = 64 * 1024;
const COUNT: usize = 512;
/// The receiver's queue limit.
const LIMIT: usize = 2 << 20;
/// How long the receiver does not read.
const STALL: Duration = Duration::from_secs(2);

/// Message `i`: its index, then bytes derived from it.
fn payload(i: usize) -> Vec<u8> {
    let mut data = Vec::with_capacity(SIZE);
    data.extend_from_slice(&(i as u64).to_be_bytes());
    let mut x = (i as u32).wrapping_mul(2_654_435_761) | 1;
    while data.len() < SIZE {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data.push(x as u8);
    }
    data
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_does_not_read_keeps_its_limit_and_loses_nothing() {
    let (a, a_events) = PeerConnection::new(DriverConfig::loopback()).await.unwrap();
    let (b, b_events) = PeerConnection::new(DriverConfig {
        receive_queue_bytes: LIMIT,
        receive_queue_messages: 1024,
        ..DriverConfig::loopback()
    })
    .await
    .unwrap();
    let channel = a
        .create_data_channel("bulk", DataChannelInit::default())
        .await
        .unwrap();
    let Linked { mut b_incoming, .. } = link(&a, a_events, &b, b_events).await;
    let limit = Duration::from_secs(10);
    timeout(limit, channel.opened())
        .await
        .expect("open in time")
        .unwrap();
    let mut remote = timeout(limit, b_incoming.recv())
        .await
        .expect("B sees the channel")
        .unwrap();

    let start = Instant::now();
    let sender = channel.sender();
    let (sent_tx, mut sent) = tokio::sync::watch::channel(0usize);
    let sending = tokio::spawn(async move {
        for i in 0..COUNT {
            sender.send_binary(payload(i)).await.expect("send");
            sent_tx.send_replace(i + 1);
        }
    });

    // B does not read: its queue fills to the limit and stays there.
    let mut peak = 0usize;
    let mut peak_messages = 0usize;
    while start.elapsed() < STALL {
        peak = peak.max(remote.queued_bytes());
        peak_messages = peak_messages.max(remote.queued_messages());
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let sent_in_stall = *sent.borrow_and_update();
    let stalled = b.info().await.unwrap().io;
    assert!(peak <= LIMIT, "queued {peak} bytes, limit {LIMIT}");
    assert!(peak > LIMIT - SIZE, "the queue filled: {peak} bytes");
    assert!(stalled.read_pauses >= 1, "{stalled:?}");
    assert!(
        sent_in_stall < COUNT,
        "the sender waits: {sent_in_stall} sent"
    );

    // B reads: everything arrives, byte-exact and in order.
    let reading = Instant::now();
    for i in 0..COUNT {
        peak = peak.max(remote.queued_bytes());
        let got = timeout(Duration::from_secs(10), remote.recv())
            .await
            .unwrap_or_else(|_| panic!("message {i} did not come"))
            .expect("open");
        assert_eq!(got.data[..8], (i as u64).to_be_bytes(), "order");
        assert!(got.data == payload(i), "message {i} byte-exact");
    }
    let drained = reading.elapsed();
    timeout(Duration::from_secs(5), sending)
        .await
        .expect("the sender finished")
        .unwrap();
    assert!(remote.try_recv().is_none(), "no more than was sent");
    assert!(peak <= LIMIT, "queued {peak} bytes, limit {LIMIT}");
    let io = b.info().await.unwrap().io;
    assert!(io.held_bytes_peak <= 5 << 20, "{io:?}");
    println!(
        "backpressure: {} MiB in 64 KiB messages; receiver idle {STALL:?}: queue peak \
         {peak} bytes / {peak_messages} messages (limit {LIMIT} bytes), {sent_in_stall} \
         messages sent meanwhile; drained in {drained:?} after reading started; \
         {} read pauses, held beyond the queue at most {} bytes; total {:?}",
        (COUNT * SIZE) >> 20,
        io.read_pauses,
        io.held_bytes_peak,
        start.elapsed()
    );
    a.close().await.unwrap();
    b.close().await.unwrap();
}

#[tokio::test]
async fn unread_events_are_held_or_coalesced_not_lost() {
    let (pc, mut events) = PeerConnection::new(DriverConfig {
        event_queue: 2,
        ..DriverConfig::loopback()
    })
    .await
    .unwrap();
    let _channel = pc
        .create_data_channel("x", DataChannelInit::default())
        .await
        .unwrap();
    let offer = pc.create_offer().await.unwrap();
    pc.set_local_description(&offer).await.unwrap();
    // Gathering completes while nobody reads.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let io = pc.info().await.unwrap().io;

    let mut got = Vec::new();
    while let Ok(Some(event)) = timeout(Duration::from_millis(300), events.recv()).await {
        got.push(event);
    }
    let candidates: Vec<usize> = (0..got.len())
        .filter(|i| matches!(got[*i], PeerConnectionEvent::LocalCandidate(_)))
        .collect();
    let complete = got.iter().position(|e| {
        matches!(
            e,
            PeerConnectionEvent::IceGatheringState(GatheringState::Complete)
        )
    });
    assert!(!candidates.is_empty(), "{got:?}");
    let complete = complete.unwrap_or_else(|| panic!("gathering completes: {got:?}"));
    assert!(
        candidates.iter().all(|c| *c < complete),
        "end of candidates after the candidates: {got:?}"
    );
    println!(
        "events: {} delivered through a queue of 2, {} state changes coalesced",
        got.len(),
        io.events_coalesced
    );
    pc.close().await.unwrap();
}
