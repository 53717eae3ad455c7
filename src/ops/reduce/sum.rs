//! Additive and logical reductions: sum, mean, prod, nansum, nanmean, all, any, count_nonzero.
use super::{is_nan, par_fold, sum_f32, sum_f64, Plan};
use crate::backend::gpu::reduce::ReduceOp;
use crate::dtype::{DType, Element, Scalar};
use rayon::prelude::*;
use crate::error::Result;
use crate::tensor::Tensor;
use crate::{bail, with_dtype};

/// Wrapping integer sum with independent lanes (vectorises; PyTorch's int sums wrap too).
fn sum_i64<T: Element>(x: &[T]) -> i64 {
    const LANES: usize = 8;
    let mut acc = [0i64; LANES];
    let mut it = x.chunks_exact(LANES);
    for c in &mut it {
        for j in 0..LANES {
            acc[j] = acc[j].wrapping_add(c[j].to_i64());
        }
    }
    let tail = it.remainder().iter().fold(0i64, |a, v| a.wrapping_add(v.to_i64()));
    acc.iter().fold(tail, |a, &v| a.wrapping_add(v))
}

/// Float sum of one group in f64, split across threads when the group is large.
fn float_sum<T: Element>(g: &[T]) -> f64 {
    if T::DTYPE == DType::F32 {
        // SAFETY: T is f32 (checked through its DTYPE tag).
        let g32 = unsafe { std::slice::from_raw_parts(g.as_ptr() as *const f32, g.len()) };
        return par_fold(g32, sum_f32, |a, b| a + b);
    }
    par_fold(g, sum_f64::<T>, |a, b| a + b)
}

/// Sum skipping NaNs, and the number of non-NaN elements.
fn nan_sum<T: Element>(g: &[T]) -> (f64, usize) {
    par_fold(
        g,
        |c| c.iter().fold((0.0, 0), |(s, n), &v| if is_nan(v) { (s, n) } else { (s + v.to_f64(), n + 1) }),
        |a, b| (a.0 + b.0, a.1 + b.1),
    )
}

/// Column sums when the reduced dims lead a contiguous tensor (`x.sum(0)`): whole rows are added
/// into an f64 accumulator, which streams memory in order instead of gathering strided columns.
fn leading_sums<T: Element>(x: &Tensor, p: &Plan) -> Option<Vec<f64>> {
    let k = p.reduced.len();
    let leading = p.reduced.iter().enumerate().all(|(i, &d)| i == d);
    if !x.is_contiguous() || k == 0 || !leading || p.groups < 16 || p.inner < 2 {
        return None;
    }
    let (rows, m) = (p.inner, p.groups);
    // SAFETY: a contiguous tensor's elements are `offset..offset + numel` of its storage.
    let src = unsafe { &x.storage().slice::<T>()[x.offset()..x.offset() + rows * m] };
    const COLS: usize = 2048;
    let mut acc = vec![0.0f64; m];
    let work = |(ci, a): (usize, &mut [f64])| {
        let c0 = ci * COLS;
        for r in 0..rows {
            let row = &src[r * m + c0..r * m + c0 + a.len()];
            a.iter_mut().zip(row).for_each(|(o, v)| *o += v.to_f64());
        }
    };
    if crate::backend::cpu::parallel(rows * m) {
        acc.par_chunks_mut(COLS).enumerate().for_each(work);
    } else {
        acc.chunks_mut(COLS).enumerate().for_each(work);
    }
    Some(acc)
}

/// `x` with NaNs replaced by 0, and the mask of the elements kept (for GPU nan-reductions).
fn without_nans(x: &Tensor) -> Result<(Tensor, Tensor)> {
    use crate::ops::binary::Operand;
    use crate::ops::unary::UnaryOp;
    let keep = x.unary(UnaryOp::IsNan)?.unary(UnaryOp::LogicalNot)?;
    let zeroed = crate::ops::index::where_forward(&keep, Operand::Tensor(x), Operand::Scalar(crate::dtype::Scalar::Float(0.0)))?;
    Ok((zeroed, keep))
}

fn require_float(x: &Tensor, msg: impl Fn(&str) -> String) -> Result<()> {
    if !x.dtype().is_float() {
        bail!(NotImplemented, "{}", msg(x.dtype().scalar_name()));
    }
    Ok(())
}

fn with_dtype_arg(x: &Tensor, dtype: Option<DType>) -> Result<Tensor> {
    match dtype {
        Some(d) => x.to_dtype(d),
        None => Ok(x.clone()),
    }
}

