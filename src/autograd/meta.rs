//! Per-tensor autograd state: `requires_grad`, `.grad`, `grad_fn`, hooks and view bases.
//!
//! A `Tensor` holds a lazily set `Arc<AutogradMeta>`; tensors that never take part in autograd
//! pay an empty slot. Rust clones of a tensor share the meta, so they are the same variable.
use super::node::{Edge, Hook, Node, PostAccumulateHook};
use crate::tensor::Tensor;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

#[derive(Default)]
pub struct MetaState {
    /// Set on leaves by `requires_grad_()`; true on every tensor that has a `grad_fn`.
    pub requires_grad: bool,
    pub grad_fn: Option<Arc<Node>>,
    /// Which output of `grad_fn` this tensor is.
    pub output_nr: usize,
    pub grad: Option<Tensor>,
    pub retains_grad: bool,
    /// Hooks of a leaf (non-leaf hooks live on the grad_fn, keyed by `output_nr`).
    pub hooks: Vec<(u64, Hook)>,
    /// Hooks of a leaf run after `backward` accumulated its `.grad` (not by `autograd.grad`).
    pub post_accumulate_hooks: Vec<(u64, PostAccumulateHook)>,
    /// The leaf's AccumulateGrad node, shared by every graph that uses the leaf while it lives.
    pub accumulator: Weak<Node>,
    /// For differentiable views: the tensor whose storage this one views (never itself a view).
    pub view_base: Option<Tensor>,
}

#[derive(Default)]
pub struct AutogradMeta {
    state: Mutex<MetaState>,
}

impl AutogradMeta {
    pub fn new(state: MetaState) -> Arc<AutogradMeta> {
        Arc::new(AutogradMeta { state: Mutex::new(state) })
    }
    /// Locks the state. Poisoning cannot leave it inconsistent (every critical section is a
    /// plain field update), so a poisoned lock is simply taken over.
    pub fn lock(&self) -> MutexGuard<'_, MetaState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Tensor {
    fn meta_state<R>(&self, f: impl FnOnce(&MetaState) -> R) -> Option<R> {
        self.autograd.get().map(|m| f(&m.lock()))
    }
    pub fn requires_grad(&self) -> bool {
        self.meta_state(|s| s.requires_grad).unwrap_or(false)
    }
    pub fn grad_fn(&self) -> Option<Arc<Node>> {
        self.meta_state(|s| s.grad_fn.clone()).flatten()
    }
    pub fn output_nr(&self) -> usize {
        self.meta_state(|s| s.output_nr).unwrap_or(0)
    }
    pub fn is_leaf(&self) -> bool {
        self.grad_fn().is_none()
    }
    pub fn grad(&self) -> Option<Tensor> {
        self.meta_state(|s| s.grad.clone()).flatten()
    }
    pub fn retains_grad(&self) -> bool {
        self.meta_state(|s| s.retains_grad).unwrap_or(false)
    }
    pub fn view_base(&self) -> Option<Tensor> {
        self.meta_state(|s| s.view_base.clone()).flatten()
    }
    /// The meta, created on first use. Clones made afterwards share it.
    pub fn meta_mut(&self) -> Arc<AutogradMeta> {
        self.autograd.get_or_init(|| AutogradMeta::new(MetaState::default())).clone()
    }
    /// Replaces the meta (None: the tensor leaves autograd).
    pub fn set_meta(&mut self, meta: Option<Arc<AutogradMeta>>) {
        self.autograd = meta.map(std::sync::OnceLock::from).unwrap_or_default();
    }
    /// Takes the meta out, leaving the tensor outside autograd.
    pub fn take_meta(&mut self) -> Option<Arc<AutogradMeta>> {
        self.autograd.take()
    }
    /// Marks `view` (made from `self` without recording, because nothing required grad) as a
    /// view of `self`'s base, as PyTorch tracks every view: an in-place op that later writes a
    /// grad-requiring value into the view then rebases the base too. Only float tensors can
    /// take part, and only with grad mode on.
    pub fn mark_untracked_view(&self, mut view: Tensor) -> Tensor {
        if !super::mode::is_grad_enabled() || !self.dtype().is_differentiable() {
            return view;
        }
        let base = self.view_base().unwrap_or_else(|| {
            self.meta_mut();
            self.clone()
        });
        view.set_meta(Some(AutogradMeta::new(MetaState { view_base: Some(base), ..Default::default() })));
        view
    }
    pub fn set_grad(&mut self, grad: Option<Tensor>) {
        if grad.is_none() && self.autograd.get().is_none() {
            return;
        }
        self.meta_mut().lock().grad = grad;
    }
    /// The edge gradients for this tensor flow into: its grad_fn, or its leaf accumulator.
    pub fn gradient_edge(&self) -> Option<Edge> {
        let meta = self.autograd.get()?;
        let mut s = meta.lock();
        if let Some(f) = &s.grad_fn {
            return Some(Edge { node: f.clone(), input_nr: s.output_nr });
        }
        if !s.requires_grad {
            return None;
        }
        if let Some(acc) = s.accumulator.upgrade() {
            return Some(Edge { node: acc, input_nr: 0 });
        }
        let acc = Node::accumulate_grad(meta.clone(), self);
        s.accumulator = Arc::downgrade(&acc);
        Some(Edge { node: acc, input_nr: 0 })
    }
    /// A tensor sharing data with this one, outside any graph (`detach()`).
    pub fn detach(&self) -> Tensor {
        self.with_layout(self.layout().clone())
    }
}
