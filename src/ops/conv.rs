//! im2col / col2im over batched N-C-H-W images (1-D convolutions use H = 1): the two kernels
//! that convolutions, transposed convolutions, pooling and `F.unfold`/`F.fold` lower onto.
//! `im2col` copies every kernel window into a column (padding reads as zero); `col2im` is its
//! adjoint, summing each column entry back onto the pixel it came from. Each (n, c) plane is
//! independent, so planes run in parallel (rayon) above the usual size threshold.
//!
//! On the CPU both kernels take every dtype: PyTorch computes integer convolutions (and
//! unfolds bool images), and which dtypes each public op accepts is decided by its Python
//! wrapper, with PyTorch's per-op messages. The GPU kernels are specialised for floats only.
use crate::backend::cpu::PARALLEL_THRESHOLD;
use crate::bail;
use crate::dtype::DType;
use crate::error::Result;
use crate::tensor::Tensor;
use rayon::prelude::*;

/// The geometry shared by both directions: kernel, dilation, padding, stride as (h, w) pairs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Window {
    pub kernel: [usize; 2],
    pub dilation: [usize; 2],
    pub padding: [usize; 2],
    pub stride: [usize; 2],
}

impl Window {
    /// Number of window positions along each spatial dim of an `h x w` image (may be <= 0).
    fn blocks(&self, size: [usize; 2]) -> [i64; 2] {
        let f = |d: usize| {
            let span = self.dilation[d] as i64 * (self.kernel[d] as i64 - 1) + 1;
            (size[d] as i64 + 2 * self.padding[d] as i64 - span) / self.stride[d] as i64 + 1
        };
        [f(0), f(1)]
    }

    pub(crate) fn check(&self) -> Result<()> {
        let pos = |v: [usize; 2]| v[0] > 0 && v[1] > 0;
        if !pos(self.kernel) {
            bail!(Runtime, "kernel size should be greater than zero, but got kernel_height: {} kernel_width: {}", self.kernel[0], self.kernel[1]);
        }
        if !pos(self.dilation) {
            bail!(Runtime, "dilation should be greater than zero, but got dilation_height: {} dilation_width: {}", self.dilation[0], self.dilation[1]);
        }
        if !pos(self.stride) {
            bail!(Runtime, "stride should be greater than zero, but got stride_height: {} stride_width: {}", self.stride[0], self.stride[1]);
        }
        Ok(())
    }

    /// Blocks of an `h x w` image, with PyTorch's message when there are none.
    fn checked_blocks(&self, size: [usize; 2]) -> Result<[usize; 2]> {
        let b = self.blocks(size);
        if b[0] < 1 || b[1] < 1 {
            bail!(
                Runtime,
                "Given input with spatial size ({}, {}), kernel_size=({}, {}), dilation=({}, {}), padding=({}, {}), \
                 calculated shape of the array of sliding blocks as ({}, {}), but its components must be at least one.",
                size[0], size[1], self.kernel[0], self.kernel[1], self.dilation[0], self.dilation[1],
                self.padding[0], self.padding[1], b[0], b[1]
            );
        }
        Ok([b[0] as usize, b[1] as usize])
    }

    /// For kernel offset `k` along dim `d` and output position `o`: the input coordinate, or
    /// None when it falls into the padding.
    #[inline]
    pub(crate) fn source(&self, d: usize, o: usize, k: usize, size: usize) -> Option<usize> {
        let i = (o * self.stride[d] + k * self.dilation[d]) as i64 - self.padding[d] as i64;
        (i >= 0 && (i as usize) < size).then_some(i as usize)
    }

    /// For kernel offset `k` along dim `d`: the output positions `lo..hi` (of `n_out`) that read
    /// inside the input, and the input coordinate of position `o` in that range, `o * stride + off`
    /// (`off` may be negative, so it is returned as i64). Lets the inner loops skip bounds checks.
    #[inline]
    pub(crate) fn valid_range(&self, d: usize, k: usize, size: usize, n_out: usize) -> (usize, usize, i64) {
        let off = (k * self.dilation[d]) as i64 - self.padding[d] as i64;
        let s = self.stride[d] as i64;
        let lo = if off >= 0 { 0 } else { ((-off + s - 1) / s) as usize };
        let last = size as i64 - 1 - off; // o * s <= last
        let hi = if last < 0 { 0 } else { (last / s + 1) as usize };
        let lo = lo.min(n_out);
        (lo, hi.min(n_out).max(lo), off)
    }
}

