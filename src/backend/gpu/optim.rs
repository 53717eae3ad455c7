//! Fused optimizer steps (`shaders/optim.wgsl` for Adam, `shaders/sgd.wgsl`,
//! `shaders/rmsprop.wgsl`, `shaders/adagrad.wgsl`): one dispatch per parameter.
use super::{pipeline, queue, repr};
use crate::dtype::DType;
use crate::error::Result;
use crate::ops::optim::{AdagradStep, AdamStep, RmspropStep, SgdStep};
use crate::tensor::Tensor;

const TEMPLATE: &str = include_str!("../../../shaders/optim.wgsl");
const SGD_TEMPLATE: &str = include_str!("../../../shaders/sgd.wgsl");
const RMSPROP_TEMPLATE: &str = include_str!("../../../shaders/rmsprop.wgsl");
const ADAGRAD_TEMPLATE: &str = include_str!("../../../shaders/adagrad.wgsl");

pub fn adam_source(t: &str, amsgrad: bool) -> String {
    let (binding, second) = if amsgrad {
        (
            format!("@group(0) @binding(5) var<storage, read_write> max_exp_avg_sq: array<{t}>;"),
            // torch.maximum: NaN wins.
            "let running = f32(max_exp_avg_sq[params[6] + i]);
    let second = select(max(running, f32(v)), running + f32(v), is_nan_f32(running) || is_nan_f32(f32(v)));
    max_exp_avg_sq[params[6] + i] = {{T}}(second);"
                .to_string(),
        )
    } else {
        (String::new(), "let second = v;".to_string())
    };
    let kernel = TEMPLATE.replace("{{MAX_BINDING}}", &binding).replace("{{SECOND_MOMENT}}", &second);
    pipeline::specialise(&kernel, &[("T", t)])
}

/// `AdamStep::apply` for float32 and float16 tensors on the GPU (all contiguous, same dtype).
pub fn adam(param: &Tensor, grad: &Tensor, exp_avg: &Tensor, exp_avg_sq: &Tensor, max_exp_avg_sq: Option<&Tensor>, h: &AdamStep) -> Result<()> {
    let n = param.numel();
    if n == 0 {
        return Ok(());
    }
    let t = repr(param.dtype())?.wgsl;
    let amsgrad = max_exp_avg_sq.is_some();
    let kernel = pipeline::get(&format!("adam|{t}|{amsgrad}"), || adam_source(t, amsgrad))?;
    let tensors: Vec<&Tensor> = [param, grad, exp_avg, exp_avg_sq].into_iter().chain(max_exp_avg_sq).collect();
    launch(&kernel, &tensors, 5, h.flags(), &h.float32_words())
}

/// One dispatch over `tensors` (all of `tensors[0]`'s size): metadata n, 0, the offsets of
/// `slots` tensors (0 for absent ones), the flags word and the float32 hyperparameters.
fn launch(kernel: &pipeline::Kernel, tensors: &[&Tensor], slots: usize, flags: u32, hyper: &[f32]) -> Result<()> {
    let offsets: Vec<u32> = (0..slots).map(|k| tensors.get(k).map_or(0, |t| t.offset() as u32)).collect();
    dispatch_step(kernel, tensors, &offsets, flags, hyper)
}

/// `launch` with the offset slots given (for kernels whose optional tensors are not last).
fn dispatch_step(kernel: &pipeline::Kernel, tensors: &[&Tensor], offsets: &[u32], flags: u32, hyper: &[f32]) -> Result<()> {
    let n = tensors[0].numel();
    let mut meta = vec![n as u32, 0];
    meta.extend_from_slice(offsets);
    meta.push(flags);
    meta.extend(hyper.iter().map(|w| w.to_bits()));
    let buffers: Vec<wgpu::Buffer> = tensors.iter().map(|t| t.storage().gpu_buffer().expect("gpu").raw().clone()).collect();
    let bindings: Vec<queue::Binding> = buffers.iter().map(|b| queue::Binding { buffer: b }).collect();
    queue::dispatch(kernel, &meta, &bindings, (n as u64).div_ceil(256))
}

pub fn sgd_source(t: &str, momentum: bool) -> String {
    let (binding, update) = if momentum {
        (
            format!("@group(0) @binding(3) var<storage, read_write> momentum_buffer: array<{t}>;"),
            "let buf = {{T}}(f32(momentum_buffer[params[4] + i]) * hyper(1u) + g * hyper(2u));
    momentum_buffer[params[4] + i] = buf;
    if ((flags & 8u) != 0u) {
        g = g + f32(buf) * hyper(1u);
    } else {
        g = f32(buf);
    }"
            .to_string(),
        )
    } else {
        (String::new(), String::new())
    };
    let kernel = SGD_TEMPLATE.replace("{{MOMENTUM_BINDING}}", &binding).replace("{{MOMENTUM_UPDATE}}", &update);
    pipeline::specialise(&kernel, &[("T", t)])
}

