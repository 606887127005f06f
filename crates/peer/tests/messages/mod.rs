//! The message stream of the echo tests: text and binary, 0 B to 256 KiB.
#![allow(dead_code, unreachable_pub)] // shared by several test binaries

use rtcweb_peer::Message;
use rtcweb_test_support::XorShift32;

/// The largest message: the `a=max-message-size` both rtcweb and Chromium offer.
pub const MAX_SIZE: usize = 256 * 1024;

/// Message `i` of the stream up to [`MAX_SIZE`].
pub fn message(i: usize) -> Message {
    message_up_to(i, MAX_SIZE)
}

/// Message `i`: even ones text (printable ASCII), odd ones binary. Sizes: 0, 1, exactly
/// `max` (twice), then every tenth up to `max` and the others up to 4 KiB; content derived
/// from `i`.
pub fn message_up_to(i: usize, max: usize) -> Message {
    let size = match i {
        0 => 0,
        1 => 1,
        2 | 3 => max,
        _ if i % 10 == 0 => (i * 7919) % (max + 1),
        _ => (i * 7919) % 4097,
    };
    let mut x = XorShift32((i as u32).wrapping_mul(2_654_435_761) | 1);
    let mut byte = || x.next_u8();
    if i % 2 == 0 {
        Message::text(
            (0..size)
                .map(|_| char::from(b' ' + byte() % 95))
                .collect::<String>(),
        )
    } else {
        Message::binary((0..size).map(|_| byte()).collect::<Vec<u8>>())
    }
}

/// Checks an echoed message against message `i`; returns its size.
pub fn check(label: &str, i: usize, got: &Message) -> usize {
    check_up_to(label, i, got, MAX_SIZE)
}

/// Checks an echoed message against message `i` of the stream up to `max`; returns its
/// size.
pub fn check_up_to(label: &str, i: usize, got: &Message, max: usize) -> usize {
    let want = message_up_to(i, max);
    assert_eq!(got.kind, want.kind, "{label}: kind of message {i}");
    assert_eq!(
        got.data.len(),
        want.data.len(),
        "{label}: size of message {i}"
    );
    assert!(got.data == want.data, "{label}: bytes of message {i}");
    got.data.len()
}

/// Waits (20 s at most a step) for `channel` to open and for the peer's end of it to come
/// out of `incoming`, then sends messages `0..20` (up to 4 KiB) one at a time from
/// `channel`, the peer's end echoing each back, every one checked both ways.
pub async fn echo_twenty(
    label: &str,
    channel: &mut rtcweb_peer::driver::DataChannel,
    incoming: &mut tokio::sync::mpsc::Receiver<rtcweb_peer::driver::DataChannel>,
) {
    use std::time::Duration;
    use tokio::time::timeout;
    let limit = Duration::from_secs(20);
    timeout(limit, channel.opened())
        .await
        .unwrap_or_else(|_| panic!("{label}: the channel opens"))
        .unwrap();
    let mut remote = timeout(limit, incoming.recv())
        .await
        .expect("B sees the channel")
        .expect("a channel");
    for i in 0..20 {
        let m = message_up_to(i, 4096);
        channel.send(m).await.unwrap();
        let got = timeout(limit, remote.recv())
            .await
            .expect("B receives")
            .unwrap();
        check_up_to(label, i, &got, 4096);
        remote.send(got).await.unwrap();
        let back = timeout(limit, channel.recv())
            .await
            .expect("A receives")
            .unwrap();
        check_up_to(label, i, &back, 4096);
    }
    println!("{label}: 20 messages echoed");
}

/// Sends messages `0..count` of the stream up to `max` bytes from one task while checking,
/// in order, the echoes the peer sends back; the channel back, the bytes echoed and how
/// long it took.
pub async fn echo_stream(
    mut channel: rtcweb_peer::driver::DataChannel,
    count: usize,
    max: usize,
    label: &str,
) -> (rtcweb_peer::driver::DataChannel, usize, std::time::Duration) {
    let sender = channel.sender();
    let start = std::time::Instant::now();
    let sending = tokio::spawn(async move {
        for i in 0..count {
            sender.send(message_up_to(i, max)).await.expect("send");
        }
    });
    let mut bytes = 0;
    for i in 0..count {
        let got = tokio::time::timeout(std::time::Duration::from_secs(60), channel.recv())
            .await
            .unwrap_or_else(|_| panic!("{label}: echo {i} did not come back"))
            .expect("the channel stays open");
        bytes += check_up_to(label, i, &got, max);
    }
    let took = start.elapsed();
    sending.await.expect("the sender finished");
    (channel, bytes, took)
}
