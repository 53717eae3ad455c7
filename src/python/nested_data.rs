//! `ferrotorch.tensor(data)` for nested Python data, in PyTorch's three steps (`tensor_new.cpp`):
//! 1. the shape, read along first elements (`[[1, 2], [3, 4]]` is 2 x 2);
//! 2. the dtype, unless given: the promotion of every leaf's own dtype, where Python bools, ints,
//!    floats and complex numbers count as bool, int64, the default float and complex dtypes, and
//!    numpy scalars and arrays and tensors as their own dtypes (`[np.int16(1), np.int8(2)]` is
//!    int16, `[np.float32(1), 2.0]` float32);
//! 3. every leaf converted to that dtype, checking that each sequence has the expected length.
//!
//! Any object with the sequence protocol nests (lists, tuples, ranges, numpy arrays, `array`,
//! user classes with `__len__` and `__getitem__`); a tensor inside the data is a leaf when it has
//! one element, whatever its number of dimensions. Errors carry PyTorch's classes and messages.
use crate::dtype::{default_dtype, promote_types, DType, Element, Scalar};
use crate::python::args;
use crate::python::convert::{complex_item, dtype_from_typestr, tolist, unsupported_numpy_dtype};
use crate::python::tensor::PyTensor;
use crate::tensor::Tensor;
use crate::with_dtype;
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyComplex, PyFloat, PyInt, PyList, PyString, PyTuple};

/// PyTorch's limit on the number of dimensions of nested data.
const MAX_DIMS: usize = 64;

/// A tensor of `dtype` (inferred when None) holding nested Python data; always a copy.
pub fn tensor_from_nested(obj: &Bound<PyAny>, dtype: Option<DType>) -> PyResult<Tensor> {
    if obj.is_instance_of::<PyString>() || obj.is_instance_of::<PyBytes>() {
        return Err(invalid_data_type(obj));
    }
    let shape = shape_of(obj)?;
    let dtype = match dtype {
        Some(d) => d,
        None => infer_dtype(obj)?,
    };
    let mut leaves = Leaves::default();
    // Like PyTorch, empty data is not walked: `[[], [1]]` is a 2 x 0 tensor.
    if shape.iter().product::<usize>() > 0 {
        store(obj, &shape, 0, dtype, &mut leaves)?;
    }
    leaves.into_tensor(&shape, dtype)
}

// ------------------------------------------------------------------ step 1: the shape

/// Whether nested data descends into `obj`: Python's sequence protocol, except tensors (a leaf
/// when they have one element, see `leaf`).
fn is_sequence(obj: &Bound<PyAny>) -> bool {
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        return true;
    }
    // SAFETY: `obj` is a valid object for as long as the borrow lasts; the call only reads its type.
    !obj.is_instance_of::<PyTensor>() && unsafe { pyo3::ffi::PySequence_Check(obj.as_ptr()) } == 1
}

fn shape_of(obj: &Bound<PyAny>) -> PyResult<Vec<usize>> {
    let mut shape = vec![];
    let mut seq = obj.clone();
    while is_sequence(&seq) {
        // A string's first element is a string again: PyTorch descends until its limit.
        if seq.is_instance_of::<PyString>() || shape.len() == MAX_DIMS {
            // (Indexing a str subclass gives a plain str, the type PyTorch's message names.)
            let name = if seq.is_instance_of::<PyString>() { "str".to_string() } else { type_name(&seq) };
            return Err(PyValueError::new_err(format!("too many dimensions '{name}'")));
        }
        // A 0-d numpy array raises numpy's "len() of unsized object" here, as in PyTorch.
        let len = seq.len()?;
        shape.push(len);
        if len == 0 {
            break;
        }
        seq = seq.get_item(0)?;
    }
    Ok(shape)
}

// ------------------------------------------------------------------ step 2: the dtype

