//! Linearizability checking (issue 6): record real concurrent histories and
//! check them against a sequential specification.
//!
//! A structure is *linearizable* (Herlihy & Wing, TOPLAS 1990) if every
//! concurrent history is equivalent to some sequential one that (1) the
//! sequential specification allows and (2) keeps every pair of non-overlapping
//! operations in their real-time order. Stress tests catch lost and
//! duplicated elements; this catches the subtler bugs: a pop that returns an
//! element "from the future", a lookup that misses a key which was present
//! for its whole duration, two removers that both win.
//!
//! # Pieces
//!
//! | module | role |
//! |---|---|
//! | [`history`] | the clock, per-thread logs, [`History`] and its printout |
//! | [`spec`] | sequential specifications: [`QueueSpec`], [`MapSpec`], [`SetSpec`] |
//! | [`wgl`] | the Wing & Gong / Lowe search, per-key checking, minimisation |
//! | [`plans`] | random workloads: small colliding histories and long per-key ones |
//! | [`subjects`] | lock-based references and the broken negative controls |
//! | this file | [`Subject`] (the structure under test), [`Plan`], [`record`], [`explore`] |
//!
//! # Flow of one history
//!
//! ```text
//!  plan(rng) ─▶ setup calls (driver, alone)
//!            ─▶ round 0: T0..Tn run their scripts together ─▶ quiescent calls (len)
//!            ─▶ round 1: ...                                ─▶ quiescent calls
//!            ─▶ History { init: S::default(), ops }        (every op: thread, call, result, inv..resp)
//!            ─▶ check whole (queue, whole-map ops) or per key (maps and sets)
//!            ─▶ on failure: minimise, print, panic with the seed
//! ```
//!
//! # Adding a structure
//!
//! Implement [`Subject`] for it (one `match` from call to method, see the
//! adapters in `tests/linearizability.rs`), write a plan generator, and call
//! [`explore`] with [`check_whole`] or [`check_per_key`].
//!
//! # Environment
//!
//! `LINCHECK_SEED` (the base seed of the plans) and `LINCHECK_SCALE` (a
//! multiplier on the number of histories, for soak runs). Under Miri the
//! counts drop to a handful: the search itself is pure computation.

pub mod history;
pub mod plans;
pub mod spec;
pub mod subjects;
pub mod wgl;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::Barrier;
use std::time::{Duration, Instant};

pub use history::{Clock, History, Op, ThreadLog};
pub use spec::{
    MapCall, MapRet, MapSpec, Partitioned, QueueCall, QueueRet, QueueSpec, SetCall, SetRet,
    SetSpec, Spec,
};
pub use wgl::{check, check_history, check_whole, Checked, Verdict, Violation};

/// The structure under test, seen through a specification's calls.
pub trait Subject<S: Spec>: Sync {
    /// Performs `call` on the structure and reports its result in the
    /// specification's terms.
    fn apply(&self, call: &S::Call) -> S::Ret;
}

/// A small deterministic generator (splitmix64), so that a failing plan can
/// be replayed from its seed.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// A number in `range`.
    pub fn in_range(&mut self, range: std::ops::RangeInclusive<usize>) -> usize {
        range.start() + self.below((range.end() - range.start() + 1) as u64) as usize
    }

    /// `true` with probability `percent`/100.
    pub fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// What one history will do.
#[derive(Clone, Debug)]
pub struct Plan<S: Spec> {
    /// Calls the driver makes alone before the workers start (prefilling).
    pub setup: Vec<S::Call>,
    /// `rounds[r][t]`: the script of worker `t` in round `r`. Every round
    /// has the same number of workers.
    pub rounds: Vec<Vec<Vec<S::Call>>>,
    /// Calls the driver makes alone after each round (`len`).
    pub quiescent: Vec<S::Call>,
    /// Seed of the random pauses workers take between operations, which
    /// vary how the operations overlap; `None` for no pauses (fixed
    /// schedules). [`explore`] fills it in from the plan's seed.
    pub jitter: Option<u64>,
}

impl<S: Spec> Plan<S> {
    /// One round of `scripts` and nothing else.
    pub fn one_round(scripts: Vec<Vec<S::Call>>) -> Self {
        Self::one_round_after(Vec::new(), scripts)
    }

