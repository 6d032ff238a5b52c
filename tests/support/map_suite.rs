//! The concurrent suite for ordered maps and sets, written once and run
//! against every structure (`ListMap`/`ListSet`, `SkipMap`/`SkipSet`).
//!
//! A structure joins by implementing [`SuiteMap`], usually through
//! [`impl_suite_map!`](crate::impl_suite_map) (for a crossbeam-shaped map) or
//! [`impl_suite_set!`](crate::impl_suite_set) (for a set, with `()` values),
//! and calling each `pub fn` of this module from a `#[test]`.
//!
//! | test | property |
//! |---|---|
//! | [`one_winner_per_concurrent_remove`] | of T threads removing the same key, exactly one gets it |
//! | [`unique_tokens`] | tokens inserted once are removed at most once, and no removed token remains |
//! | [`striped_models`] | each thread owns a stripe of keys and checks every result against its own `BTreeMap`; the union of the models is the final map |
//! | [`iteration_under_churn`] | iterators see strictly increasing keys and every key present throughout |
//! | [`drops_balance`] | every value created is dropped exactly once, after waiting for epoch reclamation |
//! | [`panicking_ord`] | a comparison that panics leaves no lock held and the map intact |
//!
//! Loop counts go through [`scaled`](super::scaled), so Miri runs the same
//! properties on fewer operations.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use super::scaled;

/// The operations the suite needs, with owned results.
pub trait SuiteMap<K, V>: Default + Send + Sync {
    /// Insert, replacing the value of a present key.
    fn insert(&self, key: K, value: V);
    /// Insert if absent; returns the value now present.
    fn get_or_insert(&self, key: K, value: V) -> V;
    /// The value of `key`.
    fn get(&self, key: &K) -> Option<V>;
    /// Whether `key` is present.
    fn contains(&self, key: &K) -> bool;
    /// Remove `key`, returning its value if this call removed it.
    fn remove(&self, key: &K) -> Option<V>;
    /// Remove the smallest key.
    fn pop_front(&self) -> Option<(K, V)>;
    /// The keys, by one forward iteration.
    fn keys(&self) -> Vec<K>;
    /// The keys, by one backward iteration.
    fn keys_rev(&self) -> Vec<K>;
    /// The keys in `[lo, hi)`, by `range`.
    fn keys_in(&self, lo: &K, hi: &K) -> Vec<K>;
    /// The entries, by one forward iteration.
    fn entries(&self) -> Vec<(K, V)>;
    /// The length.
    fn len(&self) -> usize;
}

/// The methods of [`SuiteMap`] that read whole entries (`pop_front`, the
/// iterations, `len`), shared by [`impl_suite_map!`](crate::impl_suite_map)
/// and [`impl_suite_set!`](crate::impl_suite_set): values are `$v`, and
/// `|e| (key, value)` makes an owned key and value of an entry `e`.
#[doc(hidden)]
#[macro_export]
macro_rules! suite_entry_reads {
    ($v:ty, |$e:ident| ($key:expr, $value:expr)) => {
        fn pop_front(&self) -> Option<(K, $v)> {
            Self::pop_front(self).map(|$e| ($key, $value))
        }
        fn keys(&self) -> Vec<K> {
            self.iter().map(|$e| $key).collect()
        }
        fn keys_rev(&self) -> Vec<K> {
            self.iter().rev().map(|$e| $key).collect()
        }
        fn keys_in(&self, lo: &K, hi: &K) -> Vec<K> {
            self.range::<K, _>((std::ops::Bound::Included(lo), std::ops::Bound::Excluded(hi)))
                .map(|$e| $key)
                .collect()
        }
        fn entries(&self) -> Vec<(K, $v)> {
            self.iter().map(|$e| ($key, $value)).collect()
        }
        fn len(&self) -> usize {
            Self::len(self)
        }
    };
}

