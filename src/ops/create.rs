//! Creation ops (`arange`, `linspace`, `logspace`, `eye`) and every random op. Random ops
//! draw from a [`Generator`] following the stream layout documented in `crate::random`, which
//! the GPU backend reproduces; keep the two in step when changing anything here.
use crate::bail;
use crate::dtype::{default_dtype, promote_types, Category, DType, Element, Scalar};
use crate::error::{Error, Result};
use crate::random::{box_muller_f32, box_muller_f64, default_generator, u11, u24, u53, u64_of, u8bits, Generator};
use crate::shape::{self, check_sizes};
use crate::tensor::Tensor;
use crate::storage::Device;
use crate::backend::gpu::random::Dist;
use crate::with_dtype;
use half::{bf16, f16};

fn gen(g: Option<&Generator>) -> &Generator {
    g.unwrap_or_else(|| default_generator().as_ref())
}

/// Shape from user sizes (negative sizes and overflow rejected with PyTorch's messages).
pub fn shape_of(sizes: &[i64]) -> Result<Vec<usize>> {
    check_sizes(sizes)
}

fn from_f64s(vals: impl Iterator<Item = f64>, shape: &[usize], dtype: DType) -> Result<Tensor> {
    with_dtype!(dtype, T, Tensor::from_vec(vals.map(T::from_f64).collect::<Vec<T>>(), shape))
}

fn from_i64s(vals: &[i64], shape: &[usize], dtype: DType) -> Result<Tensor> {
    with_dtype!(dtype, T, Tensor::from_vec(vals.iter().map(|&v| T::from_i64(v)).collect::<Vec<T>>(), shape))
}

/// Largest value of an integer dtype (bool counts as 1), and the largest integer a float dtype
/// holds exactly (`2^digits`), which is what `random_()` draws up to.
fn random_upper(dtype: DType) -> i64 {
    match dtype {
        DType::Bool => 1,
        DType::U8 => u8::MAX as i64,
        DType::I8 => i8::MAX as i64,
        DType::I16 => i16::MAX as i64,
        DType::I32 => i32::MAX as i64,
        DType::I64 => i64::MAX,
        DType::F16 => 1 << 11,
        DType::BF16 => 1 << 8,
        DType::F32 => 1 << 24,
        DType::F64 | DType::C128 => 1 << 53,
        DType::C64 => 1 << 24,
    }
}

// ------------------------------------------------------------------ raw draws

/// Uniform samples in `[lo, hi)` (see `crate::random` for the bit layout).
/// A complex draw: the real and imaginary parts drawn as a real tensor with a trailing dim of 2.
fn draw_complex_parts(shape: &[usize], dtype: DType, draw: impl FnOnce(&[usize], DType) -> Result<Tensor>) -> Result<Tensor> {
    let mut parts = shape.to_vec();
    parts.push(2);
    draw(&parts, dtype.to_real())?.complex_view_forward()
}

fn draw_uniform(shape: &[usize], dtype: DType, lo: f64, hi: f64, g: &Generator, device: Device) -> Result<Tensor> {
    if dtype.is_complex() {
        // Each part uniform in [lo, hi), as PyTorch's rand for complex dtypes.
        return draw_complex_parts(shape, dtype, |s, d| draw_uniform(s, d, lo, hi, g, device));
    }
    let n = shape::numel(shape);
    if device.is_gpu() {
        return gpu_draw(Dist::Uniform, shape, dtype, lo, hi, g);
    }
    let (l, h) = (lo as f32, hi as f32);
    match dtype {
        DType::F64 => {
            let s = g.draw(n as u128 * 2);
            Tensor::from_vec(s.generate(n, 2, 1, |w, o: &mut [f64]| o[0] = lo + (hi - lo) * u53(w[0], w[1])), shape)
        }
        DType::F32 => {
            let s = g.draw(n as u128);
            Tensor::from_vec(s.generate(n, 1, 1, |w, o: &mut [f32]| o[0] = l + (h - l) * u24(w[0])), shape)
        }
        DType::F16 => {
            let s = g.draw(n as u128);
            Tensor::from_vec(s.generate(n, 1, 1, |w, o: &mut [f16]| o[0] = f16::from_f32(l + (h - l) * u11(w[0]))), shape)
        }
        DType::BF16 => {
            let s = g.draw(n as u128);
            Tensor::from_vec(s.generate(n, 1, 1, |w, o: &mut [bf16]| o[0] = bf16::from_f32(l + (h - l) * u8bits(w[0]))), shape)
        }
        d => bail!(NotImplemented, "\"check_uniform_bounds\" not implemented for '{}'", d.scalar_name()),
    }
}

