//! `ferrotorch.dtype` and `ferrotorch.device` objects.
use crate::dtype::{DType, ALL_DTYPES};
use crate::storage::Device;
use pyo3::prelude::*;
use pyo3::exceptions::PyRuntimeError;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

#[pyclass(name = "dtype", module = "ferrotorch", frozen, eq, hash)]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PyDType(pub DType);

/// One Python object per dtype, as in PyTorch: `t.dtype is torch.float32` holds, and pickle
/// (which stores dtypes by reference to the module attribute) finds the same object.
static DTYPE_OBJECTS: pyo3::sync::GILOnceCell<Vec<Py<PyDType>>> = pyo3::sync::GILOnceCell::new();

/// The `ferrotorch.<name>` object of `d`.
pub fn dtype_object(py: Python<'_>, d: DType) -> PyResult<Py<PyDType>> {
    let all = DTYPE_OBJECTS.get_or_try_init(py, || ALL_DTYPES.iter().map(|&d| Py::new(py, PyDType(d))).collect::<PyResult<Vec<_>>>())?;
    let i = ALL_DTYPES.iter().position(|&x| x == d).expect("every dtype is in ALL_DTYPES");
    Ok(all[i].clone_ref(py))
}

#[pymethods]
impl PyDType {
    fn __repr__(&self) -> String {
        format!("torch.{}", self.0.name())
    }
    #[getter]
    fn is_floating_point(&self) -> bool {
        self.0.is_float()
    }
    #[getter]
    fn is_signed(&self) -> bool {
        self.0.is_signed()
    }
    #[getter]
    fn is_complex(&self) -> bool {
        self.0.is_complex()
    }
    #[getter]
    fn itemsize(&self) -> usize {
        self.0.size()
    }
    fn __reduce__(&self) -> String {
        // Pickles as a reference to the module attribute (`ferrotorch.float32`).
        self.0.name().to_string()
    }
}

/// `ferrotorch.device("cpu")`. Only the CPU exists until the GPU backend lands; asking for
/// another device type raises PyTorch's error for an unavailable backend.
#[pyclass(name = "device", module = "ferrotorch", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PyDevice {
    #[pyo3(get, name = "type")]
    pub kind: String,
    #[pyo3(get)]
    pub index: Option<i64>,
}

#[pymethods]
impl PyDevice {
    #[new]
    #[pyo3(signature = (spec, index=None))]
    fn new(spec: &Bound<PyAny>, index: Option<i64>) -> PyResult<PyDevice> {
        if let Ok(d) = spec.extract::<PyDevice>() {
            return Ok(d);
        }
        if !spec.is_instance_of::<pyo3::types::PyBool>() {
            if let Ok(i) = spec.extract::<i64>() {
                // `torch.device(0)` is an accelerator index, as in PyTorch.
                if i < 0 {
                    return Err(PyRuntimeError::new_err("Device index must not be negative"));
                }
                return Ok(PyDevice { kind: "gpu".into(), index: Some(i) });
            }
        }
        let s: String = spec.extract()?;
        PyDevice::parse(&s, index)
    }
    fn __repr__(&self) -> String {
        match self.index {
            Some(i) => format!("device(type='{}', index={})", self.kind, i),
            None => format!("device(type='{}')", self.kind),
        }
    }
    fn __str__(&self) -> String {
        match self.index {
            Some(i) => format!("{}:{}", self.kind, i),
            None => self.kind.clone(),
        }
    }
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> (Bound<'py, pyo3::types::PyType>, (String,)) {
        (slf.get_type(), (slf.get().__str__(),))
    }
    /// `with torch.device("cuda"):` makes factories without `device=` create on that device.
    fn __enter__(slf: &Bound<Self>) -> PyResult<Py<Self>> {
        let device = slf.get().resolve()?;
        ENTERED_DEVICES.lock().unwrap_or_else(|e| e.into_inner()).push(default_device());
        set_default_device(device);
        Ok(slf.clone().unbind())
    }
    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, _exc: &Bound<pyo3::types::PyTuple>) -> bool {
        if let Some(previous) = ENTERED_DEVICES.lock().unwrap_or_else(|e| e.into_inner()).pop() {
            set_default_device(previous);
        }
        false
    }
}

/// Whether factories without `device=` create on the GPU (`torch.set_default_device`, `with
/// torch.device(...)`). Process-wide, not per thread: PyTorch's is a function mode that threads
/// started afterwards also see.
static DEFAULT_IS_GPU: AtomicBool = AtomicBool::new(false);
/// The defaults that `with torch.device(...)` blocks replaced, restored on exit.
static ENTERED_DEVICES: Mutex<Vec<Device>> = Mutex::new(Vec::new());

/// The device factories use when `device=` is None.
pub fn default_device() -> Device {
    if DEFAULT_IS_GPU.load(Ordering::Relaxed) { Device::Gpu } else { Device::Cpu }
}

pub fn set_default_device(device: Device) {
    DEFAULT_IS_GPU.store(device == Device::Gpu, Ordering::Relaxed);
}

