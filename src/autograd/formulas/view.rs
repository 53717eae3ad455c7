//! View ops (`tensor.rs`) and the copies `clone`/`contiguous`/`to`. Views record with
//! `view_of`, so an in-place op on the result later rebases its base through CopySlices.
//! Views that are reshapes or dim shuffles undo themselves with the inverse view; views that
//! pick a subset of elements (`select`, `narrow`, `diagonal`, ...) scatter through
//! `index_map`.
use super::super::node::{begin, unary_record};
use super::index_map::{record_move, record_storage_view, record_window, record_windows, Names};
use crate::dtype::DType;
use crate::error::Result;
use crate::shape::{self, normalize_dims};
use crate::tensor::Tensor;

fn sizes(shape: &[usize]) -> Vec<i64> {
    shape.iter().map(|&s| s as i64).collect()
}

/// Records a view of `x` whose gradient is `back(grad)`.
fn record_view(
    x: &Tensor,
    name: &'static str,
    forward: impl FnOnce() -> Result<Tensor>,
    back: impl Fn(&Tensor) -> Result<Tensor> + Send + Sync + 'static,
) -> Result<Tensor> {
    let Some(rec) = begin(name, &[x]) else { return Ok(x.mark_untracked_view(forward()?)) };
    let out = forward()?;
    rec.view_of(x).finish(out, move |ctx| Ok(vec![Some(back(ctx.grad(0))?)]))
}

/// Records a copy of `x` (not a view) whose gradient is `back(grad)`.
pub(super) fn record_copy(
    x: &Tensor,
    name: &'static str,
    forward: impl FnOnce() -> Result<Tensor>,
    back: impl Fn(&Tensor) -> Result<Tensor> + Send + Sync + 'static,
) -> Result<Tensor> {
    unary_record(name, &[x], forward, |rec| rec, move |ctx| Ok(vec![Some(back(ctx.grad(0))?)]))
}

const fn names(gather: &'static str, scatter: &'static str) -> Names {
    Names { gather, scatter }
}

impl Tensor {
    pub fn view(&self, sizes_: &[i64]) -> Result<Tensor> {
        let shape = sizes(self.shape());
        record_view(self, "ViewBackward0", || self.view_forward(sizes_), move |g| g.reshape(&shape))
    }

    /// A view when the layout allows one (ViewBackward0), else a contiguous copy reshaped
    /// (CloneBackward0 then UnsafeViewBackward0), as PyTorch records it.
    pub fn reshape(&self, sizes_: &[i64]) -> Result<Tensor> {
        let target = shape::infer_size(sizes_, self.numel())?;
        let shape = sizes(self.shape());
        if self.layout().view(&target).is_some() {
            return record_view(self, "ViewBackward0", || self.reshape_forward(sizes_), move |g| g.reshape(&shape));
        }
        let c = self.contiguous()?;
        record_copy(&c, "UnsafeViewBackward0", || c.reshape_forward(sizes_), move |g| g.reshape(&shape))
    }

    pub fn permute(&self, dims: &[i64]) -> Result<Tensor> {
        let out = self.permute_forward(dims)?;
        let Some(rec) = begin("PermuteBackward0", &[self]) else { return Ok(self.mark_untracked_view(out)) };
        let d = normalize_dims(dims, self.ndim())?;
        let mut inv = vec![0i64; d.len()];
        for (i, &p) in d.iter().enumerate() {
            inv[p] = i as i64;
        }
        rec.view_of(self).finish(out, move |ctx| Ok(vec![Some(ctx.grad(0).permute(&inv)?)]))
    }

    pub fn transpose(&self, a: i64, b: i64) -> Result<Tensor> {
        record_view(self, "TransposeBackward0", || self.transpose_forward(a, b), move |g| g.transpose(a, b))
    }

    pub fn t(&self) -> Result<Tensor> {
        record_view(self, "TBackward0", || self.t_forward(), |g| g.t())
    }

