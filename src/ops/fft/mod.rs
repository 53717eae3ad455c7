//! The discrete Fourier transforms on the CPU, one dim at a time, as PyTorch's three primitives
//! (`torch.fft` in Python builds every transform from them; on the GPU it composes tensor ops):
//! - `fft_c2c`: complex to complex,
//! - `fft_r2c`: real to complex, the whole spectrum or its first n / 2 + 1 values ("onesided"),
//! - `fft_c2r`: a half spectrum to the real signal it belongs to.
//!
//! Each takes the length `n` (the input is trimmed or zero-padded to it along `dim`), the
//! direction (`inverse`: kernel exp(+2 pi i jk / n), else exp(-2 pi i jk / n)) and a real
//! `scale` applied to the result; the normalisation modes are scales chosen in Python. The
//! signals are made contiguous along `dim` (one copy), transformed by `signals`, and the result
//! is laid out with `dim` innermost in memory, as PyTorch's CPU transforms return it.
//!
//! Backward: each transform is linear, and the adjoint of a transform is the opposite
//! direction with the same scale, so every gradient is one of the three primitives again
//! (recorded, so double backward works), with the trimming or padding undone.
mod complex;
mod plan;
mod signals;
mod stockham;

use std::sync::Arc;

use crate::autograd::node::begin;
use crate::bail;
use crate::dtype::DType;
use crate::error::Result;
use crate::layout::Layout;
use crate::shape::normalize_dim;
use crate::storage::Storage;
use crate::tensor::Tensor;
use complex::{Cpx, Real};

/// The signals of `x` along `d`: a contiguous tensor with `d` moved last.
fn signals_of(x: &Tensor, d: usize) -> Result<Tensor> {
    let last = x.ndim() as i64 - 1;
    x.movedim_forward(&[d as i64], &[last])?.contiguous_forward()
}

/// A contiguous tensor's elements as a slice of `V`.
///
/// # Safety
/// `V` must be the element type of `t` (or `Cpx` of it for a complex tensor), and `t` on the CPU.
unsafe fn elements<V>(t: &Tensor) -> &[V] {
    &t.storage().slice::<V>()[t.offset()..t.offset() + t.numel()]
}

/// `values` (signals along the last dim, `n` each) as a tensor shaped like `like` with `n`
/// entries along `d`, which stays innermost in memory.
fn from_signals<V: Copy + Send + Sync + 'static>(values: Vec<V>, like: &Tensor, d: usize, n: usize, dtype: DType) -> Result<Tensor> {
    let mut shape = like.shape().to_vec();
    shape.remove(d);
    shape.push(n);
    let out = Tensor::from_parts(Arc::new(Storage::from_vec(values)?), Layout::contiguous(&shape), dtype);
    out.movedim_forward(&[shape.len() as i64 - 1], &[d as i64])
}

/// (count, len) of `x`'s signals along `d`.
fn counts(x: &Tensor, d: usize) -> (usize, usize) {
    let len = x.shape()[d];
    (x.shape().iter().enumerate().filter(|&(i, _)| i != d).map(|(_, s)| s).product(), len)
}

fn sign(inverse: bool) -> f64 {
    if inverse { 1.0 } else { -1.0 }
}

fn c2c_forward(x: &Tensor, d: usize, n: usize, inverse: bool, scale: f64) -> Result<Tensor> {
    x.require_cpu("_fft_c2c")?;
    let (count, len) = counts(x, d);
    let s = signals_of(x, d)?;
    fn typed<T: Real>(s: &Tensor, count: usize, len: usize, n: usize, inverse: bool, scale: f64) -> Vec<Cpx<T>> {
        // SAFETY: the caller matched T to the complex dtype; `s` is a contiguous CPU tensor.
        signals::c2c(unsafe { elements::<Cpx<T>>(s) }, count, len, n, sign(inverse), scale)
    }
    match x.dtype() {
        DType::C64 => from_signals(typed::<f32>(&s, count, len, n, inverse, scale), x, d, n, DType::C64),
        DType::C128 => from_signals(typed::<f64>(&s, count, len, n, inverse, scale), x, d, n, DType::C128),
        other => bail!(Runtime, "_fft_c2c expects a complex input tensor, but got {}", other.scalar_name()),
    }
}

fn r2c_forward(x: &Tensor, d: usize, n: usize, onesided: bool, inverse: bool, scale: f64) -> Result<Tensor> {
    x.require_cpu("_fft_r2c")?;
    let (count, len) = counts(x, d);
    let cols = if onesided { n / 2 + 1 } else { n };
    let s = signals_of(x, d)?;
    match x.dtype() {
        // SAFETY: the element types match the dtypes; `s` is a contiguous CPU tensor.
        DType::F32 => from_signals(signals::r2c(unsafe { elements::<f32>(&s) }, count, len, n, cols, sign(inverse), scale), x, d, cols, DType::C64),
        DType::F64 => from_signals(signals::r2c(unsafe { elements::<f64>(&s) }, count, len, n, cols, sign(inverse), scale), x, d, cols, DType::C128),
        other => bail!(Runtime, "_fft_r2c expects a float or double input tensor, but got {}", other.scalar_name()),
    }
}

