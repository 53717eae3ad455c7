//! Sorting and order statistics: sort, argsort, topk, kthvalue, median, nanmedian, unique,
//! unique_consecutive. Sorts are always stable; NaN sorts above every number, as in PyTorch.
use crate::bail;
use crate::dtype::{DType, Element, Scalar};
use crate::ops::binary::{BinaryOp, Operand};
use crate::ops::index::{Reduce, Source};
use crate::ops::unary::UnaryOp;
use crate::error::Result;
use crate::ops::reduce::{cmp_nan_last, is_nan, Plan};
use crate::shape::normalize_dim;
use crate::tensor::Tensor;
use crate::with_dtype;
use std::cmp::Ordering;

/// `(value, original index)` pairs of a row in stable sorted order.
fn sorted_pairs<T: Element>(row: &[T], descending: bool) -> Vec<(T, usize)> {
    let mut v: Vec<(T, usize)> = row.iter().copied().zip(0..).collect();
    if descending {
        v.sort_by(|a, b| cmp_nan_last(&b.0, &a.0));
    } else {
        v.sort_by(|a, b| cmp_nan_last(&a.0, &b.0));
    }
    v
}

/// Lower median of a row and its index; `skip_nan` ignores NaNs (nanmedian), otherwise the
/// first NaN is the answer.
fn median_of<T: Element>(row: &[T], skip_nan: bool) -> (T, i64) {
    if !skip_nan {
        if let Some(i) = row.iter().position(|&v| is_nan(v)) {
            return (row[i], i as i64);
        }
    }
    let pairs = sorted_pairs(row, false);
    let valid = pairs.iter().take_while(|p| !is_nan(p.0)).count();
    if valid == 0 {
        return match pairs.first() {
            Some(&(v, i)) => (v, i as i64),
            None => (T::from_f64(f64::NAN), 0),
        };
    }
    let (v, i) = pairs[(valid - 1) / 2];
    (v, i as i64)
}

/// Unique rows among `rows` (each `width` long) in the given order: the representative row
/// indices, and for every input row the index of its group.
fn group_rows<T: Element>(src: &[T], nrows: usize, width: usize, sort: bool) -> (Vec<usize>, Vec<i64>, Vec<i64>) {
    let row = |r: usize| &src[r * width..(r + 1) * width];
    let cmp_rows = |a: usize, b: usize| -> Ordering {
        row(a).iter().zip(row(b)).map(|(x, y)| cmp_nan_last(x, y)).find(|o| *o != Ordering::Equal).unwrap_or(Ordering::Equal)
    };
    // NaN != NaN, so rows holding NaN never merge (PyTorch's behaviour).
    let equal = |a: usize, b: usize| row(a).iter().zip(row(b)).all(|(x, y)| x == y);
    let mut order: Vec<usize> = (0..nrows).collect();
    if sort {
        order.sort_by(|&a, &b| cmp_rows(a, b));
    }
    let mut reps: Vec<usize> = Vec::new();
    let mut counts: Vec<i64> = Vec::new();
    let mut inverse = vec![0i64; nrows];
    for &r in &order {
        match reps.last() {
            Some(&last) if equal(last, r) => *counts.last_mut().expect("non-empty") += 1,
            _ => {
                reps.push(r);
                counts.push(1);
            }
        }
        inverse[r] = reps.len() as i64 - 1;
    }
    (reps, inverse, counts)
}

/// `unique`/`unique_consecutive` results: values, inverse indices, counts.
pub type UniqueResult = (Tensor, Tensor, Tensor);

