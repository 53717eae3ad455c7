//! Shape ops that move data: concatenation and stacking, flips and rolls, repetition,
//! meshgrids and triangular masks. Pure view ops (reshape, permute, ...) live in `tensor.rs`.
//!
//! Everything here is either a view (meshgrid, atleast_*), a composition of views plus one
//! strided copy (`repeat`, `repeat_interleave` with an int), or a copy into slices of a fresh
//! output (`cat`), so each op costs at most one pass over its output.
use crate::backend::cpu;
use crate::dtype::{promote_types, DType, Element};
use crate::error::Result;
use crate::layout::Layout;
use crate::shape::{self, fmt_list, normalize_dim, normalize_dims, normalize_insert_dim};
use crate::tensor::Tensor;
use crate::{bail, with_dtype};

/// `[2, 3]` as PyTorch prints sizes in messages.
/// Copies `src` into the strided (non-overlapping) view `dst`, casting to `dst`'s dtype.
fn copy_cast(dst: &Tensor, src: &Tensor) -> Result<()> {
    if dst.device().is_gpu() || src.device().is_gpu() {
        return crate::backend::gpu::elementwise::copy_into(dst, &src.to_device(dst.device())?);
    }
    with_dtype!(src.dtype(), S, with_dtype!(dst.dtype(), D, cpu::copy_into::<S, D>(dst, src)));
    Ok(())
}

/// Reads the elements of `src`'s storage at `offset + sum(coord * strides)` (strides may be
/// negative) in row-major order of `shape`. The caller guarantees every address is in range.
fn gather_signed<T: Element>(src: &Tensor, shape: &[usize], strides: &[isize], offset: isize) -> Vec<T> {
    let n = shape::numel(shape);
    let mut out = Vec::with_capacity(n);
    if n == 0 {
        return out;
    }
    // SAFETY: read-only; the caller's layout stays within the storage.
    let data = unsafe { src.storage().slice::<T>() };
    if shape.is_empty() {
        out.push(data[offset as usize]);
        return out;
    }
    let nd = shape.len();
    let (inner, inner_st) = (shape[nd - 1], strides[nd - 1]);
    let mut coords = vec![0usize; nd - 1];
    loop {
        let mut base = offset;
        for d in 0..nd - 1 {
            base += coords[d] as isize * strides[d];
        }
        if inner_st == 1 {
            out.extend_from_slice(&data[base as usize..base as usize + inner]);
        } else if inner_st == -1 {
            out.extend(data[(base + 1 - inner as isize) as usize..=base as usize].iter().rev());
        } else {
            out.extend((0..inner).map(|i| data[(base + i as isize * inner_st) as usize]));
        }
        let mut d = nd - 1;
        loop {
            if d == 0 {
                return out;
            }
            d -= 1;
            coords[d] += 1;
            if coords[d] < shape[d] {
                break;
            }
            coords[d] = 0;
        }
    }
}

/// The sizes of a repetition, checked like PyTorch's creation functions (no negatives, no
/// overflow).
fn checked_product_shape(a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let sizes: Option<Vec<i64>> = a.iter().zip(b).map(|(&x, &y)| x.checked_mul(y).and_then(|p| i64::try_from(p).ok())).collect();
    match sizes {
        Some(s) => shape::check_sizes(&s),
        None => bail!(Runtime, "Storage size calculation overflowed with sizes={:?} * {:?}", a, b),
    }
}

/// `torch.cat`: concatenation along `dim`, promoting dtypes across inputs. 1-D empty tensors
/// are skipped (PyTorch's legacy rule) but still take part in promotion.
pub fn cat(tensors: &[Tensor], dim: i64) -> Result<Tensor> {
    if tensors.iter().any(|t| t.dtype().is_complex()) {
        return complex_cat(tensors, dim);
    }
    crate::autograd::formulas::shape::record_cat(tensors, dim)
}