/// Runs `f(plane_index, chunk)` over the `chunk`-sized pieces of `out`, in parallel when large.
fn for_planes<T: Send>(out: &mut [T], chunk: usize, f: impl Fn(usize, &mut [T]) + Sync) {
    if chunk == 0 || out.is_empty() {
        return;
    }
    if out.len() < PARALLEL_THRESHOLD {
        out.chunks_mut(chunk).enumerate().for_each(|(i, c)| f(i, c));
    } else {
        out.par_chunks_mut(chunk).enumerate().for_each(|(i, c)| f(i, c));
    }
}

/// `for_planes` over two outputs cut into planes of the same `chunk` (values and indices).
pub(crate) fn for_planes_pair<A: Send, B: Send>(a: &mut [A], b: &mut [B], chunk: usize, f: impl Fn(usize, &mut [A], &mut [B]) + Sync) {
    if chunk == 0 || a.is_empty() {
        return;
    }
    if a.len() < PARALLEL_THRESHOLD {
        a.chunks_mut(chunk).zip(b.chunks_mut(chunk)).enumerate().for_each(|(i, (x, y))| f(i, x, y));
    } else {
        a.par_chunks_mut(chunk).zip(b.par_chunks_mut(chunk)).enumerate().for_each(|(i, (x, y))| f(i, x, y));
    }
}

/// One plane `src` (h x w) into its `kh*kw` rows of `oh*ow` columns.
fn im2col_plane<T: Copy + Default>(src: &[T], dst: &mut [T], size: [usize; 2], blocks: [usize; 2], win: &Window) {
    let [h, w] = size;
    let [oh, ow] = blocks;
    let [kh, kw] = win.kernel;
    let sw = win.stride[1];
    for ki in 0..kh {
        for kj in 0..kw {
            let row = &mut dst[(ki * kw + kj) * oh * ow..(ki * kw + kj + 1) * oh * ow];
            let (lo, hi, off) = win.valid_range(1, kj, w, ow);
            for oy in 0..oh {
                let seg = &mut row[oy * ow..(oy + 1) * ow];
                let Some(iy) = win.source(0, oy, ki, h) else {
                    seg.fill(T::default());
                    continue;
                };
                let line = &src[iy * w..(iy + 1) * w];
                seg[..lo].fill(T::default());
                seg[hi..].fill(T::default());
                if lo == hi {
                    continue;
                }
                let first = (lo as i64 * sw as i64 + off) as usize;
                if sw == 1 {
                    seg[lo..hi].copy_from_slice(&line[first..first + (hi - lo)]);
                } else {
                    for (v, &x) in seg[lo..hi].iter_mut().zip(line[first..].iter().step_by(sw)) {
                        *v = x;
                    }
                }
            }
        }
    }
}

/// Adjoint of `im2col_plane`: adds each column entry onto its pixel of `dst` (h x w, zeroed).
fn col2im_plane<T: Copy + Accumulate>(src: &[T], dst: &mut [T], size: [usize; 2], blocks: [usize; 2], win: &Window) {
    let [h, w] = size;
    let [oh, ow] = blocks;
    let [kh, kw] = win.kernel;
    let sw = win.stride[1];
    for ki in 0..kh {
        for kj in 0..kw {
            let row = &src[(ki * kw + kj) * oh * ow..(ki * kw + kj + 1) * oh * ow];
            let (lo, hi, off) = win.valid_range(1, kj, w, ow);
            if lo == hi {
                continue;
            }
            let first = (lo as i64 * sw as i64 + off) as usize;
            for oy in 0..oh {
                let Some(iy) = win.source(0, oy, ki, h) else { continue };
                let line = &mut dst[iy * w..(iy + 1) * w];
                let seg = &row[oy * ow + lo..oy * ow + hi];
                if sw == 1 {
                    for (x, &v) in line[first..first + (hi - lo)].iter_mut().zip(seg) {
                        x.accumulate(v);
                    }
                } else {
                    for (x, &v) in line[first..].iter_mut().step_by(sw).zip(seg) {
                        x.accumulate(v);
                    }
                }
            }
        }
    }
}

