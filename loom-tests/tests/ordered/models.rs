//! The loom models of the ordered structures, written once: every function
//! here is one model, generic over the [`Flavour`] (the raw structure) it
//! runs on. `tests/list.rs` and `tests/skiplist.rs` include this file and
//! expand [`ordered_models!`] with their flavour, their preemption bound,
//! and, per model, the protocol paths it must reach on that structure.
//!
//! Comments about *tall* and *short* nodes concern the skiplist, whose
//! towers under loom alternate per thread: each thread's 1st, 3rd, ...
//! insert makes a 2-level node, its 2nd, 4th, ... a 1-level one. On the
//! list every node is one link.

use lazuli::coverage::Path;
use lazuli::ordered::{Flavour, OrderedMap, OrderedSet};
use lazuli_loom_tests::{explore, explore_outcomes, spawn_on};
use loom::sync::Arc;

/// Expands one `#[test]` per model: `ordered_models!(Flavour, "name",
/// BOUND, { model: [PATH, ...], ... })`.
#[macro_export]
macro_rules! ordered_models {
    ($flavour:ty, $name:literal, $bound:expr, { $($model:ident: [$($path:expr),* $(,)?]),* $(,)? }) => {
        $(
            #[test]
            fn $model() {
                models::$model::<$flavour>(models::Run {
                    name: $name,
                    bound: $bound,
                    reaches: &[$(&$path),*],
                });
            }
        )*
    };
}

/// The preemption bound of every model: at least 2, since the races need a
/// thread preempted once in its search and once between its lock and its
/// validation (or, on the skiplist, between its two levels).
pub const BOUND: usize = 3;

/// One model's run: the structure's name, the preemption bound, and the
/// paths the model must reach on that structure.
pub struct Run<'a> {
    pub name: &'static str,
    pub bound: usize,
    pub reaches: &'a [&'static Path],
}

impl Run<'_> {
    /// Explores `model`, titled `"{name}: {what}"`.
    fn explore(self, what: &str, model: impl Fn() + Sync + Send + 'static) {
        let title = format!("{}: {what}", self.name);
        explore(&title, self.bound, self.reaches, model);
    }

    /// Explores `model`, which returns the outcome each execution
    /// observed, and asserts that every one of `outcomes` was observed
    /// (see [`explore_outcomes`]).
    fn explore_outcomes(
        self,
        what: &str,
        outcomes: &[&'static str],
        model: impl Fn() -> &'static str + Sync + Send + 'static,
    ) {
        let title = format!("{}: {what}", self.name);
        explore_outcomes(&title, self.bound, self.reaches, outcomes, model);
    }
}

type Map<F> = OrderedMap<u32, u32, F>;
type Set<F> = OrderedSet<u32, F>;

fn keys<F: Flavour>(map: &Map<F>) -> Vec<u32> {
    map.iter().map(|e| *e.key()).collect()
}

fn elements<F: Flavour>(set: &Set<F>) -> Vec<u32> {
    set.iter().map(|e| *e).collect()
}