/// Implement [`SuiteMap`] for a map type with crossbeam-skiplist's `SkipMap`
/// surface: `impl_suite_map!(lazuli::list::ListMap);`.
#[macro_export]
macro_rules! impl_suite_map {
    ($map:ident $(:: $path:ident)*) => {
        impl<K, V> $crate::support::map_suite::SuiteMap<K, V> for $map $(:: $path)* <K, V>
        where
            K: Ord + Clone + Send + Sync + 'static,
            V: Clone + Send + Sync + 'static,
        {
            fn insert(&self, key: K, value: V) {
                Self::insert(self, key, value);
            }
            fn get_or_insert(&self, key: K, value: V) -> V {
                Self::get_or_insert(self, key, value).value().clone()
            }
            fn get(&self, key: &K) -> Option<V> {
                Self::get(self, key).map(|e| e.value().clone())
            }
            fn contains(&self, key: &K) -> bool {
                Self::contains_key(self, key)
            }
            fn remove(&self, key: &K) -> Option<V> {
                Self::remove(self, key).map(|e| e.value().clone())
            }
            $crate::suite_entry_reads!(V, |e| (e.key().clone(), e.value().clone()));
        }
    };
}

/// Implement [`SuiteMap<K, ()>`] for a set type with crossbeam-skiplist's
/// `SkipSet` surface: `impl_suite_set!(lazuli::list::ListSet);`.
#[macro_export]
macro_rules! impl_suite_set {
    ($set:ident $(:: $path:ident)*) => {
        impl<K> $crate::support::map_suite::SuiteMap<K, ()> for $set $(:: $path)* <K>
        where
            K: Ord + Clone + Send + Sync + 'static,
        {
            fn insert(&self, key: K, (): ()) {
                Self::insert(self, key);
            }
            fn get_or_insert(&self, key: K, (): ()) {
                Self::get_or_insert(self, key);
            }
            fn get(&self, key: &K) -> Option<()> {
                Self::get(self, key).map(|_| ())
            }
            fn contains(&self, key: &K) -> bool {
                Self::contains(self, key)
            }
            fn remove(&self, key: &K) -> Option<()> {
                Self::remove(self, key).map(|_| ())
            }
            $crate::suite_entry_reads!((), |e| (e.value().clone(), ()));
        }
    };
}

/// A value type the suite can make from a number and check against it, so
/// maps (`u64` values) and sets (`()` values) run the same tests.
pub trait SuiteValue: Clone + PartialEq + std::fmt::Debug + Send + Sync + 'static {
    /// The value the suite stores for `n`.
    fn make(n: u64) -> Self;
}

impl SuiteValue for u64 {
    fn make(n: u64) -> Self {
        n.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0xA5
    }
}

impl SuiteValue for () {
    fn make(_: u64) -> Self {}
}

/// Threads for the suite: more than this machine's cores, to oversubscribe.
fn threads() -> usize {
    if cfg!(miri) {
        3
    } else {
        8
    }
}

/// A small deterministic PRNG (xorshift), so failures reproduce per seed.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed` (any value).
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    /// The next number below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Runs `work(me)` on `threads` threads at once, `me` in `0..threads`, and
/// returns what each returned, in thread order. A thread's panic fails the
/// test with the message `failed`.
pub fn results_of_threads<T: Send>(
    threads: u64,
    failed: &str,
    work: impl Fn(u64) -> T + Sync,
) -> Vec<T> {
    thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|me| {
                let work = &work;
                s.spawn(move || work(me))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect(failed))
            .collect()
    })
}

/// Of several threads removing the same keys at the same time, exactly one
/// gets each key.
pub fn one_winner_per_concurrent_remove<V: SuiteValue, M: SuiteMap<u64, V>>() {
    let keys = scaled(256) as u64;
    let rounds = scaled(20).min(20);
    let t = threads();
    for round in 0..rounds {
        let map = M::default();
        for k in 0..keys {
            map.insert(k, V::make(k));
        }
        let barrier = Barrier::new(t);
        let winners: Vec<Vec<(u64, V)>> = results_of_threads(t as u64, "remover panicked", |i| {
            barrier.wait();
            // Half the threads go forwards, half backwards, so every pairing
            // of directions meets.
            let order: Vec<u64> = if i % 2 == 0 {
                (0..keys).collect()
            } else {
                (0..keys).rev().collect()
            };
            order
                .into_iter()
                .filter_map(|k| map.remove(&k).map(|v| (k, v)))
                .collect()
        });
        let mut won = BTreeMap::new();
        for (thread, list) in winners.iter().enumerate() {
            for (k, v) in list {
                let k = *k;
                assert_eq!(
                    *v,
                    V::make(k),
                    "round {round}: remove of {k} returned a foreign value"
                );
                if let Some(other) = won.insert(k, thread) {
                    panic!("round {round}: key {k} was removed by both thread {other} and thread {thread}");
                }
            }
        }
        assert_eq!(
            won.len() as u64,
            keys,
            "round {round}: some key was removed by nobody"
        );
        assert_eq!(map.len(), 0, "round {round}: len after removing everything");
        assert!(
            map.keys().is_empty(),
            "round {round}: keys remain after removing everything"
        );
    }
}

