//! Softmax and log-softmax along one dim, fused for CPU tensors: a pass for the maximum, one
//! that exponentiates and sums, one that scales, and one recorded node (`SoftmaxBackward0` /
//! `LogSoftmaxBackward0`, PyTorch's names) whose backward is a single pass too. Composed from
//! tensor ops the same softmax costs five kernels, five temporaries and five graph nodes, which
//! showed in attention and cross-entropy. GPU tensors keep the composed path (in Python).
use crate::autograd::mode::is_grad_enabled;
use crate::autograd::node::begin;
use crate::bail;
use crate::dtype::DType;
use crate::error::Result;
use crate::shape::normalize_dim;
use crate::ops::unary::{Real, UnaryOp};
use crate::tensor::Tensor;
use rayon::prelude::*;
use std::mem::MaybeUninit;
use std::ops::{Div, Mul, Sub};

/// The float types the fused kernels run in (half precision computes in float32).
pub(crate) trait Float: Real + Sub<Output = Self> + Mul<Output = Self> + Div<Output = Self> {}
impl Float for f32 {}
impl Float for f64 {}

/// A contiguous tensor seen as `outer` blocks of `len` x `inner` elements around `dim`.
#[derive(Clone, Copy)]
struct Blocks {
    len: usize,
    inner: usize,
}

impl Blocks {
    fn of(shape: &[usize], d: usize) -> Blocks {
        Blocks { len: shape.get(d).copied().unwrap_or(1), inner: shape.get(d + 1..).map_or(1, |s| s.iter().product()) }
    }
    fn size(self) -> usize {
        self.len * self.inner
    }
}

/// Runs `block(inputs, out)` over every block of `n` elements, on the thread pool when large.
/// `block` must initialise all of `out`.
fn per_block<T: Float>(n: usize, b: Blocks, block: impl Fn(usize, &mut [MaybeUninit<T>]) + Sync) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(n);
    let size = b.size();
    if size > 0 {
        let dst = &mut out.spare_capacity_mut()[..n];
        if crate::backend::cpu::parallel(n) {
            let min_blocks = (1 << 14) / size + 1;
            dst.par_chunks_mut(size).with_min_len(min_blocks).enumerate().for_each(|(k, o)| block(k * size, o));
        } else {
            dst.chunks_mut(size).enumerate().for_each(|(k, o)| block(k * size, o));
        }
    }
    // SAFETY: every block of `out` was initialised by `block` (there are none when size is 0,
    // and then n is 0 too).
    unsafe { out.set_len(n) };
    out
}

/// One block of the forward: `x` and `out` hold `len` rows of `inner` values; the softmax runs
/// down each column.
fn forward_block<T: Float>(x: &[T], out: &mut [MaybeUninit<T>], b: Blocks, log: bool) {
    if b.inner == 1 {
        return forward_row(x, out, log);
    }
    let mut max = vec![T::from_f64(f64::NEG_INFINITY); b.inner];
    for row in x.chunks_exact(b.inner) {
        for (m, &v) in max.iter_mut().zip(row) {
            if v > *m {
                *m = v;
            }
        }
    }
    // A NaN, or an infinite maximum (inf - inf), reaches every value through the sum, as in
    // PyTorch.
    let mut sum = vec![T::default(); b.inner];
    for (row, orow) in x.chunks_exact(b.inner).zip(out.chunks_exact_mut(b.inner)) {
        for (((&v, o), &m), s) in row.iter().zip(orow).zip(&max).zip(sum.iter_mut()) {
            let e = (v - m).exp();
            *s = *s + e;
            if !log {
                o.write(e);
            }
        }
    }
    if log {
        let shift: Vec<T> = max.iter().zip(&sum).map(|(&m, &s)| m + s.ln()).collect();
        for (row, orow) in x.chunks_exact(b.inner).zip(out.chunks_exact_mut(b.inner)) {
            for ((&v, o), &c) in row.iter().zip(orow).zip(&shift) {
                o.write(v - c);
            }
        }
    } else {
        let scale: Vec<T> = sum.iter().map(|&s| T::one() / s).collect();
        for orow in out.chunks_exact_mut(b.inner) {
            for (o, &c) in orow.iter_mut().zip(&scale) {
                // SAFETY: the loop above wrote every slot of this block.
                let e = unsafe { o.assume_init() };
                o.write(e * c);
            }
        }
    }
}

/// `forward_block` for a softmax along the last dim: one contiguous row.
fn forward_row<T: Float>(x: &[T], out: &mut [MaybeUninit<T>], log: bool) {
    let m = x.iter().fold(T::from_f64(f64::NEG_INFINITY), |m, &v| if v > m { v } else { m });
    let mut s = T::default();
    if log {
        x.iter().for_each(|&v| s = s + (v - m).exp());
        let c = m + s.ln();
        out.iter_mut().zip(x).for_each(|(o, &v)| {
            o.write(v - c);
        });
        return;
    }
    for (o, &v) in out.iter_mut().zip(x) {
        let e = (v - m).exp();
        s = s + e;
        o.write(e);
    }
    let c = T::one() / s;
    for o in out.iter_mut() {
        // SAFETY: the loop above wrote every slot.
        let e = unsafe { o.assume_init() };
        o.write(e * c);
    }
}

