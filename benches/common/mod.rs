//! What the criterion benches share: their settings and `main`, the thread
//! counts, and the clock that runs spawned threads from a common release to
//! the last join.

use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion};

/// The thread counts the shared-structure benches run at.
pub const THREADS: [usize; 4] = [1, 2, 4, 8];

/// A criterion group with wall-clock timing.
pub type Group<'a> = criterion::BenchmarkGroup<'a, criterion::measurement::WallTime>;

/// One benchmark `name/threads` in `group` for each thread count of
/// [`THREADS`]; a sample of `iters` iterations takes `run(threads, iters)`.
pub fn bench_each_thread_count(
    group: &mut Group<'_>,
    name: &str,
    mut run: impl FnMut(usize, u64) -> Duration,
) {
    for threads in THREADS {
        group.bench_with_input(BenchmarkId::new(name, threads), &threads, |b, &threads| {
            b.iter_custom(|iters| run(threads, iters))
        });
    }
}

/// The criterion settings of every bench: 10 samples, 300 ms warm-up, 1 s
/// of measurement.
pub fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
}

/// The bench's `main`: one criterion group of `targets`, run with
/// [`config`]. The group sits in a private module so that the generated
/// `pub fn benches` needs no docs.
macro_rules! bench_main {
    ($($target:path),+ $(,)?) => {
        mod group {
            use super::*;

            criterion::criterion_group! {
                name = benches;
                config = $crate::common::config();
                targets = $($target),+
            }
        }
        criterion::criterion_main!(group::benches);
    };
}
pub(crate) use bench_main;

/// `total` split over `parts`: part `i` gets its share, remainder spread first.
pub fn share(total: u64, parts: usize, i: usize) -> u64 {
    let parts = parts as u64;
    total / parts + u64::from((i as u64) < total % parts)
}

/// Spawns one thread per closure, releases them together, and times them from
/// the release to the last join.
pub fn timed<F: FnOnce() + Send>(jobs: Vec<F>) -> Duration {
    let barrier = Barrier::new(jobs.len() + 1);
    thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .into_iter()
            .map(|job| {
                let barrier = &barrier;
                scope.spawn(move || {
                    barrier.wait();
                    job();
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