impl Tensor {
    /// `sort(dim=-1, descending=False, stable=False)`: (values, indices); always stable.
    pub(crate) fn sort_forward(&self, dim: i64, descending: bool) -> Result<(Tensor, Tensor)> {
        let p = Plan::along(self, dim)?;
        let n = p.inner;
        if self.device().is_gpu() {
            return p.gpu_sort(descending, n);
        }
        with_dtype!(self.dtype(), T, p.map_rows::<T, T, i64>(self, dim, n, |row, vals, idx| {
            for (k, (v, i)) in sorted_pairs(row, descending).into_iter().enumerate() {
                vals[k] = v;
                idx[k] = i as i64;
            }
        }))
    }

    /// `argsort(dim=-1, descending=False, stable=False)`.
    pub fn argsort(&self, dim: i64, descending: bool) -> Result<Tensor> {
        Ok(self.sort_forward(dim, descending)?.1)
    }

    /// `topk(k, dim=-1, largest=True, sorted=True)`: (values, indices), always sorted.
    pub(crate) fn topk_forward(&self, k: i64, dim: i64, largest: bool) -> Result<(Tensor, Tensor)> {
        let size = self.size(dim)? as i64;
        if k < 0 || k > size {
            bail!(Runtime, "selected index k out of range");
        }
        let p = Plan::along(self, dim)?;
        let k = k as usize;
        if self.device().is_gpu() {
            return p.gpu_sort(largest, k);
        }
        with_dtype!(self.dtype(), T, p.map_rows::<T, T, i64>(self, dim, k, |row, vals, idx| {
            for (j, (v, i)) in sorted_pairs(row, largest).into_iter().take(k).enumerate() {
                vals[j] = v;
                idx[j] = i as i64;
            }
        }))
    }

    /// One value per row along `dim`, picked by `f`; `keepdim` keeps `dim` as size 1.
    fn pick_along<F>(&self, dim: i64, keepdim: bool, f: F) -> Result<(Tensor, Tensor)>
    where
        F: Fn(DType) -> Result<(Tensor, Tensor)>,
    {
        let (v, i) = f(self.dtype())?;
        if keepdim || self.ndim() == 0 {
            return Ok((v, i));
        }
        let d = normalize_dim(dim, self.ndim())?;
        Ok((v.squeeze(Some(&[d as i64]))?, i.squeeze(Some(&[d as i64]))?))
    }

    /// `kthvalue(k, dim=-1, keepdim=False)`: the k-th smallest (1-based) and its index.
    pub(crate) fn kthvalue_forward(&self, k: i64, dim: i64, keepdim: bool) -> Result<(Tensor, Tensor)> {
        let size = self.size(dim)? as i64;
        if k < 1 || k > size {
            bail!(Index, "kthvalue(): selected number k out of range for dimension {}", normalize_dim(dim, self.ndim())?);
        }
        let p = Plan::along(self, dim)?;
        let k = (k - 1) as usize;
        if self.device().is_gpu() {
            return self.pick_along(dim, keepdim, |_| {
                let (v, i) = p.gpu_sort(false, k + 1)?;
                if self.ndim() == 0 {
                    return Ok((v, i));
                }
                let d = dim;
                Ok((v.narrow(d, k as i64, 1)?.contiguous()?, i.narrow(d, k as i64, 1)?.contiguous()?))
            });
        }
        self.pick_along(dim, keepdim, |dt| {
            with_dtype!(dt, T, p.map_rows::<T, T, i64>(self, dim, 1, |row, vals, idx| {
                let (v, i) = sorted_pairs(row, false)[k];
                vals[0] = v;
                idx[0] = i as i64;
            }))
        })
    }

    /// `median(dim, keepdim=False)` (or `nanmedian` with `skip_nan`): lower median and its index.
    pub(crate) fn median_dim_forward(&self, dim: i64, keepdim: bool, skip_nan: bool) -> Result<(Tensor, Tensor)> {
        if self.size(dim)? == 0 {
            let name = if skip_nan { "nanmedian" } else { "median" };
            bail!(Index, "{name}(): Expected reduction dim {} to have non-zero size.", normalize_dim(dim, self.ndim())?);
        }
        if self.device().is_gpu() {
            return self.pick_along(dim, keepdim, |_| self.median_gpu(dim, skip_nan));
        }
        let p = Plan::along(self, dim)?;
        self.pick_along(dim, keepdim, |dt| {
            with_dtype!(dt, T, p.map_rows::<T, T, i64>(self, dim, 1, |row, vals, idx| {
                let (v, i) = median_of(row, skip_nan);
                vals[0] = v;
                idx[0] = i as i64;
            }))
        })
    }

