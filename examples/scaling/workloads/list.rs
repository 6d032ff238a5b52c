//! List workloads (ASCYLIB style): `lazuli::list::ListSet` against crossbeam's
//! `SkipSet`, `Mutex<BTreeSet>` and `RwLock<BTreeSet>`.
//!
//! Key ranges 128 (about 64 keys present) and 2048 (about 1024), each with 10%
//! and 40% updates. The rows are named `k<range>-u<percent>`. The mix itself
//! (pre-fill, key choice, insert-if-absent) is described in `sets.rs`.

use super::sets::{set_workloads, SetRow};
use super::Workload;

const ROWS: [SetRow; 4] = [
    (
        "k128-u10",
        "keys 0..128 (half present), 10% updates (insert/remove), 90% contains",
        128,
        10,
    ),
    (
        "k128-u40",
        "keys 0..128 (half present), 40% updates (insert/remove), 60% contains",
        128,
        40,
    ),
    (
        "k2048-u10",
        "keys 0..2048 (half present), 10% updates (insert/remove), 90% contains",
        2048,
        10,
    ),
    (
        "k2048-u40",
        "keys 0..2048 (half present), 40% updates (insert/remove), 60% contains",
        2048,
        40,
    ),
];

pub fn workloads() -> Vec<Workload> {
    let lazuli = (
        "ListSet",
        "lazuli::list::ListSet<u64> (insert = get_or_insert)",
        lazuli::list::ListSet::new as fn() -> _,
    );
    set_workloads("list", lazuli, &ROWS)
}
