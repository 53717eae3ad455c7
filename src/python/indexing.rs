//! Bindings of the indexing family: subscripting (`__getitem__`/`__setitem__`), the
//! gather/scatter/index_* methods, masks, `where`, `nonzero`, `take`. Module-level forms that
//! simply take the tensor first are in `python/ferrotorch/_indexing.py`.
use crate::dtype::{DType, Scalar};
use crate::autograd::formulas::index::{apply_inplace, is_basic};
use crate::ops::binary::Operand;
use crate::ops::index::{where_, Reduce, ScatterReduction, Source, TensorIndex};
use crate::python::args;
use crate::python::convert;
use crate::python::tensor::{tensor_tuple, PyResultT, PyTensor};
use crate::tensor::Tensor;
use pyo3::exceptions::{PyIndexError, PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyEllipsis, PyFloat, PyInt, PyList, PySequence, PySlice, PyTuple};

fn invalid_index(obj: &Bound<PyAny>) -> PyErr {
    let name = obj.get_type().name().map(|n| n.to_string()).unwrap_or_default();
    PyIndexError::new_err(format!(
        "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices (got {name})"
    ))
}

/// PyTorch (like old numpy) reads a short list holding sequences, slices, `None` or `...`
/// as a tuple of indices: `x[[0, 1], [2, 3]]` and `x[[[0, 1], [2, 3]]]` mean the same.
fn sequence_as_tuple(obj: &Bound<PyAny>) -> bool {
    if obj.is_instance_of::<PyTuple>() {
        return true;
    }
    if !obj.is_instance_of::<PyList>() {
        return false;
    }
    let Ok(n) = obj.len() else { return false };
    if n >= 32 {
        return false;
    }
    obj.try_iter().map(|it| {
        it.flatten().any(|x| {
            x.downcast::<PyTensor>().is_ok()
                || x.is_instance_of::<PyList>()
                || x.is_instance_of::<PyTuple>()
                || x.downcast::<PySequence>().is_ok() && !x.is_instance_of::<pyo3::types::PyString>()
                || x.is_instance_of::<PySlice>()
                || x.is_none()
                || x.is(&x.py().Ellipsis())
        })
    })
    .unwrap_or(false)
}

fn slice_bound(obj: Bound<PyAny>) -> PyResult<Option<i64>> {
    if obj.is_none() {
        return Ok(None);
    }
    // Bounds past i64 clamp anyway, so saturate instead of failing.
    if let Ok(i) = obj.downcast::<PyInt>() {
        return Ok(Some(i.extract::<i64>().unwrap_or_else(|_| if i.lt(0).unwrap_or(false) { i64::MIN } else { i64::MAX })));
    }
    args::index_int(&obj).map(Some).map_err(|_| {
        PyTypeError::new_err("slice indices must be integers or None or have an __index__ method")
    })
}

/// One element of a subscript.
fn parse_one(obj: &Bound<PyAny>) -> PyResult<TensorIndex> {
    if let Ok(t) = obj.downcast::<PyTensor>() {
        return Ok(TensorIndex::Tensor(t.borrow().t.clone()));
    }
    if obj.is_none() {
        return Ok(TensorIndex::None);
    }
    if obj.is_instance_of::<PyEllipsis>() {
        return Ok(TensorIndex::Ellipsis);
    }
    if obj.is_instance_of::<PyBool>() {
        return Ok(TensorIndex::Bool(obj.extract()?));
    }
    if obj.is_instance_of::<PyInt>() {
        let v: i64 = obj.extract().map_err(|_| PyIndexError::new_err("index out of range"))?;
        return Ok(TensorIndex::Int(v));
    }
    if let Ok(s) = obj.downcast::<PySlice>() {
        let step = slice_bound(s.getattr("step")?)?.unwrap_or(1);
        return Ok(TensorIndex::Slice { start: slice_bound(s.getattr("start")?)?, stop: slice_bound(s.getattr("stop")?)?, step });
    }
    if obj.is_instance_of::<PyFloat>() {
        return Err(invalid_index(obj));
    }
    match args::scalar(obj) {
        Some(Scalar::Bool(b)) => return Ok(TensorIndex::Bool(b)),
        Some(Scalar::Int(i)) => return Ok(TensorIndex::Int(i)),
        Some(Scalar::Float(_)) => return Err(invalid_index(obj)),
        None => {}
    }
    let is_array = obj.hasattr("__array_interface__")?;
    if is_array || obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let t = convert::tensor_from_data(obj, None)?;
        // An empty list has no elements to infer from; as an index it means "no positions".
        let t = if t.numel() == 0 && t.dtype().is_float() && !is_array { t.to_dtype(DType::I64)? } else { t };
        return Ok(TensorIndex::Tensor(t));
    }
    if let Ok(i) = obj.call_method0("__index__") {
        return Ok(TensorIndex::Int(i.extract()?));
    }
    Err(invalid_index(obj))
}

