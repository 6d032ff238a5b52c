//! Recording concurrent histories.
//!
//! Each operation is stamped twice: an *invocation* ticket taken just before
//! the call and a *response* ticket taken just after it returns. The true
//! linearization point (wherever inside the call it happens) lies between the
//! two, so the recorded interval always contains the true one and the checker
//! can only be more permissive than reality, never stricter: no false alarms.
//!
//! # The clock: one counter per history, read to invoke, bumped to respond
//!
//! The clock is one `AtomicU64` per history. An invocation *reads* it with a
//! `SeqCst` load ([`Clock::invoke`], stamp `2v` for the value `v` read); a
//! response *bumps* it with a `SeqCst` `fetch_add` ([`Clock::respond`], stamp
//! `2w + 1` for the value `w` it replaced). We chose it over
//! `std::time::Instant` because:
//!
//! - **Its real-time order is a language guarantee, not a platform one.**
//!   Every write to the counter is an RMW, so all of them form one release
//!   sequence. A's response stamp `2w + 1` is below B's invocation stamp `2v`
//!   exactly when `v > w`, that is when B's load read A's bump or a later
//!   one; then A's bump *synchronizes with* B's load, and everything A did
//!   *happens before* B starts. The checker orders A before B only in that
//!   case, and a linearizable structure must respect happens-before. If B's
//!   load did not see A's bump, B's stamp is at most `2w` and the two count
//!   as overlapping. `Instant` relies on the OS and CPU keeping per-core
//!   clocks in step, and says nothing about when stores become visible.
//! - **It lets operations overlap.** An earlier version bumped the counter at
//!   both ends of every operation. For operations of ~50 ns, shorter than a
//!   cache-line transfer between cores, that convoyed the threads: a thread
//!   took the line, bumped, ran its operation and bumped again before the
//!   other thread's request arrived, so operations alternated in lockstep
//!   and under 5% of them overlapped. A load needs only a shared copy of the
//!   line and does not steal it from a thread that is between its stamps.
//! - **Ties are harmless and removed.** Responses are odd and unique;
//!   invocations are even and may tie with each other, which orders nothing
//!   (only a response before an invocation constrains the checker). The
//!   recorder replaces the stamps by their ranks ([`rank_stamps`]), breaking
//!   such ties arbitrarily, so every history has distinct, dense tickets.
//! - **It is cheap** (a load and one RMW per operation; `Instant::now` is a
//!   vDSO call of ~20 ns) and works unchanged under Miri and inside loom
//!   models.
//!
//! The cost: the `SeqCst` RMW is a full fence on x86 and ARM, so it hides
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

    /// The stamp of an invocation: `2v` for the count `v` of responses seen.
    pub fn invoke(&self) -> u64 {
        // memory ordering: SeqCst load (an acquire); reading a response's
        // bump (or a later one: all writes are RMWs, one release sequence)
        // synchronizes with it, which is what "response stamp < invocation
        // stamp" means (see the module doc). As an acquire, it also keeps the
        // operation that follows from starting before the stamp is taken.
        2 * self.0.load(SeqCst)
    }

    /// The stamp of a response: `2w + 1` for the count `w` it replaced.
    pub fn respond(&self) -> u64 {
        // memory ordering: SeqCst RMW (a release): everything the operation
        // did happens before any invocation that reads this bump or a later
        // one.
        2 * self.0.fetch_add(1, SeqCst) + 1
    }
}

/// Replaces every stamp by its rank among all the stamps of `ops`, so that
/// tickets are distinct and dense. Ties can only be between invocations
/// (responses are unique), and the order of two invocations constrains
/// nothing, so any tie-break keeps every response-before-invocation relation.
pub fn rank_stamps<S: Spec>(ops: &mut [Op<S>]) {
    // (stamp, is a response, op): at equal stamps nothing is a response.
    let mut events: Vec<(u64, bool, usize)> = Vec::with_capacity(2 * ops.len());
    for (i, op) in ops.iter().enumerate() {
        events.push((op.invoke, false, i));
        events.push((op.response, true, i));
    }
    events.sort_unstable();
    for (rank, &(_, is_response, i)) in events.iter().enumerate() {
        if is_response {
            ops[i].response = rank as u64;
        } else {
            ops[i].invoke = rank as u64;
        }
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
    /// Stamp taken before the call (a rank, once recorded).
    pub invoke: u64,
    /// Stamp taken after the call returned (a rank, once recorded).
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

    /// Runs `run(call)` between an invocation and a response stamp and
    /// records it.
    pub fn record(&mut self, call: S::Call, run: impl FnOnce(&S::Call) -> S::Ret) -> S::Ret {
        let invoke = self.clock.invoke();
        let ret = run(&call);
        let response = self.clock.respond();
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
