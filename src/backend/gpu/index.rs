//! Gather and scatter along a dim (`shaders/index.wgsl`): gather, index_select, embedding and,
//! through scatter-add, their gradients. Scatter-add of floats uses a compare-and-swap loop
//! (WGSL has integer atomics only), so duplicated indices accumulate correctly.
use super::{pipeline, queue, repr, transfer, wgsl_type};
use crate::dtype::DType;
use crate::error::Result;
use crate::tensor::Tensor;

const TEMPLATE: &str = include_str!("../../../shaders/index.wgsl");

const MAIN_HEAD: &str = "@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= params[0]) {
        return;
    }";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Gather,
    /// Overwrite: with duplicated indices some write wins (unspecified, as on CUDA).
    Scatter,
    ScatterAdd,
    /// The storage offset each index element targets (for the segmented reductions).
    Offsets,
}

pub fn source(kind: Kind, dt: DType) -> String {
    let t = wgsl_type(dt);
    let (data_t, src_binding, extra, body) = match kind {
        Kind::Gather => (
            t.to_string(),
            format!("@group(0) @binding(3) var<storage, read_write> out: array<{t}>;"),
            0,
            format!("{MAIN_HEAD}\n    out[i] = data[target_offset(i)];\n}}"),
        ),
        Kind::Offsets => (
            t.to_string(),
            "@group(0) @binding(3) var<storage, read_write> out: array<i64>;".to_string(),
            0,
            // `data` is bound like gather's (the load keeps it in the layout); only its
            // addressing is used.
            format!("{MAIN_HEAD}\n    _ = data[0];\n    out[i] = i64(target_offset(i));\n}}"),
        ),
        Kind::Scatter => (
            t.to_string(),
            format!("@group(0) @binding(3) var<storage, read> src: array<{t}>;"),
            1,
            format!("{MAIN_HEAD}\n    let nd = params[1];\n    data[target_offset(i)] = src[strided_index(i, 2u + nd + 2u * (1u + nd))];\n}}"),
        ),
        Kind::ScatterAdd => {
            let add = match t {
                "f32" => "    let p = target_offset(i);
    loop {
        let old = atomicLoad(&data[p]);
        let updated = bitcast<u32>(bitcast<f32>(old) + v);
        if (atomicCompareExchangeWeak(&data[p], old, updated).exchanged) {
            break;
        }
    }"
                .to_string(),
                "i32" | "u32" => "    atomicAdd(&data[target_offset(i)], v);".to_string(),
                _ => String::new(),
            };
            let atomic_t = if t == "f32" { "u32" } else { t };
            (
                format!("atomic<{atomic_t}>"),
                format!("@group(0) @binding(3) var<storage, read> src: array<{t}>;"),
                1,
                format!("{MAIN_HEAD}\n    let nd = params[1];\n    let v = src[strided_index(i, 2u + nd + 2u * (1u + nd))];\n{add}\n}}"),
            )
        }
    };
    pipeline::specialise(TEMPLATE, &[("DATA_T", &data_t), ("SRC_BINDING", &src_binding), ("EXTRA_BLOCKS", &extra.to_string()), ("BODY", &body)])
}

fn meta(walk_shape: &[usize], data: &Tensor, dim: usize, index: &Tensor, src: Option<&Tensor>) -> Vec<u32> {
    let mut m = vec![crate::shape::numel(walk_shape) as u32, walk_shape.len() as u32];
    m.extend(walk_shape.iter().map(|&s| s as u32));
    m.push(data.offset() as u32);
    m.extend(data.strides().iter().enumerate().map(|(d, &s)| if d == dim { 0 } else { s as u32 }));
    for t in std::iter::once(index).chain(src) {
        m.push(t.offset() as u32);
        m.extend(t.strides().iter().map(|&s| s as u32));
    }
    m.push(data.strides()[dim] as u32);
    m.push(data.shape()[dim] as u32);
    m
}

fn buf(t: &Tensor) -> wgpu::Buffer {
    t.storage().gpu_buffer().expect("gpu").raw().clone()
}

/// `out[p] = src[p with coordinate dim replaced by index[p]]` over `index`'s shape.
pub fn gather(src: &Tensor, dim: usize, index: &Tensor) -> Result<Tensor> {
    read_along(Kind::Gather, src, dim, index, transfer::empty(index.shape(), src.dtype())?)
}

