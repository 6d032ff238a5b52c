//! A loopback TCP message gateway: the job lazuli's queue exists for.
//!
//! ```text
//! cargo run --release --example gateway -- --listen ADDR [--workers N]
//! ```
//!
//! * Once bound, it prints `listening on ADDR` (the actual address, so
//!   `--listen 127.0.0.1:0` works) as one line on stdout.
//! * Every connection sends newline-terminated messages. Each one is pushed
//!   into a `lazuli::Queue` as soon as it is read; the queue is unbounded,
//!   so a slow worker never stalls a reader.
//! * A line longer than 64 KiB (newline excluded) or not valid UTF-8 is
//!   rejected and counted, and the connection goes on with its next line.
//!   Bytes after a connection's last newline are not a message: they are
//!   rejected too. A client that disconnects loses nothing it sent before.
//! * N workers (default: the number of cores) `select!` on the queue's
//!   `recv_many` and a shutdown signal, and hash each message (64-bit
//!   FNV-1a).
//! * Every second a stats line goes to stderr: handling rate, backlog, and
//!   the p50/p99 latency from push to handle.
//! * On SIGINT or SIGTERM it stops accepting, reads the open connections to
//!   EOF (for at most 5 s), closes the queue, lets the workers drain it,
//!   prints `received R handled H rejected J checksum C` on stdout (C: the
//!   wrapping sum of the accepted messages' FNV-1a, 16 lowercase hex digits)
//!   and exits 0.
//!
//! The server itself is `examples/gateway/server.rs`, which
//! `tests/gateway.rs` also runs.

#[path = "gateway/server.rs"]
mod server;

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use tokio::net::TcpListener;

const USAGE: &str = "usage: gateway --listen ADDR [--workers N]";

/// The command line.
struct Args {
    /// `host:port`; a name is resolved, and port 0 picks a free port.
    listen: String,
    workers: usize,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut listen = None;
    let mut workers = None;
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--listen" => {
                let value = value()?;
                listen = Some(
                    value
                        .parse()
                        .map_err(|e| format!("--listen {value}: {e}"))?,
                );
            }
            "--workers" => {
                let value = value()?;
                match value.parse() {
                    Ok(n) if n > 0 => workers = Some(n),
                    _ => return Err(format!("--workers {value}: not a positive number")),
                }
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Args {
        listen: listen.ok_or("--listen is required")?,
        workers: workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
    })
}

/// Completes on the first SIGINT or SIGTERM. The handlers are installed when
/// this is called, not when the future is first polled, so a signal that
/// arrives right after `listening on` is already caught.
#[cfg(unix)]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

/// Completes on Ctrl-C (there is no SIGTERM off Unix).
#[cfg(not(unix))]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let shutdown = match shutdown_signal() {
        Ok(shutdown) => shutdown,
        Err(e) => {
            eprintln!("cannot install signal handlers: {e}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match TcpListener::bind(args.listen.as_str()).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("cannot listen on {}: {e}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    let local = listener
        .local_addr()
        .expect("a bound listener has an address");
    println!("listening on {local}");
    // Other programs wait for this line: do not leave it in a buffer.
    std::io::stdout().flush().expect("stdout");
    let config = server::Config {
        workers: args.workers,
        grace: Duration::from_secs(5),
        stats_every: Some(Duration::from_secs(1)),
    };
    let summary = server::serve(listener, config, shutdown).await;
    println!("{summary}");
    ExitCode::SUCCESS
}