/// Producers insert unique tokens while consumers remove them (by key and by
/// `pop_front`): no token is removed twice, and the final map holds exactly
/// the tokens nobody removed.
pub fn unique_tokens<V: SuiteValue, M: SuiteMap<u64, V>>() {
    let per_thread = scaled(2_000) as u64;
    let t = threads() as u64;
    let producers = t / 2;
    let map = M::default();
    let done = AtomicUsize::new(0);
    let removed: Vec<Vec<u64>> = thread::scope(|s| {
        let mut handles = Vec::new();
        for p in 0..producers {
            let (map, done) = (&map, &done);
            handles.push(s.spawn(move || {
                for i in 0..per_thread {
                    let token = i * producers + p;
                    map.insert(token, V::make(token));
                }
                done.fetch_add(1, SeqCst);
                Vec::new()
            }));
        }
        for c in 0..(t - producers) {
            let (map, done) = (&map, &done);
            handles.push(s.spawn(move || {
                let mut rng = Rng::new(c + 1);
                let mut got = Vec::new();
                while done.load(SeqCst) < producers as usize {
                    let r = if rng.below(2) == 0 {
                        map.pop_front()
                    } else {
                        let k = rng.below(per_thread * producers);
                        map.remove(&k).map(|v| (k, v))
                    };
                    if let Some((k, v)) = r {
                        assert_eq!(v, V::make(k), "token {k} came back with a foreign value");
                        got.push(k);
                    }
                }
                got
            }));
        }
        handles
            .into_iter()
            .map(|h| h.join().expect("a token thread panicked"))
            .collect()
    });
    let mut seen = HashSet::new();
    for k in removed.iter().flatten() {
        assert!(seen.insert(*k), "token {k} was removed twice");
    }
    let remaining = map.keys();
    for k in &remaining {
        assert!(
            !seen.contains(k),
            "token {k} was removed but is still in the map"
        );
    }
    assert_eq!(
        remaining.len() + seen.len(),
        (per_thread * producers) as usize,
        "tokens were lost: {} remain, {} removed",
        remaining.len(),
        seen.len()
    );
    assert_eq!(
        map.len(),
        remaining.len(),
        "len disagrees with iteration when quiescent"
    );
}

/// Each thread owns the keys `k` with `k % T == thread` and drives random
/// operations on them, checking every result against its own `BTreeMap`
/// (nobody else touches its keys, so its model is exact). Other threads'
/// traffic interleaves in the same list. At the end the union of the models
/// is the map.
pub fn striped_models<V: SuiteValue, M: SuiteMap<u64, V>>() {
    let ops = scaled(5_000);
    let t = threads() as u64;
    let key_space = 64 * t;
    let map = M::default();
    let models: Vec<BTreeMap<u64, V>> = results_of_threads(t, "a model thread panicked", |me| {
        let mut rng = Rng::new(me + 100);
        let mut model = BTreeMap::new();
        for step in 0..ops {
            let k = rng.below(key_space / t) * t + me;
            let v = V::make(rng.below(1_000_000));
            match rng.below(6) {
                0 | 1 => {
                    map.insert(k, v.clone());
                    model.insert(k, v);
                }
                2 => {
                    let got = map.get_or_insert(k, v.clone());
                    let want = model.entry(k).or_insert(v).clone();
                    assert_eq!(got, want, "thread {me} step {step}: get_or_insert({k})");
                }
                3 => assert_eq!(
                    map.remove(&k),
                    model.remove(&k),
                    "thread {me} step {step}: remove({k})"
                ),
                4 => assert_eq!(
                    map.get(&k),
                    model.get(&k).cloned(),
                    "thread {me} step {step}: get({k})"
                ),
                _ => assert_eq!(
                    map.contains(&k),
                    model.contains_key(&k),
                    "thread {me} step {step}: contains({k})"
                ),
            }
        }
        model
    });
    let want: Vec<(u64, V)> = models
        .into_iter()
        .flatten()
        .collect::<BTreeMap<_, _>>()
        .into_iter()
        .collect();
    assert_eq!(
        map.entries(),
        want,
        "the final map differs from the union of the per-thread models"
    );
    assert_eq!(map.len(), want.len(), "len when quiescent");
}