/// The storage offset in `dst` of `p with coordinate dim replaced by index[p]` for every `p`
/// of `index`'s shape, as a contiguous 1-D int64 tensor.
pub fn offsets(dst: &Tensor, dim: usize, index: &Tensor) -> Result<Tensor> {
    read_along(Kind::Offsets, dst, dim, index, transfer::empty(&[index.numel()], DType::I64)?)
}

/// One dispatch of a kind that addresses `data` through `index` and writes `out`.
fn read_along(kind: Kind, data: &Tensor, dim: usize, index: &Tensor, out: Tensor) -> Result<Tensor> {
    if out.numel() == 0 {
        return Ok(out);
    }
    let t = repr(data.dtype())?.wgsl;
    let p = pipeline::get(&format!("{kind:?}|{t}"), || source(kind, data.dtype()))?;
    let (bd, bi, bo) = (buf(data), buf(index), buf(&out));
    let bindings = [
        queue::Binding { buffer: &bd },
        queue::Binding { buffer: &bi },
        queue::Binding { buffer: &bo },
    ];
    queue::dispatch(&p, &meta(index.shape(), data, dim, index, None), &bindings, (out.numel() as u64).div_ceil(256))
        .map(|_| out)
}

/// `dst[p with coordinate dim replaced by index[p]] (+)= src[p]` over `index`'s shape, in place.
pub fn scatter(dst: &Tensor, dim: usize, index: &Tensor, src: &Tensor, add: bool) -> Result<()> {
    let dt = dst.dtype();
    // WGSL has atomics for these two only; callers send other dtypes to segment.rs.
    debug_assert!(!add || matches!(dt, DType::F32 | DType::I32), "atomic scatter_add of {dt:?}");
    if index.numel() == 0 {
        return Ok(());
    }
    let t = repr(dt)?.wgsl;
    let kind = if add { Kind::ScatterAdd } else { Kind::Scatter };
    let p = pipeline::get(&format!("scatter|{kind:?}|{t}"), || source(kind, dt))?;
    let (bd, bi, bs) = (buf(dst), buf(index), buf(src));
    let bindings = [
        queue::Binding { buffer: &bd },
        queue::Binding { buffer: &bi },
        queue::Binding { buffer: &bs },
    ];
    queue::dispatch(&p, &meta(index.shape(), dst, dim, index, Some(src)), &bindings, (index.numel() as u64).div_ceil(256))?;
    dst.storage().bump_version();
    Ok(())
}

pub fn sources() -> Vec<(String, String)> {
    let mut v = vec![];
    for dt in [DType::F32, DType::F16, DType::F64, DType::I32, DType::I64, DType::Bool] {
        v.push((format!("gather {}", dt.name()), source(Kind::Gather, dt)));
        v.push((format!("offsets {}", dt.name()), source(Kind::Offsets, dt)));
        v.push((format!("scatter {}", dt.name()), source(Kind::Scatter, dt)));
    }
    for dt in [DType::F32, DType::I32] {
        v.push((format!("scatter_add {}", dt.name()), source(Kind::ScatterAdd, dt)));
    }
    v
}

// ------------------------------------------------------------------ offsets (advanced indexing)

const OFFSETS_TEMPLATE: &str = include_str!("../../../shaders/offsets.wgsl");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetKind {
    Gather,
    Put,
    Accumulate,
}

pub fn offsets_source(kind: OffsetKind, dt: DType) -> String {
    let t = wgsl_type(dt);
    let (data_t, body) = match kind {
        OffsetKind::Gather => (t.to_string(), "    dense[i] = data[p];".to_string()),
        OffsetKind::Put => (t.to_string(), "    data[p] = dense[i];".to_string()),
        OffsetKind::Accumulate if t == "f32" => (
            "atomic<u32>".to_string(),
            "    let v = dense[i];
    loop {
        let old = atomicLoad(&data[p]);
        if (atomicCompareExchangeWeak(&data[p], old, bitcast<u32>(bitcast<f32>(old) + v)).exchanged) {
            break;
        }
    }"
            .to_string(),
        ),
        OffsetKind::Accumulate => (format!("atomic<{t}>"), "    atomicAdd(&data[p], dense[i]);".to_string()),
    };
    pipeline::specialise(OFFSETS_TEMPLATE, &[("DATA_T", &data_t), ("T", t), ("BODY", &body)])
}

