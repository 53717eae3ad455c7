//! Max pooling over batched N-C-H-W planes: values and flat per-plane indices (PyTorch's
//! `h * W + w`) in one pass, with no unfolded copy of the windows. Windows reuse
//! `conv::Window`; positions in the padding are skipped (they act as -inf).
use super::conv::{compute_dtype, for_planes_pair, Window};
use crate::bail;
use crate::dtype::{DType, Element};
use crate::error::Result;
use crate::tensor::Tensor;

/// PyTorch's pooling_output_shape: in ceil mode the last window must start inside the input
/// or its left padding.
pub fn pool_out_size(size: usize, k: usize, s: usize, p: usize, d: usize, ceil_mode: bool) -> i64 {
    let (size, k, s, p, d) = (size as i64, k as i64, s as i64, p as i64, d as i64);
    let mut out = (size + 2 * p - d * (k - 1) - 1 + if ceil_mode { s - 1 } else { 0 }).div_euclid(s) + 1;
    if ceil_mode && (out - 1) * s >= size + p {
        out -= 1;
    }
    out
}

/// Max pooling of one plane. The window offsets (ki, kj) are taken in order, each over all the
/// outputs that read inside the input at that offset (`Window::valid_range`), so that the inner
/// loop is a walk along a row; a strictly greater value replaces the running maximum, so the
/// first maximum in window order wins, and every NaN does too (PyTorch's `val > max ||
/// isnan(val)`: the last NaN's index).
fn max_plane<T: Element + PartialOrd>(src: &[T], vals: &mut [T], idx: &mut [i64], size: [usize; 2], blocks: [usize; 2], win: &Window) {
    let [h, w] = size;
    let [oh, ow] = blocks;
    let inside = |d: usize, n: usize, len: usize| win.padding[d] == 0 && (n - 1) * win.stride[d] + (win.kernel[d] - 1) * win.dilation[d] < len;
    if inside(0, oh, h) && inside(1, ow, w) {
        return max_plane_inside(src, vals, idx, w, blocks, win);
    }
    // Whether an output holds a value yet (with padding, its first offsets may fall outside).
    let mut seen = vec![false; oh * ow];
    let (sh, sw) = (win.stride[0], win.stride[1]);
    for ki in 0..win.kernel[0] {
        let (ylo, yhi, yoff) = win.valid_range(0, ki, h, oh);
        for kj in 0..win.kernel[1] {
            let (xlo, xhi, xoff) = win.valid_range(1, kj, w, ow);
            for oy in ylo..yhi {
                let y = (oy * sh) as i64 + yoff;
                let row = y as usize * w;
                let o0 = oy * ow;
                for ox in xlo..xhi {
                    let at = row + ((ox * sw) as i64 + xoff) as usize;
                    let (v, o) = (src[at], o0 + ox);
                    let cur = vals[o];
                    // Without short-circuits or a branch: on real data the comparison is a coin
                    // flip, which a branch predictor loses, so the selects compile to cmovs.
                    #[allow(clippy::eq_op)]
                    let better = !seen[o] | (v > cur) | (v != v);
                    vals[o] = if better { v } else { cur };
                    idx[o] = if better { at as i64 } else { idx[o] };
                    seen[o] = true;
                }
            }
        }
    }
    // An output whose whole window is padding (impossible with PyTorch's padding limit).
    for (o, &s) in seen.iter().enumerate() {
        if !s {
            (vals[o], idx[o]) = (T::from_f64(f64::NEG_INFINITY), 0);
        }
    }
}

/// `max_plane` when every window lies inside the plane (no padding, no ceil-mode overhang: the
/// usual `MaxPool2d(k)`): one output at a time, its window read directly, with the same order
/// and the same NaN rule.
fn max_plane_inside<T: Element + PartialOrd>(src: &[T], vals: &mut [T], idx: &mut [i64], w: usize, blocks: [usize; 2], win: &Window) {
    let [oh, ow] = blocks;
    let [kh, kw] = win.kernel;
    let (sh, sw, dh, dw) = (win.stride[0], win.stride[1], win.dilation[0], win.dilation[1]);
    for oy in 0..oh {
        for ox in 0..ow {
            let corner = oy * sh * w + ox * sw;
            let (mut best, mut at_best) = (src[corner], corner);
            for ki in 0..kh {
                let row = corner + ki * dh * w;
                for kj in 0..kw {
                    let at = row + kj * dw;
                    let v = src[at];
                    #[allow(clippy::eq_op)]
                    let better = (v > best) | (v != v);
                    best = if better { v } else { best };
                    at_best = if better { at } else { at_best };
                }
            }
            vals[oy * ow + ox] = best;
            idx[oy * ow + ox] = at_best as i64;
        }
    }
}

