//! Creation functions: `tensor`, `zeros`, `arange`, random sampling, generators, DLPack.
use crate::dtype::{default_dtype, DType, Scalar};
use crate::python::args;
use crate::python::convert;
use crate::python::dtype::{check_device, default_device, device_arg, set_default_device, PyDevice};
use crate::storage::Device;
use crate::python::tensor::{PyResultT, PyTensor};
use crate::random::{default_generator, Generator, DEFAULT_SEED};
use crate::tensor::Tensor;
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use std::sync::Arc;

#[path = "dlpack.rs"]
mod dlpack;

// ------------------------------------------------------------------ shared argument handling

/// Checks the keyword arguments every factory takes and returns the requested dtype.
fn factory_kwargs(dtype: Option<&Bound<PyAny>>, device: Option<&Bound<PyAny>>, requires_grad: bool) -> PyResult<Option<DType>> {
    check_device(device)?;
    let d = args::dtype(dtype)?;
    if requires_grad && d.is_some_and(|d| !d.is_differentiable()) {
        return Err(PyRuntimeError::new_err("Only Tensors of floating point and complex dtype can require gradients"));
    }
    Ok(d)
}

/// Moves a factory's result to its `device=` (`default` when None).
fn place(t: Tensor, device: Option<&Bound<PyAny>>, default: Device) -> PyResult<Tensor> {
    Ok(t.to_device(device_arg(device)?.unwrap_or(default))?)
}

/// Applies a factory's `requires_grad=` to the tensor it made.
fn leaf(t: Tensor, requires_grad: bool) -> PyResultT {
    if requires_grad {
        if !t.dtype().is_differentiable() {
            return Err(PyRuntimeError::new_err("Only Tensors of floating point and complex dtype can require gradients"));
        }
        t.meta_mut().lock().requires_grad = true;
    }
    Ok(PyTensor::new(t))
}

/// Sizes of factory `func` from varargs, one sequence, or the `size=` keyword.
fn size_arg(func: &str, size: &Bound<PyTuple>, kw: Option<&Bound<PyAny>>) -> PyResult<Vec<usize>> {
    let raw = match kw {
        Some(k) if size.is_empty() && !k.is_none() => args::int_array(k, func, "size", None)?,
        _ => args::sizes(size, func, "size")?,
    };
    if func == "zeros" && raw.iter().any(|&d| d < 0) {
        // zeros has a check of its own in PyTorch, ahead of the generic one.
        return Err(PyRuntimeError::new_err("zeros: Dimension size must be non-negative."));
    }
    Ok(crate::ops::create::shape_of(&raw)?)
}

/// Returns `result`, or writes it into `out` (resizing `out` when the shapes differ, as PyTorch
/// does) and returns `out`.
fn finish<'py>(py: Python<'py>, result: Tensor, out: Option<Bound<'py, PyTensor>>, requires_grad: bool) -> PyResult<Bound<'py, PyAny>> {
    match out {
        None => Ok(Bound::new(py, leaf(result, requires_grad)?)?.into_any()),
        Some(o) => {
            let same = o.borrow().t.shape() == result.shape();
            if same {
                o.borrow().t.copy_(&result)?;
            } else {
                let d = o.borrow().t.dtype();
                o.borrow_mut().t = result.to_dtype(d)?;
            }
            Ok(o.into_any())
        }
    }
}

fn gen_arc(g: Option<PyRef<PyGenerator>>) -> Option<Arc<Generator>> {
    g.map(|g| g.g.clone())
}

fn scalar_arg(obj: &Bound<PyAny>, what: &str) -> PyResult<Scalar> {
    args::require_scalar(obj, what)
}

fn float_arg(obj: &Bound<PyAny>, what: &str) -> PyResult<f64> {
    Ok(scalar_arg(obj, what)?.to_f64())
}

/// A seed as PyTorch accepts it: any int in [-2^63, 2^64); negatives wrap.
fn seed_arg(obj: &Bound<PyAny>) -> PyResult<u64> {
    let v: i128 = obj.extract().map_err(|_| {
        PyTypeError::new_err(format!("manual_seed expected an int, got {}", obj.get_type().name().map(|n| n.to_string()).unwrap_or_default()))
    })?;
    if v < i64::MIN as i128 || v > u64::MAX as i128 {
        return Err(PyValueError::new_err("Overflow when unpacking long long"));
    }
    Ok(v as u64)
}

// ------------------------------------------------------------------ Generator

/// `ferrotorch.Generator`: a Philox4x32-10 stream (seed + offset), see `crate::random`.
#[pyclass(name = "Generator", module = "ferrotorch", frozen)]
pub struct PyGenerator {
    pub g: Arc<Generator>,
}

fn state_tensor(g: &Generator) -> PyResultT {
    Ok(PyTensor::new(Tensor::from_vec(g.get_state().to_vec(), &[crate::random::STATE_BYTES])?))
}

fn set_state_from(g: &Generator, state: &Bound<PyAny>) -> PyResult<()> {
    let Ok(t) = state.downcast::<PyTensor>() else {
        return Err(PyTypeError::new_err(format!(
            "expected a torch.ByteTensor, but got {}",
            state.get_type().name().map(|n| n.to_string()).unwrap_or_default()
        )));
    };
    let t = t.borrow().t.clone();
    if t.dtype() != DType::U8 {
        return Err(PyTypeError::new_err("RNG state must be a torch.ByteTensor"));
    }
    Ok(g.set_state(&t.to_vec::<u8>())?)
}

