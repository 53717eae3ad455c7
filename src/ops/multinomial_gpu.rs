//! `multinomial` on the GPU, built from GPU ops over the same Philox draws as the CPU version
//! (`ops/create.rs`), so a seeded GPU draw picks the CPU's categories (up to rounding at a
//! category boundary when the adapter has no float64).
use crate::bail;
use crate::dtype::{DType, Scalar};
use crate::error::Result;
use crate::ops::binary::{BinaryOp, Operand};
use crate::ops::unary::UnaryOp;
use crate::random::Generator;
use crate::tensor::Tensor;

impl Tensor {
    /// `self`: (rows, ncat) probabilities on the GPU (checked for shape and k by the caller).
    /// With replacement, sample j of a row is the number of cumulative probabilities <= u_j *
    /// total (the CPU's binary search, here `searchsorted`); without, the k largest p / Exp(1)
    /// keys (the CPU's exponential race), through the GPU sort.
    pub(crate) fn multinomial_gpu(&self, k: usize, replacement: bool, g: Option<&Generator>) -> Result<Tensor> {
        let device = self.device();
        let (rows, ncat) = (self.shape()[0], self.shape()[1]);
        // float64 keeps the CPU's arithmetic where the adapter has it.
        let wide = if crate::backend::gpu::repr(DType::F64).is_ok() { DType::F64 } else { DType::F32 };
        let p = self.to_dtype(wide)?;
        self.check_distribution(&p)?;
        let idx = if replacement {
            let u = Tensor::rand_on(&[rows, k], DType::F32, g, device)?.to_dtype(wide)?;
            let cum = p.cumsum(1, None)?;
            let target = u.binary(&cum.narrow(1, ncat as i64 - 1, 1)?, BinaryOp::Mul)?;
            // Upper bound: the number of cumulative probabilities <= target.
            let below = cum.searchsorted(&target, true, false, None)?;
            below.binary_scalar(Scalar::Int(ncat as i64 - 1), BinaryOp::Minimum)?
        } else {
            let u = Tensor::rand_on(&[rows, ncat], DType::F32, g, device)?.to_dtype(wide)?;
            // Exp(1) = -ln(u + 2^-24), as the CPU computes it from the same 24-bit draw.
            let e = u.binary_scalar(Scalar::Float(1.0 / 16_777_216.0), BinaryOp::Add)?.unary(UnaryOp::Log)?.unary(UnaryOp::Neg)?;
            let positive = p.binary_scalar(Scalar::Int(0), BinaryOp::Gt)?;
            let keys = crate::ops::index::where_forward(&positive, Operand::Tensor(&p.binary(&e, BinaryOp::Div)?), Operand::Scalar(Scalar::Float(-1.0)))?;
            keys.topk_forward(k as i64, 1, true)?.1
        };
        Ok(idx)
    }

    /// PyTorch's checks of every row, with one readback of two flags.
    fn check_distribution(&self, p: &Tensor) -> Result<()> {
        let bad_value = p.unary(UnaryOp::IsFinite)?.unary(UnaryOp::LogicalNot)?.binary(&p.binary_scalar(Scalar::Int(0), BinaryOp::Lt)?, BinaryOp::LogicalOr)?;
        let bad_total = p.sum(Some(&[1]), false, None)?.binary_scalar(Scalar::Int(0), BinaryOp::Le)?;
        let flags = crate::ops::shape_ops::cat(&[bad_value.any(None, false)?.reshape(&[1])?, bad_total.any(None, false)?.reshape(&[1])?], 0)?;
        let flags = flags.to_device(crate::storage::Device::Cpu)?.to_vec::<bool>();
        if flags[0] {
            bail!(Runtime, "probability tensor contains either `inf`, `nan` or element < 0");
        }
        if flags[1] {
            bail!(Runtime, "invalid multinomial distribution (sum of probabilities <= 0)");
        }
        Ok(())
    }
}
