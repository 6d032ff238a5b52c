//! The Wing & Gong linearizability search with Lowe's memoisation ("WGL").
//!
//! Wing & Gong (JPDC 1993) search for a linearization by depth-first search
//! over the history's events in time order. Lowe ("Testing for
//! linearizability", CCPE 2017) added the cache that makes it practical: the
//! search state is the pair *(set of operations linearized so far, state of
//! the sequential object)*; reaching a pair seen before cannot lead anywhere
//! new, so the branch is cut. This is the algorithm of Knossos and porcupine.
//!
//! # The event list
//!
//! ```text
//!  head ─▶ call a ─▶ call b ─▶ ret a ─▶ call c ─▶ ret b ─▶ ret c ─▶ NIL
//!            │                   ▲
//!            └──── matching ─────┘
//! ```
//!
//! Events are sorted by ticket. Walking from the head, a *call* event is a
//! candidate to linearize next: apply it to the spec; if the result matches
//! and the (linearized, state) pair is new, push it on the stack and *lift*
//! the call and its return out of the list (dancing links, so undo is O(1)),
//! then restart from the head. Meeting a *return* event means that operation
//! must already have been linearized (it returned before every call still
//! ahead of it in the list was invoked), so the current prefix is a dead end:
//! pop the stack, unlift, restore the state and try the next candidate. An
//! empty list is a linearization; an empty stack on backtrack is a proof that
//! none exists.

use std::collections::HashSet;

use super::history::{History, Op};
use super::spec::{Partitioned, Spec};

/// What the search concluded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A linearization exists.
    Linearizable,
    /// None exists. `prefix` is the longest linearizable prefix the search
    /// found (indices into the checked ops, in linearization order).
    NotLinearizable {
        /// The deepest linearization reached.
        prefix: Vec<usize>,
    },
    /// The search ran out of its step budget (the history is too wide).
    GaveUp,
}

impl Verdict {
    /// Is this a proof of non-linearizability?
    pub fn is_violation(&self) -> bool {
        matches!(self, Verdict::NotLinearizable { .. })
    }
}

/// The default step budget: far above what a 4-thread history of a few
/// hundred operations needs.
pub const DEFAULT_BUDGET: u64 = 20_000_000;

const NIL: usize = usize::MAX;

#[derive(Clone, Copy)]
struct Node {
    prev: usize,
    next: usize,
    /// Index of the operation in the checked slice.
    op: usize,
    /// For a call event, the node of its return event; `NIL` for a return.
    ret_node: usize,
}

/// Checks `ops` from `init` with the default budget.
pub fn check<S: Spec>(init: &S, ops: &[Op<S>]) -> Verdict {
    check_with_budget(init, ops, DEFAULT_BUDGET)
}

/// Checks `ops` from `init`, giving up after `budget` search steps.
pub fn check_with_budget<S: Spec>(init: &S, ops: &[Op<S>], budget: u64) -> Verdict {
    let n = ops.len();
    // Node 0 is the head sentinel; events follow in ticket order.
    let mut events: Vec<(u64, usize, bool)> = Vec::with_capacity(2 * n);
    for (i, op) in ops.iter().enumerate() {
        assert!(
            op.invoke < op.response,
            "operation {i} responds before it is invoked: {op:?}"
        );
        events.push((op.invoke, i, true));
        events.push((op.response, i, false));
    }
    events.sort_unstable_by_key(|e| e.0);
    if let Some(w) = events.windows(2).find(|w| w[0].0 == w[1].0) {
        panic!("two events share ticket {}: tickets must be unique", w[0].0);
    }
    let mut nodes = Vec::with_capacity(2 * n + 1);
    nodes.push(Node {
        prev: NIL,
        next: NIL,
        op: NIL,
        ret_node: NIL,
    });
    let mut ret_node_of = vec![NIL; n];
    for (pos, &(_, op, is_call)) in events.iter().enumerate() {
        let id = pos + 1;
        nodes.push(Node {
            prev: id - 1,
            next: NIL,
            op,
            ret_node: NIL,
        });
        nodes[id - 1].next = id;
        if !is_call {
            ret_node_of[op] = id;
        }
    }
    // Second pass: each call learns the node of its (later) return.
    for id in 1..nodes.len() {
        let (_, op, is_call) = events[id - 1];
        if is_call {
            nodes[id].ret_node = ret_node_of[op];
        }
    }

    let words = n.div_ceil(64).max(1);
    let mut linearized = vec![0u64; words];
    let mut cache: HashSet<(Box<[u64]>, S)> = HashSet::new();
    let mut stack: Vec<(usize, S)> = Vec::new();
    let mut deepest: Vec<usize> = Vec::new();
    let mut state = init.clone();
    let mut entry = nodes[0].next;
    let mut steps = 0u64;

    while nodes[0].next != NIL {
        steps += 1;
        if steps > budget {
            return Verdict::GaveUp;
        }
        let node = nodes[entry];
        if node.ret_node != NIL {
            // A call: try to linearize it here.
            let op = &ops[node.op];
            let mut next_state = state.clone();
            let result = next_state.apply(&op.call);
            let mut advanced = false;
            if result == op.ret {
                linearized[node.op / 64] |= 1 << (node.op % 64);
                if cache.insert((linearized.clone().into_boxed_slice(), next_state.clone())) {
                    let previous = std::mem::replace(&mut state, next_state);
                    stack.push((entry, previous));
                    lift(&mut nodes, entry);
                    if stack.len() > deepest.len() {
                        deepest = stack.iter().map(|&(e, _)| nodes[e].op).collect();
                    }
                    entry = nodes[0].next;
                    advanced = true;
                } else {
                    linearized[node.op / 64] &= !(1 << (node.op % 64));
                }
            }
            if !advanced {
                entry = node.next;
            }
        } else {
            // A return whose call is still in the list: backtrack.
            let Some((call_entry, previous)) = stack.pop() else {
                return Verdict::NotLinearizable { prefix: deepest };
            };
            let op = nodes[call_entry].op;
            linearized[op / 64] &= !(1 << (op % 64));
            state = previous;
            unlift(&mut nodes, call_entry);
            entry = nodes[call_entry].next;
        }
    }
    Verdict::Linearizable
}

