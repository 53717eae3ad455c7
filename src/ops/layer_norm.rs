//! Layer normalisation over the trailing `n` elements of each row, fused for CPU tensors: one
//! pass for each row's mean and variance, one for the normalised, scaled and shifted output,
//! and one recorded node (`NativeLayerNormBackward0`, PyTorch's name) whose backward is two
//! passes. Composed from tensor ops it costs seven kernels and seven graph nodes each way.
//! GPU tensors, half precision and mixed dtypes keep the composed path (in Python).
use crate::autograd::mode::is_grad_enabled;
use crate::autograd::node::begin;
use crate::bail;
use crate::dtype::DType;
use crate::ops::softmax::Float;
use crate::error::Result;
use crate::ops::unary::UnaryOp;
use crate::tensor::Tensor;
use rayon::prelude::*;

/// Whether the fused kernel takes these operands (else the caller composes the op).
pub fn supported(x: &Tensor, weight: Option<&Tensor>, bias: Option<&Tensor>) -> bool {
    let same = |t: Option<&Tensor>| t.is_none_or(|t| t.dtype() == x.dtype() && !t.device().is_gpu());
    matches!(x.dtype(), DType::F32 | DType::F64) && !x.device().is_gpu() && same(weight) && same(bias)
}

/// Rows per task: the whole tensor when it is small (no thread pool), else blocks of about 16K
/// elements.
fn rows_per_block(rows: usize, n: usize) -> usize {
    if crate::backend::cpu::parallel(rows * n) { ((1 << 14) / n.max(1)).clamp(1, rows.max(1)) } else { rows.max(1) }
}

/// Forward for element type `T` over rows of `n`: (output, per-row [mean, rstd]). The row
/// statistics accumulate in float64; the elementwise work runs in `T` with the parameters
/// defaulting to ones and zeros, so that the loops vectorise.
fn forward_kernel<T: Float>(x: &[T], w: Option<&[T]>, b: Option<&[T]>, n: usize, eps: f64) -> (Vec<T>, Vec<[T; 2]>) {
    let rows = x.len() / n.max(1);
    let (ones, zeros) = (vec![T::one(); if w.is_none() { n } else { 0 }], vec![T::default(); if b.is_none() { n } else { 0 }]);
    let (w, b) = (w.unwrap_or(&ones), b.unwrap_or(&zeros));
    let mut out = vec![T::default(); x.len()];
    let mut stats = vec![[T::default(); 2]; rows];
    let per = rows_per_block(rows, n);
    let block = |(bi, (o, st)): (usize, (&mut [T], &mut [[T; 2]]))| {
        for (i, (orow, s)) in o.chunks_mut(n).zip(st.iter_mut()).enumerate() {
            let xr = &x[(bi * per + i) * n..][..n];
            let mu = xr.iter().map(|v| v.to_f64()).sum::<f64>() / n as f64;
            let var = xr.iter().map(|v| (v.to_f64() - mu).powi(2)).sum::<f64>() / n as f64;
            let (m, r) = (T::from_f64(mu), T::from_f64(1.0 / (var + eps).sqrt()));
            for (((o, &v), &wj), &bj) in orow.iter_mut().zip(xr).zip(w).zip(b) {
                *o = (v - m) * r * wj + bj;
            }
            *s = [m, r];
        }
    };
    if n == 0 || rows == 0 {
    } else if per < rows {
        out.par_chunks_mut(per * n).zip(stats.par_chunks_mut(per)).enumerate().for_each(block);
    } else {
        block((0, (&mut out, &mut stats)));
    }
    (out, stats)
}

/// Backward for element type `T` from the input, its row statistics and the output's gradient:
/// (input gradient, weight gradient, bias gradient), the last two summed over rows (in float64).
fn backward_kernel<T: Float>(x: &[T], g: &[T], stats: &[[T; 2]], w: Option<&[T]>, n: usize) -> [Vec<T>; 3] {
    let rows = x.len() / n.max(1);
    let ones = vec![T::one(); if w.is_none() { n } else { 0 }];
    let w = w.unwrap_or(&ones);
    let mut gx = vec![T::default(); x.len()];
    let per = rows_per_block(rows, n);
    // Each block writes its rows of gx and returns its partial sums for the parameters.
    let block = |(bi, o): (usize, &mut [T])| {
        let (mut pw, mut pb) = (vec![0.0f64; n], vec![0.0f64; n]);
        for (i, orow) in o.chunks_mut(n).enumerate() {
            let r = bi * per + i;
            let (xr, gr) = (&x[r * n..][..n], &g[r * n..][..n]);
            let [m, rs] = stats[r];
            let (mut a, mut c) = (0.0f64, 0.0f64);
            for j in 0..n {
                let (xhat, scaled) = ((xr[j] - m) * rs, gr[j] * w[j]);
                a += scaled.to_f64();
                c += (scaled * xhat).to_f64();
                pw[j] += (gr[j] * xhat).to_f64();
                pb[j] += gr[j].to_f64();
            }
            let (a, c) = (T::from_f64(a / n as f64), T::from_f64(c / n as f64));
            for (j, o) in orow.iter_mut().enumerate() {
                let xhat = (xr[j] - m) * rs;
                *o = rs * (gr[j] * w[j] - a - xhat * c);
            }
        }
        (pw, pb)
    };
    let add = |(mut aw, mut ab): (Vec<f64>, Vec<f64>), (pw, pb): (Vec<f64>, Vec<f64>)| {
        aw.iter_mut().zip(pw).for_each(|(a, p)| *a += p);
        ab.iter_mut().zip(pb).for_each(|(a, p)| *a += p);
        (aw, ab)
    };
    let (gw, gb) = if n == 0 || rows == 0 {
        (vec![0.0; n], vec![0.0; n])
    } else if per < rows {
        gx.par_chunks_mut(per * n).enumerate().map(block).reduce(|| (vec![0.0; n], vec![0.0; n]), add)
    } else {
        block((0, &mut gx))
    };
    [gx, gw.into_iter().map(T::from_f64).collect(), gb.into_iter().map(T::from_f64).collect()]
}

