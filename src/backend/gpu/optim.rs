//! Fused optimizer steps (`shaders/optim.wgsl` for Adam, `shaders/sgd.wgsl`): one dispatch
//! per parameter.
use super::{pipeline, queue, repr};
use crate::dtype::DType;
use crate::error::Result;
use crate::ops::optim::{AdamStep, SgdStep};
use crate::tensor::Tensor;

const TEMPLATE: &str = include_str!("../../../shaders/optim.wgsl");
const SGD_TEMPLATE: &str = include_str!("../../../shaders/sgd.wgsl");

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
    let n = tensors[0].numel();
    let mut meta = vec![n as u32, 0];
    for k in 0..slots {
        meta.push(tensors.get(k).map_or(0, |t| t.offset() as u32));
    }
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

pub fn sources() -> Vec<(String, String)> {
    let mut v = vec![];
    for dt in [DType::F32, DType::F16] {
        for with_state in [false, true] {
            v.push((format!("adam {} amsgrad={with_state}", dt.name()), adam_source(super::wgsl_type(dt), with_state)));
            v.push((format!("sgd {} momentum={with_state}", dt.name()), sgd_source(super::wgsl_type(dt), with_state)));
        }
    }
    v
}
