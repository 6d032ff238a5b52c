//! loom models of the lazy list's protocol (`src/list/`, `src/lazy/`).
//!
//! Under `cfg(loom)` the node locks are loom-visible spin locks that yield
//! (see `src/lazy/lock.rs`), so loom explores every interleaving of searches,
//! lock acquisitions, validations, marks, links and unlinks, with the
//! preemption bound given to each model.
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test --release \
//!     --manifest-path loom-tests/Cargo.toml --target-dir target/loom --test list
//! # with the epoch collector modelled too (retired nodes are then freed
//! # inside the model):
//! RUSTFLAGS="--cfg loom --cfg crossbeam_loom" cargo test --release \
//!     --manifest-path loom-tests/Cargo.toml --target-dir target/loom-epoch --test list
//! ```
//!
//! Each model prints its execution count and time.
#![cfg(loom)]

use lazuli::list::paths::*;
use lazuli::list::{ListMap, ListSet};
use lazuli_loom_tests::explore;
use loom::sync::Arc;
use loom::thread;

/// The preemption bound of every model here (at least 2, as the protocol's
/// races need a thread to be preempted once in its search and once between
/// its lock and its validation).
const BOUND: usize = 3;

fn keys<V>(map: &ListMap<u32, V>) -> Vec<u32> {
    map.iter().map(|e| *e.key()).collect()
}

#[test]
fn insert_insert_same_key_makes_one_node() {
    explore(
        "list: insert(1) || insert(1)",
        BOUND,
        &[&VALUE_REPLACED, &VALIDATION_FAILED],
        || {
            let map = Arc::new(ListMap::new());
            map.insert(2, 0); // a successor, so the window is head → 2
            let other = {
                let map = map.clone();
                thread::spawn(move || *map.insert(1, 10).value())
            };
            let mine = *map.insert(1, 20).value();
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
                "the value is one of the inserted ones: {now}"
            );
            assert_eq!(map.len(), 2);
        },
    );
}

#[test]
fn get_or_insert_get_or_insert_agree() {
    explore(
        "list: get_or_insert(1) || get_or_insert(1)",
        BOUND,
        &[&VALIDATION_FAILED],
        || {
            let map = Arc::new(ListMap::new());
            let other = {
                let map = map.clone();
                thread::spawn(move || *map.get_or_insert(1, 10).value())
            };
            let mine = *map.get_or_insert(1, 20).value();
            let theirs = other.join().unwrap();
            assert_eq!(
                mine, theirs,
                "both callers must see the one value that was inserted"
            );
            assert_eq!(keys(&map), [1]);
            assert_eq!(map.len(), 1);
        },
    );
}

#[test]
fn insert_remove_neighbours() {
    explore(
        "list: insert(1) || remove(2)",
        BOUND,
        &[&VALIDATION_FAILED, &LOCK_CONTENDED],
        || {
            let map = Arc::new(ListMap::new());
            map.insert(2, 0);
            map.insert(3, 0);
            let other = {
                let map = map.clone();
                thread::spawn(move || map.remove(&2).is_some())
            };
            map.insert(1, 0);
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
fn insert_remove_same_key() {
    explore("list: insert(1) || remove(1)", BOUND, &[], || {
        let map = Arc::new(ListMap::new());
        let other = {
            let map = map.clone();
            thread::spawn(move || map.remove(&1).map(|e| *e.value()))
        };
        map.insert(1, 7);
        match other.join().unwrap() {
            Some(v) => {
                assert_eq!(v, 7, "remove returned a value never inserted");
                assert!(
                    keys(&map).is_empty(),
                    "removed after the insert, yet present"
                );
            }
            None => assert_eq!(
                keys(&map),
                [1],
                "the remove found nothing, so the insert must remain"
            ),
        }
    });
}

#[test]
fn remove_remove_one_winner() {
    explore(
        "list: remove(1) || remove(1)",
        BOUND,
        &[&VALIDATION_FAILED, &LOCK_CONTENDED],
        || {
            let set = Arc::new(ListSet::new());
            set.insert(1);
            set.insert(2);
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
        "list: remove(1) || remove(2)",
        BOUND,
        &[&VALIDATION_FAILED],
        || {
            let set = Arc::new(ListSet::new());
            for k in 1..=3 {
                set.insert(k);
            }
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
        },
    );
}

#[test]
fn remove_contains() {
    explore(
        "list: remove(1) || contains(1), contains(2)",
        BOUND,
        &[&LOOKUP_SAW_MARKED],
        || {
            let set = Arc::new(ListSet::new());
            set.insert(1);
            set.insert(2);
            let other = {
                let set = set.clone();
                thread::spawn(move || (set.contains(&1), set.contains(&2)))
            };
            assert!(set.remove(&1).is_some());
            let (_one, two) = other.join().unwrap();
            assert!(
                two,
                "2 is present throughout: a lookup passing the removal of 1 must still find it"
            );
            assert!(!set.contains(&1), "1 is gone after its remove returned");
        },
    );
}

#[test]
fn replace_get() {
    explore(
        "list: insert(1, new) || get(1)",
        BOUND,
        &[&VALUE_REPLACED],
        || {
            let map = Arc::new(ListMap::new());
            map.insert(1, 10);
            let other = {
                let map = map.clone();
                thread::spawn(move || map.get(&1).map(|e| *e.value()))
            };
            map.insert(1, 20);
            let seen = other.join().unwrap();
            assert!(
                matches!(seen, Some(10) | Some(20)),
                "a get during a replacement must see the old or new value, saw {seen:?}"
            );
            assert_eq!(*map.get(&1).unwrap().value(), 20);
        },
    );
}

#[test]
fn pop_front_pop_back_split_two() {
    explore(
        "list: pop_front || pop_back",
        BOUND,
        &[&VALIDATION_FAILED],
        || {
            let set = Arc::new(ListSet::new());
            set.insert(1);
            set.insert(2);
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
fn replace_remove() {
    explore(
        "list: insert(1, new) || remove(1)",
        BOUND,
        &[&REPLACE_SAW_CHANGE, &VALUE_REPLACED],
        || {
            let map = Arc::new(ListMap::new());
            map.insert(1, 10);
            let other = {
                let map = map.clone();
                thread::spawn(move || map.remove(&1).map(|e| *e.value()))
            };
            map.insert(1, 20);
            let removed = other.join().unwrap();
            let left: Vec<(u32, u32)> = map.iter().map(|e| (*e.key(), *e.value())).collect();
            match removed {
                // The remove came first: the insert found the key absent.
                Some(10) => assert_eq!(left, [(1, 20)], "the insert after the remove was lost"),
                // The replacement came first: the remove took the new value.
                Some(20) => assert!(left.is_empty(), "removed, yet present: {left:?}"),
                other => panic!("remove of a present key returned {other:?}"),
            }
        },
    );
}

#[test]
fn front_pop_front() {
    explore(
        "list: front || pop_front",
        BOUND,
        &[&ORDERED_QUERY_RETRIED],
        || {
            let set = Arc::new(ListSet::new());
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
