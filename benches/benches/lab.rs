//! rtcweb-lab: what one NAT-lab case pays before a peer starts, which every case of
//! `crates/lab/tests/nat_lab.rs` pays once in CI. Measured in the same run:
//!
//! - `nat_lab`: the whole topology (wan bridge, the sink standing for the rest of the
//!   internet, two NAT routers with their iptables rules, two hosts, veths and routes),
//!   built and torn down;
//! - `namespaces_only` (the baseline): as many bare network namespaces (six), made and
//!   removed, which no lab can do without;
//! - `coturn`: coturn started in the wan and stopped (it is up when it answers on its
//!   port).
//!
//! Needs root, `ip` and `iptables` (`cargo xtask test` installs them); elsewhere it says
//! why and measures nothing.
#![allow(missing_docs)] // criterion's macros generate the undocumented entry points

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use rtcweb_lab::{Coturn, Namespace, Nat, NatLab, Site, lab_unavailable};

/// The namespaces a lab with the default wan has: wan, internet sink, two routers, two
/// hosts.
const NAMESPACES: usize = 6;

fn lab(c: &mut Criterion) {
    if let Some(why) = lab_unavailable() {
        println!("lab: skipped: {why}");
        return;
    }
    let site = Site::new(Nat::Symmetric);
    let mut g = c.benchmark_group("lab");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .warm_up_time(Duration::from_secs(2));
    g.bench_function("nat_lab", |b| {
        b.iter(|| drop(NatLab::new(site, site).expect("the lab builds")));
    });
    g.bench_function("namespaces_only", |b| {
        b.iter(|| {
            let spaces: Vec<Namespace> = (0..NAMESPACES)
                .map(|i| Namespace::new(&format!("bench{i}")).expect("a namespace"))
                .collect();
            drop(spaces);
        });
    });
    let lab = NatLab::new(site, site).expect("the lab builds");
    g.bench_function("coturn", |b| {
        b.iter(|| drop(Coturn::start(lab.wan()).expect("coturn starts")));
    });
    g.finish();
}

criterion_group!(benches, lab);
criterion_main!(benches);
