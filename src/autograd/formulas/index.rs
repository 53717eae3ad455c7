//! Gradients of the indexing family (`ops/index/`): subscripting, the gather/scatter family,
//! `index_*`, masks, `where`, `take`/`put`. Reads (gather, index, take, masked_select) send
//! their gradient back with the matching accumulating write (scatter_add, index_put with
//! accumulate, put with accumulate, ...), and writes send it forward with the matching read,
//! so every backward is itself made of recorded ops (double backward works).
//!
//! In-place forms go through [`apply_inplace`]: computed out of place and recorded, then
//! committed into the target (history rebasing and views handled by `inplace::commit`).
use super::super::inplace::{check_inplace, commit};
use super::super::mode::is_grad_enabled;
use super::super::node::begin;
use crate::bail;
use crate::dtype::{DType, Scalar};
use crate::error::Result;
use crate::ops::binary::{BinaryOp, Operand};
use crate::ops::index::{Reduce, ScatterReduction, Source, TensorIndex};
use crate::ops::unary::UnaryOp;
use crate::shape::broadcast_all;
use crate::tensor::Tensor;

const ZERO: Scalar = Scalar::Float(0.0);

/// An in-place indexing op on `target`: a plain in-place write when autograd is not involved,
/// otherwise `out_of_place` (a recording op giving the new value of `target`) committed into it.
pub fn apply_inplace(
    target: &mut Tensor,
    others: &[&Tensor],
    out_of_place: impl FnOnce(&Tensor) -> Result<Tensor>,
    in_place: impl FnOnce(&Tensor) -> Result<()>,
) -> Result<()> {
    let record = is_grad_enabled() && (target.requires_grad() || others.iter().any(|t| t.requires_grad()));
    if !record {
        check_inplace(target)?;
        return in_place(target);
    }
    let r = out_of_place(target)?;
    commit(target, &r)
}

/// A gradient computed for a tensor of shape `shape`: broadcast dims summed away, and the
/// extra leading size-1 dims PyTorch allows on assigned values put back.
fn fit_to(g: &Tensor, shape: &[usize]) -> Result<Tensor> {
    if g.shape() == shape {
        return Ok(g.clone());
    }
    let mut core = shape;
    while core.len() > g.ndim() && core[0] == 1 {
        core = &core[1..];
    }
    let s = g.sum_to_shape(core)?;
    if core.len() == shape.len() {
        return Ok(s);
    }
    s.reshape(&shape.iter().map(|&d| d as i64).collect::<Vec<_>>())
}

/// `g` (shaped like `index`) placed in the leading block of a zero tensor of `shape`: the
/// gradient of a `src` that is larger than the index reading from it.
fn pad_to(g: &Tensor, shape: &[usize]) -> Result<Tensor> {
    if g.shape() == shape || shape.is_empty() {
        return Ok(g.clone());
    }
    let slices: Vec<TensorIndex> = g.shape().iter().map(|&n| TensorIndex::Slice { start: None, stop: Some(n as i64), step: 1 }).collect();
    Tensor::zeros_on(shape, g.dtype(), g.device())?.index_put(&slices, g, false)
}

/// True when a subscript has only basic parts (its result is a view of the input).
pub fn is_basic(idx: &[TensorIndex]) -> bool {
    idx.iter().all(|i| match i {
        TensorIndex::Bool(_) => false,
        TensorIndex::Tensor(t) => t.ndim() == 0 && !matches!(t.dtype(), DType::Bool | DType::U8),
        _ => true,
    })
}

/// The node of a basic subscript is named after its last view step, as PyTorch records them
/// (`x[1:, 0]` is a SelectBackward0; `x[...]` an AliasBackward0).
fn view_node_name(idx: &[TensorIndex]) -> &'static str {
    match idx.iter().rev().find(|i| !matches!(i, TensorIndex::Ellipsis)) {
        Some(TensorIndex::Int(_) | TensorIndex::Tensor(_)) => "SelectBackward0",
        Some(TensorIndex::Slice { .. }) => "SliceBackward0",
        Some(TensorIndex::None) => "UnsqueezeBackward0",
        _ => "AliasBackward0",
    }
}