    /// The `setup` calls, then one round of `scripts`, and nothing else: no
    /// quiescent calls and no jitter (a fixed schedule).
    pub fn one_round_after(setup: Vec<S::Call>, scripts: Vec<Vec<S::Call>>) -> Self {
        Plan {
            setup,
            rounds: vec![scripts],
            quiescent: Vec::new(),
            jitter: None,
        }
    }

    /// How many worker threads the plan needs.
    pub fn threads(&self) -> usize {
        self.rounds.first().map_or(0, Vec::len)
    }
}

/// Runs `plan` against `subject` on real threads and records the history.
/// The subject must start empty (in `S::default()`).
///
/// # Making the operations overlap
///
/// The checker can only test the concurrency a history contains: a history in
/// which no two operations overlap is sequential, and checking it proves
/// nothing a single-threaded test does not. So the recorder packs each
/// round's operations as densely as it can:
///
/// 1. **A common start.** Workers meet at a barrier before each round. A
///    barrier wakes its waiters microseconds apart, longer than a whole
///    script of ~100 ns operations, so the workers then spin at a
///    [`GoLine`], which releases them once it has seen as many of them
///    running at once as there are cores: those start within a cache miss
///    of each other.
/// 2. **Back-to-back operations.** Nothing runs between a worker's
///    operations but the recording itself (two clock stamps and a push).
/// 3. **Jitter of about one operation, not more.** With a `jitter` seed,
///    each worker delays its start by up to a quarter of its script's length in spin
///    pauses (one pause costs about as much as one operation), and pauses
///    1–4 spins before one operation in 8. Successive histories then overlap
///    in different alignments while staying dense. (An earlier version paused
///    up to 1000 spins before half the operations; about 2% of operations
///    overlapped another thread's.)
///
/// [`Report`] prints the fraction of operations that did overlap, and
/// [`Report::assert_concurrent`] fails a run whose histories were too
/// sequential to mean much. More workers than cores still run partly one
/// after another: the workers on a core run their scripts together, the
/// others when those finish.
///
/// The driver's own calls (setup and quiescent calls) are recorded as thread
/// number `threads`.
pub fn record<S, T>(subject: &T, plan: &Plan<S>) -> History<S>
where
    S: Spec + Default,
    T: Subject<S>,
{
    let threads = plan.threads();
    assert!(
        plan.rounds.iter().all(|r| r.len() == threads),
        "every round needs the same worker count"
    );
    let clock = Clock::new();
    let start = Barrier::new(threads + 1);
    let end = Barrier::new(threads + 1);
    let go_line = GoLine::new(threads);
    let mut driver = ThreadLog::<S>::new(threads, &clock);
    for call in &plan.setup {
        driver.record(call.clone(), |c| subject.apply(c));
    }
    let mut ops = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (clock, start, end, go_line) = (&clock, &start, &end, &go_line);
                scope.spawn(move || {
                    let mut log = ThreadLog::<S>::new(t, clock);
                    let mut jitter = plan
                        .jitter
                        .map(|seed| Rng::new(seed ^ ((t as u64 + 1) << 48)));
                    for (r, round) in plan.rounds.iter().enumerate() {
                        let script = &round[t];
                        let delay = jitter
                            .as_mut()
                            .map_or(0, |rng| rng.below(script.len() as u64 / 4 + 1));
                        start.wait();
                        go_line.wait(t, r);
                        pause(delay);
                        for call in script {
                            if let Some(rng) = jitter.as_mut() {
                                if rng.below(8) == 0 {
                                    pause(1 + rng.below(4));
                                }
                            }
                            log.record(call.clone(), |c| subject.apply(c));
                        }
                        end.wait();
                    }
                    log.into_ops()
                })
            })
            .collect();
        for _ in &plan.rounds {
            start.wait();
            end.wait();
            for call in &plan.quiescent {
                driver.record(call.clone(), |c| subject.apply(c));
            }
        }
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a worker panicked"))
            .collect::<Vec<_>>()
    });
    ops.extend(driver.into_ops());
    history::rank_stamps(&mut ops);
    History::new(S::default(), ops)
}

