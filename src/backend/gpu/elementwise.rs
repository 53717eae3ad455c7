//! The elementwise kernel family (`shaders/elementwise.wgsl`): every unary, binary and ternary
//! op, casts and strided copies are one generated map `out[i] = expr(x0, x1, ...)`.
//!
//! Operands are read in place through their layouts (offset and strides travel in the
//! metadata), so transposed, sliced and broadcast (stride 0) views need no copy.
use super::{pipeline, queue, repr, transfer, wgsl_type};
use crate::dtype::DType;
use crate::error::Result;
use crate::tensor::Tensor;

const TEMPLATE: &str = include_str!("../../../shaders/elementwise.wgsl");
pub const WORKGROUP: u64 = 256;

/// How the kernel addresses one operand.
fn addressing(t: &Tensor) -> bool {
    t.is_contiguous()
}

/// Kernel source for an output type, per-input (type, contiguous) and expression.
pub fn source(out_t: &str, out_contiguous: bool, inputs: &[(&str, bool)], expr: &str) -> String {
    let mut bindings = String::new();
    let mut loads = String::new();
    // Operand blocks follow the shape: the output's first when it is strided.
    let ndim_words = "params[1]";
    let mut block = 0usize;
    let out_index = if out_contiguous {
        "i".to_string()
    } else {
        block += 1;
        format!("strided_index(i, 2u + {ndim_words})")
    };
    for (k, (t, contiguous)) in inputs.iter().enumerate() {
        bindings.push_str(&format!("@group(0) @binding({}) var<storage, read> in{k}: array<{t}>;\n", k + 2));
        let base = format!("(2u + {ndim_words} + {block}u * (1u + {ndim_words}))");
        block += 1;
        if *contiguous {
            loads.push_str(&format!("    let x{k} = in{k}[params[{base}] + i];\n"));
        } else {
            loads.push_str(&format!("    let x{k} = in{k}[strided_index(i, {base})];\n"));
        }
    }
    pipeline::specialise(
        TEMPLATE,
        &[("OUT_T", out_t), ("INPUT_BINDINGS", &bindings), ("LOADS", &loads), ("OUT_INDEX", &out_index), ("EXPR", expr)],
    )
}

/// The metadata words: n, ndim, shape, then (offset, strides) of the strided output (if any)
/// and of every input.
fn metadata(shape: &[usize], out: Option<&Tensor>, inputs: &[&Tensor]) -> Vec<u32> {
    let mut m = vec![crate::shape::numel(shape) as u32, shape.len() as u32];
    m.extend(shape.iter().map(|&s| s as u32));
    for t in out.into_iter().chain(inputs.iter().copied()) {
        m.push(t.offset() as u32);
        m.extend(t.strides().iter().map(|&s| s as u32));
    }
    m
}

fn run(out: &Tensor, out_contiguous: bool, inputs: &[&Tensor], expr: &str) -> Result<()> {
    let n = out.numel() as u64;
    if n == 0 {
        return Ok(());
    }
    let out_t = repr(out.dtype())?.wgsl;
    let mut specs = Vec::with_capacity(inputs.len());
    for t in inputs {
        specs.push((repr(t.dtype())?.wgsl, addressing(t)));
    }
    let key = format!("ew|{out_t}|{out_contiguous}|{specs:?}|{expr}");
    let p = pipeline::get(&key, || source(out_t, out_contiguous, &specs, expr))?;
    let meta = metadata(out.shape(), if out_contiguous { None } else { Some(out) }, inputs);
    let mut bindings = vec![queue::Binding { buffer: out.storage().gpu_buffer().expect("gpu").raw() }];
    for t in inputs {
        bindings.push(queue::Binding { buffer: t.storage().gpu_buffer().expect("gpu").raw() });
    }
    queue::dispatch(&p, &meta, &bindings, n.div_ceil(WORKGROUP))
}

/// A new contiguous tensor `out[i] = expr(x0, x1, ...)`; inputs already have `shape`
/// (broadcast by `expand`), and `x_k` is input k's value in its GPU type.
pub fn map(inputs: &[&Tensor], shape: &[usize], out_dtype: DType, expr: &str) -> Result<Tensor> {
    let out = transfer::empty(shape, out_dtype)?;
    run(&out, true, inputs, expr)?;
    Ok(out)
}

/// Writes `expr(x0, ...)` into the (possibly strided) view `out`. Inputs that share `out`'s
/// buffer are copied first: a buffer cannot be bound for reading and writing at once.
pub fn map_into(out: &Tensor, inputs: &[&Tensor], expr: &str) -> Result<()> {
    let fresh: Vec<Tensor> = inputs
        .iter()
        .map(|t| if t.same_storage(out) { copy_fresh(t) } else { Ok((*t).clone()) })
        .collect::<Result<_>>()?;
    let refs: Vec<&Tensor> = fresh.iter().collect();
    run(out, out.is_contiguous() && out.offset() == 0, &refs, expr)
}

/// A contiguous copy in fresh memory, same dtype.
pub fn copy_fresh(t: &Tensor) -> Result<Tensor> {
    map(&[t], t.shape(), t.dtype(), "x0")
}

/// A contiguous copy converted to `dtype`.
pub fn cast(t: &Tensor, dtype: DType) -> Result<Tensor> {
    map(&[t], t.shape(), dtype, &super::cast_expr(t.dtype(), dtype, "x0"))
}

/// `dst.copy_(src)` with `src` already expanded to `dst`'s shape.
pub fn copy_into(dst: &Tensor, src: &Tensor) -> Result<()> {
    map_into(dst, &[src], &super::cast_expr(src.dtype(), dst.dtype(), "x0"))
}

/// Every (dtype pair) cast specialisation, for shader validation.
pub fn cast_sources() -> Vec<(String, String)> {
    use crate::dtype::ALL_DTYPES;
    let mut v = vec![];
    for &a in ALL_DTYPES.iter().filter(|d| **d != DType::BF16) {
        for &b in ALL_DTYPES.iter().filter(|d| **d != DType::BF16) {
            let src = source(wgsl_type(b), false, &[(wgsl_type(a), false)], &super::cast_expr(a, b, "x0"));
            v.push((format!("cast {} -> {}", a.name(), b.name()), src));
        }
    }
    v
}