#[pymethods]
impl PyGenerator {
    #[new]
    #[pyo3(signature = (device=None))]
    fn new(device: Option<&Bound<PyAny>>) -> PyResult<PyGenerator> {
        check_device(device)?;
        Ok(PyGenerator { g: Arc::new(Generator::new(DEFAULT_SEED)) })
    }
    fn manual_seed<'py>(slf: Bound<'py, Self>, seed: &Bound<PyAny>) -> PyResult<Bound<'py, Self>> {
        slf.get().g.manual_seed(seed_arg(seed)?);
        Ok(slf)
    }
    fn seed(&self) -> u64 {
        self.g.seed()
    }
    fn initial_seed(&self) -> u64 {
        self.g.initial_seed()
    }
    fn get_state(&self) -> PyResultT {
        state_tensor(&self.g)
    }
    fn set_state<'py>(slf: Bound<'py, Self>, new_state: &Bound<PyAny>) -> PyResult<Bound<'py, Self>> {
        set_state_from(&slf.get().g, new_state)?;
        Ok(slf)
    }
    #[getter]
    fn device(&self) -> PyDevice {
        PyDevice::cpu()
    }
    fn __repr__(&self) -> String {
        format!("<ferrotorch.Generator object at {:p}>", Arc::as_ptr(&self.g))
    }
}

#[pyfunction]
fn manual_seed(py: Python, seed: &Bound<PyAny>) -> PyResult<Py<PyGenerator>> {
    let s = match seed.extract::<f64>() {
        // torch.manual_seed calls int(seed) first.
        Ok(_) if !seed.is_instance_of::<pyo3::types::PyInt>() => seed_arg(&seed.call_method0("__int__")?)?,
        _ => seed_arg(seed)?,
    };
    default_generator().manual_seed(s);
    Py::new(py, PyGenerator { g: default_generator().clone() })
}
#[pyfunction]
fn seed() -> u64 {
    default_generator().seed()
}
#[pyfunction]
fn initial_seed() -> u64 {
    default_generator().initial_seed()
}
#[pyfunction]
fn get_rng_state() -> PyResultT {
    state_tensor(default_generator())
}
#[pyfunction]
fn set_rng_state(new_state: &Bound<PyAny>) -> PyResult<()> {
    set_state_from(default_generator(), new_state)
}

// ------------------------------------------------------------------ deterministic factories

#[pyfunction]
#[pyo3(signature = (data, *, dtype=None, device=None, requires_grad=false, pin_memory=false))]
fn tensor(data: &Bound<PyAny>, dtype: Option<&Bound<PyAny>>, device: Option<&Bound<PyAny>>, requires_grad: bool, pin_memory: bool) -> PyResultT {
    let _ = pin_memory;
    let dtype = factory_kwargs(dtype, device, requires_grad)?;
    if data.is_instance_of::<PyTensor>() {
        crate::python::warn::user_warning(
            data.py(),
            "To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or \
             sourceTensor.detach().clone().requires_grad_(True), rather than torch.tensor(sourceTensor).",
        )?;
    }
    leaf(place(convert::tensor_from_data(data, dtype)?, device, default_device())?, requires_grad)
}

/// Shares memory with a tensor or numpy array when no conversion is needed.
fn as_tensor_impl(data: &Bound<PyAny>, dtype: Option<DType>) -> PyResult<Tensor> {
    if let Ok(t) = data.downcast::<PyTensor>() {
        let t = t.borrow().t.clone();
        return Ok(t.to_dtype(dtype.unwrap_or(t.dtype()))?);
    }
    let np = data.py().import("numpy")?;
    if data.is_instance(&np.getattr("ndarray")?)? {
        if let Ok(t) = convert::from_numpy(data) {
            return Ok(t.to_dtype(dtype.unwrap_or(t.dtype()))?);
        }
    }
    convert::tensor_from_data(data, dtype)
}

#[pyfunction]
#[pyo3(signature = (data, dtype=None, device=None))]
fn as_tensor(data: &Bound<PyAny>, dtype: Option<&Bound<PyAny>>, device: Option<&Bound<PyAny>>) -> PyResultT {
    let dtype = factory_kwargs(dtype, device, false)?;
    let t = as_tensor_impl(data, dtype)?;
    let home = t.device();
    Ok(PyTensor::new(place(t, device, home)?))
}

#[pyfunction]
#[pyo3(signature = (obj, *, dtype=None, device=None, copy=None, requires_grad=false))]
fn asarray(obj: &Bound<PyAny>, dtype: Option<&Bound<PyAny>>, device: Option<&Bound<PyAny>>, copy: Option<bool>, requires_grad: bool) -> PyResultT {
    let dtype = factory_kwargs(dtype, device, requires_grad)?;
    let t = if obj.downcast::<PyTensor>().is_err() && obj.hasattr("__dlpack__")? && !obj.hasattr("__array_interface__")? {
        dlpack::from_dlpack_obj(obj)?
    } else {
        as_tensor_impl(obj, dtype)?
    };
    let t = t.to_dtype(dtype.unwrap_or(t.dtype()))?;
    let t = if copy == Some(true) { t.deep_clone()? } else { t };
    let home = t.device();
    leaf(place(t, device, home)?, requires_grad)
}

