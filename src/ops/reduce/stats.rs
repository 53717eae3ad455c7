//! var, std (and their `_mean` forms), logsumexp, vector norms. Computed in f64, returned in
//! the input's float dtype.
use super::{par_fold, sum_f64, Plan};
use crate::dtype::{default_dtype, DType, Element};
use crate::error::Result;
use crate::tensor::Tensor;
use crate::{bail, with_dtype};

/// A sum that starts from +0.0: `Iterator::sum` starts from -0.0, so an empty row's norm would
/// print as `-0.`.
fn positive_sum(it: impl Iterator<Item = f64>) -> f64 {
    it.fold(0.0, |a, v| a + v)
}

/// Two-pass mean and sum of squared deviations (stable for data far from zero).
fn moments<T: Element>(g: &[T]) -> (f64, f64) {
    let n = g.len() as f64;
    let mean = par_fold(g, sum_f64::<T>, |a, b| a + b) / n;
    let m2 = par_fold(
        g,
        |c| c.iter().map(|v| {
            let d = v.to_f64() - mean;
            d * d
        }).sum::<f64>(),
        |a, b| a + b,
    );
    (mean, m2)
}

impl Tensor {
    /// Variance and mean over `dims` with Bessel-style `correction`; `sqrt` gives std instead.
    fn var_mean_impl(&self, dims: Option<&[i64]>, correction: f64, keepdim: bool, sqrt: bool) -> Result<(Tensor, Tensor)> {
        if !self.dtype().is_float() {
            bail!(NotImplemented, "std and var only support floating point and complex dtypes");
        }
        let p = Plan::new(self, dims, keepdim)?;
        let div = (p.inner as f64 - correction).max(0.0);
        if self.device().is_gpu() {
            return self.var_mean_gpu(dims, div, keepdim, sqrt);
        }
        with_dtype!(self.dtype(), T, {
            let v = p.map::<T, (T, T)>(true, |g| {
                let (mean, m2) = moments(g);
                let var = m2 / div;
                (T::from_f64(if sqrt { var.sqrt() } else { var }), T::from_f64(mean))
            })?;
            let (a, b): (Vec<T>, Vec<T>) = v.into_iter().unzip();
            Ok((p.finish(a)?, p.finish(b)?))
        })
    }

    /// Two-pass variance on the GPU, composed of reductions and elementwise kernels.
    fn var_mean_gpu(&self, dims: Option<&[i64]>, div: f64, keepdim: bool, sqrt: bool) -> Result<(Tensor, Tensor)> {
        use crate::ops::binary::BinaryOp;
        let mean_kept = self.mean_forward(dims, true, None)?;
        let d = self.binary(&mean_kept, BinaryOp::Sub)?;
        let m2 = d.binary(&d, BinaryOp::Mul)?.sum_forward(dims, keepdim, None)?;
        let var = m2.binary_scalar(crate::dtype::Scalar::Float(div), BinaryOp::Div)?;
        let out = if sqrt { var.unary(crate::ops::unary::UnaryOp::Sqrt)? } else { var };
        Ok((out, self.mean_forward(dims, keepdim, None)?))
    }

    /// logsumexp on the GPU: max-shifted, composed of reductions and elementwise kernels
    /// (an infinite max is used unshifted, which gives PyTorch's ±inf and NaN results).
    fn logsumexp_gpu(&self, dims: Option<&[i64]>, keepdim: bool) -> Result<Tensor> {
        use crate::ops::binary::BinaryOp;
        use crate::ops::unary::UnaryOp;
        if self.numel() == 0 {
            let z = self.sum_forward(dims, keepdim, None)?;
            return z.unary(UnaryOp::Log);
        }
        let m = self.amax_forward(dims, true)?;
        let finite = m.unary(UnaryOp::IsFinite)?;
        let shift = crate::ops::index::where_forward(&finite, crate::ops::binary::Operand::Tensor(&m), crate::ops::binary::Operand::Scalar(crate::dtype::Scalar::Float(0.0)))?;
        let s = self.binary(&shift, BinaryOp::Sub)?.unary(UnaryOp::Exp)?.sum_forward(dims, true, None)?;
        let r = s.unary(UnaryOp::Log)?.binary(&shift, BinaryOp::Add)?;
        if keepdim {
            return Ok(r);
        }
        let p = Plan::new(self, dims, false)?;
        Ok(r.with_layout(crate::layout::Layout::contiguous(&p.out_shape)))
    }

    /// Vector p-norms on the GPU, composed of elementwise kernels and reductions.
    fn vector_norm_gpu(&self, p: f64, dims: Option<&[i64]>, keepdim: bool) -> Result<Tensor> {
        use crate::dtype::Scalar;
        use crate::ops::binary::BinaryOp;
        use crate::ops::unary::UnaryOp;
        let a = self.unary(UnaryOp::Abs)?;
        if p == f64::INFINITY {
            return a.amax_forward(dims, keepdim);
        }
        if p == f64::NEG_INFINITY {
            return a.amin_forward(dims, keepdim);
        }
        if p == 0.0 {
            let nz = a.binary_scalar(Scalar::Float(0.0), BinaryOp::Ne)?.to_dtype(self.dtype())?;
            return nz.sum_forward(dims, keepdim, None);
        }
        if p == 1.0 {
            return a.sum_forward(dims, keepdim, None);
        }
        if p == 2.0 {
            return a.binary(&a, BinaryOp::Mul)?.sum_forward(dims, keepdim, None)?.unary(UnaryOp::Sqrt);
        }
        a.binary_scalar(Scalar::Float(p), BinaryOp::Pow)?
            .sum_forward(dims, keepdim, None)?
            .binary_scalar(Scalar::Float(1.0 / p), BinaryOp::Pow)
    }

