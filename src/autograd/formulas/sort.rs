//! Gradients of sorting and order statistics (`ops/sort.rs`, cummax/cummin): the values'
//! gradient goes back to where each value came from, using the returned indices. Indices
//! never require grad (`finish_many` leaves integer outputs alone).
use super::super::node::begin;
use crate::error::Result;
use crate::ops::binary::BinaryOp;
use crate::ops::index::{Reduce, Source};
use crate::ops::unary::UnaryOp;
use crate::shape::normalize_dim;
use crate::tensor::Tensor;

/// `g` written into zeros of `shape` at `idx` along `d` (positions are distinct: a permutation
/// or a selection, so a plain scatter is exact and stays differentiable in `g`).
fn scatter_back(g: &Tensor, idx: &Tensor, shape: &[usize], d: usize, keepdim: bool) -> Result<Tensor> {
    if shape.is_empty() {
        return g.reshape(&[]);
    }
    let (g, idx) = if keepdim { (g.clone(), idx.clone()) } else { (g.unsqueeze(d as i64)?, idx.unsqueeze(d as i64)?) };
    Tensor::zeros_on(shape, g.dtype(), g.device())?.scatter(d as i64, &idx, Source::Tensor(&g), Reduce::None)
}

fn pair(mut v: Vec<Tensor>) -> (Tensor, Tensor) {
    let i = v.pop().expect("indices");
    (v.pop().expect("values"), i)
}

impl Tensor {
    /// Records a (values, indices) op whose values' gradient is scattered back by the indices.
    fn by_indices(&self, name: &'static str, dim: i64, keepdim: bool, f: impl FnOnce(&Tensor) -> Result<(Tensor, Tensor)>) -> Result<(Tensor, Tensor)> {
        let Some(rec) = begin(name, &[self]) else { return f(self) };
        let (v, i) = f(self)?;
        let shape = self.shape().to_vec();
        let d = if shape.is_empty() { 0 } else { normalize_dim(dim, shape.len())? };
        let idx = i.clone();
        Ok(pair(rec.finish_many(vec![v, i], move |ctx| Ok(vec![Some(scatter_back(ctx.grad(0), &idx, &shape, d, keepdim)?)]))?))
    }

    pub fn sort(&self, dim: i64, descending: bool) -> Result<(Tensor, Tensor)> {
        if self.dtype().is_complex() {
            // (PyTorch's text, leading space included.)
            crate::bail!(Type, " Sort does not support complex dtypes on CPU");
        }
        self.by_indices("SortBackward0", dim, true, |x| x.sort_forward(dim, descending))
    }
    pub fn topk(&self, k: i64, dim: i64, largest: bool) -> Result<(Tensor, Tensor)> {
        if self.dtype().is_complex() {
            // (PyTorch's text, leading space included.)
            crate::bail!(Type, " topk does not support complex dtypes on CPU");
        }
        self.by_indices("TopkBackward0", dim, true, |x| x.topk_forward(k, dim, largest))
    }
    pub fn kthvalue(&self, k: i64, dim: i64, keepdim: bool) -> Result<(Tensor, Tensor)> {
        self.by_indices("KthvalueBackward0", dim, keepdim, |x| x.kthvalue_forward(k, dim, keepdim))
    }
    /// `median(dim)` / `nanmedian(dim)`.
    pub fn median_dim(&self, dim: i64, keepdim: bool, skip_nan: bool) -> Result<(Tensor, Tensor)> {
        let name = if skip_nan { "NanmedianBackward1" } else { "MedianBackward1" };
        self.by_indices(name, dim, keepdim, |x| x.median_dim_forward(dim, keepdim, skip_nan))
    }

    /// `median()` / `nanmedian()` over everything: as PyTorch, the gradient is split evenly
    /// among the elements equal to the result (NaN counts as equal to a NaN result).
    pub fn median_all(&self, skip_nan: bool) -> Result<Tensor> {
        let name = if skip_nan { "NanmedianBackward0" } else { "MedianBackward0" };
        let Some(rec) = begin(name, &[self]) else { return self.median_all_forward(skip_nan) };
        let out = self.median_all_forward(skip_nan)?;
        let shape = self.shape().to_vec();
        rec.save_input(self).save_output(0).finish(out, move |ctx| {
            let (g, x, r) = (ctx.grad(0), ctx.saved(0), ctx.saved(1));
            let r_nan = r.unary(UnaryOp::IsNan)?.expand(&shape)?;
            let same = x.binary(&r.expand(&shape)?, BinaryOp::Eq)?;
            let hit = same.binary(&r_nan.binary(&x.unary(UnaryOp::IsNan)?, BinaryOp::LogicalAnd)?, BinaryOp::LogicalOr)?;
            let count = hit.to_dtype(g.dtype())?.sum(None, false, None)?;
            let each = g.div(&count)?.expand(&shape)?;
            Ok(vec![Some(each.keep_where(&hit)?)])
        })
    }

    /// cummax/cummin: each output position's gradient goes to the element it took its value
    /// from; several positions may share one, so they add up.
    pub fn cummax(&self, dim: i64) -> Result<(Tensor, Tensor)> {
        self.cum_by_indices("CummaxBackward0", dim, |x| x.cummax_forward(dim))
    }
    pub fn cummin(&self, dim: i64) -> Result<(Tensor, Tensor)> {
        self.cum_by_indices("CumminBackward0", dim, |x| x.cummin_forward(dim))
    }
    fn cum_by_indices(&self, name: &'static str, dim: i64, f: impl FnOnce(&Tensor) -> Result<(Tensor, Tensor)>) -> Result<(Tensor, Tensor)> {
        let Some(rec) = begin(name, &[self]) else { return f(self) };
        let (v, i) = f(self)?;
        let shape = self.shape().to_vec();
        let idx = i.clone();
        Ok(pair(rec.finish_many(vec![v, i], move |ctx| {
            let g = ctx.grad(0);
            if shape.is_empty() {
                return Ok(vec![Some(g.clone())]);
            }
            Ok(vec![Some(Tensor::zeros_on(&shape, g.dtype(), g.device())?.scatter_add(dim, &idx, g)?)])
        })?))
    }
}