macro_rules! filled_factory {
    ($name:ident, $value:expr) => {
        #[pyfunction]
        #[pyo3(signature = (*sizes, out=None, dtype=None, layout=None, device=None, requires_grad=false, pin_memory=false, memory_format=None, size=None))]
        #[allow(clippy::too_many_arguments)]
        fn $name<'py>(
            py: Python<'py>,
            sizes: &Bound<'py, PyTuple>,
            out: Option<Bound<'py, PyTensor>>,
            dtype: Option<&Bound<'py, PyAny>>,
            layout: Option<&Bound<'py, PyAny>>,
            device: Option<&Bound<'py, PyAny>>,
            requires_grad: bool,
            pin_memory: bool,
            memory_format: Option<&Bound<'py, PyAny>>,
            size: Option<&Bound<'py, PyAny>>,
        ) -> PyResult<Bound<'py, PyAny>> {
            let _ = (layout, pin_memory, memory_format);
            let d = factory_kwargs(dtype, device, requires_grad)?;
            let d = d.or_else(|| out.as_ref().map(|o| o.borrow().t.dtype())).unwrap_or_else(default_dtype);
            let shape = size_arg(stringify!($name), sizes, size)?;
            finish(py, place(Tensor::full(&shape, $value, d)?, device, default_device())?, out, requires_grad)
        }
    };
}
filled_factory!(zeros, Scalar::Int(0));
filled_factory!(ones, Scalar::Int(1));
filled_factory!(empty, Scalar::Int(0));

#[pyfunction]
#[pyo3(signature = (size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=false, pin_memory=false))]
#[allow(clippy::too_many_arguments)]
fn full<'py>(
    py: Python<'py>,
    size: &Bound<'py, PyAny>,
    fill_value: &Bound<'py, PyAny>,
    out: Option<Bound<'py, PyTensor>>,
    dtype: Option<&Bound<'py, PyAny>>,
    layout: Option<&Bound<'py, PyAny>>,
    device: Option<&Bound<'py, PyAny>>,
    requires_grad: bool,
    pin_memory: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let _ = (layout, pin_memory);
    if let Some(c) = args::complex_value(fill_value, factory_kwargs(dtype, device, requires_grad)?)? {
        let shape = crate::ops::create::shape_of(&args::int_array(size, "full", "size", Some(1))?)?;
        let filled = c.expand(&shape)?.contiguous()?;
        return finish(py, place(filled, device, default_device())?, out, requires_grad);
    }
    let v = scalar_arg(fill_value, "fill_value")?;
    let d = factory_kwargs(dtype, device, requires_grad)?.unwrap_or(v.default_dtype());
    v.check_fits(d)?;
    let shape = crate::ops::create::shape_of(&args::int_array(size, "full", "size", Some(1))?)?;
    finish(py, place(Tensor::full(&shape, v, d)?, device, default_device())?, out, requires_grad)
}

#[pyfunction]
#[pyo3(signature = (s, *, dtype=None, layout=None, device=None, requires_grad=false, pin_memory=false))]
fn scalar_tensor(s: &Bound<PyAny>, dtype: Option<&Bound<PyAny>>, layout: Option<&Bound<PyAny>>, device: Option<&Bound<PyAny>>, requires_grad: bool, pin_memory: bool) -> PyResultT {
    let _ = (layout, pin_memory);
    let d = factory_kwargs(dtype, device, requires_grad)?.unwrap_or_else(default_dtype);
    if let Some(c) = args::complex_value(s, Some(d))? {
        return leaf(place(c, device, default_device())?, requires_grad);
    }
    let v = scalar_arg(s, "s")?;
    leaf(place(Tensor::scalar(v, d)?, device, default_device())?, requires_grad)
}

#[pyfunction]
#[pyo3(signature = (size, stride, *, dtype=None, layout=None, device=None, requires_grad=false, pin_memory=false))]
fn empty_strided(size: &Bound<PyAny>, stride: &Bound<PyAny>, dtype: Option<&Bound<PyAny>>, layout: Option<&Bound<PyAny>>, device: Option<&Bound<PyAny>>, requires_grad: bool, pin_memory: bool) -> PyResultT {
    let _ = (layout, pin_memory);
    let d = factory_kwargs(dtype, device, requires_grad)?.unwrap_or_else(default_dtype);
    let size = args::int_list(size)?;
    let stride = args::int_list(stride)?;
    let shape = crate::ops::create::shape_of(&size)?;
    if stride.len() != size.len() {
        return Err(PyRuntimeError::new_err("mismatch in length of strides and shape"));
    }
    // The storage spans the furthest element the strides reach.
    let mut extent: usize = if shape.contains(&0) { 0 } else { 1 };
    for (&n, &s) in shape.iter().zip(&stride) {
        if s < 0 {
            return Err(PyRuntimeError::new_err(format!("as_strided: Negative strides are not supported at the moment, got strides: {stride:?}")));
        }
        if extent > 0 {
            extent = (n - 1)
                .checked_mul(s as usize)
                .and_then(|x| x.checked_add(extent))
                .ok_or_else(|| PyRuntimeError::new_err("Storage size calculation overflowed"))?;
        }
    }
    let base = Tensor::zeros(&crate::ops::create::shape_of(&[extent as i64])?, d)?;
    leaf(place(base.as_strided(&size, &stride, Some(0))?, device, default_device())?, requires_grad)
}

