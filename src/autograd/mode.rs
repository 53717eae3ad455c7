//! Grad mode and inference mode: thread-local switches, as in PyTorch. Ops ask
//! `is_grad_enabled()` before recording; `GradModeGuard` restores the previous mode on drop, so
//! an early return (an error) never leaves a thread with grad mode switched off.
use std::cell::Cell;

thread_local! {
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
    static INFERENCE_MODE: Cell<bool> = const { Cell::new(false) };
}

pub fn is_grad_enabled() -> bool {
    GRAD_ENABLED.with(|g| g.get())
}

/// Sets grad mode for this thread and returns the previous value.
pub fn set_grad_enabled(enabled: bool) -> bool {
    GRAD_ENABLED.with(|g| g.replace(enabled))
}

pub fn is_inference_mode_enabled() -> bool {
    INFERENCE_MODE.with(|g| g.get())
}

/// Inference mode implies no grad; returns the previous (inference, grad) pair.
pub fn set_inference_mode(enabled: bool) -> (bool, bool) {
    let prev_inf = INFERENCE_MODE.with(|g| g.replace(enabled));
    let prev_grad = if enabled { set_grad_enabled(false) } else { is_grad_enabled() };
    (prev_inf, prev_grad)
}

/// Sets grad mode until dropped.
pub struct GradModeGuard {
    previous: bool,
}

impl GradModeGuard {
    pub fn new(enabled: bool) -> GradModeGuard {
        GradModeGuard { previous: set_grad_enabled(enabled) }
    }
}

impl Drop for GradModeGuard {
    fn drop(&mut self) {
        set_grad_enabled(self.previous);
    }
}

/// `no_grad()` for Rust callers: a guard that disables recording.
pub fn no_grad() -> GradModeGuard {
    GradModeGuard::new(false)
}
