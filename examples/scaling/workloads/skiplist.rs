//! Skiplist workloads (Synchrobench/ASCYLIB style): `lazuli::skiplist::SkipSet`
//! against crossbeam's `SkipSet`, `Mutex<BTreeSet>` and `RwLock<BTreeSet>`.
//!
//! - Key range 65,536, half full, with 1%, 10% and 50% updates
//!   (`k65536-u1`, `k65536-u10`, `k65536-u50`).
//! - Read-mostly at scale: key range 2^20 (1,048,576), half full, 1% updates
//!   (`k1M-u1`); here the working set no longer fits in cache.
//!
//! - Map workloads on `SkipMap<u64, u64>`: reads that hold an entry (8 hot
//!   keys, uniform keys) and `get_or_insert`/`remove` churn (`maps.rs`).
//!
//! The mix itself (pre-fill, key choice, insert-if-absent) is described in
//! `sets.rs`. The sets are pre-filled once per workload and kept across thread
//! counts and repetitions, so the 2^20 run pre-fills each structure once.

use super::sets::{set_workloads, SetRow};
use super::Workload;

const ROWS: [SetRow; 4] = [
    (
        "k65536-u1",
        "keys 0..65,536 (half present), 1% updates (insert/remove), 99% contains",
        1 << 16,
        1,
    ),
    (
        "k65536-u10",
        "keys 0..65,536 (half present), 10% updates (insert/remove), 90% contains",
        1 << 16,
        10,
    ),
    (
        "k65536-u50",
        "keys 0..65,536 (half present), 50% updates (insert/remove), 50% contains",
        1 << 16,
        50,
    ),
    (
        "k1M-u1",
        "read-mostly: keys 0..2^20 (half present), 1% updates, 99% contains",
        1 << 20,
        1,
    ),
];

pub fn workloads() -> Vec<Workload> {
    let lazuli = (
        "SkipSet",
        "lazuli::skiplist::SkipSet<u64> (insert = get_or_insert)",
        lazuli::skiplist::SkipSet::new as fn() -> _,
    );
    let mut workloads = set_workloads("skiplist", lazuli, &ROWS);
    workloads.extend(super::maps::workloads());
    workloads
}