    /// `median()` over all elements: the lower median as a 0-d tensor (NaN for empty input).
    pub(crate) fn median_all_forward(&self, skip_nan: bool) -> Result<Tensor> {
        let flat = self.reshape(&[-1])?;
        if flat.numel() == 0 {
            if !self.dtype().is_float() {
                bail!(Runtime, "median() input tensor cannot be empty");
            }
            return Tensor::full_on(&[], crate::dtype::Scalar::Float(f64::NAN), self.dtype(), self.device());
        }
        if self.device().is_gpu() {
            return flat.median_gpu(0, skip_nan)?.0.reshape(&[]);
        }
        let p = Plan::along(&flat, 0)?;
        let v = with_dtype!(self.dtype(), T, p.map_rows::<T, T, i64>(&flat, 0, 1, |row, vals, idx| {
            let (v, i) = median_of(row, skip_nan);
            vals[0] = v;
            idx[0] = i;
        }))?
        .0;
        v.reshape(&[])
    }

    /// The lower median along `dim` on the GPU (non-empty rows), with `dim` kept as size 1:
    /// a stable ascending sort puts NaNs last, so the count of NaNs in a row locates the
    /// answer: the first NaN (median) or the middle of the numbers (nanmedian).
    fn median_gpu(&self, dim: i64, skip_nan: bool) -> Result<(Tensor, Tensor)> {
        let p = Plan::along(self, dim)?;
        let n = p.inner as i64;
        let (v, i) = p.gpu_sort(false, p.inner)?;
        if self.ndim() == 0 {
            return Ok((v, i));
        }
        let d = normalize_dim(dim, self.ndim())?;
        let mut kept = self.shape().to_vec();
        kept[d] = 1;
        let middle = Scalar::Int((n - 1) / 2);
        let at = if self.dtype().is_float() {
            let nans = self.unary(UnaryOp::IsNan)?.sum(Some(&[d as i64]), true, Some(DType::I64))?;
            let numbers = nans.binary_scalar(Scalar::Int(-1), BinaryOp::Mul)?.binary_scalar(Scalar::Int(n), BinaryOp::Add)?;
            if skip_nan {
                // (numbers - 1) // 2, and 0 for a row of NaNs.
                numbers
                    .binary_scalar(Scalar::Int(-1), BinaryOp::Add)?
                    .binary_scalar(Scalar::Int(0), BinaryOp::Maximum)?
                    .binary_scalar(Scalar::Int(2), BinaryOp::FloorDiv)?
            } else {
                let has_nan = nans.binary_scalar(Scalar::Int(0), BinaryOp::Gt)?;
                crate::ops::index::where_forward(&has_nan, Operand::Tensor(&numbers), Operand::Scalar(middle))?
            }
        } else {
            Tensor::full_on(&kept, middle, DType::I64, self.device())?
        };
        Ok((v.gather_forward(d as i64, &at)?, i.gather_forward(d as i64, &at)?))
    }

    /// `unique(dim=d)`'s rows: `self` with `d` moved first (contiguous) and `d` normalised, or,
    /// when there are no rows, the result itself.
    fn unique_rows(&self, d: i64) -> Result<std::result::Result<(Tensor, usize), UniqueResult>> {
        if self.ndim() == 0 {
            bail!(Index, "Dimension out of range (expected to be in range of [-1, 0], but got {})", d);
        }
        let d = normalize_dim(d, self.ndim())?;
        let moved = self.movedim(&[d as i64], &[0])?.contiguous()?;
        if moved.shape()[0] == 0 {
            let none = Tensor::zeros_on(&[0], DType::I64, self.device())?;
            return Ok(Err((self.clone(), none.clone(), none)));
        }
        if moved.numel() == 0 {
            bail!(Runtime, "Number of zero sized dimensions is more than one, so unique cannot be applied ");
        }
        Ok(Ok((moved, d)))
    }

