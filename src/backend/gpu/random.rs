//! Random draws on the GPU (`shaders/random.wgsl`): the CPU's Philox stream, element for
//! element. The generator's offset advances exactly as for a CPU draw of the same size.
use super::{pipeline, queue, repr, transfer, wgsl_type};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::random::Stream;
use crate::tensor::Tensor;

const TEMPLATE: &str = include_str!("../../../shaders/random.wgsl");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dist {
    /// lo + (hi - lo) * u, one word per element.
    Uniform,
    /// Box-Muller pairs: elements 2k, 2k+1 read words 2k, 2k+1; lo = mean, hi = std.
    Normal,
    /// 1 when u < p (p = lo), one word per element.
    Bernoulli,
}

impl Dist {
    /// Words of the stream `n` elements use: as the CPU draws them (float64 takes two words per
    /// uniform, so a normal pair takes four).
    pub fn words(self, n: usize, dtype: DType) -> u128 {
        let per_value = if dtype == DType::F64 { 2 } else { 1 };
        match self {
            Dist::Normal => n.div_ceil(2) as u128 * 2 * per_value,
            Dist::Uniform => n as u128 * per_value,
            Dist::Bernoulli => n as u128,
        }
    }
}

/// float64 helpers: the CPU's 53-bit uniform from two words, and lo/hi rebuilt exactly from
/// their bit patterns (metadata words 10..14), since the f32 copies (words 8, 9) would round
/// finite values; infinities and NaN come from those copies.
const F64_HELPERS: &str = "
fn u53(a: u32, b: u32) -> f64 {
    return f64(a) * (1.0 / 4294967296.0) + f64(b >> 11u) * (1.0 / 9007199254740992.0);
}
fn f64_from_words(hi: u32, lo: u32, f32_bits: u32) -> f64 {
    let e = (hi >> 20u) & 0x7ffu;
    if (e == 0x7ffu) {
        // Infinity or NaN: the float32 copy holds the same value.
        return f64(bitcast<f32>(f32_bits));
    }
    let m = f64((hi & 0xfffffu) | select(0x100000u, 0u, e == 0u)) * 4294967296.0 + f64(lo);
    let v = ldexp(m, i32(max(e, 1u)) - 1075);
    return select(v, -v, (hi >> 31u) == 1u);
}";

pub fn source(dist: Dist, dt: DType) -> String {
    let t = wgsl_type(dt);
    let unit = if dt == DType::F16 { "u11" } else { "u24" };
    let body = match (dist, dt) {
        (Dist::Uniform, DType::F64) => "    let lo64 = f64_from_words(params[10], params[11], params[8]);
    let hi64 = f64_from_words(params[12], params[13], params[9]);
    out[i] = lo64 + (hi64 - lo64) * u53(word(2u * i), word(2u * i + 1u));"
            .to_string(),
        (Dist::Normal, DType::F64) => "    let lo64 = f64_from_words(params[10], params[11], params[8]);
    let hi64 = f64_from_words(params[12], params[13], params[9]);
    let pair = i / 2u;
    let u1 = u53(word(pair * 4u), word(pair * 4u + 1u));
    let u2 = u53(word(pair * 4u + 2u), word(pair * 4u + 3u));
    let r = sqrt(-2.0 * log_f64(1.0 - u1));
    let t = 6.283185307179586 * u2;
    let z = select(r * sin_f64(t), r * cos_f64(t), i % 2u == 0u);
    out[i] = lo64 + hi64 * z;"
            .to_string(),
        (Dist::Uniform, _) => format!("    out[i] = {t}(lo + (hi - lo) * {unit}(word(i)));"),
        (Dist::Bernoulli, _) => format!("    out[i] = {t}(select(0.0, 1.0, u24(word(i)) < lo));"),
        (Dist::Normal, _) => format!(
            "    let pair = i / 2u;
    let u1 = u24(word(pair * 2u));
    let u2 = u24(word(pair * 2u + 1u));
    let r = sqrt(-2.0 * log(1.0 - u1));
    let t = 6.2831853071795864 * u2;
    let z = select(r * sin(t), r * cos(t), i % 2u == 0u);
    out[i] = {t}(lo + hi * z);"
        ),
    };
    let helpers = if dt == DType::F64 && dist != Dist::Bernoulli { F64_HELPERS } else { "" };
    pipeline::specialise(TEMPLATE, &[("OUT_T", t), ("BODY", &body), ("HELPERS", helpers)])
}

/// `n` samples of `dist` in a new GPU tensor of `shape`, from `stream`.
pub fn draw(dist: Dist, shape: &[usize], dtype: DType, lo: f64, hi: f64, stream: &Stream) -> Result<Tensor> {
    if !matches!(dtype, DType::F32 | DType::F16 | DType::F64) && dist != Dist::Bernoulli {
        return Err(Error::Type(format!(
            "random {} draws of {} are not supported on the GPU (float32, float16 and float64 are)",
            if dist == Dist::Normal { "normal" } else { "uniform" },
            dtype.name()
        )));
    }
    let out = transfer::empty(shape, dtype)?;
    let n = out.numel();
    if n == 0 {
        return Ok(out);
    }
    let t = repr(dtype)?.wgsl;
    let p = pipeline::get(&format!("random|{dist:?}|{t}"), || source(dist, dtype))?;
    let key = stream.key();
    let base = stream.base();
    let meta = [
        n as u32,
        0,
        key[0],
        key[1],
        base as u32,
        (base >> 32) as u32,
        (base >> 64) as u32,
        (base >> 96) as u32,
        (lo as f32).to_bits(),
        (hi as f32).to_bits(),
        (lo.to_bits() >> 32) as u32,
        lo.to_bits() as u32,
        (hi.to_bits() >> 32) as u32,
        hi.to_bits() as u32,
    ];
    let bo = out.storage().gpu_buffer().expect("gpu").raw().clone();
    queue::dispatch(&p, &meta, &[queue::Binding { buffer: &bo }], (n as u64).div_ceil(256))?;
    Ok(out)
}

pub fn sources() -> Vec<(String, String)> {
    let mut v = vec![];
    for d in [Dist::Uniform, Dist::Normal, Dist::Bernoulli] {
        for dt in [DType::F32, DType::F16, DType::Bool, DType::I64, DType::F64] {
            if d == Dist::Bernoulli || matches!(dt, DType::F32 | DType::F16 | DType::F64) {
                v.push((format!("random {d:?} {}", dt.name()), source(d, dt)));
            }
        }
    }
    v
}
