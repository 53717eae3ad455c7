//! Reverse-mode automatic differentiation.
//!
//! - `mode`: grad mode / inference mode (thread-local).
//! - `meta`: per-tensor state (`requires_grad`, `.grad`, `grad_fn`).
//! - `node`: graph nodes, saved tensors, and the `Recorder` every differentiable op uses.
//! - `engine`: the backward pass.
//! - `inplace`: in-place ops on tensors in a graph (history rebasing, views).
//! - `anomaly`: anomaly detection (forward tracebacks for backward errors, NaN checks).
//! - `saved_hooks`: saved-tensor pack/unpack hooks (`save_on_cpu`, the non-reentrant checkpoint).
//!
//! An op records itself like this (see `ops/binary.rs`):
//! ```ignore
//! match autograd::begin("MulBackward0", &[a, b]) {
//!     None => forward(),
//!     Some(rec) => rec.save_input(a).save_input(b).finish(forward()?, |ctx| ...),
//! }
//! ```
//! Backward formulas are tensor programs: the engine runs them with grad mode equal to
//! `create_graph`, so they record a graph of their own when higher derivatives are wanted.
pub mod anomaly;
pub mod engine;
pub mod formulas;
pub mod inplace;
pub mod meta;
pub mod mode;
pub mod node;
pub mod saved_hooks;

pub use meta::AutogradMeta;
pub use mode::{is_grad_enabled, no_grad, set_grad_enabled, GradModeGuard};
pub use node::{begin, Ctx, Edge, Hook, Node, Recorder};

use crate::error::Result;
use crate::tensor::Tensor;

impl Tensor {
    /// Sums a broadcast gradient back to `shape` (the inverse of `expand`).
    pub fn sum_to_shape(&self, shape: &[usize]) -> Result<Tensor> {
        if self.shape() == shape {
            return Ok(self.clone());
        }
        let lead = self.ndim() - shape.len();
        let mut dims: Vec<i64> = (0..lead as i64).collect();
        for (i, &s) in shape.iter().enumerate() {
            if s == 1 && self.shape()[lead + i] != 1 {
                dims.push((lead + i) as i64);
            }
        }
        let summed = if dims.is_empty() { self.clone() } else { self.sum(Some(&dims), true, None)? };
        let sizes: Vec<i64> = shape.iter().map(|&s| s as i64).collect();
        summed.reshape(&sizes)
    }
}
