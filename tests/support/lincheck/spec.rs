//! Sequential specifications: what each structure would do if its operations
//! ran one at a time.
//!
//! A specification is a small, obviously correct sequential object (a
//! `VecDeque`, a `BTreeMap`, a `BTreeSet`) together with the operations the
//! concurrent structure offers. The checker asks one question of it: "from this
//! state, does this call return this result, and what is the state after?".
//! The state must be `Eq + Hash` because the checker memoises the states it
//! has already explored (Lowe's improvement to Wing & Gong).
//!
//! | spec | calls | whole-object calls (never split per key) | quiescent-only |
//! |---|---|---|---|
//! | [`QueueSpec`] | `Push`, `Pop`, `Close`, `Len` | all (a FIFO queue is not split) | `Len` |
//! | [`MapSpec`] | `Insert` (replaces), `GetOrInsert`, `Get`, `Remove`, `ContainsKey`, `Front`, `Back`, `PopFront`, `PopBack`, `Len` | `Front`, `Back`, `PopFront`, `PopBack`, `Len` | `Len` |
//! | [`SetSpec`] | `Insert`, `TryInsert`, `Remove`, `Contains`, `Front`, `Back`, `PopFront`, `PopBack`, `Len` | `Front`, `Back`, `PopFront`, `PopBack`, `Len` | `Len` |
//!
//! "Quiescent-only" calls (`len`) are exact only when nothing else is in
//! flight, so the recorder refuses a history in which one overlaps another
//! operation (see [`super::history::History::new`]).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Debug;
use std::hash::Hash;

/// A sequential specification.
pub trait Spec: Clone + Eq + Hash + Debug {
    /// An operation with its arguments.
    type Call: Clone + Debug + Send + Sync;
    /// What an operation returned.
    type Ret: Clone + Debug + PartialEq + Send + Sync;

    /// Runs `call` on the sequential object and returns its result.
    fn apply(&mut self, call: &Self::Call) -> Self::Ret;

    /// Is this call meaningful only when no other operation is in flight?
    fn needs_quiescence(_call: &Self::Call) -> bool {
        false
    }

    /// The unique value this call stores, if any (`push(v)`, `insert(k, v)`).
    /// Used only by the minimiser, which drops a write together with every
    /// result that reports its value, or not at all.
    fn writes(_call: &Self::Call) -> Option<u64> {
        None
    }

    /// The stored value this result reports having seen, if any.
    fn reads(_call: &Self::Call, _ret: &Self::Ret) -> Option<u64> {
        None
    }
}

/// A specification whose operations on different keys commute, so that a
/// history is linearizable iff each key's sub-history is (P-compositionality,
/// Horn & Kroening, FORTE 2015).
pub trait Partitioned: Spec {
    /// The one key this call touches, or `None` if it reads or changes the
    /// whole object (`front`, `pop_front`, `len`): such histories are checked
    /// whole.
    fn key_of(call: &Self::Call) -> Option<u64>;

    /// The part of this state that concerns `key` alone.
    fn restrict(&self, key: u64) -> Self;
}

// ---------------------------------------------------------------------------
// FIFO queue
// ---------------------------------------------------------------------------

/// The value-link of `close` and of the pushes it refused (pushed values
/// must differ from it).
pub const CLOSED_TOKEN: u64 = u64::MAX;

/// A closable FIFO queue of `u64`s (the model of `lazuli::Queue`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct QueueSpec {
    /// Front of the queue first.
    pub items: VecDeque<u64>,
    /// Set by the first `close`.
    pub closed: bool,
}

/// A queue operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueCall {
    /// `push(v)`.
    Push(u64),
    /// `pop()`.
    Pop,
    /// `close()`.
    Close,
    /// `len()`, only while quiescent.
    Len,
}

/// A queue result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueRet {
    /// `push` returned `Ok` (`true`) or handed the value back (`false`).
    Pushed(bool),
    /// What `pop` returned.
    Popped(Option<u64>),
    /// `close` returned `true` if this call closed the queue.
    Closed(bool),
    /// What `len` returned.
    Len(usize),
}

impl Spec for QueueSpec {
    type Call = QueueCall;
    type Ret = QueueRet;

    fn apply(&mut self, call: &QueueCall) -> QueueRet {
        match *call {
            QueueCall::Push(v) => {
                if !self.closed {
                    self.items.push_back(v);
                }
                QueueRet::Pushed(!self.closed)
            }
            QueueCall::Pop => QueueRet::Popped(self.items.pop_front()),
            QueueCall::Close => QueueRet::Closed(!std::mem::replace(&mut self.closed, true)),
            QueueCall::Len => QueueRet::Len(self.items.len()),
        }
    }

