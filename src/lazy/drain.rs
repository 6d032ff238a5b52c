//! Dropping a structure: destroying its remaining nodes with exclusive
//! access, and still destroying the others if one node's `Drop` panics.

/// Empties a structure that is being dropped: `pop` unlinks its remaining
/// nodes one at a time and `destroy` destroys each; `finish` runs once the
/// last is gone (the skiplist frees its head there). If one `destroy`
/// panics, a guard goes on popping and destroying the others, then runs
/// `finish`, while unwinding (a second panic then aborts, as any panic
/// while unwinding does).
///
/// # Safety
/// `destroy(node)` is sound for every node that `pop` hands out, and
/// `finish` is sound once `pop` has handed out `None`.
pub(crate) unsafe fn drain<S, N>(
    structure: &mut S,
    pop: fn(&mut S) -> Option<N>,
    destroy: unsafe fn(N),
    finish: unsafe fn(&mut S),
) {
    /// The drain's state; dropping it destroys what is left and finishes,
    /// after the loop below or while unwinding from a `destroy` that
    /// panicked.
    struct Rest<'a, S, N> {
        structure: &'a mut S,
        pop: fn(&mut S) -> Option<N>,
        destroy: unsafe fn(N),
        finish: unsafe fn(&mut S),
    }
    impl<S, N> Rest<'_, S, N> {
        fn destroy_all(&mut self) {
            while let Some(node) = (self.pop)(self.structure) {
                // SAFETY: `node` came from `pop`: `drain`'s contract.
                unsafe { (self.destroy)(node) };
            }
        }
    }
    impl<S, N> Drop for Rest<'_, S, N> {
        fn drop(&mut self) {
            self.destroy_all();
            // SAFETY: `pop` has just handed out `None`: `drain`'s contract.
            unsafe { (self.finish)(self.structure) };
        }
    }
    let mut rest = Rest {
        structure,
        pop,
        destroy,
        finish,
    };
    rest.destroy_all();
    // `rest` drops here: nothing is left to destroy, and `finish` runs.
}
