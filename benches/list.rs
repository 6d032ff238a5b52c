//! Criterion benchmarks of `lazuli::list::ListSet` against crossbeam's
//! `SkipSet`, `Mutex<BTreeSet>` and `RwLock<BTreeSet>`, ASCYLIB style, at 1, 2,
//! 4 and 8 threads, with throughput in operations (the mix and the method are
//! in `sets/mod.rs`).
//!
//! - Key ranges of 128 and 2048, prefilled with half the range (so about 64
//!   and 1024 keys are present), uniform random keys.
//! - 10% and 40% updates; the rest are `contains`.
//! - Group names: `list/r{range}-u{updates}`, e.g. `list/r128-u10`.

use criterion::Criterion;

mod common;
mod sets;

const RANGES: [u64; 2] = [128, 2048];
const UPDATE_PERCENTS: [u64; 2] = [10, 40];

fn list_mixed(c: &mut Criterion) {
    for range in RANGES {
        for update_percent in UPDATE_PERCENTS {
            let lazuli = ("lazuli::ListSet", lazuli::list::ListSet::new as fn() -> _);
            sets::bench_mix(c, "list", lazuli, range, update_percent);
        }
    }
}

common::bench_main!(list_mixed);
