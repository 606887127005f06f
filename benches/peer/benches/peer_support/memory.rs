//! Memory per idle established connection (issue 9): 500 pairs, so 1,000 connections, of
//! one stack in one process, each with its data channel open, left idle, and the process's
//! memory before and after divided by 1,000.
//!
//! Two figures: live heap bytes, counted by a global allocator around the system one (exact
//! and deterministic: what the stack and its harness hold), and resident memory (`VmRSS`,
//! which adds allocator overhead and fragmentation, thread stacks and anything mapped). Each
//! stack is measured in a child process of its own (this same binary, told which stack by
//! [`CHILD`]), so that what one stack freed does not lower the next one's resident figure.
//! Socket buffers are kernel memory and count in neither.

use std::process::{Command, Stdio};
use std::time::Duration;

use cap::Cap;
use tokio::runtime::Runtime;
use tokio::task::LocalSet;

use super::loopback::{Loopback, Settings, runtime};
use super::rtcweb_pair::RtcwebPair;
use super::str0m_pair::Str0mPair;
use super::webrtc_rs_pair::WebrtcRsPair;

/// Every allocation of the process goes through here, counted (no limit is set).
#[global_allocator]
static ALLOCATOR: Cap<std::alloc::System> = Cap::new(std::alloc::System, usize::MAX);

/// Connections measured: 500 pairs.
pub(crate) const CONNECTIONS: usize = 1000;
/// Pairs being connected at once.
const BATCH: usize = 10;
/// How long the connections stay idle before the second reading: past handshake buffers
/// being released and a round of ICE consent checks (every 5 s ± 20 %).
const IDLE: Duration = Duration::from_secs(6);
/// The environment variable that makes this binary a memory-measuring child for one stack.
const CHILD: &str = "RTCWEB_PEER_MEMORY_STACK";
/// The child's one line of output.
const RESULT: &str = "peer-memory-result";

/// The process's memory at one moment.
#[derive(Debug, Clone, Copy)]
struct Reading {
    /// Live heap bytes.
    heap: usize,
    /// Resident bytes.
    rss: usize,
}

/// Memory per connection of one stack.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PerConnection {
    /// Live heap bytes per connection.
    pub(crate) heap: f64,
    /// Resident bytes per connection.
    pub(crate) rss: f64,
}

fn reading() -> Reading {
    Reading {
        heap: ALLOCATOR.allocated(),
        rss: resident_bytes(),
    }
}

/// `VmRSS` of `/proc/self/status`.
fn resident_bytes() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|kib| kib.trim().parse::<usize>().ok())
        .map(|kib| kib * 1024)
        .expect("VmRSS in /proc/self/status")
}

/// The stack this process measures, when it is a memory child.
pub(crate) fn child_stack() -> Option<String> {
    std::env::var(CHILD).ok()
}

/// In a memory child: measures `stack` and prints the result line for the parent.
pub(crate) fn run_child(stack: &str) {
    let runtime = runtime();
    let (before, after) = match stack {
        RtcwebPair::NAME => measure::<RtcwebPair>(&runtime),
        WebrtcRsPair::NAME => measure::<WebrtcRsPair>(&runtime),
        Str0mPair::NAME => measure::<Str0mPair>(&runtime),
        other => panic!("no stack named {other}"),
    };
    println!(
        "{RESULT} {} {} {} {}",
        before.heap, after.heap, before.rss, after.rss
    );
    // The connections are not closed: the process ends here.
    std::process::exit(0);
}

/// One pair connected: a future that owns it and gives it back.
async fn connected<L: Loopback>() -> L {
    let mut pair = L::new(Settings::default()).await;
    pair.connect().await;
    pair
}

/// Readings before and after [`CONNECTIONS`] idle connections of `L`.
fn measure<L: Loopback + 'static>(runtime: &Runtime) -> (Reading, Reading) {
    runtime.block_on(LocalSet::new().run_until(async {
        // One pair first, so that what is made once per process (driver threads, crypto
        // providers, runtime caches) is not counted per connection.
        connected::<L>().await.close().await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let before = reading();
        let mut pairs = Vec::with_capacity(CONNECTIONS / 2);
        while pairs.len() < CONNECTIONS / 2 {
            let batch = BATCH.min(CONNECTIONS / 2 - pairs.len());
            let tasks: Vec<_> = (0..batch)
                .map(|_| tokio::task::spawn_local(connected::<L>()))
                .collect();
            for task in tasks {
                pairs.push(task.await.expect("a pair connects"));
            }
        }
        tokio::time::sleep(IDLE).await;
        let after = reading();
        // Kept alive up to the reading.
        std::hint::black_box(&pairs);
        (before, after)
    }))
}

/// Runs the memory child for `stack` and returns its figures per connection.
pub(crate) fn per_connection(stack: &str) -> PerConnection {
    let exe = std::env::current_exe().expect("this benchmark's path");
    let output = Command::new(exe)
        .env(CHILD, stack)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .expect("the memory child runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let numbers: Vec<f64> = stdout
        .lines()
        .find_map(|line| line.strip_prefix(RESULT))
        .unwrap_or_else(|| {
            panic!(
                "{stack}: the memory child failed ({}): {stdout}",
                output.status
            )
        })
        .split_whitespace()
        .map(|n| n.parse().expect("a number"))
        .collect();
    let [heap_before, heap_after, rss_before, rss_after] = numbers[..] else {
        panic!("{stack}: unexpected memory result {stdout}");
    };
    let n = CONNECTIONS as f64;
    PerConnection {
        heap: (heap_after - heap_before) / n,
        rss: (rss_after - rss_before) / n,
    }
}
