//! Indexing ops: the gather/scatter family, `index_*`, `masked_*`, `where`, `nonzero`, `take`.
//! Python-style subscripting (`x[idx]`, `x[idx] = v`, `index_put_`) lives in `advanced.rs`.
//!
//! Every op here reduces to two kernels over an int64 index view: `gather_kernel` (read
//! `src` at positions picked along one dim) and `scatter_kernel` (write there). `index_select`,
//! `index_add`, `index_copy` and `index_fill` build their index as a stride-0 view of a 1-D
//! index, so they need no kernel of their own. Indices are validated in a first pass, so the
//! kernels themselves cannot go out of bounds.
mod advanced;
pub use advanced::TensorIndex;
// The recording `where` (the kernel is `where_forward`); formulas use it as `keep_where`.
pub use crate::autograd::formulas::index::where_;

use crate::backend::cpu::{self, collect_strided, Walk};
use crate::dtype::{result_type, DType, Element, Scalar};
use crate::error::Result;
use crate::layout::Layout;
use crate::ops::binary::{Arith, BinaryOp, Operand};
use crate::shape::{broadcast_all, normalize_dim};
use crate::tensor::Tensor;
use crate::{bail, with_dtype};
use rayon::prelude::*;

/// How `scatter` combines a written value with the one already in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reduce {
    /// Plain overwrite (duplicated indices: the last write wins).
    None,
    Add,
    Mul,
}

/// `scatter_reduce`'s reductions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScatterReduction {
    Sum,
    Prod,
    Mean,
    Amax,
    Amin,
}

impl ScatterReduction {
    pub fn parse(s: &str) -> Result<ScatterReduction> {
        Ok(match s {
            "sum" => ScatterReduction::Sum,
            "prod" => ScatterReduction::Prod,
            "mean" => ScatterReduction::Mean,
            // PyTorch takes max/min as the amax/amin they always meant here.
            "amax" | "max" => ScatterReduction::Amax,
            "amin" | "min" => ScatterReduction::Amin,
            _ => bail!(Runtime, "reduce argument must be either sum, prod, mean, amax or amin, got {}", s),
        })
    }
}

/// The value side of a scatter: a tensor (already in the destination dtype) or one number.
#[derive(Clone, Copy)]
pub enum Source<'a> {
    Tensor(&'a Tensor),
    Scalar(Scalar),
}

// ------------------------------------------------------------------------- helpers

fn is_index_dtype(d: DType) -> bool {
    matches!(d, DType::I64 | DType::I32)
}

/// The first index value outside `[lo, hi)`, if any. `index` must be int64.
fn first_out_of_range(index: &Tensor, lo: i64, hi: i64) -> Option<i64> {
    if index.device().is_gpu() {
        // Two reductions and one readback of both instead of a scan on the host.
        if index.numel() == 0 {
            return None;
        }
        let bound = |t: Result<Tensor>| t.and_then(|t| t.reshape(&[1]));
        let bounds = crate::ops::shape_ops::cat(&[bound(index.amin_forward(None, false)).ok()?, bound(index.amax_forward(None, false)).ok()?], 0).ok()?;
        let [min, max] = bounds.to_vec::<i64>()[..] else { return None };
        return if min < lo { Some(min) } else if max >= hi { Some(max) } else { None };
    }
    let mut bad = None;
    cpu::for_each::<i64>(index, |v| {
        if bad.is_none() && (v < lo || v >= hi) {
            bad = Some(v);
        }
    });
    bad
}

/// Treats a 0-d tensor as one element, as PyTorch's gather/scatter do.
fn at_least_1d(t: &Tensor) -> Tensor {
    if t.ndim() == 0 {
        t.with_layout(t.layout().unsqueeze(0))
    } else {
        t.clone()
    }
}

/// A view of 1-D `index` (int64) shaped like `shape`, varying only along `dim`.
fn index_along(index: &Tensor, dim: usize, shape: &[usize]) -> Tensor {
    let mut strides = vec![0; shape.len()];
    strides[dim] = if index.ndim() == 0 { 0 } else { index.strides()[0] };
    index.with_layout(Layout { shape: shape.to_vec(), strides, offset: index.offset() })
}

fn shape_with(shape: &[usize], dim: usize, size: usize) -> Vec<usize> {
    let mut s = shape.to_vec();
    s[dim] = size;
    s
}

fn check_same_dtype(fname: &str, a: &Tensor, b: &Tensor, what: &str) -> Result<()> {
    if a.dtype() != b.dtype() {
        bail!(
            Runtime,
            "{}(): self ({}) and {} ({}) must have the same scalar type",
            fname,
            a.dtype().scalar_name(),
            what,
            b.dtype().scalar_name()
        );
    }
    Ok(())
}

/// A 1-D (or 0-d) int32/int64 index for the `index_*` ops, as a contiguous int64 tensor.
fn vector_index(index: &Tensor, fname: &str, long_only: bool) -> Result<Tensor> {
    let ok = if long_only { index.dtype() == DType::I64 } else { is_index_dtype(index.dtype()) };
    if !ok {
        if long_only {
            bail!(Runtime, "{}(): Expected a long tensor for index, but got {}", fname, index.dtype().scalar_name());
        }
        bail!(Runtime, "{}(): Expected dtype int32/int64 for index", fname);
    }
    if index.ndim() > 1 {
        bail!(Index, "{}(): Index is supposed to be a vector", fname);
    }
    index.to_dtype(DType::I64)
}

// ------------------------------------------------------------------------- kernels