/// Normal samples by Box-Muller, pairs of elements sharing one pair of uniforms.
fn draw_normal(shape: &[usize], dtype: DType, mean: f64, std: f64, g: &Generator, device: Device) -> Result<Tensor> {
    if dtype.is_complex() {
        // Each part with variance std^2 / 2, so that E|z - mean|^2 = std^2, as in PyTorch.
        return draw_complex_parts(shape, dtype, |s, d| draw_normal(s, d, mean, std * std::f64::consts::FRAC_1_SQRT_2, g, device));
    }
    let n = shape::numel(shape);
    if device.is_gpu() {
        return gpu_draw(Dist::Normal, shape, dtype, mean, std, g);
    }
    let pairs = n.div_ceil(2) as u128;
    if dtype == DType::F64 {
        let s = g.draw(pairs * 4);
        let v = s.generate(n, 4, 2, |w, o: &mut [f64]| {
            let (a, b) = box_muller_f64(u53(w[0], w[1]), u53(w[2], w[3]));
            o[0] = mean + std * a;
            o[1] = mean + std * b;
        });
        return Tensor::from_vec(v, shape);
    }
    if !matches!(dtype, DType::F32 | DType::F16 | DType::BF16) {
        bail!(NotImplemented, "\"normal_kernel_cpu\" not implemented for '{}'", dtype.scalar_name());
    }
    let (m, sd) = (mean as f32, std as f32);
    let s = g.draw(pairs * 2);
    let v = s.generate(n, 2, 2, |w, o: &mut [f32]| {
        let (a, b) = box_muller_f32(u24(w[0]), u24(w[1]));
        o[0] = m + sd * a;
        o[1] = m + sd * b;
    });
    match dtype {
        DType::F32 => Tensor::from_vec(v, shape),
        DType::F16 => Tensor::from_vec(v.into_iter().map(f16::from_f32).collect::<Vec<_>>(), shape),
        _ => Tensor::from_vec(v.into_iter().map(bf16::from_f32).collect::<Vec<_>>(), shape),
    }
}

/// A GPU draw: reserves the same stream range as the CPU draw of that size, so CPU and GPU
/// draws interleave on one generator.
fn gpu_draw(dist: Dist, shape: &[usize], dtype: DType, a: f64, b: f64, g: &Generator) -> Result<Tensor> {
    let n = shape::numel(shape);
    // Check the dtype before advancing the generator.
    crate::backend::gpu::repr(dtype)?;
    let s = g.draw(dist.words(n, dtype));
    crate::backend::gpu::random::draw(dist, shape, dtype, a, b, &s)
}

/// Integers in `[lo, lo + range)`, `1 <= range <= 2^64`.
fn draw_ints(shape: &[usize], dtype: DType, lo: i64, range: u128, g: &Generator) -> Result<Tensor> {
    let n = shape::numel(shape);
    let vals: Vec<i64> = if range <= 1 << 32 {
        let r = range as u64;
        let s = g.draw(n as u128);
        s.generate(n, 1, 1, |w, o: &mut [i64]| o[0] = lo.wrapping_add((w[0] as u64 % r) as i64))
    } else if range <= u64::MAX as u128 {
        let r = range as u64;
        let s = g.draw(n as u128 * 2);
        s.generate(n, 2, 1, |w, o: &mut [i64]| o[0] = lo.wrapping_add((u64_of(w[0], w[1]) % r) as i64))
    } else {
        let s = g.draw(n as u128 * 2);
        s.generate(n, 2, 1, |w, o: &mut [i64]| o[0] = lo.wrapping_add(u64_of(w[0], w[1]) as i64))
    };
    from_i64s(&vals, shape, dtype)
}