/// (output, mean, rstd) with the statistics shaped like `x` with the normalised dims as 1.
fn forward(x: &Tensor, k: usize, w: Option<&Tensor>, b: Option<&Tensor>, eps: f64) -> Result<(Tensor, Tensor, Tensor)> {
    let x = x.contiguous()?;
    let nd = x.ndim();
    let n: usize = x.shape()[nd - k..].iter().product();
    let mut stat_shape = x.shape()[..nd - k].to_vec();
    stat_shape.extend(std::iter::repeat_n(1, k));
    let (w, b) = (w.map(|t| t.contiguous()).transpose()?, b.map(|t| t.contiguous()).transpose()?);
    macro_rules! run {
        ($t:ty) => {{
            let (o, stats) = forward_kernel::<$t>(x.contiguous_elems(), w.as_ref().map(Tensor::contiguous_elems), b.as_ref().map(Tensor::contiguous_elems), n, eps);
            let (m, r): (Vec<$t>, Vec<$t>) = stats.into_iter().map(|[m, r]| (m, r)).unzip();
            Ok((Tensor::from_vec(o, x.shape())?, Tensor::from_vec(m, &stat_shape)?, Tensor::from_vec(r, &stat_shape)?))
        }};
    }
    if x.dtype() == DType::F64 { run!(f64) } else { run!(f32) }
}

/// The composed gradients (recorded ops, so that they can be differentiated again).
fn composed_backward(x: &Tensor, g: &Tensor, k: usize, w: Option<&Tensor>, eps: f64) -> Result<[Tensor; 3]> {
    let nd = x.ndim() as i64;
    let dims: Vec<i64> = (nd - k as i64..nd).collect();
    let lead: Vec<i64> = (0..nd - k as i64).collect();
    let (var, mean) = x.var_mean(Some(&dims), 0.0, true)?;
    let rstd = var.add_s(eps)?.unary(UnaryOp::Rsqrt)?;
    let xhat = x.sub(&mean)?.mul(&rstd)?;
    let scaled = match w {
        Some(w) => g.mul(w)?,
        None => g.clone(),
    };
    let a = scaled.mean(Some(&dims), true, None)?;
    let c = scaled.mul(&xhat)?.mean(Some(&dims), true, None)?;
    let gx = rstd.mul(&scaled.sub(&a)?.sub(&xhat.mul(&c)?)?)?;
    Ok([gx, g.mul(&xhat)?.sum(Some(&lead), false, None)?, g.sum(Some(&lead), false, None)?])
}

/// `native_layer_norm(x, normalized_shape (its last k dims), weight, bias, eps)`: (output,
/// mean, rstd). Only the output is differentiable. Callers check shapes and `supported`.
pub fn layer_norm(x: &Tensor, k: usize, weight: Option<&Tensor>, bias: Option<&Tensor>, eps: f64) -> Result<(Tensor, Tensor, Tensor)> {
    if !supported(x, weight, bias) || k == 0 || k > x.ndim() {
        bail!(Runtime, "the fused layer_norm takes float32/float64 CPU operands of one dtype over 1..=ndim trailing dims");
    }
    let inputs: Vec<&Tensor> = [Some(x), weight, bias].into_iter().flatten().collect();
    let Some(rec) = begin("NativeLayerNormBackward0", &inputs) else { return forward(x, k, weight, bias, eps) };
    let (out, mean, rstd) = forward(x, k, weight, bias, eps)?;
    let (has_w, has_b) = (weight.is_some(), bias.is_some());
    let mut rec = rec.save_input(x);
    if let Some(w) = weight {
        rec = rec.save_input(w);
    }
    // private copies: the caller may modify the returned statistics in place
    let (m, r) = (mean.clone_tensor(None)?, rstd.clone_tensor(None)?);
    let out = rec.finish(out, move |ctx| {
        let (x, g) = (ctx.saved(0), ctx.grad(0));
        let w = has_w.then(|| ctx.saved(1));
        let [gx, gw, gb] = if is_grad_enabled() || g.dtype() != x.dtype() {
            composed_backward(x, g, k, w, eps)?
        } else {
            let (xc, g) = (x.contiguous()?, g.contiguous()?);
            let n: usize = x.shape()[x.ndim() - k..].iter().product();
            let wc = w.map(|t| t.contiguous()).transpose()?;
            let pshape = &x.shape()[x.ndim() - k..];
            macro_rules! run {
                ($t:ty) => {{
                    let stats: Vec<[$t; 2]> = m.contiguous_elems::<$t>().iter().zip(r.contiguous_elems::<$t>()).map(|(&m, &r)| [m, r]).collect();
                    let [gx, gw, gb] = backward_kernel::<$t>(xc.contiguous_elems(), g.contiguous_elems(), &stats, wc.as_ref().map(Tensor::contiguous_elems), n);
                    [Tensor::from_vec(gx, x.shape())?, Tensor::from_vec(gw, pshape)?, Tensor::from_vec(gb, pshape)?]
                }};
            }
            if x.dtype() == DType::F64 { run!(f64) } else { run!(f32) }
        };
        let mut grads = vec![Some(gx)];
        if has_w {
            grads.push(Some(gw));
        }
        if has_b {
            grads.push(Some(gb));
        }
        Ok(grads)
    })?;
    Ok((out, mean, rstd))
}