/// `out[p] = src[p with coordinate dim replaced by index[p]]` over `index`'s shape.
/// `index` is int64 with `src.ndim()` dims, each no larger than `src`'s apart from `dim`, and
/// every value is in range (negative values wrap).
fn gather_kernel(src: &Tensor, dim: usize, index: &Tensor) -> Result<Tensor> {
    if crate::tensor::common_device(&[Some(src), Some(index)])?.is_gpu() {
        return crate::backend::gpu::index::gather(src, dim, &index.to_device(src.device())?);
    }
    let shape = index.shape().to_vec();
    let step = src.strides()[dim] as i64;
    let size = src.shape()[dim] as i64;
    let mut sst = src.strides().to_vec();
    sst[dim] = 0;
    let walk = Walk::new(&shape, [&sst, index.strides()], [src.offset(), index.offset()]);
    // SAFETY: read-only views of both storages.
    let idx = unsafe { index.storage().slice::<i64>() };
    with_dtype!(src.dtype(), T, {
        let data = unsafe { src.storage().slice::<T>() };
        let out = collect_strided(crate::shape::numel(&shape), &walk, |o, [os, oi], len, [ss, si]| {
            for i in 0..len {
                let mut k = idx[oi + i * si];
                if k < 0 {
                    k += size;
                }
                o[i].write(data[(os + i * ss) + (k * step) as usize]);
            }
        });
        Tensor::from_vec(out, &shape)
    })
}

/// Writes `src` into `dst` at `index`'s positions along `dim` (the mirror of `gather_kernel`),
/// serially so that duplicated indices resolve deterministically (last write wins).
fn scatter_kernel(dst: &Tensor, dim: usize, index: &Tensor, src: Source, reduce: Reduce) -> Result<()> {
    if dst.device().is_gpu() {
        let src = match src {
            Source::Tensor(t) => t.clone(),
            Source::Scalar(s) => Tensor::scalar(s, dst.dtype())?.to_device(dst.device())?.expand(index.shape())?,
        };
        crate::tensor::common_device(&[Some(dst), Some(index), Some(&src)])?;
        use crate::backend::gpu::{index, segment};
        return match reduce {
            Reduce::None => index::scatter(dst, dim, index, &src, false),
            // Atomics where WGSL has them; the sort-based segmented reduction elsewhere.
            Reduce::Add if matches!(dst.dtype(), DType::F32 | DType::I32) => index::scatter(dst, dim, index, &src, true),
            Reduce::Add => segment::scatter(dst, dim, index, &src, ScatterReduction::Sum, true),
            Reduce::Mul => segment::scatter(dst, dim, index, &src, ScatterReduction::Prod, true),
        };
    }
    let shape = index.shape().to_vec();
    if crate::shape::numel(&shape) == 0 {
        return Ok(());
    }
    let step = dst.strides()[dim] as i64;
    let size = dst.shape()[dim] as i64;
    let mut dst_st = dst.strides().to_vec();
    dst_st[dim] = 0;
    let (src_t, src_st, src_off) = match src {
        Source::Tensor(t) => (Some(t), t.strides().to_vec(), t.offset()),
        Source::Scalar(_) => (None, vec![0; shape.len()], 0),
    };
    let walk = Walk::new(&shape, [&dst_st, index.strides(), &src_st], [dst.offset(), index.offset(), src_off]);
    // SAFETY: index and src do not share dst's storage (callers copy them first when they do).
    let idx = unsafe { index.storage().slice::<i64>() };
    with_dtype!(dst.dtype(), T, {
        let out = unsafe { dst.storage().slice_mut::<T>() };
        let scalar = match src {
            Source::Scalar(s) => T::from_scalar(s),
            Source::Tensor(_) => T::default(),
        };
        let vals: &[T] = match src_t {
            Some(t) => unsafe { t.storage().slice::<T>() },
            None => &[],
        };
        walk.runs(0, crate::shape::numel(&shape), |_, [od, oi, os], len, [sd, si, ss]| {
            for i in 0..len {
                let mut k = idx[oi + i * si];
                if k < 0 {
                    k += size;
                }
                let v = if src_t.is_some() { vals[os + i * ss] } else { scalar };
                let p = od + i * sd + (k * step) as usize;
                out[p] = match reduce {
                    Reduce::None => v,
                    Reduce::Add => out[p].add(v),
                    Reduce::Mul => out[p].mul(v),
                };
            }
        });
    });
    dst.storage().bump_version();
    Ok(())
}

// ------------------------------------------------------------------------- the ops

/// A gather/scatter index as int64: PyTorch takes int32 indices too, which are widened here.
fn index_as_i64(index: &Tensor, op: &str) -> Result<Tensor> {
    match index.dtype() {
        DType::I64 => Ok(index.clone()),
        DType::I32 => index.to_dtype_copy(DType::I64),
        _ => bail!(Runtime, "{op}(): Expected dtype int32/int64 for index"),
    }
}

impl Tensor {
    /// `torch.gather(input, dim, index)`: `out[i][j] = input[index[i][j]][j]` for `dim == 0`.
    pub(crate) fn gather_forward(&self, dim: i64, index: &Tensor) -> Result<Tensor> {
        let d = normalize_dim(dim, self.ndim())?;
        let index = &index_as_i64(index, "gather")?;
        let zero_d = index.ndim() == 0;
        let (src, idx) = (at_least_1d(self), at_least_1d(index));
        if idx.ndim() != src.ndim() && index.numel() > 0 {
            bail!(Runtime, "Index tensor must have the same number of dimensions as input tensor");
        }
        if idx.ndim() == src.ndim() {
            for i in 0..src.ndim() {
                if i != d && idx.shape()[i] > src.shape()[i] {
                    bail!(
                        Runtime,
                        "Size does not match at dimension {} expected index {:?} to be smaller than self {:?} apart from dimension {}",
                        i, index.shape(), self.shape(), d
                    );
                }
            }
        }
        if index.numel() == 0 {
            return Tensor::zeros_on(index.shape(), self.dtype(), self.device());
        }
        let size = src.shape()[d] as i64;
        if let Some(bad) = first_out_of_range(&idx, 0, size) {
            bail!(Runtime, "index {} is out of bounds for dimension {} with size {}", bad, d, size);
        }
        let out = gather_kernel(&src, d, &idx)?;
        Ok(if zero_d { out.with_layout(Layout::contiguous(&[])) } else { out })
    }