/// 0/1 with probability `p[i]` per element (`p` already has the output's numel).
fn draw_bernoulli(shape: &[usize], dtype: DType, p: &[f64], g: &Generator) -> Result<Tensor> {
    let n = shape::numel(shape);
    let s = g.draw(n as u128);
    // Each element needs its own p, so generate the words and compare afterwards.
    let u: Vec<f32> = s.generate(n, 1, 1, |w, o: &mut [f32]| o[0] = u24(w[0]));
    with_dtype!(dtype, T, Tensor::from_vec(u.iter().zip(p).map(|(&u, &p)| T::from_bool((u as f64) < p)).collect::<Vec<T>>(), shape))
}

/// Bernoulli samples with one probability for every element: the same draws and comparison as
/// [`draw_bernoulli`] (so both give the same stream), in one pass without a probability array.
fn draw_bernoulli_scalar(shape: &[usize], dtype: DType, p: f64, g: &Generator, device: Device) -> Result<Tensor> {
    let n = shape::numel(shape);
    if device.is_gpu() {
        return gpu_draw(Dist::Bernoulli, shape, dtype, p, 0.0, g);
    }
    let s = g.draw(n as u128);
    with_dtype!(dtype, T, Tensor::from_vec(s.generate(n, 1, 1, |w, o: &mut [T]| o[0] = T::from_bool((u24(w[0]) as f64) < p)), shape))
}

/// Bernoulli draws with per-element probabilities on the GPU: the CPU's words (one float32
/// uniform per element), compared with `p` there. Probabilities are checked with one reduction.
fn gpu_bernoulli(p: &Tensor, dtype: DType, g: Option<&Generator>) -> Result<Tensor> {
    use crate::ops::binary::BinaryOp;
    if p.numel() > 0 {
        let pf = p.to_dtype(DType::F64)?;
        let (lo, hi) = (pf.amin_forward(None, false)?.item()?.to_f64(), pf.amax_forward(None, false)?.item()?.to_f64());
        if !(0.0..=1.0).contains(&lo) || !(0.0..=1.0).contains(&hi) {
            bail!(Runtime, "Expected p_in >= 0 && p_in <= 1 to be true, but got false.");
        }
    }
    let u = draw_uniform(p.shape(), DType::F32, 0.0, 1.0, gen(g), p.device())?;
    u.binary(&p.to_dtype(DType::F64)?.to_dtype(DType::F32)?, BinaryOp::Lt)?.to_dtype(dtype)
}

fn check_float(dtype: DType, kernel: &str) -> Result<()> {
    if !dtype.is_float() {
        bail!(NotImplemented, "\"{}\" not implemented for '{}'", kernel, dtype.scalar_name());
    }
    Ok(())
}

// ------------------------------------------------------------------ deterministic creation

impl Tensor {
    /// `arange(start, end, step)`: int64 when every bound is an integer, else the default
    /// dtype; the length is `ceil((end - start) / step)` computed in double, like PyTorch.
    pub fn arange(start: Scalar, end: Scalar, step: Scalar, dtype: Option<DType>) -> Result<Tensor> {
        let all_int = [start, end, step].iter().all(|s| s.category() != Category::Float);
        let dtype = dtype.unwrap_or(if all_int { DType::I64 } else { default_dtype() });
        let (xs, xe, xst) = (start.to_f64(), end.to_f64(), step.to_f64());
        if !xs.is_finite() || !xe.is_finite() {
            bail!(Runtime, "unsupported range: {} -> {}", fmt_scalar(start), fmt_scalar(end));
        }
        if xst == 0.0 {
            bail!(Runtime, "step must be nonzero");
        }
        if !((xst > 0.0 && xe >= xs) || (xst < 0.0 && xe <= xs)) {
            bail!(Runtime, "upper bound and lower bound inconsistent with step sign");
        }
        let size: f64 = if all_int && !dtype.is_float() {
            // Integer bounds and step: exact integer arithmetic (doubles lose int64 precision).
            // With any float argument PyTorch sizes the range in double even for an integer
            // dtype, and then steps by the truncated step: arange(0, 5, 1.5, dtype=int64) is
            // [0, 1, 2, 3].
            let (s, e, st) = (start.to_i64() as i128, end.to_i64() as i128, step.to_i64() as i128);
            if st == 0 {
                bail!(Runtime, "step must be nonzero");
            }
            let sgn = st.signum();
            (((e - s + st - sgn) / st).max(0)) as f64
        } else {
            ((xe - xs) / xst).ceil()
        };
        if !(size >= 0.0 && size <= i64::MAX as f64) {
            bail!(Runtime, "invalid size, possible overflow?");
        }
        let shape = check_sizes(&[size as i64])?;
        let n = shape[0];
        if dtype.is_float() {
            from_f64s((0..n).map(|i| xs + xst * i as f64), &shape, dtype)
        } else {
            let (s, st) = (start.to_i64(), step.to_i64());
            let vals: Vec<i64> = (0..n).map(|i| s.wrapping_add((i as i64).wrapping_mul(st))).collect();
            from_i64s(&vals, &shape, dtype)
        }
    }

