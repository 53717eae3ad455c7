//! Tensor: a typed, strided view of a shared Storage. The Rust API of the library.
//!
//! Ops live in `ops/`, one file per family, as further `impl Tensor` blocks; this file holds
//! the struct, construction from data, metadata, view ops and conversions.
use crate::backend::cpu;
use crate::dtype::{DType, Element, Scalar};
use crate::error::{Error, Result};
use crate::layout::{check_narrow, Layout};
use crate::shape::{self, normalize_dim, normalize_insert_dim};
use crate::storage::{Device, Storage};
use crate::{bail, with_dtype};
use std::sync::Arc;

use crate::autograd::AutogradMeta;

/// `autograd` is None for tensors outside any graph (the common case: one null pointer).
#[derive(Clone)]
pub struct Tensor {
    storage: Arc<Storage>,
    layout: Layout,
    dtype: DType,
    /// Set lazily (through `&self` too), so that a view can share its base's meta.
    pub(crate) autograd: std::sync::OnceLock<Arc<AutogradMeta>>,
}

/// The device an op on these tensors runs on. 0-d CPU tensors mix with tensors on any device
/// (they travel as values), as in PyTorch; any other mix is an error.
pub fn common_device(ts: &[Option<&Tensor>]) -> Result<Device> {
    let mut dev: Option<Device> = None;
    for t in ts.iter().flatten() {
        let d = t.device();
        if d == Device::Cpu && t.ndim() == 0 {
            continue;
        }
        match dev {
            None => dev = Some(d),
            Some(x) if x != d => bail!(
                Runtime,
                "Expected all tensors to be on the same device, but found at least two devices, {} and {}!",
                device_name(Device::Gpu),
                device_name(Device::Cpu)
            ),
            _ => {}
        }
    }
    Ok(dev.unwrap_or(Device::Cpu))
}

/// The device as PyTorch prints it in messages ("gpu:0", "cpu").
pub fn device_name(d: Device) -> &'static str {
    match d {
        Device::Cpu => "cpu",
        Device::Gpu => "gpu:0",
    }
}

impl std::fmt::Debug for Tensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tensor({:?}, dtype={})", self.shape(), self.dtype.name())
    }
}

impl Tensor {
    // ---------------------------------------------------------------- construction
    pub fn from_parts(storage: Arc<Storage>, layout: Layout, dtype: DType) -> Tensor {
        Tensor { storage, layout, dtype, autograd: std::sync::OnceLock::new() }
    }

    pub fn from_vec<T: Element>(v: Vec<T>, shape: &[usize]) -> Result<Tensor> {
        if v.len() != shape::numel(shape) {
            bail!(Runtime, "from_vec: {} values for shape {:?}", v.len(), shape);
        }
        Ok(Tensor::from_parts(Arc::new(Storage::from_vec(v)?), Layout::contiguous(shape), T::DTYPE))
    }

    pub fn zeros(shape: &[usize], dtype: DType) -> Result<Tensor> {
        Ok(Tensor::from_parts(Arc::new(Storage::zeroed(Tensor::nbytes_of(shape, dtype)?)?), Layout::contiguous(shape), dtype))
    }

    /// A contiguous CPU tensor whose elements are not initialised.
    ///
    /// # Safety
    /// The caller writes every element before the tensor is read or handed out.
    pub(crate) unsafe fn for_overwrite(shape: &[usize], dtype: DType) -> Result<Tensor> {
        Ok(Tensor::from_parts(Arc::new(Storage::for_overwrite(Tensor::nbytes_of(shape, dtype)?)?), Layout::contiguous(shape), dtype))
    }

    fn nbytes_of(shape: &[usize], dtype: DType) -> Result<usize> {
        shape::numel(shape).checked_mul(dtype.size()).ok_or_else(|| Error::Runtime("Storage size calculation overflowed".into()))
    }

    pub fn full(shape: &[usize], value: Scalar, dtype: DType) -> Result<Tensor> {
        let n = shape::numel(shape);
        with_dtype!(dtype, T, Tensor::from_vec(vec![T::from_scalar(value); n], shape), complex => Tensor::full_complex(shape, value, dtype))
    }

    pub fn scalar(value: Scalar, dtype: DType) -> Result<Tensor> {
        Tensor::full(&[], value, dtype)
    }

    /// A new tensor sharing this one's storage with another layout.
    pub fn with_layout(&self, layout: Layout) -> Tensor {
        Tensor::from_parts(self.storage.clone(), layout, self.dtype)
    }

