//! The gateway server: everything but the command line and the OS signals.
//!
//! `examples/gateway.rs` runs it as a program and `tests/gateway.rs` runs it
//! in-process (both include this file with `#[path]`), so the test checks the
//! very code the example ships.
//!
//! ```text
//!  client ──TCP──> reader task ─┐                      ┌─> worker 1 ─┐
//!  client ──TCP──> reader task ─┼─ push ─> Queue ─ recv_many ─> ...  ├─> counters, checksum
//!  client ──TCP──> reader task ─┘        (unbounded)   └─> worker N ─┘
//! ```
//!
//! A reader pushes each good line the moment it has read it; the queue is
//! unbounded, so a slow worker never stalls a reader. Workers wait with
//! `recv_many` (a burst per wake-up) in a `select!` against the drain signal.

use std::future::Future;
use std::io;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lazuli::Queue;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// The longest message accepted, in bytes, newline excluded.
pub const MAX_MESSAGE: usize = 64 * 1024;

/// How many messages a worker takes per wake-up at most.
const BURST: usize = 64;

/// How the server runs.
#[derive(Clone, Debug)]
pub struct Config {
    /// Worker tasks handling messages.
    pub workers: usize,
    /// How long, after shutdown begins, open connections may still send
    /// before they are cut.
    pub grace: Duration,
    /// Print a stats line to stderr every this often (`None`: never).
    pub stats_every: Option<Duration>,
}

/// What the server did, printed as its last line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Messages accepted and pushed into the queue.
    pub received: u64,
    /// Messages a worker handled.
    pub handled: u64,
    /// Lines rejected: too long, not UTF-8, or cut off by the end of the
    /// connection before their newline.
    pub rejected: u64,
    /// The wrapping sum of the FNV-1a hash of every handled message.
    pub checksum: u64,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "received {} handled {} rejected {} checksum {:016x}",
            self.received, self.handled, self.rejected, self.checksum
        )
    }
}

/// The 64-bit FNV-1a hash of `bytes`.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// One accepted message, on its way from a reader to a worker.
struct Message {
    text: Box<str>,
    pushed_at: Instant,
}

/// Counters shared by readers, workers and the stats task.
#[derive(Default)]
struct Counters {
    received: AtomicU64,
    handled: AtomicU64,
    rejected: AtomicU64,
    checksum: AtomicU64,
    latency: Histogram,
}

/// Accepts connections on `listener` until `shutdown` completes, then shuts
/// down (stop accepting; read open connections to EOF, for at most
/// `config.grace`; close the queue; let the workers drain it) and returns
/// the summary.
pub async fn serve(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> Summary {
    assert!(config.workers > 0, "at least one worker");
    let queue = Arc::new(Queue::<Message>::new());
    let counters = Arc::new(Counters::default());
    let (drain_tx, drain_rx) = watch::channel(false);
    let workers: JoinSet<()> = (0..config.workers)
        .map(|_| work(Arc::clone(&queue), Arc::clone(&counters), drain_rx.clone()))
        .collect();
    let stats = config.stats_every.map(|every| {
        tokio::spawn(report(
            Arc::clone(&queue),
            Arc::clone(&counters),
            every,
            drain_rx.clone(),
        ))
    });

    // Accept until shutdown.
    let mut readers = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    readers.spawn(read(stream, Arc::clone(&queue), Arc::clone(&counters)));
                }
                // A connection that failed before we took it, or no file
                // descriptor left: the listener itself is still good. Pause
                // a little, in case it is the descriptors.
                Err(e) => {
                    eprintln!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            // Reap finished readers, so a long run does not pile them up.
            Some(_) = readers.join_next(), if !readers.is_empty() => {}
        }
    }

    // 1. Stop accepting. Connections whose handshake the kernel has already
    //    completed are open as far as their clients know (their `connect`
    //    returned, and they may have sent lines): take them before closing
    //    the listener, which would otherwise reset them.
    for stream in accept_pending(listener) {
        readers.spawn(read(stream, Arc::clone(&queue), Arc::clone(&counters)));
    }
    // 2. Read the open connections to EOF, within the grace period.
    let all_read = async { while readers.join_next().await.is_some() {} };
    if tokio::time::timeout(config.grace, all_read).await.is_err() {
        eprintln!("grace period over: cutting {} connection(s)", readers.len());
        readers.abort_all();
        // Wait until they are gone, so that no push can follow the close.
        while readers.join_next().await.is_some() {}
    }
    // 3. Close the queue, and tell the workers to drain it and stop.
    queue.close();
    drain_tx.send_replace(true);
    let mut workers = workers;
    while let Some(done) = workers.join_next().await {
        done.expect("a worker panicked");
    }
    if let Some(stats) = stats {
        stats.await.expect("the stats task panicked");
    }
    // memory ordering: every task that wrote the counters has been joined.
    Summary {
        received: counters.received.load(Ordering::Relaxed),
        handled: counters.handled.load(Ordering::Relaxed),
        rejected: counters.rejected.load(Ordering::Relaxed),
        checksum: counters.checksum.load(Ordering::Relaxed),
    }
}

