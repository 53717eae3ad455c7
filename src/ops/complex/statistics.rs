//! Reductions and scans of complex tensors that are not part by part: var/std (real results),
//! logsumexp, nansum, cumprod, and lerp. Each is composed from differentiable ops, so autograd follows.
use super::complex_reduce;
use crate::autograd::formulas::index::where_;
use crate::dtype::Scalar;
use crate::error::Result;
use crate::ops::binary::{BinaryOp, Operand};
use crate::ops::unary::UnaryOp;
use crate::tensor::Tensor;
use crate::bail;

/// var (or std when `sqrt`), and the mean when `with_mean`, of a complex tensor. The variance is
/// E|z - mean|^2, which is the variance of the real part plus that of the imaginary part, so
/// the result is real (float32 for complex64), as in PyTorch.
pub(crate) fn complex_moment(z: &Tensor, dims: Option<&[i64]>, correction: f64, keepdim: bool, sqrt: bool, with_mean: bool) -> Result<Vec<Tensor>> {
    let (re, im) = z.parts()?;
    let im = im.expect("a complex tensor");
    let var = re.var(dims, correction, keepdim)?.add(&im.var(dims, correction, keepdim)?)?;
    let first = if sqrt { var.unary(UnaryOp::Sqrt)? } else { var };
    if !with_mean {
        return Ok(vec![first]);
    }
    Ok(vec![first, complex_reduce(z, dims, keepdim, true)?])
}

/// `cumprod` of a complex tensor along `dim`: a Hillis-Steele scan, log2(n) rounds of
/// ordinary complex products of the tensor with itself shifted by 1, 2, 4, ... positions.
pub(crate) fn complex_cumprod(z: &Tensor, dim: i64) -> Result<Tensor> {
    let d = crate::shape::normalize_dim(dim, z.ndim().max(1))? as i64;
    if z.ndim() == 0 {
        return Ok(z.clone());
    }
    let n = z.shape()[d as usize] as i64;
    let mut x = z.clone();
    let mut shift = 1;
    while shift < n {
        let products = x.narrow(d, shift, n - shift)?.binary(&x.narrow(d, 0, n - shift)?, BinaryOp::Mul)?;
        x = crate::ops::shape_ops::cat(&[x.narrow(d, 0, shift)?, products], d)?;
        shift *= 2;
    }
    Ok(x)
}

/// `lerp(start, end, weight)` with a complex operand, by PyTorch's formula: start + w (end -
/// start) for |w| < 0.5, else end - (end - start)(1 - w), which is exact at w = 1.
pub(crate) fn complex_lerp(start: &Tensor, end: &Tensor, weight: Operand) -> Result<Tensor> {
    let same_dtype = |t: &Tensor, what: &str| -> Result<()> {
        if t.dtype() != start.dtype() {
            bail!(Runtime, "expected dtype {} for `{what}` but got dtype {}", start.dtype().cpp_name(), t.dtype().cpp_name());
        }
        Ok(())
    };
    same_dtype(end, "end")?;
    let w = match weight {
        Operand::Scalar(s) => Tensor::scalar(s, start.dtype())?.to_device(start.device())?,
        Operand::Tensor(t) => t.clone(),
    };
    same_dtype(&w, "weight")?;
    let diff = end.sub(start)?;
    let from_start = start.add(&w.mul(&diff)?)?;
    let from_end = end.sub(&diff.mul(&crate::ops::binary::binary(BinaryOp::Sub, Operand::Scalar(Scalar::Int(1)), Operand::Tensor(&w))?)?)?;
    let near_start = w.unary(UnaryOp::Abs)?.binary_scalar(Scalar::Float(0.5), BinaryOp::Lt)?;
    where_(&near_start, Operand::Tensor(&from_start), Operand::Tensor(&from_end))
}

/// `logsumexp` of a complex tensor: log(sum(exp(z))) with the largest real part over the
/// reduced dims taken out first (a constant shift, so it needs no gradient), as PyTorch does.
pub(crate) fn complex_logsumexp(z: &Tensor, dims: Option<&[i64]>, keepdim: bool) -> Result<Tensor> {
    let all: Vec<i64> = (0..z.ndim() as i64).collect();
    let dims = match dims {
        Some(d) if !d.is_empty() => d.to_vec(),
        _ => all,
    };
    let re = z.real_part_forward();
    let top = if z.ndim() == 0 { re.clone() } else { re.amax_forward(Some(&dims), true)? };
    // An infinite (or empty: -inf) maximum would give inf - inf: shift by 0 there instead.
    let shift = where_(&top.unary(UnaryOp::IsFinite)?, Operand::Tensor(&top), Operand::Scalar(Scalar::Float(0.0)))?;
    let summed = complex_reduce(&z.sub(&shift)?.unary(UnaryOp::Exp)?, Some(&dims), true, false)?;
    let out = summed.unary(UnaryOp::Log)?.add(&shift)?;
    if keepdim || z.ndim() == 0 {
        return Ok(out);
    }
    let kept: Vec<i64> = (0..z.ndim()).filter(|d| !dims.iter().any(|&r| crate::shape::normalize_dim(r, z.ndim()).ok() == Some(*d))).map(|d| z.shape()[d] as i64).collect();
    out.reshape(&kept)
}

/// `nansum` of a complex tensor: elements with a NaN part count as 0. PyTorch's CPU kernel
/// refuses complex input, its CUDA kernel does this; ferrotorch follows the device.
pub(crate) fn complex_nansum(z: &Tensor, dims: Option<&[i64]>, keepdim: bool, dtype: Option<crate::dtype::DType>) -> Result<Tensor> {
    if !z.device().is_gpu() {
        bail!(NotImplemented, "nansum on CPU does not support complex inputs");
    }
    let z = z.to_dtype(dtype.unwrap_or(z.dtype()))?;
    let clean = where_(&z.unary(UnaryOp::IsNan)?, Operand::Scalar(Scalar::Float(0.0)), Operand::Tensor(&z))?;
    complex_reduce(&clean, dims, keepdim, false)
}