/// `cat` with a complex input: every input in the promoted complex dtype, joined as real views.
fn complex_cat(tensors: &[Tensor], dim: i64) -> Result<Tensor> {
    let dtype = tensors.iter().skip(1).fold(tensors[0].dtype(), |d, t| promote_types(d, t.dtype()));
    // 1-D empty inputs are skipped (after taking part in promotion), as in `cat_forward`.
    let kept: Vec<&Tensor> = tensors.iter().filter(|t| !(t.ndim() == 1 && t.numel() == 0)).collect();
    let Some(first) = kept.first() else { return cat_forward(tensors, dim) };
    if let Some(i) = tensors.iter().position(|t| t.ndim() == 0) {
        bail!(Runtime, "zero-dimensional tensor (at position {}) cannot be concatenated", i);
    }
    let d = normalize_dim(dim, first.ndim())? as i64;
    let parts = kept.iter().map(|t| Ok(t.to_dtype(dtype)?.view_as_real()?)).collect::<Result<Vec<_>>>()?;
    cat(&parts, d)?.view_as_complex()
}

/// The `cat` kernel (unrecorded).
pub(crate) fn cat_forward(tensors: &[Tensor], dim: i64) -> Result<Tensor> {
    if tensors.is_empty() {
        bail!(Value, "torch.cat(): expected a non-empty list of Tensors");
    }
    for (i, t) in tensors.iter().enumerate() {
        if t.ndim() == 0 {
            bail!(Runtime, "zero-dimensional tensor (at position {}) cannot be concatenated", i);
        }
    }
    let dtype = tensors.iter().skip(1).fold(tensors[0].dtype(), |d, t| promote_types(d, t.dtype()));
    let skipped = |t: &Tensor| t.ndim() == 1 && t.numel() == 0;
    let Some(first) = tensors.iter().position(|t| !skipped(t)) else {
        normalize_dim(dim, 1)?;
        return Tensor::zeros(&[0], dtype);
    };
    let reference = &tensors[first];
    let d = normalize_dim(dim, reference.ndim())?;
    let mut out_shape = reference.shape().to_vec();
    out_shape[d] = 0;
    for (i, t) in tensors.iter().enumerate() {
        if skipped(t) {
            continue;
        }
        if t.ndim() != reference.ndim() {
            bail!(Runtime, "Tensors must have same number of dimensions: got {} and {}", reference.ndim(), t.ndim());
        }
        for k in 0..t.ndim() {
            if k != d && t.shape()[k] != reference.shape()[k] {
                bail!(Runtime, "Sizes of tensors must match except in dimension {}. Expected size {} but got size {} for tensor number {} in the list.",
                    d, reference.shape()[k], t.shape()[k], i);
            }
        }
        out_shape[d] += t.shape()[d];
    }
    let device = crate::tensor::common_device(&tensors.iter().map(Some).collect::<Vec<_>>())?;
    let out = Tensor::zeros_on(&out_shape, dtype, device)?;
    let mut start = 0;
    for t in tensors.iter().filter(|t| !skipped(t)) {
        let len = t.shape()[d];
        if len > 0 {
            copy_cast(&out.with_layout(out.layout().narrow(d, start, len)), t)?;
        }
        start += len;
    }
    Ok(out)
}

/// `torch.stack`: joins equal-shaped tensors along a new dim.
pub fn stack(tensors: &[Tensor], dim: i64) -> Result<Tensor> {
    if tensors.is_empty() {
        bail!(Runtime, "stack expects a non-empty TensorList");
    }
    let s0 = tensors[0].shape();
    for (i, t) in tensors.iter().enumerate().skip(1) {
        if t.shape() != s0 {
            bail!(Runtime, "stack expects each tensor to be equal size, but got {} at entry 0 and {} at entry {}", fmt_list(s0), fmt_list(t.shape()), i);
        }
    }
    let d = normalize_insert_dim(dim, s0.len())? as i64;
    let parts: Vec<Tensor> = tensors.iter().map(|t| t.unsqueeze(d)).collect::<Result<_>>()?;
    cat(&parts, d)
}

fn non_empty(tensors: &[Tensor], name: &str) -> Result<()> {
    if tensors.is_empty() {
        bail!(Runtime, "{} expects a non-empty TensorList", name);
    }
    Ok(())
}

/// `torch.hstack`: cat along dim 0 for 1-D inputs, dim 1 otherwise.
pub fn hstack(tensors: &[Tensor]) -> Result<Tensor> {
    non_empty(tensors, "hstack")?;
    let ts: Vec<Tensor> = tensors.iter().map(|t| t.atleast_1d()).collect::<Result<_>>()?;
    cat(&ts, if ts[0].ndim() == 1 { 0 } else { 1 })
}