    /// Validates `scatter`'s arguments; returns the normalised dim and 1-d-ified views.
    fn scatter_checks(&self, dim: i64, index: &Tensor, src: Option<&Tensor>) -> Result<(usize, Tensor, Tensor)> {
        let d = normalize_dim(dim, self.ndim())?;
        // PyTorch names every scatter variant "scatter()" here.
        let index = &index_as_i64(index, "scatter")?;
        if let Some(s) = src {
            if s.dtype() != self.dtype() {
                // PyTorch names every scatter variant "scatter()" here.
                bail!(Runtime, "scatter(): Expected self.dtype to be equal to src.dtype");
            }
        }
        let (dst, idx) = (at_least_1d(self), at_least_1d(index));
        if index.numel() == 0 {
            return Ok((d, dst, idx));
        }
        if idx.ndim() != dst.ndim() {
            bail!(Runtime, "Index tensor must have the same number of dimensions as self tensor");
        }
        if let Some(s) = src {
            let s1 = at_least_1d(s);
            if s1.ndim() != idx.ndim() {
                bail!(Runtime, "Index tensor must have the same number of dimensions as src tensor");
            }
            if (0..idx.ndim()).any(|i| idx.shape()[i] > s1.shape()[i] || (i != d && idx.shape()[i] > dst.shape()[i])) {
                bail!(
                    Runtime,
                    "Expected index {:?} to be smaller than self {:?} apart from dimension {} and to be smaller size than src {:?}",
                    index.shape(), self.shape(), d, s.shape()
                );
            }
        } else if (0..idx.ndim()).any(|i| i != d && idx.shape()[i] > dst.shape()[i]) {
            bail!(
                Runtime,
                "Expected index {:?} to be smaller than self {:?} apart from dimension {}",
                index.shape(), self.shape(), d
            );
        }
        let size = dst.shape()[d] as i64;
        if let Some(bad) = first_out_of_range(&idx, 0, size) {
            bail!(Runtime, "index {} is out of bounds for dimension {} with size {}", bad, d, size);
        }
        Ok((d, dst, idx))
    }

    /// In-place `scatter_` / `scatter_add_` (`reduce` picks which) with a tensor or scalar source.
    pub fn scatter_inplace(&self, dim: i64, index: &Tensor, src: Source, reduce: Reduce) -> Result<()> {
        let src_t = match src {
            Source::Tensor(t) => Some(t),
            Source::Scalar(_) => None,
        };
        let (d, dst, idx) = self.scatter_checks(dim, index, src_t)?;
        self.check_writable_overlap()?;
        if index.numel() == 0 {
            return Ok(());
        }
        let idx = if idx.same_storage(self) { idx.deep_clone()? } else { idx };
        let src1;
        let src = match src {
            Source::Tensor(t) => {
                src1 = if t.same_storage(self) { at_least_1d(&t.deep_clone()?) } else { at_least_1d(t) };
                Source::Tensor(&src1)
            }
            s => s,
        };
        if self.dtype().is_complex() {
            return complex_scatter(&dst, d, &idx, src, reduce);
        }
        scatter_kernel(&dst, d, &idx, src, reduce)
    }

    /// Out-of-place `scatter` / `scatter_add`.
    pub(crate) fn scatter_forward(&self, dim: i64, index: &Tensor, src: Source, reduce: Reduce) -> Result<Tensor> {
        let out = self.deep_clone()?;
        out.scatter_inplace(dim, index, src, reduce)?;
        Ok(out)
    }

    /// `scatter_reduce(dim, index, src, reduce, include_self)`.
    pub(crate) fn scatter_reduce_forward(&self, dim: i64, index: &Tensor, src: &Tensor, reduce: ScatterReduction, include_self: bool) -> Result<Tensor> {
        let (d, _, idx) = self.scatter_checks(dim, index, Some(src))?;
        let out = self.contiguous()?.deep_clone()?;
        if index.numel() == 0 {
            return Ok(out);
        }
        if self.device().is_gpu() {
            crate::tensor::common_device(&[Some(self), Some(index), Some(src)])?;
            crate::backend::gpu::segment::scatter(&at_least_1d(&out), d, &at_least_1d(&idx), &at_least_1d(src), reduce, include_self)?;
            return Ok(out);
        }
        let src = at_least_1d(src);
        let outer = at_least_1d(&out);
        let n = out.numel();
        let mut counts: Vec<u32> = vec![u32::from(include_self); n];
        let shape = idx.shape().to_vec();
        let step = outer.strides()[d];
        let mut dst_st = outer.strides().to_vec();
        dst_st[d] = 0;
        let walk = Walk::new(&shape, [&dst_st, idx.strides(), src.strides()], [0, idx.offset(), src.offset()]);
        let ix = unsafe { idx.storage().slice::<i64>() };
        with_dtype!(self.dtype(), T, {
            // SAFETY: `out` is a fresh contiguous tensor owned here.
            let o = unsafe { out.storage().slice_mut::<T>() };
            let vals = unsafe { src.storage().slice::<T>() };
            walk.runs(0, crate::shape::numel(&shape), |_, [od, oi, os], len, [sd, si, ss]| {
                for i in 0..len {
                    let p = od + i * sd + ix[oi + i * si] as usize * step;
                    let v = vals[os + i * ss];
                    o[p] = if counts[p] == 0 {
                        v
                    } else {
                        match reduce {
                            ScatterReduction::Sum | ScatterReduction::Mean => o[p].add(v),
                            ScatterReduction::Prod => o[p].mul(v),
                            ScatterReduction::Amax => Arith::maximum(o[p], v),
                            ScatterReduction::Amin => Arith::minimum(o[p], v),
                        }
                    };
                    counts[p] += 1;
                }
            });
            if reduce == ScatterReduction::Mean {
                let is_float = self.dtype().is_float();
                for (x, &c) in o.iter_mut().zip(&counts) {
                    if c > 1 {
                        let cnt = T::from_i64(c as i64);
                        *x = if is_float { x.div(cnt) } else { x.floor_div(cnt) };
                    }
                }
            }
        });
        Ok(out)
    }

