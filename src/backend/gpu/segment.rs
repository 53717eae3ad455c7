//! Reductions of values into a tensor's storage at given offsets (`shaders/segment.wgsl`):
//! scatter_reduce (sum, prod, mean, amax, amin), scatter_add / index_add / put(accumulate)
//! for dtypes without WGSL atomics, and scatter with reduce='multiply'.
//!
//! The offsets are sorted with the stable GPU sort, so equal offsets form runs that keep the
//! input order; one invocation per run combines it in that order. Results are deterministic
//! and, for floats, equal to the CPU's sequential loop.
use super::{index, pipeline, queue, repr, sort, wgsl_type};
use crate::dtype::DType;
use crate::error::Result;
use crate::ops::binary::{gpu_expr, BinaryOp};
use crate::ops::index::ScatterReduction;
use crate::tensor::Tensor;

const TEMPLATE: &str = include_str!("../../../shaders/segment.wgsl");

const REDUCTIONS: [ScatterReduction; 5] =
    [ScatterReduction::Sum, ScatterReduction::Prod, ScatterReduction::Mean, ScatterReduction::Amax, ScatterReduction::Amin];

pub fn source(op: ScatterReduction, dt: DType, include_self: bool) -> Result<String> {
    let t = wgsl_type(dt);
    let binary = |op: BinaryOp, a: &str, b: &str| -> Result<String> {
        Ok(super::substitute(&gpu_expr(op, dt, dt)?, &[("x0", a), ("x1", b)]))
    };
    let combine = match op {
        ScatterReduction::Sum | ScatterReduction::Mean => binary(BinaryOp::Add, "acc", "v")?,
        ScatterReduction::Prod => binary(BinaryOp::Mul, "acc", "v")?,
        ScatterReduction::Amax => binary(BinaryOp::Maximum, "acc", "v")?,
        ScatterReduction::Amin => binary(BinaryOp::Minimum, "acc", "v")?,
    };
    let finish = match op {
        // Integer means round down, as the CPU's floor division does.
        ScatterReduction::Mean if dt.is_float() => binary(BinaryOp::Div, "acc", &format!("{t}(count)"))?,
        ScatterReduction::Mean => binary(BinaryOp::FloorDiv, "acc", &format!("{t}(count)"))?,
        _ => "acc".to_string(),
    };
    let (first, next) = if include_self { ("data[p]", "i") } else { ("vals[i]", "i + 1u") };
    Ok(pipeline::specialise(TEMPLATE, &[("T", t), ("COMBINE", &combine), ("FINISH", &finish), ("FIRST", first), ("NEXT", next)]))
}

/// For every i: `data[offsets[i]] = op(data[offsets[i]] if include_self, values with that
/// offset in order)`, in place. `offsets` (int64) and `values` (data's dtype) are 1-D.
pub fn reduce_into(data: &Tensor, offsets: &Tensor, values: &Tensor, op: ScatterReduction, include_self: bool) -> Result<()> {
    let m = offsets.numel();
    if m == 0 {
        return Ok(());
    }
    let dt = data.dtype();
    let key = format!("segment|{op:?}|{}|{include_self}", repr(dt)?.wgsl);
    let p = pipeline::get_fallible(&key, || source(op, dt, include_self))?;
    let (targets, order) = sort::sort(offsets, 1, m, false, m)?;
    let vals = index::gather(values, 0, &order)?;
    let buf = |t: &Tensor| t.storage().gpu_buffer().expect("gpu").raw().clone();
    let (bd, bt, bv) = (buf(data), buf(&targets), buf(&vals));
    let bindings = [queue::Binding { buffer: &bd }, queue::Binding { buffer: &bt }, queue::Binding { buffer: &bv }];
    queue::dispatch(&p, &[m as u32], &bindings, (m as u64).div_ceil(256))?;
    data.storage().bump_version();
    Ok(())
}

/// `dst[p with coordinate dim replaced by index[p]] = op(..., src[p])` over `index`'s shape.
pub fn scatter(dst: &Tensor, dim: usize, index: &Tensor, src: &Tensor, op: ScatterReduction, include_self: bool) -> Result<()> {
    if index.numel() == 0 {
        return Ok(());
    }
    let offsets = index::offsets(dst, dim, index)?;
    // src is read over index's shape (it may be larger).
    let src = src.with_layout(crate::layout::Layout { shape: index.shape().to_vec(), ..src.layout().clone() });
    let values = super::elementwise::copy_fresh(&src)?;
    let values = values.with_layout(crate::layout::Layout::contiguous(&[values.numel()]));
    reduce_into(dst, &offsets, &values, op, include_self)
}

pub fn sources() -> Vec<(String, String)> {
    let mut v = vec![];
    for op in REDUCTIONS {
        for dt in [DType::F32, DType::F16, DType::F64, DType::I32, DType::I64, DType::I8, DType::U8] {
            for include_self in [false, true] {
                if let Ok(s) = source(op, dt, include_self) {
                    v.push((format!("segment {op:?} {} include_self={include_self}", dt.name()), s));
                }
            }
        }
    }
    v
}
