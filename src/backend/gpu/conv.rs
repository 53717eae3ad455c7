//! Window kernels for convolution and pooling (`shaders/conv.wgsl`): im2col, col2im and max
//! pooling over contiguous N*C planes (which may start anywhere in their buffer). Convolutions then run as GPU matmuls over the columns.
use super::{pipeline, queue, repr, transfer, wgsl_type};
use crate::dtype::DType;
use crate::error::Result;
use crate::ops::conv::Window;
use crate::tensor::Tensor;

const TEMPLATE: &str = include_str!("../../../shaders/conv.wgsl");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Im2Col,
    Col2Im,
    MaxPool,
}

const IM2COL: &str = "    let K = g.kh * g.kw;
    let L = g.oh * g.ow;
    let p = i / (K * L);
    let r = i % (K * L);
    let k = r / L;
    let l = r % L;
    let y = source(l / g.ow, k / g.kw, g.sh, g.ph, g.dh, g.H);
    let x = source(l % g.ow, k % g.kw, g.sw, g.pw, g.dw, g.W);
    var v = {{T}}(0);
    if (y >= 0 && x >= 0) {
        v = src[g.src0 + p * g.H * g.W + u32(y) * g.W + u32(x)];
    }
    out[i] = v;";

const COL2IM: &str = "    let K = g.kh * g.kw;
    let L = g.oh * g.ow;
    let p = i / (g.H * g.W);
    let y = i32((i % (g.H * g.W)) / g.W);
    let x = i32(i % g.W);
    var acc = {{T}}(0);
    for (var ki = 0u; ki < g.kh; ki++) {
        let ty = y + i32(g.ph) - i32(ki * g.dh);
        if (ty < 0 || ty % i32(g.sh) != 0 || u32(ty) / g.sh >= g.oh) {
            continue;
        }
        for (var kj = 0u; kj < g.kw; kj++) {
            let tx = x + i32(g.pw) - i32(kj * g.dw);
            if (tx < 0 || tx % i32(g.sw) != 0 || u32(tx) / g.sw >= g.ow) {
                continue;
            }
            acc += src[g.src0 + p * K * L + (ki * g.kw + kj) * L + (u32(ty) / g.sh) * g.ow + u32(tx) / g.sw];
        }
    }
    out[i] = acc;";

const MAXPOOL: &str = "    let L = g.oh * g.ow;
    let p = i / L;
    let l = i % L;
    var best = {{T}}(0);
    var at = 0u;
    var found = false;
    for (var ki = 0u; ki < g.kh; ki++) {
        let y = source(l / g.ow, ki, g.sh, g.ph, g.dh, g.H);
        if (y < 0) {
            continue;
        }
        for (var kj = 0u; kj < g.kw; kj++) {
            let x = source(l % g.ow, kj, g.sw, g.pw, g.dw, g.W);
            if (x < 0) {
                continue;
            }
            let q = u32(y) * g.W + u32(x);
            let v = src[g.src0 + p * g.H * g.W + q];
            // The first maximum wins, and every NaN replaces what came before (PyTorch's
            // `val > max || isnan(val)`: the last NaN's index).
            if (!found || v > best || !(v == v)) {
                best = v;
                at = q;
                found = true;
            }
        }
    }
    out[i] = best;
    indices[i] = i64(at);";

pub fn source(kind: Kind, dt: DType) -> String {
    let t = wgsl_type(dt);
    let (body, extra) = match kind {
        Kind::Im2Col => (IM2COL, ""),
        Kind::Col2Im => (COL2IM, ""),
        Kind::MaxPool => (MAXPOOL, "@group(0) @binding(3) var<storage, read_write> indices: array<i64>;"),
    };
    let body = body.replace("{{T}}", t);
    pipeline::specialise(TEMPLATE, &[("T", t), ("EXTRA_BINDING", extra), ("BODY", &body)])
}

fn run(kind: Kind, x: &Tensor, out: &Tensor, indices: Option<&Tensor>, planes: usize, size: [usize; 2], blocks: [usize; 2], win: &Window) -> Result<()> {
    let n = out.numel();
    if n == 0 {
        return Ok(());
    }
    let t = repr(x.dtype())?.wgsl;
    let p = pipeline::get(&format!("conv|{kind:?}|{t}"), || source(kind, x.dtype()))?;
    let mut meta = vec![n as u32, x.offset() as u32, planes as u32, size[0] as u32, size[1] as u32, blocks[0] as u32, blocks[1] as u32];
    for v in [win.kernel, win.stride, win.padding, win.dilation] {
        meta.extend(v.iter().map(|&s| s as u32));
    }
    // Now kh, kw, sh, sw, ph, pw, dh, dw: the order of the shader's Geometry.
    let buf = |t: &Tensor| t.storage().gpu_buffer().expect("gpu").raw().clone();
    let (bo, bx) = (buf(out), buf(x));
    let bi = indices.map(buf);
    let mut bindings = vec![queue::Binding { buffer: &bo }, queue::Binding { buffer: &bx }];
    if let Some(b) = &bi {
        bindings.push(queue::Binding { buffer: b });
    }
    queue::dispatch(&p, &meta, &bindings, (n as u64).div_ceil(256))
}

/// `x` (contiguous, `planes` planes of `size`) -> columns (planes, kh*kw, oh*ow).
pub fn im2col(x: &Tensor, planes: usize, size: [usize; 2], blocks: [usize; 2], win: &Window, shape: &[usize]) -> Result<Tensor> {
    let out = transfer::empty(shape, x.dtype())?;
    run(Kind::Im2Col, x, &out, None, planes, size, blocks, win)?;
    Ok(out)
}

/// Columns (contiguous) -> images of `size`, summing overlapping windows.
pub fn col2im(cols: &Tensor, planes: usize, size: [usize; 2], blocks: [usize; 2], win: &Window, shape: &[usize]) -> Result<Tensor> {
    let out = transfer::empty(shape, cols.dtype())?;
    run(Kind::Col2Im, cols, &out, None, planes, size, blocks, win)?;
    Ok(out)
}

/// Max pooling: (values, int64 flat per-plane indices), both of `shape`.
pub fn max_pool(x: &Tensor, planes: usize, size: [usize; 2], blocks: [usize; 2], win: &Window, shape: &[usize]) -> Result<(Tensor, Tensor)> {
    let vals = transfer::empty(shape, x.dtype())?;
    let idx = transfer::empty(shape, DType::I64)?;
    run(Kind::MaxPool, x, &vals, Some(&idx), planes, size, blocks, win)?;
    Ok((vals, idx))
}

pub fn sources() -> Vec<(String, String)> {
    let mut v = vec![];
    for kind in [Kind::Im2Col, Kind::Col2Im, Kind::MaxPool] {
        for dt in [DType::F32, DType::F64] {
            v.push((format!("conv {kind:?} {}", dt.name()), source(kind, dt)));
        }
    }
    v
}