/// Closes `listener` and returns the connections already waiting in its
/// backlog, taken without waiting for more (the listener is non-blocking, as
/// tokio keeps it). Must be called inside the runtime.
fn accept_pending(listener: TcpListener) -> Vec<TcpStream> {
    let mut pending = Vec::new();
    let listener = match listener.into_std() {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("closing the listener: {e}");
            return pending;
        }
    };
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                let stream = stream
                    .set_nonblocking(true)
                    .and_then(|()| TcpStream::from_std(stream));
                match stream {
                    Ok(stream) => pending.push(stream),
                    Err(e) => eprintln!("accept: {e}"),
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            // That one was reset before we took it; the next may be fine.
            Err(e) if e.kind() == io::ErrorKind::ConnectionAborted => {}
            Err(e) => {
                eprintln!("accept: {e}");
                break;
            }
        }
    }
    pending
}

/// One connection: push every good line, count every bad one, until EOF.
async fn read(stream: TcpStream, queue: Arc<Queue<Message>>, counters: Arc<Counters>) {
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    loop {
        let next = match next_line(&mut reader, &mut line).await {
            Ok(next) => next,
            // A reset connection: what it sent before is already pushed.
            Err(e) => {
                eprintln!("read: {e}");
                return;
            }
        };
        let text = match next {
            Line::End => return,
            Line::TooLong | Line::Unterminated => None,
            Line::Complete => String::from_utf8(std::mem::take(&mut line)).ok(),
        };
        match text {
            Some(text) => {
                let message = Message {
                    text: text.into_boxed_str(),
                    pushed_at: Instant::now(),
                };
                // The queue is closed only after every reader has ended.
                if queue.push(message).is_err() {
                    unreachable!("the queue closed while a reader was running");
                }
                // memory ordering: a count; the summary reads it after
                // joining every reader.
                counters.received.fetch_add(1, Ordering::Relaxed);
            }
            None => {
                // memory ordering: as above.
                counters.rejected.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// What [`next_line`] found.
#[derive(Debug, PartialEq, Eq)]
enum Line {
    /// A line of at most [`MAX_MESSAGE`] bytes, in the buffer without its
    /// newline.
    Complete,
    /// A line longer than [`MAX_MESSAGE`]; skipped up to its newline,
    /// without being buffered.
    TooLong,
    /// Bytes after the last newline, ended by the end of the connection.
    Unterminated,
    /// The end of the connection, right after a newline (or at its start).
    End,
}

/// Reads the next line into `line` (cleared first), never buffering more
/// than [`MAX_MESSAGE`] bytes of it.
async fn next_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    line: &mut Vec<u8>,
) -> io::Result<Line> {
    line.clear();
    let mut too_long = false;
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(if too_long || !line.is_empty() {
                Line::Unterminated
            } else {
                Line::End
            });
        }
        let newline = available.iter().position(|&b| b == b'\n');
        let content = &available[..newline.unwrap_or(available.len())];
        if !too_long {
            if line.len() + content.len() > MAX_MESSAGE {
                too_long = true;
                line.clear();
            } else {
                line.extend_from_slice(content);
            }
        }
        let used = content.len() + usize::from(newline.is_some());
        reader.consume(used);
        if newline.is_some() {
            return Ok(if too_long {
                Line::TooLong
            } else {
                Line::Complete
            });
        }
    }
}

/// One worker: handle bursts until the queue is closed and drained, or until
/// told to drain, then take what is left without waiting.
async fn work(
    queue: Arc<Queue<Message>>,
    counters: Arc<Counters>,
    mut drain: watch::Receiver<bool>,
) {
    let mut burst = Vec::with_capacity(BURST);
    loop {
        tokio::select! {
            // Cancel safe: if the drain signal wins, `recv_many` took
            // nothing, and the drain below finds every element.
            taken = queue.recv_many(&mut burst, BURST) => {
                if taken == 0 {
                    return; // closed and drained
                }
                handle(&mut burst, &counters);
            }
            _ = drain.wait_for(|&draining| draining) => break,
        }
    }
    while queue.pop_into(&mut burst, BURST) > 0 {
        handle(&mut burst, &counters);
    }
}

/// Handles a burst of messages (and empties `burst`): hash, count, time.
fn handle(burst: &mut Vec<Message>, counters: &Counters) {
    let mut checksum = 0u64;
    let handled = burst.len() as u64;
    for message in burst.drain(..) {
        checksum = checksum.wrapping_add(fnv1a(message.text.as_bytes()));
        counters.latency.record(message.pushed_at.elapsed());
    }
    // memory ordering: counts and a wrapping sum; the summary reads them after
    // joining every worker.
    counters.checksum.fetch_add(checksum, Ordering::Relaxed);
    counters.handled.fetch_add(handled, Ordering::Relaxed);
}

/// Prints a stats line to stderr every `every`, until the drain begins.
async fn report(
    queue: Arc<Queue<Message>>,
    counters: Arc<Counters>,
    every: Duration,
    mut drain: watch::Receiver<bool>,
) {
    let mut ticks = tokio::time::interval(every);
    ticks.tick().await; // the first tick is immediate
    let mut last = (Instant::now(), 0u64);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = drain.wait_for(|&draining| draining) => return,
        }
        let now = Instant::now();
        // memory ordering: a snapshot for display.
        let handled = counters.handled.load(Ordering::Relaxed);
        let rate = (handled - last.1) as f64 / (now - last.0).as_secs_f64();
        last = (now, handled);
        let (p50, p99) = counters.latency.take_percentiles();
        eprintln!(
            "stats: rate {rate:.0} msg/s backlog {} latency p50 {} p99 {}",
            queue.len(),
            show(p50),
            show(p99),
        );
    }
}

