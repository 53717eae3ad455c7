//! The one place where Rust errors become Python exceptions, by kind (as PyTorch raises them).
use crate::error::Error;
use pyo3::exceptions::{PyIndexError, PyNotImplementedError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::{PyErr, Python};

pyo3::create_exception!(ferrotorch, OutOfMemoryError, PyRuntimeError, "The GPU ran out of memory (PyTorch's torch.OutOfMemoryError).");

/// Wraps a Python exception so it can travel through the core (hooks, custom Functions).
pub fn callback_error(e: PyErr) -> Error {
    Error::Callback(crate::error::CallbackError(std::sync::Arc::new(e)))
}

impl From<Error> for PyErr {
    fn from(e: Error) -> PyErr {
        match e {
            Error::Runtime(m) => PyRuntimeError::new_err(m),
            Error::Index(m) => PyIndexError::new_err(m),
            Error::Type(m) => PyTypeError::new_err(m),
            Error::Value(m) => PyValueError::new_err(m),
            Error::NotImplemented(m) => PyNotImplementedError::new_err(m),
            Error::OutOfMemory(m) => OutOfMemoryError::new_err(m),
            Error::Callback(c) => match c.0.downcast_ref::<PyErr>() {
                Some(e) => Python::with_gil(|py| e.clone_ref(py)),
                None => PyRuntimeError::new_err("error in a callback"),
            },
        }
    }
}
