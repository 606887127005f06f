//! Devices coming and going (W3C `devicechange`): compare two enumerations, or let a
//! thread re-enumerate now and then and report the differences.

use std::thread::JoinHandle;
use std::time::Duration;

use crate::device::DeviceInfo;
use crate::error::CaptureError;
use crate::stream::{FrameQueue, StreamEvent};

/// Changes waiting before the oldest is dropped.
const QUEUE_CHANGES: usize = 64;
/// The watcher thread notices that it was stopped within this.
const STOP_SLICE: Duration = Duration::from_millis(10);

/// A difference between two enumerations.
#[derive(Debug, Clone, PartialEq)]
pub enum DeviceChange {
    /// A device whose id was not there before.
    Added(DeviceInfo),
    /// A device whose id is no longer there.
    Removed(DeviceInfo),
}

/// What changed from `old` to `new`, by device id: removals first (in `old`'s order), then
/// additions (in `new`'s order). A device whose id stays is no change, even if its label or
/// capabilities differ.
pub fn diff(old: &[DeviceInfo], new: &[DeviceInfo]) -> Vec<DeviceChange> {
    let removed = old
        .iter()
        .filter(|o| !new.iter().any(|n| n.id == o.id))
        .map(|o| DeviceChange::Removed(o.clone()));
    let added = new
        .iter()
        .filter(|n| !old.iter().any(|o| o.id == n.id))
        .map(|n| DeviceChange::Added(n.clone()));
    removed.chain(added).collect()
}

/// Re-enumerates devices on a thread every interval and queues what changed. The first
/// enumeration (done by [`DeviceWatcher::start`] itself) is the baseline and is not reported;
/// [`DeviceWatcher::initial`] gives it. Stopping (or dropping) joins the thread.
///
/// ```
/// use std::time::Duration;
/// use rtcweb_capture::{DeviceWatcher, enumerate_video};
///
/// let watcher = DeviceWatcher::start(Duration::from_secs(1), enumerate_video);
/// assert!(!watcher.initial().is_empty()); // the synthetic camera at least
/// assert!(watcher.try_recv().is_none()); // nothing changed yet
/// watcher.stop();
/// ```
#[derive(Debug)]
pub struct DeviceWatcher {
    initial: Vec<DeviceInfo>,
    queue: FrameQueue<DeviceChange>,
    thread: Option<JoinHandle<()>>,
}

impl DeviceWatcher {
    /// Enumerates with `enumerate` now, then every `interval` on a thread of its own.
    pub fn start(
        interval: Duration,
        mut enumerate: impl FnMut() -> Vec<DeviceInfo> + Send + 'static,
    ) -> Self {
        let initial = enumerate();
        let (queue, sender) = FrameQueue::new(QUEUE_CHANGES);
        let mut known = initial.clone();
        let thread = std::thread::Builder::new()
            .name("capture-watch".to_owned())
            .spawn(move || {
                loop {
                    let due = crate::clock::now() + interval;
                    loop {
                        if sender.is_closed() {
                            return;
                        }
                        let now = crate::clock::now();
                        if now >= due {
                            break;
                        }
                        std::thread::sleep((due - now).min(STOP_SLICE));
                    }
                    let current = enumerate();
                    for change in diff(&known, &current) {
                        if !sender.push(change) {
                            return;
                        }
                    }
                    known = current;
                }
            });
        let thread = match thread {
            Ok(thread) => Some(thread),
            Err(e) => {
                // No thread, no changes: the queue says why and ends.
                let (queue, sender) = FrameQueue::new(1);
                sender.push_error(CaptureError::Backend {
                    backend: "watch",
                    message: format!("thread: {e}"),
                });
                return Self {
                    initial,
                    queue,
                    thread: None,
                };
            }
        };
        Self {
            initial,
            queue,
            thread,
        }
    }

    /// The devices of the first enumeration.
    pub fn initial(&self) -> &[DeviceInfo] {
        &self.initial
    }

    /// The queue the changes come out of.
    pub fn changes(&self) -> &FrameQueue<DeviceChange> {
        &self.queue
    }

    /// The next change if one is waiting.
    pub fn try_recv(&self) -> Option<StreamEvent<DeviceChange>> {
        self.queue.try_recv()
    }

    /// The next change, waiting up to `timeout`.
    pub fn recv_timeout(&self, timeout: Duration) -> Option<StreamEvent<DeviceChange>> {
        self.queue.recv_timeout(timeout)
    }

    /// Stops watching and joins the thread.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.queue.close();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for DeviceWatcher {
    fn drop(&mut self) {
        self.halt();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::{Backend, Capabilities, DeviceId, DeviceKind, VideoCapabilities};
    use std::sync::{Arc, Mutex};

    fn device(id: &str) -> DeviceInfo {
        DeviceInfo {
            id: DeviceId::new(id),
            kind: DeviceKind::VideoInput,
            label: id.to_owned(),
            group_id: None,
            backend: Backend::Synthetic,
            capabilities: Capabilities::Video(VideoCapabilities::default()),
        }
    }

    #[test]
    fn diff_reports_removals_then_additions_by_id() {
        let (a, b, c) = (device("a"), device("b"), device("c"));
        let mut relabelled = b.clone();
        relabelled.label = "B".into();
        assert_eq!(
            diff(&[a.clone(), b.clone()], &[relabelled, c.clone()]),
            [DeviceChange::Removed(a.clone()), DeviceChange::Added(c)]
        );
        assert!(diff(std::slice::from_ref(&a), std::slice::from_ref(&a)).is_empty());
        assert!(diff(&[], &[]).is_empty());
    }

    #[test]
    fn the_watcher_reports_a_device_plugged_in_and_out() {
        let present = Arc::new(Mutex::new(vec![device("a")]));
        let list = Arc::clone(&present);
        let watcher = DeviceWatcher::start(Duration::from_millis(5), move || {
            list.lock().unwrap().clone()
        });
        assert_eq!(watcher.initial(), [device("a")]);
        present.lock().unwrap().push(device("b"));
        assert_eq!(
            watcher.recv_timeout(Duration::from_secs(2)),
            Some(StreamEvent::Frame(DeviceChange::Added(device("b"))))
        );
        present.lock().unwrap().remove(0);
        assert_eq!(
            watcher.recv_timeout(Duration::from_secs(2)),
            Some(StreamEvent::Frame(DeviceChange::Removed(device("a"))))
        );
        assert_eq!(watcher.try_recv(), None);
        let started = crate::clock::now();
        watcher.stop();
        assert!(crate::clock::now() - started < Duration::from_millis(500));
    }
}