/// `start`/`end`/`step` of `arange`, which PyTorch reads as `arange(end)` when given one bound.
#[pyfunction]
#[pyo3(signature = (start, end=None, step=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=false, pin_memory=false))]
#[allow(clippy::too_many_arguments)]
fn arange<'py>(
    py: Python<'py>,
    start: &Bound<'py, PyAny>,
    end: Option<&Bound<'py, PyAny>>,
    step: Option<&Bound<'py, PyAny>>,
    out: Option<Bound<'py, PyTensor>>,
    dtype: Option<&Bound<'py, PyAny>>,
    layout: Option<&Bound<'py, PyAny>>,
    device: Option<&Bound<'py, PyAny>>,
    requires_grad: bool,
    pin_memory: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let _ = (layout, pin_memory);
    let d = factory_kwargs(dtype, device, requires_grad)?;
    let a = scalar_arg(start, "start")?;
    let (s, e) = match end {
        Some(e) if !e.is_none() => (a, scalar_arg(e, "end")?),
        _ => (Scalar::Int(0), a),
    };
    let st = match step {
        Some(x) if !x.is_none() => scalar_arg(x, "step")?,
        _ => Scalar::Int(1),
    };
    finish(py, place(Tensor::arange(s, e, st, d)?, device, default_device())?, out, requires_grad)
}

#[pyfunction]
#[pyo3(signature = (start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=false))]
#[allow(clippy::too_many_arguments)]
fn linspace<'py>(
    py: Python<'py>,
    start: &Bound<'py, PyAny>,
    end: &Bound<'py, PyAny>,
    steps: &Bound<'py, PyAny>,
    out: Option<Bound<'py, PyTensor>>,
    dtype: Option<&Bound<'py, PyAny>>,
    layout: Option<&Bound<'py, PyAny>>,
    device: Option<&Bound<'py, PyAny>>,
    requires_grad: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let _ = layout;
    let d = factory_kwargs(dtype, device, requires_grad)?.unwrap_or_else(default_dtype);
    let t = Tensor::linspace(float_arg(start, "start")?, float_arg(end, "end")?, args::index_int(steps)?, d)?;
    finish(py, place(t, device, default_device())?, out, requires_grad)
}

#[pyfunction]
#[pyo3(signature = (start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=false))]
#[allow(clippy::too_many_arguments)]
fn logspace<'py>(
    py: Python<'py>,
    start: &Bound<'py, PyAny>,
    end: &Bound<'py, PyAny>,
    steps: &Bound<'py, PyAny>,
    base: f64,
    out: Option<Bound<'py, PyTensor>>,
    dtype: Option<&Bound<'py, PyAny>>,
    layout: Option<&Bound<'py, PyAny>>,
    device: Option<&Bound<'py, PyAny>>,
    requires_grad: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let _ = layout;
    let d = factory_kwargs(dtype, device, requires_grad)?.unwrap_or_else(default_dtype);
    let t = Tensor::logspace(float_arg(start, "start")?, float_arg(end, "end")?, args::index_int(steps)?, base, d)?;
    finish(py, place(t, device, default_device())?, out, requires_grad)
}

#[pyfunction]
#[pyo3(signature = (n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=false, pin_memory=false))]
#[allow(clippy::too_many_arguments)]
fn eye<'py>(
    py: Python<'py>,
    n: &Bound<'py, PyAny>,
    m: Option<&Bound<'py, PyAny>>,
    out: Option<Bound<'py, PyTensor>>,
    dtype: Option<&Bound<'py, PyAny>>,
    layout: Option<&Bound<'py, PyAny>>,
    device: Option<&Bound<'py, PyAny>>,
    requires_grad: bool,
    pin_memory: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let _ = (layout, pin_memory);
    let d = factory_kwargs(dtype, device, requires_grad)?.unwrap_or_else(default_dtype);
    let m = match m {
        Some(m) if !m.is_none() => Some(args::index_int(m)?),
        _ => None,
    };
    finish(py, place(Tensor::eye(args::index_int(n)?, m, d)?, device, default_device())?, out, requires_grad)
}

// ------------------------------------------------------------------ *_like

fn like_dtype(input: &Tensor, dtype: Option<&Bound<PyAny>>, device: Option<&Bound<PyAny>>, requires_grad: bool) -> PyResult<DType> {
    Ok(factory_kwargs(dtype, device, requires_grad)?.unwrap_or(input.dtype()))
}

/// Builds a `*_like` result of `input`'s shape in the layout `memory_format` asks for:
/// `make(shape)` creates it contiguous, and a result that must keep `input`'s strides
/// (`preserve_format` on a dense, permuted input) or be channels-last is made as one flat run
/// in storage order and given those strides, so random fills also run in memory order.
/// The result is placed on `device` (default: input's) before it gets its strides, as moving a
/// strided tensor between devices would make it contiguous.
fn like_layout(
    input: &Tensor,
    memory_format: Option<&Bound<PyAny>>,
    device: Option<&Bound<PyAny>>,
    make: impl FnOnce(&[usize]) -> crate::error::Result<Tensor>,
) -> PyResult<Tensor> {
    match args::memory_format_strides(input, memory_format)? {
        Some(strides) => {
            let flat = place(make(&[input.numel()])?, device, input.device())?;
            Ok(Tensor::with_dense_strides(flat, input.shape(), strides))
        }
        None => place(make(input.shape())?, device, input.device()),
    }
}

