//! CPU kernels: strided loops with contiguous fast paths, parallel (rayon) above a size
//! threshold so that tiny tensors never pay for the thread pool.
pub mod strided;
pub use strided::*;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

static IN_FORKED_CHILD: AtomicBool = AtomicBool::new(false);
/// `set_num_threads(n)`: 0 means "the pool's size"; 1 runs every kernel serially.
static THREAD_LIMIT: AtomicUsize = AtomicUsize::new(0);

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
    !IN_FORKED_CHILD.load(Ordering::Relaxed) && THREAD_LIMIT.load(Ordering::Relaxed) != 1
}

/// `torch.set_num_threads(n)`, n >= 1. One thread makes every kernel serial at once; more sizes
/// the thread pool, which rayon can do only before its first parallel op (afterwards the pool
/// keeps its size and `num_threads` reports it).
pub fn set_num_threads(n: usize) {
    THREAD_LIMIT.store(n, Ordering::Relaxed);
    if n > 1 {
        let _ = rayon::ThreadPoolBuilder::new().num_threads(n).build_global();
    }
}

/// The number of threads CPU kernels run on (`torch.get_num_threads()`).
pub fn num_threads() -> usize {
    if threads_usable() { rayon::current_num_threads() } else { 1 }
}

/// Whether an op over `n` elements should run on the thread pool.
pub fn parallel(n: usize) -> bool {
    n >= PARALLEL_THRESHOLD && threads_usable()
}
