//! Linearizability of every structure, checked by recording real concurrent
//! histories and searching for a linearization (issue 6).
//!
//! | section | what it proves |
//! |---|---|
//! | the checker on hand-written histories | the search accepts what it must and rejects what it must, without relying on random runs |
//! | reference structures (`Mutex<VecDeque>`, `Mutex<BTreeMap>`, `Mutex<BTreeSet>`) | no false alarms on structures that are linearizable by construction |
//! | `lazuli::Queue` | push/pop/close linearizable, `len` exact when quiescent |
//! | `lazuli::ListMap`, `lazuli::ListSet` | every single-key operation per key; `front`/`back`/`pop_front`/`pop_back` against the whole map |
//! | `lazuli::SkipMap`, `lazuli::SkipSet` | the same |
//! | negative controls | broken structures are caught, so a pass means something |
//!
//! Run with `--nocapture` to see the count of histories and the time per
//! structure. `LINCHECK_SCALE=10` runs ten times as many; `LINCHECK_SEED`
//! replays the plans of a failing run.

mod support;

use std::sync::{Barrier, Mutex};

use support::lincheck::plans::{
    long_map_plan, long_queue_plan, long_set_plan, queue_plan, small_map_plan, small_set_plan,
    whole_map_plan, whole_set_plan,
};
use support::lincheck::subjects::{
    CheckThenDeleteSet, LockedMap, LockedQueue, LockedSet, SwappingQueue, UnlinkThenLinkMap, Window,
};
use support::lincheck::{
    check_per_key, check_whole, explore, histories, record, verdict_of, wgl, History, MapCall,
    MapRet, MapSpec, Plan, QueueCall, QueueRet, QueueSpec, SetCall, SetRet, SetSpec, Subject,
    Verdict,
};

/// How many histories each structure gets: thousands of small ones and a few
/// long ones (checked per key).
const SMALL: usize = 3000;
const WHOLE: usize = 1500;
const LONG: usize = 6;

// ===========================================================================
// The checker on hand-written histories
// ===========================================================================

use QueueCall::{Len, Pop, Push};
use QueueRet::{Popped, Pushed};

fn queue_verdict(ops: &[(usize, QueueCall, QueueRet, u64, u64)]) -> Verdict {
    verdict_of(QueueSpec::default(), ops)
}

#[test]
fn checker_accepts_a_sequential_fifo_history() {
    let verdict = queue_verdict(&[
        (0, Push(1), Pushed(true), 0, 1),
        (0, Push(2), Pushed(true), 2, 3),
        (1, Pop, Popped(Some(1)), 4, 5),
        (1, Pop, Popped(Some(2)), 6, 7),
        (1, Pop, Popped(None), 8, 9),
        (2, Len, QueueRet::Len(0), 10, 11),
    ]);
    assert_eq!(
        verdict,
        Verdict::Linearizable,
        "a plain FIFO history was rejected"
    );
}

#[test]
fn checker_rejects_pops_out_of_push_order() {
    let verdict = queue_verdict(&[
        (0, Push(1), Pushed(true), 0, 1),
        (0, Push(2), Pushed(true), 2, 3),
        (1, Pop, Popped(Some(2)), 4, 5),
    ]);
    assert!(
        verdict.is_violation(),
        "popping 2 before 1 after push(1) returned before push(2) began: {verdict:?}"
    );
}

#[test]
fn checker_lets_overlapping_pushes_pop_in_either_order() {
    let verdict = queue_verdict(&[
        (0, Push(1), Pushed(true), 0, 3),
        (1, Push(2), Pushed(true), 1, 2),
        (2, Pop, Popped(Some(2)), 4, 5),
        (2, Pop, Popped(Some(1)), 6, 7),
    ]);
    assert_eq!(
        verdict,
        Verdict::Linearizable,
        "overlapping pushes may take effect in either order"
    );
}

#[test]
fn checker_rejects_a_pop_of_a_value_from_the_future() {
    let verdict = queue_verdict(&[
        (1, Pop, Popped(Some(1)), 0, 1),
        (0, Push(1), Pushed(true), 2, 3),
    ]);
    assert!(
        verdict.is_violation(),
        "a pop returned a value pushed only after it returned: {verdict:?}"
    );
}

