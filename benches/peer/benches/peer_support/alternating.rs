//! rtcweb's loopback connect against str0m's, the two taken in turn: round after round, one
//! connect of each stack (which goes first alternates), each timed as
//! `peer_loopback_connect` times it. The VM this project measures on drifts by ±15 % from
//! one second to the next, more than the difference between the two stacks, so two
//! criterion cases run seconds apart cannot compare them; within a round both stacks meet
//! the same machine. The figure is the median over the rounds of rtcweb's time over
//! str0m's.
//!
//! It runs twice: connecting from the thread that called `block_on` (as a
//! `#[tokio::main]` function does, and as the criterion case does), and from a task
//! spawned on the runtime (as a server's handler of one call does). rtcweb's signalling
//! calls run on the caller's thread either way, but from `block_on` each one wakes the
//! connection's task on a sleeping worker (7-30 µs here), and tokio then often runs both
//! connections' tasks on one worker while the other sleeps; str0m's `Rtc` is signalled in
//! place before its tasks start.

use std::time::Duration;

use tokio::runtime::Runtime;

use super::loopback::timed_connect;
use super::rtcweb_pair::RtcwebPair;
use super::str0m_pair::Str0mPair;

/// Rounds not counted (caches, allocator, the sockets' first use).
const WARM_UP: usize = 30;
/// Rounds counted in benchmark mode.
pub(crate) const ROUNDS: usize = 600;

/// What the rounds gave.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Alternating {
    /// Where the connects ran.
    pub(crate) caller: Caller,
    /// Rounds counted.
    pub(crate) rounds: usize,
    /// Median connect time of each stack over the rounds: rtcweb, str0m.
    pub(crate) median: (Duration, Duration),
    /// The 10th and 90th percentiles of each stack's times: rtcweb, str0m.
    pub(crate) spread: ((Duration, Duration), (Duration, Duration)),
    /// Median over the rounds of rtcweb's time over str0m's.
    pub(crate) ratio: f64,
    /// Rounds in which rtcweb connected first, of [`Alternating::rounds`].
    pub(crate) rtcweb_faster: usize,
}

/// Where the connects run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Caller {
    /// On the thread that called `block_on`.
    BlockOn,
    /// In a task spawned on the runtime.
    Task,
}

/// [`timed_connect`] of stack `$pair` from `$caller` (a macro: the trait's futures are `Send` only
/// once the stack is named).
macro_rules! timed_from {
    ($pair:ty, $caller:expr) => {
        match $caller {
            Caller::BlockOn => timed_connect::<$pair>().await,
            Caller::Task => tokio::spawn(timed_connect::<$pair>())
                .await
                .expect("the connect task ends"),
        }
    };
}

/// `rounds` counted rounds (after the warm-up).
pub(crate) fn run(runtime: &Runtime, caller: Caller, rounds: usize) -> Alternating {
    let rounds = rounds.max(1);
    let mut rtcweb = Vec::with_capacity(rounds);
    let mut str0m = Vec::with_capacity(rounds);
    let mut ratios = Vec::with_capacity(rounds);
    runtime.block_on(async {
        for round in 0..WARM_UP + rounds {
            let (ours, theirs) = if round % 2 == 0 {
                let ours = timed_from!(RtcwebPair, caller);
                (ours, timed_from!(Str0mPair, caller))
            } else {
                let theirs = timed_from!(Str0mPair, caller);
                (timed_from!(RtcwebPair, caller), theirs)
            };
            if round >= WARM_UP {
                rtcweb.push(ours);
                str0m.push(theirs);
                ratios.push(ours.as_secs_f64() / theirs.as_secs_f64().max(1e-9));
            }
        }
    });
    let rtcweb_faster = rtcweb.iter().zip(&str0m).filter(|(o, t)| o < t).count();
    rtcweb.sort_unstable();
    str0m.sort_unstable();
    ratios.sort_unstable_by(f64::total_cmp);
    let at = |v: &[Duration], q: usize| v[(v.len() - 1) * q / 100];
    Alternating {
        caller,
        rounds,
        median: (at(&rtcweb, 50), at(&str0m, 50)),
        spread: (
            (at(&rtcweb, 10), at(&rtcweb, 90)),
            (at(&str0m, 10), at(&str0m, 90)),
        ),
        ratio: ratios[(ratios.len() - 1) / 2],
        rtcweb_faster,
    }
}

impl std::fmt::Display for Alternating {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ((r10, r90), (s10, s90)) = self.spread;
        write!(
            f,
            "peer_loopback_connect_alternating/{}: {} rounds, rtcweb median {:?} (p10 {:?}, p90 \
             {:?}), str0m median {:?} (p10 {:?}, p90 {:?}); rtcweb/str0m, median of the \
             rounds' ratios: {:.2}; rtcweb faster in {} of {} rounds",
            match self.caller {
                Caller::BlockOn => "block_on",
                Caller::Task => "task",
            },
            self.rounds,
            self.median.0,
            r10,
            r90,
            self.median.1,
            s10,
            s90,
            self.ratio,
            self.rtcweb_faster,
            self.rounds
        )
    }
}
