//! Bindings for the data-moving shape ops: cat/stack family, flip, roll, repeat, tile,
//! repeat_interleave, meshgrid, tril/triu, rot90, atleast_*.
use crate::ops::shape_ops;
use crate::python::args;
use crate::python::tensor::{tensor_tuple, PyResultT, PyTensor};
use crate::tensor::Tensor;
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

/// A sequence of tensors (`cat`'s first argument), with PyTorch's TypeErrors.
pub fn tensor_list(obj: &Bound<PyAny>, fname: &str) -> PyResult<Vec<Tensor>> {
    if obj.is_instance_of::<PyTensor>() || !(obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>()) {
        return Err(PyTypeError::new_err(format!(
            "{fname}(): argument 'tensors' (position 1) must be tuple of Tensors, not {}",
            obj.get_type().name()?
        )));
    }
    obj.try_iter()?
        .enumerate()
        .map(|(i, x)| {
            let x = x?;
            match x.downcast::<PyTensor>() {
                Ok(t) => Ok(t.borrow().t.clone()),
                Err(_) => Err(PyTypeError::new_err(format!(
                    "expected Tensor as element {i} in argument 0, but got {}",
                    x.get_type().name()?
                ))),
            }
        })
        .collect()
}

/// Varargs of tensors, or one list/tuple of them (`meshgrid(a, b)` and `meshgrid([a, b])`).
fn tensor_varargs(args: &Bound<PyTuple>, fname: &str) -> PyResult<Vec<Tensor>> {
    if args.len() == 1 {
        let a = args.get_item(0)?;
        if a.is_instance_of::<PyList>() || a.is_instance_of::<PyTuple>() {
            return tensor_list(&a, fname);
        }
    }
    tensor_list(args.as_any(), fname)
}

/// Returns `r`, or writes it into `out` (resizing `out` when its shape differs, as PyTorch
/// does) and returns `out`.
pub fn finish(py: Python, r: Tensor, out: Option<&Bound<PyTensor>>) -> PyResult<PyObject> {
    match out {
        None => Ok(Bound::new(py, PyTensor::new(r))?.into_any().unbind()),
        Some(o) => {
            {
                let mut ob = o.borrow_mut();
                if ob.t.dtype() != r.dtype() {
                    return Err(PyRuntimeError::new_err(format!(
                        "Expected out tensor to have dtype {}, but got {} instead",
                        r.dtype().cpp_name(),
                        ob.t.dtype().cpp_name()
                    )));
                }
                if ob.t.shape() == r.shape() {
                    ob.t.copy_(&r)?;
                } else {
                    if ob.t.numel() != 0 {
                        let message = py
                            .import("ferrotorch._runtime_flags")?
                            .call_method1("_resized_output_message", (ob.t.shape().to_vec(), r.shape().to_vec()))?;
                        crate::python::warn::user_warning(py, &message.extract::<String>()?)?;
                    }
                    ob.t = r;
                }
            }
            Ok(o.clone().into_any().unbind())
        }
    }
}

