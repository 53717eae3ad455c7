//! Cumulative ops (`shaders/scan.wgsl`): cumsum, cumprod, cummax, cummin along one dim.
//! One invocation per row: rows are independent, elements within a row are not.
use super::{pipeline, queue, repr, transfer, wgsl_type};
use crate::dtype::DType;
use crate::error::Result;
use crate::tensor::Tensor;

const TEMPLATE: &str = include_str!("../../../shaders/scan.wgsl");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanOp {
    Sum,
    Prod,
    /// Running max/min and its index: a tie or a NaN moves the index to the newer element, and
    /// a NaN sticks once seen (PyTorch's kernel).
    Max,
    Min,
}

fn acc_dtype(dt: DType) -> DType {
    if dt == DType::F16 { DType::F32 } else { dt }
}

pub fn source(op: ScanOp, input: DType, out: DType) -> String {
    let acc = acc_dtype(input);
    let is_nan = match acc {
        DType::F32 => "is_nan_f32(v)",
        DType::F64 => "!(v == v)",
        _ => "false",
    };
    let cmp = if op == ScanOp::Max { ">=" } else { "<=" };
    let step = match op {
        ScanOp::Sum => "acc = select(acc + x, x, j == 0u);".to_string(),
        ScanOp::Prod => "acc = select(acc * x, x, j == 0u);".to_string(),
        _ => format!("if (j == 0u || nan(x) || (!nan(acc) && x {cmp} acc)) {{\n            acc = x;\n            at = j;\n        }}"),
    };
    let (extra, store) = if matches!(op, ScanOp::Max | ScanOp::Min) {
        ("@group(0) @binding(3) var<storage, read_write> indices: array<i64>;", "indices[g * inner + j] = i64(at);")
    } else {
        ("", "")
    };
    pipeline::specialise(
        TEMPLATE,
        &[
            ("OUT_T", wgsl_type(out)),
            ("IN_T", wgsl_type(input)),
            ("ACC_T", wgsl_type(acc)),
            ("EXTRA_BINDINGS", extra),
            ("IS_NAN", is_nan),
            ("STEP", &step),
            ("STORE_INDEX", store),
        ],
    )
}

/// Scans each of `groups` rows of `inner` elements of `view` (shape (kept..., dim)); returns
/// the values (contiguous, `view`'s shape, dtype `out_dtype`) and, for max/min, the indices.
pub fn scan(op: ScanOp, view: &Tensor, groups: usize, inner: usize, out_dtype: DType) -> Result<(Tensor, Option<Tensor>)> {
    let out = transfer::empty(view.shape(), out_dtype)?;
    let idx = if matches!(op, ScanOp::Max | ScanOp::Min) { Some(transfer::empty(view.shape(), DType::I64)?) } else { None };
    if out.numel() == 0 {
        return Ok((out, idx));
    }
    let (in_t, out_t) = (repr(view.dtype())?.wgsl, repr(out_dtype)?.wgsl);
    let p = pipeline::get(&format!("scan|{op:?}|{in_t}|{out_t}"), || source(op, view.dtype(), out_dtype))?;
    let mut meta = vec![view.numel() as u32, view.ndim() as u32];
    meta.extend(view.shape().iter().map(|&s| s as u32));
    meta.push(view.offset() as u32);
    meta.extend(view.strides().iter().map(|&s| s as u32));
    meta.extend([groups as u32, inner as u32]);
    let buf = |t: &Tensor| t.storage().gpu_buffer().expect("gpu").raw().clone();
    let (bo, bv) = (buf(&out), buf(view));
    let bi = idx.as_ref().map(buf);
    let mut bindings = vec![queue::Binding { buffer: &bo }, queue::Binding { buffer: &bv }];
    if let Some(b) = &bi {
        bindings.push(queue::Binding { buffer: b });
    }
    queue::dispatch(&p, &meta, &bindings, (groups as u64).div_ceil(64))?;
    Ok((out, idx))
}

pub fn sources() -> Vec<(String, String)> {
    let mut v = vec![];
    for op in [ScanOp::Sum, ScanOp::Prod, ScanOp::Max, ScanOp::Min] {
        for dt in [DType::F32, DType::F16, DType::F64, DType::I64, DType::I32] {
            v.push((format!("scan {op:?} {}", dt.name()), source(op, dt, dt)));
        }
    }
    v
}
