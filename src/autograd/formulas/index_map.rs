//! Gradients of ops that only move elements around (views like `select`/`narrow`/`diagonal`/
//! `unfold`/`as_strided`, and copies like `flip`/`repeat`): every output element is one input
//! element. Running the op's own forward on a tensor of flat input positions (`0..numel`)
//! tells which one, whatever the op is; the backward scatter-adds the output gradient back to
//! those positions (summing where several outputs read one input, as `unfold` and `expand` do).
//!
//! The scatter and the gather are recorded as each other's backward, so gradients of any
//! order work.
//!
//! Views that pick disjoint windows of their input by its logical indices (`narrow`, `select`,
//! `diagonal`, `unbind`, `split`) skip the index map: `record_windows` applies the same view op
//! to zeros of the input's shape and copies each gradient into its window, as PyTorch's
//! `select_backward` does. That costs one zero fill instead of building and scattering through
//! a map of the whole input for every piece (a Python loop over slices stays cheap).
use super::super::node::begin;
use crate::error::Result;
use crate::tensor::Tensor;
use std::sync::Arc;

/// For each output element (row-major), the flat index of the input element it reads, or
/// `NO_INPUT` when it reads storage outside the input (possible for `as_strided` only).
pub(crate) type IndexMap = Arc<Vec<usize>>;
pub(crate) const NO_INPUT: usize = usize::MAX;

/// Applies `op` to the flat positions of an input of `shape`; one map per output.
pub(crate) fn index_maps(shape: &[usize], op: &dyn Fn(&Tensor) -> Result<Vec<Tensor>>) -> Result<Vec<IndexMap>> {
    let n = crate::shape::numel(shape);
    let positions = Tensor::from_vec((0..n as i64).collect::<Vec<_>>(), shape)?;
    Ok(op(&positions)?.iter().map(|t| Arc::new(t.to_vec::<i64>().into_iter().map(|i| i as usize).collect())).collect())
}

/// The map of a view that addresses `x`'s storage rather than its logical indices
/// (`as_strided`): `op` runs on a storage-sized tensor holding, at each of `x`'s elements, that
/// element's flat logical index (and -1 elsewhere), viewed with `x`'s own layout.
pub(crate) fn storage_index_map(x: &Tensor, op: &dyn Fn(&Tensor) -> Result<Tensor>) -> Result<IndexMap> {
    let extent = x.storage().nbytes() / x.dtype().size();
    let slots = Tensor::full(&[extent], crate::dtype::Scalar::Int(-1), crate::dtype::DType::I64)?;
    let logical = Tensor::from_vec((0..x.numel() as i64).collect::<Vec<_>>(), x.shape())?;
    let as_x = slots.with_layout(x.layout().clone());
    as_x.copy_(&logical)?;
    let out = op(&as_x)?;
    Ok(Arc::new(out.to_vec::<i64>().into_iter().map(|i| if i < 0 { NO_INPUT } else { i as usize }).collect()))
}

/// Names of the two directions, shown as `grad_fn` names.
#[derive(Clone, Copy)]
pub(crate) struct Names {
    pub gather: &'static str,
    pub scatter: &'static str,
}

/// Output of shape `out_shape` with `out[i] = t.flat[map[i]]`.
pub(crate) fn gather(t: &Tensor, map: &IndexMap, out_shape: &[usize], names: Names) -> Result<Tensor> {
    let fwd = || -> Result<Tensor> {
        if t.device().is_gpu() {
            let mut flat = t.reshape_forward(&[-1])?;
            if has_holes(map) {
                // Outputs that read no input element read an extra zero at the end.
                flat = crate::ops::shape_ops::cat_forward(&[flat, Tensor::zeros_on(&[1], t.dtype(), t.device())?], 0)?;
            }
            return flat.index_select_forward(0, &map_tensor(map, t.numel(), t.device())?)?.reshape_forward(&dims(out_shape));
        }
        let v = t.to_vec::<f64>();
        let out: Vec<f64> = map.iter().map(|&p| if p == NO_INPUT { 0.0 } else { v[p] }).collect();
        Tensor::from_vec(out, out_shape)?.to_dtype(t.dtype())
    };
    let Some(rec) = begin(names.gather, &[t]) else { return fwd() };
    let out = fwd()?;
    let (map, in_shape) = (map.clone(), t.shape().to_vec());
    rec.finish(out, move |ctx| Ok(vec![Some(scatter(ctx.grad(0), &map, &in_shape, names)?)]))
}

/// Zeros of `in_shape` with `g[i]` added at `map[i]` (the adjoint of `gather`).
pub(crate) fn scatter(g: &Tensor, map: &IndexMap, in_shape: &[usize], names: Names) -> Result<Tensor> {
    let fwd = || -> Result<Tensor> {
        if g.device().is_gpu() {
            let n = crate::shape::numel(in_shape);
            // Gradients of outputs that read no input element land in an extra slot, dropped after.
            let slots = n + usize::from(has_holes(map));
            let out = Tensor::zeros_on(&[slots], g.dtype(), g.device())?;
            let flat = g.reshape_forward(&[-1])?;
            let idx = map_tensor(map, n, g.device())?;
            out.scatter_inplace(0, &idx, crate::ops::index::Source::Tensor(&flat), crate::ops::index::Reduce::Add)?;
            return out.narrow_forward(0, 0, n as i64)?.reshape_forward(&dims(in_shape));
        }
        let mut buf = vec![0f64; crate::shape::numel(in_shape)];
        for (v, &p) in g.to_vec::<f64>().into_iter().zip(map.iter()) {
            if p != NO_INPUT {
                buf[p] += v;
            }
        }
        Tensor::from_vec(buf, in_shape)?.to_dtype(g.dtype())
    };
    let Some(rec) = begin(names.scatter, &[g]) else { return fwd() };
    let out = fwd()?;
    let (map, out_shape) = (map.clone(), g.shape().to_vec());
    rec.finish(out, move |ctx| Ok(vec![Some(gather(ctx.grad(0), &map, &out_shape, names)?)]))
}

