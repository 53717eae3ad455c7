//! Argument conventions shared by the bindings: PyTorch accepts sizes as varargs or one
//! sequence, dims as an int or a tuple, dtypes as `ferrotorch.dtype` objects or Python types.
use crate::dtype::{DType, Scalar};
use crate::ops::binary::Operand;
use crate::python::dtype::PyDType;
use crate::python::tensor::PyTensor;
use crate::tensor::Tensor;
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt, PyTuple};

/// Sizes given as `f(2, 3)` or `f((2, 3))` or `f([2, 3])` or `f(torch.Size([2, 3]))`: the
/// varargs of `func`'s int-list parameter `param`, with the messages of PyTorch's argument
/// parser for anything else.
pub fn sizes(args: &Bound<PyTuple>, func: &str, param: &str) -> PyResult<Vec<i64>> {
    if args.len() == 1 {
        return int_array(&args.get_item(0)?, func, param, Some(1));
    }
    if args.len() > 1 && index_int(&args.get_item(0)?).is_err() {
        return Err(PyTypeError::new_err(format!("{func}() takes 1 positional argument but {} were given", args.len())));
    }
    args.iter().enumerate().map(|(i, a)| index_int(&a).or_else(|_| Err(unpack_error(func, param, i, &a)))).collect()
}

/// One int-list argument of `func` (an int counts as a list of one); `position`: where it was
/// passed, None for a keyword.
pub fn int_array(obj: &Bound<PyAny>, func: &str, param: &str, position: Option<usize>) -> PyResult<Vec<i64>> {
    if let Ok(i) = index_int(obj) {
        return Ok(vec![i]);
    }
    let at = position.map(|p| format!(" (position {p})")).unwrap_or_default();
    let type_name = |o: &Bound<PyAny>| o.get_type().name().map(|n| n.to_string()).unwrap_or_default();
    let items = match obj.try_iter() {
        Ok(items) if !obj.is_instance_of::<pyo3::types::PyString>() => items,
        _ => return Err(PyTypeError::new_err(format!("{func}(): argument '{param}'{at} must be tuple of ints, not {}", type_name(obj)))),
    };
    items
        .enumerate()
        .map(|(i, x)| {
            let x = x?;
            index_int(&x).or_else(|_| {
                Err(if i == 0 {
                    PyTypeError::new_err(format!(
                        "{func}(): argument '{param}'{at} must be tuple of ints, but found element of type {} at pos 0",
                        type_name(&x)
                    ))
                } else {
                    unpack_error(func, param, i, &x)
                })
            })
        })
        .collect()
}

/// PyTorch's message for element `i` (0-based) of an int list that is not an int.
fn unpack_error(func: &str, param: &str, i: usize, item: &Bound<PyAny>) -> PyErr {
    PyTypeError::new_err(format!(
        "{func}(): argument '{param}' failed to unpack the object at pos {} with error \"type must be tuple of ints,but got {}\"",
        i + 1,
        item.get_type().name().map(|n| n.to_string()).unwrap_or_default()
    ))
}

pub fn int_list(obj: &Bound<PyAny>) -> PyResult<Vec<i64>> {
    if let Ok(i) = index_int(obj) {
        return Ok(vec![i]);
    }
    obj.try_iter()?.map(|x| index_int(&x?)).collect()
}

/// An int argument; accepts anything with `__index__` (numpy ints, 0-d int tensors), not floats.
pub fn index_int(obj: &Bound<PyAny>) -> PyResult<i64> {
    if obj.is_instance_of::<PyFloat>() {
        return Err(PyTypeError::new_err(format!("expected an integer, got float {}", obj)));
    }
    if let Ok(t) = obj.downcast::<PyTensor>() {
        let t = &t.borrow().t;
        if t.numel() == 1 && !t.dtype().is_float() {
            return Ok(t.item()?.to_i64());
        }
        return Err(PyTypeError::new_err("only integer tensors of a single element can be converted to an index"));
    }
    obj.extract::<i64>().or_else(|_| {
        Err(PyTypeError::new_err(format!("expected an integer, got {}", obj.get_type().name()?)))
    })
}

