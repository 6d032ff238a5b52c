//! `SkipMap` and `SkipSet`: the concurrent suite, plus the properties of
//! single operations, replacement under concurrent lookups, drops, panics
//! and memory (bytes per entry against crossbeam-skiplist).

mod support;

#[global_allocator]
static ALLOC: support::alloc::Counting = support::alloc::Counting;

ordered_cases!(SkipMap, SkipSet, skiplist);

// ---- replacement and lookups ----

#[test]
fn a_replaced_entry_is_removed_and_keeps_its_value_as_in_crossbeam() {
    let _g = shared();
    let map = SkipMap::new();
    let first = map.insert(1, "a".to_string());
    let second = map.insert(1, "b".to_string());
    assert!(
        first.is_removed(),
        "a replacing insert puts a new node in the old one's place"
    );
    assert_eq!(first.value(), "a", "the old entry keeps its value");
    assert!(!first.remove(), "a replaced entry's remove removes nothing");
    assert_eq!(*map.get(&1).expect("key 1").value(), "b");
    assert!(!second.is_removed());
    assert!(second.remove());
    assert!(map.is_empty());
}

/// Runs `readers` threads of `check(&map, reader, rounds)` on a map of keys
/// `0..keys` while two threads replace values (key `(i * stride + w) %
/// keys` at step `i` of writer `w`) until the readers finish, then checks
/// that the replacements left `len` alone.
fn against_replacing_inserts(
    keys: u64,
    stride: u64,
    readers: u64,
    check: impl Fn(&SkipMap<u64, u64>, u64, u64) + Sync,
) {
    let map = SkipMap::new();
    for k in 0..keys {
        map.insert(k, 0u64);
    }
    let rounds = scaled(20_000) as u64;
    let replace = |w: u64, stop: &std::sync::atomic::AtomicBool| {
        let mut i = 0;
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            map.insert((i * stride + w) % keys, i);
            i += 1;
        }
    };
    map_suite::read_while_writing((2, replace), (readers, |r| check(&map, r, rounds)));
    assert_eq!(map.len(), keys as usize, "replacements must not change len");
}

#[test]
fn remove_never_misses_a_key_present_throughout_concurrent_replacing_inserts() {
    let _g = shared();
    // Only the remover thread removes, and it puts the key back at once, so
    // every one of its removes finds the key present: a remove that met the
    // node a replacing insert had just marked must search again, not report
    // the key absent.
    against_replacing_inserts(8, 1, 1, |map, r, rounds| {
        for i in 0..rounds {
            let k = (i + r) % 8;
            assert!(
                map.remove(&k).is_some(),
                "remove({k}) missed a key present throughout"
            );
            map.insert(k, u64::MAX);
        }
    });
}

#[test]
fn get_never_misses_a_key_present_throughout_concurrent_replacing_inserts() {
    let _g = shared();
    // crossbeam-skiplist 0.1.3 replaces by unlinking the old node and linking
    // a new one, so a `get` in between misses the key. Here the new node takes
    // the old one's place in one critical section, and a lookup that finds
    // the old node marked *replaced* follows it to the new one.
    against_replacing_inserts(64, 7, 2, |map, r, rounds| {
        for i in 0..rounds {
            let k = (i * 13 + r) % 64;
            assert!(
                map.get(&k).is_some(),
                "get({k}) missed a key present throughout a replacing insert"
            );
            assert!(
                map.contains_key(&k),
                "contains_key({k}) missed a present key"
            );
        }
    });
}

#[test]
fn tall_and_short_towers_survive_interleaved_inserts_and_removes() {
    let _g = shared();
    // Enough keys that towers reach several levels; removes in a different
    // order than inserts, so nodes are unlinked while their neighbours are
    // tall.
    let n = scaled(20_000) as u64;
    let set: SkipSet<u64> = (0..n).map(|k| k * 2).collect();
    for k in (0..n).rev().step_by(3) {
        assert!(set.remove(&(k * 2)).is_some(), "{} vanished", k * 2);
    }
    for k in 0..n {
        assert_eq!(
            set.contains(&(k * 2)),
            (n - 1 - k) % 3 != 0,
            "membership of {} after the removes",
            k * 2
        );
        assert!(
            !set.contains(&(k * 2 + 1)),
            "odd key {} appeared",
            k * 2 + 1
        );
    }
    let keys: Vec<u64> = set.iter().map(|e| *e).collect();
    assert!(
        keys.windows(2).all(|w| w[0] < w[1]),
        "iteration out of order"
    );
    assert_eq!(keys.len(), set.len());
}

// ---- memory ----

