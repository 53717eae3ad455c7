//! Conversions between Python data and tensors: nested lists and scalars, numpy arrays through
//! the array-interface protocol (zero-copy both ways), and `tolist`.
use crate::dtype::{DType, Element, Scalar};
use crate::layout::Layout;
use crate::python::tensor::PyTensor;
use crate::storage::Storage;
use crate::tensor::Tensor;
use crate::with_dtype;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use std::sync::Arc;

/// `ferrotorch.tensor(data, dtype=None)`: always copies; a tensor or numpy array (or numpy
/// scalar) keeps its dtype unless one is given, other data goes through `nested_data`.
pub fn tensor_from_data(obj: &Bound<PyAny>, dtype: Option<DType>) -> PyResult<Tensor> {
    if let Ok(t) = obj.downcast::<PyTensor>() {
        let t = t.borrow().t.clone();
        return Ok(t.to_dtype_copy(dtype.unwrap_or(t.dtype()))?);
    }
    if obj.hasattr("__array_interface__")? && !obj.is_instance_of::<PyList>() {
        let t = from_numpy(obj)?;
        return Ok(t.to_dtype_copy(dtype.unwrap_or(t.dtype()))?);
    }
    crate::python::nested_data::tensor_from_nested(obj, dtype)
}

/// The value of a one-element complex tensor.
pub fn complex_item(t: &Tensor) -> PyResult<(f64, f64)> {
    let parts = t.view_as_real()?.detach().to_device(crate::storage::Device::Cpu)?.to_vec::<f64>();
    Ok((parts[0], parts[1]))
}

// ------------------------------------------------------------------ numpy

pub(crate) fn dtype_from_typestr(typestr: &str) -> Option<DType> {
    let (endian, code) = typestr.split_at(1);
    if endian == ">" {
        return None;
    }
    Some(match code {
        "b1" => DType::Bool,
        "u1" => DType::U8,
        "i1" => DType::I8,
        "i2" => DType::I16,
        "i4" => DType::I32,
        "i8" => DType::I64,
        "f2" => DType::F16,
        "f4" => DType::F32,
        "f8" => DType::F64,
        "c8" => DType::C64,
        "c16" => DType::C128,
        _ => return None,
    })
}

fn typestr(d: DType) -> &'static str {
    match d {
        DType::Bool => "|b1",
        DType::U8 => "|u1",
        DType::I8 => "|i1",
        DType::I16 => "<i2",
        DType::I32 => "<i4",
        DType::I64 => "<i8",
        DType::F16 => "<f2",
        DType::F32 => "<f4",
        DType::F64 => "<f8",
        DType::C64 => "<c8",
        DType::C128 => "<c16",
        DType::BF16 => unreachable!("bfloat16 has no numpy dtype; checked by callers"),
    }
}

/// Keeps the numpy array alive for as long as a tensor views its memory.
struct NumpyOwner(#[allow(dead_code)] Py<PyAny>);

/// PyTorch's TypeError for a numpy dtype without a tensor dtype, listing ferrotorch's.
pub(crate) fn unsupported_numpy_dtype(dtype: &Bound<PyAny>) -> PyErr {
    let name = dtype.getattr("type").and_then(|t| t.getattr("__name__")).map(|n| n.to_string()).unwrap_or_default();
    PyTypeError::new_err(format!(
        "can't convert np.ndarray of type numpy.{name}. The only supported types are: float64, float32, float16, complex64, complex128, int64, int32, int16, int8, uint8, and bool."
    ))
}

/// `from_numpy`: a tensor sharing the array's memory.
pub fn from_numpy(arr: &Bound<PyAny>) -> PyResult<Tensor> {
    let iface = arr.getattr("__array_interface__")?;
    let iface = iface.downcast::<PyDict>()?;
    let ts: String = iface.get_item("typestr")?.unwrap().extract()?;
    let dtype = match dtype_from_typestr(&ts) {
        Some(d) => d,
        None => return Err(unsupported_numpy_dtype(&arr.getattr("dtype")?)),
    };
    let shape: Vec<usize> = iface.get_item("shape")?.unwrap().extract()?;
    let (ptr, _readonly): (usize, bool) = iface.get_item("data")?.unwrap().extract()?;
    let item = dtype.size();
    // Kernels read elements through typed slices, which must be aligned (a misaligned one is
    // undefined behaviour in Rust): share only aligned memory.
    if ptr % item != 0 {
        return Err(PyValueError::new_err(format!(
            "given numpy array is not aligned to its {item}-byte element size, so its memory cannot be shared. \
             Copy the numpy array (array.copy()) to get aligned memory."
        )));
    }
    let strides: Vec<usize> = match iface.get_item("strides")? {
        Some(s) if !s.is_none() => {
            let bs: Vec<isize> = s.extract()?;
            if bs.iter().any(|&b| b < 0) {
                return Err(PyValueError::new_err("At least one stride in the given numpy array is negative, and tensors with negative strides are not currently supported. (You can probably work around this by making a copy of your array  with array.copy().) "));
            }
            if bs.iter().any(|&b| b as usize % item != 0) {
                return Err(PyValueError::new_err("given numpy array strides not a multiple of the element byte size. Copy the numpy array to reallocate the memory."));
            }
            bs.iter().map(|&b| b as usize / item).collect()
        }
        _ => crate::shape::contiguous_strides(&shape),
    };
    let layout = Layout { shape, strides, offset: 0 };
    let nbytes = layout.storage_extent() * item;
    // SAFETY: numpy guarantees `nbytes` from `ptr` are valid while the array lives; the owner
    // holds a reference to it.
    let storage = unsafe { Storage::external(ptr as *mut u8, nbytes, Box::new(NumpyOwner(arr.clone().unbind()))) };
    Ok(Tensor::from_parts(Arc::new(storage), layout, dtype))
}

/// Exposes a tensor's memory to numpy through `__array_interface__`; numpy keeps this object
/// as the array's base, which keeps the storage alive.
#[pyclass(module = "ferrotorch._C", frozen)]
struct ArrayInterface {
    tensor: Tensor,
}

#[pymethods]
impl ArrayInterface {
    #[getter]
    fn __array_interface__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let t = &self.tensor;
        let item = t.dtype().size();
        let d = PyDict::new(py);
        d.set_item("shape", PyTuple::new(py, t.shape())?)?;
        d.set_item("typestr", typestr(t.dtype()))?;
        d.set_item("data", (t.data_ptr(), false))?;
        d.set_item("strides", PyTuple::new(py, t.strides().iter().map(|s| s * item))?)?;
        d.set_item("version", 3)?;
        Ok(d)
    }
}