/// `torch.vstack` / `row_stack`.
pub fn vstack(tensors: &[Tensor]) -> Result<Tensor> {
    non_empty(tensors, "vstack")?;
    let ts: Vec<Tensor> = tensors.iter().map(|t| t.atleast_2d()).collect::<Result<_>>()?;
    cat(&ts, 0)
}

/// `torch.dstack`: cat along the third dim.
pub fn dstack(tensors: &[Tensor]) -> Result<Tensor> {
    non_empty(tensors, "dstack")?;
    let ts: Vec<Tensor> = tensors.iter().map(|t| t.atleast_3d()).collect::<Result<_>>()?;
    cat(&ts, 2)
}

/// `torch.column_stack`: 0-d and 1-D inputs become columns.
pub fn column_stack(tensors: &[Tensor]) -> Result<Tensor> {
    non_empty(tensors, "column_stack")?;
    let ts: Vec<Tensor> = tensors
        .iter()
        .map(|t| if t.ndim() <= 1 { t.reshape(&[t.numel() as i64, 1]) } else { Ok(t.clone()) })
        .collect::<Result<_>>()?;
    cat(&ts, 1)
}

/// `torch.meshgrid`: views of each 0-d/1-D input expanded to the grid shape.
pub fn meshgrid(tensors: &[Tensor], indexing: &str) -> Result<Vec<Tensor>> {
    if tensors.is_empty() {
        bail!(Runtime, "torch.meshgrid: Expected at least one tensor");
    }
    if indexing != "ij" && indexing != "xy" {
        bail!(Runtime, "torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {}", indexing);
    }
    for t in tensors {
        if t.ndim() > 1 {
            bail!(Runtime, "torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: Tensor of shape {}", fmt_list(t.shape()));
        }
        if t.dtype() != tensors[0].dtype() {
            bail!(Runtime, "torch.meshgrid: Expected all tensors in the tensor list to have the same dtype, but got {} and {}", tensors[0].dtype().scalar_name(), t.dtype().scalar_name());
        }
    }
    let n = tensors.len();
    // With 'xy' the first two inputs swap roles (x varies along columns).
    let pos: Vec<usize> = (0..n).map(|i| if indexing == "xy" && n >= 2 && i < 2 { 1 - i } else { i }).collect();
    let mut grid = vec![0usize; n];
    for (i, t) in tensors.iter().enumerate() {
        grid[pos[i]] = t.numel();
    }
    tensors
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut sizes = vec![1i64; n];
            sizes[pos[i]] = t.numel() as i64;
            t.reshape(&sizes)?.expand(&grid)
        })
        .collect()
}

/// `torch.repeat_interleave(repeats)`: `arange(len(repeats))` with each index repeated.
pub fn repeat_interleave_counts(repeats: &Tensor) -> Result<Tensor> {
    let counts = repeat_counts(repeats, None)?;
    let idx: Vec<i64> = (0..counts.len() as i64).collect();
    let base = Tensor::from_vec(idx, &[counts.len()])?.to_device(repeats.device())?;
    base.repeat_interleave_tensor(repeats, Some(0), None)
}

/// Validated repeat counts from an integer tensor (0-d or 1-D).
fn repeat_counts(repeats: &Tensor, expected: Option<usize>) -> Result<Vec<usize>> {
    if repeats.ndim() > 1 {
        bail!(Runtime, "repeat_interleave only accept 1D vector as repeat");
    }
    if !matches!(repeats.dtype(), DType::I64 | DType::I32) {
        bail!(Runtime, "repeats has to be Long or Int tensor");
    }
    let v = repeats.to_vec::<i64>();
    if v.iter().any(|&r| r < 0) {
        bail!(Runtime, "repeats can not be negative");
    }
    let counts: Vec<usize> = v.into_iter().map(|r| r as usize).collect();
    if let Some(n) = expected {
        if counts.len() != n {
            bail!(Runtime, "repeats must have the same size as input along dim, but got repeats.size(0) = {} and input.size(0) = {}", counts.len(), n);
        }
    }
    Ok(counts)
}

