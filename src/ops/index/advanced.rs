//! Python subscripting: `x[idx]`, `x[idx] = v` and `index_put_`.
//!
//! Basic indices (ints, slices, `None`, `...`) become view ops on the way through the index
//! list; what is left are advanced indices (integer tensors, and masks turned into integer
//! tensors with `nonzero`), each attached to one dim of that view. Those broadcast together to
//! a shape B; each position of B adds one storage offset, so reading is a copy of rows
//! `start = base + pre + adv[b]` and writing is the same walk in reverse.
use super::{block_offsets, gather_rows};
use crate::dtype::{DType, Scalar};
use crate::error::{Error, Result};
use crate::ops::binary::{Arith, BinaryOp, Operand};
use crate::shape::{broadcast_all, numel};
use crate::tensor::Tensor;
use crate::{bail, with_dtype};

/// One element of a subscript, as Python spells it.
#[derive(Debug, Clone)]
pub enum TensorIndex {
    Int(i64),
    Slice { start: Option<i64>, stop: Option<i64>, step: i64 },
    None,
    Ellipsis,
    Bool(bool),
    Tensor(Tensor),
}

/// A subscript after its basic part has been applied.
struct Prepared {
    view: Tensor,
    /// (dim of `view`, int64 index tensor) in increasing dim order.
    adv: Vec<(usize, Tensor)>,
}

/// Everything needed to walk the positions an advanced subscript selects.
struct Plan {
    out_shape: Vec<usize>,
    /// Storage offset of each row's first element, in output order.
    starts: Starts,
    /// Offsets of a row's elements relative to its start.
    row: Vec<usize>,
}

/// Row starts: computed on the host for CPU tensors; for GPU tensors, from the index tensors
/// on the GPU (an int32 tensor there), so index data never comes back to the host.
enum Starts {
    Host(Vec<usize>),
    Gpu(Tensor),
}

fn index_long(v: i64, size: usize, k: usize) -> Result<i64> {
    let s = size as i64;
    if v < -s || v >= s {
        bail!(Index, "index {} is out of bounds for dimension {} with size {}", v, k, size);
    }
    Ok(if v < 0 { v + s } else { v })
}

