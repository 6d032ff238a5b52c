//! What a lazuli user writes to model-check their own code with loom.
//!
//! The user's crate depends on lazuli (and on loom 0.7 under `cfg(loom)`)
//! and runs:
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test --release --test my_model
//! ```
//!
//! With that flag lazuli's own atomics, cells, threads and wakers become
//! loom's, so loom interleaves the user's code *and* lazuli's internals.
//! Adding `--cfg crossbeam_loom` models crossbeam-epoch's collector as well.
//!
//! The user code below is a tiny job dispatcher: `submit` counts a job as
//! pending and queues it; a worker pops jobs and marks them done. The
//! user's invariant: once everyone is finished, `pending` is 0 and every job
//! ran exactly once, whatever the interleaving inside the queue.
#![cfg(loom)]

use lazuli::queue::paths::SLOT_SKIPPED;
use lazuli::Queue;
use lazuli_loom_tests::explore;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

/// The user's type: a job queue plus a pending count.
struct Dispatcher {
    jobs: Queue<u32>,
    pending: AtomicUsize,
}

impl Dispatcher {
    fn new() -> Self {
        Dispatcher {
            jobs: Queue::new(),
            pending: AtomicUsize::new(0),
        }
    }

    fn submit(&self, job: u32) {
        self.pending.fetch_add(1, Ordering::AcqRel);
        self.jobs.push(job).expect("never closed here");
    }

    /// Runs at most one job; returns it.
    fn work_once(&self) -> Option<u32> {
        let job = self.jobs.pop()?;
        self.pending.fetch_sub(1, Ordering::AcqRel);
        Some(job)
    }
}

#[test]
fn a_users_dispatcher_runs_every_job_once() {
    // `reaches` proves lazuli's internals took part in the user's model:
    // the skip path exists only inside the queue.
    explore("downstream: user dispatcher", 3, &[&SLOT_SKIPPED], || {
        let dispatcher = Arc::new(Dispatcher::new());
        dispatcher.submit(0);
        assert_eq!(dispatcher.work_once(), Some(0));
        let submitter = {
            let dispatcher = dispatcher.clone();
            thread::spawn(move || {
                dispatcher.submit(1);
                dispatcher.submit(2);
            })
        };
        let mut ran: Vec<u32> = (0..2).filter_map(|_| dispatcher.work_once()).collect();
        submitter.join().unwrap();
        while let Some(job) = dispatcher.work_once() {
            ran.push(job);
        }
        assert_eq!(ran, [1, 2], "every job ran exactly once, in order");
        assert_eq!(dispatcher.pending.load(Ordering::Acquire), 0);
    });
}
