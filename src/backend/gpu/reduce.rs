//! The reduction kernel family (`shaders/reduce.wgsl`): sum, mean, prod, max, min and the
//! arg-variants over the groups of a reduction plan's (kept..., reduced...) view.
//!
//! A group larger than `CHUNK` elements is split across workgroups and the partial results
//! folded by a second pass, so a full reduction of a large tensor uses the whole GPU. Groups of
//! at most `ROW_MAX` elements take one invocation each instead of one workgroup each.
use super::{pipeline, queue, repr, transfer, wgsl_type};
use crate::dtype::DType;
use crate::error::Result;
use crate::tensor::Tensor;

const TEMPLATE: &str = include_str!("../../../shaders/reduce.wgsl");
const ROWS_TEMPLATE: &str = include_str!("../../../shaders/reduce_rows.wgsl");
const OPS: &str = include_str!("../../../shaders/reduce_ops.wgsl");
/// Elements one workgroup folds before the work is split into a second pass.
const CHUNK: usize = 1 << 14;
/// Groups up to this long are folded by one invocation each (`reduce_rows.wgsl`).
const ROW_MAX: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReduceOp {
    Sum,
    Mean,
    Prod,
    Max,
    Min,
    /// Value and index of the maximum (first occurrence; NaN wins).
    ArgMax,
    ArgMin,
}

impl ReduceOp {
    fn is_arg(self) -> bool {
        matches!(self, ReduceOp::ArgMax | ReduceOp::ArgMin)
    }
    fn splits(self) -> bool {
        // Partial arg results would need their indices carried into the second pass.
        !self.is_arg()
    }
}

/// The accumulator dtype for an input dtype: 16-bit floats accumulate in f32.
fn acc_dtype(dt: DType) -> DType {
    match dt {
        DType::F16 => DType::F32,
        d => d,
    }
}

fn is_nan_expr(dt: DType) -> &'static str {
    match dt {
        DType::F32 => "is_nan_f32(v)",
        DType::F64 => "!(v == v)",
        _ => "false",
    }
}

/// `contiguous`: the input view is row-major contiguous, so element j lies at offset + j.
/// `rows`: the one-invocation-per-group kernel.
pub fn source(op: ReduceOp, input: DType, out: DType, contiguous: bool, rows: bool) -> String {
    use ReduceOp::*;
    let acc = acc_dtype(input);
    let (acc_t, in_t, out_t) = (wgsl_type(acc), wgsl_type(input), wgsl_type(out));
    let to_acc = if acc == input { "x".to_string() } else { format!("{acc_t}(x)") };
    let cmp = if matches!(op, Max | ArgMax) { ">" } else { "<" };
    let better = match op {
        Sum | Mean | Prod => "return true;".to_string(),
        _ => format!(
            "if (nan(a)) {{\n        return nan(b) && j < i;\n    }}\n    if (nan(b)) {{\n        return true;\n    }}\n    return b {cmp} a || (b == a && j < i);"
        ),
    };
    let combine = match op {
        Sum | Mean => "a + x",
        Prod => "a * x",
        _ => "x",
    };
    let init = match op {
        Prod => format!("{acc_t}(1)"),
        _ => format!("{acc_t}(0)"),
    };
    let init_first = if matches!(op, Sum | Mean | Prod) { "" } else { "a = load(base + start);" };
    let fin = match op {
        Mean => format!("{out_t}(a / {acc_t}(divisor))"),
        _ => format!("{out_t}(a)"),
    };
    let (extra, store_index) = match (op.is_arg(), rows) {
        (true, false) => ("@group(0) @binding(3) var<storage, read_write> idx: array<i64>;", "idx[w] = i64(arg[0]);"),
        (true, true) => ("@group(0) @binding(3) var<storage, read_write> idx: array<i64>;", "idx[w] = i64(ai);"),
        _ => ("", ""),
    };
    let template = format!("{}\n{OPS}", if rows { ROWS_TEMPLATE } else { TEMPLATE });
    pipeline::specialise(
        &template,
        &[
            ("OUT_T", out_t),
            ("IN_T", in_t),
            ("ACC_T", acc_t),
            ("EXTRA_BINDINGS", extra),
            ("TO_ACC", &to_acc),
            ("IS_NAN", is_nan_expr(acc)),
            ("BETTER", &better),
            ("INIT", &init),
            ("INIT_FROM_FIRST", init_first),
            ("COMBINE", combine),
            ("FINAL", &fin),
            ("STORE_INDEX", store_index),
            ("INDEX", if contiguous { "params[2u + params[1]] + j" } else { "strided_index(j, 2u + params[1])" }),
        ],
    )
}

