//! The single-operation, drop, panic and trait tests that every sorted
//! map/set pair of the lazy family must pass, written once.
//!
//! `ordered_cases!(ListMap, ListSet, list);` in a test binary expands them
//! (together with the generic concurrent suite of [`map_suite`](super::map_suite))
//! for that pair, in a binary that declares `mod support;` and installs
//! the counting allocator. The expansion brings its own imports, which the
//! binary's other tests may use too: `shared()` (the allocation counters'
//! gate), `scaled`, `DropCounter`, `map_suite`, `Counted`, `TouchyKey`,
//! `catch_unwind`, `AssertUnwindSafe` and the `Bound` variants.

/// One `#[test]` per run of a generic [`map_suite`](super::map_suite)
/// function: `name: function::<types>;`.
#[macro_export]
macro_rules! suite_tests {
    ($($test:ident: $run:ident::<$($ty:ty),+>;)*) => {
        $(
            #[test]
            fn $test() {
                let _g = shared();
                map_suite::$run::<$($ty),+>();
            }
        )*
    };
}

/// Expands the shared tests for `$map`/`$set` from `lazuli::$module`.
#[macro_export]
macro_rules! ordered_cases {
    ($map:ident, $set:ident, $module:ident) => {
        use std::ops::Bound::{Excluded, Included, Unbounded};
        use std::panic::{catch_unwind, AssertUnwindSafe};

        use lazuli::$module::{$map, $set};
        use support::alloc::shared;
        use support::drops::DropCounter;
        use support::map_suite::{self, Counted, TouchyKey};
        use support::scaled;

        impl_suite_map!($map);
        impl_suite_set!($set);

        // ---- the generic concurrent suite ----

        suite_tests! {
            map_one_winner_per_concurrent_remove: one_winner_per_concurrent_remove::<u64, $map<u64, u64>>;
            set_one_winner_per_concurrent_remove: one_winner_per_concurrent_remove::<(), $set<u64>>;
            map_unique_tokens: unique_tokens::<u64, $map<u64, u64>>;
            set_unique_tokens: unique_tokens::<(), $set<u64>>;
            map_striped_models: striped_models::<u64, $map<u64, u64>>;
            set_striped_models: striped_models::<(), $set<u64>>;
            map_iteration_under_churn: iteration_under_churn::<u64, $map<u64, u64>>;
            set_iteration_under_churn: iteration_under_churn::<(), $set<u64>>;
            map_drops_balance: drops_balance::<$map<u64, Counted>>;
            map_panicking_ord: panicking_ord::<u64, $map<TouchyKey, u64>>;
            set_panicking_ord: panicking_ord::<(), $set<TouchyKey>>;
        }

        // ---- single operations ----

        #[test]
        fn insert_replaces_and_old_entry_keeps_its_value() {
            let _g = shared();
            let map = $map::new();
            let first = map.insert(1, "a".to_string());
            let second = map.insert(1, "b".to_string());
            assert_eq!(
                first.value(),
                "a",
                "an entry must keep the value it was made with"
            );
            assert_eq!(second.value(), "b");
            assert_eq!(
                map.get(&1).expect("key 1").value(),
                "b",
                "insert must replace"
            );
            // Whether `first` now reports itself removed depends on the
            // structure: the list replaces the value in the key's node, the
            // skiplist puts a new node in its place (as crossbeam-skiplist
            // does); tests/list.rs and tests/skiplist.rs check each.
            assert_eq!(map.len(), 1, "a replacement must not change len");
        }

        #[test]
        fn get_or_insert_keeps_present_value_and_calls_value_fn_only_when_absent() {
            let _g = shared();
            let map = $map::new();
            assert_eq!(*map.get_or_insert(1, 10).value(), 10);
            assert_eq!(
                *map.get_or_insert(1, 20).value(),
                10,
                "get_or_insert must keep the present value"
            );
            assert_eq!(
                *map.get_or_insert_with(1, || panic!("value_fn called for a present key"))
                    .value(),
                10
            );
            assert_eq!(*map.get_or_insert_with(2, || 30).value(), 30);
            assert_eq!(map.len(), 2);
        }

        #[test]
        fn compare_insert_replaces_only_when_compare_approves() {
            let _g = shared();
            let map = $map::new();
            assert_eq!(
                *map.compare_insert(1, 5, |_| panic!("compare on an absent key"))
                    .value(),
                5
            );
            assert_eq!(
                *map.compare_insert(1, 3, |old| *old < 3).value(),
                5,
                "a refused replacement returns the present entry"
            );
            assert_eq!(*map.compare_insert(1, 8, |old| *old < 8).value(), 8);
            assert_eq!(*map.get(&1).expect("key 1").value(), 8);
        }

        #[test]
        fn compare_insert_drops_each_value_once() {
            let _g = shared();
            let map = $map::new();
            let values = DropCounter::new();
            map.insert(1u32, values.track(5u32));
            let refused = map.compare_insert(1, values.track(3), |old| old.value < 3);
            assert_eq!(refused.value().value, 5, "the refusal returns the present entry");
            assert_eq!(values.get(), 1, "the refused value is dropped by the call");
            drop(refused);
            let panicked = map_suite::quiet_panics("user code panics on purpose", || {
                catch_unwind(AssertUnwindSafe(|| {
                    map.compare_insert(1, values.track(4), |_| {
                        panic!("user code panics on purpose")
                    })
                }))
            });
            assert!(panicked.is_err(), "compare_fn's panic propagates");
            assert_eq!(values.get(), 2, "the value of a panicking compare is dropped");
            let approved = map.compare_insert(1, values.track(8), |old| old.value < 8);
            assert_eq!(approved.value().value, 8);
            drop(approved);
            let reclaimed = map_suite::wait_for_reclamation(|| values.get() >= 3);
            assert!(reclaimed, "the replaced value was never dropped");
            assert_eq!(values.get(), 3, "nothing but the replaced value");
            assert_eq!(map.get(&1).expect("key 1").value().value, 8);
            drop(map);
            assert_eq!(values.get(), 4, "each of the four values dropped once");
        }

        #[test]
        fn remove_returns_the_entry_once() {
            let _g = shared();
            let map: $map<_, _> = (0..10).map(|k| (k, k * 2)).collect();
            let removed = map.remove(&4).expect("4 is present");
            assert_eq!((*removed.key(), *removed.value()), (4, 8));
            assert!(removed.is_removed());
            assert!(
                map.remove(&4).is_none(),
                "a second remove must find nothing"
            );
            assert!(!map.contains_key(&4));
            assert_eq!(map.len(), 9);
        }

        #[test]
        fn borrowed_lookups_use_borrow() {
            let _g = shared();
            let map = $map::new();
            map.insert("apple".to_string(), 1);
            assert!(map.contains_key("apple"));
            assert_eq!(*map.get("apple").expect("apple").value(), 1);
            assert!(map.remove("apple").is_some());
            let set = $set::new();
            set.insert(vec![1, 2]);
            assert!(set.contains(&[1, 2][..]));
        }

        #[test]
        fn front_back_and_pops_follow_key_order() {
            let _g = shared();
            let map: $map<_, _> = [5, 1, 9, 3].into_iter().map(|k| (k, ())).collect();
            assert_eq!(*map.front().expect("front").key(), 1);
            assert_eq!(*map.back().expect("back").key(), 9);
            assert_eq!(*map.pop_front().expect("pop_front").key(), 1);
            assert_eq!(*map.pop_back().expect("pop_back").key(), 9);
            assert_eq!(map.iter().map(|e| *e.key()).collect::<Vec<_>>(), [3, 5]);
            assert_eq!(*map.pop_back().expect("pop_back").key(), 5);
            assert_eq!(*map.pop_back().expect("pop_back").key(), 3);
            assert!(
                map.pop_back().is_none()
                    && map.pop_front().is_none()
                    && map.front().is_none()
                    && map.back().is_none()
            );
        }

        #[test]
        fn bounds_find_the_nearest_keys() {
            let _g = shared();
            let map: $map<_, _> = [10, 20, 30].into_iter().map(|k| (k, ())).collect();
            let key = |e: Option<lazuli::$module::Entry<'_, i32, ()>>| e.map(|e| *e.key());
            assert_eq!(key(map.lower_bound(Included(&20))), Some(20));
            assert_eq!(key(map.lower_bound(Excluded(&20))), Some(30));
            assert_eq!(key(map.lower_bound(Included(&31))), None);
            assert_eq!(key(map.lower_bound(Unbounded)), Some(10));
            assert_eq!(key(map.upper_bound(Included(&20))), Some(20));
            assert_eq!(key(map.upper_bound(Excluded(&20))), Some(10));
            assert_eq!(key(map.upper_bound(Excluded(&10))), None);
            assert_eq!(key(map.upper_bound(Unbounded)), Some(30));
        }

        #[test]
        fn ranges_are_double_ended_and_meet_in_the_middle() {
            let _g = shared();
            let map: $map<_, _> = (0..10).map(|k| (k, ())).collect();
            let keys = |r: &mut dyn Iterator<Item = lazuli::$module::Entry<'_, i32, ()>>| {
                r.map(|e| *e.key()).collect::<Vec<_>>()
            };
            assert_eq!(keys(&mut map.range(2..5)), [2, 3, 4]);
            assert_eq!(keys(&mut map.range(2..=5).rev()), [5, 4, 3, 2]);
            assert_eq!(keys(&mut map.range((Excluded(7), Unbounded))), [8, 9]);
            assert_eq!(keys(&mut map.range(..0)), Vec::<i32>::new());
            let mut iter = map.iter();
            let mut seen = Vec::new();
            loop {
                match (iter.next(), iter.next_back()) {
                    (Some(a), Some(b)) => seen.extend([*a.key(), *b.key()]),
                    (Some(a), None) => seen.push(*a.key()),
                    (None, _) => break,
                }
            }
            seen.sort();
            assert_eq!(
                seen,
                (0..10).collect::<Vec<_>>(),
                "the two ends must meet without a gap or an overlap"
            );
        }

        #[test]
        fn entries_navigate_and_remove_themselves() {
            let _g = shared();
            let map: $map<_, _> = (1..=4).map(|k| (k, k)).collect();
            let mut e = map.front().expect("front");
            assert!(e.move_next() && *e.key() == 2);
            assert_eq!(*e.next().expect("next").key(), 3);
            assert_eq!(*e.prev().expect("prev").key(), 1);
            let copy = e.clone();
            assert!(copy.remove(), "the first remove of an entry succeeds");
            assert!(!e.remove(), "a clone sees its node already removed");
            assert!(e.is_removed());
            // A removed entry still navigates (weakly consistent).
            assert_eq!(*e.next().expect("next of a removed entry").key(), 3);
            assert!(e.move_prev() && *e.key() == 1);
            assert!(!e.move_prev(), "no entry before the front");
            assert_eq!(map.iter().map(|e| *e.key()).collect::<Vec<_>>(), [1, 3, 4]);
        }

        #[test]
        fn entry_remove_does_not_remove_a_reinserted_key() {
            let _g = shared();
            let map = $map::new();
            let old = map.insert(1, "old");
            assert!(map.remove(&1).is_some());
            map.insert(1, "new");
            assert!(!old.remove(), "an entry removes only its own node");
            assert_eq!(*map.get(&1).expect("the new node").value(), "new");
        }

        #[test]
        fn clear_removes_everything() {
            let _g = shared();
            let set: $set<_> = (0..100).collect();
            set.clear();
            assert!(
                set.is_empty() && set.iter().next().is_none(),
                "clear must leave nothing"
            );
        }

        #[test]
        fn from_iter_keeps_the_first_value_like_crossbeam() {
            let _g = shared();
            let map: $map<_, _> = [(1, "first"), (1, "second")].into_iter().collect();
            assert_eq!(*map.get(&1).expect("key 1").value(), "first");
        }

        #[test]
        fn owned_and_borrowed_into_iter_yield_sorted_entries() {
            let _g = shared();
            let map: $map<_, _> = [(3, 'c'), (1, 'a'), (2, 'b')].into_iter().collect();
            let borrowed: Vec<_> = (&map).into_iter().map(|e| *e.value()).collect();
            assert_eq!(borrowed, ['a', 'b', 'c']);
            let owned = map.into_iter();
            assert_eq!(owned.len(), 3);
            assert_eq!(owned.collect::<Vec<_>>(), [(1, 'a'), (2, 'b'), (3, 'c')]);
            let set: $set<_> = [2, 1].into_iter().collect();
            assert_eq!((&set).into_iter().map(|e| *e).collect::<Vec<_>>(), [1, 2]);
            assert_eq!(set.into_iter().collect::<Vec<_>>(), [1, 2]);
        }

        #[test]
        fn debug_prints_contents_and_default_is_empty() {
            let _g = shared();
            let map: $map<_, _> = [(2, "b"), (1, "a")].into_iter().collect();
            assert_eq!(format!("{map:?}"), r#"{1: "a", 2: "b"}"#);
            assert_eq!(format!("{:?}", map.get(&1).expect("1")), r#"Entry(1, "a")"#);
            let set: $set<_> = [2, 1].into_iter().collect();
            assert_eq!(format!("{set:?}"), "{1, 2}");
            assert!(format!("{:?}", set.iter()).starts_with("Iter"));
            assert!($map::<u8, u8>::default().is_empty() && $set::<u8>::default().is_empty());
        }

        #[test]
        fn zero_sized_values_work() {
            let _g = shared();
            #[derive(Clone, Debug, PartialEq)]
            struct Zst;
            let map = $map::new();
            for k in 0..50 {
                map.insert(k, Zst);
            }
            map.insert(7, Zst);
            assert_eq!(*map.get(&7).expect("7").value(), Zst);
            assert_eq!(map.remove(&7).map(|e| e.value().clone()), Some(Zst));
            assert_eq!(map.len(), 49);
        }

        #[test]
        fn len_is_exact_when_quiescent() {
            let _g = shared();
            let map = $map::new();
            let n = scaled(4_000) as u64;
            std::thread::scope(|s| {
                for t in 0..4u64 {
                    let map = &map;
                    s.spawn(move || {
                        for k in 0..n {
                            map.insert(k * 4 + t, ());
                            if k % 3 == 0 {
                                assert!(map.remove(&(k * 4 + t)).is_some(), "own key vanished");
                            }
                        }
                    });
                }
            });
            let want = map.iter().count();
            assert_eq!(
                map.len(),
                want,
                "len must equal the number of entries once updates finish"
            );
            assert_eq!(want as u64, 4 * (n - n.div_ceil(3)));
        }

        #[test]
        fn dropping_the_map_drops_every_remaining_element_once() {
            let _g = shared();
            let keys = DropCounter::new();
            let values = DropCounter::new();
            /// A key ordered by its number, whose drop is counted.
            struct Key(u32, #[allow(dead_code)] support::drops::Tracked<()>);
            impl PartialEq for Key {
                fn eq(&self, other: &Self) -> bool {
                    self.0 == other.0
                }
            }
            impl Eq for Key {}
            impl PartialOrd for Key {
                fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                    Some(self.cmp(other))
                }
            }
            impl Ord for Key {
                fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                    self.0.cmp(&other.0)
                }
            }
            let map = $map::new();
            for k in 0..20 {
                map.insert(Key(k, keys.track(())), values.track(k));
            }
            drop(map);
            assert_eq!(
                (keys.get(), values.get()),
                (20, 20),
                "every key and value dropped exactly once"
            );
        }

        #[test]
        fn a_panicking_drop_during_map_drop_still_drops_the_rest() {
            let _g = shared();
            let values = DropCounter::new();
            let map = $map::new();
            for k in 0..10u32 {
                let v = if k == 3 {
                    values.track_panicking(k)
                } else {
                    values.track(k)
                };
                map.get_or_insert(k, v);
            }
            let r = map_suite::quiet_panics("Tracked::drop panics on purpose", || {
                catch_unwind(AssertUnwindSafe(|| drop(map)))
            });
            assert!(r.is_err(), "the value's panic must propagate out of drop");
            assert_eq!(
                values.get(),
                10,
                "all ten values dropped, once each, despite the panic"
            );
        }

        #[test]
        fn a_panicking_drop_of_a_removed_value_is_contained_by_the_collector() {
            let _g = shared();
            let values = DropCounter::new();
            let map = $map::new();
            map.insert(1u32, values.track_panicking(1u32));
            map.insert(1u32, values.track(2u32)); // retires the panicking value
            map.insert(2u32, values.track_panicking(3u32));
            assert!(map.remove(&2).is_some()); // retires a node with a panicking value
            map_suite::quiet_panics("Tracked::drop panics on purpose", || {
                let reclaimed = map_suite::wait_for_reclamation(|| values.get() >= 2);
                assert!(
                    reclaimed,
                    "retired values were not dropped: {} of 2",
                    values.get()
                );
            });
            assert_eq!(
                map.get(&1).expect("1").value().value,
                2u32,
                "the map is intact"
            );
            drop(map);
            assert_eq!(values.get(), 3);
        }

        #[test]
        fn panics_in_value_fn_and_compare_fn_leave_no_lock_held() {
            let _g = shared();
            let map: $map<_, _> = (0..8).map(|k| (k, k)).collect();
            map_suite::quiet_panics("user code panics on purpose", || {
                let r = catch_unwind(AssertUnwindSafe(|| {
                    map.get_or_insert_with(100, || panic!("user code panics on purpose"))
                }));
                assert!(r.is_err());
                let r = catch_unwind(AssertUnwindSafe(|| {
                    map.compare_insert(3, 0, |_| panic!("user code panics on purpose"))
                }));
                assert!(r.is_err());
            });
            map_suite::within_deadline("updates next to the panics", move || {
                for k in 0..8 {
                    map.insert(k, k + 1);
                    assert!(map.remove(&k).is_some(), "key {k} vanished");
                }
                assert!(!map.contains_key(&100));
            });
        }

        #[test]
        fn a_removed_entry_stays_readable_while_held() {
            let _g = shared();
            let map = $map::new();
            map.insert(1, vec![1, 2, 3]);
            let held = map.get(&1).expect("1");
            assert!(map.remove(&1).is_some());
            map.insert(1, vec![9]);
            for _ in 0..64 {
                crossbeam_epoch::pin().flush();
            }
            assert_eq!(
                held.value(),
                &[1, 2, 3],
                "a held entry's value must survive removal and reclamation attempts"
            );
        }

        /// In a thread-local destructor that runs after crossbeam-epoch's
        /// own thread-local handle is gone, a second pin does not nest in
        /// the first, so a clone, a step or an iterator's entry cannot lean
        /// on the original entry's pin. Entries of nodes still present are
        /// made (and read) as usual; an entry of a node removed or replaced
        /// meanwhile is refused with a panic instead of handed out
        /// unprotected.
        #[test]
        fn entries_made_after_the_epoch_handle_is_gone_are_protected_or_refused() {
            use std::cell::RefCell;
            use std::sync::{Arc, Mutex};

            type Log = Arc<Mutex<Vec<String>>>;
            struct Late(Arc<$map<u64, u64>>, Log);
            impl Drop for Late {
                fn drop(&mut self) {
                    let (map, log) = (&*self.0, &self.1);
                    let note = |s: String| log.lock().unwrap().push(s);
                    let first = map.get(&1).expect("1");
                    note(format!("nested: {}", crossbeam_epoch::is_pinned()));
                    let clone = first.clone();
                    let next = first.next().expect("2");
                    let keys: Vec<u64> = map.iter().map(|e| *e.key()).collect();
                    note(format!("live: {} {} {keys:?}", clone.value(), next.key()));
                    let replaced = map.get(&2).expect("2");
                    map.insert(2, 20);
                    assert!(map.remove(&1).is_some());
                    let refused = |f: &dyn Fn()| catch_unwind(AssertUnwindSafe(f)).is_err();
                    note(format!(
                        "refused: {} {}",
                        refused(&|| drop(first.clone())),
                        refused(&|| drop(replaced.clone()))
                    ));
                    note(format!("still readable: {} {}", first.value(), replaced.value()));
                }
            }
            std::thread_local! {
                static LATE: RefCell<Option<Late>> = const { RefCell::new(None) };
            }

            let _g = shared();
            let map = Arc::new($map::new());
            for k in 1..=3 {
                map.insert(k, k);
            }
            let log: Log = Arc::default();
            let (m, l) = (Arc::clone(&map), Arc::clone(&log));
            std::thread::spawn(move || {
                // Ours is registered first, so it is destroyed after
                // crossbeam-epoch's handle, which the pin below creates.
                LATE.with(|late| *late.borrow_mut() = Some(Late(m, l)));
                drop(crossbeam_epoch::pin());
            })
            .join()
            .unwrap();
            assert_eq!(
                *log.lock().unwrap(),
                [
                    "nested: false",
                    "live: 1 2 [1, 2, 3]",
                    "refused: true true",
                    "still readable: 1 2",
                ],
                "the destructor must run without nesting pins, make live entries, and refuse removed ones"
            );
            assert_eq!(map.iter().map(|e| (*e.key(), *e.value())).collect::<Vec<_>>(), [(2, 20), (3, 3)]);
        }

        #[test]
        fn collections_and_owning_iterators_are_send_and_sync_like_crossbeam() {
            // (Entries and borrowing iterators hold an epoch guard, so they
            // are neither: a documented difference from crossbeam.)
            fn send_sync<T: Send + Sync>() {}
            send_sync::<$map<String, Vec<u8>>>();
            send_sync::<$set<String>>();
            fn send<T: Send>() {}
            send::<lazuli::$module::IntoIter<String, u8>>();
            send::<lazuli::$module::set::IntoIter<String>>();
            // crossbeam-skiplist's module paths.
            send_sync::<lazuli::$module::map::$map<u8, u8>>();
            let _: Option<lazuli::$module::map::Entry<'_, u8, u8>> = None;
        }

        // ---- resumption: an iterator searches again from where it stopped ----

        #[test]
        fn an_exhausted_iterator_yields_keys_inserted_later_past_its_last_key() {
            let _g = shared();
            let map = $map::new();
            map.insert(10, 'a');
            let mut iter = map.iter();
            assert_eq!(iter.next().map(|e| *e.key()), Some(10));
            assert!(iter.next().is_none(), "only 10 is present");
            map.insert(5, 'b');
            map.insert(20, 'c');
            assert_eq!(
                iter.next().map(|e| *e.key()),
                Some(20),
                "after None, next() must search again past the last key (10), \
                 skipping 5, which is behind it"
            );
            assert!(iter.next().is_none());
            map.insert(40, 'd');
            map.insert(30, 'e');
            assert_eq!(iter.next_back().map(|e| *e.key()), Some(40));
            assert_eq!(iter.next().map(|e| *e.key()), Some(30));
            assert!(iter.next().is_none(), "the ends met at 30 and 40");
            assert!(iter.next_back().is_none(), "the ends met at 30 and 40");
            map.insert(35, 'f');
            assert_eq!(
                iter.next().map(|e| *e.key()),
                Some(35),
                "a key inserted between the two ends comes out of either end"
            );
            assert!(iter.next_back().is_none());
        }

        #[test]
        fn an_exhausted_iterator_resumes_backwards_below_its_last_key() {
            let _g = shared();
            let set = $set::new();
            set.insert(10);
            let mut iter = set.iter();
            assert_eq!(iter.next_back().map(|e| *e.value()), Some(10));
            assert!(iter.next_back().is_none());
            set.insert(15);
            set.insert(5);
            assert_eq!(iter.next_back().map(|e| *e.value()), Some(5));
            assert!(iter.next_back().is_none());
            assert_eq!(
                iter.next().map(|e| *e.value()),
                None,
                "the front has not moved, but every key up to the back's 5 is behind it"
            );
        }

        #[test]
        fn a_resumed_iterator_does_not_skip_a_key_inserted_after_its_last_key_was_removed() {
            let _g = shared();
            let map = $map::new();
            for k in [10, 20, 30] {
                map.insert(k, ());
            }
            let mut iter = map.iter();
            assert_eq!(iter.next().map(|e| *e.key()), Some(10));
            // 10's node leaves the structure with its link frozen at 20.
            assert!(map.remove(&10).is_some());
            map.insert(15, ());
            assert_eq!(
                iter.next().map(|e| *e.key()),
                Some(15),
                "15 is present throughout this next(): the removed 10's frozen link must not skip it"
            );
            let held = map.get(&15).expect("15");
            assert!(held.remove());
            map.insert(17, ());
            assert_eq!(
                held.next().map(|e| *e.key()),
                Some(17),
                "a removed entry's next() searches by its key: 17 came after the removal"
            );
            assert!(map.remove(&17).is_some());
            assert!(map.remove(&20).is_some());
            assert_eq!(iter.next().map(|e| *e.key()), Some(30));
            assert!(iter.next().is_none());
        }

        #[test]
        fn a_resumed_range_stays_within_its_bounds() {
            let _g = shared();
            let map = $map::new();
            map.insert(1, ());
            let mut range = map.range(1..10);
            assert_eq!(range.next().map(|e| *e.key()), Some(1));
            assert!(range.next().is_none());
            map.insert(10, ());
            map.insert(0, ());
            assert!(range.next().is_none(), "10 and 0 are outside 1..10");
            assert!(range.next_back().is_none(), "the back may not return 1 again");
            map.insert(9, ());
            assert_eq!(range.next().map(|e| *e.key()), Some(9));
            let set = $set::new();
            set.insert(3);
            let mut range = set.range(..=5);
            assert_eq!(range.next().map(|e| *e.value()), Some(3));
            assert!(range.next().is_none());
            set.insert(6);
            set.insert(5);
            assert_eq!(range.next().map(|e| *e.value()), Some(5));
            assert!(range.next().is_none());
        }

        #[test]
        fn a_resumed_iterator_following_an_appending_writer_yields_every_key_in_order() {
            let _g = shared();
            let n = scaled(20_000) as u64;
            let map = $map::new();
            std::thread::scope(|s| {
                s.spawn(|| {
                    for k in 0..n {
                        map.insert(k, k);
                    }
                });
                let mut iter = map.iter();
                let mut expected = 0;
                while expected < n {
                    // `None` means the reader caught up with the writer: the
                    // next call searches again from the last key returned.
                    if let Some(e) = iter.next() {
                        assert_eq!(
                            (*e.key(), *e.value()),
                            (expected, expected),
                            "a key appended after the last one returned was skipped or repeated"
                        );
                        expected += 1;
                    }
                }
                assert!(iter.next().is_none(), "no key past the writer's last");
            });
        }
    };
}
