//! Sorting (`shaders/sort.wgsl`): a stable bitonic sort of every row of a (kept dims..., dim)
//! view, the base of sort, argsort, topk, kthvalue, median and unique on the GPU.
//!
//! Each row is copied into a row of `width` (the next power of two) keys next to its original
//! positions; padding carries position -1 and sorts last. The order compares (key, position),
//! so equal keys keep their input order, as the CPU's stable sort does.
use super::{elementwise, pipeline, queue, repr, transfer, wgsl_type};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::tensor::Tensor;

const TEMPLATE: &str = include_str!("../../../shaders/sort.wgsl");
/// Keys a workgroup sorts in its own memory (`BLOCK` in sort.wgsl).
const BLOCK: usize = 512;
/// Invocations per workgroup (sort.wgsl's workgroup size).
const WORKGROUP: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// One compare-exchange pass over all keys.
    Global,
    /// All passes that fit a 512-key block, in workgroup memory.
    Local,
}

/// Keys are sorted in a type with a NaN test the kernel can trust: float16 widens to float32.
fn key_dtype(dt: DType) -> DType {
    if dt == DType::F16 { DType::F32 } else { dt }
}

pub fn source(stage: Stage, key: DType, descending: bool) -> String {
    let is_nan = match key {
        DType::F32 => "is_nan_f32(v)",
        DType::F64 => "!(v == v)",
        _ => "false",
    };
    pipeline::specialise(
        TEMPLATE,
        &[
            ("T", wgsl_type(key)),
            ("IS_NAN", is_nan),
            // NaN ranks above every number: last when ascending, first when descending.
            ("NAN_FIRST", if descending { "na" } else { "nb" }),
            ("CMP", if descending { ">" } else { "<" }),
            ("STAGE", if stage == Stage::Global { "global_step" } else { "local_sort" }),
        ],
    )
}

/// `shape` with its last dim set to `len` (a 0-d shape stays 0-d).
fn with_last(shape: &[usize], len: usize) -> Vec<usize> {
    let mut s = shape.to_vec();
    if let Some(last) = s.last_mut() {
        *last = len;
    }
    s
}

/// The first `len` columns of a contiguous tensor of shape `padded`, as a view of `t`.
fn leading(t: &Tensor, padded: &[usize], len: usize) -> Tensor {
    let l = Layout::contiguous(padded);
    match padded.len() {
        0 => t.with_layout(l),
        nd => t.with_layout(l.narrow(nd - 1, 0, len)),
    }
}

/// Sorts each of the `groups` rows of `inner` elements of `view` (shape (kept dims..., dim))
/// and returns the first `take` sorted values (view's dtype) and their positions in the row
/// (int64), both contiguous with `view`'s shape but `take` in the last dim.
pub fn sort(view: &Tensor, groups: usize, inner: usize, descending: bool, take: usize) -> Result<(Tensor, Tensor)> {
    repr(view.dtype())?;
    repr(DType::I64)?;
    let kd = key_dtype(view.dtype());
    let width = inner.next_power_of_two();
    let total = groups * width;
    if total > i32::MAX as usize {
        return Err(Error::Runtime(format!("sort on the GPU: {groups} rows of {inner} elements exceed the kernel's 2^31 keys")));
    }
    let padded = with_last(view.shape(), width);
    let keys = transfer::empty(&padded, kd)?;
    // The first local pass writes the positions (padding gets -1).
    let pos = transfer::empty(&padded, DType::I32)?;
    if total > 0 {
        elementwise::copy_into(&leading(&keys, &padded, inner), view)?;
        run_passes(&keys, &pos, kd, descending, total, width, inner)?;
    }
    let values = elementwise::cast(&leading(&keys, &padded, take), view.dtype())?;
    let indices = elementwise::cast(&leading(&pos, &padded, take), DType::I64)?;
    Ok((values, indices))
}

/// Bitonic sort passes: one local dispatch sorts every 512-key block (whole rows when `width`
/// <= 512); each longer merge k needs global passes for j >= 512, then one local dispatch.
/// Rows hold `len` real keys; the first dispatch also numbers them.
fn run_passes(keys: &Tensor, pos: &Tensor, kd: DType, descending: bool, total: usize, width: usize, len: usize) -> Result<()> {
    let t = wgsl_type(kd);
    let local = pipeline::get(&format!("sort|local|{t}|{descending}"), || source(Stage::Local, kd, descending))?;
    let global = pipeline::get(&format!("sort|global|{t}|{descending}"), || source(Stage::Global, kd, descending))?;
    let (bk, bp) = (keys.storage().gpu_buffer().expect("gpu").raw().clone(), pos.storage().gpu_buffer().expect("gpu").raw().clone());
    let bindings = [queue::Binding { buffer: &bk }, queue::Binding { buffer: &bp }];
    let blocks = total.div_ceil(BLOCK) as u64;
    let pairs = (total / 2).div_ceil(WORKGROUP) as u64;
    let meta = |a: usize, b: usize| [total as u32, a as u32, b as u32, width as u32, len as u32];
    queue::dispatch(&local, &meta(2, width.min(BLOCK)), &bindings, blocks)?;
    let mut k = 2 * BLOCK;
    while k <= width {
        let mut j = k / 2;
        while j >= BLOCK {
            queue::dispatch(&global, &meta(k, j), &bindings, pairs)?;
            j /= 2;
        }
        queue::dispatch(&local, &meta(k, k), &bindings, blocks)?;
        k *= 2;
    }
    Ok(())
}

pub fn sources() -> Vec<(String, String)> {
    let mut v = vec![];
    for dt in [DType::F32, DType::F64, DType::I32, DType::I64, DType::Bool] {
        for descending in [false, true] {
            for stage in [Stage::Global, Stage::Local] {
                v.push((format!("sort {stage:?} {} descending={descending}", dt.name()), source(stage, dt, descending)));
            }
        }
    }
    v
}