/// `dim=None | int | tuple of ints`.
pub fn dims(obj: Option<&Bound<PyAny>>) -> PyResult<Option<Vec<i64>>> {
    match obj {
        None => Ok(None),
        Some(o) if o.is_none() => Ok(None),
        Some(o) => Ok(Some(int_list(o)?)),
    }
}

/// `dtype=` accepts a ferrotorch dtype or the Python types bool/int/float.
pub fn dtype(obj: Option<&Bound<PyAny>>) -> PyResult<Option<DType>> {
    let Some(o) = obj else { return Ok(None) };
    if o.is_none() {
        return Ok(None);
    }
    if let Ok(d) = o.extract::<PyDType>() {
        return Ok(Some(d.0));
    }
    let py = o.py();
    if o.is(&py.get_type::<PyFloat>()) {
        return Ok(Some(DType::F64));
    }
    if o.is(&py.get_type::<PyBool>()) {
        return Ok(Some(DType::Bool));
    }
    if o.is(&py.get_type::<PyInt>()) {
        return Ok(Some(DType::I64));
    }
    if let Ok(s) = o.extract::<String>() {
        return Ok(Some(DType::from_name(&s)?));
    }
    Err(PyTypeError::new_err(format!("dtype must be a ferrotorch.dtype, not {}", o.get_type().name()?)))
}

/// A Python number as a Scalar (bool before int: bool is an int subclass). numpy scalars are
/// accepted through `__index__`/`__float__`.
pub fn scalar(obj: &Bound<PyAny>) -> Option<Scalar> {
    if obj.is_instance_of::<PyBool>() {
        return obj.extract::<bool>().ok().map(Scalar::Bool);
    }
    if obj.is_instance_of::<PyInt>() {
        return obj.extract::<i64>().ok().map(Scalar::Int);
    }
    if obj.is_instance_of::<PyFloat>() {
        return obj.extract::<f64>().ok().map(Scalar::Float);
    }
    // numpy scalars: np.bool_, np.int*, np.float*
    let ty = obj.get_type();
    let module = ty.module().ok()?;
    if module.to_str().ok()? != "numpy" {
        return None;
    }
    let kind: String = obj.getattr("dtype").ok()?.getattr("kind").ok()?.extract().ok()?;
    match kind.as_str() {
        "b" => obj.extract::<bool>().ok().map(Scalar::Bool),
        "i" | "u" => obj.call_method0("__index__").ok()?.extract::<i64>().ok().map(Scalar::Int),
        "f" => obj.call_method0("__float__").ok()?.extract::<f64>().ok().map(Scalar::Float),
        _ => None,
    }
}

/// A scalar argument where only numbers make sense (`fill_value`, `alpha`).
pub fn require_scalar(obj: &Bound<PyAny>, what: &str) -> PyResult<Scalar> {
    if let Some(s) = scalar(obj) {
        return Ok(s);
    }
    if let Ok(t) = obj.downcast::<PyTensor>() {
        let t = &t.borrow().t;
        if t.numel() == 1 {
            return Ok(t.item()?);
        }
    }
    if obj.is_instance_of::<PyInt>() {
        return Err(PyRuntimeError::new_err("Overflow when unpacking long"));
    }
    Err(PyTypeError::new_err(format!("{what} must be a number, not {}", obj.get_type().name()?)))
}

/// A Python or numpy complex number as (real, imaginary).
pub fn complex_scalar(obj: &Bound<PyAny>) -> Option<(f64, f64)> {
    if let Ok(c) = obj.downcast::<pyo3::types::PyComplex>() {
        return Some((c.real(), c.imag()));
    }
    let ty = obj.get_type();
    if ty.module().ok()?.to_str().ok()? != "numpy" {
        return None;
    }
    let kind: String = obj.getattr("dtype").ok()?.getattr("kind").ok()?.extract().ok()?;
    if kind != "c" {
        return None;
    }
    Some((obj.getattr("real").ok()?.extract().ok()?, obj.getattr("imag").ok()?.extract().ok()?))
}