/// Live heap bytes per entry for `n` inserts done by `insert`, trusted only
/// when the window saw exactly `expected_allocations(n)` allocations.
fn bytes_per_entry(
    n: usize,
    allocations_per_entry: usize,
    insert: &mut dyn FnMut(u64),
) -> Option<f64> {
    insert(u64::MAX); // the structure's first allocations (head, counters)
    let before = support::alloc::live_bytes();
    let allocations_before = support::alloc::allocations();
    for k in 0..n as u64 {
        insert(k);
    }
    let bytes = support::alloc::live_bytes().wrapping_sub(before);
    let allocations = support::alloc::allocations() - allocations_before;
    if allocations != n * allocations_per_entry {
        println!("{allocations} allocations for {n} entries (foreign traffic?), again");
        return None;
    }
    Some(bytes as f64 / n as f64)
}

#[test]
fn a_skip_set_of_u64_uses_no_more_bytes_per_entry_than_crossbeam() {
    let _exclusive = support::alloc::measuring();
    let n = scaled(20_000);
    // Registers this thread with the collector first.
    drop(crossbeam_epoch::pin());
    // The counters are process-wide and the test harness allocates on its own
    // threads, so a window is trusted only if it saw exactly one allocation
    // per entry (foreign frees can only make the count smaller).
    let mut ours = None;
    let mut theirs = None;
    for _ in 0..20 {
        if ours.is_none() {
            let set = SkipSet::new();
            ours = bytes_per_entry(n, 1, &mut |k| drop(set.insert(k)));
        }
        if theirs.is_none() && cfg!(miri) {
            // crossbeam-skiplist 0.1.3 frees its nodes through a pointer
            // that Tree Borrows rejects (Miri reports UB in its `Drop`), so
            // under Miri only our side is measured (and only its allocation
            // count is checked, below).
            theirs = Some(32.0);
        }
        if theirs.is_none() {
            let set = crossbeam_skiplist::SkipSet::new();
            theirs = bytes_per_entry(n, 1, &mut |k| drop(set.insert(k)));
        }
    }
    let (ours, theirs) = (
        ours.expect("no quiet window for lazuli's SkipSet: more than one allocation per entry?"),
        theirs.expect("no quiet window for crossbeam's SkipSet"),
    );
    println!("SkipSet<u64>: lazuli {ours:.2} B/entry, crossbeam-skiplist {theirs:.2} B/entry (one allocation per entry each)");
    if cfg!(miri) {
        // 20 entries under Miri: their random heights swing the average by
        // a few bytes, so only the one-allocation-per-entry count (checked
        // by `bytes_per_entry`) is meaningful there.
        return;
    }
    assert!(
        ours <= theirs,
        "lazuli's SkipSet<u64> uses {ours:.2} bytes per entry, crossbeam's {theirs:.2}"
    );
    // 16-byte header + 8 bytes per level, 23/12 levels on average: 31.3 B.
    assert!(
        ours < 31.7,
        "{ours:.2} B per entry: the level distribution is off"
    );
}

#[test]
fn a_skip_map_of_u64_to_u64_uses_no_more_bytes_per_entry_than_crossbeam() {
    let _exclusive = support::alloc::measuring();
    let n = scaled(20_000);
    drop(crossbeam_epoch::pin()); // as in the set test above
    let mut ours = None;
    let mut theirs = None;
    for _ in 0..20 {
        if ours.is_none() {
            let map = SkipMap::new();
            ours = bytes_per_entry(n, 1, &mut |k| drop(map.insert(k, k)));
        }
        if theirs.is_none() && cfg!(miri) {
            // As in the set test (crossbeam's nominal 40 B, unused).
            theirs = Some(40.0);
        }
        if theirs.is_none() {
            let map = crossbeam_skiplist::SkipMap::new();
            theirs = bytes_per_entry(n, 1, &mut |k| drop(map.insert(k, k)));
        }
    }
    let (ours, theirs) = (
        ours.expect("no quiet window for lazuli's SkipMap: more than one allocation per entry?"),
        theirs.expect("no quiet window for crossbeam's SkipMap"),
    );
    println!("SkipMap<u64, u64>: lazuli {ours:.2} B/entry, crossbeam-skiplist {theirs:.2} B/entry (one allocation per entry each)");
    if cfg!(miri) {
        // 20 entries under Miri: their random heights swing the average by
        // a few bytes, so only the one-allocation-per-entry count (checked
        // by `bytes_per_entry`) is meaningful there.
        return;
    }
    assert!(
        ours <= theirs,
        "lazuli's SkipMap<u64, u64> uses {ours:.2} bytes per entry, crossbeam's {theirs:.2}"
    );
    // 24-byte header (key, value inline, state, height) + 8 bytes per level,
    // 23/12 levels on average: 39.3 B, in one allocation (the value is not
    // boxed).
    assert!(
        ours < 39.7,
        "{ours:.2} B per entry: the value is boxed again, or the level distribution is off"
    );
}

// ---- a panicking `Ord` after the mark ----

/// The message of [`FusedKey`]'s panics.
const FUSE_MESSAGE: &str = "FusedKey::cmp panics on purpose";

