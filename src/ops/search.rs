//! searchsorted / bucketize: where values would be inserted into sorted rows.
//!
//! The search is PyTorch's: the lower bound moves past a boundary `b` while `!(b >= v)` (the
//! upper bound while `!(b > v)`), so a NaN value lands after every boundary and NaN boundaries,
//! which sort last, stay last. The GPU kernel is `shaders/search.wgsl`.
use crate::backend::gpu;
use crate::dtype::{result_type, DType, Element, PromoteArg};
use crate::error::Result;
use crate::shape::fmt_list;
use crate::tensor::{device_name, Tensor};
use crate::{bail, with_dtype};

/// The insertion index of `v` in the sorted `row`.
fn insertion_index<T: Element>(row: &[T], v: T, right: bool) -> usize {
    let (mut lo, mut hi) = (0, row.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let b = row[mid];
        let go_right = if right { !(b > v) } else { !(b >= v) };
        if go_right {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// CPU: each value's insertion index in its row (`per_row` values per row; 0 = one row).
fn search_cpu<T: Element>(boundaries: &Tensor, values: &Tensor, per_row: usize, right: bool) -> Vec<i64> {
    let bd = boundaries.to_vec::<T>();
    let vals = values.to_vec::<T>();
    let len = *boundaries.shape().last().expect("boundaries have a dim");
    vals.iter()
        .enumerate()
        .map(|(i, &v)| {
            let start = if per_row == 0 { 0 } else { i / per_row * len };
            insertion_index(&bd[start..start + len], v, right) as i64
        })
        .collect()
}

impl Tensor {
    /// `torch.searchsorted(self, values, right=, out_int32=, sorter=)` with `self` the sorted
    /// boundaries: 1-D (shared by every value) or with the same leading dims as `values`.
    pub fn searchsorted(&self, values: &Tensor, right: bool, out_int32: bool, sorter: Option<&Tensor>) -> Result<Tensor> {
        if self.device() != values.device() {
            bail!(
                Runtime,
                "torch.searchsorted(): boundaries and input value tensors should have same device type, but we got boundaries tensor device type {} and input value tensor device type {}",
                device_name(self.device()),
                device_name(values.device())
            );
        }
        if let Some(s) = sorter {
            if s.shape() != self.shape() {
                bail!(
                    Runtime,
                    "torch.searchsorted(): boundary and sorter must have the same size, but got boundary tensor {}and got sorter tensor {}",
                    fmt_list(self.shape()),
                    fmt_list(s.shape())
                );
            }
            if s.dtype() != DType::I64 {
                bail!(Runtime, "torch.searchsorted(): sorter must be a tensor of long dtype but got dtype {}", s.dtype().scalar_name());
            }
            if s.device() != self.device() {
                bail!(Runtime, "torch.searchsorted(): sorter and boundary tensors must be on the same device");
            }
        }
        if values.ndim() == 0 && self.ndim() != 1 {
            bail!(
                Runtime,
                "torch.searchsorted(): input value can be a scalar only when boundaries tensor dimension is 1, but we got boundaries tensor dim({}) and input value's dim(0) numel(1)",
                self.ndim()
            );
        }
        if self.ndim() == 0 {
            bail!(Runtime, "torch.searchsorted(): boundaries tensor should have positive dimension, but got 0 dimension");
        }
        let (bs, vs) = (self.shape(), values.shape());
        if self.ndim() != 1 && (bs.len() != vs.len() || bs[..bs.len() - 1] != vs[..vs.len() - 1]) {
            bail!(
                Runtime,
                "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries tensor and input value tensor must match, but we got boundaries tensor {} and input value tensor {}",
                fmt_list(bs),
                fmt_list(vs)
            );
        }
        let arg = |t: &Tensor| PromoteArg::Tensor { dtype: t.dtype(), zero_dim: t.ndim() == 0 };
        let dtype = result_type(&[arg(self), arg(values)]);
        if matches!(dtype, DType::Bool) {
            let kernel = if self.device().is_gpu() { "searchsorted_cuda" } else { "searchsorted_out_cpu" };
            bail!(NotImplemented, "\"{kernel}\" not implemented for '{}'", dtype.scalar_name());
        }
        let boundaries = match sorter {
            Some(s) => {
                let len = *bs.last().expect("checked ndim") as i64;
                if s.numel() > 0 {
                    let (lo, hi) = (s.min_all()?.item()?.to_i64(), s.max_all()?.item()?.to_i64());
                    if lo < 0 || hi >= len {
                        bail!(Runtime, "torch.searchsorted(): sorter index out of range");
                    }
                }
                self.gather_forward(-1, s)?
            }
            None => self.clone(),
        };
        let dense = |t: &Tensor| -> Result<Tensor> {
            if t.dtype() == dtype && t.is_contiguous() && t.offset() == 0 {
                Ok(t.clone())
            } else {
                t.to_dtype_copy(dtype)
            }
        };
        let (boundaries, vals) = (dense(&boundaries)?, dense(values)?);
        let per_row = if self.ndim() == 1 { 0 } else { *vs.last().expect("checked ndim") };
        let out_dtype = if out_int32 { DType::I32 } else { DType::I64 };
        if self.device().is_gpu() {
            return gpu::search::searchsorted(&boundaries, &vals, per_row, right, out_dtype);
        }
        let idx = with_dtype!(dtype, T, search_cpu::<T>(&boundaries, &vals, per_row, right));
        let out = Tensor::from_vec(idx, vs)?;
        if out_int32 { out.to_dtype_copy(DType::I32) } else { Ok(out) }
    }

    /// `torch.bucketize(self, boundaries, right=, out_int32=)`: searchsorted with 1-D boundaries
    /// (bucketize's `right` picks the same side as searchsorted's).
    pub fn bucketize(&self, boundaries: &Tensor, right: bool, out_int32: bool) -> Result<Tensor> {
        if boundaries.ndim() != 1 {
            bail!(Runtime, "boundaries tensor must be 1 dimension, but got dim({})", boundaries.ndim());
        }
        boundaries.searchsorted(self, right, out_int32, None)
    }
}