/// A whole subscript (`x[a]`, `x[a, b]`, ...).
pub fn parse_index(obj: &Bound<PyAny>) -> PyResult<Vec<TensorIndex>> {
    let parsed = if sequence_as_tuple(obj) { obj.try_iter()?.map(|x| parse_one(&x?)).collect::<PyResult<Vec<_>>>()? } else { vec![parse_one(obj)?] };
    if parsed.iter().any(|i| matches!(i, TensorIndex::Tensor(t) if t.dtype() == DType::U8)) {
        // Still a mask, as in PyTorch, which warns on every use.
        crate::python::warn::user_warning(obj.py(), "indexing with dtype torch.uint8 is now deprecated, please use a dtype torch.bool instead.")?;
    }
    Ok(parsed)
}

/// The value of `x[...] = value`, in `like`'s dtype.
/// The right side of `x[i] = value`: a tensor, or a number as PyTorch takes it there (bool, int,
/// float, complex, anything with `__index__`; not numpy's float32 or sequences, which raise
/// PyTorch's TypeError).
fn value_tensor(value: &Bound<PyAny>, like: &Tensor) -> PyResult<Tensor> {
    if let Ok(t) = value.downcast::<PyTensor>() {
        return Ok(t.borrow().t.clone());
    }
    let number = value.is_instance_of::<PyBool>() || value.is_instance_of::<PyInt>() || value.is_instance_of::<PyFloat>();
    if number || value.hasattr("__index__")? {
        if let Some(s) = args::scalar(value) {
            return Ok(Tensor::scalar(s, like.dtype())?);
        }
    }
    if number || value.is_instance_of::<pyo3::types::PyComplex>() {
        // Out-of-range ints and complex values: the conversion says what does not fit.
        return convert::tensor_from_data(value, Some(like.dtype()));
    }
    Err(PyTypeError::new_err(format!(
        "can't assign a {} to a torch.{}{}",
        crate::python::nested_data::type_name(value),
        if like.device().is_gpu() { "cuda." } else { "" },
        like.dtype().legacy_name()
    )))
}

/// A fill value for a `dtype` tensor: a number, or a 0-d tensor (PyTorch's message for anything
/// bigger), that fits the dtype.
fn fill_value(value: &Bound<PyAny>, fname: &str, dtype: DType) -> PyResult<Scalar> {
    if let Ok(t) = value.downcast::<PyTensor>() {
        let t = &t.borrow().t;
        if t.ndim() != 0 {
            return Err(PyRuntimeError::new_err(format!(
                "{fname} only supports a 0-dimensional value tensor, but got tensor with {} dimension(s).",
                t.ndim()
            )));
        }
        let v = t.item()?;
        v.check_fits(dtype)?;
        return Ok(v);
    }
    let v = args::require_scalar(value, &format!("{fname}(): argument 'value'"))?;
    v.check_fits(dtype)?;
    Ok(v)
}

/// A fill value that is a tensor taking part in autograd (it then gets a gradient).
fn grad_value(value: &Bound<PyAny>) -> Option<Tensor> {
    let t = value.downcast::<PyTensor>().ok()?.borrow().t.clone();
    (t.requires_grad() && crate::autograd::is_grad_enabled()).then_some(t)
}

/// PyTorch deprecates `scatter(..., src=tensor, reduce=...)` (once per process) in favour of
/// `scatter_reduce`; with a number for the source it says nothing.
fn warn_reduce_with_tensor_src(py: Python, reduce: Option<&str>, src: &ScatterSrc) -> PyResult<()> {
    static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if reduce.is_some() && matches!(src, ScatterSrc::T(_)) {
        crate::python::warn::user_warning_once(
            py,
            &WARNED,
            "The reduce argument of torch.scatter with Tensor src is deprecated and will be removed in a future PyTorch \
             release. Use torch.scatter_reduce instead for more reduction options.",
        )?;
    }
    Ok(())
}