#[test]
fn checker_lets_a_pop_see_an_overlapping_push() {
    let verdict = queue_verdict(&[
        (0, Push(1), Pushed(true), 0, 3),
        (1, Pop, Popped(Some(1)), 1, 2),
    ]);
    assert_eq!(
        verdict,
        Verdict::Linearizable,
        "a pop inside a push's interval may see its value"
    );
}

#[test]
fn checker_rejects_an_empty_pop_while_an_element_sat_in_the_queue() {
    let verdict = queue_verdict(&[
        (0, Push(1), Pushed(true), 0, 1),
        (1, Pop, Popped(None), 2, 3),
        (2, Pop, Popped(Some(1)), 4, 5),
    ]);
    assert!(
        verdict.is_violation(),
        "pop said empty while 1 was queued throughout: {verdict:?}"
    );
}

#[test]
fn checker_rejects_a_wrong_quiescent_len_and_a_push_that_succeeds_after_close() {
    let wrong_len = queue_verdict(&[
        (0, Push(1), Pushed(true), 0, 1),
        (1, Len, QueueRet::Len(0), 2, 3),
    ]);
    assert!(
        wrong_len.is_violation(),
        "len 0 after a completed push: {wrong_len:?}"
    );
    let after_close = queue_verdict(&[
        (0, QueueCall::Close, QueueRet::Closed(true), 0, 1),
        (1, Push(1), Pushed(true), 2, 3),
    ]);
    assert!(
        after_close.is_violation(),
        "push succeeded after close returned: {after_close:?}"
    );
    let racing_close = queue_verdict(&[
        (0, QueueCall::Close, QueueRet::Closed(true), 0, 3),
        (1, Push(1), Pushed(true), 1, 2),
    ]);
    assert_eq!(
        racing_close,
        Verdict::Linearizable,
        "a push overlapping close may still succeed"
    );
}

#[test]
#[should_panic(expected = "meaningful only when quiescent")]
fn recorder_refuses_a_len_that_overlaps_another_operation() {
    let op = |thread, call, ret, invoke, response| support::lincheck::Op::<QueueSpec> {
        thread,
        call,
        ret,
        invoke,
        response,
    };
    let _ = History::new(
        QueueSpec::default(),
        vec![
            op(0, Push(1), Pushed(true), 0, 3),
            op(1, Len, QueueRet::Len(1), 1, 2),
        ],
    );
}

#[test]
fn checker_rejects_a_get_that_misses_a_key_present_throughout() {
    use MapCall::{Get, Insert};
    let ok = verdict_of(
        MapSpec::default(),
        &[
            (0, Insert(1, 10), MapRet::Unit, 0, 1),
            (0, Insert(1, 20), MapRet::Unit, 2, 5),
            (1, Get(1), MapRet::Value(Some(10)), 3, 4),
        ],
    );
    assert_eq!(
        ok,
        Verdict::Linearizable,
        "a get overlapping a replace may see the old value"
    );
    let missed = verdict_of(
        MapSpec::default(),
        &[
            (0, Insert(1, 10), MapRet::Unit, 0, 1),
            (0, Insert(1, 20), MapRet::Unit, 2, 5),
            (1, Get(1), MapRet::Value(None), 3, 4),
        ],
    );
    assert!(
        missed.is_violation(),
        "get(1) = None while 1 was present throughout: {missed:?}"
    );
}

#[test]
fn checker_rejects_two_winning_removes_of_one_key() {
    use SetCall::{Insert, Remove};
    let one_winner = verdict_of(
        SetSpec::default(),
        &[
            (2, Insert(5), SetRet::Unit, 0, 1),
            (0, Remove(5), SetRet::Bool(true), 2, 5),
            (1, Remove(5), SetRet::Bool(false), 3, 4),
        ],
    );
    assert_eq!(
        one_winner,
        Verdict::Linearizable,
        "one concurrent remover wins"
    );
    let two_winners = verdict_of(
        SetSpec::default(),
        &[
            (2, Insert(5), SetRet::Unit, 0, 1),
            (0, Remove(5), SetRet::Bool(true), 2, 5),
            (1, Remove(5), SetRet::Bool(true), 3, 4),
        ],
    );
    assert!(
        two_winners.is_violation(),
        "both removers of one insert won: {two_winners:?}"
    );
}

