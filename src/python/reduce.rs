//! Reductions, scans and sorts as Tensor methods. The module-level functions
//! (`ferrotorch.sum(x, ...)`) are thin Python wrappers in `_reduce.py`.
use crate::dtype::DType;
use crate::error::Error;
use crate::python::args;
use crate::python::tensor::{PyResultT, PyTensor};
use crate::tensor::Tensor;
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyString, PyTuple};

/// Builds `ferrotorch.return_types.<name>(a, b)` (PyTorch's named tuples).
fn named_pair(py: Python, name: &str, pair: (Tensor, Tensor)) -> PyResult<PyObject> {
    let cls = py.import("ferrotorch.return_types")?.getattr(name)?;
    Ok(cls.call1((PyTensor::new(pair.0), PyTensor::new(pair.1)))?.unbind())
}

fn opt_dtype(d: Option<&Bound<PyAny>>) -> PyResult<Option<DType>> {
    args::dtype(d)
}

fn single_dim(dim: &Bound<PyAny>) -> PyResult<i64> {
    args::index_int(dim)
}

/// (dims, correction) from var/std's `unbiased` and `correction` arguments (`dim` may hold `unbiased`
/// when called as `x.var(False)`), after PyTorch's degrees-of-freedom warning for `name`.
fn var_args(
    py: Python,
    name: &str,
    t: &Tensor,
    dim: Option<&Bound<PyAny>>,
    unbiased: Option<bool>,
    correction: Option<&Bound<PyAny>>,
) -> PyResult<(Option<Vec<i64>>, f64)> {
    let (dims, unbiased) = match dim {
        Some(d) if d.is_instance_of::<PyBool>() => (None, Some(d.extract::<bool>()?).or(unbiased)),
        d => (args::dims(d)?, unbiased),
    };
    if unbiased.is_some() && correction.is_some_and(|c| !c.is_none()) {
        return Err(PyRuntimeError::new_err("Cannot specify both unbiased and correction"));
    }
    let corr = match correction {
        Some(c) if !c.is_none() => c.extract::<f64>()?,
        _ => {
            if unbiased.unwrap_or(true) {
                1.0
            } else {
                0.0
            }
        }
    };
    warn_nonpositive_dof(py, name, t, dims.as_deref(), corr)?;
    Ok((dims, corr))
}

/// PyTorch's warning (on every call) when var/std would divide by a non-positive number of
/// degrees of freedom: `correction` at least the count of elements each result averages.
fn warn_nonpositive_dof(py: Python, name: &str, t: &Tensor, dims: Option<&[i64]>, correction: f64) -> PyResult<()> {
    let count = match dims {
        Some(d) if !d.is_empty() => {
            let Ok(axes) = d.iter().map(|&x| crate::shape::normalize_dim(x, t.ndim())).collect::<crate::error::Result<Vec<_>>>() else {
                return Ok(()); // the op itself reports the bad dim
            };
            axes.iter().map(|&a| t.shape()[a]).product::<usize>()
        }
        _ => t.numel(),
    };
    if count as f64 - correction <= 0.0 {
        crate::python::warn::user_warning(
            py,
            &format!("{name}(): degrees of freedom is <= 0. Correction should be strictly less than the reduction factor (input numel divided by output numel)."),
        )?;
    }
    Ok(())
}

/// `p` of a vector `norm`: a number, None (2-norm), or 'fro' ('nuc' is handled by `norm`).
fn norm_p(p: Option<&Bound<PyAny>>) -> PyResult<f64> {
    let Some(p) = p else { return Ok(2.0) };
    if p.is_none() {
        return Ok(2.0);
    }
    if let Ok(s) = p.downcast::<PyString>() {
        return match s.to_str()? {
            "fro" => Ok(2.0),
            other => Err(PyRuntimeError::new_err(format!("norm(): invalid p value '{other}'"))),
        };
    }
    p.extract::<f64>().map_err(|_| PyTypeError::new_err(format!("norm(): argument 'p' must be Number or str, not {}", p.get_type().name().map(|n| n.to_string()).unwrap_or_default())))
}

