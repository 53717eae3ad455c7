//! Reductions, scans and the clamp/lerp family: each public op records its node around the
//! `*_forward` kernel in `ops/`. Gradients of reductions are the output gradient put back at
//! the reduced dims and expanded over them, times the op's local derivative.
use super::super::node::begin;
use crate::dtype::{DType, Scalar};
use crate::error::Result;
use crate::ops::binary::{BinaryOp, Operand};
use crate::ops::index::{where_, Reduce, Source};
use crate::ops::unary::UnaryOp;
use crate::shape::normalize_dim;
use crate::tensor::Tensor;

/// The dims a reduction removes, sorted (None or an empty list: all of them).
fn reduced_dims(ndim: usize, dims: Option<&[i64]>) -> Result<Vec<usize>> {
    let mut v: Vec<usize> = match dims {
        None | Some([]) => (0..ndim).collect(),
        Some(d) => d.iter().map(|&x| normalize_dim(x, ndim.max(1)).map(|x| x.min(ndim.saturating_sub(1)))).collect::<Result<_>>()?,
    };
    v.sort_unstable();
    v.dedup();
    Ok(v)
}

/// A reduced result (or its gradient) with the reduced dims restored as size 1.
fn keep_dims(t: &Tensor, dims: &[usize], keepdim: bool) -> Result<Tensor> {
    if keepdim {
        return Ok(t.clone());
    }
    let mut r = t.clone();
    for &d in dims {
        r = r.unsqueeze(d as i64)?;
    }
    Ok(r)
}

/// `t` (reduced over `dims`) broadcast back over the input's shape.
fn unreduce(t: &Tensor, shape: &[usize], dims: &[usize], keepdim: bool) -> Result<Tensor> {
    if shape.is_empty() {
        return t.reshape(&[]);
    }
    keep_dims(t, dims, keepdim)?.expand(shape)
}

fn numel_over(shape: &[usize], dims: &[usize]) -> usize {
    dims.iter().map(|&d| shape.get(d).copied().unwrap_or(1)).product()
}

fn one<T>(v: T) -> Result<Vec<Option<T>>> {
    Ok(vec![Some(v)])
}

/// A clamp bound as an operand: the Python number when it was one, else the saved tensor.
fn bound(t: &Tensor, s: Option<Scalar>) -> Operand<'_> {
    match s {
        Some(s) => Operand::Scalar(s),
        None => Operand::Tensor(t),
    }
}

/// Gradient shared by max/min/amax/amin over several dims: split evenly among ties.
fn evenly_to_extremes(g: &Tensor, x: &Tensor, out: &Tensor, dims: &[usize], keepdim: bool) -> Result<Tensor> {
    let shape = x.shape().to_vec();
    let hit = x.binary(&unreduce(out, &shape, dims, keepdim)?, BinaryOp::Eq)?.to_dtype(x.dtype())?;
    let count = hit.sum(Some(&dims.iter().map(|&d| d as i64).collect::<Vec<_>>()), true, None)?;
    unreduce(g, &shape, dims, keepdim)?.mul(&hit)?.div(&count.expand(&shape)?)
}

impl Tensor {
    pub fn sum(&self, dims: Option<&[i64]>, keepdim: bool, dtype: Option<DType>) -> Result<Tensor> {
        if self.dtype().is_complex() || dtype.is_some_and(|d| d.is_complex()) {
            return crate::ops::complex::complex_reduce(&self.to_dtype(dtype.unwrap_or(self.dtype()))?, dims, keepdim, false);
        }
        let name = if dims.is_none() { "SumBackward0" } else { "SumBackward1" };
        let Some(rec) = begin(name, &[self]) else { return self.sum_forward(dims, keepdim, dtype) };
        let out = self.sum_forward(dims, keepdim, dtype)?;
        let (shape, rd) = (self.shape().to_vec(), reduced_dims(self.ndim(), dims)?);
        rec.finish(out, move |ctx| one(unreduce(ctx.grad(0), &shape, &rd, keepdim)?))
    }

