//! DLPack: zero-copy exchange with numpy and other array libraries through `__dlpack__`
//! capsules. We produce the unversioned `DLManagedTensor` ("dltensor") by default and the
//! DLPack 1.x `DLManagedTensorVersioned` ("dltensor_versioned") when the consumer passes
//! `max_version >= (1, 0)` (numpy does, and marks unversioned imports read-only); we consume both.
//!
//! Export: the capsule owns a boxed managed tensor whose `manager_ctx` is a boxed
//! [`ExportCtx`] holding a clone of the tensor (which keeps the storage alive) and the shape and
//! stride arrays the struct points into. A consumer renames the capsule to "used_dltensor"
//! ("used_dltensor_versioned") and later calls the deleter; a capsule dropped unconsumed calls
//! the deleter itself.
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
const KDL_COMPLEX: u8 = 5;
const KDL_BOOL: u8 = 6;

const NAME: &CStr = c"dltensor";
const USED_NAME: &CStr = c"used_dltensor";
const VNAME: &CStr = c"dltensor_versioned";
const USED_VNAME: &CStr = c"used_dltensor_versioned";
/// `DLPACK_FLAG_BITMASK_READ_ONLY` and `DLPACK_FLAG_BITMASK_IS_COPIED`.
const FLAG_READ_ONLY: u64 = 1;
const FLAG_IS_COPIED: u64 = 2;

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

#[repr(C)]
#[derive(Clone, Copy)]
struct DLPackVersion {
    major: u32,
    minor: u32,
}

