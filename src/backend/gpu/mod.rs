//! The wgpu backend: WGSL compute kernels (in `shaders/`) over GPU buffers.
//!
//! * `context`: adapter choice, device, features, limits, error capture.
//! * `alloc`: the caching allocator.
//! * `queue`: the batched command stream, cached bind groups, uploads and readbacks.
//! * `pipeline`: shader specialisation, bind group layouts and the pipeline cache.
//! * kernel families: `elementwise`, `reduce`, `matmul`, `index`, `conv`, `scan`, `sort`,
//!   `search`, `segment`, `random`, `optim`.
//!
//! How dtypes live on the GPU (`repr`): WGSL has 32-bit scalars plus optional f16, f64 and i64,
//! so bool and uint8 are widened to u32, int8/int16 to i32; bfloat16 has no GPU type.
pub mod alloc;
pub mod context;
pub mod conv;
pub mod elementwise;
pub mod index;
pub mod pipeline;
pub mod queue;
pub mod reduce;
pub mod scan;
pub mod search;
pub mod segment;
pub mod sort;
pub mod matmul;
pub mod optim;
pub mod random;
pub mod transfer;

pub use alloc::GpuBuffer;

use crate::dtype::DType;
use crate::error::{Error, Result};

/// How a dtype is stored and computed on the GPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr {
    /// The WGSL scalar type of one element in a buffer.
    pub wgsl: &'static str,
    /// Bytes per element in a buffer.
    pub bytes: usize,
}

/// The representation of `dt`, or a TypeError naming the missing adapter feature.
pub fn repr(dt: DType) -> Result<Repr> {
    let needs = |feature: wgpu::Features, name: &str| -> Result<()> {
        let ctx = context::get()?;
        if ctx.features.contains(feature) {
            Ok(())
        } else {
            Err(Error::Type(format!(
                "{} tensors are not supported on this GPU: the adapter '{}' lacks the '{name}' feature",
                dt.name(),
                ctx.info.name
            )))
        }
    };
    Ok(match dt {
        DType::Bool | DType::U8 => Repr { wgsl: "u32", bytes: 4 },
        DType::I8 | DType::I16 | DType::I32 => Repr { wgsl: "i32", bytes: 4 },
        DType::F32 => Repr { wgsl: "f32", bytes: 4 },
        DType::F16 => {
            needs(wgpu::Features::SHADER_F16, "shader-f16")?;
            Repr { wgsl: "f16", bytes: 2 }
        }
        DType::F64 => {
            needs(wgpu::Features::SHADER_F64, "shader-f64")?;
            Repr { wgsl: "f64", bytes: 8 }
        }
        DType::I64 => {
            needs(wgpu::Features::SHADER_INT64, "shader-int64")?;
            Repr { wgsl: "i64", bytes: 8 }
        }
        DType::BF16 => {
            return Err(Error::Type("bfloat16 tensors are not supported on the GPU: WGSL has no bfloat16 type".into()))
        }
        // Complex tensors are computed through their real views (`ops/complex/`).
        DType::C64 | DType::C128 => return Err(Error::complex_unsupported(dt)),
    })
}

/// The WGSL type of `dt` without checking features (for generating every specialisation).
pub fn wgsl_type(dt: DType) -> &'static str {
    match dt {
        DType::Bool | DType::U8 => "u32",
        DType::I8 | DType::I16 | DType::I32 => "i32",
        DType::F16 => "f16",
        DType::F64 => "f64",
        DType::I64 => "i64",
        DType::F32 | DType::BF16 => "f32",
        // No kernel is generated for complex dtypes; their parts' type, for completeness.
        DType::C64 => "f32",
        DType::C128 => "f64",
    }
}

/// Makes an arbitrary value of `dt`'s WGSL type a valid `dt` value: bools become 0/1, narrow
/// integers wrap as they do on the CPU.
pub fn normalise(dt: DType, expr: &str) -> String {
    match dt {
        DType::Bool => format!("u32(({expr}) != 0u)"),
        DType::U8 => format!("(({expr}) & 255u)"),
        DType::I8 => format!("((({expr}) << 24u) >> 24u)"),
        DType::I16 => format!("((({expr}) << 16u) >> 16u)"),
        _ => expr.to_string(),
    }
}

/// A WGSL expression converting `expr` of dtype `from` to dtype `to` (both in GPU repr).
pub fn cast_expr(from: DType, to: DType, expr: &str) -> String {
    if from == to {
        return expr.to_string();
    }
    let t = wgsl_type(to);
    if to == DType::Bool {
        // `!(x == 0)`, not `x != 0`: float `!=` reaches Vulkan ordered, false for NaN.
        let zero = zero_literal(from);
        return format!("u32(!(({expr}) == {zero}))");
    }
    if from.is_float() && !to.is_float() {
        return normalise(to, &float_to_int(from, to, expr));
    }
    normalise(to, &format!("{t}({expr})"))
}

