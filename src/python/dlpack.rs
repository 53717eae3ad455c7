//! DLPack (v0.8 ABI, unversioned `DLManagedTensor`): zero-copy exchange with numpy and other
//! array libraries through `__dlpack__` capsules named "dltensor".
//!
//! Export: the capsule owns a boxed `DLManagedTensor` whose `manager_ctx` is a boxed
//! [`ExportCtx`] holding a clone of the tensor (which keeps the storage alive) and the shape and
//! stride arrays the struct points into. A consumer renames the capsule to "used_dltensor" and
//! later calls the deleter; a capsule dropped unconsumed calls the deleter itself.
//!
//! Import: the tensor's storage is `Storage::external` owning an [`ImportOwner`], whose drop
//! calls the producer's deleter once the last view of the storage goes away.
use crate::dtype::DType;
use crate::layout::Layout;
use crate::storage::Storage;
use crate::tensor::Tensor;
use pyo3::exceptions::{PyBufferError, PyRuntimeError, PyTypeError};
use pyo3::ffi;
use pyo3::prelude::*;
use std::ffi::{c_void, CStr};
use std::sync::Arc;

pub const KDL_CPU: i32 = 1;
const KDL_INT: u8 = 0;
const KDL_UINT: u8 = 1;
const KDL_FLOAT: u8 = 2;
const KDL_BFLOAT: u8 = 4;
const KDL_BOOL: u8 = 6;

const NAME: &CStr = c"dltensor";
const USED_NAME: &CStr = c"used_dltensor";