fn scatter_reduce_arg(reduce: Option<&str>) -> PyResult<Reduce> {
    match reduce {
        None => Ok(Reduce::None),
        Some("add") => Ok(Reduce::Add),
        Some("multiply") => Ok(Reduce::Mul),
        Some(_) => Err(PyRuntimeError::new_err("reduce argument must be either add or multiply.")),
    }
}

/// `scatter`'s third argument: `src` (tensor) or `value` (number).
enum ScatterSrc {
    T(Tensor),
    S(Scalar),
}

/// (`target` and `index`: a complex value becomes a tensor of `target`'s dtype, shaped like
/// `index`, since a `Scalar` holds only real numbers.)
fn scatter_src(src: Option<&Bound<PyAny>>, value: Option<&Bound<PyAny>>, target: &Tensor, index: &Tensor) -> PyResult<ScatterSrc> {
    let obj = match (src, value) {
        (Some(s), None) | (None, Some(s)) => s,
        _ => return Err(PyTypeError::new_err("scatter() expects exactly one of 'src' (Tensor) or 'value' (Number)")),
    };
    if let Ok(t) = obj.downcast::<PyTensor>() {
        return Ok(ScatterSrc::T(t.borrow().t.clone()));
    }
    if let Some(c) = args::complex_value(obj, Some(target.dtype()))? {
        return Ok(ScatterSrc::T(c.to_device(target.device())?.expand(index.shape())?));
    }
    Ok(ScatterSrc::S(args::require_scalar(obj, "scatter(): argument 'value'")?))
}

/// `index_add`'s source and alpha; a complex alpha (which a `Scalar` cannot hold) is applied to
/// the source here.
fn index_add_alpha(alpha: Option<&Bound<PyAny>>, source: Tensor, fname: &str) -> PyResult<(Tensor, Scalar)> {
    let Some(a) = alpha else { return Ok((source, Scalar::Int(1))) };
    if let Some(c) = args::complex_value(a, Some(source.dtype()))? {
        return Ok((source.mul(&c)?, Scalar::Int(1)));
    }
    Ok((source, args::require_scalar(a, &format!("{fname}(): argument 'alpha'"))?))
}

/// `index_fill`'s value when it is complex (a Python/numpy complex number or a 0-d complex
/// tensor), as a 0-d tensor of the complex `dtype`; a real `dtype` cannot take one.
fn index_fill_complex(value: &Bound<PyAny>, dtype: DType) -> PyResult<Option<Tensor>> {
    if dtype.is_complex() {
        return args::complex_value(value, Some(dtype));
    }
    if args::complex_value(value, None)?.is_some() {
        return Err(PyRuntimeError::new_err("index_fill_(): Converting complex Scalar to non-complex type is not supported"));
    }
    Ok(None)
}

/// `op_` on `slf`: in place, or recorded out of place and committed when autograd is involved.
fn inplace_on(
    slf: &Bound<PyTensor>,
    others: &[&Tensor],
    out_of_place: impl FnOnce(&Tensor) -> crate::error::Result<Tensor>,
    in_place: impl FnOnce(&Tensor) -> crate::error::Result<()>,
) -> PyResult<()> {
    Ok(apply_inplace(&mut slf.borrow_mut().t, others, out_of_place, in_place)?)
}

impl PyTensor {
    fn do_scatter(slf: &Bound<Self>, inplace: bool, dim: i64, index: &Tensor, src: ScatterSrc, reduce: Reduce) -> PyResult<Option<Tensor>> {
        let (source, others) = match &src {
            ScatterSrc::T(t) => (Source::Tensor(t), vec![t]),
            ScatterSrc::S(s) => (Source::Scalar(*s), vec![]),
        };
        if inplace {
            inplace_on(slf, &others, |t| t.scatter(dim, index, source, reduce), |t| t.scatter_inplace(dim, index, source, reduce))?;
            Ok(None)
        } else {
            Ok(Some(slf.borrow().t.scatter(dim, index, source, reduce)?))
        }
    }

