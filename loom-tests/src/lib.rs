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
#[cfg(loom)]
pub fn explore<F>(name: &str, preemption_bound: usize, reaches: &[&Path], model: F)
where
    F: Fn() + Sync + Send + 'static,
{
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let before: Vec<usize> = reaches.iter().map(|p| p.hits()).collect();
    let executions = Arc::new(AtomicUsize::new(0));
    let counter = executions.clone();
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(preemption_bound);
    let start = Instant::now();
    builder.check(move || {
        counter.fetch_add(1, Ordering::Relaxed);
        model();
    });
    let epoch = if cfg!(crossbeam_loom) {
        "modelled"
    } else {
        "real"
    };
    let reached: Vec<String> = reaches
        .iter()
        .zip(&before)
        .map(|(p, b)| format!("{} x{}", p.name, p.hits() - b))
        .collect();
    println!(
        "loom model `{name}`: {} executions, preemption bound {preemption_bound}, epoch {epoch}, {:.2?}; reached: {}",
        executions.load(Ordering::Relaxed),
        start.elapsed(),
        reached.join(", ")
    );
    for (path, before) in reaches.iter().zip(before) {
        assert!(
            path.hits() > before,
            "loom model `{name}` never reached the path it claims to cover: {}",
            path.name
        );
    }
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