/// Even keys are present throughout; churn threads insert and remove odd
/// keys. Every forward, backward and range iteration must be strictly
/// monotonic and contain every even key of its span.
pub fn iteration_under_churn<V: SuiteValue, M: SuiteMap<u64, V>>() {
    let keys = 2 * scaled(128) as u64;
    let rounds = scaled(300);
    let map = M::default();
    for k in (0..keys).step_by(2) {
        map.insert(k, V::make(k));
    }
    let churn = |c: u64, stop: &AtomicBool| {
        let mut rng = Rng::new(c + 7);
        while !stop.load(SeqCst) {
            let k = rng.below(keys / 2) * 2 + 1;
            if rng.below(2) == 0 {
                map.insert(k, V::make(k));
            } else {
                map.remove(&k);
            }
        }
    };
    let read = |r: u64| {
        for round in 0..rounds {
            let (lo, hi) = match round % 3 {
                0 => (0, keys),
                _ => (keys / 4, 3 * keys / 4),
            };
            let seen = match round % 3 {
                0 => map.keys(),
                1 => map.keys_in(&lo, &hi),
                _ => {
                    let mut back = map.keys_rev();
                    back.reverse();
                    back.retain(|k| (lo..hi).contains(k));
                    back
                }
            };
            for w in seen.windows(2) {
                assert!(
                    w[0] < w[1],
                    "reader {r} round {round}: keys not strictly increasing: {w:?}"
                );
            }
            let seen: BTreeSet<u64> = seen.into_iter().collect();
            for k in (lo..hi).filter(|k| k % 2 == 0) {
                assert!(
                    seen.contains(&k),
                    "reader {r} round {round}: skipped key {k}, present throughout"
                );
            }
        }
    };
    let half = threads() as u64 / 2;
    read_while_writing((half, churn), (half, read));
}