    pub fn nansum(&self, dims: Option<&[i64]>, keepdim: bool, dtype: Option<DType>) -> Result<Tensor> {
        if self.dtype().is_complex() {
            return crate::ops::complex::complex_nansum(self, dims, keepdim, dtype);
        }
        let Some(rec) = begin("NansumBackward0", &[self]) else { return self.nansum_forward(dims, keepdim, dtype) };
        let out = self.nansum_forward(dims, keepdim, dtype)?;
        let (shape, rd) = (self.shape().to_vec(), reduced_dims(self.ndim(), dims)?);
        rec.save_input(self).finish(out, move |ctx| {
            let keep = ctx.saved(0).unary(UnaryOp::IsNan)?.unary(UnaryOp::LogicalNot)?;
            one(unreduce(ctx.grad(0), &shape, &rd, keepdim)?.keep_where(&keep)?)
        })
    }

    pub fn mean(&self, dims: Option<&[i64]>, keepdim: bool, dtype: Option<DType>) -> Result<Tensor> {
        if self.dtype().is_complex() || dtype.is_some_and(|d| d.is_complex()) {
            return crate::ops::complex::complex_reduce(&self.to_dtype(dtype.unwrap_or(self.dtype()))?, dims, keepdim, true);
        }
        let name = if dims.is_none() { "MeanBackward0" } else { "MeanBackward1" };
        let Some(rec) = begin(name, &[self]) else { return self.mean_forward(dims, keepdim, dtype) };
        let out = self.mean_forward(dims, keepdim, dtype)?;
        let (shape, rd) = (self.shape().to_vec(), reduced_dims(self.ndim(), dims)?);
        let n = numel_over(&shape, &rd) as f64;
        rec.finish(out, move |ctx| one(unreduce(ctx.grad(0), &shape, &rd, keepdim)?.mul_s(1.0 / n)?))
    }

    pub fn nanmean(&self, dims: Option<&[i64]>, keepdim: bool, dtype: Option<DType>) -> Result<Tensor> {
        let Some(rec) = begin("DivBackward0", &[self]) else { return self.nanmean_forward(dims, keepdim, dtype) };
        let out = self.nanmean_forward(dims, keepdim, dtype)?;
        let (shape, rd) = (self.shape().to_vec(), reduced_dims(self.ndim(), dims)?);
        let rdi: Vec<i64> = rd.iter().map(|&d| d as i64).collect();
        rec.save_input(self).finish(out, move |ctx| {
            let keep = ctx.saved(0).unary(UnaryOp::IsNan)?.unary(UnaryOp::LogicalNot)?;
            let count = keep.to_dtype(ctx.grad(0).dtype())?.sum(Some(&rdi), true, None)?;
            let g = keep_dims(ctx.grad(0), &rd, keepdim)?.div(&count)?;
            one(g.expand(&shape)?.keep_where(&keep)?)
        })
    }