    fn needs_quiescence(call: &QueueCall) -> bool {
        matches!(call, QueueCall::Len)
    }

    fn writes(call: &QueueCall) -> Option<u64> {
        match *call {
            QueueCall::Push(v) => Some(v),
            QueueCall::Close => Some(CLOSED_TOKEN),
            _ => None,
        }
    }

    fn reads(_call: &QueueCall, ret: &QueueRet) -> Option<u64> {
        match *ret {
            QueueRet::Popped(v) => v,
            QueueRet::Pushed(false) => Some(CLOSED_TOKEN),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------
// Ordered map
// ---------------------------------------------------------------------------

/// An ordered map from `u64` to `u64` with crossbeam-skiplist's `SkipMap`
/// semantics: `insert` replaces the value of a present key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct MapSpec {
    /// The map's contents.
    pub entries: BTreeMap<u64, u64>,
}

/// Declares the call enum of an ordered map or set: the calls on one key
/// given, then the calls on the whole structure that maps and sets share
/// (`Front`, `Back`, `PopFront`, `PopBack`, `Len`).
macro_rules! ordered_calls {
    ($(#[$doc:meta])* $name:ident { $($keyed:tt)* }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name {
            $($keyed)*
            /// `front()`: the smallest entry (key, for a set).
            Front,
            /// `back()`: the largest entry (key, for a set).
            Back,
            /// `pop_front()`.
            PopFront,
            /// `pop_back()`.
            PopBack,
            /// `len()`, only while quiescent.
            Len,
        }
    };
}

ordered_calls! {
    /// A map operation. Values written by a history should be unique, so that a
    /// result says which write it saw.
    MapCall {
        /// `insert(k, v)`: adds or replaces.
        Insert(u64, u64),
        /// `get_or_insert(k, v)`: returns the value now present.
        GetOrInsert(u64, u64),
        /// `get(k)`.
        Get(u64),
        /// `remove(k)`.
        Remove(u64),
        /// `contains_key(k)`.
        ContainsKey(u64),
        /// `compare_insert(k, v, |old| *old < v)`: inserts `v` if `k` is
        /// absent, replaces a smaller value; returns the value now present.
        CompareInsert(u64, u64),
        /// `lower_bound(Included(k))`: the entry of the smallest key `>= k`
        /// (a call on the whole map).
        LowerBound(u64),
        /// `upper_bound(Included(k))`: the entry of the largest key `<= k`
        /// (a call on the whole map).
        UpperBound(u64),
    }
}

/// A map result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapRet {
    /// `insert` reports nothing.
    Unit,
    /// The value `get`/`remove`/`get_or_insert`/`compare_insert` returned.
    Value(Option<u64>),
    /// The entry `front`/`back`/`pop_front`/`pop_back`/`lower_bound`/
    /// `upper_bound` returned.
    Entry(Option<(u64, u64)>),
    /// What `contains_key` returned.
    Bool(bool),
    /// What `len` returned.
    Len(usize),
}

impl Spec for MapSpec {
    type Call = MapCall;
    type Ret = MapRet;

    fn apply(&mut self, call: &MapCall) -> MapRet {
        let map = &mut self.entries;
        let entry = |e: Option<(&u64, &u64)>| MapRet::Entry(e.map(|(k, v)| (*k, *v)));
        match *call {
            MapCall::Insert(k, v) => {
                map.insert(k, v);
                MapRet::Unit
            }
            MapCall::GetOrInsert(k, v) => MapRet::Value(Some(*map.entry(k).or_insert(v))),
            MapCall::Get(k) => MapRet::Value(map.get(&k).copied()),
            MapCall::Remove(k) => MapRet::Value(map.remove(&k)),
            MapCall::ContainsKey(k) => MapRet::Bool(map.contains_key(&k)),
            MapCall::CompareInsert(k, v) => {
                let now = map.entry(k).or_insert(v);
                if *now < v {
                    *now = v;
                }
                MapRet::Value(Some(*now))
            }
            MapCall::LowerBound(k) => entry(map.range(k..).next()),
            MapCall::UpperBound(k) => entry(map.range(..=k).next_back()),
            MapCall::Front => entry(map.first_key_value()),
            MapCall::Back => entry(map.last_key_value()),
            MapCall::PopFront => MapRet::Entry(map.pop_first()),
            MapCall::PopBack => MapRet::Entry(map.pop_last()),
            MapCall::Len => MapRet::Len(map.len()),
        }
    }

