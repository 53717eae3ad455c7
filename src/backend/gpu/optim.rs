//! Fused optimizer steps: one dispatch per parameter. Every step is `shaders/optim_step.wgsl`
//! (bindings, metadata, the maximize flag, the parameter's load and store) around one
//! optimizer's update body (`shaders/optim_adam.wgsl`, `optim_sgd.wgsl`, `optim_rmsprop.wgsl`,
//! `optim_adagrad.wgsl`); state an optimizer only sometimes keeps (amsgrad's running maximum,
//! momentum buffers, RMSprop's gradient average) is bound only by the specialisations that
//! use it.
use super::{pipeline, queue, repr};
use crate::dtype::DType;
use crate::error::Result;
use crate::ops::optim::{AdagradStep, AdamStep, RmspropStep, SgdStep};
use crate::tensor::Tensor;

const FRAME: &str = include_str!("../../../shaders/optim_step.wgsl");
const ADAM: &str = include_str!("../../../shaders/optim_adam.wgsl");
const SGD: &str = include_str!("../../../shaders/optim_sgd.wgsl");
const RMSPROP: &str = include_str!("../../../shaders/optim_rmsprop.wgsl");
const ADAGRAD: &str = include_str!("../../../shaders/optim_adagrad.wgsl");

/// The kernel for one optimizer over dtype `t`: `state` names the bound state tensors in
/// binding order (bindings 3..), `slots` counts the metadata's offset slots (param, grad and
/// every state slot, present or not), `update` is the optimizer's body with its optional parts
/// already filled in.
fn step_source(t: &str, state: &[&str], slots: usize, update: &str) -> String {
    let bindings: Vec<String> =
        state.iter().enumerate().map(|(k, name)| format!("@group(0) @binding({}) var<storage, read_write> {name}: array<{t}>;", 3 + k)).collect();
    let kernel = FRAME.replace("{{STATE_BINDINGS}}", &bindings.join("\n")).replace("{{UPDATE}}", update);
    pipeline::specialise(&kernel, &[("T", t), ("SLOTS", &slots.to_string())])
}

pub fn adam_source(t: &str, amsgrad: bool) -> String {
    let second = if amsgrad {
        // torch.maximum: NaN wins.
        "let running = f32(max_exp_avg_sq[offset(4u) + i]);
    let second = select(max(running, f32(v)), running + f32(v), is_nan_f32(running) || is_nan_f32(f32(v)));
    max_exp_avg_sq[offset(4u) + i] = {{T}}(second);"
    } else {
        "let second = v;"
    };
    let state: &[&str] = if amsgrad { &["exp_avg", "exp_avg_sq", "max_exp_avg_sq"] } else { &["exp_avg", "exp_avg_sq"] };
    step_source(t, state, 5, &ADAM.replace("{{SECOND_MOMENT}}", second))
}

/// `AdamStep::apply` for float32 and float16 tensors on the GPU (all contiguous, same dtype).
pub fn adam(param: &Tensor, grad: &Tensor, exp_avg: &Tensor, exp_avg_sq: &Tensor, max_exp_avg_sq: Option<&Tensor>, h: &AdamStep) -> Result<()> {
    let amsgrad = max_exp_avg_sq.is_some();
    let offsets = [Some(param), Some(grad), Some(exp_avg), Some(exp_avg_sq), max_exp_avg_sq];
    launch(&format!("adam|{amsgrad}"), |t| adam_source(t, amsgrad), &offsets, h.flags(), &h.float32_words())
}

pub fn sgd_source(t: &str, momentum: bool) -> String {
    let update = if momentum {
        "let buf = {{T}}(f32(momentum_buffer[offset(2u) + i]) * hyper(1u) + g * hyper(2u));
    momentum_buffer[offset(2u) + i] = buf;
    if ((flags & 8u) != 0u) {
        g = g + f32(buf) * hyper(1u);
    } else {
        g = f32(buf);
    }"
    } else {
        ""
    };
    let state: &[&str] = if momentum { &["momentum_buffer"] } else { &[] };
    step_source(t, state, 3, &SGD.replace("{{MOMENTUM_UPDATE}}", update))
}

/// `SgdStep::apply` for float32 and float16 tensors on the GPU (all contiguous, same dtype).
pub fn sgd(param: &Tensor, grad: &Tensor, momentum_buffer: Option<&Tensor>, h: &SgdStep) -> Result<()> {
    let momentum = momentum_buffer.is_some();
    launch(&format!("sgd|{momentum}"), |t| sgd_source(t, momentum), &[Some(param), Some(grad), momentum_buffer], h.flags(), &h.float32_words())
}