/// `max_pool2d_with_indices(input (N, C, H, W))`: (values, int64 indices), both (N, C, oh, ow).
pub(crate) fn max_pool2d_forward(input: &Tensor, win: &Window, ceil_mode: bool) -> Result<(Tensor, Tensor)> {
    // PyTorch's CPU kernel takes every real dtype but bool; the GPU kernel is specialised for floats.
    let dt = input.dtype();
    if dt == DType::Bool || (input.device().is_gpu() && !dt.is_float()) {
        let kernel = if input.device().is_gpu() { "max_pool2d_cuda" } else { "max_pool2d" };
        bail!(NotImplemented, "\"{}\" not implemented for '{}'", kernel, dt.scalar_name());
    }
    win.check()?;
    let s = input.shape();
    if s.len() != 4 || s[1..].iter().any(|&d| d == 0) {
        bail!(Runtime, "non-empty 3D or 4D (batch mode) tensor expected for input, but got: {:?}", s);
    }
    let (n, c, size) = (s[0], s[1], [s[2], s[3]]);
    let mut b = [0i64; 2];
    for d in 0..2 {
        if 2 * win.padding[d] > win.dilation[d] * (win.kernel[d] - 1) + 1 {
            bail!(Runtime, "pad should be at most half of effective kernel size, but got pad={}, kernel_size={} and dilation={}", win.padding[d], win.kernel[d], win.dilation[d]);
        }
        b[d] = pool_out_size(size[d], win.kernel[d], win.stride[d], win.padding[d], win.dilation[d], ceil_mode);
    }
    if b[0] < 1 || b[1] < 1 {
        bail!(Runtime, "Given input size: ({}x{}x{}). Calculated output size: ({}x{}x{}). Output size is too small", c, size[0], size[1], c, b[0], b[1]);
    }
    let blocks = [b[0] as usize, b[1] as usize];
    let cd = compute_dtype(input.dtype());
    let x = if cd != input.dtype() { input.to_dtype_copy(cd)? } else { input.contiguous_forward()? };
    let shape = [n, c, blocks[0], blocks[1]];
    if n * c == 0 {
        // An empty batch has no planes to read; its view may even sit past the end of its storage.
        return Ok((Tensor::zeros_on(&shape, input.dtype(), input.device())?, Tensor::zeros_on(&shape, DType::I64, input.device())?));
    }
    let (vals, idx) = match cd {
        _ if x.device().is_gpu() => crate::backend::gpu::conv::max_pool(&x, n * c, size, blocks, win, &shape)?,
        DType::F32 => run::<f32>(&x, n * c, size, blocks, win, &shape)?,
        DType::F64 => run::<f64>(&x, n * c, size, blocks, win, &shape)?,
        DType::U8 => run::<u8>(&x, n * c, size, blocks, win, &shape)?,
        DType::I8 => run::<i8>(&x, n * c, size, blocks, win, &shape)?,
        DType::I16 => run::<i16>(&x, n * c, size, blocks, win, &shape)?,
        DType::I32 => run::<i32>(&x, n * c, size, blocks, win, &shape)?,
        DType::I64 => run::<i64>(&x, n * c, size, blocks, win, &shape)?,
        DType::Bool | DType::F16 | DType::BF16 => unreachable!("rejected above, or computed in float32"),
        d @ (DType::C64 | DType::C128) => return Err(crate::error::Error::complex_unsupported(d)),
    };
    let vals = if cd != input.dtype() { vals.to_dtype_copy(input.dtype())? } else { vals };
    Ok((vals, idx))
}

fn run<T: Element + PartialOrd + Default>(x: &Tensor, planes: usize, size: [usize; 2], blocks: [usize; 2], win: &Window, shape: &[usize]) -> Result<(Tensor, Tensor)> {
    let (hw, per) = (size[0] * size[1], blocks[0] * blocks[1]);
    let mut vals = vec![T::default(); planes * per];
    let mut idx = vec![0i64; planes * per];
    let src = x.contiguous_elems::<T>();
    for_planes_pair(&mut vals, &mut idx, per, |p, v, i| max_plane(&src[p * hw..(p + 1) * hw], v, i, size, blocks, win));
    Ok((Tensor::from_vec(vals, shape)?, Tensor::from_vec(idx, shape)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_pool_values_indices_and_padding() {
        // 1x1x3x4 image; 2x2 windows, stride 2, padding 1: padded cells never win.
        let x: Vec<f64> = vec![1., -2., 3., 0., -5., 6., -7., 8., 9., -1., -3., -4.];
        let w = Window { kernel: [2, 2], dilation: [1, 1], padding: [1, 1], stride: [2, 2] };
        let (v, i) = max_pool2d_forward(&Tensor::from_vec(x, &[1, 1, 3, 4]).unwrap(), &w, false).unwrap();
        assert_eq!(v.shape(), &[1, 1, 2, 3]);
        assert_eq!(v.to_vec::<f64>(), vec![1., 3., 0., 9., 6., 8.]);
        assert_eq!(i.to_vec::<i64>(), vec![0, 2, 3, 8, 5, 7]);
        assert_eq!(pool_out_size(5, 2, 2, 0, 1, true), 3);
        let xi = Tensor::from_vec(vec![1i64, -2, 3, 0, -5, 6, -7, 8, 9, -1, -3, -4], &[1, 1, 3, 4]).unwrap();
        let (vi, ii) = max_pool2d_forward(&xi, &w, false).unwrap();
        assert_eq!(vi.to_vec::<i64>(), vec![1, 3, 0, 9, 6, 8]);
        assert_eq!(ii.to_vec::<i64>(), i.to_vec::<i64>());
        assert_eq!(pool_out_size(5, 2, 2, 0, 1, false), 2);
    }

    #[test]
    fn max_pool_inside_windows_keep_first_maximum_and_last_nan() {
        // 1x1x2x6, 2x2 windows, stride 2: every window inside the plane (the direct path).
        let n = f64::NAN;
        let x = vec![1., 5., n, 2., 7., 7., 5., 0., 3., n, 7., 1.];
        let w = Window { kernel: [2, 2], dilation: [1, 1], padding: [0, 0], stride: [2, 2] };
        let (v, i) = max_pool2d_forward(&Tensor::from_vec(x, &[1, 1, 2, 6]).unwrap(), &w, false).unwrap();
        let v = v.to_vec::<f64>();
        assert_eq!((v[0], v[2]), (5., 7.));
        assert!(v[1].is_nan());
        // Ties: the first in window order (row by row); NaNs: the last one.
        assert_eq!(i.to_vec::<i64>(), vec![1, 9, 4]);
    }
}
