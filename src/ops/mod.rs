//! Ops by family. Each file adds an `impl Tensor` block (and free functions where an op has no
//! single "self").
pub mod binary;
pub mod unary;
pub mod reduce;
pub mod matmul;
pub mod index;
pub mod shape_ops;
pub mod sort;
pub mod search;
pub mod create;
mod multinomial_gpu;
pub mod ternary;
pub mod conv;
pub mod pool;
pub mod optim;
pub mod complex;
pub mod fft;
pub mod softmax;
pub mod layer_norm;
