//! Saved-tensor hooks (`torch.autograd.graph.saved_tensors_hooks`): while a pair is installed,
//! every tensor an op saves for its backward goes through the pack hook, and the node keeps
//! only what that returned; the backward gets the tensor back from the unpack hook. This is
//! how `save_on_cpu` moves activations off the device and how the non-reentrant checkpoint
//! drops them and recomputes them on demand.
//!
//! As in PyTorch the stack of installed pairs is per thread (the innermost pair packs), a
//! packed tensor remembers the pair that packed it, and a saved tensor that went through
//! hooks is not checked for in-place changes (the hooks own its value).
//!
//! The core knows nothing of Python: the bindings implement [`SavedTensorHooks`].
use crate::error::{Error, Result};
use crate::tensor::Tensor;
use std::cell::RefCell;
use std::sync::Arc;

/// What a pack hook turned a saved tensor into.
pub trait PackedTensor: Send + Sync {
    /// The tensor for the backward (its autograd history is reattached by the node).
    fn unpack(&self) -> Result<Tensor>;
}

/// A pack/unpack pair.
pub trait SavedTensorHooks: Send + Sync {
    /// Called with each tensor as it is saved; grad mode is off.
    fn pack(&self, t: &Tensor) -> Result<Box<dyn PackedTensor>>;
}

thread_local! {
    static STACK: RefCell<Vec<Arc<dyn SavedTensorHooks>>> = const { RefCell::new(Vec::new()) };
    /// Set by `disable_saved_tensors_hooks(message)`: installing a pair then fails with it.
    static DISABLED: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs `hooks` as the innermost pair of this thread.
pub fn push(hooks: Arc<dyn SavedTensorHooks>) -> Result<()> {
    if let Some(message) = disabled_message() {
        return Err(Error::Runtime(message));
    }
    STACK.with(|s| s.borrow_mut().push(hooks));
    Ok(())
}

/// Removes the innermost pair (the end of a `saved_tensors_hooks` block).
pub fn pop() {
    STACK.with(|s| s.borrow_mut().pop());
}

/// The pair that packs tensors saved now, if any.
pub(crate) fn current() -> Option<Arc<dyn SavedTensorHooks>> {
    STACK.with(|s| s.borrow().last().cloned())
}

/// Sets (or with None clears) the message that forbids installing hooks; returns the previous
/// one. Forbidding them while a pair is installed fails with the message itself, as in PyTorch.
pub fn set_disabled(message: Option<String>) -> Result<Option<String>> {
    if let Some(m) = &message {
        if STACK.with(|s| !s.borrow().is_empty()) {
            return Err(Error::Runtime(m.clone()));
        }
    }
    Ok(DISABLED.with(|d| std::mem::replace(&mut *d.borrow_mut(), message)))
}

pub fn disabled_message() -> Option<String> {
    DISABLED.with(|d| d.borrow().clone())
}