    /// `T`: all dims reversed.
    pub fn reversed_dims(&self) -> Result<Tensor> {
        let Some(rec) = begin("PermuteBackward0", &[self]) else { return Ok(self.mark_untracked_view(self.reversed_dims_forward())) };
        rec.view_of(self).finish(self.reversed_dims_forward(), |ctx| Ok(vec![Some(ctx.grad(0).reversed_dims()?)]))
    }

    /// `mT`: the last two dims swapped.
    pub fn mt(&self) -> Result<Tensor> {
        record_view(self, "TransposeBackward0", || self.mt_forward(), |g| g.mt())
    }

    pub fn expand(&self, shape_: &[usize]) -> Result<Tensor> {
        if shape_ == self.shape() {
            return Ok(self.clone());
        }
        let shape = self.shape().to_vec();
        record_view(self, "ExpandBackward0", || self.expand_forward(shape_), move |g| g.sum_to_shape(&shape))
    }

    pub fn squeeze(&self, dims: Option<&[i64]>) -> Result<Tensor> {
        let name = match dims {
            None => "SqueezeBackward0",
            Some([_]) => "SqueezeBackward1",
            Some(_) => "SqueezeBackward2",
        };
        let shape = sizes(self.shape());
        record_view(self, name, || self.squeeze_forward(dims), move |g| g.reshape(&shape))
    }

    pub fn unsqueeze(&self, dim: i64) -> Result<Tensor> {
        let shape = sizes(self.shape());
        record_view(self, "UnsqueezeBackward0", || self.unsqueeze_forward(dim), move |g| g.reshape(&shape))
    }

    pub fn movedim(&self, src: &[i64], dst: &[i64]) -> Result<Tensor> {
        let (s, d) = (src.to_vec(), dst.to_vec());
        record_view(self, "PermuteBackward0", || self.movedim_forward(src, dst), move |g| g.movedim(&d, &s))
    }

    // Views onto a subset of the elements: gradients scatter back (see `index_map`).
    pub fn narrow(&self, dim: i64, start: i64, length: i64) -> Result<Tensor> {
        record_window(self, names("SliceBackward0", "SliceBackwardBackward0"), move |t| t.narrow_forward(dim, start, length))
    }
    /// Basic slicing `start:stop:step` along `dim`.
    pub fn slice(&self, dim: usize, start: Option<i64>, stop: Option<i64>, step: i64) -> Result<Tensor> {
        record_window(self, names("SliceBackward0", "SliceBackwardBackward0"), move |t| t.slice_forward(dim, start, stop, step))
    }
    pub fn select(&self, dim: i64, index: i64) -> Result<Tensor> {
        record_window(self, names("SelectBackward0", "SelectBackwardBackward0"), move |t| t.select_forward(dim, index))
    }
    pub fn diagonal(&self, offset: i64, d1: i64, d2: i64) -> Result<Tensor> {
        record_window(self, names("DiagonalBackward0", "DiagonalBackwardBackward0"), move |t| t.diagonal_forward(offset, d1, d2))
    }
    pub fn as_strided(&self, size: &[i64], stride: &[i64], offset: Option<i64>) -> Result<Tensor> {
        record_storage_view(self, names("AsStridedBackward0", "AsStridedBackwardBackward0"), |t| t.as_strided_forward(size, stride, offset))
    }
    pub fn unfold(&self, dim: i64, size: i64, step: i64) -> Result<Tensor> {
        record_move(self, names("UnfoldBackward0", "UnfoldBackwardBackward0"), true, |t| t.unfold_forward(dim, size, step))
    }
    pub fn unbind(&self, dim: i64) -> Result<Vec<Tensor>> {
        record_windows(self, names("UnbindBackward0", "UnbindBackwardBackward0"), move |t: &Tensor| t.unbind_forward(dim))
    }
    /// `split(split_size, dim)`: equal pieces with a smaller last one.
    pub fn split_size(&self, size: i64, dim: i64) -> Result<Vec<Tensor>> {
        record_windows(self, names("SplitBackward0", "SplitBackwardBackward0"), move |t: &Tensor| t.split_size_forward(size, dim))
    }
    pub fn split_sizes(&self, sizes_: &[i64], dim: i64) -> Result<Vec<Tensor>> {
        let sizes_ = sizes_.to_vec();
        record_windows(self, names("SplitWithSizesBackward0", "SplitWithSizesBackwardBackward0"), move |t: &Tensor| t.split_sizes_forward(&sizes_, dim))
    }