fn infer_dtype(obj: &Bound<PyAny>) -> PyResult<DType> {
    // Exact Python floats first: the common leaf, and np.float64 (a subclass) has its own dtype.
    if obj.is_exact_instance_of::<PyFloat>() {
        return Ok(default_dtype());
    }
    if obj.is_instance_of::<PyBool>() {
        return Ok(DType::Bool);
    }
    if obj.is_instance_of::<PyInt>() {
        return Ok(DType::I64);
    }
    // Before floats: np.float64 is a Python float, yet keeps its own dtype.
    if let Some(d) = numpy_dtype(obj) {
        return d;
    }
    if obj.is_instance_of::<PyFloat>() {
        return Ok(default_dtype());
    }
    if obj.is_instance_of::<PyComplex>() {
        return Ok(default_complex());
    }
    if let Ok(t) = obj.downcast::<PyTensor>() {
        return Ok(t.borrow().t.dtype());
    }
    if obj.is_instance_of::<PyString>() || obj.is_instance_of::<PyBytes>() {
        return Err(invalid_data_type(obj));
    }
    if is_sequence(obj) {
        let mut dtype: Option<DType> = None;
        let mut promote = |item: &Bound<PyAny>| -> PyResult<()> {
            let d = infer_dtype(item)?;
            dtype = Some(dtype.map_or(d, |acc| promote_types(acc, d)));
            Ok(())
        };
        match obj.downcast::<PyList>() {
            Ok(list) => list.iter().try_for_each(|item| promote(&item))?,
            Err(_) => (0..obj.len()?).try_for_each(|i| promote(&obj.get_item(i)?))?,
        }
        // An empty sequence counts as the default dtype, as in numpy.
        return Ok(dtype.unwrap_or_else(default_dtype));
    }
    Err(PyRuntimeError::new_err(format!("Could not infer dtype of {}", type_name(obj))))
}

/// The dtype of a numpy scalar or array, None for other objects. numpy's unsigned 16-, 32- and
/// 64-bit integer scalars, which ferrotorch lacks, count as int64 (their values convert exactly,
/// or fail with an overflow error); arrays of them, and other dtypes ferrotorch lacks, are a
/// TypeError, as in `from_numpy`.
fn numpy_dtype(obj: &Bound<PyAny>) -> Option<PyResult<DType>> {
    let ty = obj.get_type();
    if !ty.module().is_ok_and(|m| m == "numpy") {
        return None;
    }
    let dtype = obj.getattr("dtype").ok()?;
    let typestr: String = dtype.getattr("str").ok()?.extract().ok()?;
    let is_array = ty.name().is_ok_and(|n| n == "ndarray");
    Some(match dtype_from_typestr(&typestr) {
        Some(d) => Ok(d),
        None if !is_array && matches!(&typestr[1..], "u2" | "u4" | "u8") => Ok(DType::I64),
        None => Err(unsupported_numpy_dtype(&dtype)),
    })
}

fn default_complex() -> DType {
    default_dtype().to_complex().unwrap_or(DType::C64)
}

// ------------------------------------------------------------------ step 3: the values

/// The leaves of nested data in row-major order: real numbers, plus one imaginary part per value
/// for a complex dtype.
#[derive(Default)]
struct Leaves {
    values: Vec<Scalar>,
    imag: Vec<f64>,
}

impl Leaves {
    fn into_tensor(self, shape: &[usize], dtype: DType) -> PyResult<Tensor> {
        if !dtype.is_complex() {
            return scalars_to_tensor(&self.values, shape, dtype);
        }
        // Parts in float64, then the complex dtype: exact for both complex64 and complex128.
        let re = scalars_to_tensor(&self.values, shape, DType::F64)?;
        let im = Tensor::from_vec(self.imag, shape)?;
        Ok(Tensor::complex_from_parts(&re, &im)?.to_dtype_copy(dtype)?)
    }
}

