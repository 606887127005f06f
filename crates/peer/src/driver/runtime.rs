//! Where connection tasks run: each on one of a few driver threads, each a current-thread
//! tokio runtime with a `LocalSet`; connections are spread over them in turn. The handles
//! the caller gets are `Send` and work from any runtime. (This was needed while the SCTP
//! layer was dcsctp, which keeps `Rc`s inside; [`Peer`] is `Send` now, so the tasks could
//! move to the caller's runtime.)
//!
//! [`Peer`]: crate::Peer

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::mpsc;

use super::DriverError;

/// Made on the driver thread: the future of one connection task.
pub(crate) type Job = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = ()>>> + Send>;

#[derive(Debug)]
struct Pool {
    workers: Vec<mpsc::Sender<Job>>,
    next: AtomicUsize,
}

static POOL: OnceLock<Pool> = OnceLock::new();

/// Most driver threads: one per core, as most.
const MAX_THREADS: usize = 8;
/// Jobs waiting for one driver thread to start them; more make
/// [`PeerConnection::new`](super::PeerConnection::new) wait. A job is taken as soon as the
/// thread's runtime gets to it (it only spawns the task), so the queue is short-lived.
const JOB_QUEUE: usize = 64;

/// Runs `job` on a driver thread (started on first use); waits while that thread's job
/// queue is full.
pub(crate) async fn spawn(job: Job) -> Result<(), DriverError> {
    let pool = POOL.get_or_init(|| {
        let threads = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .min(MAX_THREADS);
        Pool {
            workers: (0..threads).filter_map(start_worker).collect(),
            next: AtomicUsize::new(0),
        }
    });
    if pool.workers.is_empty() {
        return Err(DriverError::NoDriverThread);
    }
    let i = pool.next.fetch_add(1, Ordering::Relaxed) % pool.workers.len();
    pool.workers[i]
        .send(job)
        .await
        .map_err(|_| DriverError::NoDriverThread)
}

/// A driver thread; `None` when the OS refused the thread.
fn start_worker(index: usize) -> Option<mpsc::Sender<Job>> {
    let (sender, mut jobs) = mpsc::channel::<Job>(JOB_QUEUE);
    let thread = std::thread::Builder::new()
        .name(format!("rtcweb-peer-{index}"))
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => {
                    // The receiver drops: jobs sent here fail with NoDriverThread.
                    tracing::error!(error = %e, "driver thread has no runtime");
                    return;
                }
            };
            let local = tokio::task::LocalSet::new();
            local.block_on(&runtime, async move {
                while let Some(job) = jobs.recv().await {
                    tokio::task::spawn_local(job());
                }
            });
        });
    match thread {
        Ok(_) => Some(sender),
        Err(e) => {
            tracing::error!(error = %e, "driver thread could not start");
            None
        }
    }
}
