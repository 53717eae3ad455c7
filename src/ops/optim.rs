//! Fused optimizer steps: one pass over a parameter and its state instead of a dozen
//! elementwise ops (each a full read and write of the tensor, and on the GPU a dispatch).
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
    /// Bits of the GPU kernel's flags word (see shaders/optim.wgsl).
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

    /// Applies the step in place when every tensor is a contiguous float tensor of one dtype,
    /// shape and device (float32/float64 on the CPU, float32/float16 on the GPU) and none
    /// shares storage with another; returns whether it did.
    pub fn apply(&self, param: &Tensor, grad: &Tensor, exp_avg: &Tensor, exp_avg_sq: &Tensor, max_exp_avg_sq: Option<&Tensor>) -> Result<bool> {
        let all: Vec<&Tensor> = [param, grad, exp_avg, exp_avg_sq].into_iter().chain(max_exp_avg_sq).collect();
        let (dt, device) = (param.dtype(), param.device());
        let supported = match device {
            Device::Cpu => matches!(dt, DType::F32 | DType::F64),
            Device::Gpu => matches!(dt, DType::F32 | DType::F16),
        };
        let uniform = all.iter().all(|t| t.dtype() == dt && t.device() == device && t.shape() == param.shape() && t.is_contiguous());
        let distinct = all.iter().enumerate().all(|(i, a)| all[i + 1..].iter().all(|b| !a.same_storage(b)));
        if !(supported && uniform && distinct) {
            return Ok(false);
        }
        match (device, dt) {
            (Device::Gpu, _) => crate::backend::gpu::optim::adam(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, self)?,
            (Device::Cpu, DType::F32) => self.cpu::<f32>(&all, |x| x as f32),
            (Device::Cpu, _) => self.cpu::<f64>(&all, |x| x),
        }
        for t in [param, exp_avg, exp_avg_sq].into_iter().chain(max_exp_avg_sq) {
            t.storage().bump_version();
        }
        Ok(true)
    }

    fn cpu<T: AdamFloat>(&self, all: &[&Tensor], from_f64: impl Fn(f64) -> T) {
        let [decay, wd, b1, one_minus_b1, b2, one_minus_b2, bc2, eps, neg_step] = self.scalars().map(from_f64);
        let n = all[0].numel();
        // SAFETY: the tensors are contiguous over [offset, offset + n) and share no storage
        // (checked by `apply`); `grad` is only read.
        fn slice<'a, T>(t: &'a Tensor, n: usize) -> &'a mut [T] {
            unsafe { &mut t.storage().slice_mut::<T>()[t.offset()..t.offset() + n] }
        }
        let (p, g, m, v) = (slice::<T>(all[0], n), &*slice::<T>(all[1], n), slice::<T>(all[2], n), slice::<T>(all[3], n));
        let mut max = all.get(4).map(|t| slice::<T>(t, n));
        let (maximize, flags) = (self.maximize, self.flags());
        const CHUNK: usize = 1 << 14;
        let update = |p: &mut [T], g: &[T], m: &mut [T], v: &mut [T], mut max: Option<&mut [T]>| {
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
        };
        let chunks = p.par_chunks_mut(CHUNK).zip(g.par_chunks(CHUNK)).zip(m.par_chunks_mut(CHUNK)).zip(v.par_chunks_mut(CHUNK));
        match max.as_deref_mut() {
            Some(mx) => chunks.zip(mx.par_chunks_mut(CHUNK)).for_each(|((((p, g), m), v), mx)| update(p, g, m, v, Some(mx))),
            None => chunks.for_each(|(((p, g), m), v)| update(p, g, m, v, None)),
        }
    }
}

/// The float arithmetic the CPU step needs, for float32 and float64.
trait AdamFloat: Copy + Send + Sync + PartialOrd + std::ops::Add<Output = Self> + std::ops::Mul<Output = Self> + std::ops::Div<Output = Self> + std::ops::Neg<Output = Self> {
    fn sqrt(self) -> Self;
    fn is_nan(self) -> bool;
}
impl AdamFloat for f32 {
    fn sqrt(self) -> Self {
        f32::sqrt(self)
    }
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
}
impl AdamFloat for f64 {
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
}
