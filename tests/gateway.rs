//! The gateway example end to end: its server module in-process, and the
//! built example binary through SIGTERM.
//!
//! Both send a known mix of good and bad lines from concurrent clients and
//! check the summary exactly: every good line received and handled once
//! (nothing lost, nothing doubled), every bad line rejected, and the checksum
//! equal to one computed here.

#![cfg(not(miri))] // sockets and processes; Miri isolates both

#[path = "../examples/gateway/server.rs"]
mod server;

use std::io::{BufRead, BufReader as StdBufReader, Write as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use server::{fnv1a, Config, Summary, MAX_MESSAGE};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

/// What one client sends, and what the server must make of it.
#[derive(Default)]
struct Script {
    /// The bytes, in the order they are written.
    bytes: Vec<u8>,
    /// The summary this script alone should produce.
    expect: Summary,
}

impl Script {
    fn good(&mut self, text: &str) -> &mut Self {
        self.bytes.extend_from_slice(text.as_bytes());
        self.bytes.push(b'\n');
        self.expect.received += 1;
        self.expect.handled += 1;
        self.expect.checksum = self.expect.checksum.wrapping_add(fnv1a(text.as_bytes()));
        self
    }

    fn bad(&mut self, bytes: &[u8]) -> &mut Self {
        self.bytes.extend_from_slice(bytes);
        self.bytes.push(b'\n');
        self.expect.rejected += 1;
        self
    }

    /// Bytes after the last newline: cut off by the disconnect, rejected.
    fn unterminated(&mut self, bytes: &[u8]) -> &mut Self {
        self.bytes.extend_from_slice(bytes);
        self.expect.rejected += 1;
        self
    }
}

/// The summaries of several scripts, added up.
fn total(scripts: &[Script]) -> Summary {
    scripts.iter().fold(Summary::default(), |sum, s| Summary {
        received: sum.received + s.expect.received,
        handled: sum.handled + s.expect.handled,
        rejected: sum.rejected + s.expect.rejected,
        checksum: sum.checksum.wrapping_add(s.expect.checksum),
    })
}

/// A client's lines: `n` good ones of varied length, with bad lines mixed in
/// when `bad` is set (too long, invalid UTF-8, and the boundary cases).
fn script(client: usize, n: usize, bad: bool) -> Script {
    let mut s = Script::default();
    for i in 0..n {
        s.good(&format!(
            "client {client} message {i} {}",
            "é".repeat(i % 17)
        ));
        if bad && i % 250 == 0 {
            s.bad(&vec![b'x'; MAX_MESSAGE + 1 + i]) // too long
                .bad(b"caf\xc3 not utf-8") // a cut UTF-8 sequence
                .bad(b"\xff\xfe");
            // Exactly the limit, and an empty line: both are messages.
            s.good(&"y".repeat(MAX_MESSAGE)).good("");
        }
    }
    s
}

/// Writes `bytes` in uneven pieces, so that lines straddle reads.
async fn send(stream: &mut TcpStream, bytes: &[u8]) {
    for piece in bytes.chunks(7919) {
        stream.write_all(piece).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_good_line_is_handled_once_and_every_bad_line_is_rejected() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
    let config = Config {
        workers: 3,
        grace: Duration::from_secs(5),
        stats_every: None,
    };
    let server = tokio::spawn(server::serve(listener, config, async {
        let _ = shutdown_rx.await;
    }));

    // Five clients that send everything and close cleanly, two of them with
    // bad lines.
    let mut scripts: Vec<Script> = (0..5).map(|c| script(c, 3_000, c % 2 == 0)).collect();
    // One that disconnects abruptly, in the middle of a line.
    let mut abrupt = script(5, 1_000, true);
    abrupt.unterminated(b"half a mess");
    scripts.push(abrupt);
    let clients: Vec<_> = scripts
        .iter()
        .map(|s| {
            let bytes = s.bytes.clone();
            tokio::spawn(async move {
                let mut stream = TcpStream::connect(addr).await.unwrap();
                send(&mut stream, &bytes).await;
                // Dropped without a shutdown: for the abrupt client, the
                // connection ends inside a line.
            })
        })
        .collect();
    // And one still connected when the shutdown begins, which sends the rest
    // of its lines during the grace period.
    let late = script(6, 500, true);
    let mut late_stream = TcpStream::connect(addr).await.unwrap();
    let half = late
        .bytes
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b == b'\n')
        .map(|(i, _)| i + 1)
        .nth(200)
        .unwrap();
    send(&mut late_stream, &late.bytes[..half]).await;
    for c in clients {
        c.await.expect("a client failed");
    }

    shutdown_tx.send(()).unwrap();
    // The listener closes: new connections are refused...
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match TcpStream::connect(addr).await {
            Err(_) => break,
            Ok(_) if Instant::now() > deadline => panic!("still accepting after shutdown"),
            Ok(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
    // ...but the open one is still read to its end.
    send(&mut late_stream, &late.bytes[half..]).await;
    late_stream.shutdown().await.unwrap();
    drop(late_stream);
    scripts.push(late);

    let summary = tokio::time::timeout(Duration::from_secs(30), server)
        .await
        .expect("the server did not finish shutting down")
        .expect("the server panicked");
    let expect = total(&scripts);
    assert_eq!(
        summary.received, expect.received,
        "accepted messages: lost or doubled"
    );
    assert_eq!(summary.handled, expect.handled, "handled: lost or doubled");
    assert_eq!(summary.rejected, expect.rejected, "rejected lines");
    assert_eq!(summary, expect, "the checksum differs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_still_open_after_the_grace_period_is_cut_keeping_what_it_sent() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
    let grace = Duration::from_secs(1);
    let config = Config {
        workers: 2,
        grace,
        stats_every: None,
    };
    let server = tokio::spawn(server::serve(listener, config, async {
        let _ = shutdown_rx.await;
    }));
    let sent = script(0, 1_000, true);
    let mut stuck = TcpStream::connect(addr).await.unwrap();
    send(&mut stuck, &sent.bytes).await;
    // Never closed: still open when the shutdown begins. What it sent is in
    // the server's socket buffer or already read; the server must read all
    // of it during the grace period before cutting the connection.
    let started = Instant::now();
    shutdown_tx.send(()).unwrap();
    let summary = tokio::time::timeout(Duration::from_secs(30), server)
        .await
        .expect("the server waited past its grace period")
        .expect("the server panicked");
    assert!(
        started.elapsed() >= grace,
        "the server cut an open connection before the grace period ended"
    );
    assert_eq!(summary, sent.expect, "what the cut connection sent");
    drop(stuck);
}

/// A client whose `connect` returned is open as far as it knows, even if the
/// server has not taken it from the listener's backlog yet. Here every
/// client connects, sends and closes before the server runs at all, and
/// the shutdown is already due on the server's first poll: each time, the
/// server must still read every connection to its end rather than close the
/// listener on them (which resets them). Repeated, because which of
/// "accept" and "shut down" the server's `select!` sees first is random.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_completed_before_the_shutdown_are_read_to_their_end() {
    for round in 0..20 {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let scripts: Vec<Script> = (0..3).map(|c| script(c, 50, c == 0)).collect();
        for s in &scripts {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            send(&mut stream, &s.bytes).await;
            stream.shutdown().await.unwrap();
        }
        let config = Config {
            workers: 2,
            grace: Duration::from_secs(30),
            stats_every: None,
        };
        let summary = tokio::time::timeout(
            Duration::from_secs(60),
            server::serve(listener, config, std::future::ready(())),
        )
        .await
        .expect("the server did not finish shutting down");
        assert_eq!(summary, total(&scripts), "round {round}: lost or doubled");
    }
}

#[test]
fn the_summary_line_has_the_documented_format() {
    let summary = Summary {
        received: 12,
        handled: 12,
        rejected: 3,
        checksum: 0xab,
    };
    assert_eq!(
        summary.to_string(),
        "received 12 handled 12 rejected 3 checksum 00000000000000ab"
    );
}

/// `target/<profile>/examples/gateway`, which `cargo test` builds along with
/// this test; `Err(why)` if it was not built (e.g. `cargo test --test
/// gateway` alone) or is older than the example's sources.
fn example_binary() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .ok_or("no profile directory")?; // .../<profile>/deps/gateway-<hash>
    let binary = profile_dir
        .join("examples")
        .join(format!("gateway{}", std::env::consts::EXE_SUFFIX));
    let modified = |path: &std::path::Path| std::fs::metadata(path).and_then(|m| m.modified());
    let built = modified(&binary).map_err(|_| format!("{} is not built", binary.display()))?;
    // The example's own sources and the library's: a binary built before a
    // change to either would test old code.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut sources = vec![
        root.join("examples/gateway.rs"),
        root.join("examples/gateway/server.rs"),
    ];
    let mut dirs = vec![root.join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))? {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                sources.push(path);
            }
        }
    }
    for source in sources {
        if modified(&source).is_ok_and(|changed| changed > built) {
            return Err(format!(
                "{} is older than {}",
                binary.display(),
                source.display()
            ));
        }
    }
    Ok(binary)
}