/// Where the workers of a round wait so as to start together (see
/// [`record`]).
///
/// A worker spinning at the line may not be on a core: the OS can preempt it
/// there, and on a loaded machine it may not run again for milliseconds. So
/// the line watches *heartbeats*: every spinner bumps its own counter on
/// every spin, and a spinner that sees another's counter move within the
/// last few microseconds knows that one is on a core right now. The round is
/// released once every worker has arrived and as many as there are cores (at
/// most all of them) are seen running at once; then they start within a
/// cache miss of each other. If that does not happen within
/// [`GoLine::MAX_WAIT`] (a machine busy with other work), the round goes
/// anyway.
///
/// Before everyone has arrived, spinners yield now and then, so that workers
/// still waiting for a core (more workers than cores) get one and arrive.
struct GoLine {
    threads: usize,
    /// How many workers must be seen running at once.
    together: usize,
    /// Workers that reached the line, over all rounds.
    arrived: AtomicUsize,
    /// Rounds released so far.
    released: AtomicUsize,
    /// One heartbeat per worker, each on its own cache line.
    beats: Vec<Heartbeat>,
}

#[repr(align(128))]
#[derive(Default)]
struct Heartbeat(AtomicU64);

impl GoLine {
    /// Longest wait for the workers to be seen running together.
    const MAX_WAIT: Duration = Duration::from_micros(200);
    /// How long the releasing worker lets the others start before it does.
    const HEAD_START: Duration = Duration::from_nanos(400);
    /// Spins between two looks at the others' heartbeats (a few µs).
    const SPINS_PER_LOOK: u64 = 64;
    /// Spins between two yields while workers are still arriving.
    const SPINS_PER_YIELD: u64 = 256;

    fn new(threads: usize) -> Self {
        GoLine {
            threads,
            // Miri runs one thread at a time: nothing to wait for.
            together: if cfg!(miri) { 1 } else { threads.min(cores()) },
            arrived: AtomicUsize::new(0),
            released: AtomicUsize::new(0),
            beats: (0..threads).map(|_| Heartbeat::default()).collect(),
        }
    }

    /// Worker `worker` waits here until round `round` is released.
    fn wait(&self, worker: usize, round: usize) {
        // memory ordering: every counter here only times the start; the
        // barriers around the round order everything else, so Relaxed
        // suffices throughout.
        self.arrived.fetch_add(1, Relaxed);
        let everyone = self.threads * (round + 1);
        let mut seen: Option<Vec<u64>> = None;
        let mut since: Option<Instant> = None;
        let mut spins = 0u64;
        while self.released.load(Relaxed) <= round {
            self.beats[worker].0.fetch_add(1, Relaxed);
            spins += 1;
            if self.arrived.load(Relaxed) < everyone {
                if spins % Self::SPINS_PER_YIELD == 0 {
                    std::thread::yield_now();
                }
            } else if spins % Self::SPINS_PER_LOOK == 0 || self.together == 1 {
                let beats: Vec<u64> = self.beats.iter().map(|b| b.0.load(Relaxed)).collect();
                // Myself, plus every other worker whose heartbeat moved while
                // I spun (without yielding) since the last look.
                let running = match &seen {
                    Some(seen) => {
                        1 + (0..self.threads)
                            .filter(|&w| w != worker && beats[w] != seen[w])
                            .count()
                    }
                    None => 1,
                };
                let waited = since.get_or_insert_with(Instant::now).elapsed();
                if running >= self.together || waited >= Self::MAX_WAIT {
                    self.released.fetch_max(round + 1, Relaxed);
                    // The others see the release a cross-core cache miss
                    // later (a few hundred ns, several operations): give
                    // them that head start.
                    let released_at = Instant::now();
                    while released_at.elapsed() < Self::HEAD_START {
                        std::hint::spin_loop();
                    }
                    return;
                }
                // Not enough workers on cores: let a worker queued behind
                // me run, then look again after a full window of my own.
                seen = None;
                if spins % (4 * Self::SPINS_PER_LOOK) == 0 {
                    std::thread::yield_now();
                } else {
                    seen = Some(self.beats.iter().map(|b| b.0.load(Relaxed)).collect());
                }
            }
            std::hint::spin_loop();
        }
    }
}