    /// `unique` on the GPU, from sorts and scans: rows (elements, or slices along `dim`) are put
    /// in order by stable sorts on one column at a time, last column first, which leaves them
    /// in lexicographic order with ties in input order (the CPU's order); a row starts a new
    /// group where it differs from the previous one (NaN differs from itself, as on the CPU).
    fn unique_gpu(&self, dim: Option<i64>, consecutive: bool) -> Result<UniqueResult> {
        let gpu = self.device();
        let (rows, d) = match dim {
            None => (self.reshape(&[-1, 1])?, 0),
            Some(d) => match self.unique_rows(d)? {
                Ok((moved, d)) => (moved.reshape(&[moved.shape()[0] as i64, -1])?, d),
                Err(no_rows) => return Ok(no_rows),
            },
        };
        let (nrows, width) = (rows.shape()[0], rows.shape()[1]);
        if nrows == 0 {
            let values = Tensor::zeros_on(&[0], self.dtype(), gpu)?;
            return Ok((values, Tensor::zeros_on(self.shape(), DType::I64, gpu)?, Tensor::zeros_on(&[0], DType::I64, gpu)?));
        }
        let mut order = Tensor::arange(Scalar::Int(0), Scalar::Int(nrows as i64), Scalar::Int(1), Some(DType::I64))?.to_device(gpu)?;
        if !consecutive {
            for c in (0..width).rev() {
                let column = rows.select(1, c as i64)?.index_select_forward(0, &order)?;
                let (_, by_column) = column.sort_forward(0, false)?;
                order = order.index_select_forward(0, &by_column)?;
            }
        }
        let sorted = rows.index_select_forward(0, &order)?;
        let n = nrows as i64;
        let differs = sorted
            .narrow(0, 1, n - 1)?
            .binary(&sorted.narrow(0, 0, n - 1)?, BinaryOp::Ne)?
            .any(Some(&[1]), false)?;
        let starts_group = crate::ops::shape_ops::cat(&[Tensor::full_on(&[1], Scalar::Bool(true), DType::Bool, gpu)?, differs], 0)?;
        let group = starts_group.cumsum(0, Some(DType::I64))?.binary_scalar(Scalar::Int(1), BinaryOp::Sub)?;
        let inverse = if consecutive {
            group
        } else {
            let inverse = Tensor::zeros_on(&[nrows], DType::I64, gpu)?;
            inverse.scatter_inplace(0, &order, Source::Tensor(&group), Reduce::None)?;
            inverse
        };
        let starts = starts_group.nonzero()?.reshape(&[-1])?;
        let u = starts.numel() as i64;
        let ends = crate::ops::shape_ops::cat(&[starts.narrow(0, 1, u - 1)?, Tensor::full_on(&[1], Scalar::Int(n), DType::I64, gpu)?], 0)?;
        let counts = ends.binary(&starts, BinaryOp::Sub)?;
        let firsts = sorted.index_select_forward(0, &starts)?;
        let values = match dim {
            None => firsts.reshape(&[-1])?,
            Some(_) => {
                let mut shape: Vec<i64> = self.movedim(&[d as i64], &[0])?.shape().iter().map(|&s| s as i64).collect();
                shape[0] = u;
                firsts.reshape(&shape)?.movedim(&[0], &[d as i64])?.contiguous()?
            }
        };
        let inverse = if dim.is_none() { inverse.reshape(&self.shape().iter().map(|&s| s as i64).collect::<Vec<_>>())? } else { inverse };
        Ok((values, inverse, counts))
    }