/// A 0-d placeholder input for an operand that is a number (never requires grad).
fn tensor_or_placeholder(o: &Operand) -> Result<Tensor> {
    match o {
        Operand::Tensor(t) => Ok((*t).clone()),
        Operand::Scalar(_) => Tensor::zeros(&[], DType::F32),
    }
}

/// `torch.where(cond, x, y)`: each branch gets the gradient where it was picked.
pub fn where_(cond: &Tensor, x: Operand, y: Operand) -> Result<Tensor> {
    let wants = |o: &Operand| matches!(o, Operand::Tensor(t) if t.requires_grad());
    if !is_grad_enabled() || !(wants(&x) || wants(&y)) {
        return crate::ops::index::where_forward(cond, x, y);
    }
    let (xt, yt) = (tensor_or_placeholder(&x)?, tensor_or_placeholder(&y)?);
    let rec = begin("WhereBackward0", &[&xt, &yt]).expect("an input requires grad");
    let out = crate::ops::index::where_forward(cond, x, y)?;
    let cond = cond.clone();
    rec.finish(out, move |ctx| {
        let g = ctx.grad(0);
        let gx = if ctx.needs(0) { Some(where_(&cond, Operand::Tensor(g), Operand::Scalar(ZERO))?) } else { None };
        let gy = if ctx.needs(1) { Some(where_(&cond, Operand::Scalar(ZERO), Operand::Tensor(g))?) } else { None };
        Ok(vec![gx, gy])
    })
}

impl Tensor {
    /// `self[idx]`. A basic subscript is a view (recorded as one, so in-place writes to it
    /// reach `self`); its gradient is written into zeros at that view. An advanced one is an
    /// IndexBackward0, whose gradient is accumulated at the indices (duplicates add up).
    pub fn index(&self, idx: &[TensorIndex]) -> Result<Tensor> {
        let basic = is_basic(idx);
        if self.dtype().is_complex() && !basic {
            // The real view indexed the same way, its trailing (real, imaginary) dim kept whole.
            let mut parts = idx.to_vec();
            parts.push(TensorIndex::Slice { start: None, stop: None, step: 1 });
            return crate::ops::complex::on_real_view(self, |r| r.index(&parts));
        }
        let name = if basic { view_node_name(idx) } else { "IndexBackward0" };
        let Some(rec) = begin(name, &[self]) else {
            let out = self.index_forward(idx)?;
            return Ok(if basic { self.mark_untracked_view(out) } else { out });
        };
        let out = self.index_forward(idx)?;
        let rec = if basic { rec.view_of(self) } else { rec };
        let (shape, idx) = (self.shape().to_vec(), idx.to_vec());
        rec.finish(out, move |ctx| {
            let g = ctx.grad(0);
            Ok(vec![Some(Tensor::zeros_on(&shape, g.dtype(), g.device())?.index_put(&idx, g, !basic)?)])
        })
    }

    /// Out-of-place `index_put(indices, values, accumulate)` (also `x[idx] = v` before its
    /// commit): `self` keeps the gradient outside the written positions (everywhere when
    /// accumulating), `values` gets it read back at the indices.
    pub fn index_put(&self, idx: &[TensorIndex], values: &Tensor, accumulate: bool) -> Result<Tensor> {
        let forward = || -> Result<Tensor> {
            let out = self.deep_clone()?;
            out.index_put_(idx, values, accumulate)?;
            Ok(out)
        };
        let Some(rec) = begin("IndexPutBackward0", &[self, values]) else { return forward() };
        let out = forward()?;
        let (idx, vshape) = (idx.to_vec(), values.shape().to_vec());
        rec.finish(out, move |ctx| {
            let g = ctx.grad(0);
            let gs = match (ctx.needs(0), accumulate) {
                (false, _) => None,
                (true, true) => Some(g.clone()),
                (true, false) => Some(g.index_put(&idx, &Tensor::zeros_on(&[], g.dtype(), g.device())?, false)?),
            };
            let gv = if ctx.needs(1) { Some(fit_to(&g.index(&idx)?, &vshape)?) } else { None };
            Ok(vec![gs, gv])
        })
    }