/// A view op that picks disjoint windows of a tensor by its logical indices, storable in a
/// backward closure.
pub(crate) trait WindowOp: Fn(&Tensor) -> Result<Vec<Tensor>> + Clone + Send + Sync + 'static {}
impl<F: Fn(&Tensor) -> Result<Vec<Tensor>> + Clone + Send + Sync + 'static> WindowOp for F {}

/// Records the views `op(x)` (node `names.gather`); their backward is `scatter_windows`.
pub(crate) fn record_windows(x: &Tensor, names: Names, op: impl WindowOp) -> Result<Vec<Tensor>> {
    let Some(rec) = begin(names.gather, &[x]) else {
        return Ok(op(x)?.into_iter().map(|o| x.mark_untracked_view(o)).collect());
    };
    let outs = op(x)?;
    let count = outs.len();
    let (in_shape, dtype, device) = (x.shape().to_vec(), x.dtype(), x.device());
    rec.view_of(x).finish_many(outs, move |ctx| {
        let grads: Vec<&Tensor> = (0..count).map(|i| ctx.grad(i)).collect();
        Ok(vec![Some(scatter_windows(&grads, &in_shape, dtype, device, names, op.clone())?)])
    })
}

/// One-output form of [`record_windows`].
pub(crate) fn record_window(x: &Tensor, names: Names, op: impl Fn(&Tensor) -> Result<Tensor> + Clone + Send + Sync + 'static) -> Result<Tensor> {
    Ok(record_windows(x, names, move |t: &Tensor| Ok(vec![op(t)?]))?.pop().expect("one output"))
}

/// Zeros of `in_shape` with `grads[i]` copied into the window `op` gives as output `i` (node
/// `names.scatter`, whose own backward takes the windows of its gradient).
fn scatter_windows(grads: &[&Tensor], in_shape: &[usize], dtype: crate::dtype::DType, device: crate::storage::Device, names: Names, op: impl WindowOp) -> Result<Tensor> {
    let fwd = || -> Result<Tensor> {
        let zeros = Tensor::zeros_on(in_shape, dtype, device)?;
        for (window, g) in op(&zeros)?.iter().zip(grads) {
            window.copy_(g)?;
        }
        Ok(zeros)
    };
    let Some(rec) = begin(names.scatter, grads) else { return fwd() };
    let out = fwd()?;
    rec.finish(out, move |ctx| Ok(record_windows(ctx.grad(0), names, op.clone())?.into_iter().map(Some).collect()))
}

fn has_holes(map: &IndexMap) -> bool {
    map.contains(&NO_INPUT)
}

/// The map as an int64 index tensor on `device` (the GPU path gathers and scatters there), with
/// `NO_INPUT` as `n`, the extra slot past an input of `n` elements.
fn map_tensor(map: &IndexMap, n: usize, device: crate::storage::Device) -> Result<Tensor> {
    let idx: Vec<i64> = map.iter().map(|&p| if p == NO_INPUT { n as i64 } else { p as i64 }).collect();
    Tensor::from_vec(idx, &[map.len()])?.to_device(device)
}

fn dims(shape: &[usize]) -> Vec<i64> {
    shape.iter().map(|&s| s as i64).collect()
}

/// Records `op` (outputs that each read one element of `x`) as node `names.gather`; `view`
/// marks the outputs as views of `x`.
pub(crate) fn record_moves(
    x: &Tensor,
    names: Names,
    view: bool,
    op: impl Fn(&Tensor) -> Result<Vec<Tensor>>,
    storage_map: Option<&dyn Fn(&Tensor) -> Result<IndexMap>>,
) -> Result<Vec<Tensor>> {
    let Some(rec) = begin(names.gather, &[x]) else {
        let outs = op(x)?;
        return Ok(if view { outs.into_iter().map(|o| x.mark_untracked_view(o)).collect() } else { outs });
    };
    let outs = op(x)?;
    let maps = match storage_map {
        Some(map) => vec![map(x)?],
        None => index_maps(x.shape(), &op)?,
    };
    let (in_shape, dtype, device) = (x.shape().to_vec(), x.dtype(), x.device());
    let rec = if view { rec.view_of(x) } else { rec };
    rec.finish_many(outs, move |ctx| {
        let mut acc: Option<Tensor> = None;
        for (i, m) in maps.iter().enumerate() {
            let s = scatter(ctx.grad(i), m, &in_shape, names)?;
            acc = Some(match acc {
                None => s,
                Some(a) => a.add(&s)?,
            });
        }
        Ok(vec![Some(match acc {
            Some(a) => a,
            None => Tensor::zeros_on(&in_shape, dtype, device)?,
        })])
    })
}

/// One-output form of [`record_moves`].
pub(crate) fn record_move(x: &Tensor, names: Names, view: bool, op: impl Fn(&Tensor) -> Result<Tensor>) -> Result<Tensor> {
    Ok(record_moves(x, names, view, |t| Ok(vec![op(t)?]), None)?.pop().expect("one output"))
}

/// `as_strided`: a view addressed by storage position, whose map comes from the storage.
pub(crate) fn record_storage_view(x: &Tensor, names: Names, op: impl Fn(&Tensor) -> Result<Tensor>) -> Result<Tensor> {
    let map = |x: &Tensor| storage_index_map(x, &op);
    Ok(record_moves(x, names, true, |t| Ok(vec![op(t)?]), Some(&map))?.pop().expect("one output"))
}