/// Float -> integer by the CPU's rule (`truncate_through_i32`/`_i64` in dtype.rs): truncate
/// through int32, or int64 for int64 and uint8; NaN and out-of-range values give that type's
/// minimum. WGSL's own conversion clamps, and leaves NaN undefined. The result still needs
/// `normalise` for the narrow types.
fn float_to_int(from: DType, to: DType, expr: &str) -> String {
    // float16 holds no value beyond int32's range: compare in float32.
    let (x, lit) = match from {
        DType::F64 => (format!("({expr})"), "f64"),
        DType::F16 => (format!("f32({expr})"), "f32"),
        _ => (format!("({expr})"), "f32"),
    };
    let in_range = |bound: &str| format!("({x} >= {lit}(-{bound}) && {x} < {lit}({bound}))");
    match to {
        DType::I64 => format!(
            "select(i64(-9223372036854775807) - i64(1), i64({x}), {})",
            in_range("9223372036854775808.0")
        ),
        // Through int64 without needing int64: the low byte of trunc(x). Exact in float
        // arithmetic, and 0 for float32/float16 inputs beyond int32 (multiples of 256 there).
        DType::U8 if from == DType::F64 => format!(
            "u32(select({lit}(0.0), trunc({x}) - {lit}(256.0) * floor(trunc({x}) / {lit}(256.0)), {}))",
            in_range("9223372036854775808.0")
        ),
        _ => {
            let through_i32 = format!("select(bitcast<i32>(0x80000000u), i32({x}), {})", in_range("2147483648.0"));
            if wgsl_type(to) == "u32" { format!("bitcast<u32>({through_i32})") } else { through_i32 }
        }
    }
}

pub fn zero_literal(dt: DType) -> &'static str {
    match wgsl_type(dt) {
        "u32" => "0u",
        "i32" => "0i",
        "f32" => "0.0f",
        "f16" => "0.0h",
        "f64" => "f64(0.0)",
        "i64" => "i64(0)",
        _ => unreachable!(),
    }
}

/// Whether the GPU can be used (a usable adapter exists and, if it is a software one,
/// FERROTORCH_ALLOW_SOFTWARE_GPU allows it).
pub fn is_available() -> bool {
    context::is_available()
}

/// Replaces whole-identifier occurrences of each name in `expr` (op expressions are written
/// over `x`, or `a` and `b`; kernels name their operands `x0`, `x1`, ...).
pub fn substitute(expr: &str, names: &[(&str, &str)]) -> String {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = String::with_capacity(expr.len() * 2);
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        match names.iter().find(|(n, _)| *n == word.as_str()) {
            Some((_, v)) => out.push_str(v),
            None => out.push_str(word),
        }
        word.clear();
    };
    let mut prev_digit_start = false;
    for ch in expr.chars() {
        if ident(ch) {
            if word.is_empty() {
                prev_digit_start = ch.is_ascii_digit();
            }
            word.push(ch);
        } else {
            if prev_digit_start {
                out.push_str(&word);
                word.clear();
            } else {
                flush(&mut word, &mut out);
            }
            out.push(ch);
        }
    }
    if prev_digit_start { out.push_str(&word) } else { flush(&mut word, &mut out) }
    out
}

/// Every elementwise op specialisation (op x dtype) the host can generate.
pub fn elementwise_op_sources() -> Vec<(String, String)> {
    use crate::ops::{binary, unary};
    let dtypes = crate::dtype::REAL_DTYPES.into_iter().filter(|d| *d != DType::BF16);
    let mut v = vec![];
    for dt in dtypes {
        let t = wgsl_type(dt);
        for op in unary::ALL {
            let out = unary::gpu_out_dtype(op, dt);
            if let Ok(e) = unary::gpu_expr(op, dt, out) {
                v.push((format!("unary {} {}", op.name(), dt.name()), elementwise::source(wgsl_type(out), true, &[(t, elementwise::Addr::Strided)], &e)));
            }
        }
        for op in binary::ALL {
            let out = if op.is_comparison() { DType::Bool } else { dt };
            if let Ok(e) = binary::gpu_expr(op, dt, out) {
                v.push((format!("binary {} {}", op.name(), dt.name()), elementwise::source(wgsl_type(out), true, &[(t, elementwise::Addr::Strided), (t, elementwise::Addr::Contiguous)], &e)));
                if out == dt {
                    v.push((format!("binary {} {} in place", op.name(), dt.name()), elementwise::source(wgsl_type(out), false, &[(t, elementwise::Addr::Output), (t, elementwise::Addr::Strided)], &e)));
                }
                if !matches!(dt, DType::F64 | DType::I64) {
                    v.push((format!("binary {} {} with a constant", op.name(), dt.name()), elementwise::source(wgsl_type(out), true, &[(t, elementwise::Addr::Contiguous), (t, elementwise::Addr::Constant)], &e)));
                }
            }
        }
    }
    v
}

/// Every kernel specialisation (without prelude): what `cargo test` validates with naga and
/// the wgpu-py test compiles through another host.
pub fn all_kernel_sources() -> Vec<(String, String)> {
    let mut v = elementwise_op_sources();
    v.extend(elementwise::cast_sources());
    v.extend(reduce::sources());
    v.extend(matmul::sources());
    v.extend(random::sources());
    v.extend(index::sources());
    v.extend(index::offsets_sources());
    v.extend(conv::sources());
    v.extend(search::sources());
    v.extend(scan::sources());
    v.extend(sort::sources());
    v.extend(segment::sources());
    v.extend(optim::sources());
    v
}

#[cfg(test)]
mod tests {
    /// naga (wgpu's shader compiler) parses and validates every specialisation.
    #[test]
    fn every_shader_specialisation_validates() {
        let all = super::all_kernel_sources();
        assert!(all.len() > 500, "{}", all.len());
        let mut failures = vec![];
        for (name, kernel) in &all {
            let src = super::pipeline::module_source(kernel);
            if let Err(e) = super::pipeline::validate(&src) {
                failures.push(format!("{name}:\n{e}"));
            }
        }
        assert!(failures.is_empty(), "{} of {} failed:\n{}", failures.len(), all.len(), failures[..failures.len().min(5)].join("\n"));
    }

    #[test]
    fn substitute_replaces_whole_identifiers() {
        assert_eq!(super::substitute("exp(x) + x * 0x1 + 1e5", &[("x", "f32(x0)")]), "exp(f32(x0)) + f32(x0) * 0x1 + 1e5");
    }
}