    /// Each element's gradient is the product of the others in its group, computed from
    /// exclusive products on both sides, so zeros in the input are handled exactly.
    pub fn prod(&self, dims: Option<&[i64]>, keepdim: bool, dtype: Option<DType>) -> Result<Tensor> {
        if self.dtype().is_complex() || dtype.is_some_and(|d| d.is_complex()) {
            return crate::ops::complex::complex_prod(&self.to_dtype(dtype.unwrap_or(self.dtype()))?, dims, keepdim);
        }
        let name = if dims.is_none() { "ProdBackward0" } else { "ProdBackward1" };
        let Some(rec) = begin(name, &[self]) else { return self.prod_forward(dims, keepdim, dtype) };
        let out = self.prod_forward(dims, keepdim, dtype)?;
        let (shape, rd) = (self.shape().to_vec(), reduced_dims(self.ndim(), dims)?);
        rec.save_input(self).finish(out, move |ctx| {
            let x = ctx.saved(0).to_dtype(ctx.grad(0).dtype())?;
            let g = unreduce(ctx.grad(0), &shape, &rd, keepdim)?;
            if x.numel() == 0 {
                return one(g);
            }
            // Bring the reduced dims to the end and flatten them into one.
            let kept: Vec<usize> = (0..shape.len()).filter(|d| !rd.contains(d)).collect();
            let perm: Vec<i64> = kept.iter().chain(rd.iter()).map(|&d| d as i64).collect();
            let mut flat_shape: Vec<i64> = kept.iter().map(|&d| shape[d] as i64).collect();
            flat_shape.push(-1);
            let xs = if shape.is_empty() { x.reshape(&[1])? } else { x.permute(&perm)?.reshape(&flat_shape)? };
            let others = exclusive_products(&xs)?;
            let mut permuted: Vec<i64> = kept.iter().map(|&d| shape[d] as i64).collect();
            permuted.extend(rd.iter().map(|&d| shape[d] as i64));
            let back = if shape.is_empty() {
                others.reshape(&[])?
            } else {
                let mut inv = vec![0i64; perm.len()];
                for (i, &p) in perm.iter().enumerate() {
                    inv[p as usize] = i as i64;
                }
                others.reshape(&permuted)?.permute(&inv)?
            };
            one(g.mul(&back)?)
        })
    }

    pub fn amax(&self, dims: Option<&[i64]>, keepdim: bool) -> Result<Tensor> {
        self.extreme_over("AmaxBackward0", dims, keepdim, |x| x.amax_forward(dims, keepdim))
    }
    pub fn amin(&self, dims: Option<&[i64]>, keepdim: bool) -> Result<Tensor> {
        self.extreme_over("AminBackward0", dims, keepdim, |x| x.amin_forward(dims, keepdim))
    }
    pub fn max_all(&self) -> Result<Tensor> {
        self.extreme_over("MaxBackward1", None, false, |x| x.max_all_forward())
    }
    pub fn min_all(&self) -> Result<Tensor> {
        self.extreme_over("MinBackward1", None, false, |x| x.min_all_forward())
    }
    fn extreme_over(&self, name: &'static str, dims: Option<&[i64]>, keepdim: bool, f: impl FnOnce(&Tensor) -> Result<Tensor>) -> Result<Tensor> {
        let Some(rec) = begin(name, &[self]) else { return f(self) };
        let out = f(self)?;
        let rd = reduced_dims(self.ndim(), dims)?;
        rec.save_input(self).save_output(0).finish(out, move |ctx| one(evenly_to_extremes(ctx.grad(0), ctx.saved(0), ctx.saved(1), &rd, keepdim)?))
    }

    /// max/min along a dim: the gradient goes to the element whose index was returned.
    pub fn max_dim(&self, dim: i64, keepdim: bool) -> Result<(Tensor, Tensor)> {
        self.indexed_extreme("MaxBackward0", dim, keepdim, |x| x.max_dim_forward(dim, keepdim))
    }
    pub fn min_dim(&self, dim: i64, keepdim: bool) -> Result<(Tensor, Tensor)> {
        self.indexed_extreme("MinBackward0", dim, keepdim, |x| x.min_dim_forward(dim, keepdim))
    }
    fn indexed_extreme(&self, name: &'static str, dim: i64, keepdim: bool, f: impl FnOnce(&Tensor) -> Result<(Tensor, Tensor)>) -> Result<(Tensor, Tensor)> {
        let Some(rec) = begin(name, &[self]) else { return f(self) };
        let (v, i) = f(self)?;
        let shape = self.shape().to_vec();
        let d = if shape.is_empty() { 0 } else { normalize_dim(dim, shape.len())? };
        let idx = i.clone();
        let mut outs = rec.finish_many(vec![v, i], move |ctx| one(scatter_to(ctx.grad(0), &idx, &shape, d, keepdim)?))?.into_iter();
        Ok((outs.next().expect("values"), outs.next().expect("indices")))
    }

