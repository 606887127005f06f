//! Empty: the benchmark in `benches/peer.rs` is the target.
