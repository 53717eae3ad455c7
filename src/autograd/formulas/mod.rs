//! Backward formulas, one file per op family, each next to nothing but its math. Every formula
//! is written with tensor ops so it can itself be differentiated (`create_graph=True`).
//! Broadcasting is never undone here: the engine sums each gradient to its input's shape.
pub mod elementwise;
pub mod index;
pub mod index_map;
pub mod matmul;
pub mod conv;
pub mod shape;
pub mod view;
pub mod reduce;
pub mod sort;

use crate::dtype::Scalar;
use crate::error::Result;
use crate::ops::binary::BinaryOp;
use crate::ops::unary::UnaryOp;
use crate::tensor::Tensor;

/// Records a unary op whose backward is `back(grad)`, for ops composed outside this module that
/// need their own gradient (complex `abs`, whose gradient at 0 is 0).
pub(crate) fn record_custom(
    name: &'static str,
    x: &Tensor,
    forward: impl FnOnce() -> Result<Tensor>,
    back: impl Fn(&Tensor) -> Result<Tensor> + Send + Sync + 'static,
) -> Result<Tensor> {
    view::record_copy(x, name, forward, back)
}

/// Small helpers that keep formulas close to their math.
impl Tensor {
    pub(crate) fn mul_s(&self, c: f64) -> Result<Tensor> {
        self.binary_scalar(Scalar::Float(c), BinaryOp::Mul)
    }
    pub(crate) fn add_s(&self, c: f64) -> Result<Tensor> {
        self.binary_scalar(Scalar::Float(c), BinaryOp::Add)
    }
    pub(crate) fn pow_s(&self, c: f64) -> Result<Tensor> {
        self.binary_scalar(Scalar::Float(c), BinaryOp::Pow)
    }
    pub(crate) fn rsub_s(&self, c: f64) -> Result<Tensor> {
        crate::ops::binary::binary(BinaryOp::Sub, crate::ops::binary::Operand::Scalar(Scalar::Float(c)), crate::ops::binary::Operand::Tensor(self))
    }
    pub(crate) fn neg(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Neg)
    }
    pub(crate) fn zeros_like(&self) -> Result<Tensor> {
        Tensor::zeros_on(self.shape(), self.dtype(), self.device())
    }
    /// `self` where `mask` is true, else 0 (keeps the graph through `self`).
    pub(crate) fn keep_where(&self, mask: &Tensor) -> Result<Tensor> {
        crate::ops::index::where_(mask, crate::ops::binary::Operand::Tensor(self), crate::ops::binary::Operand::Scalar(Scalar::Float(0.0)))
    }
}
