//! Criterion benchmarks of `lazuli::skiplist::SkipSet` against crossbeam's
//! `SkipSet`, `Mutex<BTreeSet>` and `RwLock<BTreeSet>`, Synchrobench/ASCYLIB
//! style, at 1, 2, 4 and 8 threads, with throughput in operations.
//!
//! - Key range 65,536, prefilled with half the range, uniform random keys,
//!   1%, 10% and 50% updates (`skiplist/r65536-u{1,10,50}`).
//! - Read-mostly at scale: key range 2^20, half full, 1% updates
//!   (`skiplist/r1048576-u1`); the working set no longer fits in cache.
//! - Updates are split evenly between inserts (insert-if-absent) and
//!   removes, so the size stays near half the range; the rest are
//!   `contains`.
//!
//! Each set is prefilled once per group and structure and reused across
//! thread counts and samples (the mix keeps its size stable), so the 2^20
//! prefill is paid once.
//!
//! Threads are spawned per sample and released by a barrier; the clock runs
//! from the barrier to the last join. Each thread has its own xorshift
//! generator, so no shared state but the structure.

use std::collections::BTreeSet;
use std::hint::black_box;
use std::sync::{Barrier, Mutex, RwLock};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

const THREADS: [usize; 4] = [1, 2, 4, 8];
/// (key range, update percent) pairs.
const WORKLOADS: [(u64, u64); 4] = [(1 << 16, 1), (1 << 16, 10), (1 << 16, 50), (1 << 20, 1)];

/// What the benchmarks need from an ordered set.
trait BenchSet: Sync {
    fn insert(&self, key: u64);
    fn remove(&self, key: u64);
    fn contains(&self, key: u64) -> bool;
}

impl BenchSet for lazuli::skiplist::SkipSet<u64> {
    fn insert(&self, key: u64) {
        drop(lazuli::skiplist::SkipSet::get_or_insert(self, key));
    }
    fn remove(&self, key: u64) {
        drop(lazuli::skiplist::SkipSet::remove(self, &key));
    }
    fn contains(&self, key: u64) -> bool {
        lazuli::skiplist::SkipSet::contains(self, &key)
    }
}

impl BenchSet for crossbeam_skiplist::SkipSet<u64> {
    fn insert(&self, key: u64) {
        drop(crossbeam_skiplist::SkipSet::get_or_insert(self, key));
    }
    fn remove(&self, key: u64) {
        drop(crossbeam_skiplist::SkipSet::remove(self, &key));
    }
    fn contains(&self, key: u64) -> bool {
        crossbeam_skiplist::SkipSet::contains(self, &key)
    }
}

impl BenchSet for Mutex<BTreeSet<u64>> {
    fn insert(&self, key: u64) {
        self.lock().unwrap_or_else(|e| e.into_inner()).insert(key);
    }
    fn remove(&self, key: u64) {
        self.lock().unwrap_or_else(|e| e.into_inner()).remove(&key);
    }
    fn contains(&self, key: u64) -> bool {
        self.lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&key)
    }
}

impl BenchSet for RwLock<BTreeSet<u64>> {
    fn insert(&self, key: u64) {
        self.write().unwrap_or_else(|e| e.into_inner()).insert(key);
    }
    fn remove(&self, key: u64) {
        self.write().unwrap_or_else(|e| e.into_inner()).remove(&key);
    }
    fn contains(&self, key: u64) -> bool {
        self.read()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&key)
    }
}

/// A per-thread xorshift generator.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// A set prefilled with `range / 2` distinct random keys from `0..range`.
fn prefilled<S: BenchSet>(make: fn() -> S, range: u64) -> S {
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

/// `total` split over `parts`: part `i` gets its share.
fn share(total: u64, parts: usize, i: usize) -> u64 {
    let parts = parts as u64;
    total / parts + u64::from((i as u64) < total % parts)
}

/// Runs `iters` operations spread over `threads` threads and returns the
/// time from their common release to the last join.
fn mixed<S: BenchSet>(
    set: &S,
    threads: usize,
    iters: u64,
    range: u64,
    update_percent: u64,
) -> Duration {
    let barrier = Barrier::new(threads + 1);
    thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let barrier = &barrier;
                scope.spawn(move || {
                    let mut rng =
                        Rng(0x9E37_79B9_7F4A_7C15 ^ ((i as u64 + 1) * 0x1234_5678_9ABC_DEF1));
                    barrier.wait();
                    for _ in 0..share(iters, threads, i) {
                        let key = rng.below(range);
                        let roll = rng.below(200);
                        if roll < update_percent {
                            set.insert(key);
                        } else if roll < 2 * update_percent {
                            set.remove(key);
                        } else {
                            black_box(set.contains(key));
                        }
                    }
                })
            })
            .collect();
        barrier.wait();
        let start = Instant::now();
        for handle in handles {
            handle.join().expect("a benchmark thread panicked");
        }
        start.elapsed()
    })
}

type Group<'a> = criterion::BenchmarkGroup<'a, criterion::measurement::WallTime>;

fn bench_set<S: BenchSet>(
    group: &mut Group<'_>,
    name: &str,
    make: fn() -> S,
    range: u64,
    update_percent: u64,
) {
    let set = prefilled(make, range);
    for threads in THREADS {
        group.bench_with_input(BenchmarkId::new(name, threads), &threads, |b, &threads| {
            b.iter_custom(|iters| mixed(&set, threads, iters, range, update_percent))
        });
    }
}

fn skiplist_mixed(c: &mut Criterion) {
    for (range, update_percent) in WORKLOADS {
        {
            let mut group = c.benchmark_group(format!("skiplist/r{range}-u{update_percent}"));
            group.throughput(Throughput::Elements(1));
            bench_set(
                &mut group,
                "lazuli::SkipSet",
                lazuli::skiplist::SkipSet::new,
                range,
                update_percent,
            );
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
    }
}

/// In a private module so that the generated `pub fn benches` needs no docs.
mod group {
    use super::*;

    criterion_group! {
        name = benches;
        config = Criterion::default()
            .sample_size(10)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(1));
        targets = skiplist_mixed
    }
}
criterion_main!(group::benches);
