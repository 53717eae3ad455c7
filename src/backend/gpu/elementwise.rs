//! The elementwise kernel family (`shaders/elementwise.wgsl`): every unary, binary and ternary
//! op, casts and strided copies are one generated map `out[i] = expr(x0, x1, ...)`.
//!
//! Operands are read in place through their layouts (offset and strides travel in the
//! metadata), so transposed, sliced and broadcast (stride 0) views need no copy.
use super::{pipeline, queue, repr, transfer, wgsl_type};
use crate::dtype::{DType, Element, Scalar};
use crate::error::Result;
use crate::tensor::Tensor;
use crate::with_dtype;

const TEMPLATE: &str = include_str!("../../../shaders/elementwise.wgsl");
pub const WORKGROUP: u64 = 256;

/// One operand of a map: a tensor read in place, or a number that travels in the metadata
/// (so `x * 0.5` needs no upload and no extra copy in the command stream).
#[derive(Clone, Copy)]
pub enum Input<'a> {
    Tensor(&'a Tensor),
    /// A value of `dtype` as the 32 bits the kernel reads (float16 as float32 bits).
    Constant(DType, u32),
    /// The output's own element (in-place ops: `x.add_(y)` reads and writes `x` in one pass;
    /// a buffer cannot be bound for reading and writing at once).
    Output,
}

impl<'a> Input<'a> {
    /// `s` converted to `dt` as PyTorch converts a scalar operand, when `dt` fits one
    /// metadata word; float64 and int64 scalars are uploaded as tensors instead.
    pub fn constant(s: Scalar, dt: DType) -> Option<Input<'a>> {
        let bits = match dt {
            DType::F32 => f32::from_scalar(s).to_bits(),
            DType::F16 => half::f16::from_scalar(s).to_f32().to_bits(),
            DType::I8 | DType::I16 | DType::I32 | DType::U8 | DType::Bool => with_dtype!(dt, T, T::from_scalar(s).to_i64(), complex => return None) as i32 as u32,
            _ => return None,
        };
        Some(Input::Constant(dt, bits))
    }
}

/// How the kernel reads one operand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addr {
    /// `offset + i`
    Contiguous,
    /// Through the operand's offset and strides (see strided_index in the prelude).
    Strided,
    /// A value in the operand's metadata block.
    Constant,
    /// The output's element.
    Output,
}

fn addressing(input: &Input) -> Addr {
    match input {
        Input::Tensor(t) if t.is_contiguous() => Addr::Contiguous,
        Input::Tensor(_) => Addr::Strided,
        Input::Constant(..) => Addr::Constant,
        Input::Output => Addr::Output,
    }
}

/// Kernel source for an output type, per-input (type, addressing) and expression.
pub fn source(out_t: &str, out_contiguous: bool, inputs: &[(&str, Addr)], expr: &str) -> String {
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
    // Buffers bind densely after the output (constants have none).
    let mut binding = 2;
    for (k, (t, addr)) in inputs.iter().enumerate() {
        let base = format!("(2u + {ndim_words} + {block}u * (1u + {ndim_words}))");
        block += 1;
        if matches!(addr, Addr::Contiguous | Addr::Strided) {
            bindings.push_str(&format!("@group(0) @binding({binding}) var<storage, read> in{k}: array<{t}>;\n"));
            binding += 1;
        }
        let load = match (addr, *t) {
            (Addr::Contiguous, _) => format!("in{k}[params[{base}] + i]"),
            (Addr::Strided, _) => format!("in{k}[strided_index(i, {base})]"),
            (Addr::Constant, "f16") => format!("f16(bitcast<f32>(params[{base}]))"),
            (Addr::Constant, t) => format!("bitcast<{t}>(params[{base}])"),
            (Addr::Output, _) => format!("out[{out_index}]"),
        };
        loads.push_str(&format!("    let x{k} = {load};\n"));
    }
    pipeline::specialise(
        TEMPLATE,
        &[("OUT_T", out_t), ("INPUT_BINDINGS", &bindings), ("LOADS", &loads), ("OUT_INDEX", &out_index), ("EXPR", expr)],
    )
}

