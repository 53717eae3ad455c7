//! Fused optimizer steps (Adam/AdamW, SGD, RMSprop, Adagrad): one pass over a parameter and its state instead of
//! up to a dozen elementwise ops (each a full read and write of the tensor, and on the GPU a dispatch).
//! The optimizers in `ferrotorch/optim/` call these when the tensors allow it and keep
//! their op-by-op path for the rest (non-contiguous state, mixed devices or dtypes).
use crate::dtype::DType;
use crate::error::Result;
use crate::storage::Device;
use crate::tensor::Tensor;
use rayon::prelude::*;

/// One Adam / AdamW step's hyperparameters, with the bias corrections of this step applied
/// (`step_size = lr / (1 - beta1^t)`, `bias_correction2_sqrt = sqrt(1 - beta2^t)`).
#[derive(Debug, Clone, Copy)]
pub struct AdamStep {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
    /// AdamW: `p *= 1 - lr * weight_decay`; otherwise (Adam) `grad += weight_decay * p`.
    pub decoupled: bool,
    pub maximize: bool,
    pub step_size: f64,
    pub bias_correction2_sqrt: f64,
}

impl AdamStep {
    /// Bits of the GPU kernel's flags word (see shaders/optim_adam.wgsl).
    pub fn flags(&self) -> u32 {
        let decay = self.weight_decay != 0.0;
        u32::from(self.maximize) | (u32::from(decay && self.decoupled) << 1) | (u32::from(decay && !self.decoupled) << 2)
    }

    /// The scalars each elementwise op of the unfused step would use, in its order.
    fn scalars(&self) -> [f64; 9] {
        [
            1.0 - self.lr * self.weight_decay,
            self.weight_decay,
            self.beta1,
            1.0 - self.beta1,
            self.beta2,
            1.0 - self.beta2,
            self.bias_correction2_sqrt,
            self.eps,
            -self.step_size,
        ]
    }

    pub fn float32_words(&self) -> [f32; 9] {
        self.scalars().map(|x| x as f32)
    }

    /// Applies the step in place when the tensors allow it (see `fusable`); returns whether
    /// it did.
    pub fn apply(&self, param: &Tensor, grad: &Tensor, exp_avg: &Tensor, exp_avg_sq: &Tensor, max_exp_avg_sq: Option<&Tensor>) -> Result<bool> {
        let all: Vec<&Tensor> = [param, grad, exp_avg, exp_avg_sq].into_iter().chain(max_exp_avg_sq).collect();
        fused(
            &all,
            || crate::backend::gpu::optim::adam(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, self),
            || self.cpu::<f32>(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, |x| x as f32),
            || self.cpu::<f64>(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, |x| x),
        )
    }

    fn cpu<T: StepFloat>(&self, param: &Tensor, grad: &Tensor, exp_avg: &Tensor, exp_avg_sq: &Tensor, max_exp_avg_sq: Option<&Tensor>, from_f64: impl Fn(f64) -> T) {
        let [decay, wd, b1, one_minus_b1, b2, one_minus_b2, bc2, eps, neg_step] = self.scalars().map(from_f64);
        let n = param.numel();
        let (maximize, flags) = (self.maximize, self.flags());
        // SAFETY: the tensors are contiguous and share no storage (`fusable`); `grad` is only read.
        let (p, g, m, v) = unsafe { (Elements::<T>::of(param, n), Elements::<T>::of(grad, n), Elements::<T>::of(exp_avg, n), Elements::<T>::of(exp_avg_sq, n)) };
        let max = max_exp_avg_sq.map(|t| unsafe { Elements::<T>::of(t, n) });
        par_ranges(n, |r| {
            // SAFETY: each chunk takes its own range.
            let (p, g, m, v) = unsafe { (p.range(&r), &*g.range(&r), m.range(&r), v.range(&r)) };
            let mut max = max.as_ref().map(|x| unsafe { x.range(&r) });
            for i in 0..p.len() {
                let mut gi = if maximize { -g[i] } else { g[i] };
                if flags & 2 != 0 {
                    p[i] = p[i] * decay;
                }
                if flags & 4 != 0 {
                    gi = gi + p[i] * wd;
                }
                m[i] = m[i] * b1 + gi * one_minus_b1;
                v[i] = v[i] * b2 + (gi * gi) * one_minus_b2;
                let second = match max.as_deref_mut() {
                    Some(mx) => {
                        // torch.maximum: NaN wins.
                        mx[i] = if mx[i].is_nan() || v[i].is_nan() { mx[i] + v[i] } else if v[i] > mx[i] { v[i] } else { mx[i] };
                        mx[i]
                    }
                    None => v[i],
                };
                p[i] = p[i] + (m[i] / (second.sqrt() / bc2 + eps)) * neg_step;
            }
        });
    }
}

