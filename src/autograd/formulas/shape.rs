//! Gradients of the copying shape ops (`ops/shape_ops.rs`, diag/diag_embed in `ops/matmul`).
//! `cat` hands each input its slice of the gradient; ops that only move elements (flip,
//! repeat, repeat_interleave) scatter it back through `index_map`; tril/triu mask it.
use super::super::node::begin;
use super::index_map::{index_maps, record_move, scatter, Names};
use crate::error::Result;
use crate::ops::shape_ops::cat_forward;
use crate::shape::normalize_dim;
use crate::tensor::Tensor;

/// `torch.cat` (CatBackward0): input `i` gets the gradient's slice along `dim`. 1-D empty
/// inputs, which cat skips, get empty gradients.
pub(crate) fn record_cat(tensors: &[Tensor], dim: i64) -> Result<Tensor> {
    let refs: Vec<&Tensor> = tensors.iter().collect();
    let Some(rec) = begin("CatBackward0", &refs) else { return cat_forward(tensors, dim) };
    let out = cat_forward(tensors, dim)?;
    let skipped = |t: &Tensor| t.ndim() == 1 && t.numel() == 0;
    // (start, len) along `dim` per input; None for skipped ones.
    let d = normalize_dim(dim, out.ndim().max(1))? as i64;
    let mut start = 0i64;
    let parts: Vec<Option<(i64, i64)>> = tensors
        .iter()
        .map(|t| {
            if skipped(t) {
                return None;
            }
            let len = t.shape()[d as usize] as i64;
            start += len;
            Some((start - len, len))
        })
        .collect();
    rec.finish(out, move |ctx| {
        let g = ctx.grad(0);
        parts
            .iter()
            .enumerate()
            .map(|(i, p)| {
                if !ctx.needs(i) {
                    return Ok(None);
                }
                Ok(Some(match p {
                    Some((s, l)) => g.narrow(d, *s, *l)?,
                    None => Tensor::zeros_on(&[0], g.dtype(), g.device())?,
                }))
            })
            .collect()
    })
}

/// True when an op on `t` is being recorded (so the slower, recorded path is worth taking).
fn recording(t: &Tensor) -> bool {
    crate::autograd::is_grad_enabled() && t.requires_grad()
}

/// `src` written onto the `offset` diagonal of dims `d1`, `d2` of zeros of `shape`
/// (diag of a vector, diag_embed): DiagEmbedBackward0, whose gradient is that diagonal.
/// None when nothing records (the caller's kernel is faster).
pub(crate) fn record_embed_diagonal(src: &Tensor, shape: &[usize], offset: i64, d1: i64, d2: i64) -> Result<Option<Tensor>> {
    if !recording(src) {
        return Ok(None);
    }
    let map = index_maps(shape, &|t| Ok(vec![t.diagonal_forward(offset, d1, d2)?]))?.pop().expect("one map");
    let src = src.contiguous()?;
    Ok(Some(scatter(&src, &map, shape, Names { gather: "DiagonalBackward0", scatter: "DiagEmbedBackward0" })?))
}

impl Tensor {
    pub fn flip(&self, dims: &[i64]) -> Result<Tensor> {
        if self.dtype().is_complex() {
            let d = dims.iter().map(|&d| crate::ops::complex::real_view_dim(self, d)).collect::<Result<Vec<_>>>()?;
            return crate::ops::complex::on_real_view(self, |r| r.flip(&d));
        }
        record_move(self, Names { gather: "FlipBackward0", scatter: "FlipBackward0" }, false, |t| t.flip_forward(dims))
    }
    pub fn repeat(&self, sizes: &[i64]) -> Result<Tensor> {
        if self.dtype().is_complex() && sizes.len() >= self.ndim() {
            let mut s = sizes.to_vec();
            s.push(1);
            return crate::ops::complex::on_real_view(self, |r| r.repeat(&s));
        }
        record_move(self, Names { gather: "RepeatBackward0", scatter: "RepeatBackwardBackward0" }, false, |t| t.repeat_forward(sizes))
    }
    pub fn repeat_interleave_tensor(&self, repeats: &Tensor, dim: Option<i64>, output_size: Option<i64>) -> Result<Tensor> {
        record_move(self, Names { gather: "IndexSelectBackward0", scatter: "IndexAddBackward0" }, false, |t| {
            t.repeat_interleave_tensor_forward(repeats, dim, output_size)
        })
    }
    pub fn tril(&self, diagonal: i64) -> Result<Tensor> {
        let Some(rec) = begin("TrilBackward0", &[self]) else { return self.tril_forward(diagonal) };
        rec.finish(self.tril_forward(diagonal)?, move |ctx| Ok(vec![Some(ctx.grad(0).tril(diagonal)?)]))
    }
    pub fn triu(&self, diagonal: i64) -> Result<Tensor> {
        let Some(rec) = begin("TriuBackward0", &[self]) else { return self.triu_forward(diagonal) };
        rec.finish(self.triu_forward(diagonal)?, move |ctx| Ok(vec![Some(ctx.grad(0).triu(diagonal)?)]))
    }
}