#[repr(C)]
struct DLManagedTensorVersioned {
    version: DLPackVersion,
    manager_ctx: *mut c_void,
    deleter: Option<unsafe extern "C" fn(*mut DLManagedTensorVersioned)>,
    flags: u64,
    dl_tensor: DLTensor,
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
        DType::C64 => (KDL_COMPLEX, 64),
        DType::C128 => (KDL_COMPLEX, 128),
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
        (KDL_COMPLEX, 64) => DType::C64,
        (KDL_COMPLEX, 128) => DType::C128,
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

unsafe extern "C" fn export_deleter_versioned(m: *mut DLManagedTensorVersioned) {
    if m.is_null() {
        return;
    }
    // SAFETY: as `export_deleter`.
    let m = Box::from_raw(m);
    drop(Box::from_raw(m.manager_ctx as *mut ExportCtx));
}

unsafe extern "C" fn capsule_destructor_versioned(capsule: *mut ffi::PyObject) {
    if ffi::PyCapsule_IsValid(capsule, VNAME.as_ptr()) == 1 {
        let m = ffi::PyCapsule_GetPointer(capsule, VNAME.as_ptr()) as *mut DLManagedTensorVersioned;
        if !m.is_null() {
            if let Some(d) = (*m).deleter {
                d(m);
            }
        }
    }
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
    // CPU tensors need no stream synchronisation.
    let _ = stream;
    let versioned = match max_version.filter(|v| !v.is_none()) {
        Some(v) => v.extract::<(i64, i64)>()?.0 >= 1,
        None => false,
    };
    if let Some(d) = dl_device.filter(|d| !d.is_none()) {
        let (ty, _id): (i32, i32) = d.extract()?;
        if ty != KDL_CPU {
            return Err(PyBufferError::new_err(format!("Unsupported dl_device type {ty}: ferrotorch tensors live on the CPU")));
        }
    }
    let copied = copy == Some(true);
    let t = if copied { t.deep_clone()? } else { t.clone() };
    let mut ctx = Box::new(ExportCtx {
        shape: t.shape().iter().map(|&s| s as i64).collect(),
        strides: t.strides().iter().map(|&s| s as i64).collect(),
        _tensor: t.clone(),
    });
    let dl_tensor = DLTensor {
        data: t.data_ptr() as *mut c_void,
        device: DLDevice { device_type: KDL_CPU, device_id: 0 },
        ndim: t.ndim() as i32,
        dtype: dl_dtype(t.dtype()),
        shape: ctx.shape.as_mut_ptr(),
        strides: ctx.strides.as_mut_ptr(),
        byte_offset: 0,
    };
    // The Vec buffers the struct points into do not move when the ctx box becomes a raw pointer.
    let ctx = Box::into_raw(ctx) as *mut c_void;
    // SAFETY: fresh allocations with static names; on failure we free what we allocated.
    unsafe {
        let cap = if versioned {
            let m = Box::into_raw(Box::new(DLManagedTensorVersioned {
                version: DLPackVersion { major: 1, minor: 0 },
                manager_ctx: ctx,
                deleter: Some(export_deleter_versioned),
                flags: if copied { FLAG_IS_COPIED } else { 0 },
                dl_tensor,
            }));
            let cap = ffi::PyCapsule_New(m as *mut c_void, VNAME.as_ptr(), Some(capsule_destructor_versioned));
            if cap.is_null() {
                export_deleter_versioned(m);
            }
            cap
        } else {
            let m = Box::into_raw(Box::new(DLManagedTensor { dl_tensor, manager_ctx: ctx, deleter: Some(export_deleter) }));
            let cap = ffi::PyCapsule_New(m as *mut c_void, NAME.as_ptr(), Some(capsule_destructor));
            if cap.is_null() {
                export_deleter(m);
            }
            cap
        };
        if cap.is_null() {
            return Err(PyErr::fetch(py));
        }
        Ok(Bound::from_owned_ptr(py, cap))
    }
}

// ------------------------------------------------------------------ import

/// Owns a consumed managed tensor and calls its producer's deleter when dropped.
enum ImportOwner {
    Legacy(*mut DLManagedTensor),
    Versioned(*mut DLManagedTensorVersioned),
}

// SAFETY: DLPack deleters may be called from any thread; the pointer is only used by `drop`.
unsafe impl Send for ImportOwner {}
unsafe impl Sync for ImportOwner {}

impl Drop for ImportOwner {
    fn drop(&mut self) {
        // SAFETY: the pointer came from a consumed capsule and is released exactly once here.
        // numpy's deleter touches Python objects, so it runs with the GIL held.
        unsafe {
            match *self {
                ImportOwner::Legacy(m) => {
                    if let Some(d) = (*m).deleter {
                        Python::with_gil(|_| d(m));
                    }
                }
                ImportOwner::Versioned(m) => {
                    if let Some(d) = (*m).deleter {
                        Python::with_gil(|_| d(m));
                    }
                }
            }
        }
    }
}

/// `from_dlpack(obj)`: accepts a DLPack capsule (versioned or not) or any object with
/// `__dlpack__`. Read-only producers (flag set in a versioned capsule) are copied, since
/// tensors are always writable.
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
        let kw = pyo3::types::PyDict::new(py);
        kw.set_item("max_version", (1, 0))?;
        match obj.call_method("__dlpack__", (), Some(&kw)) {
            Ok(c) => c,
            // Producers older than DLPack 1.0 do not take `max_version`.
            Err(e) if e.is_instance_of::<PyTypeError>(py) => obj.call_method0("__dlpack__")?,
            Err(e) => return Err(e),
        }
    } else {
        obj.clone()
    };
    let cap = capsule.as_ptr();
    // SAFETY: PyCapsule_IsValid accepts any object pointer and never raises.
    let (is_legacy, is_versioned) =
        unsafe { (ffi::PyCapsule_IsValid(cap, NAME.as_ptr()) == 1, ffi::PyCapsule_IsValid(cap, VNAME.as_ptr()) == 1) };
    if !is_legacy && !is_versioned {
        let used = unsafe { ffi::PyCapsule_IsValid(cap, USED_NAME.as_ptr()) == 1 || ffi::PyCapsule_IsValid(cap, USED_VNAME.as_ptr()) == 1 };
        if used {
            return Err(PyRuntimeError::new_err("from_dlpack received a DLPack capsule that has already been consumed"));
        }
        return Err(PyTypeError::new_err(format!(
            "from_dlpack expected an object with __dlpack__ or a DLPack capsule, got {}",
            obj.get_type().name()?
        )));
    }
    let (name, used_name) = if is_versioned { (VNAME, USED_VNAME) } else { (NAME, USED_NAME) };
    // SAFETY: the capsule is valid under `name`, so it holds the matching struct.
    let ptr = unsafe { ffi::PyCapsule_GetPointer(cap, name.as_ptr()) };
    if ptr.is_null() {
        return Err(PyErr::fetch(py));
    }
    // SAFETY: the producer keeps the struct valid until its deleter runs.
    let (dl, owner, read_only) = unsafe {
        if is_versioned {
            let m = ptr as *mut DLManagedTensorVersioned;
            if (*m).version.major > 1 {
                return Err(PyBufferError::new_err(format!("from_dlpack: unsupported DLPack version {}", (*m).version.major)));
            }
            (&(*m).dl_tensor, ImportOwner::Versioned(m), (*m).flags & FLAG_READ_ONLY != 0)
        } else {
            let m = ptr as *mut DLManagedTensor;
            (&(*m).dl_tensor, ImportOwner::Legacy(m), false)
        }
    };
    if dl.device.device_type != KDL_CPU {
        std::mem::forget(owner);
        return Err(PyRuntimeError::new_err(format!("from_dlpack: unsupported device type {}", dl.device.device_type)));
    }
    let parsed = parse_tensor(dl);
    let (dtype, layout) = match parsed {
        Ok(x) => x,
        Err(e) => {
            // Not consumed: the capsule still owns the tensor.
            std::mem::forget(owner);
            return Err(e);
        }
    };
    let nbytes = if layout.numel() == 0 { 0 } else { layout.storage_extent() * dtype.size() };
    let data = (dl.data as *mut u8).wrapping_add(dl.byte_offset as usize);
    // Typed slices need aligned memory (see `from_numpy`).
    if (data as usize) % dtype.size() != 0 {
        std::mem::forget(owner);
        return Err(PyRuntimeError::new_err(format!(
            "from_dlpack: the tensor's data is not aligned to its {}-byte element size",
            dtype.size()
        )));
    }
    // Consume the capsule only once everything is validated, so an error leaves it usable.
    // SAFETY: renaming a valid capsule; its destructor then leaves the tensor to us.
    if unsafe { ffi::PyCapsule_SetName(cap, used_name.as_ptr()) } != 0 {
        std::mem::forget(owner);
        return Err(PyErr::fetch(py));
    }
    // SAFETY: the producer keeps `nbytes` from `data` valid until the deleter, which the owner
    // calls when the storage drops.
    let storage = unsafe { Storage::external(data, nbytes, Box::new(owner)) };
    let t = Tensor::from_parts(Arc::new(storage), layout, dtype);
    if read_only {
        return Ok(t.deep_clone()?);
    }
    Ok(t)
}

fn parse_tensor(dl: &DLTensor) -> PyResult<(DType, Layout)> {
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
    Ok((dtype, Layout { shape, strides, offset: 0 }))
}
