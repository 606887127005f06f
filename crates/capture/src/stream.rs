//! The bounded queue between a device's thread and whoever takes its frames.
//!
//! A device (a `cpal` callback, a V4L2 reading thread, a synthetic clock) pushes through a
//! [`FrameSender`]; the application takes from the [`FrameQueue`], blocking with a timeout
//! ([`FrameQueue::recv_timeout`]), without blocking ([`FrameQueue::try_recv`]) or from an
//! async task ([`FrameQueue::poll_recv`], any runtime). When the consumer falls behind, the
//! oldest frame is dropped and counted: live media wants the newest frame, and memory stays
//! bounded.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use crate::error::CaptureError;

/// What a stream delivers.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent<T> {
    /// A frame.
    Frame(T),
    /// The device failed (unplugged, busy, a bad frame); the stream goes on only if the
    /// error was about one frame ([`CaptureError::BadFrame`]).
    Error(CaptureError),
    /// The stream has ended: closed, the file is over, or the device is gone. Nothing
    /// follows.
    Ended,
}

/// Counters of a queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueStats {
    /// Frames pushed by the device.
    pub frames_pushed: u64,
    /// Frames dropped because the consumer was behind and the queue was full.
    pub frames_dropped: u64,
    /// Errors pushed.
    pub errors: u64,
}

#[derive(Debug)]
struct State<T> {
    events: VecDeque<StreamEvent<T>>,
    frames_queued: usize,
    capacity: usize,
    ended: bool,
    closed_by_consumer: bool,
    stats: QueueStats,
    waker: Option<Waker>,
}

