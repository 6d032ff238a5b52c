//! The state-machine model test shared by every sorted map/set pair: random
//! sequences of every operation (point updates, `get_or_insert` and
//! `compare_insert` with crossbeam's semantics, removes, pops, bounds, ranges
//! in both directions, entry navigation and `Entry::remove`, `clear`), each
//! result compared with `BTreeMap`'s or `BTreeSet`'s, on a small key space so
//! that operations collide.
//!
//! After every step the iteration order (forwards and backwards), `len`,
//! `front` and `back` must equal the model's. `model_tests!(list, ListMap,
//! ListSet, "proptest-regressions/list.txt", 512)` expands the map and set
//! tests for one pair, with failing cases saved to the given file.

use std::collections::BTreeMap;
use std::ops::Bound;

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

#[derive(Clone, Debug)]
pub enum Op {
    Insert(u8, u16),
    GetOrInsert(u8, u16),
    CompareInsert(u8, u16),
    Remove(u8),
    Get(u8),
    PopFront,
    PopBack,
    LowerBound(Bound<u8>),
    UpperBound(Bound<u8>),
    Range(Bound<u8>, Bound<u8>),
    EntryRemove(u8),
    EntryNext(u8),
    EntryPrev(u8),
    Clear,
}

pub fn bound() -> impl Strategy<Value = Bound<u8>> {
    prop_oneof![
        Just(Bound::Unbounded),
        (0..20u8).prop_map(Bound::Included),
        (0..20u8).prop_map(Bound::Excluded)
    ]
}

pub fn op() -> impl Strategy<Value = Op> {
    let key = 0..20u8;
    prop_oneof![
        4 => (key.clone(), any::<u16>()).prop_map(|(k, v)| Op::Insert(k, v)),
        2 => (key.clone(), any::<u16>()).prop_map(|(k, v)| Op::GetOrInsert(k, v)),
        2 => (key.clone(), any::<u16>()).prop_map(|(k, v)| Op::CompareInsert(k, v)),
        3 => key.clone().prop_map(Op::Remove),
        2 => key.clone().prop_map(Op::Get),
        1 => Just(Op::PopFront),
        1 => Just(Op::PopBack),
        1 => bound().prop_map(Op::LowerBound),
        1 => bound().prop_map(Op::UpperBound),
        1 => (bound(), bound()).prop_map(|(a, b)| Op::Range(a, b)),
        1 => key.clone().prop_map(Op::EntryRemove),
        1 => key.clone().prop_map(Op::EntryNext),
        1 => key.prop_map(Op::EntryPrev),
        1 => Just(Op::Clear),
    ]
}

pub fn model_range(model: &BTreeMap<u8, u16>, lo: Bound<u8>, hi: Bound<u8>) -> Vec<(u8, u16)> {
    // BTreeMap::range panics on inverted or equal-excluded ranges; filter instead.
    let above = |k: &u8| match lo {
        Bound::Included(b) => *k >= b,
        Bound::Excluded(b) => *k > b,
        Bound::Unbounded => true,
    };
    let below = |k: &u8| match hi {
        Bound::Included(b) => *k <= b,
        Bound::Excluded(b) => *k < b,
        Bound::Unbounded => true,
    };
    model
        .iter()
        .filter(|(k, _)| above(k) && below(k))
        .map(|(k, v)| (*k, *v))
        .collect()
}

#[derive(Clone, Debug)]
pub enum SetOp {
    Insert(u8),
    Remove(u8),
    PopFront,
    PopBack,
    Range(Bound<u8>, Bound<u8>),
    Bounds(Bound<u8>),
}

pub fn set_op() -> impl Strategy<Value = SetOp> {
    prop_oneof![
        4 => (0..40u8).prop_map(SetOp::Insert),
        3 => (0..40u8).prop_map(SetOp::Remove),
        1 => Just(SetOp::PopFront),
        1 => Just(SetOp::PopBack),
        1 => (bound(), bound()).prop_map(|(a, b)| SetOp::Range(a, b)),
        1 => bound().prop_map(SetOp::Bounds),
    ]
}