    pub fn gather(&self, dim: i64, index: &Tensor) -> Result<Tensor> {
        if self.dtype().is_complex() && index.ndim() == self.ndim() {
            let d = crate::ops::complex::real_view_dim(self, dim)?;
            let mut shape = index.shape().to_vec();
            shape.push(2);
            let both_parts = index.unsqueeze(-1)?.expand(&shape)?;
            return crate::ops::complex::on_real_view(self, |r| r.gather(d, &both_parts));
        }
        let Some(rec) = begin("GatherBackward0", &[self]) else { return self.gather_forward(dim, index) };
        let out = self.gather_forward(dim, index)?;
        let (shape, index) = (self.shape().to_vec(), index.clone());
        rec.finish(out, move |ctx| {
            let g = ctx.grad(0);
            Ok(vec![Some(Tensor::zeros_on(&shape, g.dtype(), g.device())?.scatter_add(dim, &index, g)?)])
        })
    }

    pub fn scatter_add(&self, dim: i64, index: &Tensor, src: &Tensor) -> Result<Tensor> {
        self.scatter(dim, index, Source::Tensor(src), Reduce::Add)
    }

    /// `scatter` / `scatter_add` (tensor or number source). Overwritten positions of `self`
    /// get no gradient; `src` gets the gradient read at the indices.
    pub fn scatter(&self, dim: i64, index: &Tensor, src: Source, reduce: Reduce) -> Result<Tensor> {
        let src_t = match src {
            Source::Tensor(t) => Some(t.clone()),
            Source::Scalar(_) => None,
        };
        let name = match (reduce, &src_t) {
            (Reduce::Add, _) => "ScatterAddBackward0",
            (_, Some(_)) => "ScatterBackward0",
            (_, None) => "ScatterBackward1",
        };
        let placeholder = Tensor::zeros_on(&[], self.dtype(), self.device())?;
        let Some(rec) = begin(name, &[self, src_t.as_ref().unwrap_or(&placeholder)]) else {
            return self.scatter_forward(dim, index, src, reduce);
        };
        if reduce == Reduce::Mul {
            bail!(Runtime, "the derivative for 'scatter' with reduce='multiply' is not implemented.");
        }
        let out = self.scatter_forward(dim, index, src, reduce)?;
        let index = index.clone();
        let src_shape = src_t.as_ref().map(|t| t.shape().to_vec());
        rec.finish(out, move |ctx| {
            let g = ctx.grad(0);
            let gs = match (ctx.needs(0), reduce) {
                (false, _) => None,
                (true, Reduce::Add) => Some(g.clone()),
                (true, _) => Some(g.scatter(dim, &index, Source::Scalar(ZERO), Reduce::None)?),
            };
            let gsrc = match &src_shape {
                Some(s) if ctx.needs(1) => Some(pad_to(&g.gather(dim, &index)?, s)?),
                _ => None,
            };
            Ok(vec![gs, gsrc])
        })
    }

