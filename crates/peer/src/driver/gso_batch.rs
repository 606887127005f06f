//! UDP GSO batching, without IO: which datagrams leave together in one `sendmsg`.
//!
//! With UDP generic segmentation offload one system call carries a run of datagrams from one
//! socket to one destination, all of one size (the segment size) except the last, which may
//! be shorter; the kernel cuts the buffer into datagrams. The connection's task offers each
//! UDP transmit of the core in order: it joins the run being built, or the task sends the
//! run ([`GsoBatch::ready`]), [`clear`](GsoBatch::clear)s it, and
//! [`start`](GsoBatch::start)s a new one with that datagram. Order is kept: a datagram never
//! overtakes another.

use std::net::SocketAddr;

/// Most bytes in one GSO send: one IP datagram's worth (the kernel refuses more).
pub(super) const GSO_BYTES: usize = 65_000;

/// The datagrams of one send being built, in one reused buffer.
#[derive(Debug, Default)]
pub(super) struct GsoBatch {
    contents: Vec<u8>,
    run: Option<Run>,
}

#[derive(Debug, Clone, Copy)]
struct Run {
    source: Option<SocketAddr>,
    destination: SocketAddr,
    /// The size of every datagram but the last.
    segment: usize,
    datagrams: usize,
    /// Most datagrams this socket's GSO takes in one send.
    max: usize,
}

/// A run to send: `contents` is `datagrams` datagrams of `segment_size` bytes (the last may
/// be shorter); `segment_size` is `None` for a single datagram.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Ready<'a> {
    pub(super) source: Option<SocketAddr>,
    pub(super) destination: SocketAddr,
    pub(super) contents: &'a [u8],
    pub(super) segment_size: Option<usize>,
    pub(super) datagrams: usize,
}

impl GsoBatch {
    /// Appends the datagram to the run being built when it may go in the same send: same
    /// socket and destination, not longer than the segment, the run's datagrams so far all
    /// of segment size (only the last may be shorter), below the socket's segment count
    /// and [`GSO_BYTES`]. Returns false (and appends nothing) otherwise.
    pub(super) fn join(
        &mut self,
        source: Option<SocketAddr>,
        destination: SocketAddr,
        datagram: &[u8],
    ) -> bool {
        let Some(run) = &mut self.run else {
            return false;
        };
        let joins = run.source == source
            && run.destination == destination
            && datagram.len() <= run.segment
            && self.contents.len() == run.segment * run.datagrams
            && run.datagrams < run.max
            && self.contents.len() + datagram.len() <= GSO_BYTES;
        if joins {
            self.contents.extend_from_slice(datagram);
            run.datagrams += 1;
        }
        joins
    }

    /// Starts a run with this datagram; `max_segments` is what the socket's GSO takes in
    /// one send (1 without GSO). The batch must be empty: [`clear`](Self::clear) it first.
    pub(super) fn start(
        &mut self,
        source: Option<SocketAddr>,
        destination: SocketAddr,
        datagram: &[u8],
        max_segments: usize,
    ) {
        debug_assert!(self.run.is_none(), "start on a batch that was not cleared");
        self.contents.clear();
        self.contents.extend_from_slice(datagram);
        self.run = Some(Run {
            source,
            destination,
            segment: datagram.len(),
            datagrams: 1,
            max: max_segments.max(1),
        });
    }