    /// `index_select(dim, index)`: the slices of `self` at `index` along `dim`.
    pub(crate) fn index_select_forward(&self, dim: i64, index: &Tensor) -> Result<Tensor> {
        let d = normalize_dim(dim, self.ndim())?;
        if !is_index_dtype(index.dtype()) {
            bail!(Runtime, "index_select(): Expected dtype int32 or int64 for index");
        }
        if index.ndim() > 1 {
            bail!(Index, "index_select(): Index is supposed to be a vector");
        }
        let idx = index.to_dtype(DType::I64)?;
        let src = at_least_1d(self);
        let size = src.shape()[d] as i64;
        if let Some(_bad) = first_out_of_range(&idx, 0, size) {
            bail!(Index, "index out of range in self");
        }
        let shape = shape_with(src.shape(), d, idx.numel());
        let out = gather_kernel(&src, d, &index_along(&idx, d, &shape))?;
        if self.ndim() == 0 {
            return Ok(out.with_layout(Layout::contiguous(index.shape())));
        }
        Ok(out)
    }

    /// Shared checks of `index_add_`/`index_copy_`: `source` is `self` with `dim` resized to
    /// `len(index)`.
    fn index_source_checks(&self, fname: &str, d: usize, idx: &Tensor, source: &Tensor) -> Result<()> {
        let s = at_least_1d(self);
        let src = at_least_1d(source);
        let n = idx.numel();
        if src.ndim() != s.ndim() || src.shape()[d] != n || (0..s.ndim()).any(|i| i != d && src.shape()[i] != s.shape()[i]) {
            bail!(
                Runtime,
                "{}(): Source/destination tensor must have same slice shapes. Destination slice shape: {:?} at dimension {} and source slice shape: {:?} at dimension 0. Number of indices ({}) must equal source.size(dim) ({})",
                fname, self.shape(), d, source.shape(), n, if src.ndim() > d { src.shape()[d] } else { 0 }
            );
        }
        Ok(())
    }

    /// `index_add_(dim, index, source, alpha)`: `self[index[i]] += alpha * source[i]` along `dim`.
    pub fn index_add_(&self, dim: i64, index: &Tensor, source: &Tensor, alpha: Scalar) -> Result<()> {
        let d = normalize_dim(dim, self.ndim())?;
        let idx = vector_index(index, "index_add_", false)?;
        check_same_dtype("index_add_", self, source, "source")?;
        self.index_source_checks("index_add_", d, &idx, source)?;
        let size = at_least_1d(self).shape()[d] as i64;
        if first_out_of_range(&idx, 0, size).is_some() {
            bail!(Index, "index out of range in self");
        }
        self.check_writable_overlap()?;
        let src = if alpha == Scalar::Int(1) || alpha == Scalar::Bool(true) {
            if source.same_storage(self) { source.deep_clone()? } else { source.clone() }
        } else {
            source.binary_scalar(alpha, BinaryOp::Mul)?.to_dtype(self.dtype())?
        };
        // A complex tensor's pairs travel together as a trailing dim of its real view.
        let (dst, src) = (at_least_1d(self).real_view_forward(), at_least_1d(&src).real_view_forward());
        let iv = index_along(&idx, d, src.shape());
        scatter_kernel(&dst, d, &iv, Source::Tensor(&src), Reduce::Add)
    }

    /// `index_copy_(dim, index, source)`: `self[index[i]] = source[i]` along `dim`.
    pub fn index_copy_(&self, dim: i64, index: &Tensor, source: &Tensor) -> Result<()> {
        let d = normalize_dim(dim, self.ndim())?;
        let idx = vector_index(index, "index_copy_", true)?;
        if source.dtype() != self.dtype() {
            bail!(
                Runtime,
                "index_copy_(): self and source expected to have the same dtype, but got (self) {} and (source) {}",
                self.dtype().scalar_name(), source.dtype().scalar_name()
            );
        }
        self.index_source_checks("index_copy_", d, &idx, source)?;
        let size = at_least_1d(self).shape()[d] as i64;
        if let Some(bad) = first_out_of_range(&idx, 0, size) {
            bail!(Index, "index_copy_(): index {} is out of bounds for dimension {} with size {}", bad, d, size);
        }
        self.check_writable_overlap()?;
        let src = if source.same_storage(self) { source.deep_clone()? } else { source.clone() };
        // A complex tensor's pairs travel together as a trailing dim of its real view.
        let (dst, src) = (at_least_1d(self).real_view_forward(), at_least_1d(&src).real_view_forward());
        let iv = index_along(&idx, d, src.shape());
        scatter_kernel(&dst, d, &iv, Source::Tensor(&src), Reduce::None)
    }

    /// `index_fill_(dim, index, value)`: fills the slices at `index` (negative indices wrap).
    pub fn index_fill_(&self, dim: i64, index: &Tensor, value: Scalar) -> Result<()> {
        let d = normalize_dim(dim, self.ndim())?;
        let idx = vector_index(index, "index_fill_", true)?;
        let dst = at_least_1d(self);
        let size = dst.shape()[d] as i64;
        if let Some(bad) = first_out_of_range(&idx, -size, size) {
            bail!(Index, "index {} is out of bounds for dimension {} with size {}", bad, d, size);
        }
        self.check_writable_overlap()?;
        let shape = shape_with(dst.shape(), d, idx.numel());
        let iv = index_along(&idx, d, &shape);
        if self.dtype().is_complex() {
            return complex_scatter(&dst, d, &iv, Source::Scalar(value), Reduce::None);
        }
        scatter_kernel(&dst, d, &iv, Source::Scalar(value), Reduce::None)
    }