    pub fn aminmax(&self, dim: Option<i64>, keepdim: bool) -> Result<(Tensor, Tensor)> {
        let Some(rec) = begin("AminmaxBackward0", &[self]) else { return self.aminmax_forward(dim, keepdim) };
        let (lo, hi) = self.aminmax_forward(dim, keepdim)?;
        let rd = match dim {
            None => reduced_dims(self.ndim(), None)?,
            Some(d) => reduced_dims(self.ndim(), Some(&[d]))?,
        };
        let mut outs = rec.save_input(self).save_output(0).save_output(1).finish_many(vec![lo, hi], move |ctx| {
            let x = ctx.saved(0);
            let a = evenly_to_extremes(ctx.grad(0), x, ctx.saved(1), &rd, keepdim)?;
            let b = evenly_to_extremes(ctx.grad(1), x, ctx.saved(2), &rd, keepdim)?;
            one(a.add(&b)?)
        })?.into_iter();
        Ok((outs.next().expect("min"), outs.next().expect("max")))
    }

    pub fn var(&self, dims: Option<&[i64]>, correction: f64, keepdim: bool) -> Result<Tensor> {
        self.moment("VarBackward0", dims, correction, keepdim, false, false).map(|mut v| v.remove(0))
    }
    pub fn std(&self, dims: Option<&[i64]>, correction: f64, keepdim: bool) -> Result<Tensor> {
        self.moment("StdBackward0", dims, correction, keepdim, true, false).map(|mut v| v.remove(0))
    }
    pub fn var_mean(&self, dims: Option<&[i64]>, correction: f64, keepdim: bool) -> Result<(Tensor, Tensor)> {
        let mut v = self.moment("VarMeanBackward0", dims, correction, keepdim, false, true)?;
        Ok((v.remove(0), v.remove(0)))
    }
    pub fn std_mean(&self, dims: Option<&[i64]>, correction: f64, keepdim: bool) -> Result<(Tensor, Tensor)> {
        let mut v = self.moment("StdMeanBackward0", dims, correction, keepdim, true, true)?;
        Ok((v.remove(0), v.remove(0)))
    }
    /// var/std (and the mean when `with_mean`): d var/dx = 2 (x - mean) / (N - correction).
    fn moment(&self, name: &'static str, dims: Option<&[i64]>, correction: f64, keepdim: bool, sqrt: bool, with_mean: bool) -> Result<Vec<Tensor>> {
        if self.dtype().is_complex() {
            return crate::ops::complex::complex_moment(self, dims, correction, keepdim, sqrt, with_mean);
        }
        let forward = || -> Result<Vec<Tensor>> {
            let (a, m) = if sqrt { self.std_mean_forward(dims, correction, keepdim)? } else { self.var_mean_forward(dims, correction, keepdim)? };
            Ok(if with_mean { vec![a, m] } else { vec![a] })
        };
        let Some(rec) = begin(name, &[self]) else { return forward() };
        let outs = forward()?;
        let (shape, rd) = (self.shape().to_vec(), reduced_dims(self.ndim(), dims)?);
        let n = numel_over(&shape, &rd) as f64;
        let rdi: Vec<i64> = rd.iter().map(|&d| d as i64).collect();
        rec.save_input(self).save_output(0).finish_many(outs, move |ctx| {
            let x = ctx.saved(0);
            let centered = x.sub(&x.mean(Some(&rdi), true, None)?)?;
            let mut g = unreduce(ctx.grad(0), &shape, &rd, keepdim)?.mul(&centered)?.mul_s(1.0 / (n - correction).max(0.0))?;
            if sqrt {
                g = g.div(&unreduce(ctx.saved(1), &shape, &rd, keepdim)?)?;
            } else {
                g = g.mul_s(2.0)?;
            }
            if with_mean {
                g = g.add(&unreduce(ctx.grad(1), &shape, &rd, keepdim)?.mul_s(1.0 / n)?)?;
            }
            one(g)
        })
    }