/// `+=` as PyTorch's integer kernels do it: integers wrap (C++ arithmetic) instead of
/// panicking on overflow; bool sums saturate at true (logical or).
pub(crate) trait Accumulate {
    fn accumulate(&mut self, v: Self);
}
macro_rules! accumulate_by {
    ($op:ident: $($t:ty),*) => {$(
        impl Accumulate for $t {
            #[inline]
            fn accumulate(&mut self, v: Self) {
                *self = accumulate_by!(@$op self, v);
            }
        }
    )*};
    (@add $a:ident, $v:ident) => { *$a + $v };
    (@wrap $a:ident, $v:ident) => { $a.wrapping_add($v) };
}
accumulate_by!(add: f32, f64, half::f16, half::bf16);
accumulate_by!(wrap: u8, i8, i16, i32, i64);
impl Accumulate for bool {
    #[inline]
    fn accumulate(&mut self, v: Self) {
        *self |= v;
    }
}

/// The GPU kernels exist for floats only; on the CPU every dtype is computed.
fn check_dtype(t: &Tensor, kernel: &str) -> Result<()> {
    if t.device().is_gpu() && !t.dtype().is_float() {
        bail!(NotImplemented, "\"{}_cuda\" not implemented for '{}'", kernel, t.dtype().scalar_name());
    }
    Ok(())
}

/// Half types compute in f32 (col2im accumulates; im2col shares the path for simplicity).
pub(crate) fn compute_dtype(d: DType) -> DType {
    match d {
        DType::F16 | DType::BF16 => DType::F32,
        d => d,
    }
}

/// `im2col(input (N, C, H, W)) -> (N, C*kh*kw, oh*ow)`.
pub(crate) fn im2col_forward(input: &Tensor, win: &Window) -> Result<Tensor> {
    check_dtype(input, "im2col_out")?;
    win.check()?;
    let s = input.shape();
    if s.len() != 4 || s[1..].iter().any(|&d| d == 0) {
        bail!(
            Runtime,
            "Expected 3D or 4D (batch mode) tensor for input with possibly 0 batch size and non-zero dimensions for input, but got: {:?}",
            s
        );
    }
    let (n, c, size) = (s[0], s[1], [s[2], s[3]]);
    let blocks = win.checked_blocks(size)?;
    let (k, l) = (win.kernel[0] * win.kernel[1], blocks[0] * blocks[1]);
    let cd = compute_dtype(input.dtype());
    let x = if cd != input.dtype() { input.to_dtype_copy(cd)? } else { input.contiguous_forward()? };
    let out = match cd {
        _ if x.device().is_gpu() => crate::backend::gpu::conv::im2col(&x, n * c, size, blocks, win, &[n, c * k, l])?,
        DType::F16 | DType::BF16 => unreachable!("half types compute in float32"),
        _ => crate::with_dtype!(cd, T, Tensor::from_vec(run_im2col::<T>(&x, n * c, size, blocks, k * l, win), &[n, c * k, l])?),
    };
    if cd != input.dtype() { out.to_dtype_copy(input.dtype()) } else { Ok(out) }
}

fn run_im2col<T: crate::dtype::Element + Default>(x: &Tensor, planes: usize, size: [usize; 2], blocks: [usize; 2], per_plane: usize, win: &Window) -> Vec<T> {
    let mut out = vec![T::default(); planes * per_plane];
    let src = x.contiguous_elems::<T>();
    let hw = size[0] * size[1];
    for_planes(&mut out, per_plane, |p, dst| im2col_plane(&src[p * hw..(p + 1) * hw], dst, size, blocks, win));
    out
}