#[test]
fn checker_checks_whole_map_operations_against_the_whole_map() {
    use MapCall::{Front, Insert, PopFront};
    let ok = verdict_of(
        MapSpec::default(),
        &[
            (0, Insert(2, 20), MapRet::Unit, 0, 1),
            (0, Insert(1, 10), MapRet::Unit, 2, 3),
            (1, Front, MapRet::Entry(Some((1, 10))), 4, 5),
            (1, PopFront, MapRet::Entry(Some((1, 10))), 6, 7),
            (1, PopFront, MapRet::Entry(Some((2, 20))), 8, 9),
        ],
    );
    assert_eq!(
        ok,
        Verdict::Linearizable,
        "front/pop_front in key order were rejected"
    );
    let skipped = verdict_of(
        MapSpec::default(),
        &[
            (0, Insert(2, 20), MapRet::Unit, 0, 1),
            (0, Insert(1, 10), MapRet::Unit, 2, 3),
            (1, PopFront, MapRet::Entry(Some((2, 20))), 4, 5),
        ],
    );
    assert!(
        skipped.is_violation(),
        "pop_front skipped the smaller key 1: {skipped:?}"
    );
}

#[test]
fn per_key_check_names_the_failing_key() {
    use MapCall::{Get, Insert, Remove};
    let op = |thread, call, ret, invoke, response| support::lincheck::Op::<MapSpec> {
        thread,
        call,
        ret,
        invoke,
        response,
    };
    let history = History::new(
        MapSpec::default(),
        vec![
            op(0, Insert(1, 10), MapRet::Unit, 0, 1),
            op(1, Insert(2, 20), MapRet::Unit, 2, 3),
            op(0, Remove(1), MapRet::Value(Some(10)), 4, 7),
            op(1, Get(1), MapRet::Value(Some(10)), 5, 6),
            op(1, Get(2), MapRet::Value(None), 8, 9),
        ],
    );
    let violation = wgl::check_per_key(&history).expect_err("get(2) missed a present key");
    assert_eq!(
        violation.key,
        Some(2),
        "the violation is on key 2, not key 1:\n{violation}"
    );
}

#[test]
fn minimiser_keeps_only_the_operations_that_explain_the_violation() {
    let op = |thread, call, ret, invoke, response| support::lincheck::Op::<QueueSpec> {
        thread,
        call,
        ret,
        invoke,
        response,
    };
    let history = History::new(
        QueueSpec::default(),
        vec![
            op(2, Push(7), Pushed(true), 0, 1),
            op(2, Pop, Popped(Some(7)), 2, 3),
            op(0, Push(1), Pushed(true), 4, 5),
            op(0, Push(2), Pushed(true), 6, 7),
            op(3, Push(8), Pushed(true), 8, 13),
            op(1, Pop, Popped(Some(2)), 9, 10),
            op(1, Pop, Popped(Some(1)), 11, 12),
            op(3, Pop, Popped(Some(8)), 14, 15),
        ],
    );
    let violation = support::lincheck::check_history(&history).expect_err("2 was popped before 1");
    let kept: Vec<QueueCall> = violation.minimal.ops.iter().map(|o| o.call).collect();
    assert_eq!(
        kept,
        vec![Push(1), Push(2), Pop, Pop],
        "the minimum is push(1); push(2); pop = 2; pop = 1, without the 7s and 8s, not:\n{violation}"
    );
}

#[test]
fn checker_handles_a_long_sequential_history_quickly() {
    let n = support::scaled(5000) as u64;
    let mut ops = Vec::new();
    for i in 0..n {
        ops.push((0, Push(i), Pushed(true), 4 * i, 4 * i + 1));
        ops.push((1, Pop, Popped(Some(i)), 4 * i + 2, 4 * i + 3));
    }
    assert_eq!(
        queue_verdict(&ops),
        Verdict::Linearizable,
        "a long alternating push/pop history"
    );
}

#[test]
fn reference_locked_queue_is_linearizable() {
    explore(
        "Mutex<VecDeque> queue",
        histories(SMALL),
        LockedQueue::default,
        queue_plan,
        check_whole,
    )
    .assert_linearizable_and_concurrent();
}

