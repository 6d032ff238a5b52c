//! loom models of the lazy skiplist's protocol (`src/skiplist/`, reusing
//! `src/lazy/`).
//!
//! Under `cfg(loom)` towers have at most 2 levels, node locks are
//! loom-visible spin locks that yield, and tower heights are deterministic
//! per loom thread: each thread's 1st, 3rd, ... insert makes a 2-level node
//! and its 2nd, 4th, ... a 1-level node (see `src/skiplist/node.rs`). So
//! every model below states which nodes are tall, and loom explores every
//! interleaving of searches, lock acquisitions, validations, bottom-up links,
//! marks and top-down unlinks, including the window in which a tall node is
//! linked at level 0 but not yet at level 1 (not yet fully linked).
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test --release \
//!     --manifest-path loom-tests/Cargo.toml --target-dir target/loom --test skiplist
//! RUSTFLAGS="--cfg loom --cfg crossbeam_loom" cargo test --release \
//!     --manifest-path loom-tests/Cargo.toml --target-dir target/loom-epoch --test skiplist
//! ```
//!
//! Each model prints its execution count and time, and asserts that it
//! reached the protocol paths it names.
#![cfg(loom)]

use lazuli::skiplist::paths::*;
use lazuli::skiplist::{SkipMap, SkipSet};
use lazuli_loom_tests::explore;
use loom::sync::Arc;
use loom::thread;

/// The preemption bound of every model here: at least 2, since the races
/// need a thread preempted once in its search and once between its lock and
/// its validation (or between its two levels).
const BOUND: usize = 3;

fn keys<V>(map: &SkipMap<u32, V>) -> Vec<u32> {
    map.iter().map(|e| *e.key()).collect()
}

#[test]
fn insert_insert_same_key_makes_one_node() {
    explore(
        "skiplist: insert(1) || insert(1)",
        BOUND,
        &[&VALUE_REPLACED, &INSERT_WAITED_FOR_INSERTER],
        || {
            let map = Arc::new(SkipMap::new());
            map.insert(2, 0); // main's 1st insert: tall
            let other = {
                let map = map.clone();
                // the spawned thread's 1st insert: tall, so the main thread
                // can meet it half-linked
                thread::spawn(move || *map.insert(1, 10).value())
            };
            let mine = *map.insert(1, 20).value(); // main's 2nd: short
            let theirs = other.join().unwrap();
            assert_eq!(
                (mine, theirs),
                (20, 10),
                "each insert's entry shows its own value"
            );
            assert_eq!(keys(&map), [1, 2], "exactly one node for key 1");
            let now = *map.get(&1).unwrap().value();
            assert!(
                now == 10 || now == 20,
                "the value is an inserted one: {now}"
            );
            assert_eq!(map.len(), 2);
        },
    );
}

#[test]
fn get_or_insert_get_or_insert_agree() {
    explore(
        "skiplist: get_or_insert(1) || get_or_insert(1)",
        BOUND,
        &[&VALIDATION_FAILED],
        || {
            let map = Arc::new(SkipMap::new());
            let other = {
                let map = map.clone();
                thread::spawn(move || *map.get_or_insert(1, 10).value())
            };
            let mine = *map.get_or_insert(1, 20).value();
            let theirs = other.join().unwrap();
            assert_eq!(mine, theirs, "both callers must see the one inserted value");
            assert_eq!(keys(&map), [1]);
            assert_eq!(map.len(), 1);
        },
    );
}

#[test]
fn insert_remove_same_key_including_the_half_linked_window() {
    explore(
        "skiplist: insert(1) || remove(1)",
        BOUND,
        &[&REMOVE_SAW_NOT_LIVE],
        || {
            let map = Arc::new(SkipMap::new());
            let other = {
                let map = map.clone();
                thread::spawn(move || map.remove(&1).map(|e| *e.value()))
            };
            map.insert(1, 7); // main's 1st insert: tall (two links to make)
            match other.join().unwrap() {
                Some(v) => {
                    assert_eq!(v, 7, "remove returned a value never inserted");
                    assert!(
                        keys(&map).is_empty(),
                        "removed after the insert, yet present"
                    );
                    assert_eq!(map.len(), 0);
                }
                None => {
                    assert_eq!(
                        keys(&map),
                        [1],
                        "the remove found nothing, so the insert remains"
                    );
                    assert_eq!(map.len(), 1);
                }
            }
        },
    );
}

#[test]
fn insert_remove_neighbours() {
    explore(
        "skiplist: insert(1) || remove(2)",
        BOUND,
        &[&VALIDATION_FAILED, &LOCK_CONTENDED],
        || {
            let map = Arc::new(SkipMap::new());
            map.insert(2, 0); // tall
            map.insert(3, 0); // short
            let other = {
                let map = map.clone();
                thread::spawn(move || map.remove(&2).is_some())
            };
            map.insert(1, 0); // tall: its level-1 successor is the victim
            assert!(
                other.join().unwrap(),
                "2 was present and removed by nobody else"
            );
            assert_eq!(
                keys(&map),
                [1, 3],
                "an insert next to a remove must not be lost or undo it"
            );
            assert_eq!(map.len(), 2);
        },
    );
}