    fn index_put_args(&self, indices: &Bound<PyAny>, values: &Bound<PyAny>) -> PyResult<(Vec<TensorIndex>, Tensor)> {
        let items: Vec<Bound<PyAny>> = indices.try_iter()?.collect::<PyResult<_>>()?;
        let mut idx = Vec::with_capacity(items.len());
        for it in &items {
            idx.push(if it.is_none() {
                TensorIndex::Slice { start: None, stop: None, step: 1 }
            } else {
                TensorIndex::Tensor(args::tensor(it, "index_put_", "indices")?)
            });
        }
        let v = args::tensor(values, "index_put_", "values")?;
        if v.dtype() != self.t.dtype() {
            return Err(PyRuntimeError::new_err(format!(
                "Index put requires the source and destination dtypes match, got {} for the destination and {} for the source.",
                self.t.dtype().scalar_name(),
                v.dtype().scalar_name()
            )));
        }
        // Integer tensors stay advanced here even when 0-d (unlike subscripts), which only
        // changes the result's shape, never which elements are written.
        Ok((idx, v))
    }
}

#[pymethods]
impl PyTensor {
    fn __getitem__(&self, index: &Bound<PyAny>) -> PyResultT {
        let idx = parse_index(index)?;
        Ok(PyTensor::new(self.t.index(&idx)?))
    }
    fn __setitem__(slf: Bound<'_, Self>, index: &Bound<PyAny>, value: &Bound<PyAny>) -> PyResult<()> {
        let idx = parse_index(index)?;
        let v = value_tensor(value, &slf.borrow().t)?;
        let target = slf.borrow().t.clone();
        if is_basic(&idx) {
            // PyTorch copies into the view, so a value that does not fit fails as expand does
            // (leading size-1 dims of the value are dropped first).
            let shape = {
                let _no_grad = crate::autograd::no_grad();
                target.index(&idx)?.shape().to_vec()
            };
            let lead = v.shape().iter().take_while(|&&d| d == 1).count().min(v.ndim().saturating_sub(shape.len()));
            let sizes: Vec<i64> = v.shape()[lead..].iter().map(|&d| d as i64).collect();
            v.reshape(&sizes)?.expand(&shape)?;
        }
        if crate::autograd::is_grad_enabled() && target.requires_grad() && is_basic(&idx) {
            // As PyTorch: a copy into the (recorded) view, so the target's history becomes CopySlices.
            let mut view = target.index(&idx)?;
            if v.ndim() <= view.ndim() {
                return Ok(crate::autograd::inplace::copy_(&mut view, &v)?);
            }
        }
        inplace_on(&slf, &[&v], |t| t.index_put(&idx, &v, false), |t| t.index_put_(&idx, &v, false))
    }