    /// `linspace(start, end, steps)`: PyTorch's symmetric formula (the first half counts up from
    /// `start`, the second half down from `end`, so both ends are exact).
    pub fn linspace(start: f64, end: f64, steps: i64, dtype: DType) -> Result<Tensor> {
        let vals = linspace_values(start, end, steps)?;
        let n = vals.len();
        from_f64s(vals.into_iter(), &[n], dtype)
    }

    /// `logspace(start, end, steps, base)`: `base ** linspace(start, end, steps)`.
    pub fn logspace(start: f64, end: f64, steps: i64, base: f64, dtype: DType) -> Result<Tensor> {
        let vals = linspace_values(start, end, steps)?;
        let n = vals.len();
        from_f64s(vals.into_iter().map(|e| base.powf(e)), &[n], dtype)
    }

    /// `eye(n, m)`: ones on the main diagonal.
    pub fn eye(n: i64, m: Option<i64>, dtype: DType) -> Result<Tensor> {
        if n < 0 {
            bail!(Runtime, "n must be greater or equal to 0, got {}", n);
        }
        let m = m.unwrap_or(n);
        if m < 0 {
            bail!(Runtime, "m must be greater or equal to 0, got {}", m);
        }
        if dtype.is_complex() {
            return Tensor::eye(n, Some(m), dtype.to_real())?.to_dtype_copy(dtype);
        }
        let shape = check_sizes(&[n, m])?;
        let (r, c) = (shape[0], shape[1]);
        with_dtype!(dtype, T, {
            let mut v = vec![T::default(); r * c];
            for i in 0..r.min(c) {
                v[i * c + i] = T::from_bool(true);
            }
            Tensor::from_vec(v, &shape)
        })
    }

    // -------------------------------------------------------------- random, out of place

    /// `rand(*size, device=...)`.
    pub fn rand_on(shape: &[usize], dtype: DType, g: Option<&Generator>, device: Device) -> Result<Tensor> {
        draw_uniform(shape, dtype, 0.0, 1.0, gen(g), device)
    }

    /// `randn(*size, device=...)`.
    pub fn randn_on(shape: &[usize], dtype: DType, g: Option<&Generator>, device: Device) -> Result<Tensor> {
        draw_normal(shape, dtype, 0.0, 1.0, gen(g), device)
    }

    /// `rand(*size)`: uniform in [0, 1).
    pub fn rand(shape: &[usize], dtype: DType, g: Option<&Generator>) -> Result<Tensor> {
        draw_uniform(shape, dtype, 0.0, 1.0, gen(g), Device::Cpu)
    }

    /// `randn(*size)`: standard normal.
    pub fn randn(shape: &[usize], dtype: DType, g: Option<&Generator>) -> Result<Tensor> {
        draw_normal(shape, dtype, 0.0, 1.0, gen(g), Device::Cpu)
    }

    /// `randint(low, high, size)`: integers in `[low, high)`.
    pub fn randint(low: i64, high: i64, shape: &[usize], dtype: DType, g: Option<&Generator>) -> Result<Tensor> {
        if low >= high {
            bail!(Runtime, "random_ expects 'from' to be less than 'to', but got from={} >= to={}", low, high);
        }
        draw_ints(shape, dtype, low, (high as i128 - low as i128) as u128, gen(g))
    }