impl Tensor {
    /// `torch.atleast_1d`: 0-d becomes shape [1]; others are returned as is.
    pub fn atleast_1d(&self) -> Result<Tensor> {
        if self.ndim() == 0 { self.reshape(&[1]) } else { Ok(self.clone()) }
    }
    /// `torch.atleast_2d`: 0-d -> [1, 1], 1-D [n] -> [1, n].
    pub fn atleast_2d(&self) -> Result<Tensor> {
        match self.ndim() {
            0 => self.reshape(&[1, 1]),
            1 => self.unsqueeze(0),
            _ => Ok(self.clone()),
        }
    }
    /// `torch.atleast_3d`: 0-d -> [1, 1, 1], [n] -> [1, n, 1], [m, n] -> [m, n, 1].
    pub fn atleast_3d(&self) -> Result<Tensor> {
        match self.ndim() {
            0 => self.reshape(&[1, 1, 1]),
            1 => self.unsqueeze(0)?.unsqueeze(2),
            2 => self.unsqueeze(2),
            _ => Ok(self.clone()),
        }
    }

    /// `Tensor.flip(dims)`: a copy with the order of elements reversed along `dims`.
    pub(crate) fn flip_forward(&self, dims: &[i64]) -> Result<Tensor> {
        let ds = if self.ndim() == 0 {
            for &d in dims {
                normalize_dim(d, 0)?;
            }
            vec![]
        } else {
            normalize_dims(dims, self.ndim())?
        };
        let mut strides: Vec<isize> = self.strides().iter().map(|&s| s as isize).collect();
        let mut offset = self.offset() as isize;
        if self.numel() > 0 {
            for &d in &ds {
                offset += (self.shape()[d] as isize - 1) * strides[d];
                strides[d] = -strides[d];
            }
        }
        let shape = self.shape().to_vec();
        if self.device().is_gpu() {
            // GPU layouts have unsigned strides: reverse each dim by gathering along it.
            let mut out = self.clone();
            for &d in &ds {
                let n = self.shape()[d] as i64;
                let rev = Tensor::from_vec((0..n).rev().collect::<Vec<i64>>(), &[n as usize])?.to_device(self.device())?;
                out = out.index_select_forward(d as i64, &rev)?;
            }
            return if out.same_storage(self) { out.deep_clone() } else { Ok(out) };
        }
        with_dtype!(self.dtype(), T, Tensor::from_vec(gather_signed::<T>(self, &shape, &strides, offset), &shape))
    }
    /// `Tensor.fliplr`: flip along dim 1.
    pub fn fliplr(&self) -> Result<Tensor> {
        if self.ndim() < 2 {
            bail!(Runtime, "Input must be >= 2-d.");
        }
        self.flip(&[1])
    }
    /// `Tensor.flipud`: flip along dim 0.
    pub fn flipud(&self) -> Result<Tensor> {
        if self.ndim() < 1 {
            bail!(Runtime, "Input must be >= 1-d.");
        }
        self.flip(&[0])
    }

    /// `Tensor.roll(shifts, dims)`; with no dims the tensor is rolled as if flattened.
    pub fn roll(&self, shifts: &[i64], dims: &[i64]) -> Result<Tensor> {
        if shifts.is_empty() {
            bail!(Runtime, "`shifts` required");
        }
        if dims.is_empty() {
            if shifts.len() != 1 {
                bail!(Runtime, "shifts and dimensions must align. shifts: {}, dims:0", shifts.len());
            }
            let flat = self.reshape(&[-1])?;
            let shape: Vec<i64> = self.shape().iter().map(|&s| s as i64).collect();
            return flat.roll(shifts, &[0])?.view(&shape);
        }
        if shifts.len() != dims.len() {
            bail!(Runtime, "shifts and dimensions must align. shifts: {}, dims:{}", shifts.len(), dims.len());
        }
        let mut x = self.clone();
        let mut moved = false;
        for (&s, &dim) in shifts.iter().zip(dims) {
            let d = normalize_dim(dim, self.ndim())?;
            let n = if self.ndim() == 0 { 1 } else { self.shape()[d] as i64 };
            if n == 0 {
                continue;
            }
            let s = s.rem_euclid(n);
            if s == 0 {
                continue;
            }
            x = cat(&[x.narrow(d as i64, n - s, s)?, x.narrow(d as i64, 0, n - s)?], d as i64)?;
            moved = true;
        }
        if moved { Ok(x) } else { self.clone_tensor(None) }
    }