macro_rules! like_factory {
    ($name:ident, |$shape:ident, $t:ident, $d:ident| $body:expr) => {
        #[pyfunction]
        #[pyo3(signature = (input, *, dtype=None, layout=None, device=None, requires_grad=false, memory_format=None))]
        fn $name(input: &Bound<PyAny>, dtype: Option<&Bound<PyAny>>, layout: Option<&Bound<PyAny>>, device: Option<&Bound<PyAny>>, requires_grad: bool, memory_format: Option<&Bound<PyAny>>) -> PyResultT {
            let _ = layout;
            let $t = args::tensor(input, stringify!($name), "input")?;
            let $d = like_dtype(&$t, dtype, device, requires_grad)?;
            leaf(like_layout(&$t, memory_format, device, |$shape| $body)?, requires_grad)
        }
    };
}
like_factory!(zeros_like, |shape, t, d| Tensor::full(shape, Scalar::Int(0), d));
like_factory!(ones_like, |shape, t, d| Tensor::full(shape, Scalar::Int(1), d));
like_factory!(empty_like, |shape, t, d| Tensor::full(shape, Scalar::Int(0), d));
like_factory!(rand_like, |shape, t, d| Tensor::rand_on(shape, d, None, t.device()));
like_factory!(randn_like, |shape, t, d| Tensor::randn_on(shape, d, None, t.device()));

#[pyfunction]
#[pyo3(signature = (input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=false, memory_format=None))]
#[allow(clippy::too_many_arguments)]
fn full_like(input: &Bound<PyAny>, fill_value: &Bound<PyAny>, dtype: Option<&Bound<PyAny>>, layout: Option<&Bound<PyAny>>, device: Option<&Bound<PyAny>>, requires_grad: bool, memory_format: Option<&Bound<PyAny>>) -> PyResultT {
    let _ = layout;
    let t = args::tensor(input, "full_like", "input")?;
    let d = like_dtype(&t, dtype, device, requires_grad)?;
    let v = scalar_arg(fill_value, "fill_value")?;
    v.check_fits(d)?;
    leaf(like_layout(&t, memory_format, device, |shape| Tensor::full(shape, v, d))?, requires_grad)
}

/// `randint_like(input, high)` or `randint_like(input, low, high)`.
#[pyfunction]
#[pyo3(signature = (input, low_or_high, high=None, *, generator=None, dtype=None, layout=None, device=None, requires_grad=false, memory_format=None))]
#[allow(clippy::too_many_arguments)]
fn randint_like(
    input: &Bound<PyAny>,
    low_or_high: &Bound<PyAny>,
    high: Option<&Bound<PyAny>>,
    generator: Option<PyRef<PyGenerator>>,
    dtype: Option<&Bound<PyAny>>,
    layout: Option<&Bound<PyAny>>,
    device: Option<&Bound<PyAny>>,
    requires_grad: bool,
    memory_format: Option<&Bound<PyAny>>,
) -> PyResultT {
    let _ = layout;
    let t = args::tensor(input, "randint_like", "input")?;
    let d = like_dtype(&t, dtype, device, requires_grad)?;
    let (lo, hi) = match high {
        Some(h) if !h.is_none() => (args::index_int(low_or_high)?, args::index_int(h)?),
        _ => (0, args::index_int(low_or_high)?),
    };
    let g = gen_arc(generator);
    leaf(like_layout(&t, memory_format, device, |shape| Tensor::randint(lo, hi, shape, d, g.as_deref()))?, requires_grad)
}

// ------------------------------------------------------------------ random factories

macro_rules! random_factory {
    ($name:ident, $op:ident) => {
        #[pyfunction]
        #[pyo3(signature = (*sizes, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=false, pin_memory=false, size=None))]
        #[allow(clippy::too_many_arguments)]
        fn $name<'py>(
            py: Python<'py>,
            sizes: &Bound<'py, PyTuple>,
            generator: Option<PyRef<'py, PyGenerator>>,
            out: Option<Bound<'py, PyTensor>>,
            dtype: Option<&Bound<'py, PyAny>>,
            layout: Option<&Bound<'py, PyAny>>,
            device: Option<&Bound<'py, PyAny>>,
            requires_grad: bool,
            pin_memory: bool,
            size: Option<&Bound<'py, PyAny>>,
        ) -> PyResult<Bound<'py, PyAny>> {
            let _ = (layout, pin_memory);
            let d = factory_kwargs(dtype, device, requires_grad)?;
            let d = d.or_else(|| out.as_ref().map(|o| o.borrow().t.dtype())).unwrap_or_else(default_dtype);
            let shape = size_arg(stringify!($name), sizes, size)?;
            let g = gen_arc(generator);
            finish(py, Tensor::$op(&shape, d, g.as_deref(), device_arg(device)?.unwrap_or_else(default_device))?, out, requires_grad)
        }
    };
}
random_factory!(rand, rand_on);
random_factory!(randn, randn_on);