impl Tensor {
    /// `sum(dim=None, keepdim=False, *, dtype=None)`: integers and bools widen to int64.
    pub(crate) fn sum_forward(&self, dims: Option<&[i64]>, keepdim: bool, dtype: Option<DType>) -> Result<Tensor> {
        let x = with_dtype_arg(self, dtype)?;
        if x.device().is_gpu() {
            let acc = if x.dtype().is_float() { x.dtype() } else { DType::I64 };
            let x = x.to_dtype(acc)?;
            let r = Plan::new(&x, dims, keepdim)?.gpu(ReduceOp::Sum, acc)?;
            return r.to_dtype(dtype.unwrap_or(acc));
        }
        let p = Plan::new(&x, dims, keepdim)?;
        if x.dtype().is_float() {
            return with_dtype!(x.dtype(), T, {
                if let Some(s) = leading_sums::<T>(&x, &p) {
                    return p.finish(s.into_iter().map(T::from_f64).collect());
                }
                p.finish(p.map::<T, T>(true, |g| T::from_f64(float_sum(g)))?)
            });
        }
        let r = with_dtype!(x.dtype(), T, p.finish(p.map::<T, i64>(true, sum_i64::<T>)?))?;
        r.to_dtype(dtype.unwrap_or(DType::I64))
    }

    /// `nansum`: `sum` treating NaN as zero.
    pub(crate) fn nansum_forward(&self, dims: Option<&[i64]>, keepdim: bool, dtype: Option<DType>) -> Result<Tensor> {
        let x = with_dtype_arg(self, dtype)?;
        if !x.dtype().is_float() {
            return x.sum(dims, keepdim, dtype);
        }
        if x.device().is_gpu() {
            return without_nans(&x)?.0.sum_forward(dims, keepdim, None);
        }
        let p = Plan::new(&x, dims, keepdim)?;
        with_dtype!(x.dtype(), T, p.finish(p.map::<T, T>(true, |g| T::from_f64(nan_sum(g).0))?))
    }

    /// `mean`: floating-point inputs only, like PyTorch (empty groups give NaN).
    pub(crate) fn mean_forward(&self, dims: Option<&[i64]>, keepdim: bool, dtype: Option<DType>) -> Result<Tensor> {
        let x = with_dtype_arg(self, dtype)?;
        require_float(&x, |n| {
            format!("mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: {n}")
        })?;
        let p = Plan::new(&x, dims, keepdim)?;
        if x.device().is_gpu() {
            return p.gpu(ReduceOp::Mean, x.dtype());
        }
        let n = p.inner as f64;
        with_dtype!(x.dtype(), T, {
            if let Some(s) = leading_sums::<T>(&x, &p) {
                return p.finish(s.into_iter().map(|v| T::from_f64(v / n)).collect());
            }
            p.finish(p.map::<T, T>(true, |g| T::from_f64(float_sum(g) / n))?)
        })
    }

    /// `nanmean`: the mean of the non-NaN elements.
    pub(crate) fn nanmean_forward(&self, dims: Option<&[i64]>, keepdim: bool, dtype: Option<DType>) -> Result<Tensor> {
        let x = with_dtype_arg(self, dtype)?;
        require_float(&x, |n| format!("nanmean(): expected input to have floating point or complex dtype but got {n}"))?;
        if x.device().is_gpu() {
            let (zeroed, keep) = without_nans(&x)?;
            let count = keep.to_dtype(x.dtype())?.sum_forward(dims, keepdim, None)?;
            return zeroed.sum_forward(dims, keepdim, None)?.binary(&count, crate::ops::binary::BinaryOp::Div);
        }
        let p = Plan::new(&x, dims, keepdim)?;
        with_dtype!(x.dtype(), T, p.finish(p.map::<T, T>(true, |g| {
            let (s, c) = nan_sum(g);
            T::from_f64(s / c as f64)
        })?))
    }

    /// `prod`: integers and bools widen to int64 (wrapping); floats multiply in f64.
    pub(crate) fn prod_forward(&self, dims: Option<&[i64]>, keepdim: bool, dtype: Option<DType>) -> Result<Tensor> {
        let x = with_dtype_arg(self, dtype)?;
        if x.device().is_gpu() {
            let acc = if x.dtype().is_float() { x.dtype() } else { DType::I64 };
            let x = x.to_dtype(acc)?;
            let r = Plan::new(&x, dims, keepdim)?.gpu(ReduceOp::Prod, acc)?;
            return r.to_dtype(dtype.unwrap_or(acc));
        }
        let p = Plan::new(&x, dims, keepdim)?;
        if x.dtype().is_float() {
            return with_dtype!(x.dtype(), T, p.finish(p.map::<T, T>(true, |g| {
                T::from_f64(g.iter().fold(1.0f64, |a, v| a * v.to_f64()))
            })?));
        }
        let r = with_dtype!(x.dtype(), T, p.finish(p.map::<T, i64>(true, |g| {
            g.iter().fold(1i64, |a, v| a.wrapping_mul(v.to_i64()))
        })?))?;
        r.to_dtype(dtype.unwrap_or(DType::I64))
    }