#[derive(Debug)]
struct Shared<T> {
    state: Mutex<State<T>>,
    ready: Condvar,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // A panic on the other side while holding the lock leaves the queue itself intact.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The consumer's end: frames come out in order, at most `capacity` of them waiting.
#[derive(Debug)]
pub struct FrameQueue<T> {
    shared: Arc<Shared<T>>,
}

/// The device's end. Dropping every sender ends the stream.
#[derive(Debug)]
pub struct FrameSender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> FrameQueue<T> {
    /// A queue holding at most `capacity` frames (at least 1), and its sender.
    pub fn new(capacity: usize) -> (Self, FrameSender<T>) {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                events: VecDeque::with_capacity(capacity.max(1) + 1),
                frames_queued: 0,
                capacity: capacity.max(1),
                ended: false,
                closed_by_consumer: false,
                stats: QueueStats::default(),
                waker: None,
            }),
            ready: Condvar::new(),
        });
        (
            Self {
                shared: Arc::clone(&shared),
            },
            FrameSender { shared },
        )
    }

    /// The next event, if one is waiting.
    pub fn try_recv(&self) -> Option<StreamEvent<T>> {
        let mut state = self.shared.lock();
        Self::pop(&mut state)
    }

    /// The next event, waiting up to `timeout` for it; `None` when nothing came.
    pub fn recv_timeout(&self, timeout: Duration) -> Option<StreamEvent<T>> {
        let deadline = crate::clock::now().checked_add(timeout);
        let mut state = self.shared.lock();
        loop {
            if let Some(event) = Self::pop(&mut state) {
                return Some(event);
            }
            let left = match deadline {
                Some(deadline) => deadline.saturating_duration_since(crate::clock::now()),
                None => Duration::from_secs(3600),
            };
            if left.is_zero() {
                return None;
            }
            state = match self.shared.ready.wait_timeout(state, left) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }

    /// The next event for an async task: `Pending` registers the task's waker.
    pub fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<StreamEvent<T>> {
        let mut state = self.shared.lock();
        match Self::pop(&mut state) {
            Some(event) => Poll::Ready(event),
            None => {
                state.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }

    /// The queue's counters.
    pub fn stats(&self) -> QueueStats {
        self.shared.lock().stats
    }

    /// Tell the device side to stop: [`FrameSender::is_closed`] turns true and further
    /// pushes are discarded.
    pub fn close(&self) {
        let mut state = self.shared.lock();
        state.closed_by_consumer = true;
        state.events.clear();
        state.frames_queued = 0;
    }

    fn pop(state: &mut State<T>) -> Option<StreamEvent<T>> {
        match state.events.pop_front() {
            Some(event) => {
                if matches!(event, StreamEvent::Frame(_)) {
                    state.frames_queued -= 1;
                }
                Some(event)
            }
            None if state.ended => {
                // Ended stays observable: every later call says so again.
                Some(StreamEvent::Ended)
            }
            None => None,
        }
    }
}

impl<T> Drop for FrameQueue<T> {
    fn drop(&mut self) {
        self.close();
    }
}

impl<T> FrameSender<T> {
    /// Queue a frame; when the queue is full the oldest frame waiting is dropped (and
    /// counted). Returns false once the consumer has closed the queue: the device should
    /// stop.
    pub fn push(&self, frame: T) -> bool {
        let mut state = self.shared.lock();
        if state.closed_by_consumer || state.ended {
            return false;
        }
        state.stats.frames_pushed += 1;
        if state.frames_queued >= state.capacity {
            if let Some(at) = state
                .events
                .iter()
                .position(|e| matches!(e, StreamEvent::Frame(_)))
            {
                state.events.remove(at);
                state.frames_queued -= 1;
                state.stats.frames_dropped += 1;
            }
        }
        state.events.push_back(StreamEvent::Frame(frame));
        state.frames_queued += 1;
        self.wake(state);
        true
    }

    /// Report an error. At most one error waits at a time (a failing device repeats
    /// itself); a newer one replaces an older one still waiting.
    pub fn push_error(&self, error: CaptureError) -> bool {
        let mut state = self.shared.lock();
        if state.closed_by_consumer || state.ended {
            return false;
        }
        state.stats.errors += 1;
        state.events.retain(|e| !matches!(e, StreamEvent::Error(_)));
        state.events.push_back(StreamEvent::Error(error));
        self.wake(state);
        true
    }

    /// End the stream: after the frames waiting, the consumer sees [`StreamEvent::Ended`].
    pub fn end(&self) {
        let mut state = self.shared.lock();
        state.ended = true;
        self.wake(state);
    }

    /// Whether the consumer has closed (or dropped) the queue.
    pub fn is_closed(&self) -> bool {
        self.shared.lock().closed_by_consumer
    }

    fn wake(&self, mut state: MutexGuard<'_, State<T>>) {
        let waker = state.waker.take();
        drop(state);
        self.shared.ready.notify_all();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> Drop for FrameSender<T> {
    fn drop(&mut self) {
        // The sender is not `Clone`: it gone (the device thread ended) ends the stream.
        self.end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_queue_drops_the_oldest_frame_and_counts_it() {
        let (queue, sender) = FrameQueue::new(2);
        for n in 0..5 {
            assert!(sender.push(n));
        }
        assert_eq!(queue.try_recv(), Some(StreamEvent::Frame(3)));
        assert_eq!(queue.try_recv(), Some(StreamEvent::Frame(4)));
        assert_eq!(queue.try_recv(), None);
        let stats = queue.stats();
        assert_eq!((stats.frames_pushed, stats.frames_dropped), (5, 3));
    }

    #[test]
    fn errors_are_kept_and_the_end_follows_the_frames() {
        let (queue, sender) = FrameQueue::new(1);
        sender.push(1);
        sender.push_error(CaptureError::BadFrame("short".into()));
        sender.push(2);
        drop(sender);
        assert_eq!(
            queue.try_recv(),
            Some(StreamEvent::Error(CaptureError::BadFrame("short".into())))
        );
        assert_eq!(queue.try_recv(), Some(StreamEvent::Frame(2)));
        assert_eq!(queue.try_recv(), Some(StreamEvent::Ended));
        assert_eq!(queue.try_recv(), Some(StreamEvent::Ended));
    }

    #[test]
    fn closing_tells_the_device_to_stop() {
        let (queue, sender) = FrameQueue::<u8>::new(4);
        assert!(!sender.is_closed());
        drop(queue);
        assert!(sender.is_closed());
        assert!(!sender.push(1));
    }

    #[test]
    fn recv_timeout_wakes_on_a_frame_from_another_thread() {
        let (queue, sender) = FrameQueue::new(4);
        let device = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            sender.push(7u32);
        });
        assert_eq!(
            queue.recv_timeout(Duration::from_secs(5)),
            Some(StreamEvent::Frame(7))
        );
        device.join().unwrap();
        assert_eq!(
            queue.recv_timeout(Duration::from_millis(1)),
            Some(StreamEvent::Ended)
        );
    }

    #[test]
    fn recv_timeout_returns_none_when_nothing_comes() {
        let (queue, _sender) = FrameQueue::<u8>::new(4);
        assert_eq!(queue.recv_timeout(Duration::from_millis(5)), None);
    }
}
