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
    /// Words of the stream one element uses.
    pub fn words(self, n: usize) -> u128 {
        match self {
            Dist::Normal => n.div_ceil(2) as u128 * 2,
            _ => n as u128,
        }
    }
}

pub fn source(dist: Dist, dt: DType) -> String {
    let t = wgsl_type(dt);
    let unit = if dt == DType::F16 { "u11" } else { "u24" };
    let body = match dist {
        Dist::Uniform => format!("    out[i] = {t}(lo + (hi - lo) * {unit}(word(i)));"),
        Dist::Bernoulli => format!("    out[i] = {t}(select(0.0, 1.0, u24(word(i)) < lo));"),
        Dist::Normal => format!(
            "    let pair = i / 2u;
    let u1 = u24(word(pair * 2u));
    let u2 = u24(word(pair * 2u + 1u));
    let r = sqrt(-2.0 * log(1.0 - u1));
    let t = 6.2831853071795864 * u2;
    let z = select(r * sin(t), r * cos(t), i % 2u == 0u);
    out[i] = {t}(lo + hi * z);"
        ),
    };
    pipeline::specialise(TEMPLATE, &[("OUT_T", t), ("BODY", &body)])
}

/// `n` samples of `dist` in a new GPU tensor of `shape`, from `stream`.
pub fn draw(dist: Dist, shape: &[usize], dtype: DType, lo: f64, hi: f64, stream: &Stream) -> Result<Tensor> {
    if !matches!(dtype, DType::F32 | DType::F16) && dist != Dist::Bernoulli {
        return Err(Error::Type(format!(
            "random {} draws of {} are not supported on the GPU (float32 and float16 are)",
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
    ];
    let bo = out.storage().gpu_buffer().expect("gpu").raw().clone();
    queue::dispatch(&p, &meta, &[queue::Binding { buffer: &bo }], (n as u64).div_ceil(256))?;
    Ok(out)
}

pub fn sources() -> Vec<(String, String)> {
    let mut v = vec![];
    for d in [Dist::Uniform, Dist::Normal, Dist::Bernoulli] {
        for dt in [DType::F32, DType::F16, DType::Bool, DType::I64, DType::F64] {
            if d == Dist::Bernoulli || matches!(dt, DType::F32 | DType::F16) {
                v.push((format!("random {d:?} {}", dt.name()), source(d, dt)));
            }
        }
    }
    v
}