    /// The run built so far, to send; `None` when the batch is empty.
    pub(super) fn ready(&self) -> Option<Ready<'_>> {
        let run = self.run?;
        Some(Ready {
            source: run.source,
            destination: run.destination,
            contents: &self.contents,
            segment_size: (run.datagrams > 1).then_some(run.segment),
            datagrams: run.datagrams,
        })
    }

    /// Empties the batch (after its run was sent), keeping the buffer's allocation.
    pub(super) fn clear(&mut self) {
        self.contents.clear();
        self.run = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([192, 0, 2, 1], port))
    }

    /// Offers every datagram as the task does and returns the sends, as
    /// (destination, segment size, datagram lengths).
    fn sends(
        datagrams: &[(Option<SocketAddr>, SocketAddr, usize)],
        max: usize,
    ) -> Vec<(SocketAddr, Option<usize>, Vec<usize>)> {
        let mut batch = GsoBatch::default();
        let mut out = Vec::new();
        let mut take = |batch: &mut GsoBatch| {
            if let Some(r) = batch.ready() {
                let segment = r.segment_size.unwrap_or(r.contents.len());
                let lengths = r.contents.chunks(segment.max(1)).map(<[u8]>::len).collect();
                assert_eq!(
                    r.contents.chunks(segment.max(1)).count(),
                    r.datagrams,
                    "the kernel cuts the buffer into the datagrams offered"
                );
                out.push((r.destination, r.segment_size, lengths));
            }
            batch.clear();
        };
        for (i, &(source, destination, len)) in datagrams.iter().enumerate() {
            let datagram = vec![i as u8; len];
            if !batch.join(source, destination, &datagram) {
                take(&mut batch);
                batch.start(source, destination, &datagram, max);
            }
        }
        take(&mut batch);
        out
    }

    #[test]
    fn equal_datagrams_to_one_destination_leave_in_one_send() {
        let d = addr(1);
        let out = sends(&[(None, d, 1200); 5], 64);
        assert_eq!(out, vec![(d, Some(1200), vec![1200; 5])]);
    }

    #[test]
    fn a_shorter_datagram_ends_the_run_and_a_longer_one_starts_a_new_one() {
        let d = addr(1);
        let out = sends(
            &[
                (None, d, 1200),
                (None, d, 1200),
                (None, d, 300),
                (None, d, 1200),
            ],
            64,
        );
        assert_eq!(
            out,
            vec![
                (d, Some(1200), vec![1200, 1200, 300]),
                (d, None, vec![1200]),
            ]
        );
        // A longer datagram cannot join a run of shorter segments.
        let out = sends(&[(None, d, 300), (None, d, 1200)], 64);
        assert_eq!(out, vec![(d, None, vec![300]), (d, None, vec![1200])]);
    }

    #[test]
    fn another_destination_or_socket_breaks_the_run_and_order_is_kept() {
        let (d1, d2) = (addr(1), addr(2));
        let s = Some(addr(9));
        let out = sends(
            &[
                (None, d1, 100),
                (None, d2, 100),
                (None, d1, 100),
                (s, d1, 100),
            ],
            64,
        );
        let destinations: Vec<_> = out.iter().map(|(d, _, _)| *d).collect();
        assert_eq!(destinations, vec![d1, d2, d1, d1]);
        assert!(
            out.iter()
                .all(|(_, segment, n)| segment.is_none() && n.len() == 1)
        );
    }

    #[test]
    fn the_sockets_segment_count_and_gso_bytes_bound_a_send() {
        let d = addr(1);
        // Without GSO (1 segment) every datagram is a send of its own.
        assert_eq!(sends(&[(None, d, 500); 3], 1).len(), 3);
        // 3 segments at most: 7 datagrams in sends of 3, 3 and 1.
        let counts: Vec<_> = sends(&[(None, d, 500); 7], 3)
            .into_iter()
            .map(|(_, _, n)| n.len())
            .collect();
        assert_eq!(counts, vec![3, 3, 1]);
        // 1,400-byte datagrams: 46 fit in 65,000 bytes, the 47th starts a new send.
        let out = sends(&[(None, d, 1400); 47], 64);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].2.len(), GSO_BYTES / 1400);
        assert!(out[0].2.iter().sum::<usize>() <= GSO_BYTES);
    }

    #[test]
    fn clear_keeps_the_allocation() {
        let mut batch = GsoBatch::default();
        batch.start(None, addr(1), &[0; 1200], 64);
        assert!(batch.join(None, addr(1), &[0; 1200]));
        let capacity = batch.contents.capacity();
        batch.clear();
        assert!(batch.ready().is_none());
        assert_eq!(batch.contents.capacity(), capacity);
    }
}
