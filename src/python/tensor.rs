//! The `Tensor` class: metadata, conversions and views. Arithmetic lives in `elementwise.rs`,
//! reductions in `reduce.rs`, and so on; each adds its own `#[pymethods]` block.
use crate::dtype::{DType, Scalar};
use crate::python::args;
use crate::python::convert;
use crate::python::dtype::{check_device, device_arg, PyDType, PyDevice};
use crate::storage::Device;
use crate::tensor::Tensor;
use pyo3::exceptions::{PyIndexError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::GILOnceCell;
use pyo3::types::{PyBytes, PyTuple, PyType};

#[pyclass(name = "Tensor", module = "ferrotorch", subclass, weakref)]
pub struct PyTensor {
    pub t: Tensor,
    /// The Python object `.grad` last returned or was assigned, handed out again while the
    /// gradient is still that same tensor, so that `x.grad is x.grad` (and `x.grad = g;
    /// x.grad is g`) hold as in PyTorch.
    pub(crate) grad_object: std::sync::Mutex<Option<Py<PyTensor>>>,
}

impl PyTensor {
    pub fn new(t: Tensor) -> PyTensor {
        PyTensor { t, grad_object: std::sync::Mutex::new(None) }
    }
}

pub type PyResultT = PyResult<PyTensor>;

/// Wraps a list of tensors into a Python tuple (for split, unbind, ...).
pub fn tensor_tuple<'py>(py: Python<'py>, ts: Vec<Tensor>) -> PyResult<Bound<'py, PyTuple>> {
    let items: PyResult<Vec<Bound<PyTensor>>> = ts.into_iter().map(|t| Bound::new(py, PyTensor::new(t))).collect();
    PyTuple::new(py, items?)
}

static SIZE_TYPE: GILOnceCell<Py<PyType>> = GILOnceCell::new();

/// `torch.Size` is a tuple subclass defined in Python; Rust builds instances of it.
pub fn size_object<'py>(py: Python<'py>, shape: &[usize]) -> PyResult<Bound<'py, PyAny>> {
    let tup = PyTuple::new(py, shape)?;
    match SIZE_TYPE.get(py) {
        Some(ty) => ty.bind(py).call1((tup,)),
        None => Ok(tup.into_any()),
    }
}

#[pyfunction]
fn _set_size_type(py: Python, ty: Bound<PyType>) {
    let _ = SIZE_TYPE.set(py, ty.unbind());
}

/// `to(...)`'s positional forms: a dtype, a device, a device then a dtype, or another tensor.
fn parse_to_args(
    args: &Bound<PyTuple>,
    dtype_kw: Option<&Bound<PyAny>>,
    device_kw: Option<&Bound<PyAny>>,
) -> PyResult<(Option<DType>, Option<Device>)> {
    let mut dtype = args::dtype(dtype_kw)?;
    let mut device = device_arg(device_kw)?;
    for a in args.iter() {
        if let Ok(d) = a.extract::<PyDType>() {
            dtype = Some(d.0);
        } else if let Ok(other) = a.downcast::<PyTensor>() {
            dtype = Some(other.borrow().t.dtype());
            device = Some(other.borrow().t.device());
        } else if a.is_none() {
        } else {
            device = device_arg(Some(&a))?;
        }
    }
    Ok((dtype, device))
}

/// The message PyTorch gives for host-only conversions of device tensors.
fn host_only(what: &str) -> PyErr {
    PyTypeError::new_err(format!(
        "can't convert gpu:0 device type tensor to {what}. Use Tensor.cpu() to copy the tensor to host memory first."
    ))
}

/// A host copy for reading (`.item()`, `.tolist()`, pickling); the wait for the GPU releases
/// the GIL.
fn to_host(py: Python, t: &Tensor) -> PyResult<Tensor> {
    if !t.device().is_gpu() {
        return Ok(t.clone());
    }
    let t = t.detach();
    Ok(py.allow_threads(move || t.to_device(Device::Cpu))?)
}

/// `t` on `device`, differentiably; a readback releases the GIL while it waits.
fn to_device_py(py: Python, t: &Tensor, device: Device) -> PyResult<Tensor> {
    if device == Device::Cpu && t.device().is_gpu() && !t.requires_grad() {
        let t = t.clone();
        return Ok(py.allow_threads(move || t.to_device(Device::Cpu))?);
    }
    Ok(t.to_device_grad(device)?)
}