/// `col2im(input (N, C*kh*kw, L), output_size) -> (N, C, H, W)`, where L must be the number of
/// window positions over an `output_size` image.
pub(crate) fn col2im_forward(input: &Tensor, output_size: [usize; 2], win: &Window) -> Result<Tensor> {
    check_dtype(input, "col2im_out")?;
    win.check()?;
    let s = input.shape();
    if s.len() != 3 || s[1..].iter().any(|&d| d == 0) {
        bail!(
            Runtime,
            "Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero dimensions for input, but got: {:?}",
            s
        );
    }
    let k = win.kernel[0] * win.kernel[1];
    if s[1] % k != 0 {
        bail!(
            Runtime,
            "Expected size of input's dimension 1 to be divisible by the product of kernel_size, but got input.size(1)={} and kernel_size=({}, {})",
            s[1], win.kernel[0], win.kernel[1]
        );
    }
    if output_size[0] == 0 || output_size[1] == 0 {
        bail!(Runtime, "output_size should be greater than zero, but got output_height: {} output_width: {}", output_size[0], output_size[1]);
    }
    let b = win.blocks(output_size);
    if b[0] < 1 || b[1] < 1 || (b[0] * b[1]) as usize != s[2] {
        bail!(
            Runtime,
            "Given output_size=({}, {}), kernel_size=({}, {}), dilation=({}, {}), padding=({}, {}), stride=({}, {}), \
             expected size of input's dimension 2 to match the calculated number of sliding blocks {} * {} = {}, but got input.size(2)={}.",
            output_size[0], output_size[1], win.kernel[0], win.kernel[1], win.dilation[0], win.dilation[1],
            win.padding[0], win.padding[1], win.stride[0], win.stride[1], b[0], b[1], b[0] * b[1], s[2]
        );
    }
    let blocks = [b[0] as usize, b[1] as usize];
    let (n, c) = (s[0], s[1] / k);
    let cd = compute_dtype(input.dtype());
    let x = if cd != input.dtype() { input.to_dtype_copy(cd)? } else { input.contiguous_forward()? };
    let shape = [n, c, output_size[0], output_size[1]];
    let out = match cd {
        _ if x.device().is_gpu() => crate::backend::gpu::conv::col2im(&x, n * c, output_size, blocks, win, &shape)?,
        DType::F16 | DType::BF16 => unreachable!("half types compute in float32"),
        _ => crate::with_dtype!(cd, T, Tensor::from_vec(run_col2im::<T>(&x, n * c, output_size, blocks, k, win), &shape)?),
    };
    if cd != input.dtype() { out.to_dtype_copy(input.dtype()) } else { Ok(out) }
}