    /// `randperm(n)`: a random permutation of `0..n` (stable argsort of 64-bit random keys).
    pub fn randperm(n: i64, dtype: DType, g: Option<&Generator>) -> Result<Tensor> {
        if n < 0 {
            bail!(Runtime, "Trying to create tensor with negative dimension {n}: [{n}]");
        }
        // Values past the dtype's exact range would collide after the cast.
        if dtype != DType::I64 && n > random_upper(dtype).saturating_add(1) {
            bail!(Runtime, "n must be less than or equal to {} for the dtype {}", random_upper(dtype) + 1, dtype.name());
        }
        let shape = check_sizes(&[n])?;
        let len = shape[0];
        let s = gen(g).draw(len as u128 * 2);
        let keys: Vec<u64> = s.generate(len, 2, 1, |w, o: &mut [u64]| o[0] = u64_of(w[0], w[1]));
        let mut idx: Vec<i64> = (0..len as i64).collect();
        idx.sort_by_key(|&i| keys[i as usize]);
        from_i64s(&idx, &shape, dtype)
    }

    /// `normal(mean, std)` with tensor arguments, broadcast together.
    pub fn normal_tensors(mean: &Tensor, std: &Tensor, g: Option<&Generator>) -> Result<Tensor> {
        let dtype = promote_types(mean.dtype(), std.dtype());
        check_float(dtype, "normal_kernel_cpu")?;
        if std.to_dtype(DType::F64)?.amin_forward(None, false).map_or(false, |m| std.numel() > 0 && m.item().map_or(false, |v| v.to_f64() < 0.0)) {
            bail!(Runtime, "normal expects all elements of std >= 0.0");
        }
        let shape = shape::broadcast_shapes(mean.shape(), std.shape())?;
        let device = crate::tensor::common_device(&[Some(mean), Some(std)])?;
        let z = draw_normal(&shape, dtype, 0.0, 1.0, gen(g), device)?;
        let m = mean.to_dtype(dtype)?.expand(&shape)?;
        let s = std.to_dtype(dtype)?.expand(&shape)?;
        if device.is_gpu() {
            use crate::ops::binary::BinaryOp;
            return m.binary(&s.binary(&z, BinaryOp::Mul)?, BinaryOp::Add);
        }
        with_dtype!(dtype, T, {
            let v = crate::backend::cpu::map3::<T, T, T, T>(&m, &s, &z, |m, s, z| T::from_f64(m.to_f64() + s.to_f64() * z.to_f64()));
            Tensor::from_vec(v, &shape)
        })
    }

    /// `normal(mean, std, size)` with float arguments.
    pub fn normal_sized(mean: f64, std: f64, shape: &[usize], dtype: DType, g: Option<&Generator>) -> Result<Tensor> {
        check_std(std)?;
        draw_normal(shape, dtype, mean, std, gen(g), Device::Cpu)
    }

    /// `bernoulli(self)`: 0/1 samples with the probabilities in `self`, in `self`'s dtype.
    pub fn bernoulli(&self, p: Option<f64>, g: Option<&Generator>) -> Result<Tensor> {
        let probs = match p {
            Some(p) => {
                check_p(p)?;
                return draw_bernoulli_scalar(self.shape(), self.dtype(), p, gen(g), self.device());
            }
            None => {
                if self.device().is_gpu() {
                    return gpu_bernoulli(self, self.dtype(), g);
                }
                let v = self.to_vec::<f64>();
                if v.iter().any(|&p| !(0.0..=1.0).contains(&p)) {
                    bail!(Runtime, "Expected p_in >= 0 && p_in <= 1 to be true, but got false.");
                }
                v
            }
        };
        draw_bernoulli(self.shape(), self.dtype(), &probs, gen(g))
    }