    pub fn logsumexp(&self, dims: Option<&[i64]>, keepdim: bool) -> Result<Tensor> {
        if self.dtype().is_complex() {
            return crate::ops::complex::complex_logsumexp(self, dims, keepdim);
        }
        let Some(rec) = begin("LogsumexpBackward0", &[self]) else { return self.logsumexp_forward(dims, keepdim) };
        let out = self.logsumexp_forward(dims, keepdim)?;
        let (shape, rd) = (self.shape().to_vec(), reduced_dims(self.ndim(), dims)?);
        rec.save_input(self).save_output(0).finish(out, move |ctx| {
            let soft = ctx.saved(0).sub(&unreduce(ctx.saved(1), &shape, &rd, keepdim)?)?.unary(UnaryOp::Exp)?;
            one(unreduce(ctx.grad(0), &shape, &rd, keepdim)?.mul(&soft)?)
        })
    }

    /// `linalg.vector_norm`; at a zero vector the 2-norm's gradient is 0 (as PyTorch), not NaN.
    pub fn vector_norm(&self, p: f64, dims: Option<&[i64]>, keepdim: bool, dtype: Option<DType>) -> Result<Tensor> {
        if self.dtype().is_complex() {
            // The norm of a complex vector is the norm of its moduli (real, as in PyTorch).
            return self.unary(UnaryOp::Abs)?.vector_norm(p, dims, keepdim, dtype.map(|d| d.to_real()));
        }
        let Some(rec) = begin("LinalgVectorNormBackward0", &[self]) else { return self.vector_norm_forward(p, dims, keepdim, dtype) };
        let out = self.vector_norm_forward(p, dims, keepdim, dtype)?;
        let (shape, rd) = (self.shape().to_vec(), reduced_dims(self.ndim(), dims)?);
        rec.save_input(self).save_output(0).finish(out, move |ctx| {
            let x = ctx.saved(0).to_dtype(ctx.grad(0).dtype())?;
            let norm = unreduce(ctx.saved(1), &shape, &rd, keepdim)?;
            let g = unreduce(ctx.grad(0), &shape, &rd, keepdim)?;
            let zero_norm = norm.binary_scalar(Scalar::Float(0.0), BinaryOp::Eq)?;
            let r = if p == 0.0 {
                g.zeros_like()?
            } else if p == 1.0 {
                g.mul(&x.unary(UnaryOp::Sign)?)?
            } else if p.is_infinite() {
                let ext = evenly_to_extremes(ctx.grad(0), &x.unary(UnaryOp::Abs)?, ctx.saved(1), &rd, keepdim)?;
                ext.mul(&x.unary(UnaryOp::Sign)?)?
            } else if p == 2.0 {
                let safe = where_(&zero_norm, Operand::Scalar(Scalar::Float(1.0)), Operand::Tensor(&norm))?;
                g.mul(&x)?.div(&safe)?.keep_where(&zero_norm.unary(UnaryOp::LogicalNot)?)?
            } else {
                // g * x |x|^(p-2) / norm^(p-1)
                let safe = where_(&zero_norm, Operand::Scalar(Scalar::Float(1.0)), Operand::Tensor(&norm))?;
                let num = x.mul(&x.unary(UnaryOp::Abs)?.pow_s(p - 2.0)?)?;
                g.mul(&num)?.div(&safe.pow_s(p - 1.0)?)?.keep_where(&zero_norm.unary(UnaryOp::LogicalNot)?)?
            };
            one(r)
        })
    }