impl PyDevice {
    pub fn cpu() -> PyDevice {
        PyDevice { kind: "cpu".into(), index: None }
    }
    pub fn parse(s: &str, index: Option<i64>) -> PyResult<PyDevice> {
        let (kind, idx) = match s.split_once(':') {
            Some((k, i)) => (k, Some(i.parse::<i64>().map_err(|_| PyRuntimeError::new_err(format!("Invalid device string: '{s}'")))?)),
            None => (s, index),
        };
        match kind {
            "cpu" => Ok(PyDevice { kind: "cpu".into(), index: idx }),
            // "cuda" and "wgpu" are aliases of the one wgpu GPU, so PyTorch scripts run unchanged.
            "gpu" | "wgpu" | "cuda" => Ok(PyDevice { kind: "gpu".into(), index: idx }),
            _ => Err(PyRuntimeError::new_err(format!(
                "Expected one of cpu, cuda, gpu, wgpu device type at start of device string: {s}"
            ))),
        }
    }
}

impl PyDevice {
    /// The device a tensor on `d` reports (`device(type='gpu', index=0)`).
    pub fn of(d: Device) -> PyDevice {
        match d {
            Device::Cpu => PyDevice::cpu(),
            Device::Gpu => PyDevice { kind: "gpu".into(), index: Some(0) },
        }
    }

    /// The core device, checking that a GPU exists when one is named.
    pub fn resolve(&self) -> PyResult<Device> {
        if self.kind == "cpu" {
            return Ok(Device::Cpu);
        }
        if let Some(i) = self.index {
            if i != 0 {
                return Err(PyRuntimeError::new_err(format!(
                    "GPU error: invalid device ordinal {i} (ferrotorch drives one GPU, gpu:0)"
                )));
            }
        }
        crate::backend::gpu::context::get()?;
        Ok(Device::Gpu)
    }
}

/// A `device=` argument: a `device`, a string such as "cuda:0", an int (a GPU index), or None.
pub fn device_arg(dev: Option<&Bound<PyAny>>) -> PyResult<Option<Device>> {
    let Some(d) = dev else { return Ok(None) };
    if d.is_none() {
        return Ok(None);
    }
    if let Ok(d) = d.extract::<PyDevice>() {
        return d.resolve().map(Some);
    }
    if let Ok(i) = d.extract::<i64>() {
        return PyDevice { kind: "gpu".into(), index: Some(i) }.resolve().map(Some);
    }
    let s: String = d.str()?.extract()?;
    PyDevice::parse(&s, None)?.resolve().map(Some)
}

/// Checks a `device=` argument (factories that only validate it).
pub fn check_device(dev: Option<&Bound<PyAny>>) -> PyResult<()> {
    device_arg(dev).map(|_| ())
}

#[pyfunction]
fn promote_types(py: Python<'_>, type1: PyDType, type2: PyDType) -> PyResult<Py<PyDType>> {
    dtype_object(py, crate::dtype::promote_types(type1.0, type2.0))
}

/// One operand of `result_type`: a tensor or a Python number.
fn promote_arg(obj: &Bound<PyAny>) -> PyResult<crate::dtype::PromoteArg> {
    use crate::dtype::PromoteArg;
    if let Ok(t) = obj.downcast::<crate::python::tensor::PyTensor>() {
        let t = &t.borrow().t;
        return Ok(PromoteArg::Tensor { dtype: t.dtype(), zero_dim: t.ndim() == 0 });
    }
    if crate::python::args::complex_scalar(obj).is_some() {
        // A Python complex promotes like a 0-d tensor of the default complex dtype.
        let dtype = crate::dtype::default_dtype().to_complex().unwrap_or(crate::dtype::DType::C64);
        return Ok(PromoteArg::Tensor { dtype, zero_dim: true });
    }
    match crate::python::args::scalar(obj) {
        Some(s) => Ok(PromoteArg::Scalar(s)),
        None => Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "result_type(): argument 'tensor' must be Tensor or Number, not {}", obj.get_type().name()?
        ))),
    }
}

#[pyfunction]
fn result_type(tensor1: &Bound<PyAny>, tensor2: &Bound<PyAny>) -> PyResult<Py<PyDType>> {
    dtype_object(tensor1.py(), crate::dtype::result_type(&[promote_arg(tensor1)?, promote_arg(tensor2)?]))
}

#[pyfunction]
fn can_cast(from_: PyDType, to: PyDType) -> bool {
    from_.0.category() <= to.0.category()
}

#[pyfunction]
fn set_default_dtype(d: PyDType) -> PyResult<()> {
    Ok(crate::dtype::set_default_dtype(d.0)?)
}

#[pyfunction]
fn get_default_dtype(py: Python<'_>) -> PyResult<Py<PyDType>> {
    dtype_object(py, crate::dtype::default_dtype())
}

pub fn register(m: &Bound<PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(promote_types, m)?)?;
    m.add_function(wrap_pyfunction!(result_type, m)?)?;
    m.add_function(wrap_pyfunction!(can_cast, m)?)?;
    m.add_function(wrap_pyfunction!(set_default_dtype, m)?)?;
    m.add_function(wrap_pyfunction!(get_default_dtype, m)?)?;
    m.add_class::<PyDType>()?;
    m.add_class::<PyDevice>()?;
    for d in ALL_DTYPES {
        m.add(d.name(), dtype_object(m.py(), d)?)?;
    }
    Ok(())
}