/// Spins for `n` pauses (each about as long as one short operation).
fn pause(n: u64) {
    for _ in 0..n {
        std::hint::spin_loop();
    }
}

/// A checker: what it covered, or the minimised violation.
pub type Checker<S> = fn(&History<S>) -> Result<Checked, Box<Violation<S>>>;

/// Checks each key's sub-history alone.
pub fn check_per_key<S: Partitioned>(history: &History<S>) -> Result<Checked, Box<Violation<S>>> {
    wgl::check_per_key(history)
}

/// The outcome of [`explore`].
#[derive(Debug)]
pub struct Report<S: Spec> {
    /// What was tested.
    pub name: String,
    /// Histories recorded and checked.
    pub histories: usize,
    /// Operations in them.
    pub operations: usize,
    /// Operations that overlapped an operation of another thread.
    pub overlapping: usize,
    /// Operations that overlapped an operation of another thread within the
    /// (sub-)history they were checked in: per key, same-key collisions only.
    pub overlapping_checked: usize,
    /// (Sub-)histories the search ran on (more than `histories` per key).
    pub searches: usize,
    /// Wall time, recording included.
    pub elapsed: Duration,
    /// The first violation and the seed of its plan, if any.
    pub violation: Option<(u64, Box<Violation<S>>)>,
}

impl<S: Spec> Report<S> {
    /// Panics with the minimal failing history unless every history was
    /// linearizable.
    pub fn assert_linearizable(&self) {
        if let Some((seed, violation)) = &self.violation {
            panic!(
                "{}: NOT LINEARIZABLE (history {} of the run, plan seed {seed:#x}; replay with \
                 LINCHECK_SEED)\n{violation}",
                self.name, self.histories
            );
        }
    }

    /// Percentage of the operations that overlapped an operation of another
    /// thread.
    pub fn overlap_percent(&self) -> usize {
        self.overlapping * 100 / self.operations.max(1)
    }

    /// Percentage of the operations that overlapped an operation of another
    /// thread in the (sub-)history they were checked in.
    pub fn checked_overlap_percent(&self) -> usize {
        self.overlapping_checked * 100 / self.operations.max(1)
    }

    /// Panics if the histories were too close to sequential for a pass to
    /// mean much: if fewer than `LINCHECK_MIN_OVERLAP` percent of the
    /// operations overlapped another thread's, or, without that variable,
    /// if none did on a machine with two cores or more (see
    /// [`min_overlap_percent`]).
    pub fn assert_concurrent(&self) {
        match min_overlap_percent() {
            Some(min) => assert!(
                self.overlap_percent() >= min,
                "{}: only {}% of {} operations overlapped an operation of another thread \
                 (LINCHECK_MIN_OVERLAP={min}): the histories were nearly sequential, so the \
                 check was weak. Is the machine busy with other work?",
                self.name,
                self.overlap_percent(),
                self.operations
            ),
            None if cfg!(miri) || cores() < 2 => {}
            None => assert!(
                self.overlapping > 0,
                "{}: not one of {} operations overlapped an operation of another thread: \
                 the recorder produced sequential histories, and checking them tests nothing",
                self.name,
                self.operations
            ),
        }
    }

    /// [`Self::assert_linearizable`] and [`Self::assert_concurrent`].
    pub fn assert_linearizable_and_concurrent(&self) {
        self.assert_linearizable();
        self.assert_concurrent();
    }

    /// Panics unless some history was found non-linearizable (for the
    /// negative controls), and prints the violation found.
    pub fn assert_violation_found(&self) {
        match &self.violation {
            Some((seed, violation)) => println!(
                "lincheck: {}: violation caught, as it must be, after {} histories (seed {seed:#x}):\n{violation}",
                self.name, self.histories
            ),
            None => panic!(
                "{}: the checker found no violation in {} histories of a structure that is broken on purpose",
                self.name, self.histories
            ),
        }
    }
}

/// The base seed of the plans (`LINCHECK_SEED`, hex or decimal).
pub fn base_seed() -> u64 {
    std::env::var("LINCHECK_SEED")
        .ok()
        .and_then(|s| match s.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16).ok(),
            None => s.parse().ok(),
        })
        .unwrap_or(0x6c61_7a75_6c69_0006)
}