/// `Tensor.numpy()`: a numpy array sharing the tensor's memory.
pub fn to_numpy<'py>(py: Python<'py>, t: &Tensor) -> PyResult<Bound<'py, PyAny>> {
    if t.dtype() == DType::BF16 {
        return Err(PyTypeError::new_err("Got unsupported ScalarType BFloat16"));
    }
    let np = py.import("numpy")?;
    np.call_method1("asarray", (ArrayInterface { tensor: t.clone() },))
}

// ------------------------------------------------------------------ tolist

fn scalar_to_py<'py, T: Element>(py: Python<'py>, v: T) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v.to_scalar() {
        Scalar::Bool(b) => pyo3::types::PyBool::new(py, b).to_owned().into_any(),
        Scalar::Int(i) => i.into_pyobject(py)?.into_any(),
        Scalar::Float(f) => f.into_pyobject(py)?.into_any(),
    })
}

pub fn scalar_py<'py>(py: Python<'py>, s: Scalar) -> PyResult<Bound<'py, PyAny>> {
    Ok(match s {
        Scalar::Bool(b) => pyo3::types::PyBool::new(py, b).to_owned().into_any(),
        Scalar::Int(i) => i.into_pyobject(py)?.into_any(),
        Scalar::Float(f) => f.into_pyobject(py)?.into_any(),
    })
}

pub fn tolist<'py>(py: Python<'py>, t: &Tensor) -> PyResult<Bound<'py, PyAny>> {
    /// Nested lists of `shape` over `flat`, each leaf made by `leaf`.
    fn build<'py, T: Copy>(py: Python<'py>, flat: &[T], shape: &[usize], leaf: &dyn Fn(T) -> PyResult<Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        if shape.is_empty() {
            return leaf(flat[0]);
        }
        let step: usize = shape[1..].iter().product();
        let items: PyResult<Vec<_>> = (0..shape[0]).map(|i| build(py, &flat[i * step..(i + 1) * step], &shape[1..], leaf)).collect();
        Ok(PyList::new(py, items?)?.into_any())
    }
    if t.dtype().is_complex() {
        let parts = t.real_view_forward().to_vec::<f64>();
        let pairs: Vec<(f64, f64)> = parts.chunks_exact(2).map(|p| (p[0], p[1])).collect();
        return build(py, &pairs, t.shape(), &|(re, im)| Ok(pyo3::types::PyComplex::from_doubles(py, re, im).into_any()));
    }
    with_dtype!(t.dtype(), T, {
        let flat: Vec<T> = t.to_vec::<T>();
        build(py, &flat, t.shape(), &|v| scalar_to_py(py, v))
    })
}

#[pyfunction]
#[pyo3(name = "from_numpy")]
fn py_from_numpy(arr: &Bound<PyAny>) -> PyResult<PyTensor> {
    let np = arr.py().import("numpy")?;
    if !arr.is_instance(&np.getattr("ndarray")?)? {
        return Err(PyTypeError::new_err(format!("expected np.ndarray (got {})", arr.get_type().name()?)));
    }
    Ok(PyTensor::new(from_numpy(arr)?))
}

pub fn register(m: &Bound<PyModule>) -> PyResult<()> {
    m.add_class::<ArrayInterface>()?;
    m.add_function(wrap_pyfunction!(py_from_numpy, m)?)?;
    Ok(())
}
