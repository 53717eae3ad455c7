//! max, min, amax, amin, aminmax, argmax, argmin. NaN wins (it propagates), and ties go to the
//! first occurrence, as on PyTorch's CPU.
use super::{is_nan, par_fold, Plan};
use crate::dtype::Element;
use crate::error::Result;
use crate::shape::normalize_dim;
use crate::tensor::Tensor;
use crate::{bail, with_dtype};

/// The extreme value of a non-empty slice; the first NaN if there is one.
#[inline]
fn extreme<T: Element>(g: &[T], max: bool) -> T {
    let mut m = g[0];
    for &v in g {
        if is_nan(v) {
            return v;
        }
        if (max && v > m) || (!max && v < m) {
            m = v;
        }
    }
    m
}

fn combine<T: Element>(a: T, b: T, max: bool) -> T {
    if is_nan(a) {
        a
    } else if is_nan(b) {
        b
    } else if (max && b > a) || (!max && b < a) {
        b
    } else {
        a
    }
}

/// The extreme value of a non-empty slice and the index of its first occurrence.
#[inline]
fn arg_extreme<T: Element>(g: &[T], max: bool) -> (T, i64) {
    let (mut m, mut at) = (g[0], 0usize);
    for (i, &v) in g.iter().enumerate() {
        if is_nan(v) {
            return (v, i as i64);
        }
        if (max && v > m) || (!max && v < m) {
            m = v;
            at = i;
        }
    }
    (m, at as i64)
}

fn name(max: bool, stem: &str) -> String {
    format!("{}{}", stem, if max { "max" } else { "min" })
}

impl Tensor {
    /// Full `max()`/`min()`/`amax()`/`amin()` or over `dims`; `fname` names the op in errors.
    fn extreme_reduce(&self, dims: Option<&[i64]>, keepdim: bool, max: bool, fname: &str) -> Result<Tensor> {
        let p = Plan::new(self, dims, keepdim)?;
        let all = dims.map_or(true, |d| d.is_empty());
        if self.numel() == 0 && all {
            bail!(Runtime, "{fname}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.");
        }
        if let Some(d) = p.empty_dim(self) {
            bail!(Index, "{fname}(): Expected reduction dim {d} to have non-zero size.");
        }
        if self.device().is_gpu() {
            use crate::backend::gpu::reduce::ReduceOp;
            return p.gpu(if max { ReduceOp::Max } else { ReduceOp::Min }, self.dtype());
        }
        with_dtype!(self.dtype(), T, p.finish(p.map::<T, T>(true, |g| {
            par_fold(g, |c| extreme(c, max), |a, b| combine(a, b, max))
        })?))
    }

    /// `max()`: the largest element as a 0-d tensor (NaN if any).
    pub(crate) fn max_all_forward(&self) -> Result<Tensor> {
        self.extreme_reduce(None, false, true, "max")
    }
    /// `min()`: the smallest element as a 0-d tensor (NaN if any).
    pub(crate) fn min_all_forward(&self) -> Result<Tensor> {
        self.extreme_reduce(None, false, false, "min")
    }
    /// `amax(dim=(), keepdim=False)`.
    pub(crate) fn amax_forward(&self, dims: Option<&[i64]>, keepdim: bool) -> Result<Tensor> {
        self.extreme_reduce(dims, keepdim, true, "amax")
    }
    /// `amin(dim=(), keepdim=False)`.
    pub(crate) fn amin_forward(&self, dims: Option<&[i64]>, keepdim: bool) -> Result<Tensor> {
        self.extreme_reduce(dims, keepdim, false, "amin")
    }

    /// Values and first-occurrence indices along `dim` (None: over the flattened tensor).
    fn arg_reduce(&self, dim: Option<i64>, keepdim: bool, max: bool, fname: &str) -> Result<(Tensor, Tensor)> {
        let p = match dim {
            Some(d) => {
                normalize_dim(d, self.ndim())?;
                Plan::new(self, Some(&[d]), keepdim)?
            }
            None => {
                if self.numel() == 0 {
                    bail!(Index, "{fname}(): Expected reduction dim to be specified for input.numel() == 0.");
                }
                Plan::new(self, None, keepdim)?
            }
        };
        if let Some(d) = p.empty_dim(self) {
            bail!(Index, "{fname}(): Expected reduction dim {d} to have non-zero size.");
        }
        if self.device().is_gpu() {
            return p.gpu_arg(max);
        }
        let pairs = with_dtype!(self.dtype(), T, {
            let v = p.map::<T, (T, i64)>(false, |g| arg_extreme(g, max))?;
            let (vals, idx): (Vec<T>, Vec<i64>) = v.into_iter().unzip();
            (p.finish(vals)?, p.finish(idx)?)
        });
        Ok(pairs)
    }

    /// `max(dim, keepdim)`: (values, indices).
    pub(crate) fn max_dim_forward(&self, dim: i64, keepdim: bool) -> Result<(Tensor, Tensor)> {
        self.arg_reduce(Some(dim), keepdim, true, "max")
    }
    /// `min(dim, keepdim)`: (values, indices).
    pub(crate) fn min_dim_forward(&self, dim: i64, keepdim: bool) -> Result<(Tensor, Tensor)> {
        self.arg_reduce(Some(dim), keepdim, false, "min")
    }
    /// `argmax(dim=None, keepdim=False)`; without `dim`, an index into the flattened tensor.
    pub fn argmax(&self, dim: Option<i64>, keepdim: bool) -> Result<Tensor> {
        if self.dtype().is_complex() {
            crate::bail!(Type, "argmax(): does not support complex input");
        }
        Ok(self.arg_reduce(dim, keepdim, true, "argmax")?.1)
    }
    /// `argmin(dim=None, keepdim=False)`.
    pub fn argmin(&self, dim: Option<i64>, keepdim: bool) -> Result<Tensor> {
        if self.dtype().is_complex() {
            crate::bail!(Type, "argmin(): does not support complex input");
        }
        Ok(self.arg_reduce(dim, keepdim, false, "argmin")?.1)
    }

    /// `aminmax(*, dim=None, keepdim=False)`: (min, max).
    pub(crate) fn aminmax_forward(&self, dim: Option<i64>, keepdim: bool) -> Result<(Tensor, Tensor)> {
        let dims: Option<Vec<i64>> = dim.map(|d| vec![d]);
        let p = Plan::new(self, dims.as_deref(), keepdim)?;
        if self.numel() == 0 && dim.is_none() || p.empty_dim(self).is_some() {
            bail!(Runtime, "aminmax(): cannot compute aminmax over an empty dimension as the operation has no identity.");
        }
        Ok((
            self.extreme_reduce(dims.as_deref(), keepdim, false, &name(false, "a"))?,
            self.extreme_reduce(dims.as_deref(), keepdim, true, &name(true, "a"))?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtype::DType;

    #[test]
    fn ties_nan_and_errors() {
        let x = Tensor::from_vec(vec![1.0f32, 3.0, 3.0, f32::NAN, 0.0, 2.0], &[2, 3]).unwrap();
        let (v, i) = x.max_dim(1, false).unwrap();
        assert_eq!(i.to_vec::<i64>(), vec![1, 0]);
        assert!(v.to_vec::<f32>()[1].is_nan());
        assert_eq!(x.argmin(None, false).unwrap().to_vec::<i64>(), vec![3]);
        let e = Tensor::zeros(&[0], DType::F32).unwrap();
        assert!(e.max_all().unwrap_err().to_string().contains("numel() == 0"));
        assert!(e.amax(Some(&[0]), false).unwrap_err().to_string().contains("dim 0 to have non-zero size"));
    }
}