#[test]
fn reference_locked_map_is_linearizable() {
    explore_map("Mutex<BTreeMap>", LockedMap::default);
}

#[test]
fn reference_locked_set_is_linearizable() {
    explore_set("Mutex<BTreeSet>", LockedSet::default);
}

// ===========================================================================
// lazuli::Queue
// ===========================================================================

impl<const CHUNK: usize> Subject<QueueSpec> for lazuli::Queue<u64, CHUNK> {
    fn apply(&self, call: &QueueCall) -> QueueRet {
        match *call {
            Push(v) => match self.push(v) {
                Ok(()) => Pushed(true),
                Err(refused) => {
                    assert_eq!(
                        refused.into_inner(),
                        v,
                        "push handed back a different value"
                    );
                    Pushed(false)
                }
            },
            Pop => Popped(self.pop()),
            QueueCall::Close => QueueRet::Closed(self.close()),
            Len => QueueRet::Len(self.len()),
        }
    }
}

#[test]
fn queue_push_pop_close_are_linearizable_with_default_chunks() {
    explore(
        "lazuli::Queue",
        histories(SMALL),
        lazuli::Queue::<u64>::new,
        queue_plan,
        check_whole,
    )
    .assert_linearizable_and_concurrent();
}

#[test]
fn queue_push_pop_close_are_linearizable_across_chunk_boundaries() {
    // Two- and three-slot chunks: every history appends and retires chunks.
    explore(
        "lazuli::Queue, 2-slot chunks",
        histories(SMALL),
        lazuli::Queue::<u64, 2>::with_chunk_size,
        queue_plan,
        check_whole,
    )
    .assert_linearizable_and_concurrent();
    explore(
        "lazuli::Queue, 3-slot chunks",
        histories(SMALL / 2),
        lazuli::Queue::<u64, 3>::with_chunk_size,
        queue_plan,
        check_whole,
    )
    .assert_linearizable_and_concurrent();
}

#[test]
fn queue_long_histories_are_linearizable() {
    explore(
        "lazuli::Queue, 2-slot chunks, long",
        histories(LONG * 10),
        lazuli::Queue::<u64, 2>::with_chunk_size,
        long_queue_plan,
        check_whole,
    )
    .assert_linearizable();
}

// ===========================================================================
// Ordered maps and sets
//
// `map_subject!`/`set_subject!` adapt any map or set with crossbeam-skiplist
// 0.1's API (`insert` replaces, `get`/`remove`/`front`/`back`/`pop_front`/
// `pop_back` return entries with `.key()`/`.value()`). A structure joins with
// one `map_subject!`/`set_subject!` line and one test calling
// `explore_map`/`explore_set` (small per-key, whole-map and long per-key
// runs). The adapters also run crossbeam-skiplist itself, as a negative
// control. If a method returns a value instead of an entry, edit that arm of
// the macro.
// ===========================================================================

macro_rules! map_subject {
    ($map:ty) => {
        impl Subject<MapSpec> for $map {
            fn apply(&self, call: &MapCall) -> MapRet {
                match *call {
                    MapCall::Insert(k, v) => {
                        self.insert(k, v);
                        MapRet::Unit
                    }
                    MapCall::GetOrInsert(k, v) => {
                        MapRet::Value(Some(*self.get_or_insert(k, v).value()))
                    }
                    MapCall::Get(k) => MapRet::Value(self.get(&k).map(|e| *e.value())),
                    MapCall::Remove(k) => MapRet::Value(self.remove(&k).map(|e| *e.value())),
                    MapCall::ContainsKey(k) => MapRet::Bool(self.contains_key(&k)),
                    MapCall::Front => MapRet::Entry(self.front().map(|e| (*e.key(), *e.value()))),
                    MapCall::Back => MapRet::Entry(self.back().map(|e| (*e.key(), *e.value()))),
                    MapCall::PopFront => {
                        MapRet::Entry(self.pop_front().map(|e| (*e.key(), *e.value())))
                    }
                    MapCall::PopBack => {
                        MapRet::Entry(self.pop_back().map(|e| (*e.key(), *e.value())))
                    }
                    MapCall::Len => MapRet::Len(self.len()),
                }
            }
        }
    };
}