    // Copies.
    /// `contiguous()`: `self` when already contiguous, else a recorded copy.
    pub fn contiguous(&self) -> Result<Tensor> {
        if self.is_contiguous() {
            return Ok(self.clone());
        }
        record_copy(self, "CloneBackward0", || self.contiguous_forward(), |g| Ok(g.clone()))
    }
    /// `Tensor.clone()`: a recorded copy into fresh storage.
    /// A copy; with `strides` (see `python::args::memory_format_strides`), laid out with them.
    pub fn clone_tensor(&self, strides: Option<Vec<usize>>) -> Result<Tensor> {
        record_copy(self, "CloneBackward0", || match &strides {
            // `strides` are dense: listing the dims from the largest stride down gives the order the
            // copy must be written in. A contiguous copy of the source viewed in that order is that
            // memory (a plain memcpy when the source already has these strides).
            Some(st) => {
                let mut order: Vec<usize> = (0..st.len()).collect();
                order.sort_by_key(|&d| std::cmp::Reverse(st[d]));
                let in_order = self.with_layout(self.layout().permute(&order)).deep_clone()?;
                Ok(Tensor::with_dense_strides(in_order, self.shape(), st.clone()))
            }
            None => self.deep_clone(),
        }, |g| Ok(g.clone()))
    }
    /// `torch.view_as_real`: a complex tensor's memory as (real, imaginary) pairs.
    pub fn view_as_real(&self) -> Result<Tensor> {
        if !self.dtype().is_complex() {
            crate::bail!(Runtime, "view_as_real is only supported for complex tensors");
        }
        record_view(self, "ViewAsRealBackward0", || Ok(self.real_view_forward()), |g| g.contiguous()?.view_as_complex())
    }
    /// A new tensor of (real, imaginary) pairs as complex, recorded as a copy rather than a view:
    /// the composed complex ops (`ops/complex/`) produce their results this way, so that an
    /// in-place op on a result treats it as the ordinary tensor it is.
    pub(crate) fn pairs_as_complex(&self) -> Result<Tensor> {
        let forward = || match self.complex_view_forward() {
            Ok(c) => Ok(c),
            Err(_) => self.contiguous_forward()?.complex_view_forward(),
        };
        record_copy(self, "ViewAsComplexBackward0", forward, |g| g.view_as_real())
    }
    /// `torch.view_as_complex`: (real, imaginary) pairs along the last dim as complex numbers.
    pub fn view_as_complex(&self) -> Result<Tensor> {
        record_view(self, "ViewAsComplexBackward0", || self.complex_view_forward(), |g| g.view_as_real())
    }
    /// `self` when it already has `dtype`, otherwise a converted copy (ToCopyBackward0).
    pub fn to_dtype(&self, dtype: DType) -> Result<Tensor> {
        if dtype == self.dtype() {
            return Ok(self.clone());
        }
        self.to_copy(dtype)
    }
    /// `to(device)`: a copy on another device; the gradient goes back to the input's device.
    pub fn to_device_grad(&self, device: crate::storage::Device) -> Result<Tensor> {
        if device == self.device() {
            return Ok(self.clone());
        }
        let from = self.device();
        record_copy(self, "ToCopyBackward0", || self.to_device(device), move |g| g.to_device(from))
    }
    /// `to(dtype, copy=True)`: always a copy; the gradient goes back in the input's dtype.
    pub fn to_copy(&self, dtype: DType) -> Result<Tensor> {
        let from = self.dtype();
        // A dense permuted source keeps its strides (PyTorch's preserve_format), cast in storage order.
        let convert = || match self.dense_permuted_strides() {
            Some(st) => Ok(Tensor::with_dense_strides(self.storage_order_view().to_dtype_copy(dtype)?, self.shape(), st)),
            None => self.to_dtype_copy(dtype),
        };
        record_copy(self, "ToCopyBackward0", convert, move |g| g.to_dtype(from))
    }
}
