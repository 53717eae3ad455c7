//! ferrotorch: PyTorch's programming model on a Rust core.
//!
//! Module map (see README's architecture section):
//! - `dtype`, `shape`, `layout`, `storage`: the data model.
//! - `tensor`: the Tensor struct, views and conversions; `ops/`: every other op, by family.
//! - `autograd`: the tape (nodes, engine, grad mode).
//! - `backend/cpu`: strided kernels. `random`: the Philox generator.
//! - `python/`: the PyO3 bindings (feature `python`).
pub mod error;
pub mod dtype;
pub mod shape;
pub mod layout;
pub mod storage;
pub mod tensor;
pub mod backend;
pub mod ops;
pub mod autograd;
pub mod random;
#[cfg(feature = "python")]
pub mod python;

pub use dtype::{DType, Scalar};
pub use error::{Error, Result};
pub use tensor::Tensor;

/// Every tensor owns small heap blocks (shape, strides) and every recorded op a graph node, so
/// the allocator sits on the per-op hot path: mimalloc cuts autograd's per-op overhead by about
/// a quarter against glibc's malloc (measured with bench/bench_autograd.py's tiny graph).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
