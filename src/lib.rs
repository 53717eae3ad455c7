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