macro_rules! set_subject {
    ($set:ty) => {
        impl Subject<SetSpec> for $set {
            fn apply(&self, call: &SetCall) -> SetRet {
                match *call {
                    SetCall::Insert(k) => {
                        self.insert(k);
                        SetRet::Unit
                    }
                    SetCall::TryInsert(k) => {
                        panic!("this set's insert does not report novelty: use Insert({k})")
                    }
                    SetCall::Remove(k) => SetRet::Bool(self.remove(&k).is_some()),
                    SetCall::Contains(k) => SetRet::Bool(self.contains(&k)),
                    SetCall::Front => SetRet::Key(self.front().map(|e| *e.value())),
                    SetCall::Back => SetRet::Key(self.back().map(|e| *e.value())),
                    SetCall::PopFront => SetRet::Key(self.pop_front().map(|e| *e.value())),
                    SetCall::PopBack => SetRet::Key(self.pop_back().map(|e| *e.value())),
                    SetCall::Len => SetRet::Len(self.len()),
                }
            }
        }
    };
}

map_subject!(crossbeam_skiplist::SkipMap<u64, u64>);
set_subject!(crossbeam_skiplist::SkipSet<u64>);
map_subject!(lazuli::list::ListMap<u64, u64>);
set_subject!(lazuli::list::ListSet<u64>);

/// The three runs every ordered map gets: small histories over 3 keys checked
/// per key, whole-map histories with `front`/`back`/`pop_front`/`pop_back`
/// over 4 keys checked whole, and a few long ones checked per key.
fn explore_map<M: Subject<MapSpec>>(name: &str, make: fn() -> M) {
    explore(
        &format!("{name} per key"),
        histories(SMALL),
        make,
        small_map_plan,
        check_per_key,
    )
    .assert_linearizable_and_concurrent();
    explore(
        &format!("{name} whole map"),
        histories(WHOLE),
        make,
        whole_map_plan,
        check_whole,
    )
    .assert_linearizable_and_concurrent();
    explore(
        &format!("{name} long, per key"),
        histories(LONG),
        make,
        long_map_plan,
        check_per_key,
    )
    .assert_linearizable();
}

/// [`explore_map`] for sets.
fn explore_set<T: Subject<SetSpec>>(name: &str, make: fn() -> T) {
    explore(
        &format!("{name} per key"),
        histories(SMALL),
        make,
        small_set_plan,
        check_per_key,
    )
    .assert_linearizable_and_concurrent();
    explore(
        &format!("{name} whole set"),
        histories(WHOLE),
        make,
        whole_set_plan,
        check_whole,
    )
    .assert_linearizable_and_concurrent();
    explore(
        &format!("{name} long, per key"),
        histories(LONG),
        make,
        long_set_plan,
        check_per_key,
    )
    .assert_linearizable();
}

#[test]
fn list_map_operations_are_linearizable() {
    explore_map("lazuli::ListMap", lazuli::list::ListMap::<u64, u64>::new);
}

#[test]
fn list_set_operations_are_linearizable() {
    explore_set("lazuli::ListSet", lazuli::list::ListSet::<u64>::new);
}

map_subject!(lazuli::skiplist::SkipMap<u64, u64>);
set_subject!(lazuli::skiplist::SkipSet<u64>);

#[test]
fn skip_map_operations_are_linearizable() {
    explore_map(
        "lazuli::SkipMap",
        lazuli::skiplist::SkipMap::<u64, u64>::new,
    );
}

#[test]
fn skip_set_operations_are_linearizable() {
    explore_set("lazuli::SkipSet", lazuli::skiplist::SkipSet::<u64>::new);
}

// ===========================================================================
// Negative controls: broken on purpose (see support::lincheck::subjects). The
// checker MUST report each one.
// ===========================================================================

#[test]
fn negative_control_swapped_queue_elements_are_caught_on_a_fixed_schedule() {
    let plan = Plan::one_round(vec![vec![
        Push(1),
        Push(2),
        Push(3),
        Push(4),
        Pop,
        Pop,
        Pop,
        Pop,
    ]]);
    let history = record(&SwappingQueue::default(), &plan);
    let violation = support::lincheck::check_history(&history)
        .expect_err("4 overtook 3 in a one-thread history");
    println!("lincheck: swapping queue, fixed schedule, caught:\n{violation}");
}

