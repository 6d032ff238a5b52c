//! The map mixes of the skiplist benchmarks: lazuli's `SkipMap<u64, u64>`
//! against crossbeam's, on the keys `0..65,536`, at 1, 2, 4 and 8 threads
//! (the method is the set mixes', in `mod.rs`).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput};

use super::{timed, MapUnderTest};
use crate::common::{bench_each_thread_count, Group};

/// A map mix over the keys `0..65,536`.
#[derive(Clone, Copy, Debug)]
pub enum MapMix {
    /// `get` of 8 hot keys of a full map, holding the entry, reading the value.
    Hot8Gets,
    /// `get` of uniform keys of a full map, holding the entry, reading the value.
    Gets,
    /// `get_or_insert` or `remove` (equally likely) of uniform keys, half full.
    Churn,
}

const MAP_KEYS: u64 = 1 << 16;

impl MapMix {
    fn name(self) -> &'static str {
        match self {
            MapMix::Hot8Gets => "hot8-get",
            MapMix::Gets => "r65536-get",
            MapMix::Churn => "r65536-churn",
        }
    }

    fn prefilled<M: MapUnderTest>(self, make: fn() -> M) -> M {
        let map = make();
        let step = if matches!(self, MapMix::Churn) { 2 } else { 1 };
        for key in (0..MAP_KEYS).step_by(step) {
            map.get_or_insert(key, key);
        }
        map
    }

    fn run<M: MapUnderTest>(self, map: &M, threads: usize, iters: u64) -> Duration {
        timed(threads, iters, |rng| match self {
            MapMix::Hot8Gets => {
                black_box(map.get_value(rng.below(8) * (MAP_KEYS / 8)));
            }
            MapMix::Gets => {
                black_box(map.get_value(rng.below(MAP_KEYS)));
            }
            MapMix::Churn => {
                let key = rng.below(MAP_KEYS);
                if rng.below(2) == 0 {
                    map.get_or_insert(key, key);
                } else {
                    map.remove(key);
                }
            }
        })
    }
}

fn bench_map<M: MapUnderTest>(group: &mut Group<'_>, name: &str, make: fn() -> M, mix: MapMix) {
    let map = mix.prefilled(make);
    bench_each_thread_count(group, name, |threads, iters| mix.run(&map, threads, iters));
}

/// One group, `{prefix}/{mix}`: lazuli's map (built by `make`, shown as
/// `name`) and crossbeam's `SkipMap`.
pub fn bench_map_mix<M: MapUnderTest>(
    c: &mut Criterion,
    prefix: &str,
    (name, make): (&str, fn() -> M),
    mix: MapMix,
) {
    let mut group = c.benchmark_group(format!("{prefix}/{}", mix.name()));
    group.throughput(Throughput::Elements(1));
    bench_map(&mut group, name, make, mix);
    bench_map(&mut group, "SkipMap", crossbeam_skiplist::SkipMap::new, mix);
    group.finish();
}