/// `randint(high, size)` or `randint(low, high, size)`; each may also be a keyword.
#[pyfunction]
#[pyo3(signature = (*args_, low=None, high=None, size=None, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=false, pin_memory=false))]
#[allow(clippy::too_many_arguments)]
fn randint<'py>(
    py: Python<'py>,
    args_: &Bound<'py, PyTuple>,
    low: Option<&Bound<'py, PyAny>>,
    high: Option<&Bound<'py, PyAny>>,
    size: Option<&Bound<'py, PyAny>>,
    generator: Option<PyRef<'py, PyGenerator>>,
    out: Option<Bound<'py, PyTensor>>,
    dtype: Option<&Bound<'py, PyAny>>,
    layout: Option<&Bound<'py, PyAny>>,
    device: Option<&Bound<'py, PyAny>>,
    requires_grad: bool,
    pin_memory: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let _ = (layout, pin_memory);
    let d = factory_kwargs(dtype, device, requires_grad)?.unwrap_or(DType::I64);
    let mut pos: Vec<Bound<PyAny>> = args_.iter().collect();
    let from_keyword = size.is_some_and(|s| !s.is_none());
    let bound_keywords = [low, high].iter().flatten().filter(|b| !b.is_none()).count();
    let size_obj = match size {
        Some(s) if !s.is_none() => s.clone(),
        _ => {
            if pos.len() + bound_keywords < 2 || pos.is_empty() {
                return Err(PyTypeError::new_err("randint() missing required argument 'size'"));
            }
            pos.pop().ok_or_else(|| PyTypeError::new_err("randint() missing required argument 'size'"))?
        }
    };
    let size_position = pos.len() + 1;
    // Keyword bounds take the places PyTorch's signature gives them: (low, high, size).
    if let Some(l) = low.filter(|l| !l.is_none()) {
        pos.insert(0, l.clone());
    }
    if let Some(h) = high.filter(|h| !h.is_none()) {
        pos.push(h.clone());
    }
    let (lo, hi) = match pos.as_slice() {
        [h] => (0, args::index_int(h)?),
        [l, h] => (args::index_int(l)?, args::index_int(h)?),
        _ => {
            return Err(PyTypeError::new_err(format!(
                "randint() received an invalid combination of arguments: expected (high, size) or (low, high, size), got {} positional arguments",
                args_.len()
            )))
        }
    };
    if !size_obj.hasattr("__len__")? {
        // randint(5, 3): PyTorch wants the size as a sequence, even of one dim.
        let at = if from_keyword { String::new() } else { format!(" (position {size_position})") };
        return Err(PyTypeError::new_err(format!(
            "randint(): argument 'size'{at} must be tuple of ints, not {}",
            size_obj.get_type().name()?
        )));
    }
    let shape = crate::ops::create::shape_of(&args::int_list(&size_obj)?)?;
    let g = gen_arc(generator);
    finish(py, place(Tensor::randint(lo, hi, &shape, d, g.as_deref())?, device, default_device())?, out, requires_grad)
}

#[pyfunction]
#[pyo3(signature = (n, *, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=false, pin_memory=false))]
#[allow(clippy::too_many_arguments)]
fn randperm<'py>(
    py: Python<'py>,
    n: &Bound<'py, PyAny>,
    generator: Option<PyRef<'py, PyGenerator>>,
    out: Option<Bound<'py, PyTensor>>,
    dtype: Option<&Bound<'py, PyAny>>,
    layout: Option<&Bound<'py, PyAny>>,
    device: Option<&Bound<'py, PyAny>>,
    requires_grad: bool,
    pin_memory: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let _ = (layout, pin_memory);
    let d = factory_kwargs(dtype, device, requires_grad)?.unwrap_or(DType::I64);
    let g = gen_arc(generator);
    finish(py, place(Tensor::randperm(args::index_int(n)?, d, g.as_deref())?, device, default_device())?, out, requires_grad)
}

/// The four overloads of `normal`: (Tensor, Tensor), (Tensor, float), (float, Tensor), and
/// (float, float, size).
#[pyfunction]
#[pyo3(signature = (mean, std=None, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=false, pin_memory=false))]
#[allow(clippy::too_many_arguments)]
fn normal<'py>(
    py: Python<'py>,
    mean: &Bound<'py, PyAny>,
    std: Option<&Bound<'py, PyAny>>,
    size: Option<&Bound<'py, PyAny>>,
    generator: Option<PyRef<'py, PyGenerator>>,
    out: Option<Bound<'py, PyTensor>>,
    dtype: Option<&Bound<'py, PyAny>>,
    layout: Option<&Bound<'py, PyAny>>,
    device: Option<&Bound<'py, PyAny>>,
    requires_grad: bool,
    pin_memory: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let _ = (layout, pin_memory);
    let d = factory_kwargs(dtype, device, requires_grad)?;
    let g = gen_arc(generator);
    let g = g.as_deref();
    let mean_t = mean.downcast::<PyTensor>().ok().map(|t| t.borrow().t.clone());
    let std_t = std.and_then(|s| s.downcast::<PyTensor>().ok()).map(|t| t.borrow().t.clone());
    // With a tensor mean or std the result lives on that tensor's device.
    let home = mean_t.as_ref().or(std_t.as_ref()).map(|t| t.device()).unwrap_or_else(default_device);
    let result = match (mean_t, std_t) {
        (Some(m), Some(s)) => Tensor::normal_tensors(&m, &s, g)?,
        (Some(m), None) => {
            let s = match std {
                Some(x) if !x.is_none() => float_arg(x, "std")?,
                _ => 1.0,
            };
            if !(s >= 0.0) {
                return Err(PyRuntimeError::new_err(format!("normal expects std >= 0.0, but found std {s}")));
            }
            Tensor::normal_tensors(&m, &Tensor::scalar(Scalar::Float(s), m.dtype())?.to_device(m.device())?, g)?
        }
        (None, Some(s)) => {
            let m = float_arg(mean, "mean")?;
            Tensor::normal_tensors(&Tensor::scalar(Scalar::Float(m), s.dtype())?.to_device(s.device())?, &s, g)?
        }
        (None, None) => {
            let Some(size) = size.filter(|s| !s.is_none()) else {
                return Err(PyTypeError::new_err(
                    "normal() received an invalid combination of arguments: (float mean, float std) needs a size",
                ));
            };
            let m = float_arg(mean, "mean")?;
            let s = match std {
                Some(x) if !x.is_none() => float_arg(x, "std")?,
                _ => 1.0,
            };
            let shape = crate::ops::create::shape_of(&args::int_list(size)?)?;
            let d = d.or_else(|| out.as_ref().map(|o| o.borrow().t.dtype())).unwrap_or_else(default_dtype);
            Tensor::normal_sized(m, s, &shape, d, g)?
        }
    };
    finish(py, place(result, device, home)?, out, requires_grad)
}