    /// `multinomial(self, num_samples, replacement)` for 1-D (one distribution) or 2-D (one per row).
    pub fn multinomial(&self, num_samples: i64, replacement: bool, g: Option<&Generator>) -> Result<Tensor> {
        if !self.dtype().is_float() {
            bail!(Runtime, "multinomial only supports floating-point dtypes for input, got: {}", self.dtype().scalar_name());
        }
        if self.ndim() == 0 || self.ndim() > 2 {
            bail!(Runtime, "prob_dist must be 1 or 2 dim");
        }
        if num_samples <= 0 {
            bail!(Runtime, "cannot sample n_sample <= 0 samples");
        }
        let ncat = self.shape()[self.ndim() - 1];
        if !replacement && num_samples as usize > ncat {
            bail!(Runtime, "cannot sample n_sample > prob_dist.size(-1) samples without replacement");
        }
        if ncat > 1 << 24 {
            bail!(Runtime, "number of categories cannot exceed 2^24");
        }
        let rows = if self.ndim() == 2 { self.shape()[0] } else { 1 };
        let k = num_samples as usize;
        if self.device().is_gpu() {
            let out = self.reshape(&[rows as i64, ncat as i64])?.multinomial_gpu(k, replacement, g)?;
            return if self.ndim() == 2 { Ok(out) } else { out.reshape(&[k as i64]) };
        }
        let p = self.to_vec::<f64>();
        for r in 0..rows {
            let row = &p[r * ncat..(r + 1) * ncat];
            if row.iter().any(|&x| !x.is_finite() || x < 0.0) {
                bail!(Runtime, "probability tensor contains either `inf`, `nan` or element < 0");
            }
            let total: f64 = row.iter().sum();
            if total <= 0.0 {
                bail!(Runtime, "invalid multinomial distribution (sum of probabilities <= 0)");
            }
        }
        let mut out = vec![0i64; rows * k];
        if replacement {
            let s = gen(g).draw((rows * k) as u128);
            let u: Vec<f32> = s.generate(rows * k, 1, 1, |w, o: &mut [f32]| o[0] = u24(w[0]));
            for r in 0..rows {
                let row = &p[r * ncat..(r + 1) * ncat];
                let mut cum = Vec::with_capacity(ncat);
                let mut acc = 0.0;
                for &x in row {
                    acc += x;
                    cum.push(acc);
                }
                for j in 0..k {
                    let target = u[r * k + j] as f64 * acc;
                    let i = cum.partition_point(|&c| c <= target).min(ncat - 1);
                    out[r * k + j] = i as i64;
                }
            }
        } else {
            let s = gen(g).draw((rows * ncat) as u128);
            let e: Vec<f64> = s.generate(rows * ncat, 1, 1, |w, o: &mut [f64]| {
                o[0] = -((((w[0] >> 8) as f64) + 1.0) * (1.0 / 16_777_216.0)).ln()
            });
            for r in 0..rows {
                let row = &p[r * ncat..(r + 1) * ncat];
                // e == 0 (u == 1) gives an infinite key: that category wins outright. Categories of
                // probability 0 come last, lowest index first: drawing more samples than there are
                // possible categories picks them, as PyTorch's topk of p / Exp(1) does.
                let keys: Vec<f64> = (0..ncat).map(|c| if row[c] > 0.0 { row[c] / e[r * ncat + c] } else { -1.0 }).collect();
                let mut idx: Vec<usize> = (0..ncat).collect();
                idx.sort_by(|&a, &b| keys[b].partial_cmp(&keys[a]).unwrap_or(std::cmp::Ordering::Equal));
                for j in 0..k {
                    out[r * k + j] = idx[j] as i64;
                }
            }
        }
        let shape: Vec<usize> = if self.ndim() == 2 { vec![rows, k] } else { vec![k] };
        Tensor::from_vec(out, &shape)
    }

    // -------------------------------------------------------------- random, in place

    /// Writes freshly drawn values (a contiguous tensor of this shape and dtype) into `self`.
    fn assign_random(&self, vals: Tensor) -> Result<()> {
        self.copy_(&vals)
    }

    /// `uniform_(from, to)`.
    pub fn uniform_(&self, from: f64, to: f64, g: Option<&Generator>) -> Result<()> {
        if self.dtype().is_complex() {
            // As PyTorch: both parts uniform on [from, to).
            return self.real_view_forward().uniform_(from, to, g);
        }
        check_float(self.dtype(), "check_uniform_bounds")?;
        if from > to {
            bail!(Runtime, "uniform_ expects to return a [from, to) range, but found from={} > to={}", from, to);
        }
        self.check_writable_overlap()?;
        self.assign_random(draw_uniform(self.shape(), self.dtype(), from, to, gen(g), self.device())?)
    }

    /// `normal_(mean, std)`.
    pub fn normal_(&self, mean: f64, std: f64, g: Option<&Generator>) -> Result<()> {
        if self.dtype().is_complex() {
            // As PyTorch: both parts normal around `mean`, each with half the variance.
            check_std(std)?;
            return self.real_view_forward().normal_(mean, std * std::f64::consts::FRAC_1_SQRT_2, g);
        }
        check_float(self.dtype(), "normal_kernel_cpu")?;
        check_std(std)?;
        self.check_writable_overlap()?;
        self.assign_random(draw_normal(self.shape(), self.dtype(), mean, std, gen(g), self.device())?)
    }

