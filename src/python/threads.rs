//! `torch.set_num_threads` / `torch.get_num_threads`: the CPU backend's thread count.
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyInt;

#[pyfunction]
fn set_num_threads(nthreads: &Bound<PyAny>) -> PyResult<()> {
    // bool is an int subclass in Python; PyTorch rejects it like any other non-int.
    if !nthreads.is_instance_of::<PyInt>() || nthreads.is_instance_of::<pyo3::types::PyBool>() {
        let got = nthreads.get_type().name()?.to_string();
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

#[pyfunction]
fn get_num_threads() -> usize {
    crate::backend::cpu::num_threads()
}

pub fn register(m: &Bound<PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(set_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(get_num_threads, m)?)?;
    Ok(())
}