#[pymethods]
impl PyTensor {
    #[pyo3(signature = (*dims))]
    fn flip(&self, dims: &Bound<PyTuple>) -> PyResultT {
        Ok(PyTensor::new(self.t.flip(&args::sizes(dims, "flip", "dims")?)?))
    }
    fn fliplr(&self) -> PyResultT {
        Ok(PyTensor::new(self.t.fliplr()?))
    }
    fn flipud(&self) -> PyResultT {
        Ok(PyTensor::new(self.t.flipud()?))
    }
    #[pyo3(signature = (shifts, dims=None))]
    fn roll(&self, shifts: &Bound<PyAny>, dims: Option<&Bound<PyAny>>) -> PyResultT {
        let shifts = args::int_list(shifts)?;
        let dims = args::dims(dims)?.unwrap_or_default();
        Ok(PyTensor::new(self.t.roll(&shifts, &dims)?))
    }
    #[pyo3(signature = (*sizes))]
    fn repeat(&self, sizes: &Bound<PyTuple>) -> PyResultT {
        Ok(PyTensor::new(self.t.repeat(&args::sizes(sizes, "repeat", "repeats")?)?))
    }
    #[pyo3(signature = (*dims))]
    fn tile(&self, dims: &Bound<PyTuple>) -> PyResultT {
        Ok(PyTensor::new(self.t.tile(&args::sizes(dims, "tile", "dims")?)?))
    }
    #[pyo3(signature = (repeats, dim=None, *, output_size=None))]
    fn repeat_interleave(&self, repeats: &Bound<PyAny>, dim: Option<i64>, output_size: Option<i64>) -> PyResultT {
        if let Ok(r) = repeats.downcast::<PyTensor>() {
            return Ok(PyTensor::new(self.t.repeat_interleave_tensor(&r.borrow().t, dim, output_size)?));
        }
        let r = args::index_int(repeats)?;
        Ok(PyTensor::new(self.t.repeat_interleave(r, dim, output_size)?))
    }
    #[pyo3(signature = (diagonal=0))]
    fn tril(&self, diagonal: i64) -> PyResultT {
        Ok(PyTensor::new(self.t.tril(diagonal)?))
    }
    #[pyo3(signature = (diagonal=0))]
    fn triu(&self, diagonal: i64) -> PyResultT {
        Ok(PyTensor::new(self.t.triu(diagonal)?))
    }
    #[pyo3(signature = (diagonal=0))]
    fn tril_(slf: Bound<'_, Self>, diagonal: i64) -> PyResult<Bound<'_, Self>> {
        let r = slf.borrow().t.tril(diagonal)?;
        crate::autograd::inplace::commit(&mut slf.borrow_mut().t, &r)?;
        Ok(slf)
    }
    #[pyo3(signature = (diagonal=0))]
    fn triu_(slf: Bound<'_, Self>, diagonal: i64) -> PyResult<Bound<'_, Self>> {
        let r = slf.borrow().t.triu(diagonal)?;
        crate::autograd::inplace::commit(&mut slf.borrow_mut().t, &r)?;
        Ok(slf)
    }
    #[pyo3(signature = (k=1, dims=None))]
    fn rot90(&self, k: i64, dims: Option<&Bound<PyAny>>) -> PyResultT {
        let dims = args::dims(dims)?.unwrap_or_else(|| vec![0, 1]);
        Ok(PyTensor::new(self.t.rot90(k, &dims)?))
    }
}

#[pyfunction]
#[pyo3(signature = (tensors, dim=0, *, out=None))]
fn cat(py: Python, tensors: &Bound<PyAny>, dim: i64, out: Option<&Bound<PyTensor>>) -> PyResult<PyObject> {
    finish(py, shape_ops::cat(&tensor_list(tensors, "cat")?, dim)?, out)
}

#[pyfunction]
#[pyo3(signature = (tensors, dim=0, *, out=None))]
fn concat(py: Python, tensors: &Bound<PyAny>, dim: i64, out: Option<&Bound<PyTensor>>) -> PyResult<PyObject> {
    finish(py, shape_ops::cat(&tensor_list(tensors, "concat")?, dim)?, out)
}

#[pyfunction]
#[pyo3(signature = (tensors, axis=0, *, out=None))]
fn concatenate(py: Python, tensors: &Bound<PyAny>, axis: i64, out: Option<&Bound<PyTensor>>) -> PyResult<PyObject> {
    finish(py, shape_ops::cat(&tensor_list(tensors, "concatenate")?, axis)?, out)
}

#[pyfunction]
#[pyo3(signature = (tensors, dim=0, *, out=None))]
fn stack(py: Python, tensors: &Bound<PyAny>, dim: i64, out: Option<&Bound<PyTensor>>) -> PyResult<PyObject> {
    finish(py, shape_ops::stack(&tensor_list(tensors, "stack")?, dim)?, out)
}

macro_rules! list_fns {
    ($($name:ident => $f:path;)*) => {$(
        #[pyfunction]
        #[pyo3(signature = (tensors, *, out=None))]
        fn $name(py: Python, tensors: &Bound<PyAny>, out: Option<&Bound<PyTensor>>) -> PyResult<PyObject> {
            finish(py, $f(&tensor_list(tensors, stringify!($name))?)?, out)
        }
    )*};
}
list_fns! {
    hstack => shape_ops::hstack;
    vstack => shape_ops::vstack;
    row_stack => shape_ops::vstack;
    dstack => shape_ops::dstack;
    column_stack => shape_ops::column_stack;
}

#[pyfunction]
#[pyo3(signature = (*tensors, indexing=None))]
fn meshgrid<'py>(py: Python<'py>, tensors: &Bound<'py, PyTuple>, indexing: Option<&str>) -> PyResult<Bound<'py, PyTuple>> {
    let ts = tensor_varargs(tensors, "meshgrid")?;
    if indexing.is_none() {
        static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
        crate::python::warn::user_warning_once(py, &WARNED, "torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.")?;
    }
    tensor_tuple(py, shape_ops::meshgrid(&ts, indexing.unwrap_or("ij"))?)
}

/// `atleast_Nd(x)` returns a tensor; `atleast_Nd(x, y)` and `atleast_Nd([x, y])` a tuple.
fn atleast(py: Python, tensors: &Bound<PyTuple>, f: fn(&Tensor) -> crate::error::Result<Tensor>, name: &str) -> PyResult<PyObject> {
    if tensors.len() == 1 {
        if let Ok(t) = tensors.get_item(0)?.downcast::<PyTensor>() {
            let r = f(&t.borrow().t)?;
            return Ok(Bound::new(py, PyTensor::new(r))?.into_any().unbind());
        }
    }
    let ts = tensor_varargs(tensors, name)?;
    let rs: Vec<Tensor> = ts.iter().map(f).collect::<crate::error::Result<_>>()?;
    Ok(tensor_tuple(py, rs)?.into_any().unbind())
}

#[pyfunction]
#[pyo3(signature = (*tensors))]
fn atleast_1d(py: Python, tensors: &Bound<PyTuple>) -> PyResult<PyObject> {
    atleast(py, tensors, Tensor::atleast_1d, "atleast_1d")
}

#[pyfunction]
#[pyo3(signature = (*tensors))]
fn atleast_2d(py: Python, tensors: &Bound<PyTuple>) -> PyResult<PyObject> {
    atleast(py, tensors, Tensor::atleast_2d, "atleast_2d")
}

#[pyfunction]
#[pyo3(signature = (*tensors))]
fn atleast_3d(py: Python, tensors: &Bound<PyTuple>) -> PyResult<PyObject> {
    atleast(py, tensors, Tensor::atleast_3d, "atleast_3d")
}

/// `torch.repeat_interleave(input, repeats=None, dim=None, *, output_size=None)`; with no
/// `repeats`, `input` holds the counts.
#[pyfunction]
#[pyo3(signature = (input, repeats=None, dim=None, *, output_size=None))]
fn repeat_interleave(input: &Bound<PyAny>, repeats: Option<&Bound<PyAny>>, dim: Option<i64>, output_size: Option<i64>) -> PyResultT {
    let x = args::tensor(input, "repeat_interleave", "input")?;
    match repeats {
        None => Ok(PyTensor::new(shape_ops::repeat_interleave_counts(&x)?)),
        Some(r) => PyTensor::new(x).repeat_interleave(r, dim, output_size),
    }
}

pub fn register(m: &Bound<PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(cat, m)?)?;
    m.add_function(wrap_pyfunction!(concat, m)?)?;
    m.add_function(wrap_pyfunction!(concatenate, m)?)?;
    m.add_function(wrap_pyfunction!(stack, m)?)?;
    m.add_function(wrap_pyfunction!(hstack, m)?)?;
    m.add_function(wrap_pyfunction!(vstack, m)?)?;
    m.add_function(wrap_pyfunction!(row_stack, m)?)?;
    m.add_function(wrap_pyfunction!(dstack, m)?)?;
    m.add_function(wrap_pyfunction!(column_stack, m)?)?;
    m.add_function(wrap_pyfunction!(meshgrid, m)?)?;
    m.add_function(wrap_pyfunction!(atleast_1d, m)?)?;
    m.add_function(wrap_pyfunction!(atleast_2d, m)?)?;
    m.add_function(wrap_pyfunction!(atleast_3d, m)?)?;
    m.add_function(wrap_pyfunction!(repeat_interleave, m)?)?;
    Ok(())
}
