//! In-place ops on tensors that take part in autograd.
//!
//! An in-place op is computed out of place (and recorded like any op), then `commit` writes the
//! result into the target's memory and makes the target's history point at the new node
//! ("rebasing"). Saved tensors that alias the target are copied before the write, so the node
//! that just read them still sees the old values. When the target is a view, its base gets a
//! `CopySlices` node that routes the gradient of the written region through the op.
use super::meta::{AutogradMeta, MetaState};
use super::mode::{is_grad_enabled, no_grad};
use super::node::{Edge, Node, TensorMeta};
use crate::bail;
use crate::error::Result;
use crate::tensor::Tensor;
use std::sync::Arc;

/// PyTorch's checks before writing into `target` with grad mode on.
pub fn check_inplace(target: &Tensor) -> Result<()> {
    if !is_grad_enabled() {
        return Ok(());
    }
    let base = target.view_base();
    if base.is_none() && target.requires_grad() && target.is_leaf() {
        bail!(Runtime, "a leaf Variable that requires grad is being used in an in-place operation.");
    }
    if base.is_some_and(|b| b.requires_grad() && b.is_leaf()) {
        bail!(Runtime, "a view of a leaf Variable that requires grad is being used in an in-place operation.");
    }
    Ok(())
}

/// Writes `result` (same shape as `target`; cast with PyTorch's rules) into `target` and, when
/// `result` has a history, makes it `target`'s history.
pub fn commit(target: &mut Tensor, result: &Tensor) -> Result<()> {
    check_inplace(target)?;
    let node = result.grad_fn();
    if let Some(n) = &node {
        if target.dtype().is_complex() {
            let floor = target.grad_fn().map(|g| g.sequence_nr).unwrap_or(0);
            n.copy_saved_aliasing_since(target, floor)?;
        } else {
            n.copy_saved_aliasing(target)?;
        }
    }
    {
        let _off = no_grad();
        target.assign_result(&result.detach())?;
    }
    let Some(node) = node else { return Ok(()) };
    if !target.dtype().is_differentiable() {
        return Ok(());
    }
    match target.view_base() {
        None => set_history(target, node, result.output_nr()),
        Some(base) => rebase_view(target, base, node, result)?,
    }
    Ok(())
}

fn set_history(target: &mut Tensor, node: Arc<Node>, output_nr: usize) {
    let meta = target.meta_mut();
    let mut s = meta.lock();
    s.requires_grad = true;
    s.grad_fn = Some(node);
    s.output_nr = output_nr;
}

/// A scratch tensor covering all of `like`'s storage, zeroed, so layouts from that storage
/// (the base's and the view's) can be applied to it unchanged.
fn storage_sized_zeros(like: &Tensor) -> Result<Tensor> {
    let n = like.storage().nbytes() / like.dtype().size();
    Tensor::zeros_on(&[n], like.dtype(), like.device())
}

/// `view` (of `base`) was overwritten by `result`, an output of `op` (cast to the view's dtype). The base's
/// new history: CopySlices, which passes the base's gradient through outside the view's region
/// and hands the region's gradient to `op` (whose graph reaches the old base again through the
/// view it read, however many nodes a composed op such as a complex product has); the view's
/// new history: a slice of the base's.
fn rebase_view(view: &mut Tensor, mut base: Tensor, op: Arc<Node>, result: &Tensor) -> Result<()> {
    let base_layout = base.layout().clone();
    let view_layout = view.layout().clone();
    // A view may read the storage as another dtype (`z.real` of a complex z, `view_as_complex`
    // of a float tensor): its layout counts elements of its own dtype.
    let view_dtype = view.dtype();
    let next = vec![base.gradient_edge(), Some(Edge { node: op, input_nr: result.output_nr() })];
    let input_meta = vec![TensorMeta::of(&base), TensorMeta::of(result)];
    let result_dtype = result.dtype();
    let template = base.detach();
    let (bl, vl) = (base_layout.clone(), view_layout.clone());
    let copy_slices = Node::new_op(
        "CopySlices",
        next,
        input_meta,
        vec![TensorMeta::of(&base)],
        Box::new(move |ctx| {
            let scratch = storage_sized_zeros(&template)?;
            let whole = scratch.with_layout(bl.clone());
            whole.copy_(ctx.grad(0))?;
            let region = Tensor::from_parts(scratch.storage().clone(), vl.clone(), view_dtype);
            let written = region.to_dtype_copy(result_dtype)?;
            // `whole` shares the scratch storage: the overwritten region gets no gradient.
            region.fill_(crate::dtype::Scalar::Float(0.0))?;
            Ok(vec![Some(whole), Some(written)])
        }),
    );
    set_history(&mut base, copy_slices.clone(), 0);
    // Propagate to the shared meta: `base` here is a clone whose meta is the base's own.
    let template = base.detach();
    let as_strided = Node::new_op(
        "AsStridedBackward0",
        vec![Some(Edge { node: copy_slices, input_nr: 0 })],
        vec![TensorMeta::of(&base)],
        vec![TensorMeta::of(view)],
        Box::new(move |ctx| {
            let scratch = storage_sized_zeros(&template)?;
            Tensor::from_parts(scratch.storage().clone(), view_layout.clone(), view_dtype).copy_(ctx.grad(0))?;
            Ok(vec![Some(scratch.with_layout(base_layout.clone()).contiguous()?)])
        }),
    );
    let meta: Arc<AutogradMeta> = view.meta_mut();
    let mut s = meta.lock();
    *s = MetaState { requires_grad: true, grad_fn: Some(as_strided), output_nr: 0, view_base: Some(base), ..std::mem::take(&mut *s) };
    Ok(())
}

/// `target.copy_(src)`, recorded as `CopyBackwards` when either side takes part in autograd.
pub fn copy_(target: &mut Tensor, src: &Tensor) -> Result<()> {
    let Some(rec) = super::begin("CopyBackwards", &[&*target, src]) else {
        check_inplace(target)?;
        return target.copy_(src);
    };
    let value = src.expand(target.shape())?.to_dtype_copy(target.dtype())?;
    let r = rec.finish(value, |ctx| Ok(vec![Some(ctx.grad(0).zeros_like()?), Some(ctx.grad(0).clone())]))?;
    commit(target, &r)
}

/// `target.fill_(value)` / `zero_()`: the old values get a zero gradient.
pub fn fill_(target: &mut Tensor, value: crate::dtype::Scalar) -> Result<()> {
    let Some(rec) = super::begin("FillBackward0", &[&*target]) else {
        check_inplace(target)?;
        return target.fill_(value);
    };
    let r = rec.finish(Tensor::full_on(target.shape(), value, target.dtype(), target.device())?, |ctx| Ok(vec![Some(ctx.grad(0).zeros_like()?)]))?;
    commit(target, &r)
}
