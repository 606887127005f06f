//! What the three stacks' loopback pairs have in common: the [`Loopback`] contract the
//! benchmark drives them through, their settings, and the byte counter on the receiving end.

use std::future::Future;
use std::time::{Duration, Instant};

use tokio::sync::watch;

/// Size of every data-channel message in the throughput case.
pub(crate) const MESSAGE: usize = 64 << 10;

/// The longest any step may take before the benchmark gives up with a panic naming it, so
/// that a stack that stalls fails loudly instead of hanging the run.
const LIMIT: Duration = Duration::from_secs(60);

/// How a pair is set up.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    /// Most bytes the sending application keeps queued on the channel before it waits, with
    /// each stack's own mechanism: rtcweb's `send_high_water`, webrtc-rs's send-buffer limit
    /// (bytes not yet acknowledged), str0m's SCTP `max_buffered_amount`.
    pub(crate) in_flight: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self { in_flight: 1 << 20 }
    }
}

/// Two peers of one stack, A and B, on 127.0.0.1, each with its own UDP socket, signalled in
/// process (SDP as text, candidates trickled where the stack trickles), as that stack's users
/// drive it.
pub(crate) trait Loopback: Sized {
    /// The stack's name in benchmark ids and reports.
    const NAME: &'static str;

    /// Both peers made (sockets bound, certificates made), nothing negotiated yet: the part
    /// the connect case does not time.
    async fn new(settings: Settings) -> Self;

    /// From A's `createDataChannel` and `createOffer` to the channel open at both ends: offer
    /// and answer, ICE checks, DTLS handshake, SCTP association, DCEP.
    async fn connect(&mut self);

    /// Sends `bytes` (a multiple of [`MESSAGE`]) from A to B over the open channel as binary
    /// messages of [`MESSAGE`] bytes, waiting whenever the stack's send buffer is at
    /// [`Settings::in_flight`]; returns once B's application has received every byte.
    async fn transfer(&mut self, bytes: usize);

    /// Closes both peers.
    async fn close(self);
}

/// One connect of `L` from `createOffer` to the channel open at both ends, timed; making
/// and closing the pair are not (the connect case and the alternating comparison).
pub(crate) async fn timed_connect<L: Loopback>() -> Duration {
    let mut pair = within("making the pair", L::new(Settings::default())).await;
    let start = now();
    pair.connect().await;
    let took = start.elapsed();
    within("closing the pair", pair.close()).await;
    took
}

/// The clock of the benchmark harness (the one place it is read).
#[allow(clippy::disallowed_methods)]
pub(crate) fn now() -> Instant {
    Instant::now()
}

/// Awaits `step`, panicking with `what` if it takes longer than [`LIMIT`].
pub(crate) async fn within<T>(what: &str, step: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, step)
        .await
        .unwrap_or_else(|_| panic!("{what}: no progress in {LIMIT:?}"))
}

/// The bytes B's application has received on the channel, counted by whichever task reads
/// it.
#[derive(Debug, Clone)]
pub(crate) struct Received(watch::Receiver<u64>);

/// The counting end of [`Received`], given to B's reading task.
#[derive(Debug)]
pub(crate) struct Counter {
    total: u64,
    sender: watch::Sender<u64>,
}

/// A counter starting at zero, and its reader.
pub(crate) fn counter() -> (Counter, Received) {
    let (sender, receiver) = watch::channel(0);
    (Counter { total: 0, sender }, Received(receiver))
}

impl Counter {
    /// B's application got a message of `len` bytes.
    pub(crate) fn add(&mut self, len: usize) {
        self.total += len as u64;
        self.sender.send_replace(self.total);
    }
}

impl Received {
    /// The count now.
    pub(crate) fn current(&self) -> u64 {
        *self.0.borrow()
    }

    /// Waits until the count reaches `total`.
    pub(crate) async fn reach(&mut self, total: u64) {
        within("receiving", self.0.wait_for(|n| *n >= total))
            .await
            .expect("B's reading task ended before everything arrived");
    }
}

/// The runtime the benchmark's side of every stack runs on: tokio, two worker threads (the
/// machine's cores). webrtc-rs and the str0m tasks run there; rtcweb's connection tasks run
/// on the driver's own threads.
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}