#[repr(C)]
#[derive(Clone, Copy)]
struct DLDevice {
    device_type: i32,
    device_id: i32,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct DLDataType {
    code: u8,
    bits: u8,
    lanes: u16,
}

#[repr(C)]
struct DLTensor {
    data: *mut c_void,
    device: DLDevice,
    ndim: i32,
    dtype: DLDataType,
    shape: *mut i64,
    strides: *mut i64,
    byte_offset: u64,
}

#[repr(C)]
struct DLManagedTensor {
    dl_tensor: DLTensor,
    manager_ctx: *mut c_void,
    deleter: Option<unsafe extern "C" fn(*mut DLManagedTensor)>,
}

fn dl_dtype(d: DType) -> DLDataType {
    let (code, bits) = match d {
        DType::Bool => (KDL_BOOL, 8),
        DType::U8 => (KDL_UINT, 8),
        DType::I8 => (KDL_INT, 8),
        DType::I16 => (KDL_INT, 16),
        DType::I32 => (KDL_INT, 32),
        DType::I64 => (KDL_INT, 64),
        DType::F16 => (KDL_FLOAT, 16),
        DType::BF16 => (KDL_BFLOAT, 16),
        DType::F32 => (KDL_FLOAT, 32),
        DType::F64 => (KDL_FLOAT, 64),
    };
    DLDataType { code, bits, lanes: 1 }
}

fn from_dl_dtype(t: DLDataType) -> PyResult<DType> {
    if t.lanes != 1 {
        return Err(PyRuntimeError::new_err(format!("Unsupported lanes {} in DLPack tensor (only 1 is supported)", t.lanes)));
    }
    Ok(match (t.code, t.bits) {
        (KDL_BOOL, 8) | (KDL_UINT, 1) => DType::Bool,
        (KDL_UINT, 8) => DType::U8,
        (KDL_INT, 8) => DType::I8,
        (KDL_INT, 16) => DType::I16,
        (KDL_INT, 32) => DType::I32,
        (KDL_INT, 64) => DType::I64,
        (KDL_FLOAT, 16) => DType::F16,
        (KDL_BFLOAT, 16) => DType::BF16,
        (KDL_FLOAT, 32) => DType::F32,
        (KDL_FLOAT, 64) => DType::F64,
        (c, b) => return Err(PyTypeError::new_err(format!("Unsupported DLPack data type: code={c}, bits={b}"))),
    })
}

// ------------------------------------------------------------------ export

struct ExportCtx {
    _tensor: Tensor,
    shape: Vec<i64>,
    strides: Vec<i64>,
}

unsafe extern "C" fn export_deleter(m: *mut DLManagedTensor) {
    if m.is_null() {
        return;
    }
    // SAFETY: `m` and its context were created by `Box::into_raw` in `to_capsule`, and DLPack
    // guarantees the deleter runs once.
    let m = Box::from_raw(m);
    drop(Box::from_raw(m.manager_ctx as *mut ExportCtx));
}

unsafe extern "C" fn capsule_destructor(capsule: *mut ffi::PyObject) {
    // A consumed capsule was renamed; its new owner calls the deleter.
    if ffi::PyCapsule_IsValid(capsule, NAME.as_ptr()) == 1 {
        let m = ffi::PyCapsule_GetPointer(capsule, NAME.as_ptr()) as *mut DLManagedTensor;
        if !m.is_null() {
            if let Some(d) = (*m).deleter {
                d(m);
            }
        }
    }
}

/// `Tensor.__dlpack__`: a "dltensor" capsule viewing this tensor's memory.
pub fn to_capsule<'py>(
    py: Python<'py>,
    t: &Tensor,
    stream: Option<&Bound<'py, PyAny>>,
    max_version: Option<&Bound<'py, PyAny>>,
    dl_device: Option<&Bound<'py, PyAny>>,
    copy: Option<bool>,
) -> PyResult<Bound<'py, PyAny>> {
    // CPU tensors need no stream synchronisation; the unversioned struct is what we produce,
    // which the protocol allows whatever `max_version` the consumer supports.
    let _ = (stream, max_version);
    if let Some(d) = dl_device.filter(|d| !d.is_none()) {
        let (ty, _id): (i32, i32) = d.extract()?;
        if ty != KDL_CPU {
            return Err(PyBufferError::new_err(format!("Unsupported dl_device type {ty}: ferrotorch tensors live on the CPU")));
        }
    }
    let t = if copy == Some(true) { t.deep_clone()? } else { t.clone() };
    let mut ctx = Box::new(ExportCtx {
        shape: t.shape().iter().map(|&s| s as i64).collect(),
        strides: t.strides().iter().map(|&s| s as i64).collect(),
        _tensor: t.clone(),
    });
    let managed = Box::new(DLManagedTensor {
        dl_tensor: DLTensor {
            data: t.data_ptr() as *mut c_void,
            device: DLDevice { device_type: KDL_CPU, device_id: 0 },
            ndim: t.ndim() as i32,
            dtype: dl_dtype(t.dtype()),
            shape: ctx.shape.as_mut_ptr(),
            strides: ctx.strides.as_mut_ptr(),
            byte_offset: 0,
        },
        manager_ctx: std::ptr::null_mut(),
        deleter: Some(export_deleter),
    });
    let managed = Box::into_raw(managed);
    // SAFETY: `managed` is a fresh allocation; the ctx box moves into it (the Vec buffers the
    // struct points into do not move with the box).
    unsafe { (*managed).manager_ctx = Box::into_raw(ctx) as *mut c_void };
    // SAFETY: valid pointer and a static name; on failure we free what we allocated.
    unsafe {
        let cap = ffi::PyCapsule_New(managed as *mut c_void, NAME.as_ptr(), Some(capsule_destructor));
        if cap.is_null() {
            export_deleter(managed);
            return Err(PyErr::fetch(py));
        }
        Ok(Bound::from_owned_ptr(py, cap))
    }
}

// ------------------------------------------------------------------ import

/// Owns a consumed `DLManagedTensor` and calls its producer's deleter when dropped.
struct ImportOwner(*mut DLManagedTensor);

// SAFETY: DLPack deleters may be called from any thread; the pointer is only used by `drop`.
unsafe impl Send for ImportOwner {}
unsafe impl Sync for ImportOwner {}

impl Drop for ImportOwner {
    fn drop(&mut self) {
        // SAFETY: the pointer came from a consumed capsule and is released exactly once here.
        // numpy's deleter touches Python objects, so it runs with the GIL held.
        unsafe {
            if let Some(d) = (*self.0).deleter {
                let m = self.0;
                Python::with_gil(|_| d(m));
            }
        }
    }
}