    /// `unique(sorted=True, return_inverse, return_counts, dim=None)`; with `consecutive`, only
    /// runs of equal neighbours merge (`unique_consecutive`). Returns (values, inverse, counts).
    pub fn unique(&self, dim: Option<i64>, consecutive: bool) -> Result<UniqueResult> {
        if self.device().is_gpu() {
            return self.unique_gpu(dim, consecutive);
        }
        let sort = !consecutive;
        match dim {
            None => {
                let flat = self.reshape(&[-1])?.contiguous()?;
                let n = flat.numel();
                let (vals, inverse, counts) = with_dtype!(self.dtype(), T, {
                    let src = flat.to_vec::<T>();
                    let (reps, inverse, counts) = group_rows(&src, n, 1, sort);
                    let vals: Vec<T> = reps.iter().map(|&r| src[r]).collect();
                    let u = vals.len();
                    (Tensor::from_vec(vals, &[u])?, inverse, counts)
                });
                let nc = counts.len();
                Ok((vals, Tensor::from_vec(inverse, self.shape())?, Tensor::from_vec(counts, &[nc])?))
            }
            Some(d) => {
                let (moved, d) = match self.unique_rows(d)? {
                    Ok(rows) => rows,
                    Err(no_rows) => return Ok(no_rows),
                };
                let nrows = moved.shape()[0];
                let width = moved.numel() / nrows;
                let (vals, inverse, counts) = with_dtype!(self.dtype(), T, {
                    let src = moved.to_vec::<T>();
                    let (reps, inverse, counts) = group_rows(&src, nrows, width, sort);
                    let mut vals: Vec<T> = Vec::with_capacity(reps.len() * width);
                    for &r in &reps {
                        vals.extend_from_slice(&src[r * width..(r + 1) * width]);
                    }
                    let mut shape = moved.shape().to_vec();
                    shape[0] = reps.len();
                    (Tensor::from_vec(vals, &shape)?, inverse, counts)
                });
                let vals = vals.movedim(&[0], &[d as i64])?.contiguous()?;
                let nc = counts.len();
                Ok((vals, Tensor::from_vec(inverse, &[nrows])?, Tensor::from_vec(counts, &[nc])?))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_is_stable_with_nan_last() {
        let x = Tensor::from_vec(vec![2.0f32, f32::NAN, 1.0, 2.0], &[4]).unwrap();
        let (v, i) = x.sort(-1, false).unwrap();
        assert_eq!(i.to_vec::<i64>(), vec![2, 0, 3, 1]);
        assert!(v.to_vec::<f32>()[3].is_nan());
        let (_, i) = x.sort(0, true).unwrap();
        assert_eq!(i.to_vec::<i64>(), vec![1, 0, 3, 2]);
    }

    #[test]
    fn order_statistics() {
        let x = Tensor::from_vec(vec![3i64, 1, 4, 1, 5, 9], &[2, 3]).unwrap();
        assert_eq!(x.median_all(false).unwrap().to_vec::<i64>(), vec![3]);
        let (v, i) = x.kthvalue(2, 1, false).unwrap();
        assert_eq!((v.to_vec::<i64>(), i.to_vec::<i64>()), (vec![3, 5], vec![0, 1]));
        let (v, _) = x.topk(2, 0, true).unwrap();
        assert_eq!(v.to_vec::<i64>(), vec![3, 5, 9, 1, 1, 4]);
        let (u, inv, c) = x.unique(None, false).unwrap();
        assert_eq!(u.to_vec::<i64>(), vec![1, 3, 4, 5, 9]);
        assert_eq!(inv.to_vec::<i64>(), vec![1, 0, 2, 0, 3, 4]);
        assert_eq!(c.to_vec::<i64>(), vec![2, 1, 1, 1, 1]);
    }
}