    // --------------------------------------------------------------------- masks

    pub(crate) fn check_bool_mask(mask: &Tensor, fname: &str) -> Result<()> {
        if mask.dtype() != DType::Bool {
            bail!(Runtime, "{} only supports boolean masks, but got mask with dtype {}", fname, mask.dtype().cpp_name());
        }
        Ok(())
    }

    /// `masked_fill_(mask, value)`: `mask` broadcasts to `self`'s shape.
    pub fn masked_fill_(&self, mask: &Tensor, value: Scalar) -> Result<()> {
        Tensor::check_bool_mask(mask, "masked_fill_")?;
        let m = mask.expand(self.shape())?;
        self.check_writable_overlap()?;
        if self.dtype().is_complex() {
            let filled = where_forward(&m, Operand::Tensor(&Tensor::scalar(value, self.dtype())?), Operand::Tensor(self))?;
            return self.copy_(&filled);
        }
        if crate::tensor::common_device(&[Some(self), Some(mask)])?.is_gpu() {
            let v = Tensor::scalar(value, self.dtype())?.to_device(self.device())?.expand(self.shape())?;
            let m = m.to_device(self.device())?;
            let filled = crate::backend::gpu::elementwise::map(&[&m, &v, self], self.shape(), self.dtype(), "select(x2, x1, x0 != 0u)")?;
            return self.copy_(&filled);
        }
        let m = if m.same_storage(self) { m.deep_clone()? } else { m };
        let mb = unsafe { m.storage().slice::<bool>() };
        with_dtype!(self.dtype(), T, {
            let v = T::from_scalar(value);
            // SAFETY: the mask is not in self's storage (copied above when it was).
            let out = unsafe { self.storage().slice_mut::<T>() };
            Walk::of([self, &m]).runs(0, self.numel(), |_, [o, om], len, [s, sm]| {
                for i in 0..len {
                    if mb[om + i * sm] {
                        out[o + i * s] = v;
                    }
                }
            });
        });
        self.storage().bump_version();
        Ok(())
    }

    /// Out-of-place `masked_fill`: the result has the broadcast shape of `self` and `mask`.
    pub(crate) fn masked_fill_forward(&self, mask: &Tensor, value: Scalar) -> Result<Tensor> {
        Tensor::check_bool_mask(mask, "masked_fill_")?;
        let shape = broadcast_all(&[self.shape(), mask.shape()])?;
        let out = self.expand(&shape)?.deep_clone()?;
        out.masked_fill_(mask, value)?;
        Ok(out)
    }

    /// `masked_scatter_(mask, source)`: the k-th true position of `mask` gets `source`'s k-th
    /// element (row-major order).
    pub fn masked_scatter_(&self, mask: &Tensor, source: &Tensor) -> Result<()> {
        if mask.dtype() != DType::Bool {
            bail!(Runtime, "masked_scatter_ only supports boolean masks, but got mask with dtype {}", mask.dtype().cpp_name());
        }
        if source.dtype() != self.dtype() {
            bail!(
                Runtime,
                // (PyTorch's text, without the space after "got".)
                "masked_scatter: expected self and source to have same dtypes but got{} and {}",
                self.dtype().scalar_name(), source.dtype().scalar_name()
            );
        }
        if self.dtype().is_complex() {
            let pairs = pair_mask(&mask.expand(self.shape())?)?;
            return self.real_view_forward().masked_scatter_(&pairs, &source.real_view_forward());
        }
        let m = mask.expand(self.shape())?.contiguous()?;
        if self.device().is_gpu() {
            // The mask's true positions come from a GPU stream compaction (only their count
            // reaches the host); they take the leading elements of source in one scatter.
            crate::tensor::common_device(&[Some(self), Some(mask), Some(source)])?;
            let positions = crate::backend::gpu::scan::nonzero(&m.reshape(&[-1])?)?;
            let count = positions.shape()[0];
            if count > source.numel() {
                bail!(Runtime, "Number of elements of source < number of ones in mask");
            }
            let positions = positions.with_layout(Layout::contiguous(&[count]));
            let values = source.reshape(&[-1])?.narrow(0, 0, count as i64)?;
            self.check_writable_overlap()?;
            return crate::backend::gpu::index::put_offsets(self, &self.storage_offsets_gpu(&positions)?, &[0], &values, false);
        }
        let count = m.to_vec::<bool>().iter().filter(|&&b| b).count();
        if count > source.numel() {
            bail!(Runtime, "Number of elements of source < number of ones in mask");
        }
        self.check_writable_overlap()?;
        let src = source.contiguous()?.deep_clone()?;
        let mb = m.to_vec::<bool>();
        with_dtype!(self.dtype(), T, {
            let vals = src.to_vec::<T>();
            let out = unsafe { self.storage().slice_mut::<T>() };
            let mut k = 0usize;
            Walk::of([self]).runs(0, self.numel(), |pos, [o], len, [s]| {
                for i in 0..len {
                    if mb[pos + i] {
                        out[o + i * s] = vals[k];
                        k += 1;
                    }
                }
            });
        });
        self.storage().bump_version();
        Ok(())
    }

