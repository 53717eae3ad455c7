//! Python warnings raised by the bindings, including PyTorch's once-per-process kind.
use pyo3::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};

/// `warnings.warn(message, UserWarning)`, attributed to the Python line that called into Rust.
pub fn user_warning(py: Python, message: &str) -> PyResult<()> {
    py.import("warnings")?.call_method1("warn", (message, py.get_type::<pyo3::exceptions::PyUserWarning>()))?;
    Ok(())
}

/// PyTorch's `TORCH_WARN_ONCE`: the first time in the process (`warned` records it), and every
/// time while `torch.set_warn_always(True)` is on.
pub fn user_warning_once(py: Python, warned: &AtomicBool, message: &str) -> PyResult<()> {
    if warned.swap(true, Ordering::Relaxed) && !warn_always(py)? {
        return Ok(());
    }
    user_warning(py, message)
}

fn warn_always(py: Python) -> PyResult<bool> {
    py.import("ferrotorch._runtime_flags")?.getattr("_warn_always")?.get_item(0)?.extract()
}

/// PyTorch's once-per-process warning for a copy from a complex dtype into a real one (`.float()`,
/// `.to(torch.float64)`, `copy_`), which keeps only the real parts.
pub fn complex_to_real_cast(py: Python, from: crate::dtype::DType, to: crate::dtype::DType) -> PyResult<()> {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if from.is_complex() && !to.is_complex() {
        user_warning_once(py, &WARNED, "Casting complex values to real discards the imaginary part")?;
    }
    Ok(())
}