impl Tensor {
    fn prepare_index(&self, idx: &[TensorIndex]) -> Result<Prepared> {
        let nd = self.ndim();
        let mut consumed = 0usize;
        let mut ellipses = 0;
        for i in idx {
            consumed += match i {
                TensorIndex::Int(_) | TensorIndex::Slice { .. } => 1,
                TensorIndex::None | TensorIndex::Bool(_) => 0,
                TensorIndex::Ellipsis => {
                    ellipses += 1;
                    0
                }
                TensorIndex::Tensor(t) => match t.dtype() {
                    DType::Bool | DType::U8 => t.ndim(),
                    _ => 1,
                },
            };
        }
        if ellipses > 1 {
            bail!(Index, "an index can only have a single ellipsis ('...')");
        }
        if consumed > nd {
            bail!(Index, "too many indices for tensor of dimension {}", nd);
        }
        let mut view = self.clone();
        let mut adv: Vec<(usize, Tensor)> = Vec::new();
        let (mut dim, mut real_dim) = (0usize, 0usize);
        for i in idx {
            match i {
                TensorIndex::Int(v) => {
                    let size = view.shape()[dim];
                    let v = index_long(*v, size, real_dim)?;
                    view = view.with_layout(view.layout().select(dim, v as usize));
                    real_dim += 1;
                }
                TensorIndex::Slice { start, stop, step } => {
                    view = view.slice(dim, *start, *stop, *step)?;
                    dim += 1;
                    real_dim += 1;
                }
                TensorIndex::None => {
                    view = view.with_layout(view.layout().unsqueeze(dim));
                    dim += 1;
                }
                TensorIndex::Ellipsis => {
                    dim += nd - consumed;
                    real_dim += nd - consumed;
                }
                TensorIndex::Bool(b) => {
                    view = view.with_layout(view.layout().unsqueeze(dim));
                    let t = if *b { Tensor::from_vec(vec![0i64], &[1])? } else { Tensor::from_vec(Vec::<i64>::new(), &[0])? };
                    adv.push((dim, t));
                    dim += 1;
                }
                TensorIndex::Tensor(t) => match t.dtype() {
                    DType::Bool | DType::U8 if t.ndim() == 0 => {
                        view = view.with_layout(view.layout().unsqueeze(dim));
                        let b = t.item()?.to_i64() != 0;
                        let t = if b { Tensor::from_vec(vec![0i64], &[1])? } else { Tensor::from_vec(Vec::<i64>::new(), &[0])? };
                        adv.push((dim, t));
                        dim += 1;
                    }
                    DType::Bool | DType::U8 => {
                        for j in 0..t.ndim() {
                            if t.shape()[j] != view.shape()[dim + j] {
                                bail!(
                                    Index,
                                    "The shape of the mask {:?} at index {} does not match the shape of the indexed tensor {:?} at index {}",
                                    t.shape(), j, view.shape(), dim + j
                                );
                            }
                        }
                        let mask = if t.dtype() == DType::U8 { t.to_dtype(DType::Bool)? } else { t.clone() };
                        // Coordinates on the mask's device (a GPU compaction for a GPU mask).
                        for (j, c) in mask.nonzero_tuple()?.into_iter().enumerate() {
                            adv.push((dim + j, c));
                        }
                        dim += t.ndim();
                        real_dim += t.ndim();
                    }
                    d if d.is_float() => {
                        bail!(Index, "tensors used as indices must be long, int, byte or bool tensors")
                    }
                    _ if t.ndim() == 0 => {
                        let size = view.shape()[dim];
                        let v = index_long(t.item()?.to_i64(), size, real_dim)?;
                        view = view.with_layout(view.layout().select(dim, v as usize));
                        real_dim += 1;
                    }
                    _ => {
                        adv.push((dim, t.to_dtype(DType::I64)?));
                        dim += 1;
                        real_dim += 1;
                    }
                },
            }
        }
        Ok(Prepared { view, adv })
    }

    fn plan(p: &Prepared) -> Result<Plan> {
        let view = &p.view;
        let shapes: Vec<&[usize]> = p.adv.iter().map(|(_, t)| t.shape()).collect();
        let b_shape = broadcast_all(&shapes).map_err(|_| {
            Error::Index(format!(
                "shape mismatch: indexing tensors could not be broadcast together with shapes {}",
                shapes.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ")
            ))
        })?;
        let nb = numel(&b_shape);
        let gpu = view.device().is_gpu();
        let (adv_host, adv_gpu) = if gpu { (vec![], Some(Tensor::advanced_offsets_gpu(p, &b_shape)?)) } else { (Tensor::advanced_offsets(p, &b_shape)?, None) };
        let dims: Vec<usize> = p.adv.iter().map(|(d, _)| *d).collect();
        let (first, last) = (dims[0], dims[dims.len() - 1]);
        let adjacent = last - first + 1 == dims.len();
        let (mut pre_s, mut pre_st, mut post_s, mut post_st) = (vec![], vec![], vec![], vec![]);
        for d in 0..view.ndim() {
            if dims.contains(&d) {
                continue;
            }
            if adjacent && d < first {
                pre_s.push(view.shape()[d]);
                pre_st.push(view.strides()[d]);
            } else {
                post_s.push(view.shape()[d]);
                post_st.push(view.strides()[d]);
            }
        }
        let mut out_shape = pre_s.clone();
        out_shape.extend_from_slice(&b_shape);
        out_shape.extend_from_slice(&post_s);
        let pre = block_offsets(&pre_s, &pre_st);
        let row = block_offsets(&post_s, &post_st);
        let starts = match adv_gpu {
            Some(adv) => {
                // starts[i, j] = offset + pre[i] + adv[j], as an outer sum on the GPU.
                let rows = pre.len();
                let pre: Vec<i64> = pre.iter().map(|&po| (view.offset() + po) as i64).collect();
                let pre = Tensor::from_vec(pre, &[rows, 1])?.to_device(view.device())?;
                let all = pre.binary(&adv.reshape(&[1, nb as i64])?, BinaryOp::Add)?;
                Starts::Gpu(all.reshape(&[-1])?.to_dtype(DType::I32)?)
            }
            None => {
                let mut starts = Vec::with_capacity(pre.len() * nb);
                for &po in &pre {
                    for &a in &adv_host {
                        starts.push(view.offset() + po + a);
                    }
                }
                Starts::Host(starts)
            }
        };
        Ok(Plan { out_shape, starts, row })
    }