/// Runs `read(r)` on reader threads `0..readers` while `write(w, stop)`
/// runs on writer threads `0..writers`; a writer must return once `stop` is
/// set, which happens when every reader has finished. A reader's panic
/// fails the test (after the writers are stopped).
pub fn read_while_writing(
    (writers, write): (u64, impl Fn(u64, &AtomicBool) + Sync),
    (readers, read): (u64, impl Fn(u64) + Sync),
) {
    let stop = AtomicBool::new(false);
    thread::scope(|s| {
        for w in 0..writers {
            let (write, stop) = (&write, &stop);
            s.spawn(move || write(w, stop));
        }
        let handles: Vec<_> = (0..readers)
            .map(|r| {
                let read = &read;
                s.spawn(move || read(r))
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join()).collect();
        stop.store(true, SeqCst);
        for result in results {
            result.expect("a reader failed");
        }
    });
}

/// A value that counts live instances: +1 when made or cloned, −1 when
/// dropped. A final count of 0 means no leak and no double drop.
#[derive(Debug)]
pub struct Counted {
    live: Arc<AtomicIsize>,
    /// The payload.
    pub id: u64,
}

impl Counted {
    /// A new counted value.
    pub fn new(live: &Arc<AtomicIsize>, id: u64) -> Self {
        live.fetch_add(1, SeqCst);
        Self {
            live: live.clone(),
            id,
        }
    }
}

impl Clone for Counted {
    fn clone(&self) -> Self {
        Self::new(&self.live, self.id)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.live.fetch_sub(1, SeqCst);
    }
}

/// Wait (up to a deadline) until `done()` holds, flushing the epoch so that
/// retired objects are reclaimed. Returns whether it held in time.
pub fn wait_for_reclamation(mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(if cfg!(miri) { 120 } else { 20 });
    loop {
        if done() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        for _ in 0..4 {
            crossbeam_epoch::pin().flush();
        }
        thread::sleep(Duration::from_millis(1));
    }
}

/// Concurrent inserts, replacements, `get_or_insert`s, removes and pops of
/// counted values, with iterations and ranges in between (each range
/// followed by an insert: crossbeam-skiplist 0.1.3 leaks there, its #1178);
/// after the map is dropped and the epoch has reclaimed what was retired,
/// every value ever made (the clones an iteration hands out included) has
/// been dropped exactly once.
pub fn drops_balance<M: SuiteMap<u64, Counted>>() {
    let live = Arc::new(AtomicIsize::new(0));
    let ops = scaled(4_000);
    {
        let map = M::default();
        thread::scope(|s| {
            for me in 0..threads() as u64 {
                let (map, live) = (&map, &live);
                s.spawn(move || {
                    let mut rng = Rng::new(me + 31);
                    for _ in 0..ops {
                        let k = rng.below(64);
                        match rng.below(8) {
                            0 | 1 => map.insert(k, Counted::new(live, k)),
                            2 => drop(map.get_or_insert(k, Counted::new(live, k))),
                            3 | 4 => drop(map.remove(&k)),
                            5 => drop(map.pop_front()),
                            6 => {
                                drop(map.keys_in(&k, &(k + 8)));
                                map.insert(k + 4, Counted::new(live, k + 4));
                            }
                            _ => {
                                drop(map.entries());
                                drop(map.get(&k));
                            }
                        }
                    }
                });
            }
        });
        assert!(
            live.load(SeqCst) >= map.len() as isize,
            "fewer live values than entries: a value was dropped early"
        );
    }
    assert_every_value_dropped_once(&live);
}

/// After the map is dropped: waits for the epoch to reclaim what was retired,
/// then asserts that every [`Counted`] value made with `live` was dropped
/// exactly once (none twice, none leaked).
pub fn assert_every_value_dropped_once(live: &AtomicIsize) {
    let balanced = wait_for_reclamation(|| live.load(SeqCst) == 0);
    let left = live.load(SeqCst);
    assert!(
        left >= 0,
        "{} more drops than values made: a double drop",
        -left
    );
    assert!(
        balanced,
        "{left} values still alive after the map was dropped and the epoch flushed: a leak"
    );
}

/// A key whose comparison with [`POISON`] panics for every key at or above
/// [`PANIC_FROM`] (and says "greater" below it), so a search for the poisoned
/// key walks part of the list and then panics mid-search.
#[derive(Clone, Debug)]
pub struct TouchyKey(pub u64);

/// The poisoned key value of [`TouchyKey`].
pub const POISON: u64 = u64::MAX;
/// Keys from here on panic when compared with [`POISON`].
pub const PANIC_FROM: u64 = 1 << 20;
/// The message of the panic, to filter it from the test output.
pub const TOUCHY_MESSAGE: &str = "TouchyKey::cmp panics on purpose";

impl PartialEq for TouchyKey {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for TouchyKey {}
impl PartialOrd for TouchyKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for TouchyKey {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.0 == POISON, other.0 == POISON) {
            (true, true) => Ordering::Equal,
            (true, false) if other.0 < PANIC_FROM => Ordering::Greater,
            (false, true) if self.0 < PANIC_FROM => Ordering::Less,
            (false, false) => self.0.cmp(&other.0),
            _ => panic!("{}", TOUCHY_MESSAGE),
        }
    }
}

/// Run `f` with panics whose message is `message` kept out of the output
/// (other panics are reported as usual).
pub fn quiet_panics<T>(message: &'static str, f: impl FnOnce() -> T) -> T {
    let previous = Arc::new(std::panic::take_hook());
    let inner = previous.clone();
    std::panic::set_hook(Box::new(move |info| {
        let text = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied());
        if text != Some(message) {
            (*inner)(info);
        }
    }));
    let result = catch_unwind(AssertUnwindSafe(f));
    drop(std::panic::take_hook());
    std::panic::set_hook(Box::new(move |info| (*previous)(info)));
    result.unwrap_or_else(|payload| std::panic::resume_unwind(payload))
}