/// Removes a call node and its return node from the list.
fn lift(nodes: &mut [Node], call: usize) {
    relink(nodes, call, true);
}

/// Undoes [`lift`]; the nodes still remember their neighbours.
fn unlift(nodes: &mut [Node], call: usize) {
    relink(nodes, call, false);
}

/// The one walk behind [`lift`] and [`unlift`]: lifting points each node's
/// neighbours past it, call node first; unlifting points them back at it,
/// in the reverse order, which restores the list exactly.
fn relink(nodes: &mut [Node], call: usize, lift: bool) {
    let ret = nodes[call].ret_node;
    let order = if lift { [call, ret] } else { [ret, call] };
    for id in order {
        let Node { prev, next, .. } = nodes[id];
        let (prev_next, next_prev) = if lift { (next, prev) } else { (id, id) };
        nodes[prev].next = prev_next;
        if next != NIL {
            nodes[next].prev = next_prev;
        }
    }
}

/// A non-linearizable (sub-)history, minimised.
#[derive(Clone, Debug)]
pub struct Violation<S: Spec> {
    /// The key whose sub-history failed, when checked per key.
    pub key: Option<u64>,
    /// The failing history, as recorded.
    pub original: History<S>,
    /// A smallest failing history found by dropping operations.
    pub minimal: History<S>,
    /// The longest linearizable prefix of `minimal`, in order.
    pub prefix: Vec<usize>,
}

impl<S: Spec> std::fmt::Display for Violation<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(key) = self.key {
            writeln!(f, "the sub-history of key {key} is not linearizable")?;
        }
        writeln!(
            f,
            "minimal failing history ({} of {} operations; ticket intervals inv..resp):",
            self.minimal.ops.len(),
            self.original.ops.len()
        )?;
        write!(f, "{}", self.minimal)?;
        writeln!(
            f,
            "  longest linearizable prefix, after which no pending operation fits:"
        )?;
        let mut state = self.minimal.init.clone();
        for &i in &self.prefix {
            let op = &self.minimal.ops[i];
            state.apply(&op.call);
            writeln!(
                f,
                "    T{} {:?} => {:?}   state: {:?}",
                op.thread, op.call, op.ret, state
            )?;
        }
        let (from, to) = self.minimal.ops.iter().fold((u64::MAX, 0), |(f, t), o| {
            (f.min(o.invoke), t.max(o.response))
        });
        let is_minimal = |o: &Op<S>| {
            self.minimal
                .ops
                .iter()
                .any(|m| m.thread == o.thread && m.invoke == o.invoke)
        };
        let context: Vec<&Op<S>> = self
            .original
            .ops
            .iter()
            .filter(|o| !is_minimal(o) && o.invoke < to && o.response > from)
            .collect();
        if !context.is_empty() {
            writeln!(f, "  context: dropped operations that overlap it in time (not needed for the violation):")?;
            for o in context.iter().take(30) {
                writeln!(
                    f,
                    "      T{}  {}..{}  {:?} => {:?}",
                    o.thread, o.invoke, o.response, o.call, o.ret
                )?;
            }
        }
        if self.original.ops.len() <= 150 {
            writeln!(f, "full history:")?;
            write!(f, "{}", self.original)?;
        }
        Ok(())
    }
}

