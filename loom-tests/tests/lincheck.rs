//! Linearizability of histories recorded inside loom models.
//!
//! `tests/linearizability.rs` checks histories recorded from real threads,
//! which sample the interleavings the machine happens to produce. Here every
//! interleaving (up to the preemption bound) is produced by loom, and the
//! history of *each* execution is checked with the same Wing & Gong checker
//! (`tests/support/lincheck/`, included below by path).
//!
//! The recorder's clock must be a loom atomic: a std atomic is invisible to
//! loom, so "A returned before B started" would carry no happens-before and
//! loom's weak-memory reads would produce false alarms. Invocations take an
//! Acquire load of the clock and responses a SeqCst `fetch_add`; an
//! invocation stamp past a response stamp means the load read that bump (or
//! a later one in its release sequence), so the response happens before the
//! invocation. A stale load only makes the stamp smaller, which removes
//! constraints: the check may be weaker, never wrong.
#![cfg(loom)]
#![allow(dead_code)]

#[path = "../../tests/support/lincheck/history.rs"]
mod history;
#[path = "../../tests/support/lincheck/spec.rs"]
mod spec;
#[path = "../../tests/support/lincheck/wgl.rs"]
mod wgl;

use std::fmt::Debug;

use history::{History, Op};
use lazuli::{ListMap, Queue, SkipMap};
use lazuli_loom_tests::{explore, explore_outcomes, Path};
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;
use spec::{MapCall, MapRet, MapSpec, QueueCall, QueueRet, QueueSpec, Spec};

/// The loom-visible clock of one history.
#[derive(Default)]
struct LoomClock(AtomicUsize);

impl LoomClock {
    fn invoke(&self) -> u64 {
        // memory ordering: Acquire, pairs with `respond`'s release: a stamp
        // that counts a response's bump means that response happened before.
        2 * self.0.load(Ordering::Acquire) as u64
    }
    fn respond(&self) -> u64 {
        // memory ordering: SeqCst RMW; releases the operation's effects to
        // every later invocation that reads this bump.
        2 * self.0.fetch_add(1, Ordering::SeqCst) as u64 + 1
    }
}

/// One thread's log.
struct Log<S: Spec> {
    thread: usize,
    ops: Vec<Op<S>>,
}

impl<S: Spec> Log<S> {
    fn new(thread: usize) -> Self {
        Log {
            thread,
            ops: Vec::new(),
        }
    }
    fn record(&mut self, clock: &LoomClock, call: S::Call, run: impl FnOnce() -> S::Ret) {
        let invoke = clock.invoke();
        let ret = run();
        let response = clock.respond();
        self.ops.push(Op {
            thread: self.thread,
            call,
            ret,
            invoke,
            response,
        });
    }
}

/// Checks one execution's history; a violation fails the model with the
/// minimal failing history.
fn assert_linearizable<S: Spec>(init: S, logs: Vec<Log<S>>)
where
    S::Call: Debug,
{
    let mut ops: Vec<Op<S>> = logs.into_iter().flat_map(|log| log.ops).collect();
    history::rank_stamps(&mut ops);
    let history = History::new(init, ops);
    if let Err(violation) = wgl::check_history(&history) {
        panic!("a loom execution produced a non-linearizable history:\n{violation}");
    }
}

/// Explores `model` as [`explore`] does, handing each execution a fresh
/// subject made by `make` and a fresh clock, both shared (`Arc`) so that
/// [`spawn_worker`] can hand them to the worker.
fn explore_logged<T: Send + Sync + 'static>(
    name: &str,
    preemption_bound: usize,
    reaches: &[&'static Path],
    make: fn() -> T,
    model: impl Fn(Arc<T>, Arc<LoomClock>) + Sync + Send + 'static,
) {
    explore(name, preemption_bound, reaches, move || {
        let subject = Arc::new(make());
        model(subject, Arc::new(LoomClock::default()));
    });
}

