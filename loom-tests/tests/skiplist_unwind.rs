//! loom models of the skiplist's unwinding paths (`src/skiplist/unwind.rs`):
//! a user's `Ord` that panics in the search a remove, a replacing insert or
//! an insert repeats after a failed validation.
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test --release \
//!     --manifest-path loom-tests/Cargo.toml --target-dir target/loom --test skiplist_unwind
//! RUSTFLAGS="--cfg loom --cfg crossbeam_loom" cargo test --release \
//!     --manifest-path loom-tests/Cargo.toml --target-dir target/loom-epoch --test skiplist_unwind
//! ```
//!
//! Each model races one operation on key 2, made by a thread whose `Ord`
//! panics on meeting key 1 ([`Touchy`]), against another thread's insert
//! of key 1, the predecessor of 2 at level 0. Where the panic lands depends
//! on the interleaving, and each model names every place:
//!
//! | insert of 1 lands | the operation on 2 |
//! |---|---|
//! | after the operation | completes, no panic |
//! | before its first search | panics there, having changed nothing |
//! | between its search and its validation | fails validation, searches again, panics in that search: after the mark (remove, replace) the node is unlinked by pointer; before the link (insert) the built node is freed |
//!
//! Each model checks the skiplist left by the panic: the right keys, `len`,
//! and that the key can be inserted and removed again (a marked node left
//! linked would make that insert wait forever). The lazy list is not
//! modelled here: it marks and unlinks in one critical section and builds
//! its node after validating, so no user code runs between its mark and its
//! unlink, nor between its allocation and its link.
#![cfg(loom)]

use std::cell::Cell;
use std::cmp::Ordering;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use lazuli::coverage::Path;
use lazuli::skiplist::paths::*;
use lazuli::skiplist::{SkipMap, SkipSet};
use lazuli_loom_tests::{explore_outcomes, spawn_on, Counted, Item};
use loom::sync::Arc;

/// The preemption bound: the race needs the panicking thread preempted
/// between its search and its validation, and the inserter of 1 between its
/// own search and its link.
const BOUND: usize = 3;

/// What [`Touchy`]'s `Ord` panics with.
const PANIC: &str = "Touchy: this thread's Ord panics on key 1";

loom::thread_local! {
    /// Whether the current loom thread's comparisons with key 1 panic.
    static TOUCHY: Cell<bool> = Cell::new(false);
}

/// A key whose comparisons with key 1 panic on a thread that asked for it
/// ([`touchy`]); everywhere else it orders as its number.
#[derive(Clone, Copy, Debug)]
struct Touchy(u32);

impl Ord for Touchy {
    fn cmp(&self, other: &Self) -> Ordering {
        if (self.0 == 1 || other.0 == 1) && TOUCHY.with(Cell::get) {
            panic!("{PANIC}");
        }
        self.0.cmp(&other.0)
    }
}

impl PartialOrd for Touchy {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Touchy {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Touchy {}

/// Runs `op` on this thread with comparisons against key 1 panicking, and
/// returns whether it panicked with [`PANIC`] (any other panic goes on).
fn touchy<T>(op: impl FnOnce() -> T) -> Result<T, ()> {
    static QUIET: Once = Once::new();
    QUIET.call_once(|| {
        // The expected panic, raised in thousands of executions, is not
        // printed; any other still is.
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<String>().map(String::as_str) != Some(PANIC) {
                default(info);
            }
        }));
    });
    // Offer the other thread the CPU first: without this, loom's DPOR
    // never ran the insert of 1 before this thread's first search (the
    // "first search" outcome was missing from every exploration).
    loom::thread::yield_now();
    TOUCHY.with(|t| t.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(op));
    TOUCHY.with(|t| t.set(false));
    result.map_err(|payload| {
        match payload.downcast_ref::<String>() {
            Some(message) if message == PANIC => {}
            _ => panic::resume_unwind(payload),
        };
    })
}

/// Whether `path` was taken while `op` ran.
fn took<T>(path: &Path, op: impl FnOnce() -> T) -> (T, bool) {
    let before = path.hits();
    let result = op();
    (result, path.hits() > before)
}