/// The dtype a Python complex number promotes as: a 0-d tensor of the default complex dtype.
/// (PyTorch keeps it a "wrapped number"; a 0-d tensor promotes the same way except against 0-d
/// float64 tensors.)
fn default_complex() -> crate::dtype::DType {
    crate::dtype::default_dtype().to_complex().unwrap_or(crate::dtype::DType::C64)
}

/// A complex number as a 0-d tensor of `dtype`, from its exact double parts.
fn complex_operand(re: f64, im: f64, dtype: crate::dtype::DType) -> PyResult<Tensor> {
    let parts = [Tensor::scalar(Scalar::Float(re), crate::dtype::DType::F64)?, Tensor::scalar(Scalar::Float(im), crate::dtype::DType::F64)?];
    Ok(Tensor::complex_from_parts(&parts[0], &parts[1])?.to_dtype_copy(dtype)?)
}

/// `operand`, with a complex number made directly in the dtype of its result with `partner`
/// (so `z128 * 0.1j` keeps double precision instead of passing through complex64).
pub fn operand_for(obj: &Bound<PyAny>, partner: &Tensor) -> PyResult<Option<OperandArg>> {
    if let Some((re, im)) = complex_scalar(obj) {
        use crate::dtype::PromoteArg;
        let dtype = crate::dtype::result_type(&[
            PromoteArg::Tensor { dtype: partner.dtype(), zero_dim: partner.ndim() == 0 },
            PromoteArg::Tensor { dtype: default_complex(), zero_dim: true },
        ]);
        return Ok(Some(OperandArg::Tensor(complex_operand(re, im, dtype)?)));
    }
    operand(obj)
}

/// `require_operand` with `operand_for`'s handling of complex numbers.
pub fn require_operand_for(obj: &Bound<PyAny>, fname: &str, arg: &str, partner: &Tensor) -> PyResult<OperandArg> {
    match operand_for(obj, partner)? {
        Some(o) => Ok(o),
        None => require_operand(obj, fname, arg),
    }
}

/// A complex fill value (a Python/numpy complex number, or a 0-d complex tensor) as a 0-d complex
/// tensor to be cast to `target` (None: the default complex dtype); None for any other value.
/// A real `target` cannot hold it: PyTorch's overflow error.
pub fn complex_value(obj: &Bound<PyAny>, target: Option<crate::dtype::DType>) -> PyResult<Option<Tensor>> {
    let value = if let Some((re, im)) = complex_scalar(obj) {
        complex_operand(re, im, target.filter(|d| d.is_complex()).unwrap_or_else(default_complex))?
    } else if let Ok(t) = obj.downcast::<PyTensor>() {
        let t = t.borrow().t.clone();
        if !(t.dtype().is_complex() && t.ndim() == 0) {
            return Ok(None);
        }
        t
    } else {
        return Ok(None);
    };
    let dtype = target.unwrap_or(value.dtype());
    if !dtype.is_complex() {
        return Err(PyRuntimeError::new_err(format!("value cannot be converted to type {} without overflow", dtype.cpp_name())));
    }
    Ok(Some(value.to_dtype_copy(dtype)?))
}

/// Owned version of `Operand` for arguments that may be tensors or numbers.
pub enum OperandArg {
    Tensor(Tensor),
    Scalar(Scalar),
}

impl OperandArg {
    pub fn as_operand(&self) -> Operand<'_> {
        match self {
            OperandArg::Tensor(t) => Operand::Tensor(t),
            OperandArg::Scalar(s) => Operand::Scalar(*s),
        }
    }
}