/// RMSprop with a momentum buffer and/or a gradient average (centered).
pub fn rmsprop_source(t: &str, momentum: bool, centered: bool) -> String {
    let denominator = if centered {
        "let a = {{T}}(f32(grad_avg[offset(4u) + i]) * hyper(1u) + g * hyper(2u));
    grad_avg[offset(4u) + i] = a;
    let denom = sqrt(f32(v) - f32(a) * f32(a)) + hyper(3u);"
    } else {
        "let denom = sqrt(f32(v)) + hyper(3u);"
    };
    let step = if momentum {
        "let buf = {{T}}(f32(momentum_buffer[offset(3u) + i]) * hyper(4u) + g / denom);
    momentum_buffer[offset(3u) + i] = buf;
    let step = f32(buf);"
    } else {
        "let step = g / denom;"
    };
    let state: Vec<&str> = [Some("square_avg"), momentum.then_some("momentum_buffer"), centered.then_some("grad_avg")].into_iter().flatten().collect();
    step_source(t, &state, 5, &RMSPROP.replace("{{DENOMINATOR}}", denominator).replace("{{STEP}}", step))
}

/// `RmspropStep::apply` for float32 and float16 tensors on the GPU (all contiguous, same dtype).
pub fn rmsprop(param: &Tensor, grad: &Tensor, square_avg: &Tensor, momentum_buffer: Option<&Tensor>, grad_avg: Option<&Tensor>, h: &RmspropStep) -> Result<()> {
    let (momentum, centered) = (momentum_buffer.is_some(), grad_avg.is_some());
    let offsets = [Some(param), Some(grad), Some(square_avg), momentum_buffer, grad_avg];
    launch(&format!("rmsprop|{momentum}|{centered}"), |t| rmsprop_source(t, momentum, centered), &offsets, h.flags(), &h.float32_words())
}

pub fn adagrad_source(t: &str) -> String {
    step_source(t, &["sum"], 3, ADAGRAD)
}

/// `AdagradStep::apply` for float32 and float16 tensors on the GPU (all contiguous, same dtype).
pub fn adagrad(param: &Tensor, grad: &Tensor, sum: &Tensor, h: &AdagradStep) -> Result<()> {
    launch("adagrad", adagrad_source, &[Some(param), Some(grad), Some(sum)], h.flags(), &h.float32_words())
}

/// One dispatch of the kernel `name` (built by `source` for the parameter's WGSL type) over
/// the tensors in `slots` (the parameter first; absent ones get offset 0 and no binding), with
/// the flags word and the float32 hyperparameters.
fn launch(name: &str, source: impl FnOnce(&str) -> String, slots: &[Option<&Tensor>], flags: u32, hyper: &[f32]) -> Result<()> {
    let param = slots[0].expect("the parameter is slot 0");
    let n = param.numel();
    if n == 0 {
        return Ok(());
    }
    let t = repr(param.dtype())?.wgsl;
    let kernel = pipeline::get(&format!("{name}|{t}"), || source(t))?;
    let mut meta = vec![n as u32, 0];
    meta.extend(slots.iter().map(|s| s.map_or(0, |t| t.offset() as u32)));
    meta.push(flags);
    meta.extend(hyper.iter().map(|w| w.to_bits()));
    let buffers: Vec<wgpu::Buffer> = slots.iter().flatten().map(|t| t.storage().gpu_buffer().expect("gpu").raw().clone()).collect();
    let bindings: Vec<queue::Binding> = buffers.iter().map(|b| queue::Binding { buffer: b }).collect();
    queue::dispatch(&kernel, &meta, &bindings, (n as u64).div_ceil(256))
}

pub fn sources() -> Vec<(String, String)> {
    let mut v = vec![];
    for dt in [DType::F32, DType::F16] {
        let t = super::wgsl_type(dt);
        for with_state in [false, true] {
            v.push((format!("adam {} amsgrad={with_state}", dt.name()), adam_source(t, with_state)));
            v.push((format!("sgd {} momentum={with_state}", dt.name()), sgd_source(t, with_state)));
            for centered in [false, true] {
                v.push((format!("rmsprop {} momentum={with_state} centered={centered}", dt.name()), rmsprop_source(t, with_state, centered)));
            }
        }
        v.push((format!("adagrad {}", dt.name()), adagrad_source(t)));
    }
    v
}