/// A latency for the stats line.
fn show(latency: Option<Duration>) -> String {
    match latency {
        None => "-".to_owned(),
        Some(d) if d < Duration::from_millis(10) => format!("{}us", d.as_micros()),
        Some(d) => format!("{}ms", d.as_millis()),
    }
}

/// Sub-buckets per power of two: latencies are kept to within 1/8 (12.5 %).
const SUB_BUCKETS: u32 = 8;
/// Buckets for every `u64` nanosecond count.
const BUCKETS: usize = (64 - 3 + 1) * SUB_BUCKETS as usize;

/// A log-linear histogram of latencies in nanoseconds, recorded lock-free by
/// the workers and taken (read and reset) once per stats interval.
struct Histogram {
    counts: Box<[AtomicUsize]>,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: (0..BUCKETS).map(|_| AtomicUsize::new(0)).collect(),
        }
    }
}

impl Histogram {
    /// The bucket of `ns`: exact below 8, then 8 sub-buckets per power of two.
    fn bucket(ns: u64) -> usize {
        if ns < u64::from(SUB_BUCKETS) {
            return ns as usize;
        }
        let exponent = 63 - ns.leading_zeros(); // at least 3
        let mantissa = (ns >> (exponent - 3)) & u64::from(SUB_BUCKETS - 1);
        ((exponent - 2) * SUB_BUCKETS) as usize + mantissa as usize
    }

    /// The smallest latency that falls in bucket `index`.
    fn lower_bound(index: usize) -> u64 {
        let index = index as u64;
        let sub = u64::from(SUB_BUCKETS);
        if index < sub {
            return index;
        }
        let (exponent, mantissa) = (index / sub + 2, index % sub);
        (sub + mantissa) << (exponent - 3)
    }

    fn record(&self, latency: Duration) {
        let ns = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX);
        // memory ordering: a count; read by a swap that needs no other data.
        self.counts[Self::bucket(ns)].fetch_add(1, Ordering::Relaxed);
    }

    /// The p50 and p99 of what was recorded since the last call (`None` if
    /// nothing was), and a reset.
    fn take_percentiles(&self) -> (Option<Duration>, Option<Duration>) {
        let counts: Vec<usize> = self
            .counts
            .iter()
            // memory ordering: as in `record`.
            .map(|count| count.swap(0, Ordering::Relaxed))
            .collect();
        let total: usize = counts.iter().sum();
        let percentile = |p: f64| {
            let rank = ((total as f64 * p).ceil() as usize).max(1);
            let mut seen = 0;
            counts.iter().position(|&c| {
                seen += c;
                seen >= rank
            })
        };
        let at = |p| {
            (total > 0)
                .then(|| percentile(p))
                .flatten()
                .map(|index| Duration::from_nanos(Self::lower_bound(index)))
        };
        (at(0.50), at(0.99))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_reference_vectors() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn histogram_buckets_are_within_an_eighth() {
        for ns in (0..100_000u64).chain([u64::MAX / 3, u64::MAX]) {
            let bucket = Histogram::bucket(ns);
            let low = Histogram::lower_bound(bucket);
            assert!(low <= ns, "{ns} below its bucket's bound {low}");
            assert!(ns - low <= low / 8, "{ns} too far above {low}");
            assert!(bucket < BUCKETS);
        }
    }
}