/// Spawns the worker, thread 1 of the history: `script` makes its calls on
/// `subject`, recording them in the worker's log, which joining returns.
fn spawn_worker<T: Send + Sync + 'static, S: Spec + 'static>(
    subject: &Arc<T>,
    clock: &Arc<LoomClock>,
    script: impl FnOnce(&T, &LoomClock, &mut Log<S>) + Send + 'static,
) -> thread::JoinHandle<Log<S>> {
    let (subject, clock) = (subject.clone(), clock.clone());
    thread::spawn(move || {
        let mut log = Log::new(1);
        script(&subject, &clock, &mut log);
        log
    })
}

#[test]
fn queue_histories_of_every_interleaving_are_linearizable() {
    use lazuli::queue::paths::{CHUNK_RECYCLED, CHUNK_WAITED};
    // Lap 0's chunk is recycled in every execution (by the drain if not
    // before); the race shows in the concurrent pops, one of which may end
    // lap 0 while the other still reads its first slot (the chunk then
    // waits), and in the outcomes: which thread's pop took 0, and which of
    // the concurrent pushes was queued first.
    const MAIN_0_10_FIRST: &str = "main's pop took 0, 10 queued before 20";
    const MAIN_0_20_FIRST: &str = "main's pop took 0, 20 queued before 10";
    const WORKER_0_10_FIRST: &str = "the worker's pop took 0, 10 queued before 20";
    const WORKER_0_20_FIRST: &str = "the worker's pop took 0, 20 queued before 10";
    let outcomes = &[
        MAIN_0_10_FIRST,
        MAIN_0_20_FIRST,
        WORKER_0_10_FIRST,
        WORKER_0_20_FIRST,
    ];
    let name = "lincheck: queue push/pop x2 threads";
    let reaches: &[&'static Path] = &[&CHUNK_RECYCLED, &CHUNK_WAITED];
    explore_outcomes(name, 3, reaches, outcomes, move || {
        let queue = Arc::new(Queue::<u64>::new());
        let clock = Arc::new(LoomClock::default());
        let mut main_log = Log::<QueueSpec>::new(0);
        // Fill the first (2-slot) chunk: the concurrent pushes fill lap 1
        // and link the next chunk while the pops finish and recycle lap 0's.
        for v in [0, 1] {
            main_log.record(&clock, QueueCall::Push(v), || {
                QueueRet::Pushed(queue.push(v).is_ok())
            });
        }
        let worker = spawn_worker(&queue, &clock, |queue, clock, log| {
            log.record(clock, QueueCall::Push(10), || {
                QueueRet::Pushed(queue.push(10).is_ok())
            });
            log.record(clock, QueueCall::Pop, || QueueRet::Popped(queue.pop()));
        });
        main_log.record(&clock, QueueCall::Push(20), || {
            QueueRet::Pushed(queue.push(20).is_ok())
        });
        let mut main_popped = None;
        main_log.record(&clock, QueueCall::Pop, || {
            main_popped = queue.pop();
            QueueRet::Popped(main_popped)
        });
        let worker_log = worker.join().unwrap();
        // Quiescent: drain, recorded too, so the final state is checked.
        let mut drained = Vec::new();
        for _ in 0..4 {
            main_log.record(&clock, QueueCall::Pop, || {
                let got = queue.pop();
                drained.extend(got);
                QueueRet::Popped(got)
            });
        }
        assert_linearizable(QueueSpec::default(), vec![main_log, worker_log]);
        let ten_first =
            drained.iter().position(|&v| v == 10) < drained.iter().position(|&v| v == 20);
        match (main_popped == Some(0), ten_first) {
            (true, true) => MAIN_0_10_FIRST,
            (true, false) => MAIN_0_20_FIRST,
            (false, true) => WORKER_0_10_FIRST,
            (false, false) => WORKER_0_20_FIRST,
        }
    });
}

#[test]
fn queue_close_histories_are_linearizable() {
    use lazuli::queue::paths::PUSH_SAW_CLOSED;
    let name = "lincheck: queue push || close";
    let make = Queue::<u64>::new;
    explore_logged(name, 3, &[&PUSH_SAW_CLOSED], make, |queue, clock| {
        let worker = spawn_worker(&queue, &clock, |queue, clock, log| {
            for v in [1, 2] {
                log.record(clock, QueueCall::Push(v), || {
                    QueueRet::Pushed(queue.push(v).is_ok())
                });
            }
        });
        let mut main_log = Log::<QueueSpec>::new(0);
        main_log.record(&clock, QueueCall::Close, || QueueRet::Closed(queue.close()));
        main_log.record(&clock, QueueCall::Pop, || QueueRet::Popped(queue.pop()));
        let worker_log = worker.join().unwrap();
        for _ in 0..2 {
            main_log.record(&clock, QueueCall::Pop, || QueueRet::Popped(queue.pop()));
        }
        assert_linearizable(QueueSpec::default(), vec![main_log, worker_log]);
    });
}

/// The map model, shared by `SkipMap` and `ListMap` (same API): insert,
/// remove ‖ insert, get; then get.
macro_rules! map_model {
    ($name:literal, $map:ty, $path:expr) => {
        explore_logged($name, 3, &[&$path], <$map>::new, |map, clock| {
            let worker = spawn_worker(&map, &clock, |map, clock, log| {
                log.record(clock, MapCall::Insert(1, 10), || {
                    map.insert(1, 10);
                    MapRet::Unit
                });
                log.record(clock, MapCall::Remove(1), || {
                    MapRet::Value(map.remove(&1).map(|e| *e.value()))
                });
            });
            let mut main_log = Log::<MapSpec>::new(0);
            main_log.record(&clock, MapCall::Insert(1, 20), || {
                map.insert(1, 20);
                MapRet::Unit
            });
            let get = || MapRet::Value(map.get(&1).map(|e| *e.value()));
            main_log.record(&clock, MapCall::Get(1), get);
            let worker_log = worker.join().unwrap();
            main_log.record(&clock, MapCall::Get(1), get);
            assert_linearizable(MapSpec::default(), vec![main_log, worker_log]);
        })
    };
}

#[test]
fn skipmap_histories_of_every_interleaving_are_linearizable() {
    map_model!(
        "lincheck: skipmap insert/remove/get",
        SkipMap<u64, u64>,
        lazuli::skiplist::paths::NODE_REPLACED
    );
}

#[test]
fn listmap_histories_of_every_interleaving_are_linearizable() {
    map_model!(
        "lincheck: listmap insert/remove/get",
        ListMap<u64, u64>,
        lazuli::list::paths::VALUE_REPLACED
    );
}

/// The negative control: a "queue" that pops from the back. Some loom
/// execution must produce a history the checker rejects, so this test
/// expects the panic; if the checker could not fail, it would not come.
#[test]
#[should_panic(expected = "non-linearizable history")]
fn a_lifo_impostor_is_reported_non_linearizable() {
    let name = "lincheck: negative control (LIFO impostor)";
    let make = || loom::sync::Mutex::new(Vec::<u64>::new());
    explore_logged(name, 2, &[], make, |stack, clock| {
        let worker = spawn_worker(&stack, &clock, |stack, clock, log| {
            log.record(clock, QueueCall::Push(1), || {
                stack.lock().unwrap().push(1);
                QueueRet::Pushed(true)
            });
        });
        let mut main_log = Log::<QueueSpec>::new(0);
        main_log.record(&clock, QueueCall::Push(2), || {
            stack.lock().unwrap().push(2);
            QueueRet::Pushed(true)
        });
        let worker_log = worker.join().unwrap();
        for _ in 0..2 {
            main_log.record(&clock, QueueCall::Pop, || {
                QueueRet::Popped(stack.lock().unwrap().pop())
            });
        }
        assert_linearizable(QueueSpec::default(), vec![main_log, worker_log]);
    });
}