fn c2r_forward(x: &Tensor, d: usize, n: usize, inverse: bool, scale: f64) -> Result<Tensor> {
    x.require_cpu("_fft_c2r")?;
    let (count, len) = counts(x, d);
    let s = signals_of(x, d)?;
    fn typed<T: Real>(s: &Tensor, count: usize, len: usize, n: usize, inverse: bool, scale: f64) -> Vec<T> {
        // SAFETY: the caller matched T to the complex dtype; `s` is a contiguous CPU tensor.
        signals::c2r(unsafe { elements::<Cpx<T>>(s) }, count, len, n, sign(inverse), scale)
    }
    match x.dtype() {
        DType::C64 => from_signals(typed::<f32>(&s, count, len, n, inverse, scale), x, d, n, DType::F32),
        DType::C128 => from_signals(typed::<f64>(&s, count, len, n, inverse, scale), x, d, n, DType::F64),
        other => bail!(Runtime, "_fft_c2r expects a complex input tensor, but got {}", other.scalar_name()),
    }
}

/// `t` trimmed or zero-padded to `len` entries along `d` (recorded: gradients use it).
fn fit(t: &Tensor, d: usize, len: usize) -> Result<Tensor> {
    let have = t.shape()[d];
    if have >= len {
        return t.narrow(d as i64, 0, len as i64);
    }
    let mut shape = t.shape().to_vec();
    shape[d] = len - have;
    crate::ops::shape_ops::cat(&[t.clone(), Tensor::zeros_on(&shape, t.dtype(), t.device())?], d as i64)
}

/// The length-`n` complex transform of complex `x` along `dim`.
pub fn fft_c2c(x: &Tensor, dim: i64, n: usize, inverse: bool, scale: f64) -> Result<Tensor> {
    let d = normalize_dim(dim, x.ndim())?;
    let Some(rec) = begin("FftC2CBackward0", &[x]) else { return c2c_forward(x, d, n, inverse, scale) };
    let len = x.shape()[d];
    let out = c2c_forward(x, d, n, inverse, scale)?;
    rec.finish(out, move |ctx| {
        Ok(vec![Some(fit(&fft_c2c(ctx.grad(0), d as i64, n, !inverse, scale)?, d, len)?)])
    })
}

/// The transform of real `x` along `dim`: `n / 2 + 1` values when `onesided`, else `n`.
pub fn fft_r2c(x: &Tensor, dim: i64, n: usize, onesided: bool, inverse: bool, scale: f64) -> Result<Tensor> {
    let d = normalize_dim(dim, x.ndim())?;
    let Some(rec) = begin("FftR2CBackward0", &[x]) else { return r2c_forward(x, d, n, onesided, inverse, scale) };
    let len = x.shape()[d];
    let out = r2c_forward(x, d, n, onesided, inverse, scale)?;
    rec.finish(out, move |ctx| {
        // the adjoint of keeping the first values is padding with zeros; a real input takes
        // the real part of the complex adjoint
        let g = fit(ctx.grad(0), d, n)?;
        let back = fft_c2c(&g, d as i64, n, !inverse, scale)?.view_as_real()?.select(-1, 0)?;
        Ok(vec![Some(fit(&back, d, len)?)])
    })
}

/// The real length-`n` signals along `dim` whose half spectra are `x` (complex).
pub fn fft_c2r(x: &Tensor, dim: i64, n: usize, inverse: bool, scale: f64) -> Result<Tensor> {
    let d = normalize_dim(dim, x.ndim())?;
    let Some(rec) = begin("FftC2RBackward0", &[x]) else { return c2r_forward(x, d, n, inverse, scale) };
    let len = x.shape()[d];
    let out = c2r_forward(x, d, n, inverse, scale)?;
    let real = out.dtype();
    rec.finish(out, move |ctx| {
        // x[j] = scale * sum_k w_k Re(X[k] e^(sign 2 pi i jk / n)) over the half spectrum, where
        // w_k = 2 counts X[k]'s conjugate partner (1 at k = 0 and at n / 2 for even n): the
        // gradient is w_k times the opposite-direction real transform of the output's gradient.
        let spectrum = fft_r2c(ctx.grad(0), d as i64, n, true, !inverse, scale)?;
        let rows = n / 2 + 1;
        let weights: Vec<f64> = (0..rows).map(|k| if k == 0 || 2 * k == n { 1.0 } else { 2.0 }).collect();
        let mut shape = vec![1; spectrum.ndim()];
        shape[d] = rows;
        let weights = Tensor::from_vec(weights, &shape)?.to_dtype_copy(real)?.to_device(spectrum.device())?;
        Ok(vec![Some(fit(&spectrum.mul(&weights)?, d, len)?)])
    })
}
