//! Bindings for matrix products and their relatives (`matmul`, `addmm`, `einsum`, ...).
//! The module-level forms that just call the method live in `ferrotorch/_shape.py`.
use crate::dtype::Scalar;
use crate::ops::matmul;
use crate::python::args;
use crate::python::shape_ops::{finish, tensor_list};
use crate::python::tensor::{PyResultT, PyTensor};
use crate::tensor::Tensor;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString, PyTuple};

fn factor(obj: &Bound<PyAny>, name: &str) -> PyResult<Scalar> {
    args::require_scalar(obj, name)
}

fn one() -> Scalar {
    Scalar::Int(1)
}

#[pymethods]
impl PyTensor {
    fn matmul(&self, other: &Bound<PyAny>) -> PyResultT {
        Ok(PyTensor::new(self.t.matmul(&args::tensor(other, "matmul", "other")?)?))
    }
    fn mm(&self, mat2: &Bound<PyAny>) -> PyResultT {
        Ok(PyTensor::new(self.t.mm(&args::tensor(mat2, "mm", "mat2")?)?))
    }
    fn bmm(&self, mat2: &Bound<PyAny>) -> PyResultT {
        Ok(PyTensor::new(self.t.bmm(&args::tensor(mat2, "bmm", "mat2")?)?))
    }
    fn mv(&self, vec: &Bound<PyAny>) -> PyResultT {
        Ok(PyTensor::new(self.t.mv(&args::tensor(vec, "mv", "vec")?)?))
    }
    fn dot(&self, other: &Bound<PyAny>) -> PyResultT {
        Ok(PyTensor::new(self.t.dot(&args::tensor(other, "dot", "tensor")?)?))
    }
    fn vdot(&self, other: &Bound<PyAny>) -> PyResultT {
        Ok(PyTensor::new(self.t.vdot(&args::tensor(other, "vdot", "other")?)?))
    }
    fn inner(&self, other: &Bound<PyAny>) -> PyResultT {
        Ok(PyTensor::new(self.t.inner(&args::tensor(other, "inner", "other")?)?))
    }
    fn outer(&self, vec2: &Bound<PyAny>) -> PyResultT {
        Ok(PyTensor::new(self.t.outer(&args::tensor(vec2, "outer", "vec2")?)?))
    }
    fn ger(&self, vec2: &Bound<PyAny>) -> PyResultT {
        Ok(PyTensor::new(self.t.outer(&args::tensor(vec2, "ger", "vec2")?)?))
    }
    fn kron(&self, other: &Bound<PyAny>) -> PyResultT {
        Ok(PyTensor::new(self.t.kron(&args::tensor(other, "kron", "other")?)?))
    }
    #[pyo3(signature = (mat1, mat2, *, beta=None, alpha=None))]
    fn addmm(&self, mat1: &Bound<PyAny>, mat2: &Bound<PyAny>, beta: Option<&Bound<PyAny>>, alpha: Option<&Bound<PyAny>>) -> PyResultT {
        let (m1, m2) = (args::tensor(mat1, "addmm", "mat1")?, args::tensor(mat2, "addmm", "mat2")?);
        let (b, a) = (beta.map(|b| factor(b, "beta")).transpose()?.unwrap_or(one()), alpha.map(|a| factor(a, "alpha")).transpose()?.unwrap_or(one()));
        Ok(PyTensor::new(self.t.addmm(&m1, &m2, b, a)?))
    }
    #[pyo3(signature = (mat, vec, *, beta=None, alpha=None))]
    fn addmv(&self, mat: &Bound<PyAny>, vec: &Bound<PyAny>, beta: Option<&Bound<PyAny>>, alpha: Option<&Bound<PyAny>>) -> PyResultT {
        let (m, v) = (args::tensor(mat, "addmv", "mat")?, args::tensor(vec, "addmv", "vec")?);
        let (b, a) = (beta.map(|b| factor(b, "beta")).transpose()?.unwrap_or(one()), alpha.map(|a| factor(a, "alpha")).transpose()?.unwrap_or(one()));
        Ok(PyTensor::new(self.t.addmv(&m, &v, b, a)?))
    }
    #[pyo3(signature = (batch1, batch2, *, beta=None, alpha=None))]
    fn baddbmm(&self, batch1: &Bound<PyAny>, batch2: &Bound<PyAny>, beta: Option<&Bound<PyAny>>, alpha: Option<&Bound<PyAny>>) -> PyResultT {
        let (b1, b2) = (args::tensor(batch1, "baddbmm", "batch1")?, args::tensor(batch2, "baddbmm", "batch2")?);
        let (b, a) = (beta.map(|b| factor(b, "beta")).transpose()?.unwrap_or(one()), alpha.map(|a| factor(a, "alpha")).transpose()?.unwrap_or(one()));
        Ok(PyTensor::new(self.t.baddbmm(&b1, &b2, b, a)?))
    }
    #[pyo3(signature = (batch1, batch2, *, beta=None, alpha=None))]
    fn addbmm(&self, batch1: &Bound<PyAny>, batch2: &Bound<PyAny>, beta: Option<&Bound<PyAny>>, alpha: Option<&Bound<PyAny>>) -> PyResultT {
        let (b1, b2) = (args::tensor(batch1, "addbmm", "batch1")?, args::tensor(batch2, "addbmm", "batch2")?);
        let (b, a) = (beta.map(|b| factor(b, "beta")).transpose()?.unwrap_or(one()), alpha.map(|a| factor(a, "alpha")).transpose()?.unwrap_or(one()));
        Ok(PyTensor::new(self.t.addbmm(&b1, &b2, b, a)?))
    }
    #[pyo3(signature = (mat1, mat2, *, beta=None, alpha=None))]
    fn addmm_<'py>(slf: Bound<'py, Self>, mat1: &Bound<PyAny>, mat2: &Bound<PyAny>, beta: Option<&Bound<PyAny>>, alpha: Option<&Bound<PyAny>>) -> PyResult<Bound<'py, Self>> {
        let r = slf.borrow().addmm(mat1, mat2, beta, alpha)?;
        crate::autograd::inplace::commit(&mut slf.borrow_mut().t, &r.t)?;
        Ok(slf)
    }
    #[pyo3(signature = (batch1, batch2, *, beta=None, alpha=None))]
    fn baddbmm_<'py>(slf: Bound<'py, Self>, batch1: &Bound<PyAny>, batch2: &Bound<PyAny>, beta: Option<&Bound<PyAny>>, alpha: Option<&Bound<PyAny>>) -> PyResult<Bound<'py, Self>> {
        let r = slf.borrow().baddbmm(batch1, batch2, beta, alpha)?;
        crate::autograd::inplace::commit(&mut slf.borrow_mut().t, &r.t)?;
        Ok(slf)
    }
    fn trace(&self) -> PyResultT {
        Ok(PyTensor::new(self.t.trace()?))
    }
    #[pyo3(signature = (diagonal=0))]
    fn diag(&self, diagonal: i64) -> PyResultT {
        Ok(PyTensor::new(self.t.diag(diagonal)?))
    }
    #[pyo3(signature = (offset=0, dim1=-2, dim2=-1))]
    fn diag_embed(&self, offset: i64, dim1: i64, dim2: i64) -> PyResultT {
        Ok(PyTensor::new(self.t.diag_embed(offset, dim1, dim2)?))
    }
}