/// Whether a fused step can update these tensors (the parameter first): contiguous float
/// tensors of one dtype, shape and device (float32/float64 on the CPU, float32/float16 on the
/// GPU), no two sharing storage.
fn fusable(all: &[&Tensor]) -> bool {
    let (dt, device, shape) = (all[0].dtype(), all[0].device(), all[0].shape());
    let supported = match device {
        Device::Cpu => matches!(dt, DType::F32 | DType::F64),
        Device::Gpu => matches!(dt, DType::F32 | DType::F16),
    };
    let uniform = all.iter().all(|t| t.dtype() == dt && t.device() == device && t.shape() == shape && t.is_contiguous());
    let distinct = all.iter().enumerate().all(|(i, a)| all[i + 1..].iter().all(|b| !a.same_storage(b)));
    supported && uniform && distinct
}

/// Runs a fused step over `all` (the parameter first, then the gradient, then the state) when
/// `fusable` allows it, on the GPU or the CPU in the parameter's dtype, and bumps the version of
/// every tensor it wrote (all but the gradient); returns whether it ran.
fn fused(all: &[&Tensor], gpu: impl FnOnce() -> Result<()>, cpu_f32: impl FnOnce(), cpu_f64: impl FnOnce()) -> Result<bool> {
    if !fusable(all) {
        return Ok(false);
    }
    match (all[0].device(), all[0].dtype()) {
        (Device::Gpu, _) => gpu()?,
        (Device::Cpu, DType::F32) => cpu_f32(),
        (Device::Cpu, _) => cpu_f64(),
    }
    for (i, t) in all.iter().enumerate() {
        if i != 1 {
            t.storage().bump_version();
        }
    }
    Ok(true)
}

/// A contiguous tensor's elements, shared by the parallel chunks of a CPU step; each chunk
/// takes only its own range of them.
struct Elements<T> {
    ptr: *mut T,
}

// SAFETY: the chunks of one step touch disjoint ranges (see `range`).
unsafe impl<T: Send> Sync for Elements<T> {}

impl<T> Elements<T> {
    /// SAFETY: `t` is contiguous over `[offset, offset + len)` of a `T` storage, and no other
    /// live slice of this step covers the same storage (`fusable` checked that none shares it).
    unsafe fn of(t: &Tensor, len: usize) -> Self {
        let window = unsafe { &mut t.storage().slice_mut::<T>()[t.offset()..t.offset() + len] };
        Elements { ptr: window.as_mut_ptr() }
    }

    /// SAFETY: `r` lies within the window, and no other live slice covers it.
    #[allow(clippy::mut_from_ref)]
    unsafe fn range(&self, r: &std::ops::Range<usize>) -> &mut [T] {
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(r.start), r.len()) }
    }
}

/// Runs `update` over `0..n` in parallel chunks of consecutive indices.
fn par_ranges(n: usize, update: impl Fn(std::ops::Range<usize>) + Sync) {
    const CHUNK: usize = 1 << 14;
    (0..n.div_ceil(CHUNK)).into_par_iter().for_each(|c| update(c * CHUNK..((c + 1) * CHUNK).min(n)));
}

/// One SGD step's hyperparameters (PyTorch's `torch.optim.SGD`).
#[derive(Debug, Clone, Copy)]
pub struct SgdStep {
    pub lr: f64,
    pub momentum: f64,
    pub dampening: f64,
    pub weight_decay: f64,
    pub nesterov: bool,
    pub maximize: bool,
}

impl SgdStep {
    /// Bits of the GPU kernel's flags word (see shaders/optim_sgd.wgsl).
    pub fn flags(&self) -> u32 {
        u32::from(self.maximize) | (u32::from(self.weight_decay != 0.0) << 1) | (u32::from(self.momentum != 0.0) << 2) | (u32::from(self.nesterov) << 3)
    }

    fn scalars(&self) -> [f64; 4] {
        [self.weight_decay, self.momentum, 1.0 - self.dampening, -self.lr]
    }

    pub fn float32_words(&self) -> [f32; 4] {
        self.scalars().map(|x| x as f32)
    }