    /// `scatter_reduce`: sum/mean pass the gradient (divided by the count for mean);
    /// amax/amin split it evenly among the values equal to the result (self included);
    /// prod uses result / value (exact for inputs without zeros).
    pub fn scatter_reduce(&self, dim: i64, index: &Tensor, src: &Tensor, reduce: ScatterReduction, include_self: bool) -> Result<Tensor> {
        let Some(rec) = begin("ScatterReduceBackward0", &[self, src]) else {
            return self.scatter_reduce_forward(dim, index, src, reduce, include_self);
        };
        let out = self.scatter_reduce_forward(dim, index, src, reduce, include_self)?;
        let index = index.clone();
        rec.save_input(self).save_input(src).save_output(0).finish(out, move |ctx| {
            let (g, x, s, r) = (ctx.grad(0), ctx.saved(0), ctx.saved(1), ctx.saved(2));
            let src_shape = s.shape().to_vec();
            // The part of src that the index reads (src may be larger).
            let s = if s.shape() == index.shape() || s.ndim() == 0 {
                s.clone()
            } else {
                let sl: Vec<TensorIndex> = index.shape().iter().map(|&n| TensorIndex::Slice { start: None, stop: Some(n as i64), step: 1 }).collect();
                s.index(&sl)?
            };
            // Positions of self that received at least one value.
            let hit = x
                .zeros_like()?
                .scatter_forward(dim, &index, Source::Scalar(Scalar::Float(1.0)), Reduce::None)?
                .binary_scalar(Scalar::Float(0.5), BinaryOp::Gt)?;
            let (gs, gsrc) = match reduce {
                ScatterReduction::Sum => (g.clone(), g.gather(dim, &index)?),
                ScatterReduction::Mean => {
                    let base = if include_self { Tensor::full_on(x.shape(), Scalar::Float(1.0), g.dtype(), g.device())? } else { Tensor::zeros_on(x.shape(), g.dtype(), g.device())? };
                    let ones = Tensor::full_on(s.shape(), Scalar::Float(1.0), g.dtype(), g.device())?;
                    let n = base.scatter_forward(dim, &index, Source::Tensor(&ones), Reduce::Add)?;
                    let n = n.masked_fill_forward(&n.binary_scalar(ZERO, BinaryOp::Eq)?, Scalar::Float(1.0))?;
                    let gn = g.div(&n)?;
                    (gn.clone(), gn.gather(dim, &index)?)
                }
                ScatterReduction::Amax | ScatterReduction::Amin => {
                    let value = r.gather(dim, &index)?;
                    let mut self_is = x.binary(r, BinaryOp::Eq)?;
                    if !include_self {
                        self_is = self_is.binary(&hit.unary(UnaryOp::LogicalNot)?, BinaryOp::LogicalAnd)?;
                    }
                    let src_is = s.binary(&value, BinaryOp::Eq)?;
                    let (sf, srcf) = (self_is.to_dtype(g.dtype())?, src_is.to_dtype(g.dtype())?);
                    let n = sf.scatter_forward(dim, &index, Source::Tensor(&srcf), Reduce::Add)?;
                    let gd = g.div(&n)?;
                    (gd.keep_where(&self_is)?, gd.gather(dim, &index)?.keep_where(&src_is)?)
                }
                ScatterReduction::Prod => {
                    let gr = g.mul(r)?;
                    (gr.div(x)?, gr.gather(dim, &index)?.div(&s)?)
                }
            };
            // Without self, written positions of self get nothing and the others keep theirs.
            let gs = if include_self { gs } else { where_(&hit, Operand::Scalar(ZERO), Operand::Tensor(g))? };
            Ok(vec![Some(gs), Some(pad_to(&gsrc, &src_shape)?)])
        })
    }

    pub fn index_select(&self, dim: i64, index: &Tensor) -> Result<Tensor> {
        if self.dtype().is_complex() {
            let d = crate::ops::complex::real_view_dim(self, dim)?;
            return crate::ops::complex::on_real_view(self, |r| r.index_select(d, index));
        }
        let Some(rec) = begin("IndexSelectBackward0", &[self]) else { return self.index_select_forward(dim, index) };
        let out = self.index_select_forward(dim, index)?;
        let (shape, index) = (self.shape().to_vec(), index.clone());
        rec.finish(out, move |ctx| {
            let g = ctx.grad(0);
            let g = if shape.is_empty() { g.reshape(&[-1])? } else { g.clone() };
            let z = Tensor::zeros_on(&shape, g.dtype(), g.device())?;
            Ok(vec![Some(z.index_add(dim, &index, &g, Scalar::Int(1))?)])
        })
    }