pub fn insert_insert_same_key_makes_one_node<F: Flavour>(run: Run<'_>)
where
    Map<F>: Send + Sync,
{
    run.explore("insert(1) || insert(1)", || {
        let map = Arc::new(Map::<F>::new());
        map.insert(2, 0); // a successor; main's 1st insert: tall

        // The spawned thread's 1st insert is tall, so the main thread can
        // meet it half-linked.
        let other = spawn_on(&map, |map| *map.insert(1, 10).value());
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
    });
}

pub fn get_or_insert_get_or_insert_agree<F: Flavour>(run: Run<'_>)
where
    Map<F>: Send + Sync,
{
    run.explore("get_or_insert(1) || get_or_insert(1)", || {
        let map = Arc::new(Map::<F>::new());
        let other = spawn_on(&map, |map| *map.get_or_insert(1, 10).value());
        let mine = *map.get_or_insert(1, 20).value();
        let theirs = other.join().unwrap();
        assert_eq!(mine, theirs, "both callers must see the one inserted value");
        assert_eq!(keys(&map), [1]);
        assert_eq!(map.len(), 1);
    });
}

pub fn insert_remove_same_key<F: Flavour>(run: Run<'_>)
where
    Map<F>: Send + Sync,
{
    run.explore("insert(1) || remove(1)", || {
        let map = Arc::new(Map::<F>::new());
        let other = spawn_on(&map, |map| map.remove(&1).map(|e| *e.value()));
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
    });
}

pub fn insert_remove_neighbours<F: Flavour>(run: Run<'_>)
where
    Map<F>: Send + Sync,
{
    run.explore("insert(1) || remove(2)", || {
        let map = Arc::new(Map::<F>::new());
        map.insert(2, 0); // tall
        map.insert(3, 0); // short
        let other = spawn_on(&map, |map| map.remove(&2).is_some());
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
    });
}

pub fn remove_remove_one_winner<F: Flavour>(run: Run<'_>)
where
    Set<F>: Send + Sync,
{
    run.explore("remove(1) || remove(1)", || {
        let set = Arc::new(Set::<F>::new());
        set.insert(1); // tall
        set.insert(2); // short
        let other = spawn_on(&set, |set| set.remove(&1).is_some());
        let mine = set.remove(&1).is_some();
        let theirs = other.join().unwrap();
        assert!(
            mine ^ theirs,
            "exactly one remover must win: mine {mine}, theirs {theirs}"
        );
        assert_eq!(elements(&set), [2]);
        assert_eq!(set.len(), 1);
    });
}

pub fn remove_remove_adjacent<F: Flavour>(run: Run<'_>)
where
    Set<F>: Send + Sync,
{
    run.explore("remove(1) || remove(2)", || {
        let set = Arc::new(Set::<F>::new());
        set.insert(1); // tall: the predecessor of 2 at level 0
        set.insert(2); // short
        set.insert(3); // tall
        let other = spawn_on(&set, |set| set.remove(&2).is_some());
        let mine = set.remove(&1).is_some();
        assert!(
            mine && other.join().unwrap(),
            "both removes of present keys must succeed"
        );
        assert_eq!(
            elements(&set),
            [3],
            "adjacent removes must not resurrect a node"
        );
        assert_eq!(set.len(), 1);
    });
}

pub fn remove_get<F: Flavour>(run: Run<'_>)
where
    Set<F>: Send + Sync,
{
    run.explore("remove(1) || contains(1), get(2)", || {
        let set = Arc::new(Set::<F>::new());
        set.insert(1); // tall
        set.insert(2); // short, behind the victim at level 0
        let other = spawn_on(&set, |set| (set.contains(&1), set.get(&2).map(|e| *e)));
        assert!(set.remove(&1).is_some());
        let (_one, two) = other.join().unwrap();
        assert_eq!(
            two,
            Some(2),
            "2 is present throughout: a lookup passing the removal of 1 must find it"
        );
        assert!(!set.contains(&1), "1 is gone after its remove returned");
    });
}

/// The replacing insert takes its path in every execution, so the model
/// shows it reached the race by what the reader saw: the old value in some
/// executions, the new one in others.
pub fn replace_get<F: Flavour>(run: Run<'_>)
where
    Map<F>: Send + Sync,
{
    const OLD: &str = "get saw the old value";
    const NEW: &str = "get saw the new value";
    run.explore_outcomes("insert(1, new) || get(1)", &[OLD, NEW], || {
        let map = Arc::new(Map::<F>::new());
        map.insert(1, 10);
        let other = spawn_on(&map, |map| map.get(&1).map(|e| *e.value()));
        map.insert(1, 20);
        let seen = other.join().unwrap();
        assert!(
            matches!(seen, Some(10) | Some(20)),
            "a get during a replacement must see the old or new value, never miss the key: {seen:?}"
        );
        assert_eq!(*map.get(&1).unwrap().value(), 20);
        if seen == Some(10) {
            OLD
        } else {
            NEW
        }
    });
}

pub fn replace_remove<F: Flavour>(run: Run<'_>)
where
    Map<F>: Send + Sync,
{
    run.explore("insert(1, new) || remove(1)", || {
        let map = Arc::new(Map::<F>::new());
        map.insert(1, 10);
        let other = spawn_on(&map, |map| map.remove(&1).map(|e| *e.value()));
        map.insert(1, 20);
        let removed = other.join().unwrap();
        after_a_write_of_20_and_a_remove(&map, removed);
    });
}

/// The skiplist's only: its replacement swings the predecessors' links and
/// must revalidate them. The list replaces in place under the node's own
/// lock, so on the list this races nothing (see `tests/list.rs`).
#[allow(dead_code)] // not expanded for the list
pub fn replace_insert_before<F: Flavour>(run: Run<'_>)
where
    Map<F>: Send + Sync,
{
    run.explore("insert(1, new) || insert(0)", || {
        let map = Arc::new(Map::<F>::new());
        // Tall: a skiplist replacement swings two levels. The new 0 becomes
        // 1's predecessor at level 0 (and at level 1, if tall): a replacement
        // that found the head there must validate, fail, and search again.
        map.insert(1, 10);
        let other = spawn_on(&map, |map| *map.insert(0, 0).value());
        let shown = *map.insert(1, 20).value();
        assert_eq!(other.join().unwrap(), 0);
        assert_eq!(shown, 20);
        let left: Vec<(u32, u32)> = map.iter().map(|e| (*e.key(), *e.value())).collect();
        assert_eq!(left, [(0, 0), (1, 20)], "both writes landed, once each");
        assert_eq!(map.len(), 2);
    });
}

/// As in [`replace_get`], the replacement's path is taken in every
/// execution; the outcomes show the iterator passing key 1 both before and
/// after its replacement.
pub fn iterate_while_replacing<F: Flavour>(run: Run<'_>)
where
    Map<F>: Send + Sync,
{
    const OLD: &str = "iterator saw 1's old value";
    const NEW: &str = "iterator saw 1's new value";
    run.explore_outcomes("iter() || insert(1, new)", &[OLD, NEW], || {
        let map = Arc::new(Map::<F>::new());
        map.insert(1, 10);
        map.insert(2, 20);
        let other = spawn_on(&map, |map| {
            map.iter()
                .map(|e| (*e.key(), *e.value()))
                .collect::<Vec<_>>()
        });
        map.insert(1, 11);
        let seen = other.join().unwrap();
        assert!(
            seen == [(1, 10), (2, 20)] || seen == [(1, 11), (2, 20)],
            "an iterator yields each present key once, with a value it held: {seen:?}"
        );
        if seen[0] == (1, 10) {
            OLD
        } else {
            NEW
        }
    });
}

/// The outcomes of a write of 20 to key 1 (held 10) racing its remove:
/// either the remove came first and took 10, and the write found the key
/// absent and inserted 20; or the write came first and the remove took 20.
fn after_a_write_of_20_and_a_remove<F: Flavour>(map: &Map<F>, removed: Option<u32>) {
    let left: Vec<(u32, u32)> = map.iter().map(|e| (*e.key(), *e.value())).collect();
    match removed {
        Some(10) => assert_eq!(left, [(1, 20)], "the write after the remove was lost"),
        Some(20) => assert!(left.is_empty(), "removed, yet present: {left:?}"),
        other => panic!("remove of a present key returned {other:?}"),
    }
}

pub fn pop_front_pop_back_split_two<F: Flavour>(run: Run<'_>)
where
    Set<F>: Send + Sync,
{
    run.explore("pop_front || pop_back", || {
        let set = Arc::new(Set::<F>::new());
        set.insert(1); // tall
        set.insert(2); // short
        let other = spawn_on(&set, |set| set.pop_back().map(|e| *e));
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
    });
}

pub fn get_or_insert_meets_its_key_being_removed<F: Flavour>(run: Run<'_>)
where
    Map<F>: Send + Sync,
{
    run.explore("get_or_insert(1) || remove(1), 1 present", || {
        let map = Arc::new(Map::<F>::new());
        map.insert(1, 10); // main's 1st insert: tall

        // The inserter is the spawned thread: it searches first, so loom's
        // DPOR explores it meeting the node marked but linked.
        let inserter = spawn_on(&map, |map| *map.get_or_insert(1, 20).value());
        let removed = map.remove(&1).map(|e| *e.value());
        let got = inserter.join().unwrap();
        assert_eq!(removed, Some(10), "the one remover of a present key wins");
        match got {
            // get_or_insert first: it kept 10, and the remove took it.
            10 => assert!(keys(&map).is_empty(), "removed, yet present"),
            // remove first: the key was absent, so 20 went in.
            20 => {
                assert_eq!(keys(&map), [1]);
                assert_eq!(*map.get(&1).unwrap().value(), 20);
            }
            other => panic!("get_or_insert returned a value never inserted: {other}"),
        }
    });
}

pub fn entry_remove_races_a_remove<F: Flavour>(run: Run<'_>)
where
    Map<F>: Send + Sync,
{
    run.explore("get(1).remove() || remove(1)", || {
        let map = Arc::new(Map::<F>::new());
        map.insert(1, 10);
        map.insert(2, 0); // a successor, so the unlink has a link to move
        let entry_remover = spawn_on(&map, |map| map.get(&1).is_some_and(|e| e.remove()));
        let removed = map.remove(&1).map(|e| *e.value());
        let by_entry = entry_remover.join().unwrap();
        assert!(
            by_entry ^ removed.is_some(),
            "exactly one of the two removes wins: entry {by_entry}, remove {removed:?}"
        );
        assert_eq!(removed.unwrap_or(10), 10);
        assert_eq!(keys(&map), [2]);
        assert_eq!(map.len(), 1);
    });
}

pub fn pop_back_races_an_append<F: Flavour>(run: Run<'_>)
where
    Set<F>: Send + Sync,
{
    run.explore("pop_back || insert(2), 1 present", || {
        let set = Arc::new(Set::<F>::new());
        set.insert(1); // main's 1st insert: tall
        let popper = spawn_on(&set, |set| set.pop_back().map(|e| *e));
        set.insert(2); // main's 2nd insert: short
        let popped = popper.join().unwrap();
        // Before the append pop_back takes 1, after it 2; never nothing.
        let left = match popped {
            Some(1) => [2],
            Some(2) => [1],
            other => panic!("pop_back of a set never empty returned {other:?}"),
        };
        assert_eq!(elements(&set), left);
        assert_eq!(set.len(), 1);
    });
}

pub fn compare_insert_remove<F: Flavour>(run: Run<'_>)
where
    Map<F>: Send + Sync,
{
    run.explore("compare_insert(1, 20 if 10) || remove(1), 1 -> 10", || {
        let map = Arc::new(Map::<F>::new());
        map.insert(1, 10);
        let replacer = spawn_on(&map, |map| {
            *map.compare_insert(1, 20, |old| *old == 10).value()
        });
        let removed = map.remove(&1).map(|e| *e.value());
        let shown = replacer.join().unwrap();
        assert_eq!(
            shown, 20,
            "10 is replaced, or the key is absent: 20 either way"
        );
        after_a_write_of_20_and_a_remove(&map, removed);
    });
}

pub fn lower_bound_insert<F: Flavour>(run: Run<'_>)
where
    Set<F>: Send + Sync,
{
    run.explore("lower_bound(>= 2) || insert(2); remove(3), {1, 3}", || {
        let set = Arc::new(Set::<F>::new());
        set.insert(1); // tall
        set.insert(3); // short
        let reader = spawn_on(&set, |set| {
            set.lower_bound(core::ops::Bound::Included(&2)).map(|e| *e)
        });
        set.insert(2); // main's 3rd insert: tall
        assert_eq!(set.remove(&3).map(|e| *e), Some(3));
        let bound = reader.join().unwrap();
        // Before the insert: 3; after it: 2 (3 is removed only after 2 is in).
        assert!(
            matches!(bound, Some(2) | Some(3)),
            "the smallest key >= 2 is 2 or 3, got {bound:?}"
        );
        assert_eq!(elements(&set), [1, 2]);
    });
}

pub fn range_remove<F: Flavour>(run: Run<'_>)
where
    Set<F>: Send + Sync,
{
    run.explore("range(1..=3) || remove(2), {1, 2, 3}", || {
        let set = Arc::new(Set::<F>::new());
        for k in 1..=3 {
            set.insert(k);
        }
        let reader = spawn_on(&set, |set| {
            set.range(1..=3).map(|e| *e).collect::<Vec<u32>>()
        });
        assert_eq!(set.remove(&2).map(|e| *e), Some(2));
        let seen = reader.join().unwrap();
        // 1 and 3 are present throughout, so they come out; 2 may or may not.
        assert!(
            seen == [1, 2, 3] || seen == [1, 3],
            "range yielded {seen:?}"
        );
        assert_eq!(elements(&set), [1, 3]);
    });
}

pub fn clear_insert<F: Flavour>(run: Run<'_>)
where
    Map<F>: Send + Sync,
{
    run.explore("clear() || insert(2), {1}", || {
        let map = Arc::new(Map::<F>::new());
        map.insert(1, 10);
        let clearer = spawn_on(&map, |map| map.clear());
        map.insert(2, 20);
        clearer.join().unwrap();
        // clear removes what it meets: 1 always, 2 if it was there in time.
        let left = keys(&map);
        assert!(left.is_empty() || left == [2], "left after clear: {left:?}");
        assert_eq!(map.len(), left.len());
    });
}

pub fn front_pop_front<F: Flavour>(run: Run<'_>)
where
    Set<F>: Send + Sync,
{
    run.explore("front || pop_front", || {
        let set = Arc::new(Set::<F>::new());
        set.insert(1);
        set.insert(2);
        let other = spawn_on(&set, |set| set.front().map(|e| *e));
        assert_eq!(set.pop_front().map(|e| *e), Some(1));
        let front = other.join().unwrap();
        assert!(
            matches!(front, Some(1) | Some(2)),
            "front of a set never empty must be 1 or 2, got {front:?}"
        );
    });
}

/// The outcomes show the resumed iterator overtaking the writer (it saw
/// neither key), meeting it between its inserts (1 only) and following it
/// (both).
pub fn a_resumed_iterator_follows_an_appending_writer<F: Flavour>(run: Run<'_>)
where
    Map<F>: Send + Sync,
{
    const NEITHER: &str = "resumed iterator saw neither key";
    const FIRST: &str = "resumed iterator saw 1 only";
    const BOTH: &str = "resumed iterator saw 1 and 2";
    let outcomes = &[NEITHER, FIRST, BOTH];
    run.explore_outcomes(
        "iter resumed from 0 || insert(1); insert(2)",
        outcomes,
        || {
            let map = Arc::new(Map::<F>::new());
            map.insert(0, 0); // tall

            // The reader is the spawned thread and the writer the main one, so
            // that loom's first schedule runs the writer's stores before the
            // reader's loads and its DPOR explores the other orders from there.
            let reader = spawn_on(&map, |map| {
                let mut iter = map.iter();
                assert_eq!(iter.next().map(|e| *e.key()), Some(0));
                // Resumed from node 0 while the writer runs.
                (0..2)
                    .filter_map(|_| iter.next().map(|e| *e.key()))
                    .collect::<Vec<u32>>()
            });
            // The main thread's 2nd insert is short and its 3rd tall; either is
            // linked at level 0 a moment before it is fully linked.
            map.insert(1, 1);
            map.insert(2, 2);
            let seen = reader.join().unwrap();
            // 1's insert completed before 2's began: 2 never comes out first.
            assert!(
                seen.is_empty() || seen == [1] || seen == [1, 2],
                "a key appended before a later one was skipped: {seen:?}"
            );
            [NEITHER, FIRST, BOTH][seen.len()]
        },
    );
}
