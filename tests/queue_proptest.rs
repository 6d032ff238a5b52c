//! `Queue<T>` as a state machine, checked against `VecDeque` by proptest.
//!
//! Each case is a random program of shared and `&mut` operations, run on a
//! `Queue` and on the model side by side; every result must agree. Chunks of
//! 1, 2 and 5 slots make chunk boundaries frequent. Failures are shrunk and
//! persisted in `proptest-regressions/queue.txt`, which is committed.

use std::collections::VecDeque;

use lazuli::{PushError, Queue};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};

#[derive(Clone, Debug)]
enum Op {
    Push(u16),
    Pop,
    PushMut(u16),
    PopMut,
    Len,
    Close,
    /// Consume the queue through `into_iter` and compare everything left
    /// (ends the program).
    IntoIter,
}

/// `Close` and `IntoIter` are rare: `IntoIter` ends a program and `Close`
/// turns the rest of it into pops, so at 1 in 182 each a program runs about
/// as long as `MAX_OPS` allows (many laps, with spare chunks recycled) and
/// about half of the programs close somewhere. At 1 in 20 the mean program
/// ended after 8.6 operations and hardly any reached a fourth lap.
fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        60 => any::<u16>().prop_map(Op::Push),
        40 => Just(Op::Pop),
        30 => any::<u16>().prop_map(Op::PushMut),
        30 => Just(Op::PopMut),
        20 => Just(Op::Len),
        1 => Just(Op::Close),
        1 => Just(Op::IntoIter),
    ]
}

fn run<const CHUNK: usize>(ops: &[Op]) -> Result<(), TestCaseError> {
    let mut queue: Queue<u16, CHUNK> = Queue::with_chunk_size();
    let mut model = VecDeque::new();
    let mut closed = false;
    for (step, op) in ops.iter().enumerate() {
        match *op {
            Op::Push(v) => {
                let expected = if closed { Err(PushError(v)) } else { Ok(()) };
                prop_assert_eq!(queue.push(v), expected, "push at step {}", step);
                if !closed {
                    model.push_back(v);
                }
            }
            Op::PushMut(v) => {
                let expected = if closed { Err(PushError(v)) } else { Ok(()) };
                prop_assert_eq!(queue.push_mut(v), expected, "push_mut at step {}", step);
                if !closed {
                    model.push_back(v);
                }
            }
            Op::Pop => prop_assert_eq!(queue.pop(), model.pop_front(), "pop at step {}", step),
            Op::PopMut => {
                prop_assert_eq!(
                    queue.pop_mut(),
                    model.pop_front(),
                    "pop_mut at step {}",
                    step
                )
            }
            Op::Len => {
                prop_assert_eq!(queue.len(), model.len(), "len at step {}", step);
                prop_assert_eq!(queue.is_empty(), model.is_empty());
            }
            Op::Close => {
                prop_assert_eq!(queue.close(), !closed, "close at step {}", step);
                closed = true;
                prop_assert!(queue.is_closed());
            }
            Op::IntoIter => {
                let rest: Vec<u16> = queue.into_iter().collect();
                let expected: Vec<u16> = model.into_iter().collect();
                prop_assert_eq!(rest, expected, "into_iter at step {}", step);
                return Ok(());
            }
        }
        prop_assert_eq!(queue.is_closed(), closed);
    }
    prop_assert_eq!(queue.len(), model.len(), "len at the end");
    Ok(())
}

/// Program length: shorter under Miri, which runs ~1000x slower.
const MAX_OPS: usize = if cfg!(miri) { 40 } else { 200 };

fn config() -> Config {
    Config {
        cases: if cfg!(miri) { 3 } else { 512 },
        // Miri's isolation forbids the file system (`getcwd`); the native runs
        // persist and replay regressions.
        failure_persistence: if cfg!(miri) {
            None
        } else {
            Some(Box::new(FileFailurePersistence::Direct(
                "proptest-regressions/queue.txt",
            )))
        },
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn queue_matches_vecdeque_with_one_slot_chunks(ops in prop::collection::vec(op(), 0..MAX_OPS)) {
        run::<1>(&ops)?;
    }

    #[test]
    fn queue_matches_vecdeque_with_two_slot_chunks(ops in prop::collection::vec(op(), 0..MAX_OPS)) {
        run::<2>(&ops)?;
    }

    #[test]
    fn queue_matches_vecdeque_with_five_slot_chunks(ops in prop::collection::vec(op(), 0..MAX_OPS + MAX_OPS / 2)) {
        run::<5>(&ops)?;
    }
}
