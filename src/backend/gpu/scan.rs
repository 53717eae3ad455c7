//! Cumulative ops (`shaders/scan.wgsl`): cumsum, cumprod, cummax, cummin along one dim, one
//! invocation per row: rows are independent, elements within a row are not. Long rows of a
//! sum scan in parallel blocks instead (`shaders/block_scan.wgsl`), which also gives nonzero
//! its stream compaction.
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
    if op == ScanOp::Sum && inner >= PARALLEL_ROW {
        return Ok((block_cumsum(view, groups, inner, out_dtype)?, None));
    }
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

// ------------------------------------------------------------------ parallel block scans

const BLOCK_TEMPLATE: &str = include_str!("../../../shaders/block_scan.wgsl");
/// Sum scans of rows at least this long run in parallel blocks.
const PARALLEL_ROW: usize = 4096;
/// Elements per block (block_scan.wgsl's BLOCK).
const BLOCK: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockStage {
    Totals,
    Scan,
}

/// What a block scan computes: a cumulative sum, or nonzero's coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockUse {
    Cumsum,
    Nonzero,
}

pub fn block_source(stage: BlockStage, use_: BlockUse, input: DType, out: DType) -> String {
    let (in_t, out_t) = (wgsl_type(input), wgsl_type(out));
    let (acc_t, load, store) = match use_ {
        BlockUse::Cumsum => {
            let acc = wgsl_type(acc_dtype(out));
            (acc, format!("{acc}(v)"), format!("out[g * inner + j] = {out_t}(p);"))
        }
        // Counts non-zero elements (NaN counts: it is not zero), then writes the coordinates of
        // each at its rank - 1; the view is one row of n elements in row-major order.
        BlockUse::Nonzero => (
            "i32",
            format!("select(0i, 1i, !(v == {}))", super::zero_literal(input)),
            "if (x != 0i) {
                let nd = params[1];
                let at = u32(p - 1i) * nd;
                var rem = j;
                for (var d = nd; d > 0u; d--) {
                    let size = params[1u + d];
                    out[at + d - 1u] = i64(rem % size);
                    rem = rem / size;
                }
            }"
            .to_string(),
        ),
    };
    let out_binding = format!("@group(0) @binding(3) var<storage, read_write> out: array<{}>;", if use_ == BlockUse::Nonzero { "i64" } else { out_t });
    pipeline::specialise(
        BLOCK_TEMPLATE,
        &[
            ("IN_T", in_t),
            ("ACC_T", acc_t),
            ("EXTRA_BINDINGS", &out_binding),
            ("LOAD", &load),
            ("STORE", &store),
            ("STAGE", if stage == BlockStage::Totals { "block_totals" } else { "block_scan" }),
        ],
    )
}

/// One block-scan dispatch over `groups` rows of `inner` elements of `view`.
fn block_pass(stage: BlockStage, use_: BlockUse, view: &Tensor, groups: usize, inner: usize, totals: &Tensor, out: Option<&Tensor>, out_dtype: DType) -> Result<()> {
    let (in_t, out_t) = (repr(view.dtype())?.wgsl, repr(out_dtype)?.wgsl);
    let key = format!("block_scan|{stage:?}|{use_:?}|{in_t}|{out_t}");
    let p = pipeline::get(&key, || block_source(stage, use_, view.dtype(), out_dtype))?;
    let per_row = inner.div_ceil(BLOCK);
    let mut meta = vec![view.numel() as u32, view.ndim() as u32];
    meta.extend(view.shape().iter().map(|&s| s as u32));
    meta.push(view.offset() as u32);
    meta.extend(view.strides().iter().map(|&s| s as u32));
    meta.extend([groups as u32, inner as u32, per_row as u32]);
    let buf = |t: &Tensor| t.storage().gpu_buffer().expect("gpu").raw().clone();
    let (bv, bt) = (buf(view), buf(totals));
    let bo = out.map(buf);
    let mut bindings = vec![queue::Binding { buffer: &bv }, queue::Binding { buffer: &bt }];
    if let Some(b) = &bo {
        bindings.push(queue::Binding { buffer: b });
    }
    queue::dispatch(&p, &meta, &bindings, (groups * per_row) as u64)
}

/// Block totals of every row, then those totals scanned per row (the prefix of each block).
fn block_prefixes(use_: BlockUse, view: &Tensor, groups: usize, inner: usize, acc: DType) -> Result<Tensor> {
    let per_row = inner.div_ceil(BLOCK);
    let totals = transfer::empty(&[groups, per_row], acc)?;
    block_pass(BlockStage::Totals, use_, view, groups, inner, &totals, None, acc)?;
    Ok(scan(ScanOp::Sum, &totals, groups, per_row, acc)?.0)
}

/// Cumulative sums of long rows (contiguous, `view`'s shape).
fn block_cumsum(view: &Tensor, groups: usize, inner: usize, out_dtype: DType) -> Result<Tensor> {
    let out = transfer::empty(view.shape(), out_dtype)?;
    if out.numel() == 0 {
        return Ok(out);
    }
    let prefixes = block_prefixes(BlockUse::Cumsum, view, groups, inner, acc_dtype(out_dtype))?;
    block_pass(BlockStage::Scan, BlockUse::Cumsum, view, groups, inner, &prefixes, Some(&out), out_dtype)?;
    Ok(out)
}

/// `nonzero()` on the GPU: an [n, ndim] int64 tensor of the coordinates of the non-zero
/// elements in row-major order. The count comes back to the host (4 bytes: the output's
/// size depends on it, as in PyTorch's CUDA kernel); the elements never leave the GPU.
pub fn nonzero(x: &Tensor) -> Result<Tensor> {
    let n = x.numel();
    if n == 0 {
        return transfer::empty(&[0, x.ndim()], DType::I64);
    }
    if n > i32::MAX as usize {
        return Err(crate::error::Error::Runtime(format!("nonzero on the GPU supports up to 2^31 elements, got {n}")));
    }
    let prefixes = block_prefixes(BlockUse::Nonzero, x, 1, n, DType::I32)?;
    let per_row = n.div_ceil(BLOCK);
    let last = queue::readback(prefixes.storage().gpu_buffer().expect("gpu"), (per_row as u64 - 1) * 4, 4)?;
    let count = i32::from_le_bytes([last[0], last[1], last[2], last[3]]) as usize;
    let out = transfer::empty(&[count, x.ndim()], DType::I64)?;
    if count > 0 && x.ndim() > 0 {
        block_pass(BlockStage::Scan, BlockUse::Nonzero, x, 1, n, &prefixes, Some(&out), DType::I64)?;
    }
    Ok(out)
}

pub fn sources() -> Vec<(String, String)> {
    let mut v = vec![];
    for op in [ScanOp::Sum, ScanOp::Prod, ScanOp::Max, ScanOp::Min] {
        for dt in [DType::F32, DType::F16, DType::F64, DType::I64, DType::I32] {
            v.push((format!("scan {op:?} {}", dt.name()), source(op, dt, dt)));
        }
    }
    for stage in [BlockStage::Totals, BlockStage::Scan] {
        for dt in [DType::F32, DType::F16, DType::F64, DType::I64] {
            v.push((format!("block cumsum {stage:?} {}", dt.name()), block_source(stage, BlockUse::Cumsum, dt, dt)));
        }
        for dt in [DType::F32, DType::F64, DType::I32, DType::I64, DType::Bool, DType::F16] {
            v.push((format!("block nonzero {stage:?} {}", dt.name()), block_source(stage, BlockUse::Nonzero, dt, DType::I64)));
        }
    }
    v
}