/// Explores `model`, an operation of one thread racing another thread's
/// insert of key 1, at [`BOUND`], asserting that it reaches `reaches` and
/// observes every one of `outcomes`.
fn race(
    what: &str,
    reaches: &[&'static Path],
    outcomes: &[&'static str],
    model: fn() -> &'static str,
) {
    let title = format!("skiplist: {what} || insert(1)");
    explore_outcomes(&title, BOUND, reaches, outcomes, model);
}

fn keys<V>(map: &SkipMap<Touchy, V>) -> Vec<u32>
where
    V: Send + 'static,
{
    map.iter().map(|e| e.key().0).collect()
}

/// One `#[test]` per race: `name: "what", &[paths], &["outcome", ...],
/// model;` explores `model` with [`race`].
macro_rules! races {
    ($($test:ident: $what:literal, $reaches:expr, $outcomes:expr, $model:ident;)*) => {
        $(
            #[test]
            fn $test() {
                race($what, $reaches, $outcomes, $model);
            }
        )*
    };
}

races! {
    remove_whose_ord_panics_after_the_mark:
        "remove(2) panicking on 1",
        &[&REMOVE_REVALIDATED, &UNLINKED_BY_POINTER],
        &["removed", "panicked before its mark", "unlinked by pointer"],
        remove_race;
    replace_whose_ord_panics_after_the_mark:
        "insert(2) replacing, panicking on 1",
        &[&REPLACE_REVALIDATED, &UNLINKED_BY_POINTER],
        &["replaced", "panicked before its mark", "unlinked by pointer"],
        replace_race;
    insert_whose_ord_panics_before_the_link:
        "insert(2) panicking on 1",
        &[&VALIDATION_FAILED, &UNPUBLISHED_NODE_FREED],
        &["inserted", "panicked in its first search", "freed its node"],
        insert_race;
}

/// One execution of `remove_whose_ord_panics_after_the_mark`.
fn remove_race() -> &'static str {
    let set = Arc::new(SkipSet::new());
    set.insert(Touchy(2)); // tall
    set.insert(Touchy(3)); // short
    let other = spawn_on(&set, |set| drop(set.insert(Touchy(1)))); // 1: tall
    let (removed, by_pointer) = took(&UNLINKED_BY_POINTER, || {
        touchy(|| set.remove(&Touchy(2)).is_some())
    });
    other.join().unwrap();
    let elements: Vec<u32> = set.iter().map(|e| e.0).collect();
    let outcome = match removed {
        Ok(removed) => {
            assert!(removed, "2 was present throughout, yet not removed");
            "removed"
        }
        Err(()) if elements.contains(&2) => "panicked before its mark",
        Err(()) => "unlinked by pointer",
    };
    assert_eq!(
        by_pointer,
        outcome == "unlinked by pointer",
        "{outcome}: the walk by pointer runs exactly when a marked node's search panics"
    );
    let expected: &[u32] = if outcome == "panicked before its mark" {
        &[1, 2, 3]
    } else {
        &[1, 3]
    };
    assert_eq!(elements, expected, "{outcome}");
    assert_eq!(set.len(), expected.len(), "{outcome}: len");
    // A marked node left linked would make this insert wait for
    // its remover forever.
    set.insert(Touchy(2));
    assert!(set.remove(&Touchy(2)).is_some(), "{outcome}: 2 again");
    assert_eq!(
        set.len(),
        expected.len() - usize::from(expected.contains(&2))
    );
    outcome
}

/// One execution of `replace_whose_ord_panics_after_the_mark`.
fn replace_race() -> &'static str {
    let map = Arc::new(SkipMap::new());
    map.insert(Touchy(2), 20); // tall
    map.insert(Touchy(3), 30); // short
    let other = spawn_on(&map, |map| drop(map.insert(Touchy(1), 10))); // 1: tall
    let (replaced, by_pointer) = took(&UNLINKED_BY_POINTER, || {
        touchy(|| *map.insert(Touchy(2), 21).value())
    });
    other.join().unwrap();
    let now = *map
        .get(&Touchy(2))
        .expect("2 is present throughout")
        .value();
    let outcome = match replaced {
        Ok(value) => {
            assert_eq!(value, 21, "the entry shows the value inserted");
            "replaced"
        }
        // The mark is the replacement's linearization point: after
        // it, the new node holds the key, panic or not.
        Err(()) if now == 20 => "panicked before its mark",
        Err(()) => "unlinked by pointer",
    };
    assert_eq!(
        by_pointer,
        outcome == "unlinked by pointer",
        "{outcome}: the walk by pointer runs exactly when a marked node's search panics"
    );
    let expected = if outcome == "panicked before its mark" {
        20
    } else {
        21
    };
    assert_eq!(now, expected, "{outcome}: the value of 2");
    assert_eq!(keys(&map), [1, 2, 3], "{outcome}: one node per key");
    assert_eq!(map.len(), 3, "{outcome}: len");
    assert_eq!(*map.insert(Touchy(2), 22).value(), 22, "{outcome}: 2 again");
    assert_eq!(keys(&map), [1, 2, 3], "{outcome}: one node per key");
    outcome
}

/// One execution of `insert_whose_ord_panics_before_the_link`.
fn insert_race() -> &'static str {
    let drops = Counted::tally();
    let map: Arc<SkipMap<Touchy, Item>> = Arc::new(SkipMap::new());
    map.insert(Touchy(3), drops.make(3)); // tall
    let other = {
        let one = drops.make(1);
        spawn_on(&map, move |map| {
            map.insert(Touchy(1), one); // tall
        })
    };
    let value = drops.make(2);
    let (inserted, freed) = took(&UNPUBLISHED_NODE_FREED, || {
        touchy(|| map.insert(Touchy(2), value).value().value)
    });
    other.join().unwrap();
    let outcome = match inserted {
        Ok(value) => {
            assert_eq!(value, 2, "the entry shows the value inserted");
            "inserted"
        }
        Err(()) if freed => "freed its node",
        Err(()) => "panicked in its first search",
    };
    let (expected, dropped): (&[u32], usize) = match outcome {
        "inserted" => (&[1, 2, 3], 0),
        // Either way the value was dropped once, and at once: it
        // was never published, so no epoch holds it.
        _ => (&[1, 3], 1),
    };
    assert_eq!(keys(&map), expected, "{outcome}");
    assert_eq!(map.len(), expected.len(), "{outcome}: len");
    assert_eq!(drops.count(), dropped, "{outcome}: values dropped");
    map.insert(Touchy(2), drops.make(2));
    assert_eq!(keys(&map), [1, 2, 3], "{outcome}: 2 again");
    outcome
}
