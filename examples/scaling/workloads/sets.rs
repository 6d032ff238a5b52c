//! The set mixes shared by the `list` and `skiplist` groups, in the style of
//! ASCYLIB and Synchrobench.
//!
//! - Keys are `u64`, drawn uniformly from `0..key_range` by a per-thread
//!   xorshift generator (no shared RNG state).
//! - The set is pre-filled to half the key range before its first point, and
//!   kept across thread counts and repetitions: with inserts and removes equally
//!   likely it stays near half full, as in the papers' methodology. Pre-filling
//!   is not timed.
//! - Each operation is, with probability `update_percent`, an insert or a remove
//!   (equally likely), otherwise a lookup. Every operation counts, whether it
//!   found its key or not.
//! - Insert means insert-if-absent everywhere (`get_or_insert` for the skiplist
//!   APIs). The operations are implemented once, in `benches/sets/impls.rs`,
//!   which the criterion benches share.

use std::collections::BTreeSet;
use std::hint::black_box;
use std::sync::{Mutex, RwLock};

use super::{Metric, Subject, Workload};
use crate::harness::{run_threads, Timing};

#[path = "../../../benches/sets/impls.rs"]
mod impls;
pub use impls::{MapUnderTest, SetUnderTest};

/// One mix: key range and share of updates.
#[derive(Clone, Copy, Debug)]
pub struct Mix {
    pub key_range: u64,
    pub update_percent: u64,
}

/// xorshift64*: a few cycles per key, one per thread.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        // Any non-zero state works; spread the seeds with a multiplier.
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    #[inline]
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in `0..n` by multiply-shift (no modulo bias worth measuring).
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }
}

/// An operation mix over a structure of type `S`: how to pre-fill it, and
/// one operation.
pub trait Ops<S>: Copy + Send + Sync + 'static {
    /// Fills `target` before the first point (not timed).
    fn prefill(self, target: &S);
    /// One operation, with keys from `rng`.
    fn step(self, target: &S, rng: &mut Rng);
}

impl<S: SetUnderTest> Ops<S> for Mix {
    /// Distinct random keys until the set holds half the key range.
    fn prefill(self, set: &S) {
        let mut rng = Rng::new(0x5EED);
        let mut present = 0;
        // Single-threaded, so contains-then-insert counts distinct keys
        // exactly (and needs no `len`, which may be O(n) for a list).
        while present < self.key_range / 2 {
            let key = rng.below(self.key_range);
            if !set.contains(key) {
                set.insert(key);
                present += 1;
            }
        }
    }

    #[inline]
    fn step(self, set: &S, rng: &mut Rng) {
        let key = rng.below(self.key_range);
        let dice = rng.below(200);
        if dice < self.update_percent {
            set.insert(key);
        } else if dice < 2 * self.update_percent {
            set.remove(key);
        } else {
            black_box(set.contains(key));
        }
    }
}

/// One structure under one mix. The structure is built and pre-filled on
/// the first point, kept across thread counts and repetitions, and dropped
/// with the workload.
pub struct Prefilled<S, M> {
    name: &'static str,
    full_name: &'static str,
    lazuli: bool,
    make: fn() -> S,
    mix: M,
    target: Option<S>,
    points: u64,
}

impl<S: Send + Sync + 'static, M: Ops<S>> Prefilled<S, M> {
    /// `(name, full name, whether it is lazuli's)`, the constructor, the mix.
    pub fn boxed(
        (name, full_name, lazuli): (&'static str, &'static str, bool),
        make: fn() -> S,
        mix: M,
    ) -> Box<dyn Subject> {
        Box::new(Prefilled {
            name,
            full_name,
            lazuli,
            make,
            mix,
            target: None,
            points: 0,
        })
    }
}

impl<S: Send + Sync + 'static, M: Ops<S>> Subject for Prefilled<S, M> {
    subject_names_from_fields!();
    fn measure(&mut self, threads: usize, timing: Timing) -> f64 {
        let (make, mix) = (self.make, self.mix);
        let target: &S = self.target.get_or_insert_with(|| {
            let target = make();
            mix.prefill(&target);
            target
        });
        self.points += 1;
        let seed = self.points;
        let workers = (0..threads)
            .map(|i| {
                let mut rng = Rng::new(seed ^ ((i as u64 + 1) << 32));
                move || {
                    mix.step(target, &mut rng);
                    1
                }
            })
            .collect();
        run_threads(workers, timing).mops()
    }
}

/// One row of a set group: name, description, key range, update percent.
pub type SetRow = (&'static str, &'static str, u64, u64);

/// The set workloads of `group`, one per row: lazuli's set (`lazuli`: short
/// name, full name, constructor) followed by the peers.
pub fn set_workloads<S: SetUnderTest>(
    group: &'static str,
    (lazuli, full_name, make): (&'static str, &'static str, fn() -> S),
    rows: &[SetRow],
) -> Vec<Workload> {
    rows.iter()
        .map(|&(name, about, key_range, update_percent)| {
            let mix = Mix {
                key_range,
                update_percent,
            };
            let mut subjects = vec![Prefilled::boxed((lazuli, full_name, true), make, mix)];
            subjects.extend(peers(mix));
            Workload {
                group,
                name,
                about,
                metric: Metric::Throughput,
                fixed_threads: None,
                subjects,
            }
        })
        .collect()
}

/// The peers every set workload runs against.
pub fn peers(mix: Mix) -> Vec<Box<dyn Subject>> {
    vec![
        Prefilled::boxed(
            (
                "SkipSet(cb)",
                "crossbeam_skiplist::SkipSet<u64> (0.1, insert = get_or_insert)",
                false,
            ),
            crossbeam_skiplist::SkipSet::new,
            mix,
        ),
        Prefilled::boxed(
            (
                "Mutex<BTreeSet>",
                "std::sync::Mutex<std::collections::BTreeSet<u64>>",
                false,
            ),
            || Mutex::new(BTreeSet::new()),
            mix,
        ),
        Prefilled::boxed(
            (
                "RwLock<BTreeSet>",
                "std::sync::RwLock<std::collections::BTreeSet<u64>>",
                false,
            ),
            || RwLock::new(BTreeSet::new()),
            mix,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_stay_in_range_and_cover_it() {
        let mut rng = Rng::new(1);
        let mut seen = [false; 128];
        for _ in 0..10_000 {
            let k = rng.below(128);
            assert!(k < 128, "key {k} out of range");
            seen[k as usize] = true;
        }
        assert!(seen.iter().all(|s| *s), "some keys never drawn");
    }

    #[test]
    fn prefill_reaches_half_the_range() {
        let set = Mutex::new(BTreeSet::new());
        let mix = Mix {
            key_range: 2048,
            update_percent: 10,
        };
        Ops::<Mutex<BTreeSet<u64>>>::prefill(mix, &set);
        assert_eq!(set.lock().unwrap().len(), 1024);
    }
}
