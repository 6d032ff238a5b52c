//! Plans: what the workers of a history do (see [`super::Plan`]).
//!
//! Small histories use 3–4 workers and 10–30 operations per worker over 3 or
//! 4 keys, so that operations on one key collide; long ones use 4 workers and
//! 600 operations over 8 keys and are checked per key. Every value a history
//! writes is unique ([`unique_value`]), so a read names the write it saw.

use super::{MapCall, MapSpec, Plan, QueueCall, QueueSpec, Rng, SetCall, SetSpec, Spec};
use QueueCall::{Len, Pop, Push};

/// A value no other write in the history uses: the checker can then tell
/// which write a read saw.
pub fn unique_value(thread: usize, seq: usize) -> u64 {
    ((thread as u64 + 1) << 32) | seq as u64
}

/// 3–4 workers, 1–3 rounds, 10–30 operations per worker in all; pushes and
/// pops half and half, an occasional `close`, `len` between rounds.
pub fn queue_plan(rng: &mut Rng) -> Plan<QueueSpec> {
    let threads = rng.in_range(3..=4);
    let rounds = rng.in_range(1..=3);
    let per_round = rng.in_range(10..=30).div_ceil(rounds);
    let closer = rng.percent(10).then(|| rng.below(threads as u64) as usize);
    let setup = (0..rng.in_range(0..=3))
        .map(|i| QueueCall::Push(i as u64))
        .collect();
    let mut seq = 0;
    let rounds = (0..rounds)
        .map(|r| {
            (0..threads)
                .map(|t| {
                    (0..per_round)
                        .map(|i| {
                            seq += 1;
                            if closer == Some(t) && r + 1 == rounds && i == per_round / 2 {
                                QueueCall::Close
                            } else if rng.percent(50) {
                                QueueCall::Push(unique_value(t, seq))
                            } else {
                                QueueCall::Pop
                            }
                        })
                        .collect()
                })
                .collect()
        })
        .collect();
    Plan {
        setup,
        rounds,
        quiescent: vec![QueueCall::Len],
        jitter: None,
    }
}

/// One round of `threads` scripts of `ops` calls each on keys `0..keys`,
/// the plan shared by maps and sets. The setup adds each key with
/// probability 40% (`prefill(k)`); each call draws its key, then `call(rng,
/// thread, index, key)` makes it; `len`, if any, runs after the round.
fn keyed_plan<S: Spec>(
    rng: &mut Rng,
    (threads, ops, keys): (usize, usize, u64),
    prefill: impl Fn(u64) -> S::Call,
    mut call: impl FnMut(&mut Rng, usize, usize, u64) -> S::Call,
    len: Option<S::Call>,
) -> Plan<S> {
    let setup = (0..keys).filter(|_| rng.percent(40)).map(prefill).collect();
    let scripts = (0..threads)
        .map(|t| {
            (0..ops)
                .map(|i| {
                    let k = rng.below(keys);
                    call(rng, t, i, k)
                })
                .collect()
        })
        .collect();
    Plan {
        quiescent: len.into_iter().collect(),
        ..Plan::one_round_after(setup, scripts)
    }
}

/// The call maker of [`keyed_plan`] shared by maps and sets: it draws one of
/// `keyed` choices, or with `whole` one of `keyed + 2`; a choice below
/// `keyed` is made by `keyed_call(choice, thread, index, key)`, the other two
/// by `whole_call(rng, key)`, a call on the whole structure.
fn keyed_or_whole<C: Copy>(
    whole: bool,
    keyed: u64,
    keyed_call: impl Fn(u64, usize, usize, u64) -> C,
    whole_call: impl Fn(&mut Rng, u64) -> C,
) -> impl FnMut(&mut Rng, usize, usize, u64) -> C {
    move |rng, t, i, k| {
        let choice = rng.below(if whole { keyed + 2 } else { keyed });
        if choice < keyed {
            keyed_call(choice, t, i, k)
        } else {
            whole_call(rng, k)
        }
    }
}

/// A specification keyed by `u64` (a map or a set), with the plans of its
/// per-key and whole-structure histories.
pub trait KeyedPlans: Spec + Sized {
    /// What the structure is called in the names of runs ("map", "set").
    const KIND: &'static str;