    /// Out-of-place `index_add(dim, index, source, alpha)`.
    pub fn index_add(&self, dim: i64, index: &Tensor, source: &Tensor, alpha: Scalar) -> Result<Tensor> {
        let forward = || -> Result<Tensor> {
            let out = self.deep_clone()?;
            out.index_add_(dim, index, source, alpha)?;
            Ok(out)
        };
        let Some(rec) = begin("IndexAddBackward0", &[self, source]) else { return forward() };
        let out = forward()?;
        let (index, sshape) = (index.clone(), source.shape().to_vec());
        let a = alpha.to_f64();
        rec.finish(out, move |ctx| {
            let g = ctx.grad(0);
            let gsrc = if ctx.needs(1) { Some(fit_to(&g.index_select(dim, &index)?.mul_s(a)?, &sshape)?) } else { None };
            Ok(vec![Some(g.clone()), gsrc])
        })
    }

    /// Out-of-place `index_copy(dim, index, source)`.
    pub fn index_copy(&self, dim: i64, index: &Tensor, source: &Tensor) -> Result<Tensor> {
        let forward = || -> Result<Tensor> {
            let out = self.deep_clone()?;
            out.index_copy_(dim, index, source)?;
            Ok(out)
        };
        let Some(rec) = begin("IndexCopyBackward0", &[self, source]) else { return forward() };
        let out = forward()?;
        let (index, sshape) = (index.clone(), source.shape().to_vec());
        rec.finish(out, move |ctx| {
            let g = ctx.grad(0);
            let gs = if ctx.needs(0) { Some(g.index_fill(dim, &index, ZERO)?) } else { None };
            let gsrc = if ctx.needs(1) { Some(fit_to(&g.index_select(dim, &index)?, &sshape)?) } else { None };
            Ok(vec![gs, gsrc])
        })
    }

    /// Out-of-place `index_fill(dim, index, value)`.
    pub fn index_fill(&self, dim: i64, index: &Tensor, value: Scalar) -> Result<Tensor> {
        let forward = || -> Result<Tensor> {
            let out = self.deep_clone()?;
            out.index_fill_(dim, index, value)?;
            Ok(out)
        };
        let Some(rec) = begin("IndexFillBackward0", &[self]) else { return forward() };
        let out = forward()?;
        let index = index.clone();
        rec.finish(out, move |ctx| Ok(vec![Some(ctx.grad(0).index_fill(dim, &index, ZERO)?)]))
    }

    /// `index_fill` with a 0-d tensor value, which gets the gradient summed over the filled
    /// slices (each slice once, however often the index repeats it).
    pub fn index_fill_tensor(&self, dim: i64, index: &Tensor, value: &Tensor) -> Result<Tensor> {
        if value.ndim() != 0 {
            bail!(
                Runtime,
                "index_fill_ only supports a 0-dimensional value tensor, but got tensor with {} dimension(s).",
                value.ndim()
            );
        }
        if self.dtype().is_complex() || value.dtype().is_complex() {
            // A complex value is no `Scalar`: copy it, broadcast, into each indexed slice.
            let dst = if self.ndim() == 0 { self.reshape(&[1])? } else { self.clone() };
            let d = crate::shape::normalize_dim(dim, dst.ndim())?;
            let size = dst.shape()[d] as i64;
            let index = index.reshape(&[-1])?;
            let wrapped = crate::ops::index::wrap_negative(&index, size)?;
            let mut slices = dst.shape().to_vec();
            slices[d] = index.numel();
            let filled = dst.index_copy(d as i64, &wrapped, &value.to_dtype(self.dtype())?.to_device_grad(self.device())?.expand(&slices)?)?;
            return filled.reshape(&self.shape().iter().map(|&s| s as i64).collect::<Vec<_>>());
        }
        let v = value.item()?;
        let forward = || -> Result<Tensor> {
            let out = self.deep_clone()?;
            out.index_fill_(dim, index, v)?;
            Ok(out)
        };
        let Some(rec) = begin("IndexFillBackward1", &[self, value]) else { return forward() };
        let out = forward()?;
        let index = index.clone();
        let size = if self.ndim() == 0 { 1 } else { self.size(dim)? as i64 };
        let mut slices: Vec<i64> = index.to_dtype(DType::I64)?.to_vec::<i64>().into_iter().map(|k| if k < 0 { k + size } else { k }).collect();
        slices.sort_unstable();
        slices.dedup();
        let n = slices.len();
        let unique = Tensor::from_vec(slices, &[n])?;
        rec.finish(out, move |ctx| {
            let g = ctx.grad(0);
            let gs = if ctx.needs(0) { Some(g.index_fill(dim, &index, ZERO)?) } else { None };
            let gv = if ctx.needs(1) { Some(g.index_select(dim, &unique)?.sum(None, false, None)?) } else { None };
            Ok(vec![gs, gv])
        })
    }

