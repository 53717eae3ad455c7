//! Complex-tensor bindings: the two views between complex and real tensors, and `complex()`.
//! The arithmetic itself goes through the ordinary operators (`ops/complex/`).
use crate::python::args;
use crate::python::tensor::{PyResultT, PyTensor};
use crate::tensor::Tensor;
use pyo3::prelude::*;

#[pymethods]
impl PyTensor {
    /// `torch.view_as_real`: a view with a trailing dim of 2 holding (real, imaginary).
    fn view_as_real(&self) -> PyResultT {
        Ok(PyTensor::new(self.t.view_as_real()?))
    }
    /// `torch.view_as_complex`: the inverse view; the last dim must have size 2 and stride 1.
    fn view_as_complex(&self) -> PyResultT {
        Ok(PyTensor::new(self.t.view_as_complex()?))
    }
    /// The complex conjugate as a new tensor (`conj`/`conj_physical` in Python build on it).
    fn _conj(&self) -> PyResultT {
        Ok(PyTensor::new(self.t.conj_physical()?))
    }
}

/// `torch.complex(real, imag)`: a new complex tensor from two float tensors of one dtype.
#[pyfunction]
fn complex(real: &Bound<PyAny>, imag: &Bound<PyAny>) -> PyResultT {
    let re = args::tensor(real, "complex", "real")?;
    let im = args::tensor(imag, "complex", "imag")?;
    Ok(PyTensor::new(Tensor::complex_from_parts(&re, &im)?))
}

pub fn register(m: &Bound<PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(complex, m)?)?;
    Ok(())
}
