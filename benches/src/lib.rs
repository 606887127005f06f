//! Benchmarks of the rtcweb crates live in `benches/`; run them with `cargo xtask bench`.