    pub fn cumsum(&self, dim: i64, dtype: Option<DType>) -> Result<Tensor> {
        if self.dtype().is_complex() || dtype.is_some_and(|d| d.is_complex()) {
            let z = self.to_dtype(dtype.unwrap_or(self.dtype()))?;
            let d = crate::ops::complex::real_view_dim(&z, dim)?;
            return crate::ops::complex::on_real_view(&z, |r| r.cumsum(d, None));
        }
        let Some(rec) = begin("CumsumBackward0", &[self]) else { return self.cumsum_forward(dim, dtype) };
        let out = self.cumsum_forward(dim, dtype)?;
        let d = normalize_dim(dim, self.ndim().max(1))?;
        let zero_d = self.ndim() == 0;
        rec.finish(out, move |ctx| one(reverse_cumsum(ctx.grad(0), d, zero_d)?))
    }

    /// d/dx_i of cumprod: sum over j >= i of g_j * out_j / x_i while no zero comes at or before
    /// i. Past a row's first zero every product holds that zero, so the gradient is 0; at the
    /// first zero z it is sum over j >= z of g_j * cumprod(x with x_z = 1)_j. PyTorch's exact
    /// handling, written with masks so that it needs no readback.
    pub fn cumprod(&self, dim: i64, dtype: Option<DType>) -> Result<Tensor> {
        if self.dtype().is_complex() || dtype.is_some_and(|d| d.is_complex()) {
            return crate::ops::complex::complex_cumprod(&self.to_dtype(dtype.unwrap_or(self.dtype()))?, dim);
        }
        let Some(rec) = begin("CumprodBackward0", &[self]) else { return self.cumprod_forward(dim, dtype) };
        let out = self.cumprod_forward(dim, dtype)?;
        let d = normalize_dim(dim, self.ndim().max(1))?;
        let zero_d = self.ndim() == 0;
        rec.save_input(self).save_output(0).finish(out, move |ctx| {
            let g = ctx.grad(0);
            if zero_d {
                return one(g.clone());
            }
            let x = ctx.saved(0).to_dtype(g.dtype())?;
            let is_zero = x.binary_scalar(Scalar::Int(0), BinaryOp::Eq)?;
            // create_graph with a zero in the input: the masked formula below is exact but treats
            // positions after a zero as constants, so their second derivatives would be lost. The
            // O(n^2) definition keeps them; without zeros the division formula is differentiable.
            if crate::autograd::mode::is_grad_enabled() && is_zero.any(None, false)?.item()?.to_i64() != 0 {
                return one(cumprod_grad_by_definition(&x, g, d)?);
            }
            let zeros_so_far = is_zero.cumsum_forward(d as i64, Some(DType::I64))?;
            let no_zero_yet = zeros_so_far.binary_scalar(Scalar::Int(0), BinaryOp::Eq)?;
            let first_zero = is_zero.binary(&zeros_so_far.binary_scalar(Scalar::Int(1), BinaryOp::Eq)?, BinaryOp::LogicalAnd)?;
            let one_at = |mask: &Tensor| where_(mask, Operand::Scalar(Scalar::Float(1.0)), Operand::Tensor(&x));
            let plain = reverse_cumsum(&g.mul(ctx.saved(1))?, d, false)?.div(&one_at(&is_zero)?)?;
            let at_zero = reverse_cumsum(&g.mul(&one_at(&first_zero)?.cumprod(d as i64, None)?)?, d, false)?;
            let rest = at_zero.keep_where(&first_zero)?;
            one(where_(&no_zero_yet, Operand::Tensor(&plain), Operand::Tensor(&rest))?)
        })
    }

