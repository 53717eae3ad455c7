//! Batched matrix products (`shaders/matmul.wgsl`). Operands are read through their strides;
//! batch dims are walked like any strided dims, so broadcast batches need no copy.
use super::{pipeline, queue, repr, transfer, wgsl_type};
use crate::dtype::DType;
use crate::error::Result;
use crate::tensor::Tensor;

const TEMPLATE: &str = include_str!("../../../shaders/matmul.wgsl");
const TILE: usize = 64;

/// 16-bit floats accumulate in f32.
fn acc_dtype(dt: DType) -> DType {
    if dt == DType::F16 { DType::F32 } else { dt }
}

pub fn source(dt: DType) -> String {
    let t = wgsl_type(dt);
    pipeline::specialise(TEMPLATE, &[("OUT_T", t), ("IN_T", t), ("ACC_T", wgsl_type(acc_dtype(dt)))])
}

/// `a` [batch.., m, k] @ `b` [batch.., k, n] with equal batch dims, into a new contiguous
/// tensor of `out_shape` ([batch.., m, n]).
pub fn bmm(a: &Tensor, b: &Tensor, out_shape: &[usize]) -> Result<Tensor> {
    let nd = a.ndim();
    let (m, k, n) = (a.shape()[nd - 2], a.shape()[nd - 1], b.shape()[nd - 1]);
    let batch_shape = &a.shape()[..nd - 2];
    let batch: usize = batch_shape.iter().product();
    if k == 0 {
        return transfer::zeros(out_shape, a.dtype());
    }
    let out = transfer::empty(out_shape, a.dtype())?;
    if out.numel() == 0 {
        return Ok(out);
    }
    let t = repr(a.dtype())?.wgsl;
    let p = pipeline::get(&format!("matmul|{t}"), || source(a.dtype()))?;
    let mut meta = vec![batch as u32, (nd - 2) as u32];
    meta.extend(batch_shape.iter().map(|&s| s as u32));
    meta.extend([m as u32, n as u32, k as u32]);
    for x in [a, b] {
        meta.extend([x.offset() as u32, x.strides()[nd - 2] as u32, x.strides()[nd - 1] as u32]);
        meta.extend(x.strides()[..nd - 2].iter().map(|&s| s as u32));
    }
    let gpu = |x: &Tensor| x.storage().gpu_buffer().expect("gpu").raw().clone();
    let (bo, ba, bb) = (gpu(&out), gpu(a), gpu(b));
    let bindings = [
        queue::Binding { buffer: &bo },
        queue::Binding { buffer: &ba },
        queue::Binding { buffer: &bb },
    ];
    let workgroups = (batch * m.div_ceil(TILE) * n.div_ceil(TILE)) as u64;
    queue::dispatch(&p, &meta, &bindings, workgroups)?;
    Ok(out)
}

pub fn sources() -> Vec<(String, String)> {
    [DType::F32, DType::F16, DType::F64, DType::I32, DType::I64]
        .into_iter()
        .map(|d| (format!("matmul {}", d.name()), source(d)))
        .collect()
}