/// Run `f` on another thread and fail loudly if it does not finish in time:
/// a lock left held shows up as a hang, which this turns into a failure.
pub fn within_deadline<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(catch_unwind(AssertUnwindSafe(f)));
    });
    let secs = if cfg!(miri) { 600 } else { 60 };
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(Ok(value)) => value,
        Ok(Err(payload)) => std::panic::resume_unwind(payload),
        Err(_) => panic!("{what} did not finish in {secs} s: a lock left held?"),
    }
}

/// Threads insert and remove keys while others insert, look up and remove
/// the poisoned key, whose comparisons panic mid-search. Every poisoned call
/// must panic; afterwards the map holds exactly the keys the threads' models
/// say, and every key can still be updated (no lock was left held).
///
/// A poisoned call panics in its first search. The searches an update
/// repeats after a failed validation (after the skiplist's remove or
/// replacement has marked its node, or its insert has built one) are
/// covered by `tests/skiplist.rs`
/// (`a_panicking_ord_after_the_mark_still_unlinks_and_leaks_nothing`) and
/// by the loom models in `loom-tests/tests/skiplist_unwind.rs`.
///
/// The list never compares keys while it holds a node lock (searches take
/// no lock, and validation compares links). The skiplist does in one place:
/// a remove or replacement that has marked its node keeps that node's lock
/// through the searches it repeats before unlinking (`unwind.rs`), and
/// those call `Ord`; the poisoned calls here panic in their first search,
/// before any lock. So the "no lock left held" half guards the lock-free
/// searches: a change that compared keys under a lock taken earlier would
/// show up here as a hang, turned into a failure by `within_deadline`.
pub fn panicking_ord<V: SuiteValue, M: SuiteMap<TouchyKey, V> + 'static>() {
    let t = threads() as u64;
    let ops = scaled(2_000);
    // Keys straddle PANIC_FROM, so poisoned searches pass some nodes first.
    let key = move |slot: u64, me: u64| PANIC_FROM - 16 * t + slot * t + me;
    let map = Arc::new(M::default());
    // A permanent key past PANIC_FROM: every poisoned search meets it.
    let permanent = PANIC_FROM + 1_000_000;
    map.insert(TouchyKey(permanent), V::make(0));
    let m = map.clone();
    let models = quiet_panics(TOUCHY_MESSAGE, || {
        within_deadline("the panicking-Ord workload", move || {
            let failed = "a thread failed outside the poisoned calls";
            results_of_threads(t, failed, |me| {
                let map = &m;
                let mut rng = Rng::new(me + 55);
                let mut model = BTreeSet::new();
                for step in 0..ops {
                    let k = key(rng.below(32), me);
                    if rng.below(8) == 0 {
                        let poisoned = catch_unwind(AssertUnwindSafe(|| match step % 3 {
                            0 => map.insert(TouchyKey(POISON), V::make(k)),
                            1 => drop(map.remove(&TouchyKey(POISON))),
                            _ => drop(map.get(&TouchyKey(POISON))),
                        }));
                        assert!(
                            poisoned.is_err(),
                            "step {step}: a poisoned call did not panic"
                        );
                    } else if rng.below(2) == 0 {
                        map.insert(TouchyKey(k), V::make(k));
                        model.insert(k);
                    } else {
                        assert_eq!(
                            map.remove(&TouchyKey(k)).is_some(),
                            model.remove(&k),
                            "remove({k})"
                        );
                    }
                }
                model
            })
        })
    });
    let mut want: BTreeSet<u64> = models.into_iter().flatten().collect();
    want.insert(permanent);
    let got: Vec<u64> = map.keys().into_iter().map(|k| k.0).collect();
    assert_eq!(
        got,
        want.into_iter().collect::<Vec<_>>(),
        "the map after panicking comparisons differs from the models"
    );
    let m = map.clone();
    within_deadline("updates after the panics", move || {
        for slot in 0..32 {
            for me in 0..t {
                let k = key(slot, me);
                m.insert(TouchyKey(k), V::make(k));
                assert!(m.remove(&TouchyKey(k)).is_some(), "key {k} vanished");
            }
        }
    });
}