    fn index_select(&self, dim: i64, index: &Bound<PyAny>) -> PyResultT {
        let index = args::tensor(index, "index_select", "index")?;
        Ok(PyTensor::new(self.t.index_select(dim, &index)?))
    }
    #[pyo3(signature = (dim, index, *, sparse_grad=false))]
    fn gather(&self, dim: i64, index: &Bound<PyAny>, sparse_grad: bool) -> PyResultT {
        let _ = sparse_grad;
        let index = args::tensor(index, "gather", "index")?;
        Ok(PyTensor::new(self.t.gather(dim, &index)?))
    }
    #[pyo3(signature = (dim, index, src=None, *, value=None, reduce=None))]
    fn scatter(&self, py: Python, dim: i64, index: &Bound<PyAny>, src: Option<&Bound<PyAny>>, value: Option<&Bound<PyAny>>, reduce: Option<&str>) -> PyResultT {
        let index = args::tensor(index, "scatter", "index")?;
        let s = scatter_src(src, value, &self.t, &index)?;
        warn_reduce_with_tensor_src(py, reduce, &s)?;
        Ok(PyTensor::new(self.t.scatter(dim, &index, match &s { ScatterSrc::T(t) => Source::Tensor(t), ScatterSrc::S(v) => Source::Scalar(*v) }, scatter_reduce_arg(reduce)?)?))
    }
    #[pyo3(signature = (dim, index, src=None, *, value=None, reduce=None))]
    fn scatter_<'py>(slf: Bound<'py, Self>, dim: i64, index: &Bound<PyAny>, src: Option<&Bound<PyAny>>, value: Option<&Bound<PyAny>>, reduce: Option<&str>) -> PyResult<Bound<'py, Self>> {
        let index = args::tensor(index, "scatter_", "index")?;
        let s = scatter_src(src, value, &slf.borrow().t, &index)?;
        warn_reduce_with_tensor_src(slf.py(), reduce, &s)?;
        PyTensor::do_scatter(&slf, true, dim, &index, s, scatter_reduce_arg(reduce)?)?;
        Ok(slf)
    }
    fn scatter_add(&self, dim: i64, index: &Bound<PyAny>, src: &Bound<PyAny>) -> PyResultT {
        let index = args::tensor(index, "scatter_add", "index")?;
        let src = args::tensor(src, "scatter_add", "src")?;
        Ok(PyTensor::new(self.t.scatter(dim, &index, Source::Tensor(&src), Reduce::Add)?))
    }
    fn scatter_add_<'py>(slf: Bound<'py, Self>, dim: i64, index: &Bound<PyAny>, src: &Bound<PyAny>) -> PyResult<Bound<'py, Self>> {
        let index = args::tensor(index, "scatter_add_", "index")?;
        let src = args::tensor(src, "scatter_add_", "src")?;
        PyTensor::do_scatter(&slf, true, dim, &index, ScatterSrc::T(src), Reduce::Add)?;
        Ok(slf)
    }
    #[pyo3(signature = (dim, index, src, reduce, *, include_self=true))]
    fn scatter_reduce(&self, dim: i64, index: &Bound<PyAny>, src: &Bound<PyAny>, reduce: &str, include_self: bool) -> PyResultT {
        let index = args::tensor(index, "scatter_reduce", "index")?;
        let src = args::tensor(src, "scatter_reduce", "src")?;
        Ok(PyTensor::new(self.t.scatter_reduce(dim, &index, &src, ScatterReduction::parse(reduce)?, include_self)?))
    }
    #[pyo3(signature = (dim, index, src, reduce, *, include_self=true))]
    fn scatter_reduce_<'py>(slf: Bound<'py, Self>, dim: i64, index: &Bound<PyAny>, src: &Bound<PyAny>, reduce: &str, include_self: bool) -> PyResult<Bound<'py, Self>> {
        let r = slf.borrow().scatter_reduce(dim, index, src, reduce, include_self)?;
        crate::autograd::inplace::commit(&mut slf.borrow_mut().t, &r.t)?;
        Ok(slf)
    }
    #[pyo3(signature = (dim, index, source, *, alpha=None))]
    fn index_add_<'py>(slf: Bound<'py, Self>, dim: i64, index: &Bound<PyAny>, source: &Bound<PyAny>, alpha: Option<&Bound<PyAny>>) -> PyResult<Bound<'py, Self>> {
        let index = args::tensor(index, "index_add_", "index")?;
        let source = args::tensor(source, "index_add_", "source")?;
        let (source, alpha) = index_add_alpha(alpha, source, "index_add_")?;
        inplace_on(&slf, &[&source], |t| t.index_add(dim, &index, &source, alpha), |t| t.index_add_(dim, &index, &source, alpha))?;
        Ok(slf)
    }
    #[pyo3(signature = (dim, index, source, *, alpha=None))]
    fn index_add(&self, dim: i64, index: &Bound<PyAny>, source: &Bound<PyAny>, alpha: Option<&Bound<PyAny>>) -> PyResultT {
        let index = args::tensor(index, "index_add", "index")?;
        let source = args::tensor(source, "index_add", "source")?;
        let (source, alpha) = index_add_alpha(alpha, source, "index_add")?;
        Ok(PyTensor::new(self.t.index_add(dim, &index, &source, alpha)?))
    }
    fn index_copy_<'py>(slf: Bound<'py, Self>, dim: i64, index: &Bound<PyAny>, source: &Bound<PyAny>) -> PyResult<Bound<'py, Self>> {
        let index = args::tensor(index, "index_copy_", "index")?;
        let source = args::tensor(source, "index_copy_", "source")?;
        inplace_on(&slf, &[&source], |t| t.index_copy(dim, &index, &source), |t| t.index_copy_(dim, &index, &source))?;
        Ok(slf)
    }
    fn index_copy(&self, dim: i64, index: &Bound<PyAny>, source: &Bound<PyAny>) -> PyResultT {
        let index = args::tensor(index, "index_copy", "index")?;
        let source = args::tensor(source, "index_copy", "source")?;
        Ok(PyTensor::new(self.t.index_copy(dim, &index, &source)?))
    }
    fn index_fill_<'py>(slf: Bound<'py, Self>, dim: i64, index: &Bound<PyAny>, value: &Bound<PyAny>) -> PyResult<Bound<'py, Self>> {
        let index = args::tensor(index, "index_fill_", "index")?;
        if let Some(vt) = grad_value(value) {
            inplace_on(&slf, &[&vt], |t| t.index_fill_tensor(dim, &index, &vt), |_| unreachable!("a value that requires grad records"))?;
            return Ok(slf);
        }
        // (The dtype is read first: a borrow in the `if let` would live through the body.)
        let dtype = slf.borrow().t.dtype();
        if let Some(c) = index_fill_complex(value, dtype)? {
            inplace_on(&slf, &[], |t| t.index_fill_tensor(dim, &index, &c), |t| t.copy_(&t.index_fill_tensor(dim, &index, &c)?))?;
            return Ok(slf);
        }
        let v = fill_value(value, "index_fill_", slf.borrow().t.dtype())?;
        inplace_on(&slf, &[], |t| t.index_fill(dim, &index, v), |t| t.index_fill_(dim, &index, v))?;
        Ok(slf)
    }
    fn index_fill(&self, dim: i64, index: &Bound<PyAny>, value: &Bound<PyAny>) -> PyResultT {
        let index = args::tensor(index, "index_fill", "index")?;
        if let Some(vt) = grad_value(value) {
            return Ok(PyTensor::new(self.t.index_fill_tensor(dim, &index, &vt)?));
        }
        if let Some(c) = index_fill_complex(value, self.t.dtype())? {
            return Ok(PyTensor::new(self.t.index_fill_tensor(dim, &index, &c)?));
        }
        let v = fill_value(value, "index_fill_", self.t.dtype())?;
        Ok(PyTensor::new(self.t.index_fill(dim, &index, v)?))
    }
    #[pyo3(signature = (indices, values, accumulate=false))]
    fn index_put_<'py>(slf: Bound<'py, Self>, indices: &Bound<PyAny>, values: &Bound<PyAny>, accumulate: bool) -> PyResult<Bound<'py, Self>> {
        let (idx, v) = slf.borrow().index_put_args(indices, values)?;
        inplace_on(&slf, &[&v], |t| t.index_put(&idx, &v, accumulate), |t| t.index_put_(&idx, &v, accumulate))?;
        Ok(slf)
    }
    #[pyo3(signature = (indices, values, accumulate=false))]
    fn index_put(&self, indices: &Bound<PyAny>, values: &Bound<PyAny>, accumulate: bool) -> PyResultT {
        let (idx, v) = self.index_put_args(indices, values)?;
        Ok(PyTensor::new(self.t.index_put(&idx, &v, accumulate)?))
    }
    fn masked_fill_<'py>(slf: Bound<'py, Self>, mask: &Bound<PyAny>, value: &Bound<PyAny>) -> PyResult<Bound<'py, Self>> {
        let mask = args::tensor(mask, "masked_fill_", "mask")?;
        if let Some(vt) = grad_value(value) {
            inplace_on(&slf, &[&vt], |t| t.masked_fill_tensor(&mask, &vt), |_| unreachable!("a value that requires grad records"))?;
            return Ok(slf);
        }
        // (The dtype is read first: a borrow in the `if let` would live through the body.)
        let dtype = slf.borrow().t.dtype();
        if let Some(c) = args::complex_value(value, Some(dtype))? {
            inplace_on(&slf, &[], |t| t.masked_fill_tensor(&mask, &c), |t| t.copy_(&t.masked_fill_tensor(&mask, &c)?))?;
            return Ok(slf);
        }
        let v = fill_value(value, "masked_fill_", slf.borrow().t.dtype())?;
        inplace_on(&slf, &[], |t| t.masked_fill(&mask, v), |t| t.masked_fill_(&mask, v))?;
        Ok(slf)
    }
    fn masked_fill(&self, mask: &Bound<PyAny>, value: &Bound<PyAny>) -> PyResultT {
        let mask = args::tensor(mask, "masked_fill", "mask")?;
        if let Some(vt) = grad_value(value) {
            return Ok(PyTensor::new(self.t.masked_fill_tensor(&mask, &vt)?));
        }
        if let Some(c) = args::complex_value(value, Some(self.t.dtype()))? {
            return Ok(PyTensor::new(self.t.masked_fill_tensor(&mask, &c)?));
        }
        let v = fill_value(value, "masked_fill_", self.t.dtype())?;
        Ok(PyTensor::new(self.t.masked_fill(&mask, v)?))
    }
    fn masked_scatter_<'py>(slf: Bound<'py, Self>, mask: &Bound<PyAny>, source: &Bound<PyAny>) -> PyResult<Bound<'py, Self>> {
        let mask = args::tensor(mask, "masked_scatter_", "mask")?;
        let source = args::tensor(source, "masked_scatter_", "source")?;
        inplace_on(&slf, &[&source], |t| t.masked_scatter(&mask, &source), |t| t.masked_scatter_(&mask, &source))?;
        Ok(slf)
    }
    fn masked_scatter(&self, mask: &Bound<PyAny>, source: &Bound<PyAny>) -> PyResultT {
        let mask = args::tensor(mask, "masked_scatter", "mask")?;
        let source = args::tensor(source, "masked_scatter", "source")?;
        Ok(PyTensor::new(self.t.masked_scatter(&mask, &source)?))
    }
    fn masked_select(&self, mask: &Bound<PyAny>) -> PyResultT {
        let mask = args::tensor(mask, "masked_select", "mask")?;
        Ok(PyTensor::new(self.t.masked_select(&mask)?))
    }
    #[pyo3(name = "where")]
    fn where_method(&self, condition: &Bound<PyAny>, other: &Bound<PyAny>) -> PyResultT {
        let cond = args::tensor(condition, "where", "condition")?;
        let y = args::require_operand(other, "where", "other")?;
        Ok(PyTensor::new(where_(&cond, Operand::Tensor(&self.t), y.as_operand())?))
    }
    #[pyo3(signature = (*, as_tuple=false))]
    fn nonzero<'py>(&self, py: Python<'py>, as_tuple: bool) -> PyResult<Bound<'py, PyAny>> {
        if as_tuple {
            return Ok(tensor_tuple(py, self.t.nonzero_tuple()?)?.into_any());
        }
        Ok(Bound::new(py, PyTensor::new(self.t.nonzero()?))?.into_any())
    }
    fn argwhere(&self) -> PyResultT {
        Ok(PyTensor::new(self.t.nonzero()?))
    }
    fn take(&self, index: &Bound<PyAny>) -> PyResultT {
        let index = args::tensor(index, "take", "index")?;
        Ok(PyTensor::new(self.t.take(&index)?))
    }
    #[pyo3(signature = (indices, dim=None))]
    fn take_along_dim(&self, indices: &Bound<PyAny>, dim: Option<i64>) -> PyResultT {
        let indices = args::tensor(indices, "take_along_dim", "indices")?;
        Ok(PyTensor::new(self.t.take_along_dim(&indices, dim)?))
    }
    #[pyo3(signature = (index, source, accumulate=false))]
    fn put_<'py>(slf: Bound<'py, Self>, index: &Bound<PyAny>, source: &Bound<PyAny>, accumulate: bool) -> PyResult<Bound<'py, Self>> {
        let index = args::tensor(index, "put_", "index")?;
        let source = args::tensor(source, "put_", "source")?;
        inplace_on(&slf, &[&source], |t| t.put(&index, &source, accumulate), |t| t.put_(&index, &source, accumulate))?;
        Ok(slf)
    }
    #[pyo3(signature = (index, source, accumulate=false))]
    fn put(&self, index: &Bound<PyAny>, source: &Bound<PyAny>, accumulate: bool) -> PyResultT {
        let index = args::tensor(index, "put", "index")?;
        let source = args::tensor(source, "put", "source")?;
        Ok(PyTensor::new(self.t.put(&index, &source, accumulate)?))
    }
}

/// `torch.where(condition, input, other)`; `torch.where(condition)` is `nonzero(as_tuple=True)`.
#[pyfunction]
#[pyo3(name = "where", signature = (condition, input=None, other=None))]
fn where_fn<'py>(py: Python<'py>, condition: &Bound<'py, PyAny>, input: Option<&Bound<'py, PyAny>>, other: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
    let cond = args::tensor(condition, "where", "condition")?;
    match (input, other) {
        (None, None) => Ok(tensor_tuple(py, cond.nonzero_tuple()?)?.into_any()),
        (Some(x), Some(y)) => {
            let x = args::require_operand(x, "where", "input")?;
            let y = args::require_operand(y, "where", "other")?;
            Ok(Bound::new(py, PyTensor::new(where_(&cond, x.as_operand(), y.as_operand())?))?.into_any())
        }
        _ => Err(PyTypeError::new_err("where() missing required argument 'other'")),
    }
}

pub fn register(m: &Bound<PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(where_fn, m)?)?;
    Ok(())
}