/// One block of the backward from the output `y` and its gradient `g`:
/// softmax: y * (g - sum(g * y)); log-softmax: g - exp(y) * sum(g).
fn backward_block<T: Float>(y: &[T], g: &[T], out: &mut [MaybeUninit<T>], b: Blocks, log: bool) {
    if b.inner == 1 {
        let s = y.iter().zip(g).fold(T::default(), |s, (&yv, &gv)| s + if log { gv } else { gv * yv });
        for ((o, &yv), &gv) in out.iter_mut().zip(y).zip(g) {
            o.write(if log { gv - yv.exp() * s } else { yv * (gv - s) });
        }
        return;
    }
    let mut sum = vec![T::default(); b.inner];
    for (yr, gr) in y.chunks_exact(b.inner).zip(g.chunks_exact(b.inner)) {
        for ((s, &yv), &gv) in sum.iter_mut().zip(yr).zip(gr) {
            *s = *s + if log { gv } else { gv * yv };
        }
    }
    for ((yr, gr), orow) in y.chunks_exact(b.inner).zip(g.chunks_exact(b.inner)).zip(out.chunks_exact_mut(b.inner)) {
        for (((o, &yv), &gv), &s) in orow.iter_mut().zip(yr).zip(gr).zip(&sum) {
            o.write(if log { gv - yv.exp() * s } else { yv * (gv - s) });
        }
    }
}

/// `f(x)` for a float32 or float64 tensor, contiguous afterwards; half precision runs in
/// float32 and rounds once at the end.
fn in_float(x: &Tensor, f: impl Fn(&Tensor) -> Result<Tensor>) -> Result<Tensor> {
    match x.dtype() {
        DType::F32 | DType::F64 => f(&x.contiguous()?),
        DType::F16 | DType::BF16 => f(&x.to_dtype(DType::F32)?)?.to_dtype(x.dtype()),
        d => bail!(NotImplemented, "\"softmax_lastdim_kernel_impl\" not implemented for '{}'", d.scalar_name()),
    }
}

fn forward(x: &Tensor, d: usize, log: bool) -> Result<Tensor> {
    if x.device().is_gpu() {
        bail!(Runtime, "the fused softmax runs on CPU tensors (GPU tensors use the composed one)");
    }
    let b = Blocks::of(x.shape(), d);
    in_float(x, |x| {
        let n = x.numel();
        macro_rules! run {
            ($t:ty) => {{
                let src = x.contiguous_elems::<$t>();
                let out = per_block::<$t>(n, b, |at, o| forward_block(&src[at..at + o.len()], o, b, log));
                Tensor::from_vec(out, x.shape())
            }};
        }
        if x.dtype() == DType::F64 { run!(f64) } else { run!(f32) }
    })
}

/// The gradient of (log-)softmax's input from its output `y` and the output's gradient `g`.
/// When building a graph (double backward) it is composed from recorded ops.
fn backward(y: &Tensor, g: &Tensor, d: usize, log: bool) -> Result<Tensor> {
    let native = matches!(y.dtype(), DType::F32 | DType::F64) && g.dtype() == y.dtype() && !y.device().is_gpu();
    if is_grad_enabled() || !native {
        let dim = [d as i64];
        return if log {
            g.sub(&y.unary(UnaryOp::Exp)?.mul(&g.sum(Some(&dim), true, None)?)?)
        } else {
            y.mul(&g.sub(&g.mul(y)?.sum(Some(&dim), true, None)?)?)
        };
    }
    let (b, n) = (Blocks::of(y.shape(), d), y.numel());
    let (y, g) = (y.contiguous()?, g.contiguous()?);
        macro_rules! run {
            ($t:ty) => {{
                let (ys, gs) = (y.contiguous_elems::<$t>(), g.contiguous_elems::<$t>());
                let out = per_block::<$t>(n, b, |at, o| backward_block(&ys[at..at + o.len()], &gs[at..at + o.len()], o, b, log));
                Tensor::from_vec(out, y.shape())
            }};
        }
    if y.dtype() == DType::F64 { run!(f64) } else { run!(f32) }
}

/// `softmax(x, dim)` (or `log_softmax` when `log`) of a floating-point CPU tensor.
pub fn softmax(x: &Tensor, dim: i64, log: bool) -> Result<Tensor> {
    let d = normalize_dim(dim, x.ndim())?;
    let name = if log { "LogSoftmaxBackward0" } else { "SoftmaxBackward0" };
    let Some(rec) = begin(name, &[x]) else { return forward(x, d, log) };
    let out = forward(x, d, log)?;
    rec.save_output(0).finish(out, move |ctx| Ok(vec![Some(backward(ctx.saved(0), ctx.grad(0), d, log)?)]))
}