/// `einsum(equation, *operands)`; operands may also come as one list.
#[pyfunction]
#[pyo3(signature = (equation, *operands))]
fn einsum(equation: &Bound<PyAny>, operands: &Bound<PyTuple>) -> PyResultT {
    let Ok(eq) = equation.downcast::<PyString>() else {
        return Err(PyTypeError::new_err("einsum(): the sublist format is not supported; pass an equation string"));
    };
    let eq = eq.to_str()?;
    let ops = if operands.len() == 1 && (operands.get_item(0)?.is_instance_of::<PyList>() || operands.get_item(0)?.is_instance_of::<PyTuple>()) {
        tensor_list(&operands.get_item(0)?, "einsum")?
    } else {
        tensor_list(operands.as_any(), "einsum")?
    };
    Ok(PyTensor::new(matmul::einsum(eq, &ops)?))
}

/// `tensordot(a, b, dims=2)`: `dims` is an int, a pair of dim lists, or a pair of ints.
#[pyfunction]
#[pyo3(signature = (a, b, dims=None, out=None))]
fn tensordot(py: Python, a: &Bound<PyAny>, b: &Bound<PyAny>, dims: Option<&Bound<PyAny>>, out: Option<&Bound<PyTensor>>) -> PyResult<PyObject> {
    let (ta, tb) = (args::tensor(a, "tensordot", "a")?, args::tensor(b, "tensordot", "b")?);
    let r: Tensor = match dims {
        None => ta.tensordot_n(&tb, 2)?,
        Some(d) if d.is_instance_of::<PyList>() || d.is_instance_of::<PyTuple>() || d.downcast::<PyTensor>().is_ok_and(|t| t.borrow().t.ndim() > 0) => {
            let parts: Vec<Bound<PyAny>> = d.try_iter()?.collect::<PyResult<_>>()?;
            if parts.len() != 2 {
                return Err(pyo3::exceptions::PyRuntimeError::new_err("tensordot expects dims to be a pair of lists of dims or an int"));
            }
            let (da, db) = (args::int_list(&parts[0])?, args::int_list(&parts[1])?);
            ta.tensordot(&tb, &da, &db)?
        }
        Some(d) => ta.tensordot_n(&tb, args::index_int(d)?)?,
    };
    finish(py, r, out)
}

pub fn register(m: &Bound<PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(einsum, m)?)?;
    m.add_function(wrap_pyfunction!(tensordot, m)?)?;
    Ok(())
}