    /// `var_mean`: (var, mean).
    pub(crate) fn var_mean_forward(&self, dims: Option<&[i64]>, correction: f64, keepdim: bool) -> Result<(Tensor, Tensor)> {
        self.var_mean_impl(dims, correction, keepdim, false)
    }
    /// `std_mean`: (std, mean).
    pub(crate) fn std_mean_forward(&self, dims: Option<&[i64]>, correction: f64, keepdim: bool) -> Result<(Tensor, Tensor)> {
        self.var_mean_impl(dims, correction, keepdim, true)
    }

    /// `logsumexp(dim, keepdim=False)`: integers promote to the default float dtype.
    pub(crate) fn logsumexp_forward(&self, dims: Option<&[i64]>, keepdim: bool) -> Result<Tensor> {
        let x = if self.dtype().is_float() { self.clone() } else { self.to_dtype(default_dtype())? };
        if x.device().is_gpu() {
            return x.logsumexp_gpu(dims, keepdim);
        }
        let p = Plan::new(&x, dims, keepdim)?;
        with_dtype!(x.dtype(), T, p.finish(p.map::<T, T>(true, |g| {
            let mut m = f64::NEG_INFINITY;
            for v in g {
                let f = v.to_f64();
                if f.is_nan() {
                    return T::from_f64(f);
                }
                m = m.max(f);
            }
            if m.is_infinite() {
                // All -inf gives -inf; any +inf gives +inf (avoids inf - inf).
                return T::from_f64(m);
            }
            let s: f64 = g.iter().map(|v| (v.to_f64() - m).exp()).sum();
            T::from_f64(m + s.ln())
        })?))
    }

    /// The vector `p`-norm over `dims` (`linalg.vector_norm`): p may be any float, incl. ±inf and 0.
    pub(crate) fn vector_norm_forward(&self, p: f64, dims: Option<&[i64]>, keepdim: bool, dtype: Option<DType>) -> Result<Tensor> {
        if !self.dtype().is_float() {
            bail!(NotImplemented, "linalg.vector_norm: Expected a floating point or complex tensor as input. Got {}", self.dtype().scalar_name());
        }
        let x = match dtype {
            Some(d) if !d.is_float() => bail!(Runtime, "linalg.vector_norm: dtype should be floating point or complex. Got {}", d.scalar_name()),
            Some(d) => self.to_dtype(d)?,
            None => self.clone(),
        };
        let plan = Plan::new(&x, dims, keepdim)?;
        if p.is_infinite() {
            let all = dims.map_or(true, |d| d.is_empty());
            if (all && x.numel() == 0) || plan.empty_dim(&x).is_some() {
                bail!(Runtime, "linalg.vector_norm cannot compute the {} norm on an empty tensor because the operation does not have an identity", if p > 0.0 { "inf" } else { "-inf" });
            }
        }
        if x.device().is_gpu() {
            return x.vector_norm_gpu(p, dims, keepdim);
        }
        with_dtype!(x.dtype(), T, plan.finish(plan.map::<T, T>(true, |g| {
            let abs = g.iter().map(|v| v.to_f64().abs());
            let r = if p == f64::INFINITY {
                abs.fold(f64::NEG_INFINITY, |a, v| if a.is_nan() || v.is_nan() { f64::NAN } else { a.max(v) })
            } else if p == f64::NEG_INFINITY {
                abs.fold(f64::INFINITY, |a, v| if a.is_nan() || v.is_nan() { f64::NAN } else { a.min(v) })
            } else if p == 0.0 {
                abs.filter(|&v| v != 0.0).count() as f64
            } else if p == 1.0 {
                positive_sum(abs)
            } else if p == 2.0 {
                positive_sum(abs.map(|v| v * v)).sqrt()
            } else {
                positive_sum(abs.map(|v| v.powf(p))).powf(1.0 / p)
            };
            T::from_f64(r)
        })?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn var_norm_logsumexp() {
        let x = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], &[4]).unwrap();
        assert_eq!(x.var(None, 1.0, false).unwrap().to_vec::<f64>(), vec![5.0 / 3.0]);
        assert_eq!(x.var(None, 0.0, false).unwrap().to_vec::<f64>(), vec![1.25]);
        assert_eq!(x.vector_norm(1.0, None, false, None).unwrap().to_vec::<f64>(), vec![10.0]);
        assert_eq!(x.vector_norm(f64::INFINITY, None, false, None).unwrap().to_vec::<f64>(), vec![4.0]);
        let l = x.logsumexp(Some(&[0]), false).unwrap().to_vec::<f64>()[0];
        assert!((l - (1f64.exp() + 2f64.exp() + 3f64.exp() + 4f64.exp()).ln()).abs() < 1e-12);
        let i = Tensor::from_vec(vec![1i64], &[1]).unwrap();
        assert!(i.var(None, 1.0, false).is_err());
    }
}
