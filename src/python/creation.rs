//! Creation functions: `tensor`, `zeros`, `arange`, random sampling, ...
use crate::python::args;
use crate::python::convert;
use crate::python::dtype::check_device;
use crate::python::tensor::{PyResultT, PyTensor};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

#[pyfunction]
#[pyo3(signature = (data, *, dtype=None, device=None, requires_grad=false, pin_memory=false))]
fn tensor(data: &Bound<PyAny>, dtype: Option<&Bound<PyAny>>, device: Option<&Bound<PyAny>>, requires_grad: bool, pin_memory: bool) -> PyResultT {
    let _ = pin_memory;
    check_device(device)?;
    if requires_grad {
        return Err(PyRuntimeError::new_err("requires_grad=True needs autograd, which this build does not have yet"));
    }
    Ok(PyTensor::new(convert::tensor_from_data(data, args::dtype(dtype)?)?))
}

pub fn register(m: &Bound<PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(tensor, m)?)?;
    Ok(())
}