    /// `random_()`, `random_(to)`, `random_(from, to)`; `to=None` with a `from` means up to the
    /// dtype's largest value (for floats, the largest exactly representable integer `2^digits`).
    pub fn random_(&self, from: Option<i64>, to: Option<i64>, g: Option<&Generator>) -> Result<()> {
        let upper = random_upper(self.dtype());
        let (lo, range): (i64, u128) = match (from, to) {
            (None, None) => (0, upper as u128 + 1),
            (f, Some(t)) => {
                let f = f.unwrap_or(0);
                if f >= t {
                    bail!(Runtime, "random_ expects 'from' to be less than 'to', but got from={} >= to={}", f, t);
                }
                (f, (t as i128 - f as i128) as u128)
            }
            (Some(f), None) => {
                if f > upper {
                    bail!(Runtime, "random_ expects 'from' to be less than 'to', but got from={} >= to={}", f, upper);
                }
                (f, (upper as i128 - f as i128 + 1) as u128)
            }
        };
        self.check_writable_overlap()?;
        self.assign_random(draw_ints(self.shape(), self.dtype(), lo, range, gen(g))?)
    }

    /// `bernoulli_(p)` with one probability for every element.
    pub fn bernoulli_scalar_(&self, p: f64, g: Option<&Generator>) -> Result<()> {
        check_p(p)?;
        self.check_writable_overlap()?;
        self.assign_random(draw_bernoulli_scalar(self.shape(), self.dtype(), p, gen(g), self.device())?)
    }

    /// `bernoulli_(p)` with a tensor of probabilities broadcast to `self`.
    pub fn bernoulli_tensor_(&self, p: &Tensor, g: Option<&Generator>) -> Result<()> {
        if self.device().is_gpu() {
            self.check_writable_overlap()?;
            let p = p.to_device(self.device())?.expand(self.shape())?;
            return self.assign_random(gpu_bernoulli(&p, self.dtype(), g)?);
        }
        let probs = p.expand(self.shape())?.to_vec::<f64>();
        if probs.iter().any(|&p| !(0.0..=1.0).contains(&p)) {
            bail!(Runtime, "Expected p_in >= 0 && p_in <= 1 to be true, but got false.");
        }
        self.check_writable_overlap()?;
        self.assign_random(draw_bernoulli(self.shape(), self.dtype(), &probs, gen(g))?)
    }

    /// `exponential_(lambd)`: `-ln(1 - u) / lambd` from the uniform stream.
    pub fn exponential_(&self, lambd: f64, g: Option<&Generator>) -> Result<()> {
        check_float(self.dtype(), "exponential_cpu")?;
        if !(lambd > 0.0) {
            bail!(Runtime, "exponential_ expects lambda > 0.0, but found lambda={}", lambd);
        }
        self.check_writable_overlap()?;
        let u = draw_uniform(self.shape(), self.dtype(), 0.0, 1.0, gen(g), self.device())?;
        if self.device().is_gpu() {
            use crate::ops::{binary::BinaryOp, unary::UnaryOp};
            let e = u.unary(UnaryOp::Neg)?.unary(UnaryOp::Log1p)?.binary_scalar(Scalar::Float(-lambd), BinaryOp::Div)?;
            return self.assign_random(e);
        }
        let vals = with_dtype!(self.dtype(), T, {
            let v = crate::backend::cpu::map1::<T, T>(&u, |x| T::from_f64(-(1.0 - x.to_f64()).ln() / lambd));
            Tensor::from_vec(v, self.shape())?
        });
        self.assign_random(vals)
    }
}

fn check_std(std: f64) -> Result<()> {
    if !(std >= 0.0) {
        bail!(Runtime, "normal expects std >= 0.0, but found std {}", std);
    }
    Ok(())
}

fn check_p(p: f64) -> Result<()> {
    if !(0.0..=1.0).contains(&p) {
        bail!(Runtime, "bernoulli_ expects p to be in [0, 1], but got p={}", p);
    }
    Ok(())
}

fn fmt_scalar(s: Scalar) -> String {
    match s {
        Scalar::Float(f) => format!("{f}"),
        s => s.to_i64().to_string(),
    }
}

