//! Plans: what the workers of a history do (see [`super::Plan`]).
//!
//! Small histories use 3–4 workers and 10–30 operations per worker over 3 or
//! 4 keys, so that operations on one key collide; long ones use 4 workers and
//! 600 operations over 8 keys and are checked per key. Every value a history
//! writes is unique ([`unique_value`]), so a read names the write it saw.

use super::{MapCall, MapSpec, Plan, QueueCall, QueueSpec, Rng, SetCall, SetSpec};
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

/// Map plans. `whole_map` mixes in `front`/`back`/`pop_front`/`pop_back`,
/// which cannot be split per key, over only 4 keys.
pub fn map_plan(
    rng: &mut Rng,
    threads: usize,
    ops: usize,
    keys: u64,
    whole_map: bool,
) -> Plan<MapSpec> {
    let setup = (0..keys)
        .filter(|_| rng.percent(40))
        .map(|k| MapCall::Insert(k, 1000 + k))
        .collect();
    let scripts = (0..threads)
        .map(|t| {
            (0..ops)
                .map(|i| {
                    let k = rng.below(keys);
                    match rng.below(if whole_map { 12 } else { 10 }) {
                        0..=2 => MapCall::Insert(k, unique_value(t, i)),
                        3 => MapCall::GetOrInsert(k, unique_value(t, i)),
                        4..=5 => MapCall::Get(k),
                        6..=7 => MapCall::Remove(k),
                        8..=9 => MapCall::ContainsKey(k),
                        _ => [
                            MapCall::Front,
                            MapCall::Back,
                            MapCall::PopFront,
                            MapCall::PopBack,
                        ][rng.below(4) as usize],
                    }
                })
                .collect()
        })
        .collect();
    let quiescent = if whole_map {
        vec![MapCall::Len]
    } else {
        Vec::new()
    };
    Plan {
        setup,
        rounds: vec![scripts],
        quiescent,
        jitter: None,
    }
}

/// Set plans, shaped like [`map_plan`].
pub fn set_plan(
    rng: &mut Rng,
    threads: usize,
    ops: usize,
    keys: u64,
    whole_set: bool,
) -> Plan<SetSpec> {
    let setup = (0..keys)
        .filter(|_| rng.percent(40))
        .map(SetCall::Insert)
        .collect();
    let scripts = (0..threads)
        .map(|_| {
            (0..ops)
                .map(|_| {
                    let k = rng.below(keys);
                    match rng.below(if whole_set { 10 } else { 8 }) {
                        0..=2 => SetCall::Insert(k),
                        3..=5 => SetCall::Remove(k),
                        6..=7 => SetCall::Contains(k),
                        _ => [
                            SetCall::Front,
                            SetCall::Back,
                            SetCall::PopFront,
                            SetCall::PopBack,
                        ][rng.below(4) as usize],
                    }
                })
                .collect()
        })
        .collect();
    let quiescent = if whole_set {
        vec![SetCall::Len]
    } else {
        Vec::new()
    };
    Plan {
        setup,
        rounds: vec![scripts],
        quiescent,
        jitter: None,
    }
}

pub fn small_map_plan(rng: &mut Rng) -> Plan<MapSpec> {
    let (threads, ops) = (rng.in_range(3..=4), rng.in_range(10..=30));
    map_plan(rng, threads, ops, 3, false)
}

pub fn whole_map_plan(rng: &mut Rng) -> Plan<MapSpec> {
    let (threads, ops) = (rng.in_range(3..=4), rng.in_range(10..=20));
    map_plan(rng, threads, ops, 4, true)
}

pub fn long_map_plan(rng: &mut Rng) -> Plan<MapSpec> {
    map_plan(rng, 4, 600, 8, false)
}

pub fn small_set_plan(rng: &mut Rng) -> Plan<SetSpec> {
    let (threads, ops) = (rng.in_range(3..=4), rng.in_range(10..=30));
    set_plan(rng, threads, ops, 3, false)
}

pub fn whole_set_plan(rng: &mut Rng) -> Plan<SetSpec> {
    let (threads, ops) = (rng.in_range(3..=4), rng.in_range(10..=20));
    set_plan(rng, threads, ops, 4, true)
}

pub fn long_set_plan(rng: &mut Rng) -> Plan<SetSpec> {
    set_plan(rng, 4, 600, 8, false)
}

/// Longer queue histories: 4 workers, 15 rounds of 10 operations each (600
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
