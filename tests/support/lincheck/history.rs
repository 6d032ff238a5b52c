//! Recording concurrent histories.
//!
//! Each operation is stamped twice: an *invocation* ticket taken just before
//! the call and a *response* ticket taken just after it returns. The true
//! linearization point (wherever inside the call it happens) lies between the
//! two, so the recorded interval always contains the true one and the checker
//! can only be more permissive than reality, never stricter: no false alarms.
//!
//! # The clock: a per-history ticket counter
//!
//! The "clock" is one `AtomicU64` per history, advanced with a `SeqCst`
//! `fetch_add` ([`Clock::tick`]). We chose it over `std::time::Instant` because:
//!
//! - **Its real-time order is a language guarantee, not a platform one.** All
//!   ticks are read-modify-writes of one location, so they form a single
//!   modification order, and each reads the value the previous one wrote. If
//!   operation A's response ticket is smaller than B's invocation ticket, A's
//!   tick is in the release sequence B's tick acquires from, so everything A
//!   did *happens before* B starts. The checker orders A before B only in
//!   that case, and a linearizable structure must respect happens-before.
//!   `Instant` relies on the OS and CPU keeping per-core clocks in step (Rust
//!   once shipped a workaround for clocks that went backwards).
//! - **It is totally ordered with no ties**, so sorting events is exact.
//! - **It is cheap** (one uncontended-ish RMW, a few ns; `Instant::now` is a
//!   vDSO call of ~20 ns) and works unchanged under Miri and inside loom
//!   models, where loom runs one thread at a time and a std counter records
//!   the schedule it chose.
//!
//! The cost: a `SeqCst` RMW is a full fence on x86 and ARM, so it hides
//! store→load reordering *between two consecutive operations of one thread*.
//! Reorderings inside one operation (where the structure's own orderings live)
//! are unaffected; those between operations are loom's job.

use std::fmt::{self, Debug};
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};

use super::spec::Spec;

/// A totally ordered logical clock shared by the threads of one history.
#[derive(Debug, Default)]
pub struct Clock(AtomicU64);

impl Clock {
    /// A clock at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the next ticket.
    pub fn tick(&self) -> u64 {
        // memory ordering: SeqCst RMW on one location; every tick reads the
        // previous one's write, which makes "response ticket < invocation
        // ticket" imply happens-before (see the module doc).
        self.0.fetch_add(1, SeqCst)
    }
}

/// One completed operation.
#[derive(Clone, Debug)]
pub struct Op<S: Spec> {
    /// The recording thread (`0..threads`; quiescent calls by the driver use
    /// the number after the last worker).
    pub thread: usize,
    /// The call and its arguments.
    pub call: S::Call,
    /// What it returned.
    pub ret: S::Ret,
    /// Ticket taken before the call.
    pub invoke: u64,
    /// Ticket taken after the call returned.
    pub response: u64,
}

impl<S: Spec> Op<S> {
    /// Did `self` return before `other` was invoked?
    pub fn precedes(&self, other: &Op<S>) -> bool {
        self.response < other.invoke
    }
}

/// A complete history: the initial state and every operation.
#[derive(Clone)]
pub struct History<S: Spec> {
    /// The state before the first operation.
    pub init: S,
    /// Every operation, in no particular order.
    pub ops: Vec<Op<S>>,
}

impl<S: Spec> History<S> {
    /// Builds a history, refusing one in which a quiescent-only call (`len`)
    /// overlaps another operation: its result would mean nothing.
    pub fn new(init: S, mut ops: Vec<Op<S>>) -> Self {
        ops.sort_by_key(|op| op.invoke);
        for op in ops.iter().filter(|op| S::needs_quiescence(&op.call)) {
            let overlapping = ops
                .iter()
                .filter(|o| !std::ptr::eq(*o, op))
                .find(|o| !o.precedes(op) && !op.precedes(o));
            assert!(
                overlapping.is_none(),
                "{:?} is meaningful only when quiescent, but overlaps {:?}",
                op,
                overlapping
            );
        }
        History { init, ops }
    }

    /// How many operations overlap (in ticket time) an operation of another
    /// thread: a measure of how much concurrency the history really contains.
    /// A history in which this is 0 is sequential, and checking it tests
    /// nothing a single-threaded test does not.
    pub fn overlapping_ops(&self) -> usize {
        let mut ops: Vec<&Op<S>> = self.ops.iter().collect();
        ops.sort_by_key(|op| op.invoke);
        let mut overlapping = vec![false; ops.len()];
        // Per thread, the latest operation invoked so far: the only one of
        // that thread that can still be running when a later one is invoked.
        let mut latest: Vec<(usize, usize)> = Vec::new();
        for i in 0..ops.len() {
            for &(thread, j) in &latest {
                if thread != ops[i].thread && ops[j].response > ops[i].invoke {
                    overlapping[i] = true;
                    overlapping[j] = true;
                }
            }
            match latest
                .iter_mut()
                .find(|(thread, _)| *thread == ops[i].thread)
            {
                Some(slot) => slot.1 = i,
                None => latest.push((ops[i].thread, i)),
            }
        }
        overlapping.iter().filter(|&&o| o).count()
    }
}

impl<S: Spec> fmt::Display for History<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ops: Vec<&Op<S>> = self.ops.iter().collect();
        ops.sort_by_key(|op| op.invoke);
        let width = ops.iter().map(|op| op.response).max().unwrap_or(0);
        let width = width.to_string().len();
        writeln!(f, "  initial state: {:?}", self.init)?;
        writeln!(
            f,
            "  {:>6}  {:>w$}..{:<w$}  operation => result",
            "thread",
            "inv",
            "resp",
            w = width
        )?;
        for op in ops {
            writeln!(
                f,
                "  {:>6}  {:>w$}..{:<w$}  {:?} => {:?}",
                format!("T{}", op.thread),
                op.invoke,
                op.response,
                op.call,
                op.ret,
                w = width
            )?;
        }
        Ok(())
    }
}

impl<S: Spec> Debug for History<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The operations one thread records.
#[derive(Debug)]
pub struct ThreadLog<'c, S: Spec> {
    thread: usize,
    clock: &'c Clock,
    ops: Vec<Op<S>>,
}

impl<'c, S: Spec> ThreadLog<'c, S> {
    /// An empty log for `thread`, stamped by `clock`.
    pub fn new(thread: usize, clock: &'c Clock) -> Self {
        ThreadLog {
            thread,
            clock,
            ops: Vec::new(),
        }
    }

    /// Runs `run(call)` between two ticks and records it.
    pub fn record(&mut self, call: S::Call, run: impl FnOnce(&S::Call) -> S::Ret) -> S::Ret {
        let invoke = self.clock.tick();
        let ret = run(&call);
        let response = self.clock.tick();
        self.ops.push(Op {
            thread: self.thread,
            call,
            ret: ret.clone(),
            invoke,
            response,
        });
        ret
    }

    /// The recorded operations.
    pub fn into_ops(self) -> Vec<Op<S>> {
        self.ops
    }
}
