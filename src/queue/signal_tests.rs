//! The registry on its own, with a token counter standing in for the
//! queue (`handshake.rs`): `put` adds a token (SeqCst RMW, then
//! `notify_one`), `try_take` removes one.

use super::super::handshake::Tokens;
use super::*;
use std::sync::Arc;
use std::task::Wake;

/// The signal's count of waiting slots.
fn armed(tokens: &Tokens) -> usize {
    tokens.signal.shared.armed.load(Ordering::SeqCst)
}

/// A waker that counts how often it was woken.
#[derive(Default)]
struct CountingWaker(AtomicUsize);
impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}
fn counting() -> (Arc<CountingWaker>, Waker) {
    let count = Arc::new(CountingWaker::default());
    (count.clone(), Waker::from(count))
}
fn woken(count: &CountingWaker) -> usize {
    count.0.load(Ordering::SeqCst)
}

fn slot_count(signal: &Signal) -> usize {
    signal.pages().map(|p| p.states.len()).sum()
}

#[test]
fn a_push_with_no_waiter_allocates_and_arms_nothing() {
    let tokens = Tokens::new();
    for _ in 0..100 {
        tokens.put();
    }
    assert_eq!(
        slot_count(&tokens.signal),
        0,
        "no page before the first wait"
    );
    assert_eq!(armed(&tokens), 0);
}

#[test]
fn registry_grows_by_doubling_and_reuses_released_slots() {
    let tokens = Tokens::new();
    let (_, waker) = counting();
    let mut waiters: Vec<Waiter<&Tokens>> = (0..FIRST_PAGE * 3 + 1)
        .map(|_| Waiter::new(&tokens))
        .collect();
    for w in &mut waiters {
        assert!(w.poll(&waker).is_pending(), "empty queue must wait");
    }
    // 8 + 16 + 32 slots for 25 waiters.
    assert_eq!(slot_count(&tokens.signal), FIRST_PAGE * 7);
    assert_eq!(armed(&tokens), waiters.len());
    drop(waiters);
    assert_eq!(armed(&tokens), 0);
    let mut again: Vec<Waiter<&Tokens>> = (0..FIRST_PAGE * 3 + 1)
        .map(|_| Waiter::new(&tokens))
        .collect();
    for w in &mut again {
        assert!(w.poll(&waker).is_pending());
    }
    assert_eq!(
        slot_count(&tokens.signal),
        FIRST_PAGE * 7,
        "released slots must be reused"
    );
}

#[test]
fn each_push_wakes_exactly_one_waiter() {
    let tokens = Tokens::new();
    let wakers: Vec<_> = (0..FIRST_PAGE).map(|_| counting()).collect();
    let mut waiters: Vec<_> = wakers.iter().map(|_| Waiter::new(&tokens)).collect();
    for (w, (_, waker)) in waiters.iter_mut().zip(&wakers) {
        assert!(w.poll(waker).is_pending());
    }
    for pushed in 1..=FIRST_PAGE {
        tokens.put();
        let total: usize = wakers.iter().map(|(c, _)| woken(c)).sum();
        assert_eq!(
            total, pushed,
            "push {pushed} must wake exactly one more waiter"
        );
        assert_eq!(
            armed(&tokens),
            FIRST_PAGE - pushed,
            "a notified waiter is no longer counted, so later pushes skip it"
        );
    }
    for (i, (c, _)) in wakers.iter().enumerate() {
        assert_eq!(woken(c), 1, "waiter {i} must be woken exactly once");
    }
    for (w, (_, waker)) in waiters.iter_mut().zip(&wakers) {
        assert_eq!(
            w.poll(waker),
            Poll::Ready(Some(())),
            "a woken waiter finds its token"
        );
    }
}

#[test]
fn close_wakes_every_waiter_and_they_see_the_end() {
    let tokens = Tokens::new();
    let wakers: Vec<_> = (0..FIRST_PAGE + 3).map(|_| counting()).collect();
    let mut waiters: Vec<_> = wakers.iter().map(|_| Waiter::new(&tokens)).collect();
    for (w, (_, waker)) in waiters.iter_mut().zip(&wakers) {
        assert!(w.poll(waker).is_pending());
    }
    tokens.close();
    for (i, (w, (c, waker))) in waiters.iter_mut().zip(&wakers).enumerate() {
        assert_eq!(woken(c), 1, "waiter {i} must be woken by close");
        assert_eq!(
            w.poll(waker),
            Poll::Ready(None),
            "waiter {i} must see closed"
        );
    }
}

#[test]
fn a_dropped_notified_waiter_passes_its_wakeup_on() {
    let tokens = Tokens::new();
    let (first_count, first_waker) = counting();
    let (second_count, second_waker) = counting();
    let mut first = Waiter::new(&tokens);
    let mut second = Waiter::new(&tokens);
    assert!(first.poll(&first_waker).is_pending());
    assert!(second.poll(&second_waker).is_pending());
    tokens.put();
    assert_eq!(woken(&first_count), 1, "the lowest slot is notified first");
    assert_eq!(woken(&second_count), 0);
    drop(first); // cancelled after being woken, without popping
    assert_eq!(woken(&second_count), 1, "the wake-up must be passed on");
    assert_eq!(second.poll(&second_waker), Poll::Ready(Some(())));
    assert_eq!(armed(&tokens), 0);
}

#[test]
fn a_notified_waiter_that_finds_the_token_gone_waits_again() {
    let tokens = Tokens::new();
    let (count, waker) = counting();
    let mut waiter = Waiter::new(&tokens);
    assert!(waiter.poll(&waker).is_pending());
    tokens.put();
    assert_eq!(
        (&tokens).try_take(),
        Some(()),
        "a consumer that never slept takes it"
    );
    assert!(waiter.poll(&waker).is_pending(), "nothing left: wait again");
    tokens.put();
    assert_eq!(
        woken(&count),
        2,
        "the re-armed waiter is woken by the next push"
    );
    assert_eq!(waiter.poll(&waker), Poll::Ready(Some(())));
}

#[test]
fn a_new_waker_replaces_the_old_one() {
    let tokens = Tokens::new();
    let (old_count, old_waker) = counting();
    let (new_count, new_waker) = counting();
    let mut waiter = Waiter::new(&tokens);
    assert!(waiter.poll(&old_waker).is_pending());
    assert!(waiter.poll(&new_waker).is_pending());
    tokens.put();
    assert_eq!(
        (woken(&old_count), woken(&new_count)),
        (0, 1),
        "only the latest waker"
    );
}

/// A waker that unparks a thread, as `recv_blocking` uses.
struct Unpark(std::thread::Thread);
impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

#[test]
fn parked_threads_receive_every_token_and_end_on_close() {
    let per_producer = if cfg!(miri) { 50 } else { 20_000 };
    let tokens = Tokens::new();
    let received = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
                loop {
                    let mut waiter = Waiter::new(&tokens);
                    let got = loop {
                        match waiter.poll(&waker) {
                            Poll::Ready(got) => break got,
                            Poll::Pending => std::thread::park(),
                        }
                    };
                    match got {
                        Some(()) => received.fetch_add(1, Ordering::Relaxed),
                        None => return,
                    };
                }
            });
        }
        let producers: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    for _ in 0..per_producer {
                        tokens.put();
                    }
                })
            })
            .collect();
        for p in producers {
            p.join().unwrap();
        }
        tokens.close();
    });
    assert_eq!(
        received.load(Ordering::Relaxed),
        2 * per_producer,
        "every token exactly once"
    );
    assert_eq!(armed(&tokens), 0, "nobody left armed");
}
