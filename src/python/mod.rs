//! PyO3 bindings. Nothing here computes: each binding converts arguments, calls the Rust API
//! and converts the result. Families of methods live in their own files, each with its own
//! `#[pymethods] impl PyTensor` block (pyo3's `multiple-pymethods`) and a `register` function
//! for its free functions.
use pyo3::prelude::*;

pub mod error;
pub mod dtype;
pub mod args;
pub mod convert;
pub mod nested_data;
pub mod warn;
pub mod tensor;
pub mod elementwise;
pub mod reduce;
pub mod linalg;
pub mod indexing;
pub mod shape_ops;
pub mod creation;
pub mod autograd;
pub mod nn;
pub mod optim;
pub mod gpu;
pub mod threads;
pub mod complex;
pub mod fft;

#[pymodule]
#[pyo3(name = "_C")]
fn init_module(m: &Bound<PyModule>) -> PyResult<()> {
    dtype::register(m)?;
    tensor::register(m)?;
    convert::register(m)?;
    elementwise::register(m)?;
    reduce::register(m)?;
    linalg::register(m)?;
    indexing::register(m)?;
    shape_ops::register(m)?;
    creation::register(m)?;
    autograd::register(m)?;
    nn::register(m)?;
    optim::register(m)?;
    gpu::register(m)?;
    threads::register(m)?;
    complex::register(m)?;
    fft::register(m)?;
    Ok(())
}