/// `LINCHECK_MIN_OVERLAP`: the least percentage of operations that must
/// overlap an operation of another thread for [`Report::assert_concurrent`].
///
/// Unset, the check only demands *some* overlap (on two cores or more, not
/// under Miri), because the fraction depends on the machine more than on
/// the recorder: on a 2-core machine shared with other CPU-bound work, the
/// OS seldom runs two workers of one history at once, and 0–20% of
/// operations overlapped (measured, per structure); histories whose workers
/// did run together overlapped 40–90%. CI, on dedicated cores, should set
/// the variable to what it measures there, less a margin.
pub fn min_overlap_percent() -> Option<usize> {
    std::env::var("LINCHECK_MIN_OVERLAP")
        .ok()
        .and_then(|s| s.parse().ok())
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `n` histories, scaled by `LINCHECK_SCALE` and down to a handful under Miri.
pub fn histories(n: usize) -> usize {
    if cfg!(miri) {
        return (n / 500).clamp(2, 4);
    }
    let scale: f64 = std::env::var("LINCHECK_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    ((n as f64 * scale) as usize).max(1)
}

/// Records and checks `count` histories, each with a fresh subject from
/// `make` and a plan from `plan`, stopping at the first violation. Prints the
/// counts and the time taken.
pub fn explore<S, T>(
    name: &str,
    count: usize,
    make: impl Fn() -> T,
    plan: impl Fn(&mut Rng) -> Plan<S>,
    checker: Checker<S>,
) -> Report<S>
where
    S: Spec + Default,
    T: Subject<S>,
{
    let base = base_seed() ^ fnv(name);
    let started = Instant::now();
    let mut report = Report {
        name: name.to_owned(),
        histories: 0,
        operations: 0,
        overlapping: 0,
        overlapping_checked: 0,
        searches: 0,
        elapsed: Duration::ZERO,
        violation: None,
    };
    for i in 0..count {
        let seed = base.wrapping_add(i as u64);
        let mut plan = plan(&mut Rng::new(seed));
        plan.jitter = plan.jitter.or(Some(seed));
        let subject = make();
        let history = record(&subject, &plan);
        report.histories += 1;
        report.operations += history.ops.len();
        report.overlapping += history.overlapping_ops();
        match checker(&history) {
            Ok(checked) => {
                report.searches += checked.searches;
                report.overlapping_checked += checked.overlapping;
            }
            Err(violation) => {
                report.violation = Some((seed, violation));
                break;
            }
        }
    }
    report.elapsed = started.elapsed();
    println!(
        "lincheck: {:<40} {:>6} histories {:>8} ops  overlap {:>3}% (checked {:>3}%) {:>7} searches {:>6.2} s  {}",
        report.name,
        report.histories,
        report.operations,
        report.overlap_percent(),
        report.checked_overlap_percent(),
        report.searches,
        report.elapsed.as_secs_f64(),
        if report.violation.is_some() { "VIOLATION" } else { "ok" }
    );
    report
}

/// One hand-written operation: `(thread, call, result, invoke, response)`.
pub type Row<S> = (usize, <S as Spec>::Call, <S as Spec>::Ret, u64, u64);

/// The operations of hand-written rows.
fn ops_of<S: Spec>(rows: &[Row<S>]) -> Vec<Op<S>> {
    rows.iter()
        .map(|(thread, call, ret, invoke, response)| Op {
            thread: *thread,
            call: call.clone(),
            ret: ret.clone(),
            invoke: *invoke,
            response: *response,
        })
        .collect()
}

/// Checks one hand-made history (for unit tests of the checker).
pub fn verdict_of<S: Spec>(init: S, ops: &[Row<S>]) -> Verdict {
    check(&init, &ops_of(ops))
}

/// A [`History`] of hand-written rows, through [`History::new`] and its
/// checks (for unit tests of the recorder, the per-key check and the
/// minimiser).
pub fn history_of<S: Spec>(init: S, ops: &[Row<S>]) -> History<S> {
    History::new(init, ops_of(ops))
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}