    /// `Tensor.repeat(*sizes)`: tiles the tensor `sizes[i]` times along each dim.
    pub(crate) fn repeat_forward(&self, sizes: &[i64]) -> Result<Tensor> {
        if sizes.len() < self.ndim() {
            bail!(Runtime, "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor");
        }
        let reps = shape::check_sizes(sizes)?;
        let pad = sizes.len() - self.ndim();
        let mut src_shape = vec![1usize; pad];
        src_shape.extend_from_slice(self.shape());
        let mut src_strides = vec![0usize; pad];
        src_strides.extend_from_slice(self.strides());
        let out_shape = checked_product_shape(&reps, &src_shape)?;
        // Interleave a stride-0 "repeat" dim before each source dim; one strided copy then
        // materialises the whole tiling.
        let mut l = Layout { shape: vec![], strides: vec![], offset: self.offset() };
        for i in 0..reps.len() {
            l.shape.extend([reps[i], src_shape[i]]);
            l.strides.extend([0, src_strides[i]]);
        }
        let expanded = self.with_layout(l);
        let out = Tensor::zeros_on(expanded.shape(), self.dtype(), self.device())?;
        if out.numel() > 0 {
            copy_cast(&out, &expanded)?;
        }
        Ok(out.with_layout(Layout::contiguous(&out_shape)))
    }
    /// `Tensor.tile(dims)`: `repeat` with missing leading dims taken as 1.
    pub fn tile(&self, dims: &[i64]) -> Result<Tensor> {
        let mut sizes = vec![1i64; self.ndim().saturating_sub(dims.len())];
        sizes.extend_from_slice(dims);
        self.repeat(&sizes)
    }

    /// `repeat_interleave(int repeats, dim)`; `dim=None` flattens first.
    pub fn repeat_interleave(&self, repeats: i64, dim: Option<i64>, output_size: Option<i64>) -> Result<Tensor> {
        if repeats < 0 {
            bail!(Runtime, "repeats can not be negative");
        }
        let (x, d) = match dim {
            None => (self.reshape(&[-1])?, 0),
            Some(d) => (self.clone(), normalize_dim(d, self.ndim())?),
        };
        if x.ndim() == 0 {
            return x.reshape(&[1])?.repeat_interleave(repeats, Some(0), output_size);
        }
        let n = x.shape()[d];
        let total = (n as i64).checked_mul(repeats).ok_or_else(|| crate::error::Error::Runtime("repeat_interleave: output size overflowed".into()))?;
        if let Some(o) = output_size {
            if o != total {
                bail!(Runtime, "allocated size does not match required size");
            }
        }
        let mut exp = x.shape().to_vec();
        exp.insert(d + 1, repeats as usize);
        let mut out_shape: Vec<i64> = x.shape().iter().map(|&s| s as i64).collect();
        out_shape[d] = total;
        shape::check_sizes(&out_shape)?;
        x.unsqueeze(d as i64 + 1)?.expand(&exp)?.reshape(&out_shape)
    }
    /// `repeat_interleave(Tensor repeats, dim)`: a per-slice count along `dim`.
    pub(crate) fn repeat_interleave_tensor_forward(&self, repeats: &Tensor, dim: Option<i64>, output_size: Option<i64>) -> Result<Tensor> {
        if repeats.numel() == 1 && repeats.ndim() <= 1 && !repeats.dtype().is_float() {
            return self.repeat_interleave(repeats.item()?.to_i64(), dim, output_size);
        }
        let (x, d) = match dim {
            None => (self.reshape(&[-1])?, 0),
            Some(d) => (self.clone(), normalize_dim(d, self.ndim())?),
        };
        let x = x.atleast_1d()?;
        let counts = repeat_counts(repeats, Some(x.shape()[d]))?;
        let total = counts.iter().try_fold(0usize, |a, &c| a.checked_add(c));
        let Some(total) = total else { bail!(Runtime, "repeat_interleave: output size overflowed") };
        if let Some(o) = output_size {
            if o != total as i64 {
                bail!(Runtime, "allocated size does not match required size");
            }
        }
        let mut out_shape = x.shape().to_vec();
        out_shape[d] = total;
        shape::check_sizes(&out_shape.iter().map(|&s| s as i64).collect::<Vec<_>>())?;
        let out = Tensor::zeros_on(&out_shape, x.dtype(), x.device())?;
        let mut start = 0;
        for (i, &c) in counts.iter().enumerate() {
            if c == 0 {
                continue;
            }
            let dst = out.with_layout(out.layout().narrow(d, start, c));
            let mut src = x.layout().narrow(d, i, 1);
            src.shape[d] = c;
            src.strides[d] = 0;
            copy_cast(&dst, &x.with_layout(src))?;
            start += c;
        }
        Ok(out)
    }