#[pyfunction]
#[pyo3(signature = (input, p=None, *, generator=None, out=None))]
fn bernoulli<'py>(
    py: Python<'py>,
    input: &Bound<'py, PyAny>,
    p: Option<f64>,
    generator: Option<PyRef<'py, PyGenerator>>,
    out: Option<Bound<'py, PyTensor>>,
) -> PyResult<Bound<'py, PyAny>> {
    let t = args::tensor(input, "bernoulli", "input")?;
    let g = gen_arc(generator);
    finish(py, t.bernoulli(p, g.as_deref())?, out, false)
}

#[pyfunction]
#[pyo3(signature = (input, num_samples, replacement=false, *, generator=None, out=None))]
fn multinomial<'py>(
    py: Python<'py>,
    input: &Bound<'py, PyAny>,
    num_samples: i64,
    replacement: bool,
    generator: Option<PyRef<'py, PyGenerator>>,
    out: Option<Bound<'py, PyTensor>>,
) -> PyResult<Bound<'py, PyAny>> {
    let t = args::tensor(input, "multinomial", "input")?;
    let g = gen_arc(generator);
    finish(py, t.multinomial(num_samples, replacement, g.as_deref())?, out, false)
}

// ------------------------------------------------------------------ Tensor methods

#[pymethods]
impl PyTensor {
    #[pyo3(signature = (from=0.0, to=1.0, *, generator=None))]
    fn uniform_<'py>(slf: Bound<'py, Self>, from: f64, to: f64, generator: Option<PyRef<PyGenerator>>) -> PyResult<Bound<'py, Self>> {
        let g = gen_arc(generator);
        slf.borrow().t.uniform_(from, to, g.as_deref())?;
        Ok(slf)
    }
    #[pyo3(signature = (mean=0.0, std=1.0, *, generator=None))]
    fn normal_<'py>(slf: Bound<'py, Self>, mean: f64, std: f64, generator: Option<PyRef<PyGenerator>>) -> PyResult<Bound<'py, Self>> {
        let g = gen_arc(generator);
        slf.borrow().t.normal_(mean, std, g.as_deref())?;
        Ok(slf)
    }
    #[pyo3(signature = (lambd=1.0, *, generator=None))]
    fn exponential_<'py>(slf: Bound<'py, Self>, lambd: f64, generator: Option<PyRef<PyGenerator>>) -> PyResult<Bound<'py, Self>> {
        let g = gen_arc(generator);
        slf.borrow().t.exponential_(lambd, g.as_deref())?;
        Ok(slf)
    }
    /// `random_()`, `random_(to)`, `random_(from, to)` (`to=None` means the dtype's maximum).
    #[pyo3(signature = (*args_, from=None, to=None, generator=None))]
    fn random_<'py>(
        slf: Bound<'py, Self>,
        args_: &Bound<'py, PyTuple>,
        from: Option<&Bound<'py, PyAny>>,
        to: Option<&Bound<'py, PyAny>>,
        generator: Option<PyRef<PyGenerator>>,
    ) -> PyResult<Bound<'py, Self>> {
        let opt = |o: Option<Bound<PyAny>>| -> PyResult<Option<i64>> {
            match o {
                Some(x) if !x.is_none() => Ok(Some(args::index_int(&x)?)),
                _ => Ok(None),
            }
        };
        let (from_kw, to_kw) = (opt(from.cloned())?, opt(to.cloned())?);
        let (lo, hi) = match args_.len() {
            0 => (from_kw, to_kw),
            1 if to.is_some() => (opt(Some(args_.get_item(0)?))?.or(Some(0)), to_kw),
            1 => (None, opt(Some(args_.get_item(0)?))?),
            2 => (opt(Some(args_.get_item(0)?))?.or(Some(0)), opt(Some(args_.get_item(1)?))?),
            n => return Err(PyTypeError::new_err(format!("random_() takes at most 2 positional arguments ({n} given)"))),
        };
        let g = gen_arc(generator);
        slf.borrow().t.random_(lo, hi, g.as_deref())?;
        Ok(slf)
    }
    #[pyo3(signature = (p=None, *, generator=None))]
    fn bernoulli_<'py>(slf: Bound<'py, Self>, p: Option<&Bound<'py, PyAny>>, generator: Option<PyRef<PyGenerator>>) -> PyResult<Bound<'py, Self>> {
        let g = gen_arc(generator);
        match p {
            Some(pt) if pt.downcast::<PyTensor>().is_ok() => {
                let probs = pt.downcast::<PyTensor>()?.borrow().t.clone();
                slf.borrow().t.bernoulli_tensor_(&probs, g.as_deref())?;
            }
            Some(x) if !x.is_none() => slf.borrow().t.bernoulli_scalar_(float_arg(x, "p")?, g.as_deref())?,
            _ => slf.borrow().t.bernoulli_scalar_(0.5, g.as_deref())?,
        }
        Ok(slf)
    }
    #[pyo3(name = "bernoulli", signature = (p=None, *, generator=None))]
    fn bernoulli_method(&self, p: Option<f64>, generator: Option<PyRef<PyGenerator>>) -> PyResultT {
        let g = gen_arc(generator);
        Ok(PyTensor::new(self.t.bernoulli(p, g.as_deref())?))
    }
    #[pyo3(name = "multinomial", signature = (num_samples, replacement=false, *, generator=None))]
    fn multinomial_method(&self, num_samples: i64, replacement: bool, generator: Option<PyRef<PyGenerator>>) -> PyResultT {
        let g = gen_arc(generator);
        Ok(PyTensor::new(self.t.multinomial(num_samples, replacement, g.as_deref())?))
    }
    #[pyo3(signature = (*, stream=None, max_version=None, dl_device=None, copy=None))]
    fn __dlpack__<'py>(
        &self,
        py: Python<'py>,
        stream: Option<&Bound<'py, PyAny>>,
        max_version: Option<&Bound<'py, PyAny>>,
        dl_device: Option<&Bound<'py, PyAny>>,
        copy: Option<bool>,
    ) -> PyResult<Bound<'py, PyAny>> {
        if self.t.device().is_gpu() {
            // wgpu exposes no device pointers, so there is nothing a consumer could import.
            return Err(PyRuntimeError::new_err(
                "GPU tensors cannot be exported through DLPack (wgpu buffers have no device address); call .cpu() first",
            ));
        }
        dlpack::to_capsule(py, &self.t, stream, max_version, dl_device, copy)
    }
    fn __dlpack_device__(&self) -> (i32, i32) {
        (dlpack::KDL_CPU, 0)
    }
}

