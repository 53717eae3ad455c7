//! Bindings of the nn kernels: `_C._im2col` / `_C._col2im` (what `F.unfold` / `F.fold` and
//! the convolution and pooling functionals in `ferrotorch/nn/_functional/` lower onto),
//! `_C._max_pool2d`, and the fused CPU kernels `_C._softmax` (softmax / log-softmax) and
//! `_C._native_layer_norm`.
use crate::ops::conv::Window;
use crate::python::args;
use crate::python::tensor::{PyResultT, PyTensor};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

/// An int or a 1- or 2-sequence as an (h, w) pair of non-negative ints.
fn pair(obj: &Bound<PyAny>, name: &str) -> PyResult<[usize; 2]> {
    let v = args::int_list(obj)?;
    let v = match v.as_slice() {
        [a] => [*a, *a],
        [a, b] => [*a, *b],
        _ => return Err(PyRuntimeError::new_err(format!("{name} must be an int or a pair of ints, got {} values", v.len()))),
    };
    if v.iter().any(|&x| x < 0) {
        return Err(PyRuntimeError::new_err(format!("{name} must be non-negative, but got ({}, {})", v[0], v[1])));
    }
    Ok([v[0] as usize, v[1] as usize])
}

fn window(kernel_size: &Bound<PyAny>, dilation: &Bound<PyAny>, padding: &Bound<PyAny>, stride: &Bound<PyAny>) -> PyResult<Window> {
    Ok(Window {
        kernel: pair(kernel_size, "kernel_size")?,
        dilation: pair(dilation, "dilation")?,
        padding: pair(padding, "padding")?,
        stride: pair(stride, "stride")?,
    })
}

/// `_im2col(input (N, C, H, W), kernel_size, dilation, padding, stride) -> (N, C*kh*kw, L)`.
#[pyfunction]
fn _im2col(input: &Bound<PyAny>, kernel_size: &Bound<PyAny>, dilation: &Bound<PyAny>, padding: &Bound<PyAny>, stride: &Bound<PyAny>) -> PyResultT {
    let t = args::tensor(input, "_im2col", "input")?;
    Ok(PyTensor::new(t.im2col(&window(kernel_size, dilation, padding, stride)?)?))
}

/// `_col2im(input (N, C*kh*kw, L), output_size, kernel_size, dilation, padding, stride) -> (N, C, H, W)`.
#[pyfunction]
fn _col2im(
    input: &Bound<PyAny>,
    output_size: &Bound<PyAny>,
    kernel_size: &Bound<PyAny>,
    dilation: &Bound<PyAny>,
    padding: &Bound<PyAny>,
    stride: &Bound<PyAny>,
) -> PyResultT {
    let t = args::tensor(input, "_col2im", "input")?;
    let size = pair(output_size, "output_size")?;
    Ok(PyTensor::new(t.col2im(size, &window(kernel_size, dilation, padding, stride)?)?))
}

/// `_max_pool2d(input (N, C, H, W), kernel_size, stride, padding, dilation, ceil_mode)`:
/// (values, flat per-plane indices), both (N, C, oh, ow).
#[pyfunction]
fn _max_pool2d(
    py: Python,
    input: &Bound<PyAny>,
    kernel_size: &Bound<PyAny>,
    stride: &Bound<PyAny>,
    padding: &Bound<PyAny>,
    dilation: &Bound<PyAny>,
    ceil_mode: bool,
) -> PyResult<PyObject> {
    let t = args::tensor(input, "_max_pool2d", "input")?;
    let (v, i) = t.max_pool2d_with_indices(&window(kernel_size, dilation, padding, stride)?, ceil_mode)?;
    Ok((PyTensor::new(v), PyTensor::new(i)).into_pyobject(py)?.into_any().unbind())
}

/// `_softmax(input, dim, log)`: softmax (or log-softmax) of a floating-point CPU tensor along
/// `dim`; `F.softmax` / `F.log_softmax` check the arguments and call it.
#[pyfunction]
fn _softmax(input: &Bound<PyAny>, dim: i64, log: bool) -> PyResultT {
    let t = args::tensor(input, "_softmax", "input")?;
    Ok(PyTensor::new(crate::ops::softmax::softmax(&t, dim, log)?))
}

/// `_native_layer_norm(input, k, weight, bias, eps) -> (out, mean, rstd)`: layer norm over the
/// last `k` dims by the fused kernel, or None when the kernel does not take these operands
/// (`layer_norm::supported`: float32/float64 CPU tensors of one dtype; 1..=ndim dims), for `F.layer_norm`
/// (which checks the shapes) to compose the op instead.
#[pyfunction]
#[pyo3(signature = (input, k, weight, bias, eps))]
fn _native_layer_norm(input: &Bound<PyAny>, k: usize, weight: Option<&Bound<PyAny>>, bias: Option<&Bound<PyAny>>, eps: f64) -> PyResult<Option<(PyTensor, PyTensor, PyTensor)>> {
    let x = args::tensor(input, "_native_layer_norm", "input")?;
    let w = weight.map(|w| args::tensor(w, "_native_layer_norm", "weight")).transpose()?;
    let b = bias.map(|b| args::tensor(b, "_native_layer_norm", "bias")).transpose()?;
    if !crate::ops::layer_norm::supported(&x, w.as_ref(), b.as_ref()) || k == 0 || k > x.ndim() {
        return Ok(None);
    }
    let (out, mean, rstd) = crate::ops::layer_norm::layer_norm(&x, k, w.as_ref(), b.as_ref(), eps)?;
    Ok(Some((PyTensor::new(out), PyTensor::new(mean), PyTensor::new(rstd))))
}

pub fn register(m: &Bound<PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_native_layer_norm, m)?)?;
    m.add_function(wrap_pyfunction!(_softmax, m)?)?;
    m.add_function(wrap_pyfunction!(_im2col, m)?)?;
    m.add_function(wrap_pyfunction!(_col2im, m)?)?;
    m.add_function(wrap_pyfunction!(_max_pool2d, m)?)?;
    Ok(())
}
