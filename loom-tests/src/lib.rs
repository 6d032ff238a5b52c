//! Shared helpers for lazuli's loom models (`tests/*.rs`).
//!
//! This crate is a *downstream* crate: it depends on lazuli exactly as a
//! user's crate would, and runs under `RUSTFLAGS="--cfg loom"`, which turns
//! every atomic, cell, thread and waker inside lazuli into loom's. See
//! `tests/downstream.rs` for a model of user code built on lazuli.
#![cfg_attr(not(loom), allow(dead_code, unused_imports))]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

#[cfg(loom)]
pub use lazuli::coverage::Path;

/// Explores `model` exhaustively up to `preemption_bound` preemptions,
/// prints how many executions that took and how long, and asserts that
/// every path in `reaches` was taken in at least one execution.
///
/// The assertion matters: an execution count says nothing about *which*
/// interleavings were explored, and loom's DPOR prunes more than one might
/// expect (a thread whose first access to an atomic is a load does not get
/// its later CAS scheduled before another thread's load of that atomic).
/// A model that claims to cover a path must prove it reached it.
///
/// A path taken in *every* execution (a replacement the main thread always
/// makes, a chunk the setup always recycles) proves nothing about the race
/// the model exists for, so the printout gives, per path, the executions
/// that took it, and the exploration fails unless some execution missed
/// at least one of the paths. A model whose race shows in what it observes
/// rather than in a path uses [`explore_outcomes`].
#[cfg(loom)]
pub fn explore<F>(name: &str, preemption_bound: usize, reaches: &[&'static Path], model: F)
where
    F: Fn() + Sync + Send + 'static,
{
    let claims = Claims {
        reaches,
        outcomes: &[],
    };
    check(name, preemption_bound, claims, move || {
        model();
        None
    });
}

/// [`explore`] for a model each of whose executions returns the outcome it
/// observed (which value a reader saw, which thread won, ...), one of
/// `outcomes`. The exploration prints how many executions observed each,
/// and fails unless each was observed in at least one execution: the
/// outcomes only the race can produce show that loom reached it.
///
/// Every path in `reaches` must still be reached, but with two or more
/// outcomes they may all be taken in every execution (a model may claim a
/// path its race needs although no counter tells the race apart).
#[cfg(loom)]
pub fn explore_outcomes<F>(
    name: &str,
    preemption_bound: usize,
    reaches: &[&'static Path],
    outcomes: &[&'static str],
    model: F,
) where
    F: Fn() -> &'static str + Sync + Send + 'static,
{
    assert!(!outcomes.is_empty(), "loom model `{name}` names no outcome");
    let claims = Claims { reaches, outcomes };
    check(name, preemption_bound, claims, move || Some(model()));
}

/// Tallies of one exploration, in std atomics (invisible to loom, as the
/// path counters are).
#[cfg(loom)]
struct Tally {
    executions: AtomicUsize,
    /// Per path claimed: the executions that took it.
    took: Vec<AtomicUsize>,
    /// Per outcome named: the executions that observed it.
    observed: Vec<AtomicUsize>,
}

#[cfg(loom)]
impl Tally {
    fn new(paths: usize, outcomes: usize) -> Self {
        let counters = |n| (0..n).map(|_| AtomicUsize::new(0)).collect();
        Tally {
            executions: AtomicUsize::new(0),
            took: counters(paths),
            observed: counters(outcomes),
        }
    }
}

/// What a model claims to cover: the paths it reaches and the outcomes it
/// observes.
#[cfg(loom)]
struct Claims<'a> {
    reaches: &'a [&'static Path],
    outcomes: &'a [&'static str],
}

/// [`explore`] and [`explore_outcomes`]: `model` returns the outcome of its
/// execution, or `None` if it names none.
#[cfg(loom)]
fn check<F>(name: &str, preemption_bound: usize, claims: Claims<'_>, model: F)
where
    F: Fn() -> Option<&'static str> + Sync + Send + 'static,
{
    let Claims { reaches, outcomes } = claims;
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let before: Vec<usize> = reaches.iter().map(|p| p.hits()).collect();
    let tally = Arc::new(Tally::new(reaches.len(), outcomes.len()));
    let counter = tally.clone();
    let (paths, names, title) = (reaches.to_vec(), outcomes.to_vec(), name.to_owned());
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(preemption_bound);
    let start = Instant::now();
    builder.check(move || {
        counter.executions.fetch_add(1, Ordering::Relaxed);
        let at_start: Vec<usize> = paths.iter().map(|p| p.hits()).collect();
        let outcome = model();
        for (i, path) in paths.iter().enumerate() {
            if path.hits() > at_start[i] {
                counter.took[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        if let Some(outcome) = outcome {
            let Some(i) = names.iter().position(|&n| n == outcome) else {
                panic!("loom model `{title}` observed an outcome it does not name: {outcome}");
            };
            counter.observed[i].fetch_add(1, Ordering::Relaxed);
        }
    });
    let elapsed = start.elapsed();
    let epoch = if cfg!(crossbeam_loom) {
        "modelled"
    } else {
        "real"
    };
    let executions = tally.executions.load(Ordering::Relaxed);
    let took: Vec<usize> = tally
        .took
        .iter()
        .map(|n| n.load(Ordering::Relaxed))
        .collect();
    let observed: Vec<usize> = tally
        .observed
        .iter()
        .map(|n| n.load(Ordering::Relaxed))
        .collect();
    let mut report: Vec<String> = reaches
        .iter()
        .zip(&before)
        .zip(&took)
        .map(|((path, before), &took)| {
            let hits = path.hits() - before;
            if took == executions {
                format!("{} x{hits} in every execution", path.name)
            } else {
                format!("{} x{hits} in {took} executions", path.name)
            }
        })
        .collect();
    if report.is_empty() {
        report.push("no path".to_owned());
    }
    if !outcomes.is_empty() {
        let tallies: Vec<String> = outcomes
            .iter()
            .zip(&observed)
            .map(|(outcome, n)| format!("{outcome} x{n}"))
            .collect();
        report.push(format!("outcomes: {}", tallies.join(", ")));
    }
    println!(
        "loom model `{name}`: {executions} executions, preemption bound {preemption_bound}, \
         epoch {epoch}, {elapsed:.2?}; reached: {}",
        report.join("; ")
    );
    for (path, before) in reaches.iter().zip(before) {
        assert!(
            path.hits() > before,
            "loom model `{name}` never reached the path it claims to cover: {}",
            path.name
        );
    }
    for (outcome, &n) in outcomes.iter().zip(&observed) {
        assert!(
            n > 0,
            "loom model `{name}` never observed the outcome it claims to cover: {outcome}"
        );
    }
    // Each execution observes one outcome, so two or more, all observed,
    // are each missed by some execution.
    assert!(
        outcomes.len() > 1 || took.iter().any(|&took| took < executions),
        "loom model `{name}` claims only what every execution does, which cannot \
         show that it reached its race: claim a path or outcomes that only the \
         race produces"
    );
}

/// Spawns a model thread that runs `op` on a clone of `shared` (the usual
/// "clone the `Arc`, move it into the thread" of every model, written once).
#[cfg(loom)]
pub fn spawn_on<S, T>(
    shared: &loom::sync::Arc<S>,
    op: impl FnOnce(&S) -> T + Send + 'static,
) -> loom::thread::JoinHandle<T>
where
    S: Send + Sync + 'static,
    T: Send + 'static,
{
    let shared = shared.clone();
    loom::thread::spawn(move || op(&shared))
}

/// Tries to advance the epoch (with `--cfg crossbeam_loom`, inside the
/// model), so that deferred functions run.
pub fn flush_epoch() {
    crossbeam_epoch::pin().flush();
}

/// A tally of drops, usable inside loom models (plain std atomics: the
/// counting itself is not part of what is checked).
#[derive(Clone, Debug, Default)]
pub struct Counted {
    drops: Arc<AtomicUsize>,
}

impl Counted {
    /// A fresh tally.
    pub fn tally() -> Self {
        Self::default()
    }
    /// A value counted by this tally when dropped.
    pub fn make(&self, value: u32) -> Item {
        Item {
            value,
            drops: self.drops.clone(),
        }
    }
    /// Drops so far.
    pub fn count(&self) -> usize {
        self.drops.load(Ordering::SeqCst)
    }
}

/// A value whose drop is counted.
#[derive(Debug)]
pub struct Item {
    /// The payload.
    pub value: u32,
    drops: Arc<AtomicUsize>,
}

impl Drop for Item {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}
