//! Conversions between Python data and tensors: nested lists and scalars, numpy arrays through
//! the array-interface protocol (zero-copy both ways), and `tolist`.
use crate::dtype::{default_dtype, Category, DType, Element, Scalar};
use crate::layout::Layout;
use crate::python::args;
use crate::python::tensor::PyTensor;
use crate::storage::Storage;
use crate::tensor::Tensor;
use crate::with_dtype;
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use std::sync::Arc;

// ------------------------------------------------------------------ nested Python data

/// Walks a nested sequence, recording its shape and leaves; errors on ragged input like PyTorch.
/// The leaves of nested data: real numbers, and the imaginary parts once a complex number was met.
#[derive(Default)]
struct Leaves {
    values: Vec<Scalar>,
    /// Empty while every leaf is real; then one imaginary part per value.
    imag: Vec<f64>,
}

impl Leaves {
    fn push(&mut self, s: Scalar, imag: f64) {
        // Any imaginary part but +0.0 is kept: -0.0 decides branch cuts (angle, log, sqrt).
        if imag.to_bits() != 0 || !self.imag.is_empty() {
            self.imag.resize(self.values.len(), 0.0);
            self.imag.push(imag);
        }
        self.values.push(s);
    }
}

fn collect(obj: &Bound<PyAny>, depth: usize, shape: &mut Vec<usize>, out: &mut Leaves, cat: &mut Category) -> PyResult<()> {
    let leaf = args::scalar(obj).map(|s| (s, 0.0, s.category()))
        .or_else(|| args::complex_scalar(obj).map(|(re, im)| (Scalar::Float(re), im, Category::Complex)));
    if let Some((s, imag, category)) = leaf {
        if depth != shape.len() {
            return Err(PyValueError::new_err(format!("expected sequence of length {} at dim {} (got a scalar)", shape[depth], depth)));
        }
        *cat = (*cat).max(category);
        out.push(s, imag);
        return Ok(());
    }
    if let Ok(t) = obj.downcast::<PyTensor>() {
        let t = t.borrow().t.clone();
        if t.ndim() == 0 && t.dtype().is_complex() {
            let (re, im) = complex_item(&t)?;
            *cat = Category::Complex;
            out.push(Scalar::Float(re), im);
            return Ok(());
        }
        if t.ndim() == 0 {
            let s = t.item()?;
            *cat = (*cat).max(s.category());
            out.push(s, 0.0);
            return Ok(());
        }
        let list = tolist(obj.py(), &t)?;
        return collect(&list, depth, shape, out, cat);
    }
    if obj.hasattr("__array_interface__")? {
        let list = obj.call_method0("tolist")?;
        return collect(&list, depth, shape, out, cat);
    }
    if obj.is_instance_of::<pyo3::types::PyInt>() {
        // `args::scalar` takes every int that fits int64; PyTorch unpacks into a C long long too.
        return Err(PyValueError::new_err("Overflow when unpacking long long"));
    }
    let is_seq = obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>();
    if !is_seq {
        return Err(PyTypeError::new_err(format!(
            "new(): invalid data type '{}'",
            obj.get_type().name()?
        )));
    }
    let len = obj.len()?;
    if depth == shape.len() {
        if !out.values.is_empty() {
            return Err(PyValueError::new_err(format!("expected a scalar at dim {depth} (got a sequence of length {len})")));
        }
        shape.push(len);
    } else if shape[depth] != len {
        return Err(PyValueError::new_err(format!("expected sequence of length {} at dim {} (got {})", shape[depth], depth, len)));
    }
    for item in obj.try_iter()? {
        collect(&item?, depth + 1, shape, out, cat)?;
    }
    if len == 0 && depth + 1 == shape.len() {
        // An empty innermost list fixes the shape at this depth.
    }
    Ok(())
}

fn tensor_from_scalars(vals: &[Scalar], shape: &[usize], dtype: DType) -> PyResult<Tensor> {
    if !dtype.is_float() {
        // A number outside an integer dtype's range is an error, not a wrapped element (float
        // dtypes take any number: too large becomes inf, as in PyTorch).
        for v in vals {
            if v.check_fits(dtype).is_err() {
                return Err(PyRuntimeError::new_err(format!("value cannot be converted to type {} without overflow", dtype.name())));
            }
        }
    }
    Ok(with_dtype!(dtype, T, Tensor::from_vec(vals.iter().map(|s| T::from_scalar(*s)).collect::<Vec<T>>(), shape))?)
}

/// `ferrotorch.tensor(data, dtype=None)`: always copies; infers dtype as PyTorch does
/// (bool < int64 < default float).
pub fn tensor_from_data(obj: &Bound<PyAny>, dtype: Option<DType>) -> PyResult<Tensor> {
    if let Ok(t) = obj.downcast::<PyTensor>() {
        let t = t.borrow().t.clone();
        return Ok(t.to_dtype_copy(dtype.unwrap_or(t.dtype()))?);
    }
    if obj.hasattr("__array_interface__")? && !obj.is_instance_of::<PyList>() {
        let t = from_numpy(obj)?;
        return Ok(t.to_dtype_copy(dtype.unwrap_or(t.dtype()))?);
    }
    let mut shape = vec![];
    let mut leaves = Leaves::default();
    let mut cat = Category::Bool;
    collect(obj, 0, &mut shape, &mut leaves, &mut cat)?;
    let inferred = if leaves.values.is_empty() {
        default_dtype()
    } else {
        match cat {
            Category::Bool => DType::Bool,
            Category::Int => DType::I64,
            Category::Float => default_dtype(),
            Category::Complex => default_dtype().to_complex().unwrap_or(DType::C64),
        }
    };
    let dtype = dtype.unwrap_or(inferred);
    if !dtype.is_complex() {
        if !leaves.imag.is_empty() {
            return Err(PyTypeError::new_err("must be real number, not complex"));
        }
        return tensor_from_scalars(&leaves.values, &shape, dtype);
    }
    // Parts in float64, then the complex dtype: exact for both complex64 and complex128.
    let re = tensor_from_scalars(&leaves.values, &shape, DType::F64)?;
    leaves.imag.resize(leaves.values.len(), 0.0);
    let im = Tensor::from_vec(leaves.imag, &shape)?;
    Ok(Tensor::complex_from_parts(&re, &im)?.to_dtype_copy(dtype)?)
}

/// The value of a one-element complex tensor.
pub fn complex_item(t: &Tensor) -> PyResult<(f64, f64)> {
    let parts = t.view_as_real()?.detach().to_device(crate::storage::Device::Cpu)?.to_vec::<f64>();
    Ok((parts[0], parts[1]))
}

// ------------------------------------------------------------------ numpy

fn dtype_from_typestr(typestr: &str) -> Option<DType> {
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

/// `from_numpy`: a tensor sharing the array's memory.
pub fn from_numpy(arr: &Bound<PyAny>) -> PyResult<Tensor> {
    let iface = arr.getattr("__array_interface__")?;
    let iface = iface.downcast::<PyDict>()?;
    let ts: String = iface.get_item("typestr")?.unwrap().extract()?;
    let dtype = dtype_from_typestr(&ts).ok_or_else(|| {
        let name = arr.getattr("dtype").and_then(|d| d.str()).map(|s| s.to_string()).unwrap_or(ts.clone());
        PyTypeError::new_err(format!(
            "can't convert np.ndarray of type numpy.{name}. The only supported types are: float64, float32, float16, complex64, complex128, int64, int32, int16, int8, uint8, and bool."
        ))
    })?;
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
