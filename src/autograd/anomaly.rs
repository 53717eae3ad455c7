//! Anomaly detection (`torch.autograd.detect_anomaly` / `set_detect_anomaly`), process-wide as
//! in PyTorch. While it is on:
//! - every graph node keeps the traceback of the forward call that created it, and an error in
//!   that node's backward is reported with it (a warning, before the error propagates);
//! - with `check_nan`, a node whose backward returns a NaN fails, naming the node and output.
//!
//! The core knows nothing of Python: the bindings install a `Host` that captures the current
//! call stack and emits the report.
use super::node::Node;
use crate::error::{Error, Result};
use crate::ops::unary::UnaryOp;
use crate::tensor::Tensor;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

static ENABLED: AtomicBool = AtomicBool::new(false);
static CHECK_NAN: AtomicBool = AtomicBool::new(true);

/// How the embedding language takes part: `capture` returns the current call stack as text
/// (None when it cannot); `report` shows a message to the user.
pub struct Host {
    pub capture: fn() -> Option<String>,
    pub report: fn(&str),
}

static HOST: OnceLock<Host> = OnceLock::new();

pub fn set_host(host: Host) {
    let _ = HOST.set(host);
}

/// Sets both switches; returns the previous (enabled, check_nan).
pub fn set(enabled: bool, check_nan: bool) -> (bool, bool) {
    (ENABLED.swap(enabled, Ordering::Relaxed), CHECK_NAN.swap(check_nan, Ordering::Relaxed))
}

pub fn is_enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

pub fn is_check_nan_enabled() -> bool {
    CHECK_NAN.load(Ordering::Relaxed)
}

/// The traceback a node created now keeps: None unless anomaly mode is on.
pub(crate) fn forward_trace() -> Option<String> {
    if !is_enabled() {
        return None;
    }
    (HOST.get()?.capture)()
}

/// A backward error in `node` while anomaly mode is on: shows the forward traceback the node
/// was created with, or says that it was created outside anomaly mode.
pub(crate) fn report_error(node: &Node) {
    let (true, Some(host)) = (is_enabled(), HOST.get()) else { return };
    let name = node.name();
    (host.report)(&match node.forward_trace() {
        Some(trace) => format!("Error detected in {name}. Traceback of forward call that caused the error:\n{trace}"),
        None => format!(
            "Error detected in {name}. No forward pass information available. Enable detect anomaly during forward pass \
             for more information."
        ),
    });
}

/// With `check_nan` on, the error PyTorch raises for a node that returned NaN gradients.
pub(crate) fn check_nan(node: &Node, grads: &[Option<Tensor>]) -> Result<()> {
    if !is_enabled() || !is_check_nan_enabled() {
        return Ok(());
    }
    for (i, g) in grads.iter().enumerate() {
        let Some(g) = g else { continue };
        if (g.dtype().is_float() || g.dtype().is_complex()) && g.numel() > 0 && g.unary(UnaryOp::IsNan)?.any(None, false)?.item()?.to_f64() != 0.0 {
            return Err(Error::Runtime(format!("Function '{}' returned nan values in its {i}th output.", node.name())));
        }
    }
    Ok(())
}