    /// `all`: bool result (uint8 for uint8 input, as PyTorch).
    pub fn all(&self, dims: Option<&[i64]>, keepdim: bool) -> Result<Tensor> {
        self.logical_reduce(dims, keepdim, true)
    }

    /// `any`: bool result (uint8 for uint8 input, as PyTorch).
    pub fn any(&self, dims: Option<&[i64]>, keepdim: bool) -> Result<Tensor> {
        self.logical_reduce(dims, keepdim, false)
    }

    fn logical_reduce(&self, dims: Option<&[i64]>, keepdim: bool, all: bool) -> Result<Tensor> {
        if self.dtype().is_complex() {
            let nonzero = self.binary_scalar(crate::dtype::Scalar::Int(0), crate::ops::binary::BinaryOp::Ne)?;
            return nonzero.logical_reduce(dims, keepdim, all);
        }
        if self.device().is_gpu() {
            let b = self.to_dtype(DType::Bool)?;
            let r = Plan::new(&b, dims, keepdim)?.gpu(if all { ReduceOp::Min } else { ReduceOp::Max }, DType::Bool)?;
            // An empty group: all() is true, any() false (the kernel's fold starts at 0).
            let r = if all && b.numel() == 0 { r.unary(crate::ops::unary::UnaryOp::LogicalNot)? } else { r };
            return if self.dtype() == DType::U8 { r.to_dtype(DType::U8) } else { Ok(r) };
        }
        let p = Plan::new(self, dims, keepdim)?;
        let r = with_dtype!(self.dtype(), T, p.finish(p.map::<T, bool>(true, |g| {
            if all { g.iter().all(|v| v.is_true()) } else { g.iter().any(|v| v.is_true()) }
        })?))?;
        if self.dtype() == DType::U8 {
            return r.to_dtype(DType::U8);
        }
        Ok(r)
    }

    /// `count_nonzero(dim=None)`: int64 counts, dims removed.
    pub fn count_nonzero(&self, dims: Option<&[i64]>) -> Result<Tensor> {
        if self.dtype().is_complex() {
            return self.binary_scalar(Scalar::Int(0), crate::ops::binary::BinaryOp::Ne)?.count_nonzero(dims);
        }
        if self.device().is_gpu() {
            let nz = self.to_dtype(DType::Bool)?.to_dtype(DType::I64)?;
            return Plan::new(&nz, dims, false)?.gpu(ReduceOp::Sum, DType::I64);
        }
        let p = Plan::new(self, dims, false)?;
        with_dtype!(self.dtype(), T, p.finish(p.map::<T, i64>(true, |g| g.iter().filter(|v| v.is_true()).count() as i64)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sum_dtypes_and_dims() {
        let x = Tensor::from_vec(vec![1i32, 2, 3, 4, 5, 6], &[2, 3]).unwrap();
        let s = x.sum(None, false, None).unwrap();
        assert_eq!((s.dtype(), s.to_vec::<i64>()), (DType::I64, vec![21]));
        assert_eq!(x.sum(Some(&[0]), false, None).unwrap().to_vec::<i64>(), vec![5, 7, 9]);
        assert_eq!(x.t().unwrap().sum(Some(&[1]), true, None).unwrap().shape(), &[3, 1]);
        let f = Tensor::from_vec((0..64).map(|v| v as f64).collect::<Vec<_>>(), &[2, 32]).unwrap();
        let cols = f.sum(Some(&[0]), false, None).unwrap().to_vec::<f64>();
        assert_eq!(cols, (0..32).map(|j| (2 * j + 32) as f64).collect::<Vec<_>>());
        assert_eq!(f.mean(Some(&[0]), true, None).unwrap().shape(), &[1, 32]);
        assert!(x.mean(None, false, None).unwrap_err().to_string().contains("Got: Int"));
        let e = Tensor::zeros(&[0, 3], DType::F32).unwrap();
        assert_eq!(e.sum(Some(&[0]), false, None).unwrap().to_vec::<f32>(), vec![0.0; 3]);
        assert_eq!(e.prod(Some(&[0]), false, None).unwrap().to_vec::<f32>(), vec![1.0; 3]);
    }

    #[test]
    fn transposed_full_sum_reads_storage() {
        let v: Vec<f32> = (0..200_000).map(|i| (i % 13) as f32).collect();
        let exact: f64 = v.iter().map(|&x| x as f64).sum();
        let x = Tensor::from_vec(v, &[400, 500]).unwrap().t().unwrap();
        assert_eq!(x.sum(None, false, None).unwrap().to_vec::<f32>(), vec![exact as f32]);
    }
}