/// The other side of an operator: a tensor, a number, or (like PyTorch) nothing else.
pub fn operand(obj: &Bound<PyAny>) -> PyResult<Option<OperandArg>> {
    if let Ok(t) = obj.downcast::<PyTensor>() {
        return Ok(Some(OperandArg::Tensor(t.borrow().t.clone())));
    }
    if let Some(s) = scalar(obj) {
        return Ok(Some(OperandArg::Scalar(s)));
    }
    if let Some((re, im)) = complex_scalar(obj) {
        return Ok(Some(OperandArg::Tensor(complex_operand(re, im, default_complex())?)));
    }
    if obj.is_instance_of::<PyInt>() {
        return Err(PyRuntimeError::new_err("Overflow when unpacking long"));
    }
    Ok(None)
}

/// Like `operand`, but a non-number non-tensor is a TypeError naming the argument.
pub fn require_operand(obj: &Bound<PyAny>, fname: &str, arg: &str) -> PyResult<OperandArg> {
    operand(obj)?.ok_or_else(|| {
        PyTypeError::new_err(format!(
            "{fname}(): argument '{arg}' must be Tensor or Number, not {}",
            obj.get_type().name().map(|n| n.to_string()).unwrap_or_default()
        ))
    })
}

/// A tensor argument (also accepts numbers and nested lists, converted like `tensor()`).
pub fn tensor_like(obj: &Bound<PyAny>) -> PyResult<Tensor> {
    if let Ok(t) = obj.downcast::<PyTensor>() {
        return Ok(t.borrow().t.clone());
    }
    crate::python::convert::tensor_from_data(obj, None)
}

/// A tensor argument that must be a Tensor (PyTorch's TypeError otherwise).
pub fn tensor(obj: &Bound<PyAny>, fname: &str, arg: &str) -> PyResult<Tensor> {
    if let Ok(t) = obj.downcast::<PyTensor>() {
        return Ok(t.borrow().t.clone());
    }
    Err(PyTypeError::new_err(format!(
        "{fname}(): argument '{arg}' (position 1) must be Tensor, not {}",
        obj.get_type().name()?
    )))
}

/// The strides a result "like" `input` gets for `memory_format` (a `torch.memory_format`
/// constant, None meaning `preserve_format`): `input`'s own strides when it is dense but permuted
/// and the format is preserved, the channels-last strides when asked for, and None for plain
/// row-major.
pub fn memory_format_strides(input: &Tensor, memory_format: Option<&Bound<PyAny>>) -> PyResult<Option<Vec<usize>>> {
    let name = match memory_format {
        Some(m) if !m.is_none() => m.getattr("_name").and_then(|n| n.extract::<String>()).map_err(|_| {
            let kind = m.get_type().name().map(|n| n.to_string()).unwrap_or_default();
            PyTypeError::new_err(format!("argument 'memory_format' must be torch.memory_format, not {kind}"))
        })?,
        _ => "preserve_format".to_string(),
    };
    let (rank, order): (usize, &[usize]) = match name.as_str() {
        "preserve_format" => return Ok(input.dense_permuted_strides()),
        "contiguous_format" => return Ok(None),
        "channels_last" => (4, &[0, 2, 3, 1]),
        "channels_last_3d" => (5, &[0, 2, 3, 4, 1]),
        other => return Err(PyRuntimeError::new_err(format!("unsupported memory format {other}"))),
    };
    if input.ndim() != rank {
        return Err(PyRuntimeError::new_err(format!("required rank {rank} tensor to use {name} format")));
    }
    // Row-major strides of the channels-last (N, spatial..., C) arrangement, moved back to NC... order.
    let permuted: Vec<usize> = order.iter().map(|&d| input.shape()[d]).collect();
    let row_major = crate::shape::contiguous_strides(&permuted);
    let mut strides = vec![0; rank];
    for (i, &d) in order.iter().enumerate() {
        strides[d] = row_major[i];
    }
    Ok(Some(strides))
}