std::thread_local! {
    /// Comparisons left on this thread before one panics; 0: never.
    static FUSE: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// A key whose comparison panics once the comparing thread's fuse has run
/// down ([`arm`]), wherever in an operation that falls.
#[derive(Debug)]
struct FusedKey(u64);

/// The next `comparisons - 1` comparisons on this thread pass, the one after
/// panics (and disarms); 0 disarms.
fn arm(comparisons: u32) {
    FUSE.with(|fuse| fuse.set(comparisons));
}

impl Ord for FusedKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        FUSE.with(|fuse| match fuse.get() {
            0 => {}
            1 => {
                fuse.set(0);
                panic!("{}", FUSE_MESSAGE);
            }
            n => fuse.set(n - 1),
        });
        self.0.cmp(&other.0)
    }
}

impl PartialOrd for FusedKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for FusedKey {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl Eq for FusedKey {}

/// A remove or a replacing insert marks its node, then locks and validates
/// the predecessors; if a neighbour moved meanwhile it searches again, and
/// that search calls `Ord`. Here one thread keeps inserting and removing the
/// target's neighbours (so validations fail) while another removes,
/// replaces and inserts the target with `Ord` set to panic after a varying
/// number of comparisons, so some panics land in a search after the mark
/// (and some in the search an insert retries after building its node). After each panic the target
/// must still be insertable, which a marked node left linked would stop for
/// good (every insert would wait for its remover and find it again); at the
/// end the map must list each key once, and every value made must be
/// dropped exactly once (an insert's unlinked node must not leak). A remove
/// whose panic came after its mark is one that took effect (the key is gone
/// once the fuse is disarmed); the test counts those and fails if it saw
/// none, so it cannot pass without reaching the path it is for.
#[test]
#[cfg_attr(miri, ignore)] // needs thousands of races with the churning thread
fn a_panicking_ord_after_the_mark_still_unlinks_and_leaks_nothing() {
    use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering::SeqCst};
    use std::sync::Arc;
    use support::map_suite::{
        assert_every_value_dropped_once, quiet_panics, within_deadline, Counted,
    };

    let _g = shared();
    const TARGET: u64 = 512;
    let live = Arc::new(AtomicIsize::new(0));
    let map = Arc::new(SkipMap::new());
    for k in 0..2 * TARGET {
        map.insert(FusedKey(k), Counted::new(&live, k));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let churner = {
        let (map, live, stop) = (Arc::clone(&map), Arc::clone(&live), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut round = 0u64;
            while !stop.load(SeqCst) {
                // The target's close neighbours, below and above it.
                let k = TARGET - 4 + round % 9;
                round += 1;
                if k != TARGET {
                    drop(map.remove(&FusedKey(k)));
                    map.insert(FusedKey(k), Counted::new(&live, k));
                }
            }
        })
    };
    let trials = scaled(200_000) as u64;
    let panicked = {
        let (map, live) = (Arc::clone(&map), Arc::clone(&live));
        within_deadline("operations on a key whose Ord panicked", move || {
            quiet_panics(FUSE_MESSAGE, || {
                let (mut panicked, mut after_mark) = (0, 0);
                let mut trial = 0;
                // At least `trials`, and on until a remove has panicked
                // after its mark (up to eight times as many).
                while trial < trials || (after_mark == 0 && trial < 8 * trials) {
                    trial += 1;
                    let fuse = 1 + (trial * 7_919 % 48) as u32;
                    if trial % 3 == 2 {
                        // The insert below then builds a node of its own.
                        drop(map.remove(&FusedKey(TARGET)));
                    }
                    let outcome = catch_unwind(AssertUnwindSafe(|| {
                        arm(fuse);
                        if trial % 3 == 0 {
                            drop(map.remove(&FusedKey(TARGET)));
                        } else {
                            // Replacing (present) or linking a new node.
                            map.insert(FusedKey(TARGET), Counted::new(&live, TARGET));
                        }
                    }));
                    arm(0);
                    panicked += usize::from(outcome.is_err());
                    if outcome.is_err() && trial % 3 == 0 && !map.contains_key(&FusedKey(TARGET)) {
                        // The remove took effect before its `Ord` panicked:
                        // the panic landed after the mark.
                        after_mark += 1;
                    }
                    // Hangs (and so fails) if a marked node was left linked.
                    map.insert(FusedKey(TARGET), Counted::new(&live, TARGET));
                }
                (panicked, after_mark)
            })
        })
    };
    stop.store(true, SeqCst);
    churner.join().expect("the churning thread panicked");
    let (panicked, after_mark) = panicked;
    println!(
        "{panicked} operations on the target panicked (at least {trials} made), \
         {after_mark} removes of them after their mark"
    );
    assert!(
        after_mark > 0,
        "no remove panicked after its mark: the path this test exists for was not reached"
    );
    let keys: Vec<u64> = map.iter().map(|entry| entry.key().0).collect();
    assert_eq!(
        keys,
        (0..2 * TARGET).collect::<Vec<_>>(),
        "each key once, in order"
    );
    assert_eq!(map.len(), keys.len(), "len counts a node no longer listed");
    drop(map);
    assert_every_value_dropped_once(&live);
}
