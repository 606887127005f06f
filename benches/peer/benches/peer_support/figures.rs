//! The figures of the loopback cases, kept as criterion measures them, and the closing table
//! that puts rtcweb next to webrtc-rs and str0m as ratios, with the targets.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::time::Duration;

use super::memory::PerConnection;

/// The time of one iteration in each call criterion made to a case's `iter_custom`.
#[derive(Debug, Default)]
pub(crate) struct Samples(RefCell<Vec<Duration>>);

impl Samples {
    /// A call timed `iters` iterations in `total`.
    pub(crate) fn record(&self, iters: u64, total: Duration) {
        let iters = u32::try_from(iters.max(1)).unwrap_or(u32::MAX);
        self.0.borrow_mut().push(total / iters);
    }

    /// The median iteration over the last `n` calls (the measured samples: warm-up calls
    /// come first), if there was any.
    pub(crate) fn median(&self, n: usize) -> Option<Duration> {
        let all = self.0.borrow();
        let mut last: Vec<Duration> = all[all.len().saturating_sub(n)..].to_vec();
        last.sort_unstable();
        last.get(last.len() / 2).copied()
    }
}

/// One stack's figures.
#[derive(Debug, Default, Clone)]
pub(crate) struct StackFigures {
    /// Median time from `createOffer` to the channel open at both ends.
    pub(crate) connect: Option<Duration>,
    /// Throughput in bytes per second, for each in-flight bound of the run.
    pub(crate) throughput: Vec<Option<f64>>,
    /// Memory per idle connection.
    pub(crate) memory: Option<PerConnection>,
}

/// The three stacks' figures, rtcweb first.
#[derive(Debug, Default)]
pub(crate) struct Figures {
    /// Names of the in-flight bounds, in the order of [`StackFigures::throughput`].
    pub(crate) bounds: Vec<String>,
    /// Per stack, by name: rtcweb, webrtc-rs, str0m.
    pub(crate) stacks: Vec<(&'static str, StackFigures)>,
}

/// A cell of the table: the value, or a dash when the case was filtered out.
fn cell(value: Option<f64>, unit: &str) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.1} {unit}"))
}

/// `ours / theirs`, or a dash.
fn ratio(ours: Option<f64>, theirs: Option<f64>) -> String {
    match (ours, theirs) {
        (Some(o), Some(t)) if t > 0.0 => format!("{:.2}", o / t),
        _ => "-".to_owned(),
    }
}

impl Figures {
    /// The table, one row per case: each stack's figure, then rtcweb's as a ratio of
    /// webrtc-rs's and of str0m's, then the target.
    pub(crate) fn table(&self) -> String {
        let mut rows: Vec<(String, Vec<Option<f64>>, &str, &str)> = Vec::new();
        let pick = |f: &dyn Fn(&StackFigures) -> Option<f64>| -> Vec<Option<f64>> {
            self.stacks.iter().map(|(_, s)| f(s)).collect()
        };
        rows.push((
            "create_offer -> channel open (time)".to_owned(),
            pick(&|s| s.connect.map(|d| d.as_secs_f64() * 1e3)),
            "ms",
            "",
        ));
        for (i, bound) in self.bounds.iter().enumerate() {
            rows.push((
                format!("throughput, 64 KiB messages, {bound} buffered"),
                pick(&|s| {
                    s.throughput
                        .get(i)
                        .copied()
                        .flatten()
                        .map(|b| b / (1 << 20) as f64)
                }),
                "MiB/s",
                "vs webrtc-rs >= 2",
            ));
        }
        rows.push((
            "memory per idle connection, live heap".to_owned(),
            pick(&|s| s.memory.map(|m| m.heap / 1024.0)),
            "KiB",
            "vs str0m <= 1",
        ));
        rows.push((
            "memory per idle connection, resident".to_owned(),
            pick(&|s| s.memory.map(|m| m.rss / 1024.0)),
            "KiB",
            "vs str0m <= 1",
        ));

        let mut out = String::new();
        let names: Vec<&str> = self.stacks.iter().map(|(n, _)| *n).collect();
        let _ = write!(out, "{:<48}", "case");
        for name in &names {
            let _ = write!(out, "{name:>14}");
        }
        let _ = writeln!(
            out,
            "{:>18}{:>14}   target",
            "rtcweb/webrtc-rs", "rtcweb/str0m"
        );
        for (label, values, unit, target) in rows {
            let _ = write!(out, "{label:<48}");
            for v in &values {
                let _ = write!(out, "{:>14}", cell(*v, unit));
            }
            let _ = writeln!(
                out,
                "{:>18}{:>14}   {target}",
                ratio(values[0], values[1]),
                ratio(values[0], values[2])
            );
        }
        out
    }
}
