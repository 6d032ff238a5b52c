//! The measurement method: one fixed-duration run of N threads, and the
//! statistics over repetitions.
//!
//! # One measurement point
//!
//! ```text
//!   main:     spawn N ─ barrier ─ sleep(warm-up) ─ phase=MEASURE ─ sleep(duration) ─ phase=STOP ─ join
//!   thread i:           barrier ─ step() ... step() │ step() ... step()  (counted)   │ return
//!                                                   start_i                          end_i
//! ```
//!
//! - The threads are spawned once per point and released together by a barrier.
//! - Each thread counts its own completed operations in a local variable (no
//!   shared counter on the hot path) and reads the shared phase flag, which is
//!   written only twice, once per step.
//! - A warm-up of a tenth of the duration (at most 50 ms) is run and not counted:
//!   it lets the structure reach its steady state (first chunk allocations, lock
//!   inflation, caches) before the clock starts.
//! - Throughput is the sum of the threads' counted operations over the union of
//!   their windows, `max(end_i) - min(start_i)`. A thread that the scheduler
//!   keeps off the CPU when a phase changes (oversubscription) notices late; its
//!   window is then shifted, never stretched past the union.
//!
//! # Repetitions
//!
//! The caller interleaves repetitions (rep 1 of every structure and thread count,
//! then rep 2, ...) so that drift in the machine's state (other processes,
//! frequency) is spread over all structures instead of landing on one.
//! [`Stats`] reports the median with min, quartiles and max.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_utils::CachePadded;

const WARMUP: u8 = 0;
const MEASURE: u8 = 1;
const STOP: u8 = 2;

/// How long one point runs.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    pub warmup: Duration,
    pub duration: Duration,
}

impl Timing {
    pub fn new(duration: Duration) -> Timing {
        Timing {
            warmup: (duration / 10).min(Duration::from_millis(50)),
            duration,
        }
    }

    /// Wall time of one point, thread start-up aside.
    pub fn total(&self) -> Duration {
        self.warmup + self.duration
    }
}

/// The result of one point: operations completed in the measured window.
#[derive(Clone, Copy, Debug)]
pub struct Run {
    pub ops: u64,
    pub window: Duration,
}

impl Run {
    /// Million operations per second.
    pub fn mops(&self) -> f64 {
        self.ops as f64 / self.window.as_secs_f64().max(1e-9) / 1e6
    }
}

/// Runs one worker per thread for `timing`, and counts.
///
/// A worker is called repeatedly; each call does a small unit of work and
/// returns how many operations it completed (0 for an empty pop, say). The
/// workers are moved into their threads, so one worker may own the receiving
/// end of a channel.
pub fn run_threads<W>(workers: Vec<W>, timing: Timing) -> Run
where
    W: FnMut() -> u64 + Send,
{
    let phase = CachePadded::new(AtomicU8::new(WARMUP));
    let barrier = Barrier::new(workers.len() + 1);
    let per_thread: Vec<(u64, Instant, Instant)> = thread::scope(|scope| {
        let handles: Vec<_> = workers
            .into_iter()
            .map(|mut step| {
                let (phase, barrier) = (&phase, &barrier);
                scope.spawn(move || {
                    barrier.wait();
                    // memory ordering: the phase carries no data, only "keep going";
                    // Relaxed reads see the main thread's store within a few
                    // iterations, and the join below publishes the counts.
                    while phase.load(Ordering::Relaxed) == WARMUP {
                        std::hint::black_box(step());
                    }
                    let start = Instant::now();
                    let mut ops = 0u64;
                    while phase.load(Ordering::Relaxed) == MEASURE {
                        ops += step();
                    }
                    (ops, start, Instant::now())
                })
            })
            .collect();
        barrier.wait();
        thread::sleep(timing.warmup);
        phase.store(MEASURE, Ordering::Relaxed);
        thread::sleep(timing.duration);
        phase.store(STOP, Ordering::Relaxed);
        handles
            .into_iter()
            .map(|h| h.join().expect("a benchmark worker panicked"))
            .collect()
    });
    let ops = per_thread.iter().map(|t| t.0).sum();
    let start = per_thread
        .iter()
        .map(|t| t.1)
        .min()
        .expect("at least one thread");
    let end = per_thread
        .iter()
        .map(|t| t.2)
        .max()
        .expect("at least one thread");
    Run {
        ops,
        window: end.saturating_duration_since(start),
    }
}

/// Median and spread of one point's repetitions.
#[derive(Clone, Copy, Debug)]
pub struct Stats {
    pub median: f64,
    pub min: f64,
    pub q1: f64,
    pub q3: f64,
    pub max: f64,
}

impl Stats {
    /// `None` for no samples.
    pub fn of(samples: &[f64]) -> Option<Stats> {
        if samples.is_empty() {
            return None;
        }
        let mut s = samples.to_vec();
        s.sort_by(f64::total_cmp);
        Some(Stats {
            median: quantile(&s, 0.5),
            min: s[0],
            q1: quantile(&s, 0.25),
            q3: quantile(&s, 0.75),
            max: s[s.len() - 1],
        })
    }

    /// Half the min-max range relative to the median, in percent.
    pub fn spread_percent(&self) -> f64 {
        if self.median > 0.0 {
            (self.max - self.min) / 2.0 / self.median * 100.0
        } else {
            0.0
        }
    }
}

/// Linear interpolation between order statistics (type 7, as R and NumPy).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_take_the_median_and_quartiles() {
        let s = Stats::of(&[5.0, 1.0, 3.0, 2.0, 4.0]).unwrap();
        assert_eq!(
            (s.min, s.q1, s.median, s.q3, s.max),
            (1.0, 2.0, 3.0, 4.0, 5.0)
        );
        let even = Stats::of(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!(even.median, 2.5);
        assert!(Stats::of(&[]).is_none());
    }

    #[test]
    fn every_thread_is_counted() {
        let timing = Timing::new(Duration::from_millis(20));
        // Each worker counts in its own half of the total, so a worker whose
        // operations went missing shows up as a zero half.
        let workers: Vec<_> = (0..2u32).map(|i| move || 1u64 << (32 * i)).collect();
        let run = run_threads(workers, timing);
        assert!(
            run.ops & 0xFFFF_FFFF > 0,
            "worker 0's operations were not counted"
        );
        assert!(run.ops >> 32 > 0, "worker 1's operations were not counted");
        assert!(
            run.window >= Duration::from_millis(15),
            "window {:?}",
            run.window
        );
    }
}
