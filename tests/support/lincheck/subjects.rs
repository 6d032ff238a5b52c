//! Structures to run the checker on that are not lazuli's: references that
//! are linearizable by construction (one lock around a sequential object),
//! and negative controls that are broken on purpose.
//!
//! | structure | broken how | must be |
//! |---|---|---|
//! | [`LockedQueue`], [`LockedMap`], [`LockedSet`] (a [`Locked`] spec) | not | accepted: any report is a bug in the checker |
//! | [`SwappingQueue`] | every 4th push lands in front of the element before it | rejected |
//! | [`CheckThenDeleteSet`] | `remove` checks, unlocks, then deletes: two removers both win | rejected |
//! | [`UnlinkThenLinkMap`] | replacing `insert` unlinks, then links: a `get` between misses the key | rejected |
//!
//! The racy controls pause in their window of non-atomicity as their
//! [`Window`] says: a few yields for random schedules, or a barrier that two
//! operations meet at for a fixed schedule that fails every time.

use std::collections::VecDeque;
use std::sync::{Barrier, Mutex};

use super::{
    MapCall, MapRet, MapSpec, QueueCall, QueueRet, QueueSpec, SetCall, SetRet, SetSpec, Spec,
    Subject,
};
use QueueCall::{Len, Pop, Push};
use QueueRet::{Popped, Pushed};
// ===========================================================================
// Reference structures: linearizable by construction (one lock), so any
// violation reported here is a bug in the checker or the recorder.
// ===========================================================================

/// Runs `call` on the sequential specification under `lock`: the spec is
/// itself a correct sequential object, so under one lock it is linearizable.
fn apply_locked<S: Spec>(lock: &Mutex<S>, call: &S::Call) -> S::Ret {
    lock.lock().unwrap().apply(call)
}

/// A reference structure: the sequential specification `S` under one lock.
#[derive(Debug, Default)]
pub struct Locked<S>(Mutex<S>);

impl<S: Spec + Send> Subject<S> for Locked<S> {
    fn apply(&self, call: &S::Call) -> S::Ret {
        apply_locked(&self.0, call)
    }
}

/// A `Mutex<VecDeque>` queue, closable.
pub type LockedQueue = Locked<QueueSpec>;
/// A `Mutex<BTreeMap>` map.
pub type LockedMap = Locked<MapSpec>;
/// A `Mutex<BTreeSet>` set.
pub type LockedSet = Locked<SetSpec>;

// ===========================================================================
// Negative controls: broken on purpose. The checker MUST report each one.
// ===========================================================================

/// A queue that puts every fourth push in front of the element before it:
/// two adjacent elements swap places.
#[derive(Debug, Default)]
pub struct SwappingQueue(Mutex<(VecDeque<u64>, u64)>);

impl Subject<QueueSpec> for SwappingQueue {
    fn apply(&self, call: &QueueCall) -> QueueRet {
        let mut guard = self.0.lock().unwrap();
        let (items, pushes) = &mut *guard;
        match *call {
            Push(v) => {
                *pushes += 1;
                if *pushes % 4 == 0 && !items.is_empty() {
                    items.insert(items.len() - 1, v);
                } else {
                    items.push_back(v);
                }
                Pushed(true)
            }
            Pop => Popped(items.pop_front()),
            QueueCall::Close => QueueRet::Closed(true),
            Len => QueueRet::Len(items.len()),
        }
    }
}

/// Where a racy structure pauses inside its window of non-atomicity.
#[derive(Debug)]
pub enum Window {
    /// Give the other threads a chance to run (random schedules).
    Yield,
    /// A fixed schedule: the racing operations meet at this barrier on entry
    /// to the window and again on leaving it.
    Rendezvous(Barrier),
}

impl Window {
    /// Pauses here, as this window says.
    pub fn enter(&self) {
        match self {
            Window::Yield => {
                for _ in 0..3 {
                    std::thread::yield_now();
                }
            }
            Window::Rendezvous(barrier) => {
                barrier.wait();
            }
        }
    }
}

/// A set whose `remove` checks for the key, releases the lock, and only then
/// deletes it: two removers can both see the key and both report `true`.
#[derive(Debug)]
pub struct CheckThenDeleteSet {
    pub set: Mutex<SetSpec>,
    pub window: Window,
}

impl Subject<SetSpec> for CheckThenDeleteSet {
    fn apply(&self, call: &SetCall) -> SetRet {
        match *call {
            SetCall::Remove(k) => {
                let present = self.set.lock().unwrap().keys.contains(&k);
                self.window.enter();
                if present {
                    self.set.lock().unwrap().keys.remove(&k);
                }
                SetRet::Bool(present)
            }
            _ => apply_locked(&self.set, call),
        }
    }
}

/// A map whose replacing `insert` unlinks the old entry and links the new one
/// in two steps (as crossbeam-skiplist 0.1 does): a `get` in between misses a
/// key that was present throughout.
#[derive(Debug)]
pub struct UnlinkThenLinkMap {
    pub map: Mutex<MapSpec>,
    pub window: Window,
    /// Under a fixed schedule, `get` meets the replacing insert inside its window.
    pub get_joins_window: bool,
}

impl Subject<MapSpec> for UnlinkThenLinkMap {
    fn apply(&self, call: &MapCall) -> MapRet {
        match *call {
            MapCall::Insert(k, v) => {
                let replaced = self.map.lock().unwrap().entries.remove(&k).is_some();
                if replaced {
                    self.window.enter();
                    self.window.enter();
                }
                self.map.lock().unwrap().entries.insert(k, v);
                MapRet::Unit
            }
            MapCall::Get(k) if self.get_joins_window => {
                self.window.enter();
                let value = self.map.lock().unwrap().entries.get(&k).copied();
                self.window.enter();
                MapRet::Value(value)
            }
            _ => apply_locked(&self.map, call),
        }
    }
}