/// `SgdStep::apply` for float32 and float16 tensors on the GPU (all contiguous, same dtype).
pub fn sgd(param: &Tensor, grad: &Tensor, momentum_buffer: Option<&Tensor>, h: &SgdStep) -> Result<()> {
    if param.numel() == 0 {
        return Ok(());
    }
    let t = repr(param.dtype())?.wgsl;
    let momentum = momentum_buffer.is_some();
    let kernel = pipeline::get(&format!("sgd|{t}|{momentum}"), || sgd_source(t, momentum))?;
    let tensors: Vec<&Tensor> = [param, grad].into_iter().chain(momentum_buffer).collect();
    launch(&kernel, &tensors, 3, h.flags(), &h.float32_words())
}

/// The RMSprop kernel with a momentum buffer and/or a gradient average (centered), each bound
/// after the square average when present.
pub fn rmsprop_source(t: &str, momentum: bool, centered: bool) -> String {
    let mut bindings = vec![];
    let mut binding = |name: &str| {
        bindings.push(format!("@group(0) @binding({}) var<storage, read_write> {name}: array<{t}>;", 4 + bindings.len()));
    };
    if momentum {
        binding("momentum_buffer");
    }
    if centered {
        binding("grad_avg");
    }
    let denominator = if centered {
        "let a = {{T}}(f32(grad_avg[params[6] + i]) * hyper(1u) + g * hyper(2u));
    grad_avg[params[6] + i] = a;
    let denom = sqrt(f32(v) - f32(a) * f32(a)) + hyper(3u);"
    } else {
        "let denom = sqrt(f32(v)) + hyper(3u);"
    };
    let step = if momentum {
        "let buf = {{T}}(f32(momentum_buffer[params[5] + i]) * hyper(4u) + g / denom);
    momentum_buffer[params[5] + i] = buf;
    let step = f32(buf);"
    } else {
        "let step = g / denom;"
    };
    let kernel = RMSPROP_TEMPLATE.replace("{{STATE_BINDINGS}}", &bindings.join("\n")).replace("{{DENOMINATOR}}", denominator).replace("{{STEP}}", step);
    pipeline::specialise(&kernel, &[("T", t)])
}

/// `RmspropStep::apply` for float32 and float16 tensors on the GPU (all contiguous, same dtype).
pub fn rmsprop(param: &Tensor, grad: &Tensor, square_avg: &Tensor, momentum_buffer: Option<&Tensor>, grad_avg: Option<&Tensor>, h: &RmspropStep) -> Result<()> {
    if param.numel() == 0 {
        return Ok(());
    }
    let t = repr(param.dtype())?.wgsl;
    let (momentum, centered) = (momentum_buffer.is_some(), grad_avg.is_some());
    let kernel = pipeline::get(&format!("rmsprop|{t}|{momentum}|{centered}"), || rmsprop_source(t, momentum, centered))?;
    // Offsets by slot (absent tensors 0), buffers in binding order.
    let offsets = [Some(param), Some(grad), Some(square_avg), momentum_buffer, grad_avg].map(|x| x.map_or(0, |t| t.offset() as u32));
    let tensors: Vec<&Tensor> = [param, grad, square_avg].into_iter().chain(momentum_buffer).chain(grad_avg).collect();
    dispatch_step(&kernel, &tensors, &offsets, h.flags(), &h.float32_words())
}

pub fn adagrad_source(t: &str) -> String {
    pipeline::specialise(ADAGRAD_TEMPLATE, &[("T", t)])
}

/// `AdagradStep::apply` for float32 and float16 tensors on the GPU (all contiguous, same dtype).
pub fn adagrad(param: &Tensor, grad: &Tensor, sum: &Tensor, h: &AdagradStep) -> Result<()> {
    if param.numel() == 0 {
        return Ok(());
    }
    let t = repr(param.dtype())?.wgsl;
    let kernel = pipeline::get(&format!("adagrad|{t}"), || adagrad_source(t))?;
    launch(&kernel, &[param, grad, sum], 3, h.flags(), &h.float32_words())
}

pub fn sources() -> Vec<(String, String)> {
    let mut v = vec![];
    for dt in [DType::F32, DType::F16] {
        for with_state in [false, true] {
            v.push((format!("adam {} amsgrad={with_state}", dt.name()), adam_source(super::wgsl_type(dt), with_state)));
            v.push((format!("sgd {} momentum={with_state}", dt.name()), sgd_source(super::wgsl_type(dt), with_state)));
            for centered in [false, true] {
                v.push((format!("rmsprop {} momentum={with_state} centered={centered}", dt.name()), rmsprop_source(super::wgsl_type(dt), with_state, centered)));
            }
        }
        v.push((format!("adagrad {}", dt.name()), adagrad_source(super::wgsl_type(dt))));
    }
    v
}