/// The metadata words: n, ndim, shape, then one block of (1 + ndim) words for the strided
/// output (if any) and for every input: offset and strides, or a constant's bits.
fn metadata(shape: &[usize], out: Option<&Tensor>, inputs: &[Input]) -> Vec<u32> {
    let nd = shape.len();
    let mut m = vec![crate::shape::numel(shape) as u32, nd as u32];
    m.extend(shape.iter().map(|&s| s as u32));
    for input in out.map(Input::Tensor).iter().chain(inputs) {
        match input {
            Input::Tensor(t) => {
                m.push(t.offset() as u32);
                m.extend(t.strides().iter().map(|&s| s as u32));
            }
            Input::Constant(_, bits) => {
                m.push(*bits);
                m.resize(m.len() + nd, 0);
            }
            Input::Output => m.resize(m.len() + 1 + nd, 0),
        }
    }
    m
}

fn run(out: &Tensor, out_contiguous: bool, inputs: &[Input], expr: &str) -> Result<()> {
    let n = out.numel() as u64;
    if n == 0 {
        return Ok(());
    }
    let out_t = repr(out.dtype())?.wgsl;
    let mut specs = Vec::with_capacity(inputs.len());
    for input in inputs {
        let dt = match input {
            Input::Tensor(t) => t.dtype(),
            Input::Constant(dt, _) => *dt,
            Input::Output => out.dtype(),
        };
        specs.push((repr(dt)?.wgsl, addressing(input)));
    }
    let key = format!("ew|{out_t}|{out_contiguous}|{specs:?}|{expr}");
    let p = pipeline::get(&key, || source(out_t, out_contiguous, &specs, expr))?;
    let meta = metadata(out.shape(), if out_contiguous { None } else { Some(out) }, inputs);
    let mut bindings = vec![queue::Binding { buffer: out.storage().gpu_buffer().expect("gpu").raw() }];
    for input in inputs {
        if let Input::Tensor(t) = input {
            bindings.push(queue::Binding { buffer: t.storage().gpu_buffer().expect("gpu").raw() });
        }
    }
    queue::dispatch(&p, &meta, &bindings, n.div_ceil(WORKGROUP))
}

/// `map` with operands that may be constants.
pub fn map_inputs(inputs: &[Input], shape: &[usize], out_dtype: DType, expr: &str) -> Result<Tensor> {
    let out = transfer::empty(shape, out_dtype)?;
    run(&out, true, inputs, expr)?;
    Ok(out)
}

/// A new contiguous tensor `out[i] = expr(x0, x1, ...)`; inputs already have `shape`
/// (broadcast by `expand`), and `x_k` is input k's value in its GPU type.
pub fn map(inputs: &[&Tensor], shape: &[usize], out_dtype: DType, expr: &str) -> Result<Tensor> {
    let inputs: Vec<Input> = inputs.iter().map(|t| Input::Tensor(t)).collect();
    map_inputs(&inputs, shape, out_dtype, expr)
}

/// Writes `expr(x0, ...)` into the (possibly strided) view `out`. Inputs that share `out`'s
/// buffer are copied first: a buffer cannot be bound for reading and writing at once.
pub fn map_into(out: &Tensor, inputs: &[&Tensor], expr: &str) -> Result<()> {
    let inputs: Vec<Input> = inputs.iter().map(|t| Input::Tensor(t)).collect();
    update(out, &inputs, expr)
}

/// `out = expr(x0, ...)` in place, where inputs may read `out` itself (`Input::Output`).
/// Tensor inputs that share `out`'s buffer are copied first.
pub fn update(out: &Tensor, inputs: &[Input], expr: &str) -> Result<()> {
    let fresh: Vec<Option<Tensor>> = inputs
        .iter()
        .map(|input| match input {
            Input::Tensor(t) if t.same_storage(out) => copy_fresh(t).map(Some),
            _ => Ok(None),
        })
        .collect::<Result<_>>()?;
    let inputs: Vec<Input> = inputs.iter().zip(&fresh).map(|(input, f)| f.as_ref().map_or(*input, Input::Tensor)).collect();
    run(out, out.is_contiguous() && out.offset() == 0, &inputs, expr)
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
    use crate::dtype::REAL_DTYPES;
    let mut v = vec![];
    for &a in REAL_DTYPES.iter().filter(|d| **d != DType::BF16) {
        for &b in REAL_DTYPES.iter().filter(|d| **d != DType::BF16) {
            let src = source(wgsl_type(b), false, &[(wgsl_type(a), Addr::Strided)], &super::cast_expr(a, b, "x0"));
            v.push((format!("cast {} -> {}", a.name(), b.name()), src));
        }
    }
    v
}