    /// Zeroes the part of each matrix outside the kept triangle; `lower` keeps j - i <= k.
    fn triangle(&self, k: i64, lower: bool, name: &str) -> Result<Tensor> {
        if self.ndim() < 2 {
            bail!(Runtime, "{}: input tensor must have at least 2 dimensions", name);
        }
        let out = self.deep_clone()?;
        let nd = self.ndim();
        let (rows, cols) = (self.shape()[nd - 2], self.shape()[nd - 1]);
        if out.numel() == 0 {
            return Ok(out);
        }
        if out.device().is_gpu() {
            // The kept triangle as a (rows, cols) mask, broadcast over the batch dims.
            let keep: Vec<bool> = (0..rows * cols)
                .map(|p| {
                    let (i, j) = ((p / cols) as i64, (p % cols) as i64);
                    if lower { j - i <= k } else { j - i >= k }
                })
                .collect();
            let mask = Tensor::from_vec(keep, &[rows, cols])?.to_device(out.device())?.unary(crate::ops::unary::UnaryOp::LogicalNot)?;
            out.masked_fill_(&mask, crate::dtype::Scalar::Int(0))?;
            return Ok(out);
        }
        let es = self.dtype().size();
        let base = out.storage().as_ptr();
        let k = k.clamp(-(rows as i64) - 1, cols as i64 + 1);
        for m in 0..out.numel() / (rows * cols) {
            for i in 0..rows {
                // The zeroed columns of row i: [lo, hi).
                let edge = i as i64 + k;
                let (lo, hi) = if lower {
                    ((edge + 1).clamp(0, cols as i64) as usize, cols)
                } else {
                    (0, edge.clamp(0, cols as i64) as usize)
                };
                if lo < hi {
                    // SAFETY: `out` is a fresh contiguous tensor; the range lies in row i of
                    // matrix m. All-zero bytes are zero in every dtype.
                    unsafe {
                        let p = base.add(((m * rows + i) * cols + lo) * es);
                        std::ptr::write_bytes(p, 0, (hi - lo) * es);
                    }
                }
            }
        }
        Ok(out)
    }
    /// `Tensor.tril(diagonal)`: keeps elements on and below the `diagonal`-th diagonal.
    pub(crate) fn tril_forward(&self, diagonal: i64) -> Result<Tensor> {
        self.triangle(diagonal, true, "tril")
    }
    /// `Tensor.triu(diagonal)`: keeps elements on and above the `diagonal`-th diagonal.
    pub(crate) fn triu_forward(&self, diagonal: i64) -> Result<Tensor> {
        self.triangle(diagonal, false, "triu")
    }
    /// In-place `tril_`.
    pub fn tril_(&self, diagonal: i64) -> Result<()> {
        let r = self.tril(diagonal)?;
        self.copy_(&r)
    }
    /// In-place `triu_`.
    pub fn triu_(&self, diagonal: i64) -> Result<()> {
        let r = self.triu(diagonal)?;
        self.copy_(&r)
    }

