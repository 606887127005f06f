//! A V4L2 camera's streaming through memory-mapped buffers (V4L2 API §3.2, "Streaming I/O
//! (Memory Mapping)"), with `v4l2r`'s ioctl wrappers: the buffers are requested, mapped and
//! queued, then each filled buffer is dequeued with what the driver wrote about it (bytes
//! used, error flag, sequence number, timestamp), read in place, and queued again.
//!
//! The format was negotiated on the same open file before (see `v4l2.rs`); the buffers
//! belong to that open file, and streaming stops and the buffers are freed when the stream
//! drops.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::time::Duration;

use v4l2r::QueueType;
use v4l2r::ioctl::{
    self, BufferFlags, IntoErrno, PlaneMapping, QBufPlane, QBuffer, QueryBuffer, V4l2Buffer,
};
use v4l2r::memory::{MemoryType, MmapHandle};

/// Single-planar capture: the only queue the formats we convert use.
const QUEUE: QueueType = QueueType::VideoCapture;

/// The error an ioctl wrapper's error stands for, with the errno kept (so that an unplugged
/// camera's `ENODEV` is told apart from other failures).
fn os_error(e: impl IntoErrno) -> io::Error {
    io::Error::from_raw_os_error(e.into_errno())
}

/// A buffer the driver filled.
pub(crate) struct Filled<'a> {
    /// The bytes of the picture (the used part of the buffer).
    pub(crate) data: &'a [u8],
    /// The driver flagged the buffer as corrupt (`V4L2_BUF_FLAG_ERROR`).
    pub(crate) corrupt: bool,
    /// The driver's frame counter (`v4l2_buffer.sequence`); a gap means the driver dropped
    /// frames.
    pub(crate) sequence: u32,
    /// The driver's timestamp (`v4l2_buffer.timestamp`), when it says the timestamp is of
    /// the monotonic clock (`V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC`): the time since that
    /// clock's origin. `None` for copied or unknown timestamps.
    pub(crate) monotonic_timestamp: Option<Duration>,
}

/// Mapped buffers streaming from an open capture node.
pub(crate) struct MmapStream {
    /// Dropped before the file: unmapped before the buffers are freed.
    mappings: Vec<PlaneMapping>,
    file: File,
}

impl MmapStream {
    /// Requests `count` buffers (the driver may grant another number, at least one), maps
    /// and queues them, and starts streaming.
    pub(crate) fn start(file: File, count: u32) -> io::Result<Self> {
        let granted: usize =
            ioctl::reqbufs(&file, QUEUE, MemoryType::Mmap, count).map_err(os_error)?;
        if granted == 0 {
            return Err(io::Error::other("the driver granted no capture buffers"));
        }
        let mut stream = Self {
            mappings: Vec::with_capacity(granted),
            file,
        };
        for index in 0..granted {
            let query: QueryBuffer =
                ioctl::querybuf(&stream.file, QUEUE, index).map_err(os_error)?;
            let plane = query
                .planes
                .first()
                .ok_or_else(|| io::Error::other("a capture buffer without a plane"))?;
            let mapping =
                ioctl::mmap(&stream.file, plane.mem_offset, plane.length).map_err(os_error)?;
            stream.mappings.push(mapping);
            stream.queue(index)?;
        }
        ioctl::streamon(&stream.file, QUEUE).map_err(os_error)?;
        Ok(stream)
    }

    /// Hands buffer `index` back to the driver to fill.
    fn queue(&self, index: usize) -> io::Result<()> {
        let mut buffer = QBuffer::<MmapHandle>::new(QUEUE, index as u32);
        buffer.planes = vec![QBufPlane::new(0)];
        ioctl::qbuf::<_, ()>(&self.file, buffer).map_err(os_error)
    }

    /// Takes the next filled buffer (call when the node polls readable; blocks otherwise),
    /// passes it to `read`, and queues the buffer again.
    pub(crate) fn next<T>(&mut self, read: impl FnOnce(Filled<'_>) -> T) -> io::Result<T> {
        let buffer: V4l2Buffer = ioctl::dqbuf(&self.file, QUEUE).map_err(os_error)?;
        let index = buffer.index() as usize;
        let mapping = self
            .mappings
            .get(index)
            .ok_or_else(|| io::Error::other(format!("the driver returned buffer {index}")))?;
        // A driver that says it used more than the buffer holds gets the buffer's length.
        let used = (*buffer.get_first_plane().bytesused as usize).min(mapping.len());
        let flags = buffer.flags();
        let stamp = buffer.timestamp();
        // V4L2 API §3.5 ("Buffers", timestamp flags): the timestamp's clock is the
        // monotonic one when TIMESTAMP_MONOTONIC is the type (not COPY: that is the
        // application's own timestamp of an output buffer).
        let monotonic = flags.contains(BufferFlags::TIMESTAMP_MONOTONIC)
            && !flags.contains(BufferFlags::TIMESTAMP_COPY);
        let monotonic_timestamp =
            (monotonic && stamp.tv_sec >= 0 && (0..1_000_000).contains(&stamp.tv_usec))
                .then(|| Duration::new(stamp.tv_sec as u64, stamp.tv_usec as u32 * 1000));
        let result = read(Filled {
            data: &mapping[..used],
            corrupt: flags.contains(BufferFlags::ERROR),
            sequence: buffer.sequence(),
            monotonic_timestamp,
        });
        self.queue(index)?;
        Ok(result)
    }
}

impl AsFd for MmapStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.file.as_fd()
    }
}

impl Drop for MmapStream {
    fn drop(&mut self) {
        // Errors are of no use here (an unplugged camera fails all three): the file's close
        // releases whatever is left.
        let _ = ioctl::streamoff(&self.file, QUEUE);
        self.mappings.clear();
        let _ = ioctl::reqbufs::<()>(&self.file, QUEUE, MemoryType::Mmap, 0);
    }
}
