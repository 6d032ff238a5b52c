//! The map workloads of the `skiplist` group: reads that hold an entry, and
//! insert/remove churn, `lazuli::skiplist::SkipMap<u64, u64>` against
//! crossbeam's `SkipMap`.
//!
//! - `hot8-get`: 65,536 keys present; every operation is a `get` of one of 8
//!   hot keys (spread over the range), holding the entry while it reads the
//!   value. Every thread reads the same 8 nodes: a read that writes to the
//!   node (crossbeam's reference count) bounces their cache lines between
//!   cores; a read that only pins (lazuli) does not.
//! - `k65536-get`: the same `get`, with keys uniform over the 65,536.
//! - `k65536-churn`: keys uniform over 65,536, the map about half full;
//!   every operation is a `get_or_insert` or a `remove` (equally likely).
//!
//! The operations are implemented once, in `benches/sets/impls.rs`, which
//! the criterion benches share; keys come from the per-thread generator of
//! `sets.rs`.

use std::hint::black_box;

use super::sets::{MapUnderTest, Rng};
use super::{Metric, Subject, Workload};
use crate::harness::{run_threads, Timing};

/// The operation mix of a map workload.
#[derive(Clone, Copy, Debug)]
pub enum MapMix {
    /// `get` (holding the entry, reading the value) of `hot` keys spread
    /// over a full map of `key_range` keys.
    HotGets { key_range: u64, hot: u64 },
    /// `get` (holding the entry, reading the value) of uniform keys over a
    /// full map of `key_range` keys.
    Gets { key_range: u64 },
    /// `get_or_insert` or `remove` (equally likely) of uniform keys over
    /// `key_range`, the map about half full.
    Churn { key_range: u64 },
}

impl MapMix {
    fn key_range(self) -> u64 {
        match self {
            MapMix::HotGets { key_range, .. }
            | MapMix::Gets { key_range }
            | MapMix::Churn { key_range } => key_range,
        }
    }

    /// Fills `map`: every key for the reads, every other key for churn.
    fn prefill<M: MapUnderTest>(self, map: &M) {
        let step = if matches!(self, MapMix::Churn { .. }) {
            2
        } else {
            1
        };
        for key in (0..self.key_range()).step_by(step) {
            map.get_or_insert(key, key);
        }
    }

    /// One operation with keys from `rng`.
    #[inline]
    fn step<M: MapUnderTest>(self, map: &M, rng: &mut Rng) {
        match self {
            MapMix::HotGets { key_range, hot } => {
                let key = rng.below(hot) * (key_range / hot);
                black_box(map.get_value(key));
            }
            MapMix::Gets { key_range } => {
                black_box(map.get_value(rng.below(key_range)));
            }
            MapMix::Churn { key_range } => {
                let key = rng.below(key_range);
                if rng.below(2) == 0 {
                    map.get_or_insert(key, key);
                } else {
                    map.remove(key);
                }
            }
        }
    }
}

/// One map structure under one mix; built and pre-filled on the first
/// point, kept across thread counts and repetitions.
struct MapSubject<M> {
    name: &'static str,
    full_name: &'static str,
    lazuli: bool,
    make: fn() -> M,
    mix: MapMix,
    map: Option<M>,
    points: u64,
}

impl<M: MapUnderTest> Subject for MapSubject<M> {
    fn name(&self) -> &'static str {
        self.name
    }
    fn full_name(&self) -> &'static str {
        self.full_name
    }
    fn is_lazuli(&self) -> bool {
        self.lazuli
    }
    fn measure(&mut self, threads: usize, timing: Timing) -> f64 {
        let (make, mix) = (self.make, self.mix);
        let map: &M = self.map.get_or_insert_with(|| {
            let map = make();
            mix.prefill(&map);
            map
        });
        self.points += 1;
        let seed = self.points;
        let workers = (0..threads)
            .map(|i| {
                let mut rng = Rng::new(seed ^ ((i as u64 + 1) << 32));
                move || {
                    mix.step(map, &mut rng);
                    1
                }
            })
            .collect();
        run_threads(workers, timing).mops()
    }
}

fn subject<M: MapUnderTest>(
    (name, full_name, lazuli): (&'static str, &'static str, bool),
    make: fn() -> M,
    mix: MapMix,
) -> Box<dyn Subject> {
    Box::new(MapSubject {
        name,
        full_name,
        lazuli,
        make,
        mix,
        map: None,
        points: 0,
    })
}

fn workload(name: &'static str, about: &'static str, mix: MapMix) -> Workload {
    Workload {
        group: "skiplist",
        name,
        about,
        metric: Metric::Throughput,
        fixed_threads: None,
        subjects: vec![
            subject(
                ("SkipMap", "lazuli::skiplist::SkipMap<u64, u64>", true),
                lazuli::skiplist::SkipMap::new,
                mix,
            ),
            subject(
                (
                    "SkipMap(cb)",
                    "crossbeam_skiplist::SkipMap<u64, u64> (0.1)",
                    false,
                ),
                crossbeam_skiplist::SkipMap::new,
                mix,
            ),
        ],
    }
}

/// The map workloads (see the module doc).
pub fn workloads() -> Vec<Workload> {
    const KEYS: u64 = 1 << 16;
    vec![
        workload(
            "hot8-get",
            "map of 65,536 keys; get of 8 hot keys, entry held while its value is read",
            MapMix::HotGets {
                key_range: KEYS,
                hot: 8,
            },
        ),
        workload(
            "k65536-get",
            "map of 65,536 keys; get of uniform keys, entry held while its value is read",
            MapMix::Gets { key_range: KEYS },
        ),
        workload(
            "k65536-churn",
            "keys 0..65,536 (half present); get_or_insert or remove, equally likely",
            MapMix::Churn { key_range: KEYS },
        ),
    ]
}