fn tuple3<'py>(py: Python<'py>, first: Tensor, rest: Vec<Tensor>) -> PyResult<PyObject> {
    if rest.is_empty() {
        return Ok(Bound::new(py, PyTensor::new(first))?.into_any().unbind());
    }
    let mut items = vec![Bound::new(py, PyTensor::new(first))?.into_any()];
    for t in rest {
        items.push(Bound::new(py, PyTensor::new(t))?.into_any());
    }
    Ok(PyTuple::new(py, items)?.into_any().unbind())
}

#[pymethods]
impl PyTensor {
    #[pyo3(signature = (dim=None, keepdim=false, *, dtype=None))]
    fn sum(&self, dim: Option<&Bound<PyAny>>, keepdim: bool, dtype: Option<&Bound<PyAny>>) -> PyResultT {
        Ok(PyTensor::new(self.t.sum(args::dims(dim)?.as_deref(), keepdim, opt_dtype(dtype)?)?))
    }
    #[pyo3(signature = (dim=None, keepdim=false, *, dtype=None))]
    fn nansum(&self, dim: Option<&Bound<PyAny>>, keepdim: bool, dtype: Option<&Bound<PyAny>>) -> PyResultT {
        Ok(PyTensor::new(self.t.nansum(args::dims(dim)?.as_deref(), keepdim, opt_dtype(dtype)?)?))
    }
    #[pyo3(signature = (dim=None, keepdim=false, *, dtype=None))]
    fn mean(&self, dim: Option<&Bound<PyAny>>, keepdim: bool, dtype: Option<&Bound<PyAny>>) -> PyResultT {
        Ok(PyTensor::new(self.t.mean(args::dims(dim)?.as_deref(), keepdim, opt_dtype(dtype)?)?))
    }
    #[pyo3(signature = (dim=None, keepdim=false, *, dtype=None))]
    fn nanmean(&self, dim: Option<&Bound<PyAny>>, keepdim: bool, dtype: Option<&Bound<PyAny>>) -> PyResultT {
        Ok(PyTensor::new(self.t.nanmean(args::dims(dim)?.as_deref(), keepdim, opt_dtype(dtype)?)?))
    }
    #[pyo3(signature = (dim=None, keepdim=false, *, dtype=None))]
    fn prod(&self, dim: Option<&Bound<PyAny>>, keepdim: bool, dtype: Option<&Bound<PyAny>>) -> PyResultT {
        let d = match dim {
            Some(d) if !d.is_none() => Some(vec![single_dim(d)?]),
            _ => None,
        };
        Ok(PyTensor::new(self.t.prod(d.as_deref(), keepdim, opt_dtype(dtype)?)?))
    }

