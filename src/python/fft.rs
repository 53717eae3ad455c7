//! Bindings of the CPU Fourier transform primitives (`ops/fft`); `ferrotorch/fft.py` checks the
//! arguments, picks n, the direction and the scale, and calls these for CPU tensors.
use crate::ops::fft;
use crate::python::args;
use crate::python::tensor::{PyResultT, PyTensor};
use pyo3::prelude::*;

#[pyfunction]
fn _fft_c2c(input: &Bound<PyAny>, dim: i64, n: usize, inverse: bool, scale: f64) -> PyResultT {
    let x = args::tensor(input, "_fft_c2c", "input")?;
    Ok(PyTensor::new(fft::fft_c2c(&x, dim, n, inverse, scale)?))
}

#[pyfunction]
fn _fft_r2c(input: &Bound<PyAny>, dim: i64, n: usize, onesided: bool, inverse: bool, scale: f64) -> PyResultT {
    let x = args::tensor(input, "_fft_r2c", "input")?;
    Ok(PyTensor::new(fft::fft_r2c(&x, dim, n, onesided, inverse, scale)?))
}

#[pyfunction]
fn _fft_c2r(input: &Bound<PyAny>, dim: i64, n: usize, inverse: bool, scale: f64) -> PyResultT {
    let x = args::tensor(input, "_fft_c2r", "input")?;
    Ok(PyTensor::new(fft::fft_c2r(&x, dim, n, inverse, scale)?))
}

pub fn register(m: &Bound<PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_fft_c2c, m)?)?;
    m.add_function(wrap_pyfunction!(_fft_r2c, m)?)?;
    m.add_function(wrap_pyfunction!(_fft_c2r, m)?)?;
    Ok(())
}
