//! The mixed-workload machinery shared by the set benchmarks
//! (`benches/list.rs`, `benches/skiplist.rs`), in ASCYLIB/Synchrobench style:
//!
//! - a set of `u64` prefilled once per group and structure with half its key
//!   range, reused across thread counts and samples (inserts and removes are
//!   equally likely, so its size stays near half the range);
//! - each operation is, with probability `update_percent`, an insert or a
//!   remove (equally likely), otherwise a `contains`;
//! - threads are spawned per sample and released by a barrier; the clock
//!   runs from the barrier to the last join. Each thread has its own xorshift
//!   generator, so the structure is the only shared state;
//! - every group runs lazuli's set and its peers (crossbeam's `SkipSet`,
//!   `Mutex<BTreeSet>`, `RwLock<BTreeSet>`) at 1, 2, 4 and 8 threads.
//!
//! The map mixes ([`maps::MapMix`]) run lazuli's `SkipMap<u64, u64>` against
//! crossbeam's: `get` holding the entry while reading its value, on 8 hot
//! keys of a full 65,536-key map or on uniform keys, and
//! `get_or_insert`/`remove` churn on a half-full map.

use std::collections::BTreeSet;
use std::hint::black_box;
use std::sync::{Mutex, RwLock};
use std::time::Duration;

use criterion::{Criterion, Throughput};

use crate::common::{self, bench_each_thread_count, share, Group};

mod impls;
// The list benches run no map mix.
#[allow(dead_code)]
pub mod maps;
pub use impls::{MapUnderTest, SetUnderTest};

/// A per-thread xorshift generator.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// A set prefilled with `range / 2` distinct random keys from `0..range`.
fn prefilled<S: SetUnderTest>(make: fn() -> S, range: u64) -> S {
    let set = make();
    let mut rng = Rng(0x5EED);
    let mut present = 0;
    while present < range / 2 {
        let key = rng.below(range);
        if !set.contains(key) {
            set.insert(key);
            present += 1;
        }
    }
    set
}

/// Runs `iters` calls of `op` (each with its thread's generator) spread
/// over `threads` threads and returns the time from their common release to
/// the last join.
pub(crate) fn timed(threads: usize, iters: u64, op: impl Fn(&mut Rng) + Sync) -> Duration {
    let op = &op;
    let jobs = (0..threads)
        .map(|i| {
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ ((i as u64 + 1) * 0x1234_5678_9ABC_DEF1));
            move || {
                for _ in 0..share(iters, threads, i) {
                    op(&mut rng);
                }
            }
        })
        .collect();
    common::timed(jobs)
}

/// The set mix: `iters` operations over `threads` threads.
fn mixed<S: SetUnderTest>(
    set: &S,
    threads: usize,
    iters: u64,
    range: u64,
    update_percent: u64,
) -> Duration {
    timed(threads, iters, |rng| {
        let key = rng.below(range);
        let roll = rng.below(200);
        if roll < update_percent {
            set.insert(key);
        } else if roll < 2 * update_percent {
            set.remove(key);
        } else {
            black_box(set.contains(key));
        }
    })
}

fn bench_set<S: SetUnderTest>(
    group: &mut Group<'_>,
    name: &str,
    make: fn() -> S,
    range: u64,
    update_percent: u64,
) {
    let set = prefilled(make, range);
    bench_each_thread_count(group, name, |threads, iters| {
        mixed(&set, threads, iters, range, update_percent)
    });
}

/// One group, `{prefix}/r{range}-u{update_percent}`: lazuli's set (built by
/// `make`, shown as `name`) and the peers.
pub fn bench_mix<S: SetUnderTest>(
    c: &mut Criterion,
    prefix: &str,
    (name, make): (&str, fn() -> S),
    range: u64,
    update_percent: u64,
) {
    let mut group = c.benchmark_group(format!("{prefix}/r{range}-u{update_percent}"));
    group.throughput(Throughput::Elements(1));
    bench_set(&mut group, name, make, range, update_percent);
    bench_set(
        &mut group,
        "SkipSet",
        crossbeam_skiplist::SkipSet::new,
        range,
        update_percent,
    );
    bench_set(
        &mut group,
        "Mutex<BTreeSet>",
        || Mutex::new(BTreeSet::new()),
        range,
        update_percent,
    );
    bench_set(
        &mut group,
        "RwLock<BTreeSet>",
        || RwLock::new(BTreeSet::new()),
        range,
        update_percent,
    );
    group.finish();
}