#[test]
// Needs many schedules to hit the race; under Miri (a handful of histories)
// the fixed-schedule twin of this control runs instead.
#[cfg_attr(miri, ignore)]
fn negative_control_swapped_queue_elements_are_caught_on_random_schedules() {
    explore(
        "negative control: swapping queue",
        histories(SMALL),
        SwappingQueue::default,
        queue_plan,
        check_whole,
    )
    .assert_violation_found();
}

#[test]
fn negative_control_check_then_delete_remove_is_caught_on_a_fixed_schedule() {
    let set = CheckThenDeleteSet {
        keys: Mutex::default(),
        window: Window::Rendezvous(Barrier::new(2)),
    };
    let plan = Plan {
        setup: vec![SetCall::Insert(1)],
        rounds: vec![vec![vec![SetCall::Remove(1)], vec![SetCall::Remove(1)]]],
        quiescent: Vec::new(),
        jitter: None,
    };
    let history = record(&set, &plan);
    let violation = wgl::check_per_key(&history).expect_err("both removers of key 1 reported true");
    println!("lincheck: check-then-delete set, fixed schedule, caught:\n{violation}");
}

#[test]
// Needs many schedules to hit the race; under Miri (a handful of histories)
// the fixed-schedule twin of this control runs instead.
#[cfg_attr(miri, ignore)]
fn negative_control_check_then_delete_remove_is_caught_on_random_schedules() {
    let make = || CheckThenDeleteSet {
        keys: Mutex::default(),
        window: Window::Yield,
    };
    explore(
        "negative control: check-then-delete set",
        histories(SMALL),
        make,
        small_set_plan,
        check_per_key,
    )
    .assert_violation_found();
}

#[test]
fn negative_control_get_missing_a_present_key_is_caught_on_a_fixed_schedule() {
    let map = UnlinkThenLinkMap {
        entries: Mutex::default(),
        window: Window::Rendezvous(Barrier::new(2)),
        get_joins_window: true,
    };
    let plan = Plan {
        setup: vec![MapCall::Insert(1, 10)],
        rounds: vec![vec![vec![MapCall::Insert(1, 20)], vec![MapCall::Get(1)]]],
        quiescent: Vec::new(),
        jitter: None,
    };
    let history = record(&map, &plan);
    let violation =
        wgl::check_per_key(&history).expect_err("get(1) ran while insert(1, 20) had unlinked 10");
    println!("lincheck: unlink-then-link map, fixed schedule, caught:\n{violation}");
}

#[test]
// Needs many schedules to hit the race; under Miri (a handful of histories)
// the fixed-schedule twin of this control runs instead.
#[cfg_attr(miri, ignore)]
fn negative_control_get_missing_a_present_key_is_caught_on_random_schedules() {
    let make = || UnlinkThenLinkMap {
        entries: Mutex::default(),
        window: Window::Yield,
        get_joins_window: false,
    };
    explore(
        "negative control: unlink-then-link map",
        histories(SMALL),
        make,
        small_map_plan,
        check_per_key,
    )
    .assert_violation_found();
}

/// crossbeam-skiplist 0.1.3's replacing `insert` unlinks the old entry before
/// linking the new one, so a concurrent `get`/`remove`/`contains` can miss a
/// key that is present throughout (and two removers can both win). A real
/// bug in a published crate, caught within a few histories; if a newer
/// crossbeam-skiplist fixes it, this control must move to a pinned copy.
#[test]
// Needs many schedules to hit the race; under Miri (a handful of histories)
// the fixed-schedule twin of this control runs instead.
#[cfg_attr(miri, ignore)]
fn negative_control_crossbeam_skiplist_0_1_replacing_insert_is_caught() {
    use crossbeam_skiplist::{SkipMap, SkipSet};
    explore(
        "negative control: crossbeam SkipMap 0.1",
        histories(SMALL),
        SkipMap::<u64, u64>::new,
        small_map_plan,
        check_per_key,
    )
    .assert_violation_found();
    explore(
        "negative control: crossbeam SkipSet 0.1",
        histories(SMALL),
        SkipSet::<u64>::new,
        small_set_plan,
        check_per_key,
    )
    .assert_violation_found();
}