    /// clamp: the gradient passes where min <= x <= max; tensor bounds get it where they won.
    pub fn clamp(&self, min: Option<Operand>, max: Option<Operand>) -> Result<Tensor> {
        if self.dtype().is_complex() {
            crate::bail!(NotImplemented, "clamp is not supported for complex types");
        }
        let lo = match min {
            Some(Operand::Tensor(t)) => Some(t.clone()),
            _ => None,
        };
        let hi = match max {
            Some(Operand::Tensor(t)) => Some(t.clone()),
            _ => None,
        };
        let tensor_bounds = lo.is_some() || hi.is_some();
        let nothing = Tensor::zeros_on(&[], self.dtype(), self.device())?;
        let (lo_t, hi_t) = (lo.clone().unwrap_or_else(|| nothing.clone()), hi.clone().unwrap_or_else(|| nothing.clone()));
        let name = if tensor_bounds { "ClampBackward0" } else { "ClampBackward1" };
        let Some(rec) = begin(name, &[self, &lo_t, &hi_t]) else { return self.clamp_forward(min, max) };
        let out = self.clamp_forward(min, max)?;
        let lo_s = match min { Some(Operand::Scalar(s)) => Some(s), _ => None };
        let hi_s = match max { Some(Operand::Scalar(s)) => Some(s), _ => None };
        let (has_lo, has_hi) = (min.is_some(), max.is_some());
        rec.save_input(self).save_input(&lo_t).save_input(&hi_t).finish(out, move |ctx| {
            let (g, x) = (ctx.grad(0), ctx.saved(0));
            let (lt, ht) = (ctx.saved(1).clone(), ctx.saved(2).clone());
            let ge_lo = if has_lo { Some(crate::ops::binary::binary(BinaryOp::Ge, Operand::Tensor(x), bound(&lt, lo_s))?) } else { None };
            let le_hi = if has_hi { Some(crate::ops::binary::binary(BinaryOp::Le, Operand::Tensor(x), bound(&ht, hi_s))?) } else { None };
            let inside = match (&ge_lo, &le_hi) {
                (Some(a), Some(b)) => a.binary(b, BinaryOp::LogicalAnd)?,
                (Some(a), None) => a.clone(),
                (None, Some(b)) => b.clone(),
                (None, None) => unreachable!("clamp needs a bound"),
            };
            let gx = g.keep_where(&inside)?;
            let glo = match (&ge_lo, lo_s.is_none() && has_lo) {
                (Some(a), true) if ctx.needs(1) => Some(g.keep_where(&a.unary(UnaryOp::LogicalNot)?)?),
                _ => None,
            };
            let ghi = match (&le_hi, hi_s.is_none() && has_hi) {
                (Some(b), true) if ctx.needs(2) => {
                    let above = b.unary(UnaryOp::LogicalNot)?;
                    let above = match &ge_lo { Some(a) => above.binary(a, BinaryOp::LogicalAnd)?, None => above };
                    Some(g.keep_where(&above)?)
                }
                _ => None,
            };
            Ok(vec![Some(gx), glo, ghi])
        })
    }

    pub fn lerp(&self, end: &Tensor, weight: Operand) -> Result<Tensor> {
        if self.dtype().is_complex() || end.dtype().is_complex() || weight.tensor().is_some_and(|w| w.dtype().is_complex()) {
            return crate::ops::complex::complex_lerp(self, end, weight);
        }
        let w = match weight {
            Operand::Tensor(t) => Some(t.clone()),
            Operand::Scalar(_) => None,
        };
        let w_t = w.clone().unwrap_or(Tensor::zeros_on(&[], self.dtype(), self.device())?);
        let name = if w.is_some() { "LerpBackward1" } else { "LerpBackward0" };
        let Some(rec) = begin(name, &[self, end, &w_t]) else { return self.lerp_forward(end, weight) };
        let out = self.lerp_forward(end, weight)?;
        let ws = match weight { Operand::Scalar(s) => Some(s.to_f64()), _ => None };
        rec.save_input(self).save_input(end).save_input(&w_t).finish(out, move |ctx| {
            let g = ctx.grad(0);
            let (a, b) = (ctx.saved(0), ctx.saved(1));
            let (ga, gb) = match ws {
                Some(wv) => (g.mul_s(1.0 - wv)?, g.mul_s(wv)?),
                None => {
                    let w = ctx.saved(2);
                    (g.mul(&w.rsub_s(1.0)?)?, g.mul(w)?)
                }
            };
            let gw = if ws.is_none() && ctx.needs(2) { Some(g.mul(&b.sub(a)?)?) } else { None };
            Ok(vec![Some(ga), Some(gb), gw])
        })
    }