#[test]
#[cfg(unix)]
fn the_example_binary_drains_and_reports_on_sigterm() {
    let binary = match example_binary() {
        Ok(binary) => binary,
        Err(why) => {
            // `cargo test` (without `--test`) builds the examples first, so
            // CI, which runs exactly that, must never skip this test.
            assert!(
                std::env::var_os("LAZULI_CI").is_none(),
                "the gateway binary is required under CI: {why}"
            );
            eprintln!("skipped: {why}; run `cargo test` to build the example");
            return;
        }
    };
    let mut child = Command::new(binary)
        .args(["--listen", "127.0.0.1:0", "--workers", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = StdBufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let addr: SocketAddr = first
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line: {first:?}"))
        .trim_end()
        .parse()
        .unwrap();

    let scripts: Vec<Script> = (0..3).map(|c| script(c, 2_000, c == 0)).collect();
    let clients: Vec<_> = scripts
        .iter()
        .map(|s| {
            let bytes = s.bytes.clone();
            std::thread::spawn(move || {
                let mut stream = std::net::TcpStream::connect(addr).unwrap();
                stream.write_all(&bytes).unwrap();
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
    // Long enough for at least one stats line.
    std::thread::sleep(Duration::from_millis(1_300));
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());

    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "no exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "exit status {status}");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert_eq!(rest, format!("{}\n", total(&scripts)), "the summary line");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(
        stderr.lines().any(|l| l.starts_with("stats: rate ")
            && l.contains(" backlog ")
            && l.contains(" p50 ")
            && l.contains(" p99 ")),
        "no stats line on stderr: {stderr:?}"
    );
}