    // ---------------------------------------------------------------- metadata
    pub fn shape(&self) -> &[usize] {
        &self.layout.shape
    }
    pub fn strides(&self) -> &[usize] {
        &self.layout.strides
    }
    pub fn offset(&self) -> usize {
        self.layout.offset
    }
    pub fn layout(&self) -> &Layout {
        &self.layout
    }
    pub fn dtype(&self) -> DType {
        self.dtype
    }
    pub fn device(&self) -> Device {
        self.storage.device()
    }
    pub fn ndim(&self) -> usize {
        self.layout.ndim()
    }
    pub fn numel(&self) -> usize {
        self.layout.numel()
    }
    pub fn is_contiguous(&self) -> bool {
        self.layout.is_contiguous()
    }
    pub fn storage(&self) -> &Arc<Storage> {
        &self.storage
    }
    pub fn data_ptr(&self) -> usize {
        self.storage.address() + self.offset() * self.dtype.size()
    }
    pub fn same_storage(&self, other: &Tensor) -> bool {
        Arc::ptr_eq(&self.storage, &other.storage)
    }
    /// For a tensor that covers a gap-free block of its storage in some order other than
    /// row-major (a transpose, a channels-last image): its strides, which an elementwise result
    /// keeps, as PyTorch's TensorIterator and `preserve_format` do. None for row-major, empty, or
    /// gapped/overlapping layouts, whose results are simply contiguous.
    pub fn dense_permuted_strides(&self) -> Option<Vec<usize>> {
        let l = &self.layout;
        (self.numel() > 1 && !l.is_contiguous() && l.is_dense()).then(|| l.strides.clone())
    }
    /// This dense tensor's elements in storage order, as a 1-D contiguous view (see
    /// `dense_permuted_strides`): an elementwise op over it visits each element once.
    pub fn storage_order_view(&self) -> Tensor {
        self.with_layout(Layout { shape: vec![self.numel()], strides: vec![1], offset: self.offset() })
    }
    /// `flat`, a contiguous result computed in storage order, seen with `strides` and `shape`.
    pub fn with_dense_strides(flat: Tensor, shape: &[usize], strides: Vec<usize>) -> Tensor {
        debug_assert!(flat.is_contiguous() && flat.numel() == shape::numel(shape));
        let offset = flat.offset();
        flat.with_layout(Layout { shape: shape.to_vec(), strides, offset })
    }
    /// The same elements of the same memory, seen the same way.
    pub fn is_same_view(&self, other: &Tensor) -> bool {
        self.same_storage(other) && self.layout == other.layout && self.dtype == other.dtype
    }
    /// The size along `dim` (negative dims allowed).
    pub fn size(&self, dim: i64) -> Result<usize> {
        Ok(if self.ndim() == 0 { normalize_dim(dim, 0).map(|_| 1)? } else { self.shape()[normalize_dim(dim, self.ndim())?] })
    }

    // ---------------------------------------------------------------- data access
    /// A contiguous CPU tensor's elements, borrowed from its storage without a copy (kernels
    /// that read their input in place). Calling it on anything else is a bug in the caller.
    pub(crate) fn contiguous_elems<T: Element>(&self) -> &[T] {
        assert!(
            self.is_contiguous() && !self.device().is_gpu() && T::DTYPE == self.dtype(),
            "contiguous_elems: needs a contiguous CPU tensor of the element type"
        );
        // SAFETY: checked above: the storage holds `T`s and a contiguous tensor's elements are
        // `offset..offset + numel` of it. Kernels write only to fresh outputs, so no `&mut`
        // aliases the range while the slice lives.
        unsafe { &self.storage().slice::<T>()[self.offset()..self.offset() + self.numel()] }
    }
    /// Elements in logical (row-major) order, cast to `T`.
    pub fn to_vec<T: Element>(&self) -> Vec<T> {
        if self.device().is_gpu() {
            // Callers that can fail go through `to_device` first; this is the infallible path
            // for internal use: a GPU error here yields an empty result (never a panic) and is
            // raised by the next sync point, like an asynchronous CUDA error.
            return match self.to_device(Device::Cpu) {
                Ok(c) => c.to_vec(),
                Err(e) => {
                    if let Ok(ctx) = crate::backend::gpu::context::get() {
                        ctx.defer_error(e.to_string());
                    }
                    vec![]
                }
            };
        }
        with_dtype!(self.dtype, S, {
            if self.numel() == 0 {
                return vec![];
            }
            if S::DTYPE == T::DTYPE && self.is_contiguous() {
                // SAFETY: same type, contiguous range inside the storage.
                let s = unsafe { self.storage.slice::<T>() };
                return s[self.offset()..self.offset() + self.numel()].to_vec();
            }
            cpu::map1::<S, T>(self, |x| T::cast(x))
        }, complex => self.real_part_forward().to_vec())
    }