/// Host offsets as the int32 GPU tensor the offsets kernels read.
pub fn u32_tensor(v: &[usize]) -> Result<Tensor> {
    transfer::to_gpu(&Tensor::from_vec(v.iter().map(|&x| x as i32).collect::<Vec<i32>>(), &[v.len()])?)
}

fn run_offsets(kind: OffsetKind, data: &Tensor, starts: &Tensor, row: &[usize], dense: &Tensor) -> Result<()> {
    let dt = data.dtype();
    // WGSL has atomics for these two only; put_offsets sends other dtypes to segment.rs.
    debug_assert!(kind != OffsetKind::Accumulate || matches!(dt, DType::F32 | DType::I32), "atomic accumulate of {dt:?}");
    let n = starts.numel() * row.len();
    if n == 0 {
        return Ok(());
    }
    let t = repr(dt)?.wgsl;
    let p = pipeline::get(&format!("offsets|{kind:?}|{t}"), || offsets_source(kind, dt))?;
    let r = u32_tensor(row)?;
    let (bd, bs, br, bx) = (buf(data), buf(starts), buf(&r), buf(dense));
    let bindings = [
        queue::Binding { buffer: &bd },
        queue::Binding { buffer: &bs },
        queue::Binding { buffer: &br },
        queue::Binding { buffer: &bx },
    ];
    queue::dispatch(&p, &[n as u32, row.len() as u32], &bindings, (n as u64).div_ceil(256))
}

/// `out[r, j] = data[starts[r] + row[j]]` as a tensor of `shape` (numel = starts x row);
/// `starts` is a contiguous int32 GPU tensor.
pub fn gather_offsets(data: &Tensor, starts: &Tensor, row: &[usize], shape: &[usize]) -> Result<Tensor> {
    let out = transfer::empty(shape, data.dtype())?;
    run_offsets(OffsetKind::Gather, data, starts, row, &out)?;
    Ok(out)
}

/// `data[starts[r] + row[j]] (+)= values[r, j]` in place (`values` contiguous, same dtype).
pub fn put_offsets(data: &Tensor, starts: &Tensor, row: &[usize], values: &Tensor, accumulate: bool) -> Result<()> {
    let values = if values.is_contiguous() && values.offset() == 0 && !values.same_storage(data) {
        values.clone()
    } else {
        super::elementwise::copy_fresh(values)?
    };
    if accumulate && !matches!(data.dtype(), DType::F32 | DType::I32) {
        // No WGSL atomics for this dtype: the sort-based segmented sum over starts x row.
        let row_t = Tensor::from_vec(row.iter().map(|&r| r as i64).collect::<Vec<i64>>(), &[1, row.len()])?.to_device(crate::storage::Device::Gpu)?;
        let starts = starts.to_dtype(DType::I64)?.reshape(&[-1, 1])?;
        let offsets = starts.binary(&row_t, crate::ops::binary::BinaryOp::Add)?.reshape(&[-1])?;
        let n = offsets.numel();
        let values = values.with_layout(crate::layout::Layout::contiguous(&[n]));
        return super::segment::reduce_into(data, &offsets, &values, crate::ops::index::ScatterReduction::Sum, true);
    }
    run_offsets(if accumulate { OffsetKind::Accumulate } else { OffsetKind::Put }, data, starts, row, &values)?;
    data.storage().bump_version();
    Ok(())
}

pub fn offsets_sources() -> Vec<(String, String)> {
    let mut v = vec![];
    for dt in [DType::F32, DType::F16, DType::F64, DType::I32, DType::I64, DType::Bool] {
        v.push((format!("offsets gather {}", dt.name()), offsets_source(OffsetKind::Gather, dt)));
        v.push((format!("offsets put {}", dt.name()), offsets_source(OffsetKind::Put, dt)));
    }
    for dt in [DType::F32, DType::I32] {
        v.push((format!("offsets accumulate {}", dt.name()), offsets_source(OffsetKind::Accumulate, dt)));
    }
    v
}
