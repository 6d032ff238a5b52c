//! Criterion benchmarks of `lazuli::skiplist::SkipSet` against crossbeam's
//! `SkipSet`, `Mutex<BTreeSet>` and `RwLock<BTreeSet>`, Synchrobench/ASCYLIB
//! style, at 1, 2, 4 and 8 threads, with throughput in operations (the mix
//! and the method are in `sets/mod.rs`).
//!
//! - Key range 65,536, prefilled with half the range, uniform random keys,
//!   1%, 10% and 50% updates (`skiplist/r65536-u{1,10,50}`).
//! - Read-mostly at scale: key range 2^20, half full, 1% updates
//!   (`skiplist/r1048576-u1`); the working set no longer fits in cache.
//! - Maps (`SkipMap<u64, u64>` against crossbeam's): `get` holding the entry
//!   while reading its value, on 8 hot keys of 65,536 (`skiplist/hot8-get`)
//!   and on uniform keys (`skiplist/r65536-get`); `get_or_insert`/`remove`
//!   churn (`skiplist/r65536-churn`).

use criterion::Criterion;

mod common;
mod sets;

/// (key range, update percent) pairs.
const WORKLOADS: [(u64, u64); 4] = [(1 << 16, 1), (1 << 16, 10), (1 << 16, 50), (1 << 20, 1)];

fn skiplist_mixed(c: &mut Criterion) {
    for (range, update_percent) in WORKLOADS {
        let lazuli = (
            "lazuli::SkipSet",
            lazuli::skiplist::SkipSet::new as fn() -> _,
        );
        sets::bench_mix(c, "skiplist", lazuli, range, update_percent);
    }
}

fn skiplist_maps(c: &mut Criterion) {
    for mix in [
        sets::maps::MapMix::Hot8Gets,
        sets::maps::MapMix::Gets,
        sets::maps::MapMix::Churn,
    ] {
        let lazuli = (
            "lazuli::SkipMap",
            lazuli::skiplist::SkipMap::new as fn() -> _,
        );
        sets::maps::bench_map_mix(c, "skiplist", lazuli, mix);
    }
}

common::bench_main!(skiplist_mixed, skiplist_maps);