#[pymethods]
impl PyTensor {
    /// `torch.Tensor(...)`, the legacy constructor; subclasses (`nn.Parameter`) build on it.
    /// `Tensor(t)` aliases `t`'s data outside its graph, `Tensor(2, 3)` allocates that shape
    /// (zero-filled), `Tensor(data)` converts a sequence or array to the default dtype.
    #[new]
    #[pyo3(signature = (*args, device=None))]
    fn py_new(args: &Bound<PyTuple>, device: Option<&Bound<PyAny>>) -> PyResultT {
        check_device(device)?;
        let dtype = crate::dtype::default_dtype();
        if args.is_empty() {
            return Ok(PyTensor::new(Tensor::zeros(&[0], dtype)?));
        }
        if args.len() == 1 {
            let a = args.get_item(0)?;
            if let Ok(t) = a.downcast::<PyTensor>() {
                return Ok(PyTensor::new(t.borrow().t.detach()));
            }
            if a.extract::<i64>().is_err() {
                return Ok(PyTensor::new(convert::tensor_from_data(&a, Some(dtype))?));
            }
        }
        let mut shape = Vec::with_capacity(args.len());
        for a in args.iter() {
            let n: i64 = a.extract().map_err(|_| {
                PyTypeError::new_err(format!(
                    "new(): argument 'size' must be tuple of ints, but found element of type {}",
                    a.get_type().name().map(|n| n.to_string()).unwrap_or_default()
                ))
            })?;
            if n < 0 {
                return Err(PyRuntimeError::new_err(format!(
                    "Trying to create tensor with negative dimension {n}: {:?}",
                    args.iter().map(|a| a.extract::<i64>().unwrap_or(0)).collect::<Vec<_>>()
                )));
            }
            shape.push(n as usize);
        }
        Ok(PyTensor::new(Tensor::zeros(&shape, dtype)?))
    }
    // ----------------------------------------------------------------- metadata
    #[getter]
    fn shape<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        size_object(py, self.t.shape())
    }
    #[pyo3(signature = (dim=None))]
    fn size<'py>(&self, py: Python<'py>, dim: Option<i64>) -> PyResult<Bound<'py, PyAny>> {
        match dim {
            None => size_object(py, self.t.shape()),
            Some(d) => Ok(self.t.size(d)?.into_pyobject(py)?.into_any()),
        }
    }
    #[getter]
    fn dtype(&self, py: Python<'_>) -> PyResult<Py<PyDType>> {
        crate::python::dtype::dtype_object(py, self.t.dtype())
    }
    #[getter(device)]
    fn device_attr(&self) -> PyDevice {
        PyDevice::of(self.t.device())
    }
    /// True for tensors on the GPU ("cuda" is an alias of the wgpu GPU).
    #[getter]
    fn is_cuda(&self) -> bool {
        self.t.device().is_gpu()
    }
    #[getter]
    fn is_cpu(&self) -> bool {
        !self.t.device().is_gpu()
    }
    #[getter]
    fn ndim(&self) -> usize {
        self.t.ndim()
    }
    fn dim(&self) -> usize {
        self.t.ndim()
    }
    fn ndimension(&self) -> usize {
        self.t.ndim()
    }
    fn numel(&self) -> usize {
        self.t.numel()
    }
    fn nelement(&self) -> usize {
        self.t.numel()
    }
    #[pyo3(signature = (dim=None))]
    fn stride<'py>(&self, py: Python<'py>, dim: Option<i64>) -> PyResult<Bound<'py, PyAny>> {
        match dim {
            None => Ok(PyTuple::new(py, self.t.strides())?.into_any()),
            Some(d) => {
                let d = crate::shape::normalize_dim(d, self.t.ndim())?;
                Ok(self.t.strides()[d].into_pyobject(py)?.into_any())
            }
        }
    }
    fn storage_offset(&self) -> usize {
        self.t.offset()
    }
    #[pyo3(signature = (memory_format=None))]
    fn is_contiguous(&self, memory_format: Option<&Bound<PyAny>>) -> bool {
        let _ = memory_format;
        self.t.is_contiguous()
    }
    fn element_size(&self) -> usize {
        self.t.dtype().size()
    }
    #[getter]
    fn itemsize(&self) -> usize {
        self.t.dtype().size()
    }
    #[getter]
    fn nbytes(&self) -> usize {
        self.t.numel() * self.t.dtype().size()
    }
    fn data_ptr(&self) -> usize {
        self.t.data_ptr()
    }
    fn is_floating_point(&self) -> bool {
        self.t.dtype().is_float()
    }
    fn is_complex(&self) -> bool {
        self.t.dtype().is_complex()
    }
    fn is_signed(&self) -> bool {
        self.t.dtype().is_signed()
    }
    #[pyo3(name = "get_device")]
    fn device_index(&self) -> i64 {
        if self.t.device().is_gpu() { 0 } else { -1 }
    }
    #[getter(T)]
    fn big_t(&self, py: Python) -> PyResultT {
        // PyTorch deprecates `.T` except on matrices, warning once per process for each message.
        static WARNED_0D: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
        static WARNED_ND: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
        match self.t.ndim() {
            0 => crate::python::warn::user_warning_once(py, &WARNED_0D, "Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases.")?,
            2 => {}
            _ => crate::python::warn::user_warning_once(
                py,
                &WARNED_ND,
                "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated and it will \
                 throw an error in a future release. Consider `x.mT` to transpose batches of matrices or \
                 `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a tensor.",
            )?,
        }
        Ok(PyTensor::new(self.t.reversed_dims()?))
    }
    #[getter(mT)]
    fn m_t(&self) -> PyResultT {
        Ok(PyTensor::new(self.t.mt()?))
    }
    fn untyped_storage_nbytes(&self) -> usize {
        self.t.storage().nbytes()
    }
    /// Identity of the underlying storage (tests use it to check views share memory).
    fn _storage_id(&self) -> usize {
        self.t.storage().address()
    }

    // ----------------------------------------------------------------- Python protocol
    fn __len__(&self) -> PyResult<usize> {
        if self.t.ndim() == 0 {
            return Err(PyTypeError::new_err("len() of a 0-d tensor"));
        }
        Ok(self.t.shape()[0])
    }
    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        if self.t.ndim() == 0 {
            return Err(PyTypeError::new_err("iteration over a 0-d tensor"));
        }
        tensor_tuple(py, self.t.unbind(0)?)?.try_iter().map(|i| i.into_any())
    }
    fn __bool__(&self) -> PyResult<bool> {
        match self.t.numel() {
            0 => Err(PyRuntimeError::new_err("Boolean value of Tensor with no values is ambiguous")),
            1 if self.t.dtype().is_complex() => {
                let (re, im) = convert::complex_item(&self.t)?;
                Ok(re != 0.0 || im != 0.0)
            }
            1 => Ok(self.t.item()?.to_f64() != 0.0),
            _ => Err(PyRuntimeError::new_err("Boolean value of Tensor with more than one value is ambiguous")),
        }
    }
    fn __float__(&self, py: Python) -> PyResult<f64> {
        // PyTorch warns once per process (TORCH_WARN_ONCE: every time under
        // `torch.set_warn_always(True)`) when float() cuts a tensor out of a graph being recorded.
        static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
        if self.t.requires_grad() && crate::autograd::mode::is_grad_enabled() {
            crate::python::warn::user_warning_once(
                py,
                &WARNED,
                "Converting a tensor with requires_grad=True to a scalar may lead to unexpected behavior.\nConsider using tensor.detach() first.",
            )?;
        }
        Ok(self.python_number()?.to_f64())
    }
    fn __int__(&self) -> PyResult<i64> {
        let s = self.python_number()?;
        if let Scalar::Float(f) = s {
            if !f.is_finite() {
                return Err(PyValueError::new_err(format!("cannot convert float {} to integer", if f.is_nan() { "NaN" } else { "infinity" })));
            }
        }
        Ok(s.to_i64())
    }
    fn __index__(&self) -> PyResult<i64> {
        if self.t.numel() != 1 || self.t.dtype().is_float() {
            return Err(PyTypeError::new_err("only integer tensors of a single element can be converted to an index"));
        }
        Ok(self.t.item()?.to_i64())
    }
    fn __hash__(slf: &Bound<Self>) -> isize {
        slf.as_ptr() as isize
    }
    fn __repr__(slf: &Bound<Self>) -> PyResult<String> {
        let f = slf.py().import("ferrotorch._tensor_str")?.getattr("tensor_repr")?;
        f.call1((slf,))?.extract()
    }
    /// A 0-d tensor formats as its number (`f"{loss:.3f}"` gives `0.250`), as in PyTorch; subclasses
    /// such as Parameter and bigger tensors format as their str, and only with an empty spec.
    fn __format__(slf: &Bound<Self>, spec: &str) -> PyResult<String> {
        let t = &slf.borrow().t;
        if t.ndim() == 0 && slf.get_type().is(&slf.py().get_type::<PyTensor>()) {
            let v = if t.dtype().is_complex() {
                let (re, im) = convert::complex_item(t)?;
                pyo3::types::PyComplex::from_doubles(slf.py(), re, im).into_any()
            } else {
                convert::scalar_py(slf.py(), t.item()?)?
            };
            return v.call_method1("__format__", (spec,))?.extract();
        }
        if !spec.is_empty() {
            // What `object.__format__` says, as PyTorch falls back to it.
            return Err(PyTypeError::new_err(format!("unsupported format string passed to {}.__format__", slf.get_type().name()?)));
        }
        slf.str()?.extract()
    }
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let c = to_host(py, &self.t)?.contiguous()?;
        let nbytes = c.numel() * c.dtype().size();
        // SAFETY: contiguous range of the storage.
        let bytes = unsafe { std::slice::from_raw_parts(c.data_ptr() as *const u8, nbytes) };
        let rebuild = py.import("ferrotorch._C")?.getattr("_tensor_from_bytes")?;
        let args = PyTuple::new(py, [
            PyBytes::new(py, bytes).into_any(),
            PyTuple::new(py, self.t.shape())?.into_any(),
            self.t.dtype().name().into_pyobject(py)?.into_any(),
            // PyTorch keeps requires_grad through pickle and copy.deepcopy.
            pyo3::types::PyBool::new(py, self.t.requires_grad()).to_owned().into_any(),
            self.t.device().name().into_pyobject(py)?.into_any(),
        ])?;
        Ok((rebuild, args))
    }
    #[pyo3(signature = (dtype=None, copy=None))]
    fn __array__<'py>(&self, py: Python<'py>, dtype: Option<Bound<'py, PyAny>>, copy: Option<bool>) -> PyResult<Bound<'py, PyAny>> {
        let arr = self.numpy(py, false)?;
        let arr = match dtype {
            Some(d) if !d.is_none() => arr.call_method1("astype", (d,))?,
            _ => arr,
        };
        if copy == Some(true) {
            return arr.call_method0("copy");
        }
        Ok(arr)
    }

    // ----------------------------------------------------------------- conversions
    fn item<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        if self.t.dtype().is_complex() && self.t.numel() == 1 {
            let (re, im) = convert::complex_item(&self.t)?;
            return Ok(pyo3::types::PyComplex::from_doubles(py, re, im).into_any());
        }
        if self.t.device().is_gpu() && self.t.numel() == 1 {
            return convert::scalar_py(py, to_host(py, &self.t)?.item()?);
        }
        convert::scalar_py(py, self.item_checked()?)
    }
    fn tolist<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::tolist(py, &to_host(py, &self.t)?)
    }
    #[pyo3(signature = (*, force=false))]
    fn numpy<'py>(&self, py: Python<'py>, force: bool) -> PyResult<Bound<'py, PyAny>> {
        if self.t.device().is_gpu() && !force {
            return Err(host_only("numpy"));
        }
        if force {
            // PyTorch's force=True: detached, on the host, and always a copy that shares nothing.
            let host = to_host(py, &self.t.detach())?;
            return convert::to_numpy(py, &host)?.call_method0("copy");
        }
        if self.t.requires_grad() {
            return Err(PyRuntimeError::new_err(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.",
            ));
        }
        convert::to_numpy(py, &self.t)
    }
    #[pyo3(signature = (*args, dtype=None, device=None, non_blocking=false, copy=false, memory_format=None))]
    fn to(
        &self,
        py: Python,
        args: &Bound<PyTuple>,
        dtype: Option<&Bound<PyAny>>,
        device: Option<&Bound<PyAny>>,
        non_blocking: bool,
        copy: bool,
        memory_format: Option<&Bound<PyAny>>,
    ) -> PyResultT {
        let _ = (non_blocking, memory_format);
        let (d, dev) = parse_to_args(args, dtype, device)?;
        let d = d.unwrap_or(self.t.dtype());
        crate::python::warn::complex_to_real_cast(py, self.t.dtype(), d)?;
        let t = match dev {
            Some(dev) if dev != self.t.device() => to_device_py(py, &self.t, dev)?,
            _ => self.t.clone(),
        };
        let moved = !t.same_storage(&self.t);
        Ok(PyTensor::new(if copy && !moved { t.to_copy(d)? } else { t.to_dtype(d)? }))
    }
    #[pyo3(signature = (memory_format=None))]
    fn cpu(&self, py: Python, memory_format: Option<&Bound<PyAny>>) -> PyResultT {
        let _ = memory_format;
        Ok(PyTensor::new(to_device_py(py, &self.t, Device::Cpu)?))
    }
    /// `cuda(device=None)`: the tensor on the GPU ("cuda" is an alias of the wgpu GPU).
    #[pyo3(signature = (device=None, non_blocking=false, memory_format=None))]
    fn cuda(&self, py: Python, device: Option<&Bound<PyAny>>, non_blocking: bool, memory_format: Option<&Bound<PyAny>>) -> PyResultT {
        let _ = (non_blocking, memory_format);
        if let Some(d) = device_arg(device)? {
            if !d.is_gpu() {
                return Err(PyRuntimeError::new_err("Invalid device, must be cuda device"));
            }
        }
        PyDevice { kind: "gpu".into(), index: None }.resolve()?;
        Ok(PyTensor::new(to_device_py(py, &self.t, Device::Gpu)?))
    }
    /// `gpu()`: ferrotorch's own name for `cuda()`.
    #[pyo3(signature = (device=None, non_blocking=false, memory_format=None))]
    fn gpu(&self, py: Python, device: Option<&Bound<PyAny>>, non_blocking: bool, memory_format: Option<&Bound<PyAny>>) -> PyResultT {
        self.cuda(py, device, non_blocking, memory_format)
    }
    #[pyo3(signature = (dtype=None, non_blocking=false))]
    fn r#type<'py>(&self, py: Python<'py>, dtype: Option<&Bound<'py, PyAny>>, non_blocking: bool) -> PyResult<Bound<'py, PyAny>> {
        let _ = non_blocking;
        let cuda = if self.t.device().is_gpu() { "cuda." } else { "" };
        match dtype {
            None => Ok(format!("torch.{cuda}{}", self.t.dtype().legacy_name()).into_pyobject(py)?.into_any()),
            Some(d) => {
                // A type name ("torch.cuda.FloatTensor" names the device too), a legacy type class
                // (torch.FloatTensor: a CPU type), or a dtype (keeps the device).
                let name = match d.extract::<String>() {
                    Ok(s) => Some(s),
                    Err(_) if d.is_instance_of::<pyo3::types::PyType>() => Some(format!("torch.{}", d.getattr("__name__")?)),
                    Err(_) => None,
                };
                let (target, device) = match name {
                    Some(s) => {
                        let bare = s.strip_prefix("torch.").unwrap_or(&s);
                        let (gpu, bare) = match bare.strip_prefix("cuda.") {
                            Some(rest) => (true, rest),
                            None => (false, bare),
                        };
                        let dt = crate::dtype::ALL_DTYPES
                            .into_iter()
                            .find(|x| x.legacy_name() == bare)
                            .ok_or_else(|| PyValueError::new_err(format!("invalid type: '{s}'")))?;
                        (dt, if gpu { Device::Gpu } else { Device::Cpu })
                    }
                    None => (args::dtype(Some(d))?.unwrap(), self.t.device()),
                };
                crate::python::warn::complex_to_real_cast(py, self.t.dtype(), target)?;
                let converted = to_device_py(py, &self.t.to_dtype(target)?, device)?;
                Ok(Bound::new(py, PyTensor::new(converted))?.into_any())
            }
        }
    }
    fn float(&self) -> PyResultT {
        self.cast(DType::F32)
    }
    fn double(&self) -> PyResultT {
        self.cast(DType::F64)
    }
    fn half(&self) -> PyResultT {
        self.cast(DType::F16)
    }
    fn bfloat16(&self) -> PyResultT {
        self.cast(DType::BF16)
    }
    fn long(&self) -> PyResultT {
        self.cast(DType::I64)
    }
    fn int(&self) -> PyResultT {
        self.cast(DType::I32)
    }
    fn short(&self) -> PyResultT {
        self.cast(DType::I16)
    }
    fn char(&self) -> PyResultT {
        self.cast(DType::I8)
    }
    fn byte(&self) -> PyResultT {
        self.cast(DType::U8)
    }
    fn bool(&self) -> PyResultT {
        self.cast(DType::Bool)
    }
    #[pyo3(signature = (*, memory_format=None))]
    fn clone(&self, memory_format: Option<&Bound<PyAny>>) -> PyResultT {
        let strides = args::memory_format_strides(&self.t, memory_format)?;
        Ok(PyTensor::new(self.t.clone_tensor(strides)?))
    }
    #[pyo3(signature = (memory_format=None))]
    fn contiguous(&self, memory_format: Option<&Bound<PyAny>>) -> PyResultT {
        let _ = memory_format;
        Ok(PyTensor::new(self.t.contiguous()?))
    }
    #[pyo3(signature = (src, non_blocking=false))]
    fn copy_<'py>(slf: Bound<'py, Self>, src: &Bound<PyAny>, non_blocking: bool) -> PyResult<Bound<'py, Self>> {
        let _ = non_blocking;
        let src = args::tensor(src, "copy_", "src")?;
        crate::python::warn::complex_to_real_cast(slf.py(), src.dtype(), slf.borrow().t.dtype())?;
        crate::autograd::inplace::copy_(&mut slf.borrow_mut().t, &src)?;
        Ok(slf)
    }
    fn fill_<'py>(slf: Bound<'py, Self>, value: &Bound<PyAny>) -> PyResult<Bound<'py, Self>> {
        let dtype = slf.borrow().t.dtype();
        if let Some(c) = args::complex_value(value, Some(dtype))? {
            crate::autograd::inplace::copy_(&mut slf.borrow_mut().t, &c)?;
            return Ok(slf);
        }
        let v = args::require_scalar(value, "fill_(): argument 'value'")?;
        v.check_fits(slf.borrow().t.dtype())?;
        crate::autograd::inplace::fill_(&mut slf.borrow_mut().t, v)?;
        Ok(slf)
    }
    fn zero_<'py>(slf: Bound<'py, Self>) -> PyResult<Bound<'py, Self>> {
        crate::autograd::inplace::fill_(&mut slf.borrow_mut().t, Scalar::Int(0))?;
        Ok(slf)
    }

    // ----------------------------------------------------------------- views
    #[pyo3(signature = (*shape))]
    fn view(&self, shape: &Bound<PyTuple>) -> PyResultT {
        if shape.len() == 1 {
            if let Some(d) = args::dtype(Some(&shape.get_item(0)?)).ok().flatten() {
                if d.size() != self.t.dtype().size() {
                    return Err(PyRuntimeError::new_err("view(dtype) between dtypes of different sizes is not supported"));
                }
                return Ok(PyTensor::new(Tensor::from_parts(self.t.storage().clone(), self.t.layout().clone(), d)));
            }
        }
        Ok(PyTensor::new(self.t.view(&args::sizes(shape, "view", "size")?)?))
    }
    fn view_as(&self, other: PyRef<PyTensor>) -> PyResultT {
        let s: Vec<i64> = other.t.shape().iter().map(|&x| x as i64).collect();
        Ok(PyTensor::new(self.t.view(&s)?))
    }
    #[pyo3(signature = (*shape))]
    fn reshape(&self, shape: &Bound<PyTuple>) -> PyResultT {
        Ok(PyTensor::new(self.t.reshape(&args::sizes(shape, "reshape", "shape")?)?))
    }
    fn reshape_as(&self, other: PyRef<PyTensor>) -> PyResultT {
        let s: Vec<i64> = other.t.shape().iter().map(|&x| x as i64).collect();
        Ok(PyTensor::new(self.t.reshape(&s)?))
    }
    #[pyo3(signature = (*dims))]
    fn permute(&self, dims: &Bound<PyTuple>) -> PyResultT {
        Ok(PyTensor::new(self.t.permute(&args::sizes(dims, "permute", "dims")?)?))
    }
    fn transpose(&self, dim0: i64, dim1: i64) -> PyResultT {
        Ok(PyTensor::new(self.t.transpose(dim0, dim1)?))
    }
    fn swapaxes(&self, axis0: i64, axis1: i64) -> PyResultT {
        self.transpose(axis0, axis1)
    }
    fn swapdims(&self, dim0: i64, dim1: i64) -> PyResultT {
        self.transpose(dim0, dim1)
    }
    fn t(&self) -> PyResultT {
        Ok(PyTensor::new(self.t.t()?))
    }
    #[pyo3(signature = (*sizes))]
    fn expand(&self, sizes: &Bound<PyTuple>) -> PyResultT {
        Ok(PyTensor::new(self.t.expand_sizes(&args::sizes(sizes, "expand", "size")?)?))
    }
    fn expand_as(&self, other: PyRef<PyTensor>) -> PyResultT {
        Ok(PyTensor::new(self.t.expand(other.t.shape())?))
    }
    fn broadcast_to(&self, shape: &Bound<PyAny>) -> PyResultT {
        Ok(PyTensor::new(self.t.expand_sizes(&args::int_list(shape)?)?))
    }
    #[pyo3(signature = (dim=None))]
    fn squeeze(&self, dim: Option<&Bound<PyAny>>) -> PyResultT {
        let d = args::dims(dim)?;
        Ok(PyTensor::new(self.t.squeeze(d.as_deref())?))
    }
    fn unsqueeze(&self, dim: i64) -> PyResultT {
        Ok(PyTensor::new(self.t.unsqueeze(dim)?))
    }
    #[pyo3(signature = (start_dim=0, end_dim=-1))]
    fn flatten(&self, start_dim: i64, end_dim: i64) -> PyResultT {
        Ok(PyTensor::new(self.t.flatten(start_dim, end_dim)?))
    }
    fn ravel(&self) -> PyResultT {
        Ok(PyTensor::new(self.t.reshape(&[-1])?))
    }
    fn unflatten(&self, dim: i64, sizes: &Bound<PyAny>) -> PyResultT {
        Ok(PyTensor::new(self.t.unflatten(dim, &args::int_list(sizes)?)?))
    }
    fn narrow(&self, dim: i64, start: &Bound<PyAny>, length: i64) -> PyResultT {
        // The Tensor overload of `start` takes only a 0-dim integer tensor (not bool).
        if let Ok(t) = start.downcast::<PyTensor>() {
            let t = &t.borrow().t;
            if t.ndim() != 0 || t.dtype().is_float() || t.dtype() == crate::dtype::DType::Bool {
                return Err(pyo3::exceptions::PyRuntimeError::new_err("start must be an 0-dim integral Tensor."));
            }
        }
        Ok(PyTensor::new(self.t.narrow(dim, args::index_int(start)?, length)?))
    }
    fn select(&self, dim: i64, index: &Bound<PyAny>) -> PyResultT {
        Ok(PyTensor::new(self.t.select(dim, args::index_int(index)?)?))
    }
    #[pyo3(signature = (dim=0))]
    fn unbind<'py>(&self, py: Python<'py>, dim: i64) -> PyResult<Bound<'py, PyTuple>> {
        tensor_tuple(py, self.t.unbind(dim)?)
    }
    /// `Tensor.split(split_size, dim=0)`: the method's keyword is `split_size` (the function's
    /// is `split_size_or_sections`).
    #[pyo3(signature = (split_size, dim=0))]
    fn split<'py>(&self, py: Python<'py>, split_size: &Bound<PyAny>, dim: i64) -> PyResult<Bound<'py, PyTuple>> {
        let parts = match args::index_int(split_size) {
            Ok(s) => self.t.split_size(s, dim)?,
            Err(_) => self.t.split_sizes(&args::int_list(split_size)?, dim)?,
        };
        tensor_tuple(py, parts)
    }
    #[pyo3(signature = (chunks, dim=0))]
    fn chunk<'py>(&self, py: Python<'py>, chunks: i64, dim: i64) -> PyResult<Bound<'py, PyTuple>> {
        tensor_tuple(py, self.t.chunk(chunks, dim)?)
    }
    #[pyo3(signature = (offset=0, dim1=0, dim2=1))]
    fn diagonal(&self, offset: i64, dim1: i64, dim2: i64) -> PyResultT {
        Ok(PyTensor::new(self.t.diagonal(offset, dim1, dim2)?))
    }
    #[pyo3(signature = (size, stride, storage_offset=None))]
    fn as_strided(&self, size: &Bound<PyAny>, stride: &Bound<PyAny>, storage_offset: Option<i64>) -> PyResultT {
        Ok(PyTensor::new(self.t.as_strided(&args::int_list(size)?, &args::int_list(stride)?, storage_offset)?))
    }
    fn movedim(&self, source: &Bound<PyAny>, destination: &Bound<PyAny>) -> PyResultT {
        Ok(PyTensor::new(self.t.movedim(&args::int_list(source)?, &args::int_list(destination)?)?))
    }
    fn moveaxis(&self, source: &Bound<PyAny>, destination: &Bound<PyAny>) -> PyResultT {
        self.movedim(source, destination)
    }
    fn unfold(&self, dimension: i64, size: i64, step: i64) -> PyResultT {
        Ok(PyTensor::new(self.t.unfold(dimension, size, step)?))
    }
}