    /// `masked_select(mask)`: the elements where the (broadcast) mask is true, as a 1-D tensor.
    pub(crate) fn masked_select_forward(&self, mask: &Tensor) -> Result<Tensor> {
        if mask.dtype() != DType::Bool {
            bail!(Runtime, "masked_select: expected BoolTensor for mask");
        }
        let shape = broadcast_all(&[self.shape(), mask.shape()])?;
        let (a, m) = (self.expand(&shape)?, mask.expand(&shape)?);
        if self.dtype().is_complex() {
            let pairs = a.real_view_forward().masked_select_forward(&pair_mask(&m)?)?;
            return pairs.reshape(&[-1, 2])?.complex_view_forward();
        }
        if crate::tensor::common_device(&[Some(self), Some(mask)])?.is_gpu() {
            // Positions of the true elements by a GPU stream compaction (only their count
            // comes back to the host), then one gather.
            let positions = crate::backend::gpu::scan::nonzero(&m.reshape(&[-1])?)?;
            let positions = positions.with_layout(crate::layout::Layout::contiguous(&[positions.shape()[0]]));
            let values = a.contiguous()?.reshape(&[-1])?;
            return crate::backend::gpu::index::gather(&values, 0, &positions);
        }
        let ab = unsafe { m.storage().slice::<bool>() };
        with_dtype!(self.dtype(), T, {
            let data = unsafe { a.storage().slice::<T>() };
            let mut out: Vec<T> = Vec::new();
            Walk::of([&a, &m]).runs(0, a.numel(), |_, [oa, om], len, [sa, sm]| {
                for i in 0..len {
                    if ab[om + i * sm] {
                        out.push(data[oa + i * sa]);
                    }
                }
            });
            let n = out.len();
            Tensor::from_vec(out, &[n])
        })
    }

    // --------------------------------------------------------------------- nonzero, take

    /// Row-major coordinates of the non-zero elements, flattened (`n * ndim` values).
    fn nonzero_coords(&self) -> (Vec<i64>, usize) {
        let nd = self.ndim();
        let shape = self.shape().to_vec();
        let mut coords = vec![0i64; nd];
        let mut out = Vec::new();
        let mut n = 0;
        with_dtype!(self.dtype(), T, {
            cpu::for_each::<T>(self, |v: T| {
                if v.is_true() {
                    out.extend_from_slice(&coords);
                    n += 1;
                }
                for d in (0..nd).rev() {
                    coords[d] += 1;
                    if (coords[d] as usize) < shape[d] {
                        break;
                    }
                    coords[d] = 0;
                }
            })
        }, complex => unreachable!("nonzero() compares complex tensors with 0 first"));
        (out, n)
    }

    /// `nonzero()`: an `[n, ndim]` int64 tensor of the coordinates of non-zero elements.
    pub fn nonzero(&self) -> Result<Tensor> {
        if self.dtype().is_complex() {
            return self.binary_scalar(Scalar::Int(0), crate::ops::binary::BinaryOp::Ne)?.nonzero();
        }
        if self.device().is_gpu() {
            return crate::backend::gpu::scan::nonzero(self);
        }
        let (c, n) = self.nonzero_coords();
        Tensor::from_vec(c, &[n, self.ndim()])
    }

    /// `nonzero(as_tuple=True)`: one 1-D int64 tensor per dim (a 0-d input counts as 1-D).
    pub fn nonzero_tuple(&self) -> Result<Vec<Tensor>> {
        if self.dtype().is_complex() {
            return self.binary_scalar(Scalar::Int(0), crate::ops::binary::BinaryOp::Ne)?.nonzero_tuple();
        }
        let t = at_least_1d(self);
        if self.device().is_gpu() {
            let coords = crate::backend::gpu::scan::nonzero(&t)?;
            return (0..t.ndim()).map(|d| coords.select(1, d as i64)?.contiguous()).collect();
        }
        let (c, n) = t.nonzero_coords();
        let nd = t.ndim();
        (0..nd).map(|d| Tensor::from_vec((0..n).map(|i| c[i * nd + d]).collect::<Vec<i64>>(), &[n])).collect()
    }

    /// `take(index)`: `self.flatten()[index]`, with the result shaped like `index`.
    pub(crate) fn take_forward(&self, index: &Tensor) -> Result<Tensor> {
        if index.dtype() != DType::I64 {
            bail!(Runtime, "take(): Expected a long tensor for index, but got {}", index.dtype().scalar_name());
        }
        let n = self.numel() as i64;
        if let Some(bad) = first_out_of_range(index, -n, n) {
            bail!(Index, "out of range: tried to access index {} on a tensor of {} elements.", bad, n);
        }
        if self.dtype().is_complex() {
            let pairs = self.contiguous()?.real_view_forward().reshape(&[n, 2])?;
            let picked = pairs.index_select_forward(0, &wrap_negative(&index.reshape(&[-1])?, n)?)?;
            let shape: Vec<i64> = with_pairs(index.shape()).iter().map(|&s| s as i64).collect();
            return picked.reshape(&shape)?.complex_view_forward();
        }
        let flat = self.contiguous()?;
        let flat = flat.with_layout(Layout { shape: vec![self.numel()], strides: vec![1], offset: flat.offset() });
        let idx = index.with_layout(Layout { shape: index.shape().to_vec(), ..index.layout().clone() });
        // Gather along the single dim of `flat`, with the index viewed as one long vector.
        let idx_flat = idx.contiguous()?;
        let idx_flat = idx_flat.with_layout(Layout { shape: vec![index.numel()], strides: vec![1], offset: idx_flat.offset() });
        let out = gather_kernel(&flat, 0, &idx_flat)?;
        Ok(out.with_layout(Layout::contiguous(index.shape())))
    }