/// `from_dlpack(obj)`: accepts a "dltensor" capsule or any object with `__dlpack__`.
pub fn from_dlpack_obj(obj: &Bound<PyAny>) -> PyResult<Tensor> {
    let py = obj.py();
    let capsule = if obj.hasattr("__dlpack__")? {
        if obj.hasattr("__dlpack_device__")? {
            let (ty, _id): (i32, i32) = obj.call_method0("__dlpack_device__")?.extract()?;
            if ty != KDL_CPU {
                return Err(PyRuntimeError::new_err(format!(
                    "from_dlpack: unsupported device type {ty}; this build of ferrotorch only has the CPU"
                )));
            }
        }
        obj.call_method0("__dlpack__")?
    } else {
        obj.clone()
    };
    let cap = capsule.as_ptr();
    // SAFETY: PyCapsule_IsValid accepts any object pointer.
    if unsafe { ffi::PyCapsule_IsValid(cap, NAME.as_ptr()) } != 1 {
        if unsafe { ffi::PyCapsule_IsValid(cap, USED_NAME.as_ptr()) } == 1 {
            return Err(PyRuntimeError::new_err("from_dlpack received a DLPack capsule that has already been consumed"));
        }
        return Err(PyTypeError::new_err(format!(
            "from_dlpack expected an object with __dlpack__ or a DLPack capsule, got {}",
            obj.get_type().name()?
        )));
    }
    // SAFETY: the capsule is a valid "dltensor" capsule, so it holds a DLManagedTensor.
    let m = unsafe { ffi::PyCapsule_GetPointer(cap, NAME.as_ptr()) } as *mut DLManagedTensor;
    if m.is_null() {
        return Err(PyErr::fetch(py));
    }
    // SAFETY: the producer keeps the struct valid until its deleter runs.
    let dl = unsafe { &(*m).dl_tensor };
    if dl.device.device_type != KDL_CPU {
        return Err(PyRuntimeError::new_err(format!("from_dlpack: unsupported device type {}", dl.device.device_type)));
    }
    let dtype = from_dl_dtype(dl.dtype)?;
    let ndim = usize::try_from(dl.ndim).map_err(|_| PyRuntimeError::new_err("DLPack tensor has a negative ndim"))?;
    // SAFETY: DLPack guarantees `shape` (and `strides` when non-null) hold `ndim` entries.
    let raw_shape: &[i64] = if ndim == 0 { &[] } else { unsafe { std::slice::from_raw_parts(dl.shape, ndim) } };
    let shape = crate::shape::check_sizes(raw_shape)?;
    let strides: Vec<usize> = if dl.strides.is_null() || ndim == 0 {
        crate::shape::contiguous_strides(&shape)
    } else {
        let st = unsafe { std::slice::from_raw_parts(dl.strides, ndim) };
        if st.iter().any(|&s| s < 0) {
            return Err(PyRuntimeError::new_err("from_dlpack: negative strides are not supported"));
        }
        st.iter().map(|&s| s as usize).collect()
    };
    let layout = Layout { shape, strides, offset: 0 };
    let nbytes = if layout.numel() == 0 { 0 } else { layout.storage_extent() * dtype.size() };
    let data = (dl.data as *mut u8).wrapping_add(dl.byte_offset as usize);
    // Consume the capsule only once everything is validated, so an error leaves it usable.
    // SAFETY: renaming a valid capsule; its destructor then leaves the tensor to us.
    if unsafe { ffi::PyCapsule_SetName(cap, USED_NAME.as_ptr()) } != 0 {
        return Err(PyErr::fetch(py));
    }
    // SAFETY: the producer keeps `nbytes` from `data` valid until the deleter, which the owner
    // calls when the storage drops.
    let storage = unsafe { Storage::external(data, nbytes, Box::new(ImportOwner(m))) };
    Ok(Tensor::from_parts(Arc::new(storage), layout, dtype))
}
