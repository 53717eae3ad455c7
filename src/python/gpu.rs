//! The GPU's Python surface (`ferrotorch.cuda` / `ferrotorch.gpu` are built on these):
//! availability, the adapter's description, synchronisation, allocator statistics, and the
//! specialised WGSL of every kernel (for testing the shaders through another host).
use crate::backend::gpu::{alloc, context, pipeline, queue};
use pyo3::prelude::*;
use pyo3::types::PyDict;

#[pyfunction]
fn _gpu_is_available() -> bool {
    context::is_available()
}

/// Why the GPU is unavailable (None when it is available).
#[pyfunction]
fn _gpu_unavailable_reason() -> Option<String> {
    context::get().err().map(|e| e.to_string())
}

/// The adapter: name, backend (Vulkan/Metal/DX12), type, driver, features, key limits.
#[pyfunction]
fn _gpu_info(py: Python) -> PyResult<Bound<PyDict>> {
    let ctx = context::get()?;
    let d = PyDict::new(py);
    d.set_item("name", &ctx.info.name)?;
    d.set_item("backend", ctx.backend_name())?;
    d.set_item("device_type", format!("{:?}", ctx.info.device_type))?;
    d.set_item("driver", &ctx.info.driver)?;
    d.set_item("driver_info", &ctx.info.driver_info)?;
    d.set_item("vendor", ctx.info.vendor)?;
    d.set_item("software", ctx.is_software())?;
    d.set_item("features", ctx.feature_names())?;
    d.set_item("max_buffer_size", ctx.limits.max_buffer_size)?;
    d.set_item("max_storage_buffer_binding_size", ctx.limits.max_storage_buffer_binding_size)?;
    d.set_item("max_compute_workgroups_per_dimension", ctx.limits.max_compute_workgroups_per_dimension)?;
    Ok(d)
}

#[pyfunction]
fn _gpu_synchronize(py: Python) -> PyResult<()> {
    Ok(py.allow_threads(queue::synchronize)?)
}

/// (allocated, peak allocated, reserved) bytes of the caching allocator.
#[pyfunction]
fn _gpu_memory_stats() -> (u64, u64, u64) {
    alloc::stats()
}

#[pyfunction]
fn _gpu_reset_peak_memory_stats() {
    alloc::reset_peak()
}

#[pyfunction]
fn _gpu_empty_cache() {
    alloc::empty_cache()
}

/// (name, complete WGSL module) for every kernel specialisation the host can generate.
#[pyfunction]
fn _gpu_shader_sources() -> Vec<(String, String)> {
    crate::backend::gpu::all_kernel_sources().into_iter().map(|(n, k)| (n, pipeline::module_source(&k))).collect()
}

pub fn register(m: &Bound<PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_gpu_is_available, m)?)?;
    m.add_function(wrap_pyfunction!(_gpu_unavailable_reason, m)?)?;
    m.add_function(wrap_pyfunction!(_gpu_info, m)?)?;
    m.add_function(wrap_pyfunction!(_gpu_synchronize, m)?)?;
    m.add_function(wrap_pyfunction!(_gpu_memory_stats, m)?)?;
    m.add_function(wrap_pyfunction!(_gpu_reset_peak_memory_stats, m)?)?;
    m.add_function(wrap_pyfunction!(_gpu_empty_cache, m)?)?;
    m.add_function(wrap_pyfunction!(_gpu_shader_sources, m)?)?;
    m.add("OutOfMemoryError", m.py().get_type::<crate::python::error::OutOfMemoryError>())?;
    Ok(())
}
