//! The one operation set every ordered-set (and ordered-map) benchmark
//! drives, implemented once for lazuli's structures and their peers. Shared
//! by `benches/{list,skiplist}.rs` and the `scaling` example (which includes
//! this file by path).
//!
//! Insert means insert-if-absent everywhere: `BTreeSet::insert`, and
//! `get_or_insert` for lazuli's sets and crossbeam's `SkipSet` (whose `insert`
//! replaces a present entry: a remove plus an insert). The entries these
//! return pin the epoch while they live, so they are dropped at once.

use std::collections::BTreeSet;
use std::sync::{Mutex, RwLock};

/// What the set mixes need from a set of `u64`.
pub trait SetUnderTest: Send + Sync + 'static {
    /// Insert `key` if absent.
    fn insert(&self, key: u64);
    /// Remove `key` if present.
    fn remove(&self, key: u64);
    /// Whether `key` is present.
    fn contains(&self, key: u64) -> bool;
}

/// Implements [`SetUnderTest`] for a set type with crossbeam-skiplist's API.
macro_rules! skip_set_api {
    ($($set:ty),*) => {$(
        impl SetUnderTest for $set {
            fn insert(&self, key: u64) {
                drop(<$set>::get_or_insert(self, key));
            }
            fn remove(&self, key: u64) {
                drop(<$set>::remove(self, &key));
            }
            fn contains(&self, key: u64) -> bool {
                <$set>::contains(self, &key)
            }
        }
    )*};
}

skip_set_api!(
    lazuli::list::ListSet<u64>,
    lazuli::skiplist::SkipSet<u64>,
    crossbeam_skiplist::SkipSet<u64>
);

/// Implements [`SetUnderTest`] for a `BTreeSet` behind a lock: `$write`
/// locks it for `insert` and `remove`, `$read` for `contains`.
macro_rules! locked_btree_set {
    ($($lock:ident: $write:ident, $read:ident);* $(;)?) => {$(
        impl SetUnderTest for $lock<BTreeSet<u64>> {
            fn insert(&self, key: u64) {
                self.$write().unwrap_or_else(|e| e.into_inner()).insert(key);
            }
            fn remove(&self, key: u64) {
                self.$write().unwrap_or_else(|e| e.into_inner()).remove(&key);
            }
            fn contains(&self, key: u64) -> bool {
                self.$read()
                    .unwrap_or_else(|e| e.into_inner())
                    .contains(&key)
            }
        }
    )*};
}

locked_btree_set!(
    Mutex: lock, lock;
    RwLock: write, read;
);

/// What the map workloads need from a map of `u64` to `u64`.
pub trait MapUnderTest: Send + Sync + 'static {
    /// Looks `key` up and, if present, reads its value while holding the
    /// entry (the read that holds an entry: lazuli pins, crossbeam counts a
    /// reference).
    fn get_value(&self, key: u64) -> Option<u64>;
    /// Inserts `key` with `value` if absent; the entry is dropped at once.
    fn get_or_insert(&self, key: u64, value: u64);
    /// Removes `key` if present.
    fn remove(&self, key: u64);
}

/// Implements [`MapUnderTest`] for a map type with crossbeam-skiplist's API.
macro_rules! skip_map_api {
    ($($map:ty),*) => {$(
        impl MapUnderTest for $map {
            fn get_value(&self, key: u64) -> Option<u64> {
                let entry = <$map>::get(self, &key)?;
                Some(*entry.value())
            }
            fn get_or_insert(&self, key: u64, value: u64) {
                drop(<$map>::get_or_insert(self, key, value));
            }
            fn remove(&self, key: u64) {
                drop(<$map>::remove(self, &key));
            }
        }
    )*};
}

skip_map_api!(
    lazuli::skiplist::SkipMap<u64, u64>,
    crossbeam_skiplist::SkipMap<u64, u64>
);
