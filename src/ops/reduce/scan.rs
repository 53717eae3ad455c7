//! Cumulative ops along one dim: cumsum, cumprod, cummax, cummin.
use super::{is_nan, Plan};
use crate::dtype::{DType, Element};
use crate::error::Result;
use crate::tensor::Tensor;
use crate::with_dtype;

impl Tensor {
    /// Shared path of cumsum/cumprod: integers widen to int64 (wrapping), floats accumulate in f64.
    fn cum_arith(&self, dim: i64, dtype: Option<DType>, prod: bool) -> Result<Tensor> {
        let x = match dtype {
            Some(d) => self.to_dtype(d)?,
            None => self.clone(),
        };
        let p = Plan::along(&x, dim)?;
        let n = p.inner;
        if x.device().is_gpu() {
            use crate::backend::gpu::scan::ScanOp;
            let acc = if x.dtype().is_float() { x.dtype() } else { DType::I64 };
            let x = x.to_dtype(acc)?;
            let p = Plan::along(&x, dim)?;
            let r = p.gpu_scan(if prod { ScanOp::Prod } else { ScanOp::Sum }, acc)?.0;
            return r.to_dtype(dtype.unwrap_or(acc));
        }
        if x.dtype().is_float() {
            return with_dtype!(x.dtype(), T, Ok(p.map_rows::<T, T, bool>(&x, dim, n, |row, out, _| {
                let mut acc = if prod { 1.0f64 } else { 0.0 };
                for (o, v) in out.iter_mut().zip(row) {
                    acc = if prod { acc * v.to_f64() } else { acc + v.to_f64() };
                    *o = T::from_f64(acc);
                }
            })?.0));
        }
        let r = with_dtype!(x.dtype(), T, p.map_rows::<T, i64, bool>(&x, dim, n, |row, out, _| {
            let mut acc: i64 = if prod { 1 } else { 0 };
            for (o, v) in out.iter_mut().zip(row) {
                acc = if prod { acc.wrapping_mul(v.to_i64()) } else { acc.wrapping_add(v.to_i64()) };
                *o = acc;
            }
        })?.0);
        r.to_dtype(dtype.unwrap_or(DType::I64))
    }

    /// `cumsum(dim, *, dtype=None)`.
    pub(crate) fn cumsum_forward(&self, dim: i64, dtype: Option<DType>) -> Result<Tensor> {
        self.cum_arith(dim, dtype, false)
    }
    /// `cumprod(dim, *, dtype=None)`.
    pub(crate) fn cumprod_forward(&self, dim: i64, dtype: Option<DType>) -> Result<Tensor> {
        self.cum_arith(dim, dtype, true)
    }

    /// Running extreme and its index. As PyTorch's kernel, a tie or a NaN moves the index to
    /// the newer element, and a NaN sticks once seen.
    fn cum_extreme(&self, dim: i64, max: bool) -> Result<(Tensor, Tensor)> {
        let p = Plan::along(self, dim)?;
        if self.device().is_gpu() {
            use crate::backend::gpu::scan::ScanOp;
            let (v, i) = p.gpu_scan(if max { ScanOp::Max } else { ScanOp::Min }, self.dtype())?;
            return Ok((v, i.expect("max/min scans return indices")));
        }
        let n = p.inner;
        with_dtype!(self.dtype(), T, p.map_rows::<T, T, i64>(self, dim, n, |row, vals, idx| {
            let Some(&first) = row.first() else { return };
            let (mut best, mut at) = (first, 0usize);
            for (i, &v) in row.iter().enumerate() {
                let better = if max { v >= best } else { v <= best };
                if is_nan(v) || (!is_nan(best) && better) {
                    best = v;
                    at = i;
                }
                vals[i] = best;
                idx[i] = at as i64;
            }
        }))
    }

    /// `cummax(dim)`: (values, indices).
    pub(crate) fn cummax_forward(&self, dim: i64) -> Result<(Tensor, Tensor)> {
        self.cum_extreme(dim, true)
    }
    /// `cummin(dim)`: (values, indices).
    pub(crate) fn cummin_forward(&self, dim: i64) -> Result<(Tensor, Tensor)> {
        self.cum_extreme(dim, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_along_dims() {
        let x = Tensor::from_vec(vec![1i32, 2, 3, 4, 5, 6], &[2, 3]).unwrap();
        let c = x.cumsum(0, None).unwrap();
        assert_eq!((c.dtype(), c.to_vec::<i64>()), (DType::I64, vec![1, 2, 3, 5, 7, 9]));
        assert_eq!(x.cumprod(1, None).unwrap().to_vec::<i64>(), vec![1, 2, 6, 4, 20, 120]);
        let y = Tensor::from_vec(vec![1.0f32, 3.0, 3.0, 2.0], &[4]).unwrap();
        let (v, i) = y.cummax(0).unwrap();
        assert_eq!(v.to_vec::<f32>(), vec![1.0, 3.0, 3.0, 3.0]);
        assert_eq!(i.to_vec::<i64>(), vec![0, 1, 2, 2]);
    }
}