    pub fn masked_fill(&self, mask: &Tensor, value: Scalar) -> Result<Tensor> {
        let Some(rec) = begin("MaskedFillBackward0", &[self]) else { return self.masked_fill_forward(mask, value) };
        let out = self.masked_fill_forward(mask, value)?;
        let mask = mask.clone();
        rec.finish(out, move |ctx| Ok(vec![Some(ctx.grad(0).masked_fill(&mask, ZERO)?)]))
    }

    /// `masked_fill` with a 0-d tensor value, which gets the sum of the gradient where filled.
    pub fn masked_fill_tensor(&self, mask: &Tensor, value: &Tensor) -> Result<Tensor> {
        if value.ndim() != 0 {
            bail!(
                Runtime,
                "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with {} dimension(s).",
                value.ndim()
            );
        }
        if self.dtype().is_complex() || value.dtype().is_complex() {
            Tensor::check_bool_mask(mask, "masked_fill_")?;
            return where_(mask, Operand::Tensor(&value.to_dtype(self.dtype())?), Operand::Tensor(self));
        }
        let v = value.item()?;
        let Some(rec) = begin("MaskedFillBackward1", &[self, value]) else { return self.masked_fill_forward(mask, v) };
        let out = self.masked_fill_forward(mask, v)?;
        let mask = mask.clone();
        rec.finish(out, move |ctx| {
            let g = ctx.grad(0);
            let gs = if ctx.needs(0) { Some(g.masked_fill(&mask, ZERO)?) } else { None };
            let gv = if ctx.needs(1) { Some(g.keep_where(&mask)?.sum(None, false, None)?) } else { None };
            Ok(vec![gs, gv])
        })
    }

    /// Out-of-place `masked_scatter(mask, source)`: source's first k elements (k = number of
    /// true mask positions) get the gradient at those positions, the rest zero.
    pub fn masked_scatter(&self, mask: &Tensor, source: &Tensor) -> Result<Tensor> {
        let forward = || -> Result<Tensor> {
            let shape = broadcast_all(&[self.shape(), mask.shape()])?;
            let out = self.expand(&shape)?.deep_clone()?;
            out.masked_scatter_(mask, source)?;
            Ok(out)
        };
        let Some(rec) = begin("MaskedScatterBackward0", &[self, source]) else { return forward() };
        let out = forward()?;
        let (mask, sshape) = (mask.clone(), source.shape().to_vec());
        rec.finish(out, move |ctx| {
            let g = ctx.grad(0);
            let gs = if ctx.needs(0) { Some(g.masked_fill(&mask, ZERO)?) } else { None };
            let gsrc = if ctx.needs(1) {
                let sel = g.masked_select(&mask)?;
                let n: usize = sshape.iter().product();
                let flat = Tensor::zeros_on(&[n], g.dtype(), g.device())?.index_put(&[TensorIndex::Slice { start: None, stop: Some(sel.numel() as i64), step: 1 }], &sel, false)?;
                Some(flat.reshape(&sshape.iter().map(|&d| d as i64).collect::<Vec<_>>())?)
            } else {
                None
            };
            Ok(vec![gs, gsrc])
        })
    }

