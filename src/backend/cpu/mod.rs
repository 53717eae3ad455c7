//! CPU kernels: strided loops with contiguous fast paths, parallel (rayon) above a size
//! threshold so that tiny tensors never pay for the thread pool.
pub mod strided;
pub use strided::*;