impl PyTensor {
    fn cast(&self, d: DType) -> PyResultT {
        Python::with_gil(|py| crate::python::warn::complex_to_real_cast(py, self.t.dtype(), d))?;
        Ok(PyTensor::new(self.t.to_dtype(d)?))
    }
    /// The one element for `float(t)` / `int(t)`, which (unlike `item()`) raise ValueError.
    fn python_number(&self) -> PyResult<Scalar> {
        if self.t.numel() != 1 {
            return Err(PyValueError::new_err("only one element tensors can be converted to Python scalars"));
        }
        if self.t.dtype().is_complex() {
            // float() and int() of a complex tensor take its real part, as PyTorch's.
            return Ok(Scalar::Float(convert::complex_item(&self.t)?.0));
        }
        Ok(self.t.item()?)
    }
    fn item_checked(&self) -> PyResult<Scalar> {
        if self.t.numel() != 1 {
            return Err(PyRuntimeError::new_err(format!(
                "a Tensor with {} elements cannot be converted to Scalar",
                self.t.numel()
            )));
        }
        Ok(self.t.item()?)
    }
}

#[pyfunction]
#[pyo3(signature = (data, shape, dtype, requires_grad=false, device="cpu"))]
fn _tensor_from_bytes(data: &[u8], shape: Vec<usize>, dtype: &str, requires_grad: bool, device: &str) -> PyResultT {
    let d = DType::from_name(dtype)?;
    let t = Tensor::zeros(&shape, d)?;
    if data.len() != t.numel() * d.size() {
        return Err(PyIndexError::new_err("pickled tensor data has the wrong length"));
    }
    // SAFETY: fresh contiguous storage of exactly this many bytes.
    unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), t.storage().as_ptr(), data.len()) };
    // A tensor pickled on the GPU comes back there, as in PyTorch.
    let t = t.to_device(crate::python::dtype::PyDevice::parse(device, None)?.resolve()?)?;
    if requires_grad {
        t.meta_mut().lock().requires_grad = true;
    }
    Ok(PyTensor::new(t))
}

pub fn register(m: &Bound<PyModule>) -> PyResult<()> {
    m.add_class::<PyTensor>()?;
    m.add_function(wrap_pyfunction!(_set_size_type, m)?)?;
    m.add_function(wrap_pyfunction!(_tensor_from_bytes, m)?)?;
    Ok(())
}