    /// The single value of a one-element tensor, as PyTorch's `.item()`.
    pub fn item(&self) -> Result<Scalar> {
        if self.numel() != 1 {
            bail!(Runtime, "a Tensor with {} elements cannot be converted to Scalar", self.numel());
        }
        if self.device().is_gpu() {
            return self.to_device(Device::Cpu)?.item();
        }
        // SAFETY: the offset is in range for a one-element tensor.
        Ok(with_dtype!(self.dtype, T, unsafe { self.storage.slice::<T>()[self.offset()] }.to_scalar(),
            complex => bail!(Runtime, "a complex value cannot be converted to a real Scalar: read its real_view")))
    }

    // ---------------------------------------------------------------- conversions
    /// A contiguous copy with the requested dtype (always copies).
    pub fn to_dtype_copy(&self, dtype: DType) -> Result<Tensor> {
        if dtype == DType::C64 && self.dtype == DType::C64 && !self.device().is_gpu() {
            // A complex64 element is 8 bytes: copied as an int64 (bit for bit), a strided copy
            // takes the same tiled path as a real one, rather than going through the real view's
            // trailing dim of 2.
            let copy = Tensor::from_parts(self.storage.clone(), self.layout.clone(), DType::I64).to_dtype_copy(DType::I64)?;
            return Ok(Tensor::from_parts(copy.storage.clone(), copy.layout.clone(), DType::C64));
        }
        if dtype.is_complex() || self.dtype.is_complex() {
            let out = Tensor::zeros_on(self.shape(), dtype, self.device())?;
            Tensor::copy_complex(&out, self)?;
            return Ok(out);
        }
        if self.device().is_gpu() {
            return crate::backend::gpu::elementwise::cast(self, dtype);
        }
        // SAFETY: copy_into writes every element of `out`.
        let out = unsafe { Tensor::for_overwrite(self.shape(), dtype)? };
        with_dtype!(self.dtype, S, with_dtype!(dtype, D, cpu::copy_into::<S, D>(&out, self)));
        Ok(out)
    }
    pub(crate) fn contiguous_forward(&self) -> Result<Tensor> {
        if self.is_contiguous() {
            Ok(self.clone())
        } else {
            self.to_dtype_copy(self.dtype)
        }
    }
    /// A copy that owns fresh storage (`clone()` in PyTorch).
    pub fn deep_clone(&self) -> Result<Tensor> {
        self.to_dtype_copy(self.dtype)
    }

    /// Copies `src` into `self` in place, broadcasting and casting (`Tensor.copy_`).
    pub fn copy_(&self, src: &Tensor) -> Result<()> {
        let src = src.expand(self.shape()).map_err(|_| {
            Error::Runtime(format!(
                "output with shape {:?} doesn't match the broadcast shape {:?}",
                self.shape(),
                shape::broadcast_shapes(self.shape(), src.shape()).unwrap_or_else(|_| src.shape().to_vec())
            ))
        })?;
        self.check_writable_overlap()?;
        // Reading and writing the same memory through different views: read everything first.
        if self.device() != src.device() {
            // copy_ moves data between devices, as in PyTorch.
            let moved = src.to_device(self.device())?;
            return self.copy_(&moved);
        }
        if self.dtype.is_complex() || src.dtype.is_complex() {
            let src = if src.same_storage(self) { src.deep_clone()? } else { src };
            return Tensor::copy_complex(self, &src);
        }
        if self.device().is_gpu() {
            crate::backend::gpu::elementwise::copy_into(self, &src)?;
            self.storage.bump_version();
            return Ok(());
        }
        let src = if src.same_storage(self) { src.deep_clone()? } else { src };
        with_dtype!(src.dtype, S, with_dtype!(self.dtype, D, cpu::copy_into::<S, D>(self, &src)));
        self.storage.bump_version();
        Ok(())
    }