    /// One round of `threads` workers making `ops` calls each on keys
    /// `0..keys`. `whole` mixes in `front`/`back`/`pop_front`/`pop_back`
    /// (and, for maps, `lower_bound`/`upper_bound`), which cannot be split
    /// per key, and a quiescent `len`.
    fn plan(rng: &mut Rng, threads: usize, ops: usize, keys: u64, whole: bool) -> Plan<Self>;
}

impl KeyedPlans for MapSpec {
    const KIND: &'static str = "map";

    fn plan(rng: &mut Rng, threads: usize, ops: usize, keys: u64, whole_map: bool) -> Plan<Self> {
        use MapCall::{Back, Front, LowerBound, PopBack, PopFront, UpperBound};
        let keyed = |choice, t, i, k| match choice {
            0..=2 => MapCall::Insert(k, unique_value(t, i)),
            3 => MapCall::GetOrInsert(k, unique_value(t, i)),
            4 => MapCall::CompareInsert(k, unique_value(t, i)),
            5..=6 => MapCall::Get(k),
            7..=8 => MapCall::Remove(k),
            _ => MapCall::ContainsKey(k),
        };
        let whole = |rng: &mut Rng, k| match rng.below(6) {
            0 => Front,
            1 => Back,
            2 => PopFront,
            3 => PopBack,
            4 => LowerBound(k),
            _ => UpperBound(k),
        };
        let call = keyed_or_whole(whole_map, 11, keyed, whole);
        let len = whole_map.then_some(MapCall::Len);
        let prefill = |k| MapCall::Insert(k, 1000 + k);
        keyed_plan(rng, (threads, ops, keys), prefill, call, len)
    }
}

impl KeyedPlans for SetSpec {
    const KIND: &'static str = "set";

    fn plan(rng: &mut Rng, threads: usize, ops: usize, keys: u64, whole_set: bool) -> Plan<Self> {
        use SetCall::{Back, Front, PopBack, PopFront};
        let keyed = |choice, _, _, k| match choice {
            0..=2 => SetCall::Insert(k),
            3..=5 => SetCall::Remove(k),
            _ => SetCall::Contains(k),
        };
        let whole = |rng: &mut Rng, _| [Front, Back, PopFront, PopBack][rng.below(4) as usize];
        let call = keyed_or_whole(whole_set, 8, keyed, whole);
        let len = whole_set.then_some(SetCall::Len);
        keyed_plan(rng, (threads, ops, keys), SetCall::Insert, call, len)
    }
}

/// Small histories, checked per key: 3–4 workers making 10–30 calls each
/// on 3 keys, so that calls on one key collide.
pub fn small_plan<S: KeyedPlans>(rng: &mut Rng) -> Plan<S> {
    let (threads, ops) = (rng.in_range(3..=4), rng.in_range(10..=30));
    S::plan(rng, threads, ops, 3, false)
}

/// Small histories with calls on the whole structure, checked whole: 3–4
/// workers making 10–20 calls each on 4 keys.
pub fn whole_plan<S: KeyedPlans>(rng: &mut Rng) -> Plan<S> {
    let (threads, ops) = (rng.in_range(3..=4), rng.in_range(10..=20));
    S::plan(rng, threads, ops, 4, true)
}

/// Long histories, checked per key: 4 workers making 600 calls each on 8
/// keys.
pub fn long_plan<S: KeyedPlans>(rng: &mut Rng) -> Plan<S> {
    S::plan(rng, 4, 600, 8, false)
}

/// Longer queue histories: 4 workers, 25 rounds of 6 operations each (600
/// in all), with a quiescent `len` after each round. Rounds are short because
/// the whole-history search grows fast with the width of dense rounds: with
/// the dense recorder, rounds of 4×50 and 4×15 operations ran out of its step
/// budget.
pub fn long_queue_plan(rng: &mut Rng) -> Plan<QueueSpec> {
    // 25 rounds of 4 threads x 6 operations (~625 operations in all). The
    // search cost grows with the operations that overlap within a round, so
    // a long history is made of many narrow rounds: 10 per thread exhausted
    // the step budget once real overlap reached ~40% on a quiet machine.
    let rounds = (0..25)
        .map(|r| {
            (0..4)
                .map(|t| {
                    (0..6)
                        .map(|i| {
                            if rng.percent(50) {
                                Push(unique_value(t, r * 100 + i))
                            } else {
                                Pop
                            }
                        })
                        .collect()
                })
                .collect()
        })
        .collect();
    Plan {
        setup: Vec::new(),
        rounds,
        quiescent: vec![Len],
        jitter: None,
    }
}