    /// Applies the step in place when the tensors allow it (see `fusable`); returns whether it
    /// did. With momentum, the buffer must exist already (the first step creates it from the
    /// gradient, op by op).
    pub fn apply(&self, param: &Tensor, grad: &Tensor, momentum_buffer: Option<&Tensor>) -> Result<bool> {
        if (self.momentum != 0.0) != momentum_buffer.is_some() {
            return Ok(false);
        }
        let all: Vec<&Tensor> = [param, grad].into_iter().chain(momentum_buffer).collect();
        fused(
            &all,
            || crate::backend::gpu::optim::sgd(param, grad, momentum_buffer, self),
            || self.cpu::<f32>(param, grad, momentum_buffer, |x| x as f32),
            || self.cpu::<f64>(param, grad, momentum_buffer, |x| x),
        )
    }

    fn cpu<T: StepFloat>(&self, param: &Tensor, grad: &Tensor, momentum_buffer: Option<&Tensor>, from_f64: impl Fn(f64) -> T) {
        let [wd, momentum, one_minus_dampening, neg_lr] = self.scalars().map(from_f64);
        let n = param.numel();
        let flags = self.flags();
        // SAFETY: the tensors are contiguous and share no storage (`fusable`); `grad` is only read.
        let (p, g) = unsafe { (Elements::<T>::of(param, n), Elements::<T>::of(grad, n)) };
        let buf = momentum_buffer.map(|t| unsafe { Elements::<T>::of(t, n) });
        par_ranges(n, |r| {
            // SAFETY: each chunk takes its own range.
            let (p, g) = unsafe { (p.range(&r), &*g.range(&r)) };
            let mut buf = buf.as_ref().map(|b| unsafe { b.range(&r) });
            for i in 0..p.len() {
                let mut d = if flags & 1 != 0 { -g[i] } else { g[i] };
                if flags & 2 != 0 {
                    d = d + p[i] * wd;
                }
                if let Some(b) = buf.as_deref_mut() {
                    b[i] = b[i] * momentum + d * one_minus_dampening;
                    d = if flags & 8 != 0 { d + b[i] * momentum } else { b[i] };
                }
                p[i] = p[i] + d * neg_lr;
            }
        });
    }
}

/// One RMSprop step's hyperparameters (PyTorch's `torch.optim.RMSprop`).
#[derive(Debug, Clone, Copy)]
pub struct RmspropStep {
    pub lr: f64,
    pub alpha: f64,
    pub eps: f64,
    pub weight_decay: f64,
    pub momentum: f64,
    pub maximize: bool,
}

impl RmspropStep {
    /// Bits of the GPU kernel's flags word (see shaders/optim_rmsprop.wgsl); momentum and centering
    /// are known from which buffers are present.
    pub fn flags(&self) -> u32 {
        u32::from(self.maximize) | (u32::from(self.weight_decay != 0.0) << 1)
    }

    fn scalars(&self) -> [f64; 5] {
        [self.weight_decay, self.alpha, 1.0 - self.alpha, self.eps, self.momentum]
    }

    pub fn float32_words(&self) -> [f32; 6] {
        let [wd, a, one_minus_a, eps, momentum] = self.scalars();
        [wd, a, one_minus_a, eps, momentum, -self.lr].map(|x| x as f32)
    }

    /// Applies the step in place when the tensors allow it (see `fusable`); returns whether it
    /// did. `momentum_buffer` is present exactly when momentum > 0, `grad_avg` when centered.
    pub fn apply(&self, param: &Tensor, grad: &Tensor, square_avg: &Tensor, momentum_buffer: Option<&Tensor>, grad_avg: Option<&Tensor>) -> Result<bool> {
        if (self.momentum > 0.0) != momentum_buffer.is_some() {
            return Ok(false);
        }
        let all: Vec<&Tensor> = [param, grad, square_avg].into_iter().chain(momentum_buffer).chain(grad_avg).collect();
        fused(
            &all,
            || crate::backend::gpu::optim::rmsprop(param, grad, square_avg, momentum_buffer, grad_avg, self),
            || self.cpu::<f32>(param, grad, square_avg, momentum_buffer, grad_avg, |x| x as f32),
            || self.cpu::<f64>(param, grad, square_avg, momentum_buffer, grad_avg, |x| x),
        )
    }

