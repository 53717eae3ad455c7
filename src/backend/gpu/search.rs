//! searchsorted (`shaders/search.wgsl`): one binary search per value.
use super::{pipeline, queue, repr, transfer, wgsl_type};
use crate::dtype::DType;
use crate::error::Result;
use crate::tensor::Tensor;

const TEMPLATE: &str = include_str!("../../../shaders/search.wgsl");

/// `!(b >= v)` (left) or `!(b > v)` (right), with NaN tested through the bit pattern for
/// float32 and `!(x == x)` otherwise: drivers may fold an ordered comparison's NaN case.
fn go_right(dt: DType, right: bool) -> String {
    let strict = if right { "b <= v" } else { "b < v" };
    match dt {
        DType::F32 => format!("is_nan_f32(b) || is_nan_f32(v) || {strict}"),
        DType::F16 | DType::F64 => format!("!(b == b) || !(v == v) || {strict}"),
        _ => strict.to_string(),
    }
}

pub fn source(dt: DType, right: bool, out: DType) -> String {
    pipeline::specialise(TEMPLATE, &[("T", wgsl_type(dt)), ("OUT_T", wgsl_type(out)), ("GO_RIGHT", &go_right(dt, right))])
}

/// Insertion indices (`out` dtype int64 or int32) of `values` in the rows of `boundaries`, both
/// contiguous at offset 0 and of one dtype. `per_row` values share each row; 0 means every value
/// searches the single row.
pub fn searchsorted(boundaries: &Tensor, values: &Tensor, per_row: usize, right: bool, out: DType) -> Result<Tensor> {
    let dt = values.dtype();
    let result = transfer::empty(values.shape(), out)?;
    let n = values.numel();
    if n == 0 {
        return Ok(result);
    }
    let key = format!("search|{}|{right}|{}", repr(dt)?.wgsl, repr(out)?.wgsl);
    let kernel = pipeline::get(&key, || source(dt, right, out))?;
    let len = *boundaries.shape().last().expect("boundaries have a dim") as u32;
    let buf = |t: &Tensor| t.storage().gpu_buffer().expect("gpu").raw().clone();
    let (bo, bb, bv) = (buf(&result), buf(boundaries), buf(values));
    let bindings = [queue::Binding { buffer: &bo }, queue::Binding { buffer: &bb }, queue::Binding { buffer: &bv }];
    queue::dispatch(&kernel, &[n as u32, len, per_row as u32], &bindings, (n as u64).div_ceil(256))?;
    Ok(result)
}

pub fn sources() -> Vec<(String, String)> {
    let mut v = vec![];
    for dt in [DType::F32, DType::F16, DType::F64, DType::I32, DType::I64, DType::U8] {
        for right in [false, true] {
            for out in [DType::I64, DType::I32] {
                v.push((format!("search {} right={right} -> {}", dt.name(), out.name()), source(dt, right, out)));
            }
        }
    }
    v
}