    pub fn masked_select(&self, mask: &Tensor) -> Result<Tensor> {
        let Some(rec) = begin("MaskedSelectBackward0", &[self]) else { return self.masked_select_forward(mask) };
        let out = self.masked_select_forward(mask)?;
        let shape = broadcast_all(&[self.shape(), mask.shape()])?;
        let mask = mask.expand(&shape)?.contiguous()?;
        rec.finish(out, move |ctx| {
            let g = ctx.grad(0);
            Ok(vec![Some(Tensor::zeros_on(&shape, g.dtype(), g.device())?.index_put(&[TensorIndex::Tensor(mask.clone())], g, true)?)])
        })
    }

    pub fn take(&self, index: &Tensor) -> Result<Tensor> {
        let Some(rec) = begin("TakeBackward0", &[self]) else { return self.take_forward(index) };
        let out = self.take_forward(index)?;
        let (shape, index) = (self.shape().to_vec(), index.clone());
        rec.finish(out, move |ctx| {
            let g = ctx.grad(0);
            Ok(vec![Some(Tensor::zeros_on(&shape, g.dtype(), g.device())?.put(&index, g, true)?)])
        })
    }

    /// Out-of-place `put(index, source, accumulate)` on the flattened `self`.
    pub fn put(&self, index: &Tensor, source: &Tensor, accumulate: bool) -> Result<Tensor> {
        let forward = || -> Result<Tensor> {
            let out = self.deep_clone()?;
            out.put_(index, source, accumulate)?;
            Ok(out)
        };
        let Some(rec) = begin("PutBackward0", &[self, source]) else { return forward() };
        let out = forward()?;
        let (index, sshape) = (index.clone(), source.shape().to_vec());
        rec.finish(out, move |ctx| {
            let g = ctx.grad(0);
            let gs = match (ctx.needs(0), accumulate) {
                (false, _) => None,
                (true, true) => Some(g.clone()),
                (true, false) => Some(g.put(&index, &Tensor::zeros_on(&sshape, g.dtype(), g.device())?, false)?),
            };
            let gsrc = if ctx.needs(1) { Some(g.take(&index)?.reshape(&sshape.iter().map(|&d| d as i64).collect::<Vec<_>>())?) } else { None };
            Ok(vec![gs, gsrc])
        })
    }

    /// `take_along_dim`: a gather over the broadcast input (PyTorch's composite records a
    /// GatherBackward0 too); the engine sums the gradient back over broadcast dims.
    pub fn take_along_dim(&self, indices: &Tensor, dim: Option<i64>) -> Result<Tensor> {
        let Some(rec) = begin("GatherBackward0", &[self]) else { return self.take_along_dim_forward(indices, dim) };
        let out = self.take_along_dim_forward(indices, dim)?;
        let (shape, indices) = (self.shape().to_vec(), indices.clone());
        let d = match dim {
            Some(d) if !shape.is_empty() => Some(crate::shape::normalize_dim(d, shape.len())?),
            _ => None,
        };
        rec.finish(out, move |ctx| {
            let g = ctx.grad(0);
            let gx = match (dim, d) {
                (None, _) => Tensor::zeros_on(&shape, g.dtype(), g.device())?.put(&indices.reshape(&[-1])?, &g.reshape(&[-1])?, true)?,
                (Some(_), None) => Tensor::zeros_on(&shape, g.dtype(), g.device())?.scatter_add(0, &indices, g)?,
                (Some(_), Some(d)) => {
                    // The forward gathered from self expanded to the index's other dims.
                    let mut a_shape = g.shape().to_vec();
                    a_shape[d] = shape[d];
                    let i = indices.expand(g.shape())?;
                    Tensor::zeros_on(&a_shape, g.dtype(), g.device())?.scatter_add(d as i64, &i, g)?
                }
            };
            Ok(vec![Some(gx)])
        })
    }
}