    fn needs_quiescence(call: &MapCall) -> bool {
        matches!(call, MapCall::Len)
    }

    fn writes(call: &MapCall) -> Option<u64> {
        match *call {
            MapCall::Insert(_, v) | MapCall::GetOrInsert(_, v) | MapCall::CompareInsert(_, v) => {
                Some(v)
            }
            _ => None,
        }
    }

    fn reads(_call: &MapCall, ret: &MapRet) -> Option<u64> {
        match *ret {
            MapRet::Value(v) => v,
            MapRet::Entry(e) => e.map(|(_, v)| v),
            _ => None,
        }
    }
}

impl Partitioned for MapSpec {
    fn key_of(call: &MapCall) -> Option<u64> {
        match *call {
            MapCall::Insert(k, _)
            | MapCall::GetOrInsert(k, _)
            | MapCall::Get(k)
            | MapCall::Remove(k)
            | MapCall::ContainsKey(k)
            | MapCall::CompareInsert(k, _) => Some(k),
            MapCall::Front
            | MapCall::Back
            | MapCall::PopFront
            | MapCall::PopBack
            | MapCall::LowerBound(_)
            | MapCall::UpperBound(_) => None,
            MapCall::Len => None,
        }
    }

    fn restrict(&self, key: u64) -> Self {
        let entries = self
            .entries
            .range(key..=key)
            .map(|(k, v)| (*k, *v))
            .collect();
        MapSpec { entries }
    }
}

// ---------------------------------------------------------------------------
// Ordered set
// ---------------------------------------------------------------------------

/// An ordered set of `u64`s with crossbeam-skiplist's `SkipSet` semantics.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SetSpec {
    /// The set's contents.
    pub keys: BTreeSet<u64>,
}

ordered_calls! {
    /// A set operation.
    SetCall {
        /// `insert(k)` that reports nothing (`SkipSet::insert` returns an entry).
        Insert(u64),
        /// `insert(k)` that reports whether `k` was new (`BTreeSet::insert`).
        TryInsert(u64),
        /// `remove(k)`: did it remove `k`?
        Remove(u64),
        /// `contains(k)`.
        Contains(u64),
    }
}

/// A set result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetRet {
    /// `insert` reports nothing.
    Unit,
    /// `try_insert`/`remove`/`contains` answered this.
    Bool(bool),
    /// The key `front`/`back`/`pop_front`/`pop_back` returned.
    Key(Option<u64>),
    /// What `len` returned.
    Len(usize),
}

impl Spec for SetSpec {
    type Call = SetCall;
    type Ret = SetRet;

    fn apply(&mut self, call: &SetCall) -> SetRet {
        let set = &mut self.keys;
        match *call {
            SetCall::Insert(k) => {
                set.insert(k);
                SetRet::Unit
            }
            SetCall::TryInsert(k) => SetRet::Bool(set.insert(k)),
            SetCall::Remove(k) => SetRet::Bool(set.remove(&k)),
            SetCall::Contains(k) => SetRet::Bool(set.contains(&k)),
            SetCall::Front => SetRet::Key(set.first().copied()),
            SetCall::Back => SetRet::Key(set.last().copied()),
            SetCall::PopFront => SetRet::Key(set.pop_first()),
            SetCall::PopBack => SetRet::Key(set.pop_last()),
            SetCall::Len => SetRet::Len(set.len()),
        }
    }

    fn needs_quiescence(call: &SetCall) -> bool {
        matches!(call, SetCall::Len)
    }

    fn writes(call: &SetCall) -> Option<u64> {
        match *call {
            SetCall::Insert(k) | SetCall::TryInsert(k) => Some(k),
            _ => None,
        }
    }

    fn reads(call: &SetCall, ret: &SetRet) -> Option<u64> {
        match (*call, *ret) {
            (SetCall::Remove(k) | SetCall::Contains(k), SetRet::Bool(true)) => Some(k),
            (_, SetRet::Key(k)) => k,
            _ => None,
        }
    }
}

impl Partitioned for SetSpec {
    fn key_of(call: &SetCall) -> Option<u64> {
        match *call {
            SetCall::Insert(k)
            | SetCall::TryInsert(k)
            | SetCall::Remove(k)
            | SetCall::Contains(k) => Some(k),
            SetCall::Front | SetCall::Back | SetCall::PopFront | SetCall::PopBack => None,
            SetCall::Len => None,
        }
    }

    fn restrict(&self, key: u64) -> Self {
        SetSpec {
            keys: self.keys.range(key..=key).copied().collect(),
        }
    }
}