fn run_col2im<T: crate::dtype::Element + Default + Accumulate>(
    x: &Tensor,
    planes: usize,
    size: [usize; 2],
    blocks: [usize; 2],
    k: usize,
    win: &Window,
) -> Vec<T> {
    let hw = size[0] * size[1];
    let mut out = vec![T::default(); planes * hw];
    let src = x.contiguous_elems::<T>();
    let per_plane = k * blocks[0] * blocks[1];
    for_planes(&mut out, hw, |p, dst| col2im_plane(&src[p * per_plane..(p + 1) * per_plane], dst, size, blocks, win));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn win(k: usize, d: usize, p: usize, s: usize) -> Window {
        Window { kernel: [k, k], dilation: [d, d], padding: [p, p], stride: [s, s] }
    }

    #[test]
    fn im2col_picks_windows_with_zero_padding() {
        // 1x1x3x3 image 0..9, 2x2 kernel, padding 1, stride 2: 2x2 window positions.
        let x = Tensor::from_vec((0..9).map(|v| v as f64).collect::<Vec<_>>(), &[1, 1, 3, 3]).unwrap();
        let cols = im2col_forward(&x, &win(2, 1, 1, 2)).unwrap();
        assert_eq!(cols.shape(), &[1, 4, 4]);
        // Row r = kernel offset (ki, kj); column = window position (oy, ox).
        let expect = [
            [0., 0., 0., 4.], // (0,0): reads (-1,-1), (-1,1), (1,-1), (1,1)
            [0., 0., 3., 5.], // (0,1)
            [0., 1., 0., 7.], // (1,0)
            [0., 2., 6., 8.], // (1,1)
        ];
        assert_eq!(cols.to_vec::<f64>(), expect.concat());
    }

    #[test]
    fn col2im_is_the_adjoint_of_im2col() {
        // <im2col(x), y> == <x, col2im(y)> for dilated, strided, padded windows.
        let w = Window { kernel: [2, 3], dilation: [2, 1], padding: [1, 2], stride: [1, 2] };
        let x: Vec<f64> = (0..2 * 3 * 5 * 6).map(|v| ((v * 7) % 11) as f64 - 5.0).collect();
        let xt = Tensor::from_vec(x.clone(), &[2, 3, 5, 6]).unwrap();
        let cols = im2col_forward(&xt, &w).unwrap();
        let y: Vec<f64> = (0..cols.numel()).map(|v| ((v * 5) % 13) as f64 - 6.0).collect();
        let yt = Tensor::from_vec(y.clone(), cols.shape()).unwrap();
        let back = col2im_forward(&yt, [5, 6], &w).unwrap();
        let lhs: f64 = cols.to_vec::<f64>().iter().zip(&y).map(|(a, b)| a * b).sum();
        let rhs: f64 = back.to_vec::<f64>().iter().zip(&x).map(|(a, b)| a * b).sum();
        assert!((lhs - rhs).abs() < 1e-9, "{lhs} vs {rhs}");
    }

    #[test]
    fn fast_rows_match_a_per_element_reference() {
        // Strides 1-3, dilations, padding wider than the kernel's reach: the row ranges must
        // agree with checking every element.
        for &(k, d, p, s) in &[(3, 1, 1, 1), (2, 2, 3, 2), (3, 1, 0, 3), (1, 1, 2, 2), (4, 2, 5, 1)] {
            let w = Window { kernel: [k, k + 1], dilation: [d, 1], padding: [p, p + 1], stride: [s, s] };
            let (h, wd) = (6, 7);
            let x: Vec<f64> = (0..h * wd).map(|v| v as f64 + 1.0).collect();
            let cols = im2col_forward(&Tensor::from_vec(x.clone(), &[1, 1, h, wd]).unwrap(), &w).unwrap().to_vec::<f64>();
            let [oh, ow] = w.checked_blocks([h, wd]).unwrap();
            let mut expect = vec![];
            for ki in 0..w.kernel[0] {
                for kj in 0..w.kernel[1] {
                    for oy in 0..oh {
                        for ox in 0..ow {
                            expect.push(match (w.source(0, oy, ki, h), w.source(1, ox, kj, wd)) {
                                (Some(y), Some(z)) => x[y * wd + z],
                                _ => 0.0,
                            });
                        }
                    }
                }
            }
            assert_eq!(cols, expect, "{w:?}");
        }
    }

    #[test]
    fn integer_columns_wrap_like_cpp() {
        // int8 col2im sums overlapping windows with wrap-around, as PyTorch's C++ kernels do.
        let w = win(2, 1, 0, 1);
        let cols = Tensor::from_vec(vec![100i8; 4 * 4], &[1, 4, 4]).unwrap();
        let img = col2im_forward(&cols, [3, 3], &w).unwrap().to_vec::<i8>();
        // The centre pixel is read by all four windows at one kernel offset each: 4 * 100 wraps to -112.
        assert_eq!(img[4], 400i32 as i8);
        assert_eq!(img[0], 100);
        let x = Tensor::from_vec((0..9i64).collect::<Vec<_>>(), &[1, 1, 3, 3]).unwrap();
        assert_eq!(im2col_forward(&x, &w).unwrap().to_vec::<i64>()[..4], [0, 1, 3, 4]);
    }

    #[test]
    fn bad_geometry_is_an_error() {
        let x = Tensor::zeros(&[1, 1, 2, 2], DType::F32).unwrap();
        assert!(im2col_forward(&x, &win(3, 1, 0, 1)).is_err());
        let y = Tensor::zeros(&[1, 5, 4], DType::F32).unwrap();
        assert!(col2im_forward(&y, [3, 3], &win(2, 1, 0, 1)).is_err());
    }
}