/// One pass: `out[g * chunks + c]` for every group and chunk.
fn pass(op: ReduceOp, view: &Tensor, groups: usize, inner: usize, chunk: usize, divisor: usize, out_dtype: DType) -> Result<(Tensor, Option<Tensor>)> {
    let chunks = if inner == 0 { 1 } else { inner.div_ceil(chunk) };
    let out = transfer::empty(&[groups * chunks], out_dtype)?;
    let idx = if op.is_arg() { Some(transfer::empty(&[groups], DType::I64)?) } else { None };
    if groups == 0 {
        return Ok((out, idx));
    }
    let (in_t, out_t) = (repr(view.dtype())?.wgsl, repr(out_dtype)?.wgsl);
    let contiguous = view.is_contiguous();
    let rows = chunks == 1 && inner <= ROW_MAX;
    let key = format!("reduce|{op:?}|{in_t}|{out_t}|{:?}|{contiguous}|{rows}", view.dtype());
    let p = pipeline::get(&key, || source(op, view.dtype(), out_dtype, contiguous, rows))?;
    let mut meta = vec![view.numel() as u32, view.ndim() as u32];
    meta.extend(view.shape().iter().map(|&s| s as u32));
    meta.push(view.offset() as u32);
    meta.extend(view.strides().iter().map(|&s| s as u32));
    meta.extend([groups as u32, inner as u32, chunk.max(1) as u32, chunks as u32, divisor as u32]);
    let mut bindings = vec![
        queue::Binding { buffer: out.storage().gpu_buffer().expect("gpu").raw() },
        queue::Binding { buffer: view.storage().gpu_buffer().expect("gpu").raw() },
    ];
    if let Some(i) = &idx {
        bindings.push(queue::Binding { buffer: i.storage().gpu_buffer().expect("gpu").raw() });
    }
    let workgroups = if rows { (groups as u64).div_ceil(256) } else { (groups * chunks) as u64 };
    queue::dispatch(&p, &meta, &bindings, workgroups)?;
    Ok((out, idx))
}

/// Reduces each of `groups` runs of `inner` elements of `view` (shape (kept..., reduced...));
/// returns the results (shape `[groups]`, dtype `out_dtype`) and, for arg-reductions, the
/// int64 indices within each group.
pub fn reduce(op: ReduceOp, view: &Tensor, groups: usize, inner: usize, out_dtype: DType) -> Result<(Tensor, Option<Tensor>)> {
    if !op.splits() || inner <= CHUNK {
        return pass(op, view, groups, inner, inner.max(1), inner, out_dtype);
    }
    // Two passes: partial results in the accumulator dtype, then fold them.
    let acc = acc_dtype(view.dtype());
    let first = match op {
        ReduceOp::Mean => ReduceOp::Sum,
        o => o,
    };
    let (partial, _) = pass(first, view, groups, inner, CHUNK, 1, acc)?;
    let chunks = inner.div_ceil(CHUNK);
    let partial = partial.with_layout(crate::layout::Layout::contiguous(&[groups, chunks]));
    pass(op, &partial, groups, chunks, chunks, inner, out_dtype)
}

/// Every specialisation, for shader validation.
pub fn sources() -> Vec<(String, String)> {
    use ReduceOp::*;
    let mut v = vec![];
    for op in [Sum, Mean, Prod, Max, Min, ArgMax, ArgMin] {
        for dt in [DType::F32, DType::F16, DType::F64, DType::I32, DType::I64, DType::Bool] {
            for rows in [false, true] {
                v.push((format!("reduce {op:?} {} rows={rows}", dt.name()), source(op, dt, dt, false, rows)));
                v.push((format!("reduce {op:?} {} contiguous rows={rows}", dt.name()), source(op, dt, dt, true, rows)));
            }
        }
    }
    v
}