    fn cpu<T: StepFloat>(&self, param: &Tensor, grad: &Tensor, square_avg: &Tensor, momentum_buffer: Option<&Tensor>, grad_avg: Option<&Tensor>, from_f64: impl Fn(f64) -> T) {
        let [wd, alpha, one_minus_alpha, eps, momentum] = self.scalars().map(&from_f64);
        let neg_lr = from_f64(-self.lr);
        let n = param.numel();
        let flags = self.flags();
        // SAFETY: the tensors are contiguous and share no storage (`fusable`); `grad` is only read.
        let (p, g, v) = unsafe { (Elements::<T>::of(param, n), Elements::<T>::of(grad, n), Elements::<T>::of(square_avg, n)) };
        let (buf, avg) = unsafe { (momentum_buffer.map(|t| Elements::<T>::of(t, n)), grad_avg.map(|t| Elements::<T>::of(t, n))) };
        par_ranges(n, |r| {
            // SAFETY: each chunk takes its own range.
            let (p, g, v) = unsafe { (p.range(&r), &*g.range(&r), v.range(&r)) };
            let (mut buf, mut avg) = unsafe { (buf.as_ref().map(|b| b.range(&r)), avg.as_ref().map(|a| a.range(&r))) };
            for i in 0..p.len() {
                let mut gi = if flags & 1 != 0 { -g[i] } else { g[i] };
                if flags & 2 != 0 {
                    gi = gi + p[i] * wd;
                }
                v[i] = v[i] * alpha + (gi * gi) * one_minus_alpha;
                let denom = match avg.as_deref_mut() {
                    Some(a) => {
                        a[i] = a[i] * alpha + gi * one_minus_alpha;
                        (v[i] - a[i] * a[i]).sqrt() + eps
                    }
                    None => v[i].sqrt() + eps,
                };
                let step = match buf.as_deref_mut() {
                    Some(b) => {
                        b[i] = b[i] * momentum + gi / denom;
                        b[i]
                    }
                    None => gi / denom,
                };
                p[i] = p[i] + step * neg_lr;
            }
        });
    }
}

/// One Adagrad step's hyperparameters (PyTorch's `torch.optim.Adagrad`), with this step's
/// decayed learning rate `clr = lr / (1 + (step - 1) * lr_decay)`.
#[derive(Debug, Clone, Copy)]
pub struct AdagradStep {
    pub clr: f64,
    pub eps: f64,
    pub weight_decay: f64,
    pub maximize: bool,
}

impl AdagradStep {
    /// Bits of the GPU kernel's flags word (see shaders/optim_adagrad.wgsl).
    pub fn flags(&self) -> u32 {
        u32::from(self.maximize) | (u32::from(self.weight_decay != 0.0) << 1)
    }

    fn scalars(&self) -> [f64; 3] {
        [self.weight_decay, self.eps, -self.clr]
    }

    pub fn float32_words(&self) -> [f32; 3] {
        self.scalars().map(|x| x as f32)
    }

    /// Applies the step in place when the tensors allow it (see `fusable`); returns whether it did.
    pub fn apply(&self, param: &Tensor, grad: &Tensor, sum: &Tensor) -> Result<bool> {
        fused(
            &[param, grad, sum],
            || crate::backend::gpu::optim::adagrad(param, grad, sum, self),
            || self.cpu::<f32>(param, grad, sum, |x| x as f32),
            || self.cpu::<f64>(param, grad, sum, |x| x),
        )
    }

    fn cpu<T: StepFloat>(&self, param: &Tensor, grad: &Tensor, sum: &Tensor, from_f64: impl Fn(f64) -> T) {
        let [wd, eps, neg_clr] = self.scalars().map(from_f64);
        let n = param.numel();
        let flags = self.flags();
        // SAFETY: the tensors are contiguous and share no storage (`fusable`); `grad` is only read.
        let (p, g, s) = unsafe { (Elements::<T>::of(param, n), Elements::<T>::of(grad, n), Elements::<T>::of(sum, n)) };
        par_ranges(n, |r| {
            // SAFETY: each chunk takes its own range.
            let (p, g, s) = unsafe { (p.range(&r), &*g.range(&r), s.range(&r)) };
            for i in 0..p.len() {
                let mut gi = if flags & 1 != 0 { -g[i] } else { g[i] };
                if flags & 2 != 0 {
                    gi = gi + p[i] * wd;
                }
                s[i] = s[i] + gi * gi;
                p[i] = p[i] + (gi / (s[i].sqrt() + eps)) * neg_clr;
            }
        });
    }
}

/// The float arithmetic the CPU steps need, for float32 and float64.
trait StepFloat: Copy + Send + Sync + PartialOrd + std::ops::Add<Output = Self> + std::ops::Sub<Output = Self> + std::ops::Mul<Output = Self> + std::ops::Div<Output = Self> + std::ops::Neg<Output = Self> {
    fn sqrt(self) -> Self;
    fn is_nan(self) -> bool;
}
impl StepFloat for f32 {
    fn sqrt(self) -> Self {
        f32::sqrt(self)
    }
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
}
impl StepFloat for f64 {
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
}