/// The configuration of a model test: `cases` cases (4 under Miri), and
/// failing cases saved to `file`.
pub fn model_config(cases: u32, file: &'static str) -> ProptestConfig {
    ProptestConfig {
        cases: if cfg!(miri) { 4 } else { cases },
        // Miri's isolation has no working directory to find the file in.
        failure_persistence: if cfg!(miri) {
            None
        } else {
            Some(Box::new(FileFailurePersistence::Direct(file)))
        },
        ..ProptestConfig::default()
    }
}

/// Expands `map_behaves_like_btree_map` (with `$map_cases` cases) and
/// `set_behaves_like_btree_set` for `lazuli::$module::{$map, $set}`.
#[macro_export]
macro_rules! model_tests {
    ($module:ident, $map:ident, $set:ident, $file:literal, $map_cases:literal) => {
        use std::collections::{BTreeMap, BTreeSet};
        use std::ops::{Bound, RangeBounds};

        use proptest::prelude::*;
        use $crate::support::map_model::{model_range, op, set_op, Op, SetOp};

        type Map = lazuli::$module::$map<u8, u16>;

        fn pair(e: Option<lazuli::$module::Entry<'_, u8, u16>>) -> Option<(u8, u16)> {
            e.map(|e| (*e.key(), *e.value()))
        }

        fn check(
            map: &Map,
            model: &mut BTreeMap<u8, u16>,
            op: &Op,
        ) -> Result<(), TestCaseError> {
            match *op {
                Op::Insert(k, v) => {
                    prop_assert_eq!(pair(Some(map.insert(k, v))), Some((k, v)));
                    model.insert(k, v);
                }
                Op::GetOrInsert(k, v) => {
                    let want = *model.entry(k).or_insert(v);
                    prop_assert_eq!(pair(Some(map.get_or_insert(k, v))), Some((k, want)));
                }
                Op::CompareInsert(k, v) => {
                    // Replace only with a larger value.
                    let want = match model.get(&k) {
                        Some(&old) if old >= v => old,
                        _ => v,
                    };
                    model.insert(k, want);
                    prop_assert_eq!(
                        pair(Some(map.compare_insert(k, v, |old| *old < v))),
                        Some((k, want))
                    );
                }
                Op::Remove(k) => {
                    prop_assert_eq!(pair(map.remove(&k)), model.remove(&k).map(|v| (k, v)));
                }
                Op::Get(k) => {
                    prop_assert_eq!(pair(map.get(&k)), model.get(&k).map(|v| (k, *v)));
                    prop_assert_eq!(map.contains_key(&k), model.contains_key(&k));
                }
                Op::PopFront => {
                    let want = model.pop_first();
                    prop_assert_eq!(pair(map.pop_front()), want);
                }
                Op::PopBack => {
                    let want = model.pop_last();
                    prop_assert_eq!(pair(map.pop_back()), want);
                }
                Op::LowerBound(b) => {
                    let want = model_range(model, b, Bound::Unbounded).first().copied();
                    prop_assert_eq!(pair(map.lower_bound(b.as_ref())), want);
                }
                Op::UpperBound(b) => {
                    let want = model_range(model, Bound::Unbounded, b).last().copied();
                    prop_assert_eq!(pair(map.upper_bound(b.as_ref())), want);
                }
                Op::Range(lo, hi) => {
                    let want = model_range(model, lo, hi);
                    let got: Vec<_> = map
                        .range((lo, hi))
                        .map(|e| (*e.key(), *e.value()))
                        .collect();
                    prop_assert_eq!(&got, &want);
                    let mut back: Vec<_> = map
                        .range((lo, hi))
                        .rev()
                        .map(|e| (*e.key(), *e.value()))
                        .collect();
                    back.reverse();
                    prop_assert_eq!(&back, &want);
                }
                Op::EntryRemove(k) => {
                    if let Some(entry) = map.get(&k) {
                        prop_assert!(entry.remove(), "the first Entry::remove must succeed");
                        prop_assert!(!entry.remove(), "a second Entry::remove must fail");
                        model.remove(&k);
                    }
                }
                Op::EntryNext(k) => {
                    if let Some(entry) = map.get(&k) {
                        let want = model_range(model, Bound::Excluded(k), Bound::Unbounded)
                            .first()
                            .copied();
                        prop_assert_eq!(pair(entry.next()), want);
                    }
                }
                Op::EntryPrev(k) => {
                    if let Some(entry) = map.get(&k) {
                        let want = model_range(model, Bound::Unbounded, Bound::Excluded(k))
                            .last()
                            .copied();
                        prop_assert_eq!(pair(entry.prev()), want);
                    }
                }
                Op::Clear => {
                    map.clear();
                    model.clear();
                }
            }
            let got: Vec<_> = map.iter().map(|e| (*e.key(), *e.value())).collect();
            let want: Vec<_> = model.iter().map(|(k, v)| (*k, *v)).collect();
            prop_assert_eq!(
                &got,
                &want,
                "iteration differs from the model after {:?}",
                op
            );
            let back: Vec<_> = map.iter().rev().map(|e| (*e.key(), *e.value())).collect();
            prop_assert_eq!(
                back.into_iter().rev().collect::<Vec<_>>(),
                &want[..],
                "backward iteration differs after {:?}",
                op
            );
            prop_assert_eq!(map.len(), model.len(), "len differs after {:?}", op);
            prop_assert_eq!(pair(map.front()), want.first().copied(), "front differs after {:?}", op);
            prop_assert_eq!(pair(map.back()), want.last().copied(), "back differs after {:?}", op);
            Ok(())
        }

        proptest! {
            #![proptest_config($crate::support::map_model::model_config($map_cases, $file))]

            #[test]
            fn map_behaves_like_btree_map(ops in proptest::collection::vec(op(), 1..if cfg!(miri) { 20 } else { 120 })) {
                let map = Map::new();
                let mut model = BTreeMap::new();
                for op in &ops {
                    check(&map, &mut model, op)?;
                }
                let owned: Vec<_> = map.into_iter().collect();
                prop_assert_eq!(owned, model.into_iter().collect::<Vec<_>>());
            }
        }

        proptest! {
            #![proptest_config($crate::support::map_model::model_config(256, $file))]

            #[test]
            fn set_behaves_like_btree_set(ops in proptest::collection::vec(set_op(), 1..if cfg!(miri) { 20 } else { 200 })) {
                let set = lazuli::$module::$set::new();
                let mut model = BTreeSet::new();
                for op in &ops {
                    match *op {
                        SetOp::Insert(k) => {
                            prop_assert_eq!(*set.insert(k), k);
                            model.insert(k);
                        }
                        SetOp::Remove(k) => prop_assert_eq!(set.remove(&k).map(|e| *e), model.take(&k)),
                        SetOp::PopFront => prop_assert_eq!(set.pop_front().map(|e| *e), model.pop_first()),
                        SetOp::PopBack => prop_assert_eq!(set.pop_back().map(|e| *e), model.pop_last()),
                        SetOp::Range(lo, hi) => {
                            let want: Vec<u8> = model.iter().copied().filter(|k| (lo, hi).contains(k)).collect();
                            let got: Vec<u8> = set.range((lo, hi)).map(|e| *e).collect();
                            prop_assert_eq!(&got, &want);
                            let mut back: Vec<u8> = set.range((lo, hi)).rev().map(|e| *e).collect();
                            back.reverse();
                            prop_assert_eq!(back, want);
                        }
                        SetOp::Bounds(b) => {
                            let lower = model.iter().copied().find(|k| (b, Bound::Unbounded).contains(k));
                            let upper = model.iter().copied().rev().find(|k| (Bound::Unbounded, b).contains(k));
                            prop_assert_eq!(set.lower_bound(b.as_ref()).map(|e| *e), lower);
                            prop_assert_eq!(set.upper_bound(b.as_ref()).map(|e| *e), upper);
                        }
                    }
                    prop_assert_eq!(set.len(), model.len(), "len differs after {:?}", op);
                    prop_assert_eq!(set.front().map(|e| *e), model.first().copied());
                    prop_assert_eq!(set.back().map(|e| *e), model.last().copied());
                    let forwards: Vec<u8> = set.iter().map(|e| *e).collect();
                    prop_assert_eq!(&forwards, &model.iter().copied().collect::<Vec<_>>(), "iteration differs after {:?}", op);
                    let mut backwards: Vec<u8> = set.iter().rev().map(|e| *e).collect();
                    backwards.reverse();
                    prop_assert_eq!(backwards, forwards, "backward iteration differs after {:?}", op);
                }
                prop_assert_eq!(set.into_iter().collect::<Vec<_>>(), model.into_iter().collect::<Vec<_>>());
            }
        }
    };
}
