//! CPU kernels: strided loops with contiguous fast paths, parallel (rayon) above a size
//! threshold so that tiny tensors never pay for the thread pool.
pub mod strided;
pub use strided::*;

use std::sync::atomic::{AtomicBool, Ordering};

static IN_FORKED_CHILD: AtomicBool = AtomicBool::new(false);

#[cfg(unix)]
extern "C" fn mark_forked_child() {
    IN_FORKED_CHILD.store(true, Ordering::Relaxed);
}

/// Whether kernels may use the thread pool. A process forked after the pool started (a
/// DataLoader worker, `multiprocessing` with fork) inherits the pool's bookkeeping but not its
/// threads, so its first parallel op would wait forever: there every kernel runs serially
/// (PyTorch's workers run single-threaded too). The fork handler is registered before the pool
/// can start, because every parallel path asks this first.
pub fn threads_usable() -> bool {
    #[cfg(unix)]
    {
        static REGISTER: std::sync::Once = std::sync::Once::new();
        // SAFETY: registers a handler that only stores to an atomic (async-signal-safe).
        REGISTER.call_once(|| unsafe {
            libc::pthread_atfork(None, None, Some(mark_forked_child));
        });
    }
    !IN_FORKED_CHILD.load(Ordering::Relaxed)
}

/// Whether an op over `n` elements should run on the thread pool.
pub fn parallel(n: usize) -> bool {
    n >= PARALLEL_THRESHOLD && threads_usable()
}