/// Shrinks a non-linearizable history by dropping operations while it stays
/// non-linearizable.
///
/// Dropping operations can *create* a violation instead of exposing one:
/// drop every insert of a key and a `contains` that saw it becomes
/// impossible; drop the pop that consumed 7 and every later pop looks wrong.
/// Such a minimum blames the wrong thing. Two rules keep the minimum honest:
///
/// 1. If the recorded results can be explained by *some* order of the
///    operations once real-time order is ignored (the usual case: the bug is
///    an ordering the structure should have respected), every reduced
///    history must keep that property. So the minimum is still a set of
///    results that are each possible, just not in the order they happened.
/// 2. Operations linked by a value (the write of a value and every result
///    that reports it, see [`Spec::writes`]/[`Spec::reads`]) are dropped
///    together or not at all, and quiescent-only calls (`len`) are dropped
///    first, all at once, if the violation does not need them.
///
/// The printout also shows the dropped operations that overlapped the
/// minimum in time, as context.
pub fn minimise<S: Spec>(history: &History<S>) -> (History<S>, Vec<usize>) {
    let init = &history.init;
    let mut ops = history.ops.clone();
    let explainable = explainable_in_some_order(init, &ops);
    let accept = |candidate: &[Op<S>]| match check(init, candidate) {
        Verdict::NotLinearizable { prefix } => {
            (!explainable || explainable_in_some_order(init, candidate)).then_some(prefix)
        }
        _ => None,
    };
    let mut prefix = match check(init, &ops) {
        Verdict::NotLinearizable { prefix } => prefix,
        other => panic!("minimise called on a history that is not a violation: {other:?}"),
    };
    let without_quiescent: Vec<Op<S>> = ops
        .iter()
        .filter(|o| !S::needs_quiescence(&o.call))
        .cloned()
        .collect();
    if without_quiescent.len() < ops.len() {
        if let Some(p) = accept(&without_quiescent) {
            (ops, prefix) = (without_quiescent, p);
        }
    }
    let token = |op: &Op<S>| S::writes(&op.call).or_else(|| S::reads(&op.call, &op.ret));
    let mut shrunk = true;
    while shrunk {
        shrunk = false;
        let mut i = 0;
        while i < ops.len() {
            let candidate: Vec<Op<S>> = match token(&ops[i]) {
                Some(t) => ops
                    .iter()
                    .filter(|o| token(o) != Some(t))
                    .cloned()
                    .collect(),
                None => ops
                    .iter()
                    .enumerate()
                    .filter(|&(j, _)| j != i)
                    .map(|(_, o)| o.clone())
                    .collect(),
            };
            if let Some(p) = accept(&candidate) {
                (ops, prefix) = (candidate, p);
                shrunk = true;
                continue;
            }
            i += 1;
        }
    }
    (
        History {
            init: init.clone(),
            ops,
        },
        prefix,
    )
}

/// Can the results be explained by some sequential order of the operations,
/// ignoring when they ran? (The same search with every pair overlapping; a
/// search that runs out of budget counts as "no".)
fn explainable_in_some_order<S: Spec>(init: &S, ops: &[Op<S>]) -> bool {
    let n = ops.len() as u64;
    let unordered: Vec<Op<S>> = ops
        .iter()
        .enumerate()
        .map(|(i, o)| Op {
            invoke: i as u64,
            response: n + i as u64,
            ..o.clone()
        })
        .collect();
    check_with_budget(init, &unordered, 200_000) == Verdict::Linearizable
}

/// Checks a whole history; on failure returns it minimised.
pub fn check_history<S: Spec>(history: &History<S>) -> Result<(), Box<Violation<S>>> {
    match check(&history.init, &history.ops) {
        Verdict::Linearizable => Ok(()),
        Verdict::GaveUp => panic!(
            "the WGL search gave up after {DEFAULT_BUDGET} steps on a history of {} operations; \
             record narrower histories\n{history}",
            history.ops.len()
        ),
        Verdict::NotLinearizable { .. } => {
            let (minimal, prefix) = minimise(history);
            Err(Box::new(Violation {
                key: None,
                original: history.clone(),
                minimal,
                prefix,
            }))
        }
    }
}

/// What a successful check covered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Checked {
    /// (Sub-)histories the search ran on: 1 for a whole history, one per key
    /// otherwise.
    pub searches: usize,
    /// Operations that overlap an operation of another thread *within the
    /// (sub-)history they were checked in*. Per key, this counts only
    /// collisions on the same key: the concurrency the search really saw.
    pub overlapping: usize,
}

/// Checks a whole history, counting what it covered.
pub fn check_whole<S: Spec>(history: &History<S>) -> Result<Checked, Box<Violation<S>>> {
    check_history(history).map(|()| Checked {
        searches: 1,
        overlapping: history.overlapping_ops(),
    })
}

/// Checks each key's sub-history alone (P-compositionality). Every call must
/// name a key; histories with whole-object calls are checked whole.
pub fn check_per_key<S: Partitioned>(history: &History<S>) -> Result<Checked, Box<Violation<S>>> {
    let mut by_key: std::collections::BTreeMap<u64, Vec<Op<S>>> = Default::default();
    for op in &history.ops {
        let key = S::key_of(&op.call).unwrap_or_else(|| {
            panic!(
                "{:?} spans the whole object: check this history whole",
                op.call
            )
        });
        by_key.entry(key).or_default().push(op.clone());
    }
    let mut checked = Checked::default();
    for (key, ops) in by_key {
        let sub = History {
            init: history.init.restrict(key),
            ops,
        };
        check_history(&sub).map_err(|mut v| {
            v.key = Some(key);
            v
        })?;
        checked.searches += 1;
        checked.overlapping += sub.overlapping_ops();
    }
    Ok(checked)
}