    /// `max()`, `max(dim, keepdim=False)` (named tuple) or `max(other)` (elementwise).
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn max(&self, py: Python, dim: Option<&Bound<PyAny>>, keepdim: bool) -> PyResult<PyObject> {
        self.extreme(py, dim, keepdim, true)
    }
    /// `min()`, `min(dim, keepdim=False)` (named tuple) or `min(other)` (elementwise).
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn min(&self, py: Python, dim: Option<&Bound<PyAny>>, keepdim: bool) -> PyResult<PyObject> {
        self.extreme(py, dim, keepdim, false)
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn amax(&self, dim: Option<&Bound<PyAny>>, keepdim: bool) -> PyResultT {
        Ok(PyTensor::new(self.t.amax(args::dims(dim)?.as_deref(), keepdim)?))
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn amin(&self, dim: Option<&Bound<PyAny>>, keepdim: bool) -> PyResultT {
        Ok(PyTensor::new(self.t.amin(args::dims(dim)?.as_deref(), keepdim)?))
    }
    #[pyo3(signature = (*, dim=None, keepdim=false))]
    fn aminmax(&self, py: Python, dim: Option<&Bound<PyAny>>, keepdim: bool) -> PyResult<PyObject> {
        let d = match dim {
            Some(d) if !d.is_none() => Some(single_dim(d)?),
            _ => None,
        };
        named_pair(py, "aminmax", self.t.aminmax(d, keepdim)?)
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn argmax(&self, dim: Option<i64>, keepdim: bool) -> PyResultT {
        Ok(PyTensor::new(self.t.argmax(dim, keepdim)?))
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn argmin(&self, dim: Option<i64>, keepdim: bool) -> PyResultT {
        Ok(PyTensor::new(self.t.argmin(dim, keepdim)?))
    }

    #[pyo3(signature = (dim=None, unbiased=None, keepdim=false, *, correction=None))]
    fn var(&self, py: Python, dim: Option<&Bound<PyAny>>, unbiased: Option<bool>, keepdim: bool, correction: Option<&Bound<PyAny>>) -> PyResultT {
        let (d, c) = var_args(py, "var", &self.t, dim, unbiased, correction)?;
        Ok(PyTensor::new(self.t.var(d.as_deref(), c, keepdim)?))
    }
    #[pyo3(signature = (dim=None, unbiased=None, keepdim=false, *, correction=None))]
    fn std(&self, py: Python, dim: Option<&Bound<PyAny>>, unbiased: Option<bool>, keepdim: bool, correction: Option<&Bound<PyAny>>) -> PyResultT {
        let (d, c) = var_args(py, "std", &self.t, dim, unbiased, correction)?;
        Ok(PyTensor::new(self.t.std(d.as_deref(), c, keepdim)?))
    }
    /// Backs `ferrotorch.var_mean` (PyTorch has no such method).
    #[pyo3(signature = (dim=None, unbiased=None, keepdim=false, *, correction=None))]
    fn _var_mean<'py>(&self, py: Python<'py>, dim: Option<&Bound<PyAny>>, unbiased: Option<bool>, keepdim: bool, correction: Option<&Bound<PyAny>>) -> PyResult<PyObject> {
        let (d, c) = var_args(py, "var_mean", &self.t, dim, unbiased, correction)?;
        let (a, b) = self.t.var_mean(d.as_deref(), c, keepdim)?;
        tuple3(py, a, vec![b])
    }
    /// Backs `ferrotorch.std_mean`.
    #[pyo3(signature = (dim=None, unbiased=None, keepdim=false, *, correction=None))]
    fn _std_mean<'py>(&self, py: Python<'py>, dim: Option<&Bound<PyAny>>, unbiased: Option<bool>, keepdim: bool, correction: Option<&Bound<PyAny>>) -> PyResult<PyObject> {
        let (d, c) = var_args(py, "std_mean", &self.t, dim, unbiased, correction)?;
        let (a, b) = self.t.std_mean(d.as_deref(), c, keepdim)?;
        tuple3(py, a, vec![b])
    }
    #[pyo3(signature = (dim, keepdim=false))]
    fn logsumexp(&self, dim: &Bound<PyAny>, keepdim: bool) -> PyResultT {
        Ok(PyTensor::new(self.t.logsumexp(Some(&args::int_list(dim)?), keepdim)?))
    }
    #[pyo3(signature = (p=None, dim=None, keepdim=false, dtype=None))]
    fn norm<'py>(slf: &Bound<'py, Self>, p: Option<&Bound<'py, PyAny>>, dim: Option<&Bound<'py, PyAny>>, keepdim: bool, dtype: Option<&Bound<'py, PyAny>>) -> PyResult<PyObject> {
        let py = slf.py();
        if let Some(s) = p.and_then(|p| p.downcast::<PyString>().ok()) {
            if s.to_str()? == "nuc" {
                // The nuclear norm is a matrix norm (an SVD), composed in Python by linalg.
                let nuclear = py.import("ferrotorch._reduce")?.getattr("_nuclear_norm")?;
                return Ok(nuclear.call1((slf, dim, keepdim, dtype))?.unbind());
            }
        }
        let t = slf.borrow().t.vector_norm(norm_p(p)?, args::dims(dim)?.as_deref(), keepdim, opt_dtype(dtype)?)?;
        Ok(Bound::new(py, PyTensor::new(t))?.into_any().unbind())
    }
    /// Backs `ferrotorch.linalg.vector_norm`.
    #[pyo3(signature = (ord=2.0, dim=None, keepdim=false, *, dtype=None))]
    fn _vector_norm(&self, ord: f64, dim: Option<&Bound<PyAny>>, keepdim: bool, dtype: Option<&Bound<PyAny>>) -> PyResultT {
        Ok(PyTensor::new(self.t.vector_norm(ord, args::dims(dim)?.as_deref(), keepdim, opt_dtype(dtype)?)?))
    }

    #[pyo3(signature = (dim=None, keepdim=false))]
    fn all(&self, dim: Option<&Bound<PyAny>>, keepdim: bool) -> PyResultT {
        Ok(PyTensor::new(self.t.all(args::dims(dim)?.as_deref(), keepdim)?))
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn any(&self, dim: Option<&Bound<PyAny>>, keepdim: bool) -> PyResultT {
        Ok(PyTensor::new(self.t.any(args::dims(dim)?.as_deref(), keepdim)?))
    }
    #[pyo3(signature = (dim=None))]
    fn count_nonzero(&self, dim: Option<&Bound<PyAny>>) -> PyResultT {
        Ok(PyTensor::new(self.t.count_nonzero(args::dims(dim)?.as_deref())?))
    }

    #[pyo3(signature = (dim, *, dtype=None))]
    fn cumsum(&self, dim: i64, dtype: Option<&Bound<PyAny>>) -> PyResultT {
        Ok(PyTensor::new(self.t.cumsum(dim, opt_dtype(dtype)?)?))
    }
    #[pyo3(signature = (dim, *, dtype=None))]
    fn cumprod(&self, dim: i64, dtype: Option<&Bound<PyAny>>) -> PyResultT {
        Ok(PyTensor::new(self.t.cumprod(dim, opt_dtype(dtype)?)?))
    }
    fn cummax(&self, py: Python, dim: i64) -> PyResult<PyObject> {
        named_pair(py, "cummax", self.t.cummax(dim)?)
    }
    fn cummin(&self, py: Python, dim: i64) -> PyResult<PyObject> {
        named_pair(py, "cummin", self.t.cummin(dim)?)
    }

    /// Always stable, so `stable` only documents intent.
    #[pyo3(signature = (dim=-1, descending=false, *, stable=false))]
    fn sort(&self, py: Python, dim: i64, descending: bool, stable: bool) -> PyResult<PyObject> {
        let _ = stable;
        named_pair(py, "sort", self.t.sort(dim, descending)?)
    }
    #[pyo3(signature = (dim=-1, descending=false, *, stable=false))]
    fn argsort(&self, dim: i64, descending: bool, stable: bool) -> PyResultT {
        let _ = stable;
        Ok(PyTensor::new(self.t.argsort(dim, descending)?))
    }
    /// Results are always sorted; `sorted=False` allows any order, so that is conforming.
    #[pyo3(signature = (k, dim=-1, largest=true, sorted=true))]
    fn topk(&self, py: Python, k: i64, dim: i64, largest: bool, sorted: bool) -> PyResult<PyObject> {
        let _ = sorted;
        named_pair(py, "topk", self.t.topk(k, dim, largest)?)
    }
    #[pyo3(signature = (k, dim=-1, keepdim=false))]
    fn kthvalue(&self, py: Python, k: i64, dim: i64, keepdim: bool) -> PyResult<PyObject> {
        named_pair(py, "kthvalue", self.t.kthvalue(k, dim, keepdim)?)
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn median(&self, py: Python, dim: Option<i64>, keepdim: bool) -> PyResult<PyObject> {
        match dim {
            None => Ok(Bound::new(py, PyTensor::new(self.t.median_all(false)?))?.into_any().unbind()),
            Some(d) => named_pair(py, "median", self.t.median_dim(d, keepdim, false)?),
        }
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn nanmedian(&self, py: Python, dim: Option<i64>, keepdim: bool) -> PyResult<PyObject> {
        match dim {
            None => Ok(Bound::new(py, PyTensor::new(self.t.median_all(true)?))?.into_any().unbind()),
            Some(d) => named_pair(py, "nanmedian", self.t.median_dim(d, keepdim, true)?),
        }
    }
    /// `unique`: the result is always sorted (as PyTorch's CPU kernel returns it).
    #[pyo3(signature = (sorted=true, return_inverse=false, return_counts=false, dim=None))]
    fn unique(&self, py: Python, sorted: bool, return_inverse: bool, return_counts: bool, dim: Option<i64>) -> PyResult<PyObject> {
        let _ = sorted;
        self.unique_impl(py, return_inverse, return_counts, dim, false)
    }
    #[pyo3(signature = (return_inverse=false, return_counts=false, dim=None))]
    fn unique_consecutive(&self, py: Python, return_inverse: bool, return_counts: bool, dim: Option<i64>) -> PyResult<PyObject> {
        self.unique_impl(py, return_inverse, return_counts, dim, true)
    }
}

impl PyTensor {
    fn extreme(&self, py: Python, dim: Option<&Bound<PyAny>>, keepdim: bool, max: bool) -> PyResult<PyObject> {
        let tensor_result = |t: Tensor| -> PyResult<PyObject> { Ok(Bound::new(py, PyTensor::new(t))?.into_any().unbind()) };
        let Some(dim) = dim.filter(|d| !d.is_none()) else {
            return tensor_result(if max { self.t.max_all()? } else { self.t.min_all()? });
        };
        if let Ok(other) = dim.downcast::<PyTensor>() {
            let op = if max { crate::ops::binary::BinaryOp::Maximum } else { crate::ops::binary::BinaryOp::Minimum };
            return tensor_result(self.t.binary(&other.borrow().t, op)?);
        }
        let d = single_dim(dim)?;
        if max {
            named_pair(py, "max", self.t.max_dim(d, keepdim)?)
        } else {
            named_pair(py, "min", self.t.min_dim(d, keepdim)?)
        }
    }

    fn unique_impl(&self, py: Python, inverse: bool, counts: bool, dim: Option<i64>, consecutive: bool) -> PyResult<PyObject> {
        let (v, i, c) = self.t.unique(dim, consecutive).map_err(|e: Error| PyErr::from(e))?;
        let mut rest = vec![];
        if inverse {
            rest.push(i);
        }
        if counts {
            rest.push(c);
        }
        tuple3(py, v, rest)
    }
}

/// `torch.searchsorted` once the Python wrapper has settled `side`/`right` and turned a number
/// `input` into a 0-d tensor.
#[pyfunction]
#[pyo3(signature = (sorted_sequence, input, right, out_int32, sorter=None))]
fn _searchsorted(sorted_sequence: &Bound<PyAny>, input: &Bound<PyAny>, right: bool, out_int32: bool, sorter: Option<&Bound<PyAny>>) -> PyResultT {
    let boundaries = args::tensor(sorted_sequence, "searchsorted", "sorted_sequence")?;
    let values = args::tensor(input, "searchsorted", "input")?;
    let sorter = sorter.filter(|s| !s.is_none()).map(|s| args::tensor(s, "searchsorted", "sorter")).transpose()?;
    Ok(PyTensor::new(boundaries.searchsorted(&values, right, out_int32, sorter.as_ref())?))
}

/// `torch.bucketize` (`input` already a tensor).
#[pyfunction]
#[pyo3(signature = (input, boundaries, right, out_int32))]
fn _bucketize(input: &Bound<PyAny>, boundaries: &Bound<PyAny>, right: bool, out_int32: bool) -> PyResultT {
    let values = args::tensor(input, "bucketize", "input")?;
    let boundaries = args::tensor(boundaries, "bucketize", "boundaries")?;
    Ok(PyTensor::new(values.bucketize(&boundaries, right, out_int32)?))
}

pub fn register(m: &Bound<PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_searchsorted, m)?)?;
    m.add_function(wrap_pyfunction!(_bucketize, m)?)?;
    Ok(())
}