    /// PyTorch refuses to write into tensors whose elements overlap (e.g. from `expand`).
    pub fn check_writable_overlap(&self) -> Result<()> {
        let l = &self.layout;
        let overlapping = l.shape.iter().zip(&l.strides).any(|(&s, &st)| s > 1 && st == 0) || {
            // Conservative: a layout covering fewer storage slots than elements overlaps.
            let mut dims: Vec<(usize, usize)> =
                l.shape.iter().zip(&l.strides).filter(|(s, _)| **s > 1).map(|(a, b)| (*b, *a)).collect();
            dims.sort();
            let mut extent = 1usize;
            let mut bad = false;
            for (st, s) in dims {
                if st < extent {
                    bad = true;
                    break;
                }
                extent = st * (s - 1) + extent;
            }
            bad
        };
        if overlapping {
            bail!(Runtime, "unsupported operation: more than one element of the written-to tensor refers to a single memory location. Please clone() the tensor before performing the operation.");
        }
        Ok(())
    }

    /// Fills every element with `value` (`fill_`).
    pub fn fill_(&self, value: Scalar) -> Result<()> {
        let v = Tensor::scalar(value, self.dtype)?;
        self.copy_(&v)
    }

    // ---------------------------------------------------------------- devices
    /// A copy on `device` (the tensor itself when it is already there). Not recorded on the
    /// tape: the differentiable form is `to_device_grad`.
    pub fn to_device(&self, device: Device) -> Result<Tensor> {
        use crate::backend::gpu::transfer;
        match (self.device(), device) {
            (a, b) if a == b => Ok(self.clone()),
            (Device::Cpu, Device::Gpu) => transfer::to_gpu(self),
            _ => transfer::to_cpu(self),
        }
    }

    /// The error of an op that has no GPU kernel yet, for GPU tensors: ops never fall back to
    /// the CPU silently.
    pub fn require_cpu(&self, op: &str) -> Result<()> {
        if self.device().is_gpu() {
            return Err(Error::NotImplemented(format!(
                "'{op}' has no GPU kernel yet; move the tensor to the CPU with .cpu() to run it there"
            )));
        }
        Ok(())
    }

    /// Zeros on `device`.
    pub fn zeros_on(shape: &[usize], dtype: DType, device: Device) -> Result<Tensor> {
        match device {
            Device::Cpu => Tensor::zeros(shape, dtype),
            Device::Gpu => crate::backend::gpu::transfer::zeros(shape, dtype),
        }
    }

    /// `value` everywhere, on `device`.
    pub fn full_on(shape: &[usize], value: Scalar, dtype: DType, device: Device) -> Result<Tensor> {
        Tensor::full(shape, value, dtype)?.to_device_filled(device)
    }

    /// A filled CPU tensor moved to `device`; a constant needs only one element uploaded.
    fn to_device_filled(self, device: Device) -> Result<Tensor> {
        if device == Device::Cpu || self.numel() <= 1 {
            return self.to_device(device);
        }
        // Upload one element and copy it out on the GPU.
        let one = self.with_layout(Layout { shape: vec![], strides: vec![], offset: self.offset() }).to_device(device)?;
        let out = crate::backend::gpu::transfer::empty(self.shape(), self.dtype())?;
        out.copy_(&one.expand(self.shape())?)?;
        Ok(out)
    }

