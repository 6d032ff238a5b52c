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

use super::sets::{MapUnderTest, Ops, Prefilled, Rng};
use super::{Metric, Workload};

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
}

impl<M: MapUnderTest> Ops<M> for MapMix {
    /// Every key for the reads, every other key for churn.
    fn prefill(self, map: &M) {
        let step = if matches!(self, MapMix::Churn { .. }) {
            2
        } else {
            1
        };
        for key in (0..self.key_range()).step_by(step) {
            map.get_or_insert(key, key);
        }
    }

    #[inline]
    fn step(self, map: &M, rng: &mut Rng) {
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

fn workload(name: &'static str, about: &'static str, mix: MapMix) -> Workload {
    Workload {
        group: "skiplist",
        name,
        about,
        metric: Metric::Throughput,
        fixed_threads: None,
        subjects: vec![
            Prefilled::boxed(
                ("SkipMap", "lazuli::skiplist::SkipMap<u64, u64>", true),
                lazuli::skiplist::SkipMap::new,
                mix,
            ),
            Prefilled::boxed(
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