fn linspace_values(start: f64, end: f64, steps: i64) -> Result<Vec<f64>> {
    if steps < 0 {
        return Err(Error::Runtime("number of steps must be non-negative".into()));
    }
    let n = check_sizes(&[steps])?[0];
    if n == 1 {
        return Ok(vec![start]);
    }
    let step = (end - start) / (n as f64 - 1.0);
    let half = n / 2;
    Ok((0..n).map(|i| if i < half { start + step * i as f64 } else { end - step * (n - i - 1) as f64 }).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::Stream;

    #[test]
    fn arange_lengths_and_errors() {
        let t = Tensor::arange(Scalar::Int(0), Scalar::Int(10), Scalar::Int(3), None).unwrap();
        assert_eq!(t.to_vec::<i64>(), vec![0, 3, 6, 9]);
        let t = Tensor::arange(Scalar::Float(1.0), Scalar::Float(2.0), Scalar::Float(0.3), None).unwrap();
        assert_eq!((t.numel(), t.dtype()), (4, DType::F32));
        let t = Tensor::arange(Scalar::Int(5), Scalar::Int(0), Scalar::Int(-2), None).unwrap();
        assert_eq!(t.to_vec::<i64>(), vec![5, 3, 1]);
        assert!(Tensor::arange(Scalar::Int(0), Scalar::Int(1), Scalar::Int(0), None).unwrap_err().to_string().contains("nonzero"));
        assert!(Tensor::arange(Scalar::Int(0), Scalar::Int(-1), Scalar::Int(1), None).is_err());
        let t = Tensor::arange(Scalar::Int(0), Scalar::Int(5), Scalar::Float(1.5), Some(DType::I64)).unwrap();
        assert_eq!(t.to_vec::<i64>(), vec![0, 1, 2, 3]);
    }

    #[test]
    fn linspace_is_exact_at_both_ends() {
        let v = linspace_values(0.1, 0.7, 7).unwrap();
        assert_eq!((v[0], v[6]), (0.1, 0.7));
        assert!(linspace_values(0.0, 1.0, -1).is_err());
    }

    #[test]
    fn rand_follows_documented_stream() {
        let g = Generator::new(123);
        let t = Tensor::rand(&[5], DType::F32, Some(&g)).unwrap();
        let mut w = [0u32; 5];
        Stream::new(123, 0).fill_words(0, &mut w);
        assert_eq!(t.to_vec::<f32>(), w.iter().map(|&x| u24(x)).collect::<Vec<_>>());
        assert_eq!(g.offset(), 2);
        let n = Tensor::randn(&[3], DType::F64, Some(&g)).unwrap().to_vec::<f64>();
        let mut w = [0u32; 8];
        Stream::new(123, 2).fill_words(0, &mut w);
        let (a, b) = box_muller_f64(u53(w[0], w[1]), u53(w[2], w[3]));
        let (c, _) = box_muller_f64(u53(w[4], w[5]), u53(w[6], w[7]));
        assert_eq!(n, vec![a, b, c]);
    }

    #[test]
    fn ints_permutations_and_multinomial() {
        let g = Generator::new(1);
        let t = Tensor::randint(-3, 4, &[1000], DType::I64, Some(&g)).unwrap().to_vec::<i64>();
        assert!(t.iter().all(|&v| (-3..4).contains(&v)));
        let mut p = Tensor::randperm(50, DType::I64, Some(&g)).unwrap().to_vec::<i64>();
        p.sort();
        assert_eq!(p, (0..50).collect::<Vec<_>>());
        let probs = Tensor::from_vec(vec![0.0f32, 1.0, 0.0, 3.0], &[4]).unwrap();
        let m = probs.multinomial(2, false, Some(&g)).unwrap().to_vec::<i64>();
        let mut m2 = m.clone();
        m2.sort();
        assert_eq!(m2, vec![1, 3]);
        // More draws than possible categories: the impossible ones follow, lowest index first.
        let m3 = probs.multinomial(4, false, Some(&g)).unwrap().to_vec::<i64>();
        assert_eq!(&m3[2..], &[0, 2]);
        assert!(probs.multinomial(5, false, Some(&g)).is_err());
        let r = probs.multinomial(100, true, Some(&g)).unwrap().to_vec::<i64>();
        assert!(r.iter().all(|&i| i == 1 || i == 3));
    }
}