    // ---------------------------------------------------------------- views
    pub(crate) fn view_forward(&self, sizes: &[i64]) -> Result<Tensor> {
        let shape = shape::infer_size(sizes, self.numel())?;
        match self.layout.view(&shape) {
            Some(l) => Ok(self.with_layout(l)),
            None => bail!(Runtime, "view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead."),
        }
    }
    pub(crate) fn reshape_forward(&self, sizes: &[i64]) -> Result<Tensor> {
        let shape = shape::infer_size(sizes, self.numel())?;
        match self.layout.view(&shape) {
            Some(l) => Ok(self.with_layout(l)),
            None => Ok(self.contiguous_forward()?.with_layout(Layout::contiguous(&shape))),
        }
    }
    pub(crate) fn permute_forward(&self, dims: &[i64]) -> Result<Tensor> {
        if dims.len() != self.ndim() {
            bail!(Runtime, "permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = {} is not equal to len(dims) = {}", self.ndim(), dims.len());
        }
        let d = dims.iter().map(|&x| normalize_dim(x, self.ndim())).collect::<Result<Vec<_>>>()?;
        if (1..d.len()).any(|i| d[..i].contains(&d[i])) {
            bail!(Runtime, "permute(): duplicate dims are not allowed.");
        }
        Ok(self.with_layout(self.layout.permute(&d)))
    }
    pub(crate) fn transpose_forward(&self, a: i64, b: i64) -> Result<Tensor> {
        if self.ndim() == 0 {
            normalize_dim(a, 0)?;
            normalize_dim(b, 0)?;
            return Ok(self.clone());
        }
        let (a, b) = (normalize_dim(a, self.ndim())?, normalize_dim(b, self.ndim())?);
        Ok(self.with_layout(self.layout.transpose(a, b)))
    }
    /// `t()`: transpose of a <= 2-D tensor.
    pub(crate) fn t_forward(&self) -> Result<Tensor> {
        if self.ndim() > 2 {
            bail!(Runtime, "t() expects a tensor with <= 2 dimensions, but self is {}D", self.ndim());
        }
        if self.ndim() < 2 {
            return Ok(self.clone());
        }
        self.transpose_forward(0, 1)
    }
    /// `T`: all dims reversed.
    pub(crate) fn reversed_dims_forward(&self) -> Tensor {
        let d: Vec<usize> = (0..self.ndim()).rev().collect();
        self.with_layout(self.layout.permute(&d))
    }
    /// `mT`: the last two dims swapped.
    pub(crate) fn mt_forward(&self) -> Result<Tensor> {
        if self.ndim() < 2 {
            bail!(Runtime, "tensor.mT is only supported on matrices or batches of matrices. Got {}-D tensor.", self.ndim());
        }
        self.transpose_forward(-2, -1)
    }
    pub(crate) fn expand_forward(&self, shape: &[usize]) -> Result<Tensor> {
        if shape == self.shape() {
            return Ok(self.clone());
        }
        Ok(self.with_layout(self.layout.expand(shape)?))
    }
    /// `expand` with PyTorch's `-1` meaning "keep this size".
    pub fn expand_sizes(&self, sizes: &[i64]) -> Result<Tensor> {
        let lead = sizes.len() as i64 - self.ndim() as i64;
        let mut shape = Vec::with_capacity(sizes.len());
        for (i, &s) in sizes.iter().enumerate() {
            let i = i as i64;
            if s == -1 {
                if i < lead {
                    bail!(Runtime, "The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension {}", i);
                }
                shape.push(self.shape()[(i - lead) as usize]);
            } else if s < 0 {
                bail!(Runtime, "Trying to create tensor with negative dimension {}: {:?}", s, sizes);
            } else {
                shape.push(s as usize);
            }
        }
        self.expand(&shape)
    }
    pub(crate) fn squeeze_forward(&self, dims: Option<&[i64]>) -> Result<Tensor> {
        let d = match dims {
            None => (0..self.ndim()).collect(),
            Some(ds) if self.ndim() == 0 => {
                for &x in ds {
                    normalize_dim(x, 0)?;
                }
                vec![]
            }
            Some(ds) => shape::normalize_dims(ds, self.ndim())?,
        };
        Ok(self.with_layout(self.layout.squeeze_dims(&d)))
    }
    pub(crate) fn unsqueeze_forward(&self, dim: i64) -> Result<Tensor> {
        let d = normalize_insert_dim(dim, self.ndim())?;
        Ok(self.with_layout(self.layout.unsqueeze(d)))
    }
    pub fn flatten(&self, start: i64, end: i64) -> Result<Tensor> {
        if self.ndim() == 0 {
            return self.reshape(&[1]);
        }
        let (s, e) = (normalize_dim(start, self.ndim())?, normalize_dim(end, self.ndim())?);
        if s > e {
            bail!(Runtime, "flatten() has invalid args: start_dim cannot come after end_dim");
        }
        let mut sizes: Vec<i64> = self.shape()[..s].iter().map(|&x| x as i64).collect();
        sizes.push(self.shape()[s..=e].iter().product::<usize>() as i64);
        sizes.extend(self.shape()[e + 1..].iter().map(|&x| x as i64));
        self.reshape(&sizes)
    }
    pub fn unflatten(&self, dim: i64, sizes: &[i64]) -> Result<Tensor> {
        let d = normalize_dim(dim, self.ndim())?;
        let inner = shape::infer_size(sizes, self.shape()[d]).map_err(|_| {
            Error::Runtime(format!(
                "unflatten: Provided sizes {:?} don't multiply up to the size of dim {} ({}) in the input tensor",
                sizes, dim, self.shape()[d]
            ))
        })?;
        let mut new: Vec<i64> = self.shape()[..d].iter().map(|&x| x as i64).collect();
        new.extend(inner.iter().map(|&x| x as i64));
        new.extend(self.shape()[d + 1..].iter().map(|&x| x as i64));
        self.view(&new).or_else(|_| self.reshape(&new))
    }
    pub(crate) fn narrow_forward(&self, dim: i64, start: i64, length: i64) -> Result<Tensor> {
        let (d, s, l) = check_narrow(&self.layout, dim, start, length)?;
        Ok(self.with_layout(self.layout.narrow(d, s, l)))
    }
    /// Basic slicing `start:stop:step` along `dim` (Python semantics: clamps, positive step).
    pub(crate) fn slice_forward(&self, dim: usize, start: Option<i64>, stop: Option<i64>, step: i64) -> Result<Tensor> {
        if step == 0 {
            // Python's own message for `x[::0]`.
            bail!(Value, "slice step cannot be zero");
        }
        if step < 0 {
            bail!(Value, "step must be greater than zero");
        }
        let size = self.shape()[dim] as i64;
        let clamp = |v: i64| if v < 0 { (v + size).max(0) } else { v.min(size) };
        let s = start.map(clamp).unwrap_or(0);
        let e = stop.map(clamp).unwrap_or(size);
        let len = if e > s { (e - s + step - 1) / step } else { 0 };
        Ok(self.with_layout(self.layout.slice(dim, s as usize, len as usize, step as usize)))
    }
    pub(crate) fn select_forward(&self, dim: i64, index: i64) -> Result<Tensor> {
        if self.ndim() == 0 {
            bail!(Index, "select() cannot be applied to a 0-dim tensor.");
        }
        let d = normalize_dim(dim, self.ndim())?;
        let size = self.shape()[d] as i64;
        if index < -size || index >= size {
            bail!(Index, "index {} is out of bounds for dimension {} with size {}", index, d, size);
        }
        let i = if index < 0 { index + size } else { index } as usize;
        Ok(self.with_layout(self.layout.select(d, i)))
    }
    pub(crate) fn unbind_forward(&self, dim: i64) -> Result<Vec<Tensor>> {
        if self.ndim() == 0 {
            bail!(Index, "Dimension specified as 0 but tensor has no dimensions");
        }
        let d = normalize_dim(dim, self.ndim())?;
        (0..self.shape()[d]).map(|i| self.select_forward(d as i64, i as i64)).collect()
    }
    /// `split(split_size, dim)`: equal pieces with a smaller last one.
    pub(crate) fn split_size_forward(&self, size: i64, dim: i64) -> Result<Vec<Tensor>> {
        let d = normalize_dim(dim, self.ndim())?;
        if size < 0 {
            bail!(Runtime, "split expects split_size be non-negative, but got split_size={}", size);
        }
        let total = self.shape()[d] as i64;
        if size == 0 {
            if total != 0 {
                bail!(Runtime, "split_size can only be 0 if dimension size is 0, but got dimension size of {}", total);
            }
            return Ok(vec![self.clone()]);
        }
        let mut out = vec![];
        let mut start = 0;
        loop {
            let len = size.min(total - start);
            out.push(self.narrow_forward(d as i64, start, len)?);
            start += size;
            if start >= total {
                break;
            }
        }
        Ok(out)
    }
    pub(crate) fn split_sizes_forward(&self, sizes: &[i64], dim: i64) -> Result<Vec<Tensor>> {
        let d = normalize_dim(dim, self.ndim())?;
        let total: i64 = sizes.iter().sum();
        if sizes.iter().any(|&s| s < 0) || total != self.shape()[d] as i64 {
            bail!(Runtime, "split_with_sizes expects split_sizes to sum exactly to {} (input tensor's size at dimension {}), but got split_sizes={:?}", self.shape()[d], dim, sizes);
        }
        let mut start = 0;
        sizes
            .iter()
            .map(|&s| {
                let t = self.narrow_forward(d as i64, start, s);
                start += s;
                t
            })
            .collect()
    }
    pub fn chunk(&self, chunks: i64, dim: i64) -> Result<Vec<Tensor>> {
        if chunks <= 0 {
            bail!(Runtime, "chunk expects `chunks` to be greater than 0, got: {}", chunks);
        }
        let d = normalize_dim(dim, self.ndim())?;
        let size = self.shape()[d] as i64;
        let each = (size + chunks - 1) / chunks;
        if each == 0 {
            return self.split_sizes(&vec![0; chunks as usize], dim);
        }
        self.split_size(each, dim)
    }
    pub(crate) fn diagonal_forward(&self, offset: i64, d1: i64, d2: i64) -> Result<Tensor> {
        let (a, b) = (normalize_dim(d1, self.ndim())?, normalize_dim(d2, self.ndim())?);
        if a == b {
            bail!(Runtime, "diagonal dimensions cannot be identical {}, {}", d1, d2);
        }
        Ok(self.with_layout(self.layout.diagonal(offset, a, b)))
    }
    pub(crate) fn as_strided_forward(&self, size: &[i64], stride: &[i64], offset: Option<i64>) -> Result<Tensor> {
        if size.len() != stride.len() {
            bail!(Runtime, "mismatch in length of strides and shape");
        }
        if stride.iter().any(|&s| s < 0) {
            bail!(Runtime, "as_strided: Negative strides are not supported at the moment, got strides: {:?}", stride);
        }
        let shape = shape::check_sizes(size)?;
        let l = Layout {
            shape,
            strides: stride.iter().map(|&s| s as usize).collect(),
            offset: offset.map(|o| o as usize).unwrap_or(self.offset()),
        };
        if offset.is_some_and(|o| o < 0) {
            bail!(Runtime, "Tensor: invalid storage offset {}", offset.unwrap());
        }
        let needed = l.storage_extent() * self.dtype.size();
        if needed > self.storage.nbytes() {
            bail!(Runtime, "setStorage: sizes {:?}, strides {:?}, storage offset {}, and itemsize {} requiring a storage size of {} are out of bounds for storage of size {}",
                size, stride, l.offset, self.dtype.size(), needed, self.storage.nbytes());
        }
        Ok(self.with_layout(l))
    }
    pub(crate) fn movedim_forward(&self, src: &[i64], dst: &[i64]) -> Result<Tensor> {
        if src.len() != dst.len() {
            bail!(Runtime, "movedim: Invalid source or destination dims: source ({:?} dims) should contain the same number of dims as destination ({:?} dims)", src, dst);
        }
        let n = self.ndim();
        let s = shape::normalize_dims(src, n)?;
        let d = shape::normalize_dims(dst, n)?;
        let mut order: Vec<Option<usize>> = vec![None; n];
        for (a, b) in s.iter().zip(&d) {
            order[*b] = Some(*a);
        }
        let mut rest = (0..n).filter(|i| !s.contains(i));
        let perm: Vec<usize> = order.into_iter().map(|o| o.unwrap_or_else(|| rest.next().unwrap())).collect();
        Ok(self.with_layout(self.layout.permute(&perm)))
    }
    pub(crate) fn unfold_forward(&self, dim: i64, size: i64, step: i64) -> Result<Tensor> {
        let d = normalize_dim(dim, self.ndim())?;
        if size < 0 {
            bail!(Runtime, "size is {} but must be >= 0", size);
        }
        if step <= 0 {
            bail!(Runtime, "step is {} but must be > 0", step);
        }
        Ok(self.with_layout(self.layout.unfold(d, size as usize, step as usize)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arange(n: usize) -> Tensor {
        Tensor::from_vec((0..n as i64).collect::<Vec<_>>(), &[n]).unwrap()
    }

    #[test]
    fn views_share_storage() {
        let a = arange(6).view(&[2, 3]).unwrap();
        let t = a.t().unwrap();
        assert!(t.same_storage(&a));
        assert_eq!(t.to_vec::<i64>(), vec![0, 3, 1, 4, 2, 5]);
        assert_eq!(a.select(1, -1).unwrap().to_vec::<i64>(), vec![2, 5]);
        assert_eq!(a.slice(1, Some(0), None, 2).unwrap().to_vec::<i64>(), vec![0, 2, 3, 5]);
    }

    #[test]
    fn copy_casts_and_broadcasts() {
        let a = Tensor::zeros(&[2, 3], DType::F32).unwrap();
        a.copy_(&arange(3)).unwrap();
        assert_eq!(a.to_vec::<f32>(), vec![0., 1., 2., 0., 1., 2.]);
        assert!(a.expand(&[4, 2, 3]).unwrap().copy_(&a).is_err());
    }
}