    /// `take_along_dim(indices, dim)`: `gather` after broadcasting all dims but `dim`;
    /// without a dim, both are flattened.
    pub(crate) fn take_along_dim_forward(&self, indices: &Tensor, dim: Option<i64>) -> Result<Tensor> {
        let indices = &index_as_i64(indices, "gather")?;
        let Some(dim) = dim else {
            let a = self.reshape(&[-1])?;
            return a.gather(0, &indices.reshape(&[-1])?);
        };
        if self.ndim() != indices.ndim() {
            bail!(
                Runtime,
                "torch.take_along_dim(): input and indices should have the same number of dimensions, but got {} dimensions for input, and {} dimensions for indices",
                self.ndim(), indices.ndim()
            );
        }
        let d = normalize_dim(dim, self.ndim())?;
        if self.ndim() == 0 {
            return self.gather(0, indices);
        }
        let mut a_shape = self.shape().to_vec();
        let mut i_shape = indices.shape().to_vec();
        a_shape[d] = 1;
        i_shape[d] = 1;
        let b = broadcast_all(&[&a_shape, &i_shape])?;
        let a = self.expand(&shape_with(&b, d, self.shape()[d]))?;
        let i = indices.expand(&shape_with(&b, d, indices.shape()[d]))?;
        a.gather(d as i64, &i)
    }

    /// `put_(index, source, accumulate)`: writes `source` into the flattened `self`.
    pub fn put_(&self, index: &Tensor, source: &Tensor, accumulate: bool) -> Result<()> {
        if index.dtype() != DType::I64 {
            bail!(Runtime, "put_(): Expected a long tensor for index, but got {}", index.dtype().scalar_name());
        }
        if source.dtype() != self.dtype() {
            bail!(Runtime, "put_(): self and source expected to have the same dtype, but got self.dtype = {} and source.dtype = {}", self.dtype().scalar_name(), source.dtype().scalar_name());
        }
        if index.numel() != source.numel() {
            bail!(Runtime, "put_(): Expected source and index to have the same number of elements, but got source.numel() = {}, index.numel() = {}", source.numel(), index.numel());
        }
        let n = self.numel() as i64;
        if let Some(bad) = first_out_of_range(index, -n, n) {
            bail!(Index, "out of range: tried to access index {} on a tensor of {} elements.", bad, n);
        }
        self.check_writable_overlap()?;
        if self.dtype().is_complex() {
            // Element k of self is elements 2k and 2k+1 of its flattened real view.
            let k = wrap_negative(&index.reshape(&[-1])?, n)?.binary_scalar(Scalar::Int(2), BinaryOp::Mul)?;
            let pairs = crate::ops::shape_ops::stack(&[k.clone(), k.binary_scalar(Scalar::Int(1), BinaryOp::Add)?], -1)?.reshape(&[-1])?;
            return self.real_view_forward().put_(&pairs, &source.real_view_forward().reshape(&[-1])?, accumulate);
        }
        if self.device().is_gpu() {
            // Negative indices wrap and become storage offsets on the GPU; the index data
            // never travels to the host.
            let flat = index.to_device(self.device())?.reshape(&[-1])?;
            let wrapped = wrap_negative(&flat, n)?;
            let src = source.to_device(self.device())?.reshape(&[-1])?;
            return crate::backend::gpu::index::put_offsets(self, &self.storage_offsets_gpu(&wrapped)?, &[0], &src, accumulate);
        }
        let idx = index.to_vec::<i64>();
        let shape = self.shape().to_vec();
        let strides = self.strides().to_vec();
        let base = self.offset();
        with_dtype!(self.dtype(), T, {
            let vals = source.to_vec::<T>();
            let out = unsafe { self.storage().slice_mut::<T>() };
            for (&k, v) in idx.iter().zip(vals) {
                let mut flat = (if k < 0 { k + n } else { k }) as usize;
                let mut off = base;
                for d in (0..shape.len()).rev() {
                    off += (flat % shape[d]) * strides[d];
                    flat /= shape[d];
                }
                out[off] = if accumulate { out[off].add(v) } else { v };
            }
        });
        self.storage().bump_version();
        Ok(())
    }
}

/// `index` with negative entries counted from the end of a dim of `size`.
pub(crate) fn wrap_negative(index: &Tensor, size: i64) -> Result<Tensor> {
    let negative = index.binary_scalar(Scalar::Int(0), BinaryOp::Lt)?;
    where_forward(&negative, Operand::Tensor(&index.binary_scalar(Scalar::Int(size), BinaryOp::Add)?), Operand::Tensor(index))
}

/// `shape` with the trailing 2 of a complex tensor's real view.
fn with_pairs(shape: &[usize]) -> Vec<usize> {
    let mut s = shape.to_vec();
    s.push(2);
    s
}

/// A mask (or index) over a complex tensor, widened to address both parts of its real view.
fn pair_mask(mask: &Tensor) -> Result<Tensor> {
    mask.unsqueeze_forward(-1)?.expand(&with_pairs(mask.shape()))
}

/// `scatter_` into a complex `dst` (already checked and made at least 1-d): the same scatter
/// on the real views, the index repeated for both parts.
fn complex_scatter(dst: &Tensor, d: usize, idx: &Tensor, src: Source, reduce: Reduce) -> Result<()> {
    let values = match src {
        Source::Tensor(t) => t.detach(),
        Source::Scalar(s) => Tensor::scalar(s, dst.dtype())?.to_device(dst.device())?.expand(idx.shape())?,
    };
    if reduce == Reduce::Mul {
        // The product of the values that land on each element, in polar form: magnitudes
        // multiplied and angles added by real scatters; then one complex multiply.
        let real = dst.dtype().to_real();
        let parts = values.real_view_forward();
        let last = parts.ndim() - 1;
        let (re, im) = (parts.with_layout(parts.layout().select(last, 0)), parts.with_layout(parts.layout().select(last, 1)));
        let magnitude = Tensor::full_on(dst.shape(), Scalar::Int(1), real, dst.device())?;
        scatter_kernel(&magnitude, d, idx, Source::Tensor(&re.binary(&im, BinaryOp::Hypot)?), Reduce::Mul)?;
        let angle = Tensor::zeros_on(dst.shape(), real, dst.device())?;
        scatter_kernel(&angle, d, idx, Source::Tensor(&im.binary(&re, BinaryOp::Atan2)?), Reduce::Add)?;
        let (cos, sin) = (angle.unary(crate::ops::unary::UnaryOp::Cos)?, angle.unary(crate::ops::unary::UnaryOp::Sin)?);
        let factor = Tensor::complex_from_parts(&magnitude.mul(&cos)?, &magnitude.mul(&sin)?)?;
        return dst.copy_(&dst.detach().mul(&factor)?);
    }
    scatter_kernel(&dst.real_view_forward(), d, &pair_mask(idx)?, Source::Tensor(&values.real_view_forward()), reduce)
}

