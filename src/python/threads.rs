//! `torch.set_num_threads` / `torch.get_num_threads`: the CPU backend's thread count.
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyInt;

#[pyfunction]
fn set_num_threads(nthreads: &Bound<PyAny>) -> PyResult<()> {
    // PyTorch's THPUtils_checkLong: a Python int or a numpy integer, but not a bool (an int subclass).
    if !(nthreads.is_instance_of::<PyInt>() || is_numpy_integer(nthreads)?) || nthreads.is_instance_of::<pyo3::types::PyBool>() {
        let got = nthreads.get_type().fully_qualified_name()?.to_string();
        return Err(PyRuntimeError::new_err(format!("set_num_threads expects an int, but got {got}")));
    }
    match nthreads.extract::<i64>() {
        Ok(n) if n > 0 => {
            crate::backend::cpu::set_num_threads(n as usize);
            Ok(())
        }
        _ => Err(PyRuntimeError::new_err("set_num_threads expects a positive integer")),
    }
}

/// `isinstance(obj, numpy.integer)`, without importing numpy when the caller never did.
fn is_numpy_integer(obj: &Bound<PyAny>) -> PyResult<bool> {
    let py = obj.py();
    let Some(numpy) = py.import("sys")?.getattr("modules")?.get_item("numpy").ok() else { return Ok(false) };
    obj.is_instance(&numpy.getattr("integer")?)
}

#[pyfunction]
fn get_num_threads() -> usize {
    crate::backend::cpu::num_threads()
}

pub fn register(m: &Bound<PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(set_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(get_num_threads, m)?)?;
    Ok(())
}