    /// `Tensor.rot90(k, dims)`: rotation by 90 degrees `k` times from the first towards the
    /// second of `dims`.
    pub fn rot90(&self, k: i64, dims: &[i64]) -> Result<Tensor> {
        if dims.len() != 2 {
            bail!(Runtime, "expected total rotation dims == 2, but got dims = {}", dims.len());
        }
        if self.ndim() < 2 {
            bail!(Runtime, "expected total dims >= 2, but got total dims = {}", self.ndim());
        }
        let (a, b) = (normalize_dim(dims[0], self.ndim())?, normalize_dim(dims[1], self.ndim())?);
        if a == b {
            bail!(Runtime, "expected rotation dims to be different, but got dim0 = {} and dim1 = {}", dims[0], dims[1]);
        }
        let (a, b) = (a as i64, b as i64);
        match k.rem_euclid(4) {
            1 => self.flip(&[b])?.transpose(a, b)?.contiguous(),
            2 => self.flip(&[a, b]),
            3 => self.flip(&[a])?.transpose(a, b)?.contiguous(),
            _ => self.clone_tensor(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arange(n: usize, shape: &[usize]) -> Tensor {
        Tensor::from_vec((0..n as i64).collect::<Vec<_>>(), shape).unwrap()
    }

    #[test]
    fn cat_promotes_and_checks() {
        let a = arange(4, &[2, 2]);
        let b = Tensor::from_vec(vec![0.5f32, 1.5], &[2, 1]).unwrap();
        let c = cat(&[a.clone(), b.clone()], 1).unwrap();
        assert_eq!(c.dtype(), DType::F32);
        assert_eq!(c.to_vec::<f32>(), vec![0., 1., 0.5, 2., 3., 1.5]);
        let e = cat(&[a.clone(), arange(3, &[1, 3])], 1).unwrap_err();
        assert!(e.to_string().contains("Expected size 2 but got size 1 for tensor number 1"));
        let empty = Tensor::zeros(&[0], DType::F64).unwrap();
        let r = cat(&[empty, a.clone()], 0).unwrap();
        assert_eq!((r.dtype(), r.shape().to_vec()), (DType::F64, vec![2, 2]));
        assert!(cat(&[], 0).is_err());
        assert_eq!(stack(&[a.clone(), a.clone()], -1).unwrap().shape(), &[2, 2, 2]);
    }

    #[test]
    fn flips_rolls_repeats() {
        let a = arange(6, &[2, 3]);
        assert_eq!(a.flip(&[1]).unwrap().to_vec::<i64>(), vec![2, 1, 0, 5, 4, 3]);
        assert_eq!(a.t().unwrap().flip(&[0, 1]).unwrap().to_vec::<i64>(), vec![5, 2, 4, 1, 3, 0]);
        assert_eq!(a.roll(&[1], &[]).unwrap().to_vec::<i64>(), vec![5, 0, 1, 2, 3, 4]);
        assert_eq!(a.roll(&[-1], &[1]).unwrap().to_vec::<i64>(), vec![1, 2, 0, 4, 5, 3]);
        let r = arange(2, &[2]).repeat(&[2, 2]).unwrap();
        assert_eq!((r.shape().to_vec(), r.to_vec::<i64>()), (vec![2, 4], vec![0, 1, 0, 1, 0, 1, 0, 1]));
        assert!(a.repeat(&[2]).is_err());
        assert!(a.repeat(&[-1, 2]).is_err());
        let ri = arange(3, &[3]).repeat_interleave(2, None, None).unwrap();
        assert_eq!(ri.to_vec::<i64>(), vec![0, 0, 1, 1, 2, 2]);
        let reps = Tensor::from_vec(vec![1i64, 0, 2], &[3]).unwrap();
        let rt = a.repeat_interleave_tensor(&reps, Some(1), None).unwrap();
        assert_eq!(rt.to_vec::<i64>(), vec![0, 2, 2, 3, 5, 5]);
        assert_eq!(repeat_interleave_counts(&reps).unwrap().to_vec::<i64>(), vec![0, 2, 2]);
    }

    #[test]
    fn triangles_and_grids() {
        let a = arange(9, &[3, 3]);
        assert_eq!(a.tril(0).unwrap().to_vec::<i64>(), vec![0, 0, 0, 3, 4, 0, 6, 7, 8]);
        assert_eq!(a.triu(1).unwrap().to_vec::<i64>(), vec![0, 1, 2, 0, 0, 5, 0, 0, 0]);
        assert_eq!(a.triu(-5).unwrap().to_vec::<i64>(), a.to_vec::<i64>());
        let g = meshgrid(&[arange(2, &[2]), arange(3, &[3])], "xy").unwrap();
        assert_eq!(g[0].shape(), &[3, 2]);
        assert_eq!(g[0].to_vec::<i64>(), vec![0, 1, 0, 1, 0, 1]);
        assert_eq!(a.rot90(1, &[0, 1]).unwrap().to_vec::<i64>(), vec![2, 5, 8, 1, 4, 7, 0, 3, 6]);
    }
}