impl Tensor {
    /// The storage offsets (int32, on the GPU) of in-range row-major positions `flat` (a 1-D
    /// int64 GPU tensor) of `self`: one multiply-add per dim, no host round trip.
    fn storage_offsets_gpu(&self, flat: &Tensor) -> Result<Tensor> {
        let mut offsets = flat.clone();
        if !self.is_contiguous() {
            // offset = sum over dims of (position's coordinate along d) * stride[d].
            let mut rest = flat.clone();
            for d in (0..self.ndim()).rev() {
                let size = Scalar::Int(self.shape()[d] as i64);
                let coord = if d == 0 { rest.clone() } else { rest.binary_scalar(size, BinaryOp::Remainder)? };
                let term = coord.binary_scalar(Scalar::Int(self.strides()[d] as i64), BinaryOp::Mul)?;
                offsets = if d + 1 == self.ndim() { term } else { offsets.binary(&term, BinaryOp::Add)? };
                rest = rest.binary_scalar(size, BinaryOp::FloorDiv)?;
            }
        }
        offsets.binary_scalar(Scalar::Int(self.offset() as i64), BinaryOp::Add)?.to_dtype(DType::I32)
    }
}

// ------------------------------------------------------------------------- where

/// `torch.where(cond, x, y)`: `x` where `cond`, else `y`; `x`/`y` may be numbers, which (as in
/// PyTorch) do not widen a tensor's dtype within its category.
pub(crate) fn where_forward(cond: &Tensor, x: Operand, y: Operand) -> Result<Tensor> {
    if cond.dtype() != DType::Bool {
        bail!(Runtime, "where expected condition to be a boolean tensor, but got a tensor with dtype {}", cond.dtype().scalar_name());
    }
    if x.tensor().is_some_and(|t| t.dtype().is_complex()) || y.tensor().is_some_and(|t| t.dtype().is_complex()) {
        return crate::ops::complex::complex_where(cond, x, y);
    }
    let pa = |o: &Operand| match o {
        Operand::Tensor(t) => crate::dtype::PromoteArg::Tensor { dtype: t.dtype(), zero_dim: t.ndim() == 0 },
        Operand::Scalar(s) => crate::dtype::PromoteArg::Scalar(*s),
    };
    let dtype = result_type(&[pa(&x), pa(&y)]);
    let mat = |o: &Operand| -> Result<Tensor> {
        match o {
            Operand::Tensor(t) => t.to_dtype(dtype),
            Operand::Scalar(s) => Tensor::scalar(*s, dtype),
        }
    };
    let (tx, ty) = (mat(&x)?, mat(&y)?);
    let shape = broadcast_all(&[cond.shape(), tx.shape(), ty.shape()])?;
    let device = crate::tensor::common_device(&[Some(cond), x.tensor(), y.tensor()])?;
    let (c, tx, ty) = (cond.to_device(device)?.expand(&shape)?, tx.to_device(device)?.expand(&shape)?, ty.to_device(device)?.expand(&shape)?);
    if device.is_gpu() {
        return crate::backend::gpu::elementwise::map(&[&c, &tx, &ty], &shape, dtype, "select(x2, x1, x0 != 0u)");
    }
    with_dtype!(dtype, T, Tensor::from_vec(cpu::map3(&c, &tx, &ty, |c: bool, a: T, b: T| if c { a } else { b }), &shape))
}

/// Copies `rows` (each `row_len` long) out of `data` into `out`, in parallel when large.
/// `starts[r]` is row r's first storage offset; `unit` says rows are contiguous in storage.
fn gather_rows<T: Element>(out: &mut [T], data: &[T], starts: &[usize], row: &[usize]) {
    let row_len = row.len();
    if row_len == 0 {
        return;
    }
    if row_len == 1 {
        let r = row[0];
        if !cpu::parallel(out.len()) {
            out.iter_mut().zip(starts).for_each(|(o, &s)| *o = data[s + r]);
        } else {
            out.par_iter_mut().zip(starts.par_iter()).for_each(|(o, &s)| *o = data[s + r]);
        }
        return;
    }
    let unit = row.iter().enumerate().all(|(i, &o)| o == i);
    let copy_row = |o: &mut [T], s: usize| {
        if unit {
            o.copy_from_slice(&data[s..s + row_len]);
        } else {
            for (x, &r) in o.iter_mut().zip(row) {
                *x = data[s + r];
            }
        }
    };
    if !cpu::parallel(out.len()) {
        out.chunks_mut(row_len).zip(starts).for_each(|(o, &s)| copy_row(o, s));
    } else {
        out.par_chunks_mut(row_len).zip(starts.par_iter()).for_each(|(o, &s)| copy_row(o, s));
    }
}

/// Storage offsets (relative) of every element of a strided block, row-major.
fn block_offsets(shape: &[usize], strides: &[usize]) -> Vec<usize> {
    let mut offs = vec![0usize];
    for (&s, &st) in shape.iter().zip(strides) {
        let mut next = Vec::with_capacity(offs.len() * s);
        for &o in &offs {
            for i in 0..s {
                next.push(o + i * st);
            }
        }
        offs = next;
    }
    offs
}

#[cfg(test)]
mod tests;