#[test]
fn remove_remove_one_winner() {
    explore(
        "skiplist: remove(1) || remove(1)",
        BOUND,
        &[&REMOVE_LOST_RACE, &LOCK_CONTENDED],
        || {
            let set = Arc::new(SkipSet::new());
            set.insert(1); // tall
            set.insert(2); // short
            let other = {
                let set = set.clone();
                thread::spawn(move || set.remove(&1).is_some())
            };
            let mine = set.remove(&1).is_some();
            let theirs = other.join().unwrap();
            assert!(
                mine ^ theirs,
                "exactly one remover must win: mine {mine}, theirs {theirs}"
            );
            assert_eq!(set.iter().map(|e| *e).collect::<Vec<_>>(), [2]);
            assert_eq!(set.len(), 1);
        },
    );
}

#[test]
fn remove_remove_adjacent() {
    explore(
        "skiplist: remove(1) || remove(2)",
        BOUND,
        &[&REMOVE_REVALIDATED],
        || {
            let set = Arc::new(SkipSet::new());
            set.insert(1); // tall: the predecessor of 2 at level 0
            set.insert(2); // short
            set.insert(3); // tall
            let other = {
                let set = set.clone();
                thread::spawn(move || set.remove(&2).is_some())
            };
            let mine = set.remove(&1).is_some();
            assert!(
                mine && other.join().unwrap(),
                "both removes of present keys must succeed"
            );
            assert_eq!(
                set.iter().map(|e| *e).collect::<Vec<_>>(),
                [3],
                "adjacent removes must not resurrect a node"
            );
            assert_eq!(set.len(), 1);
        },
    );
}

#[test]
fn remove_get() {
    explore(
        "skiplist: remove(1) || get(1), get(2)",
        BOUND,
        &[&LOOKUP_SAW_NOT_LIVE],
        || {
            let set = Arc::new(SkipSet::new());
            set.insert(1); // tall
            set.insert(2); // short, behind the victim at level 0
            let other = {
                let set = set.clone();
                thread::spawn(move || (set.contains(&1), set.get(&2).map(|e| *e)))
            };
            assert!(set.remove(&1).is_some());
            let (_one, two) = other.join().unwrap();
            assert_eq!(
                two,
                Some(2),
                "2 is present throughout: a lookup passing the removal of 1 must find it"
            );
            assert!(!set.contains(&1), "1 is gone after its remove returned");
        },
    );
}

#[test]
fn replace_get() {
    explore(
        "skiplist: insert(1, new) || get(1)",
        BOUND,
        &[&VALUE_REPLACED],
        || {
            let map = Arc::new(SkipMap::new());
            map.insert(1, 10);
            let other = {
                let map = map.clone();
                thread::spawn(move || map.get(&1).map(|e| *e.value()))
            };
            map.insert(1, 20);
            let seen = other.join().unwrap();
            assert!(
                matches!(seen, Some(10) | Some(20)),
                "a get during a replacement must see the old or new value, never miss the key: {seen:?}"
            );
            assert_eq!(*map.get(&1).unwrap().value(), 20);
        },
    );
}

#[test]
fn replace_remove() {
    explore(
        "skiplist: insert(1, new) || remove(1)",
        BOUND,
        &[&VALUE_REPLACED, &REPLACE_SAW_CHANGE],
        || {
            let map = Arc::new(SkipMap::new());
            map.insert(1, 10);
            let other = {
                let map = map.clone();
                thread::spawn(move || map.remove(&1).map(|e| *e.value()))
            };
            map.insert(1, 20);
            let removed = other.join().unwrap();
            let left: Vec<(u32, u32)> = map.iter().map(|e| (*e.key(), *e.value())).collect();
            match removed {
                Some(10) => assert_eq!(left, [(1, 20)], "the insert after the remove was lost"),
                Some(20) => assert!(left.is_empty(), "removed, yet present: {left:?}"),
                other => panic!("remove of a present key returned {other:?}"),
            }
        },
    );
}

#[test]
fn pop_front_pop_back_split_two() {
    explore(
        "skiplist: pop_front || pop_back",
        BOUND,
        &[&LOCK_CONTENDED],
        || {
            let set = Arc::new(SkipSet::new());
            set.insert(1); // tall
            set.insert(2); // short
            let other = {
                let set = set.clone();
                thread::spawn(move || set.pop_back().map(|e| *e))
            };
            let mine = set.pop_front().map(|e| *e);
            let theirs = other.join().unwrap();
            let mut got: Vec<u32> = mine.into_iter().chain(theirs).collect();
            got.sort();
            assert_eq!(
                got,
                [1, 2],
                "each element popped exactly once: front {mine:?}, back {theirs:?}"
            );
            assert!(set.is_empty());
        },
    );
}

#[test]
fn front_pop_front() {
    explore(
        "skiplist: front || pop_front",
        BOUND,
        &[&ORDERED_QUERY_RETRIED],
        || {
            let set = Arc::new(SkipSet::new());
            set.insert(1);
            set.insert(2);
            let other = {
                let set = set.clone();
                thread::spawn(move || set.front().map(|e| *e))
            };
            assert_eq!(set.pop_front().map(|e| *e), Some(1));
            let front = other.join().unwrap();
            assert!(
                matches!(front, Some(1) | Some(2)),
                "front of a set never empty must be 1 or 2, got {front:?}"
            );
        },
    );
}