    pub fn nan_to_num(&self, nan: f64, posinf: Option<f64>, neginf: Option<f64>) -> Result<Tensor> {
        let Some(rec) = begin("NanToNumBackward0", &[self]) else { return self.nan_to_num_forward(nan, posinf, neginf) };
        let out = self.nan_to_num_forward(nan, posinf, neginf)?;
        rec.save_input(self).finish(out, |ctx| one(ctx.grad(0).keep_where(&ctx.saved(0).unary(UnaryOp::IsFinite)?)?))
    }
}

/// Reverse cumulative sum along `d` (the adjoint of cumsum).
fn reverse_cumsum(g: &Tensor, d: usize, zero_d: bool) -> Result<Tensor> {
    if zero_d {
        return Ok(g.clone());
    }
    g.flip(&[d as i64])?.cumsum(d as i64, None)?.flip(&[d as i64])
}

/// d/dx_i of sum(g * cumprod(x)) = sum over j >= i of g_j * prod_{k <= j, k != i} x_k, spelled
/// out as an (n, n) matrix per row: O(n^2), but differentiable everywhere, zeros included.
fn cumprod_grad_by_definition(x: &Tensor, g: &Tensor, d: usize) -> Result<Tensor> {
    let (x, g) = (x.movedim(&[d as i64], &[-1])?, g.movedim(&[d as i64], &[-1])?);
    let n = *x.shape().last().expect("at least 1-d") as i64;
    let idx = Tensor::arange(Scalar::Int(0), Scalar::Int(n), Scalar::Int(1), None)?.to_device(x.device())?;
    let (row, col) = (idx.unsqueeze(1)?, idx.unsqueeze(0)?);
    // Row i of `skip_i` is x with x_i replaced by 1; its cumprod at j >= i is the product above.
    let skip_i = where_(&row.binary(&col, BinaryOp::Eq)?, Operand::Scalar(Scalar::Float(1.0)), Operand::Tensor(&x.unsqueeze(-2)?))?;
    let terms = g.unsqueeze(-2)?.mul(&skip_i.cumprod(-1, None)?)?.keep_where(&row.binary(&col, BinaryOp::Le)?)?;
    terms.sum(Some(&[-1]), false, None)?.movedim(&[-1], &[d as i64])
}

/// For rows along the last dim: each element replaced by the product of the other elements.
fn exclusive_products(x: &Tensor) -> Result<Tensor> {
    let n = *x.shape().last().expect("at least 1-d");
    let last = x.ndim() as i64 - 1;
    let ones = Tensor::full_on(&[&x.shape()[..x.ndim() - 1], &[1]].concat(), Scalar::Float(1.0), x.dtype(), x.device())?;
    if n == 1 {
        return Ok(ones);
    }
    // left[i] = prod(x[..i]), right[i] = prod(x[i+1..])
    let head = x.narrow(last, 0, n as i64 - 1)?;
    let left = crate::ops::shape_ops::cat(&[ones.clone(), head.cumprod(last, None)?], last)?;
    let tail = x.narrow(last, 1, n as i64 - 1)?.flip(&[last])?;
    let right = crate::ops::shape_ops::cat(&[ones, tail.cumprod(last, None)?], last)?.flip(&[last])?;
    left.mul(&right)
}

/// Puts a max/min-along-dim gradient back at the returned indices.
fn scatter_to(g: &Tensor, idx: &Tensor, shape: &[usize], d: usize, keepdim: bool) -> Result<Tensor> {
    if shape.is_empty() {
        return g.reshape(&[]);
    }
    let (g, idx) = if keepdim { (g.clone(), idx.clone()) } else { (g.unsqueeze(d as i64)?, idx.unsqueeze(d as i64)?) };
    Tensor::zeros_on(shape, g.dtype(), g.device())?.scatter(d as i64, &idx, Source::Tensor(&g), Reduce::None)
}