    /// The storage offset (from the view's start) each broadcast index combination selects.
    fn advanced_offsets(p: &Prepared, b_shape: &[usize]) -> Result<Vec<usize>> {
        let view = &p.view;
        let mut adv_off = vec![0usize; numel(b_shape)];
        for (k, (d, t)) in p.adv.iter().enumerate() {
            let size = view.shape()[*d];
            let stride = view.strides()[*d];
            let e = t.expand(b_shape)?.to_device(crate::storage::Device::Cpu)?;
            let mut err = None;
            let mut b = 0usize;
            crate::backend::cpu::for_each::<i64>(&e, |v| {
                match index_long(v, size, k) {
                    Ok(v) => adv_off[b] += v as usize * stride,
                    Err(x) => {
                        if err.is_none() {
                            err = Some(x)
                        }
                    }
                }
                b += 1;
            });
            if let Some(x) = err {
                return Err(x);
            }
        }
        Ok(adv_off)
    }

    /// `advanced_offsets` on the GPU (an int64 tensor of `b_shape`): negative indices wrap,
    /// and one flag per index tensor comes back for the range check (the index values only
    /// on the error path, for PyTorch's message).
    fn advanced_offsets_gpu(p: &Prepared, b_shape: &[usize]) -> Result<Tensor> {
        let view = &p.view;
        let mut total: Option<Tensor> = None;
        for (d, t) in &p.adv {
            let (size, stride) = (view.shape()[*d] as i64, view.strides()[*d] as i64);
            let e = t.to_device(view.device())?.expand(b_shape)?;
            let negative = e.binary_scalar(Scalar::Int(0), BinaryOp::Lt)?;
            let wrapped = crate::ops::index::where_forward(&negative, Operand::Tensor(&e.binary_scalar(Scalar::Int(size), BinaryOp::Add)?), Operand::Tensor(&e))?;
            let out_of_range = wrapped
                .binary_scalar(Scalar::Int(0), BinaryOp::Lt)?
                .binary(&wrapped.binary_scalar(Scalar::Int(size), BinaryOp::Ge)?, BinaryOp::LogicalOr)?
                .any(None, false)?;
            if out_of_range.to_device(crate::storage::Device::Cpu)?.to_vec::<bool>()[0] {
                // Only now read the indices, for the host's exact message.
                return Err(Tensor::advanced_offsets(p, b_shape).err().unwrap_or_else(|| Error::Index("index out of range".into())));
            }
            let term = wrapped.binary_scalar(Scalar::Int(stride), BinaryOp::Mul)?;
            total = Some(match total {
                Some(a) => a.binary(&term, BinaryOp::Add)?,
                None => term,
            });
        }
        Ok(total.expect("at least one advanced index"))
    }

