//! The consumer loop from our design notes, rewritten on `Queue::recv`.
//!
//! The old design learned that the queue held work from a background ticker
//! that looked every 200 ms and signalled a channel, so a consumer waited up
//! to 200 ms for each burst, every queue kept a ticker busy, and every
//! consumer woke at once. Here the consumer `select!`s on `queue.recv()` and a
//! shutdown signal: the push itself wakes it, within microseconds, and only
//! it.
//!
//! A producer thread pushes jobs faster than the consumer can handle them, so
//! a backlog builds. On shutdown the consumer stops taking new jobs mid-loop;
//! because `recv()` is cancel safe, the job it was waiting for when shutdown
//! won the `select!` is still in the queue, and the final drain finds every
//! job that was not handled: nothing is lost or done twice.
//!
//! ```text
//! cargo run --release --example select
//! ```

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use lazuli::Queue;
use tokio::sync::watch;

/// A unit of work.
#[derive(Debug)]
struct Job {
    id: u64,
    pushed_at: Instant,
}

#[tokio::main]
async fn main() {
    let queue = Arc::new(Queue::<Job>::new());
    let (shutdown_tx, mut shutdown) = watch::channel(false);

    // The producer: a job every 20 µs, while the consumer needs 100 µs each.
    let producer = {
        let queue = Arc::clone(&queue);
        thread::spawn(move || {
            let mut id = 0;
            let deadline = Instant::now() + Duration::from_millis(300);
            while Instant::now() < deadline {
                let job = Job {
                    id,
                    pushed_at: Instant::now(),
                };
                if queue.push(job).is_err() {
                    break; // closed
                }
                id += 1;
                thread::sleep(Duration::from_micros(20));
            }
            id
        })
    };

    // The consumer loop.
    let consumer = {
        let queue = Arc::clone(&queue);
        tokio::spawn(async move {
            let mut handled = Vec::new();
            let mut worst_wait = Duration::ZERO;
            loop {
                tokio::select! {
                    // Check shutdown first, so a backlog cannot starve it.
                    biased;
                    _ = shutdown.changed() => break,
                    job = queue.recv() => match job {
                        Some(job) => {
                            worst_wait = worst_wait.max(job.pushed_at.elapsed());
                            tokio::time::sleep(Duration::from_micros(100)).await; // the work
                            handled.push(job.id);
                        }
                        None => break, // closed and drained
                    },
                }
            }
            (handled, worst_wait)
        })
    };

    tokio::time::sleep(Duration::from_millis(150)).await;
    shutdown_tx.send(true).unwrap();
    let (handled, worst_wait) = consumer.await.unwrap();

    // Stop the producer, then take what is left.
    queue.close();
    let pushed = producer.join().unwrap();
    let mut left: Vec<u64> = Vec::new();
    while let Some(job) = queue.recv().await {
        left.push(job.id);
    }

    println!("pushed {pushed} jobs");
    println!(
        "handled {} before shutdown (oldest job waited {worst_wait:?})",
        handled.len()
    );
    println!("left {} in the queue, drained after close", left.len());

    let mut all: Vec<u64> = handled.iter().chain(&left).copied().collect();
    all.sort_unstable();
    assert!(
        all.iter().copied().eq(0..pushed),
        "every job exactly once, handled or left"
    );
    println!("every job accounted for exactly once");
}