#[pyfunction]
fn from_dlpack(ext_tensor: &Bound<PyAny>) -> PyResultT {
    Ok(PyTensor::new(dlpack::from_dlpack_obj(ext_tensor)?))
}

/// `torch.set_default_device(device)`: None means the CPU again.
#[pyfunction]
fn _set_default_device(device: Option<&Bound<PyAny>>) -> PyResult<()> {
    set_default_device(device_arg(device)?.unwrap_or(Device::Cpu));
    Ok(())
}

#[pyfunction]
fn _get_default_device() -> PyDevice {
    PyDevice::of(default_device())
}

pub fn register(m: &Bound<PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_set_default_device, m)?)?;
    m.add_function(wrap_pyfunction!(_get_default_device, m)?)?;
    m.add_class::<PyGenerator>()?;
    m.add("default_generator", Py::new(m.py(), PyGenerator { g: default_generator().clone() })?)?;
    m.add_function(wrap_pyfunction!(tensor, m)?)?;
    m.add_function(wrap_pyfunction!(as_tensor, m)?)?;
    m.add_function(wrap_pyfunction!(asarray, m)?)?;
    m.add_function(wrap_pyfunction!(zeros, m)?)?;
    m.add_function(wrap_pyfunction!(ones, m)?)?;
    m.add_function(wrap_pyfunction!(empty, m)?)?;
    m.add_function(wrap_pyfunction!(full, m)?)?;
    m.add_function(wrap_pyfunction!(scalar_tensor, m)?)?;
    m.add_function(wrap_pyfunction!(empty_strided, m)?)?;
    m.add_function(wrap_pyfunction!(arange, m)?)?;
    m.add_function(wrap_pyfunction!(linspace, m)?)?;
    m.add_function(wrap_pyfunction!(logspace, m)?)?;
    m.add_function(wrap_pyfunction!(eye, m)?)?;
    m.add_function(wrap_pyfunction!(zeros_like, m)?)?;
    m.add_function(wrap_pyfunction!(ones_like, m)?)?;
    m.add_function(wrap_pyfunction!(empty_like, m)?)?;
    m.add_function(wrap_pyfunction!(full_like, m)?)?;
    m.add_function(wrap_pyfunction!(rand_like, m)?)?;
    m.add_function(wrap_pyfunction!(randn_like, m)?)?;
    m.add_function(wrap_pyfunction!(randint_like, m)?)?;
    m.add_function(wrap_pyfunction!(rand, m)?)?;
    m.add_function(wrap_pyfunction!(randn, m)?)?;
    m.add_function(wrap_pyfunction!(randint, m)?)?;
    m.add_function(wrap_pyfunction!(randperm, m)?)?;
    m.add_function(wrap_pyfunction!(normal, m)?)?;
    m.add_function(wrap_pyfunction!(bernoulli, m)?)?;
    m.add_function(wrap_pyfunction!(multinomial, m)?)?;
    m.add_function(wrap_pyfunction!(manual_seed, m)?)?;
    m.add_function(wrap_pyfunction!(seed, m)?)?;
    m.add_function(wrap_pyfunction!(initial_seed, m)?)?;
    m.add_function(wrap_pyfunction!(get_rng_state, m)?)?;
    m.add_function(wrap_pyfunction!(set_rng_state, m)?)?;
    m.add_function(wrap_pyfunction!(from_dlpack, m)?)?;
    Ok(())
}