    /// `self[idx]`: a view when every index is basic, otherwise a copy.
    pub(crate) fn index_forward(&self, idx: &[TensorIndex]) -> Result<Tensor> {
        // `x[mask]` with a full-shape mask needs no coordinates: select in one pass.
        if let [TensorIndex::Tensor(m)] = idx {
            if m.dtype() == DType::Bool && m.ndim() > 0 && m.shape() == self.shape() && m.device() == self.device() {
                return self.masked_select_forward(m);
            }
        }
        let p = self.prepare_index(idx)?;
        if p.adv.is_empty() {
            return Ok(p.view);
        }
        let plan = Tensor::plan(&p)?;
        let starts = match &plan.starts {
            Starts::Gpu(s) => return crate::backend::gpu::index::gather_offsets(self, s, &plan.row, &plan.out_shape),
            Starts::Host(s) => s,
        };
        with_dtype!(self.dtype(), T, {
            let mut out = vec![T::default(); numel(&plan.out_shape)];
            // SAFETY: read-only view of the storage.
            let data = unsafe { self.storage().slice::<T>() };
            gather_rows(&mut out, data, starts, &plan.row);
            Tensor::from_vec(out, &plan.out_shape)
        })
    }

    /// `self[idx] = value` (`accumulate` adds instead, as `index_put_(..., accumulate=True)`).
    /// `value` is cast to `self`'s dtype and broadcast to the indexed shape.
    pub fn index_put_(&self, idx: &[TensorIndex], value: &Tensor, accumulate: bool) -> Result<()> {
        if self.dtype().is_complex() {
            // The same subscript on the real views; the values' parts ride along the last dim.
            let mut parts = idx.to_vec();
            parts.push(TensorIndex::Slice { start: None, stop: None, step: 1 });
            let value = value.to_dtype_copy(self.dtype())?;
            return self.real_view_forward().index_put_(&parts, &value.real_view_forward(), accumulate);
        }
        let p = self.prepare_index(idx)?;
        let value = if value.same_storage(self) { value.deep_clone()? } else { value.clone() };
        let value = value.to_dtype(self.dtype())?;
        if p.adv.is_empty() {
            let target = &p.view;
            let v = strip_leading_ones(&value, target.ndim());
            if accumulate {
                let sum = target.add(&v)?;
                return target.copy_(&sum);
            }
            return target.copy_(&v);
        }
        self.check_writable_overlap()?;
        let plan = Tensor::plan(&p)?;
        let v = strip_leading_ones(&value, plan.out_shape.len());
        let v = v.expand(&plan.out_shape).map_err(|_| {
            Error::Runtime(format!(
                "shape mismatch: value tensor of shape {:?} cannot be broadcast to indexing result of shape {:?}",
                value.shape(),
                plan.out_shape
            ))
        })?;
        let starts = match &plan.starts {
            Starts::Gpu(s) => {
                let v = v.to_device(self.device())?;
                return crate::backend::gpu::index::put_offsets(self, s, &plan.row, &v, accumulate);
            }
            Starts::Host(s) => s,
        };
        let row_len = plan.row.len();
        with_dtype!(self.dtype(), T, {
            let vals: Vec<T> = v.to_vec::<T>();
            // SAFETY: `value` was copied if it shared this storage; writes are serial.
            let out = unsafe { self.storage().slice_mut::<T>() };
            for (r, &s) in starts.iter().enumerate() {
                let src = &vals[r * row_len..(r + 1) * row_len];
                for (&o, &x) in plan.row.iter().zip(src) {
                    let q = s + o;
                    out[q] = if accumulate { out[q].add(x) } else { x };
                }
            }
        });
        self.storage().bump_version();
        Ok(())
    }
}

/// PyTorch lets a value carry extra leading size-1 dims (`x[0] = ones(1, 3)`).
fn strip_leading_ones(v: &Tensor, ndim: usize) -> Tensor {
    let mut l = v.layout().clone();
    while l.ndim() > ndim && l.shape[0] == 1 {
        l.shape.remove(0);
        l.strides.remove(0);
    }
    v.with_layout(l)
}