fn scalars_to_tensor(vals: &[Scalar], shape: &[usize], dtype: DType) -> PyResult<Tensor> {
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

fn store(obj: &Bound<PyAny>, shape: &[usize], dim: usize, dtype: DType, out: &mut Leaves) -> PyResult<()> {
    if dim == shape.len() {
        let (re, im) = leaf(obj, dtype)?;
        out.values.push(re);
        if dtype.is_complex() {
            out.imag.push(im);
        }
        return Ok(());
    }
    if let Ok(list) = obj.downcast::<PyList>() {
        check_length(list.len(), shape, dim)?;
        return list.iter().try_for_each(|item| store(&item, shape, dim + 1, dtype, out));
    }
    // Tensors and numpy arrays inside the data are read as Python lists, in one call each (a
    // 0-d array goes on to raise numpy's "len() of unsized object", as in PyTorch).
    if let Ok(t) = obj.downcast::<PyTensor>() {
        let list = tolist(obj.py(), &t.borrow().t)?;
        return store(&list, shape, dim, dtype, out);
    }
    if obj.get_type().module().is_ok_and(|m| m == "numpy") && obj.len().is_ok() {
        return store(&obj.call_method0("tolist")?, shape, dim, dtype, out);
    }
    if !is_sequence(obj) {
        return Err(PyTypeError::new_err("not a sequence"));
    }
    let len = obj.len()?;
    check_length(len, shape, dim)?;
    (0..len).try_for_each(|i| store(&obj.get_item(i)?, shape, dim + 1, dtype, out))
}

fn check_length(len: usize, shape: &[usize], dim: usize) -> PyResult<()> {
    if len != shape[dim] {
        return Err(PyValueError::new_err(format!("expected sequence of length {} at dim {} (got {})", shape[dim], dim, len)));
    }
    Ok(())
}

/// One element of the data as a `dtype` value: the real part, and the imaginary part for
/// complex dtypes (a complex number becomes a bool as "nonzero", never silently real).
fn leaf(obj: &Bound<PyAny>, dtype: DType) -> PyResult<(Scalar, f64)> {
    if let Some(s) = args::scalar(obj) {
        return Ok((s, 0.0));
    }
    if let Some((re, im)) = args::complex_scalar(obj) {
        return complex_leaf(obj, re, im, dtype);
    }
    if let Ok(t) = obj.downcast::<PyTensor>() {
        let t = t.borrow().t.clone();
        if t.numel() != 1 {
            return Err(if dtype.is_float() || dtype.is_complex() {
                PyValueError::new_err("only one element tensors can be converted to Python scalars")
            } else {
                PyTypeError::new_err("only integer tensors of a single element can be converted to an index")
            });
        }
        if !t.dtype().is_complex() {
            return Ok((t.item()?, 0.0));
        }
        let (re, im) = complex_item(&t)?;
        if !dtype.is_complex() && dtype != DType::Bool {
            return Err(PyRuntimeError::new_err("value cannot be converted to type double without overflow"));
        }
        return complex_leaf(obj, re, im, dtype);
    }
    if obj.is_instance_of::<PyInt>() {
        // `args::scalar` takes every int that fits int64; PyTorch unpacks into a C long long too.
        return Err(PyValueError::new_err("Overflow when unpacking long long"));
    }
    Err(not_a_number(obj, dtype))
}

fn complex_leaf(obj: &Bound<PyAny>, re: f64, im: f64, dtype: DType) -> PyResult<(Scalar, f64)> {
    if dtype.is_complex() {
        return Ok((Scalar::Float(re), im));
    }
    if dtype == DType::Bool {
        return Ok((Scalar::Bool(re != 0.0 || im != 0.0), 0.0));
    }
    // numpy's complex scalars convert to real numbers by dropping the imaginary part.
    if obj.get_type().module().is_ok_and(|m| m == "numpy") {
        return Ok((Scalar::Float(re), 0.0));
    }
    Err(not_a_number(obj, dtype))
}

/// What Python's own conversion says when an element is no number of `dtype`'s kind.
fn not_a_number(obj: &Bound<PyAny>, dtype: DType) -> PyErr {
    let name = obj.get_type().name().map(|n| n.to_string()).unwrap_or_default();
    if dtype.is_float() || dtype.is_complex() {
        PyTypeError::new_err(format!("must be real number, not {name}"))
    } else {
        PyTypeError::new_err(format!("'{name}' object cannot be interpreted as an integer"))
    }
}

fn invalid_data_type(obj: &Bound<PyAny>) -> PyErr {
    PyTypeError::new_err(format!("new(): invalid data type '{}'", type_name(obj)))
}

/// The type's name as C's `tp_name` spells it, which PyTorch's messages print: a class defined
/// in Python by its name, a type defined in C by its module and name (`decimal.Decimal`), a
/// builtin by its name.
pub(crate) fn type_name(obj: &Bound<PyAny>) -> String {
    let ty = obj.get_type();
    let name = ty.name().map(|n| n.to_string()).unwrap_or_default();
    // SAFETY: `ty` is a valid type object; the call only reads its flags.
    let heap = unsafe { pyo3::ffi::PyType_GetFlags(ty.as_type_ptr()) } & pyo3::ffi::Py_TPFLAGS_HEAPTYPE != 0;
    match ty.module() {
        Ok(m) if !heap && m != "builtins" => format!("{m}.{name}"),
        _ => name,
    }
}
