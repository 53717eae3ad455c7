//! Storage: one block of memory shared (through `Arc`) by every view of it, plus the version
//! counter autograd uses to detect in-place changes to saved tensors.
//!
//! Memory is untyped bytes, like PyTorch's: `view(dtype)`-style reinterpretation and zero-copy
//! numpy/DLPack interop both need that. Views may alias, and in-place ops write through shared
//! references, so access goes through raw pointers; the kernels uphold the aliasing rules
//! (inputs are read before an aliasing output is written, or copied first).
use std::alloc::{alloc, alloc_zeroed, dealloc, Layout as AllocLayout};
use std::any::Any;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};
use crate::backend::gpu::GpuBuffer;
use crate::error::{Error, Result};

/// Where the bytes live: host memory, or a buffer on the (one) wgpu GPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Device {
    Cpu,
    Gpu,
}

impl Device {
    pub fn name(&self) -> &'static str {
        match self {
            Device::Cpu => "cpu",
            Device::Gpu => "gpu",
        }
    }
    pub fn is_gpu(&self) -> bool {
        matches!(self, Device::Gpu)
    }
}

const ALIGN: usize = 64;

enum Owner {
    /// Allocated here with `ALIGN`.
    Owned,
    /// Borrowed from elsewhere (a numpy array, a DLPack producer); dropped when the storage is.
    External(#[allow(dead_code)] Box<dyn Any + Send + Sync>),
    /// A GPU buffer: `ptr` is dangling and must never be dereferenced (see `as_ptr`).
    Gpu(GpuBuffer),
}

pub struct Storage {
    ptr: NonNull<u8>,
    nbytes: usize,
    owner: Owner,
    version: AtomicU64,
}

// SAFETY: the pointer is either owned by this struct or kept alive by `owner`; concurrent
// mutation is coordinated by the caller (the Python GIL, or the kernels' disjoint writes).
unsafe impl Send for Storage {}
unsafe impl Sync for Storage {}

impl Storage {
    /// Zero-initialised memory: `empty` is then deterministic, which tests appreciate.
    pub fn zeroed(nbytes: usize) -> Result<Storage> {
        Storage::allocate(nbytes, true)
    }

    /// Memory a kernel is about to overwrite completely: skipping the zero-fill saves a pass over
    /// it (a third of a plain copy's memory traffic).
    ///
    /// # Safety
    /// Every byte must be written before anything reads it.
    pub unsafe fn for_overwrite(nbytes: usize) -> Result<Storage> {
        Storage::allocate(nbytes, false)
    }

    fn allocate(nbytes: usize, zero: bool) -> Result<Storage> {
        if nbytes == 0 {
            return Ok(Storage { ptr: NonNull::<u64>::dangling().cast(), nbytes: 0, owner: Owner::Owned, version: AtomicU64::new(0) });
        }
        let layout = AllocLayout::from_size_align(nbytes, ALIGN)
            .map_err(|_| Error::Runtime(format!("Storage size calculation overflowed ({nbytes} bytes)")))?;
        // SAFETY: layout has non-zero size.
        let ptr = unsafe { if zero { alloc_zeroed(layout) } else { alloc(layout) } };
        let ptr = NonNull::new(ptr).ok_or_else(|| {
            Error::Runtime(format!("DefaultCPUAllocator: can't allocate memory: you tried to allocate {nbytes} bytes."))
        })?;
        Ok(Storage { ptr, nbytes, owner: Owner::Owned, version: AtomicU64::new(0) })
    }

    /// Wraps foreign memory. `owner` keeps it alive.
    ///
    /// # Safety
    /// `ptr` must be valid for reads and writes of `nbytes` for as long as `owner` lives.
    pub unsafe fn external(ptr: *mut u8, nbytes: usize, owner: Box<dyn Any + Send + Sync>) -> Storage {
        let ptr = NonNull::new(ptr).unwrap_or(NonNull::<u64>::dangling().cast());
        Storage { ptr, nbytes, owner: Owner::External(owner), version: AtomicU64::new(0) }
    }

    /// Adopts a Vec's buffer without copying (kernels build their outputs as Vecs).
    pub fn from_vec<T: Copy + Send + Sync + 'static>(mut v: Vec<T>) -> Result<Storage> {
        let nbytes = v.len() * std::mem::size_of::<T>();
        let ptr = v.as_mut_ptr() as *mut u8;
        // SAFETY: the Vec's heap buffer does not move when the Vec is boxed, and the box keeps it
        // alive for as long as the storage lives.
        Ok(unsafe { Storage::external(ptr, nbytes, Box::new(v)) })
    }

    /// Wraps a GPU buffer holding `nbytes` bytes of tensor data (in the GPU's element
    /// representation, see `backend::gpu::repr`).
    pub fn gpu(buffer: GpuBuffer, nbytes: usize) -> Storage {
        Storage { ptr: NonNull::<u64>::dangling().cast(), nbytes, owner: Owner::Gpu(buffer), version: AtomicU64::new(0) }
    }

    pub fn nbytes(&self) -> usize {
        self.nbytes
    }
    pub fn device(&self) -> Device {
        match self.owner {
            Owner::Gpu(_) => Device::Gpu,
            _ => Device::Cpu,
        }
    }
    /// An address that identifies the memory: the host pointer, or for a GPU buffer a
    /// process-unique stand-in (wgpu exposes no device addresses).
    pub fn address(&self) -> usize {
        match self.owner {
            Owner::Gpu(_) => self as *const Storage as usize,
            _ => self.ptr.as_ptr() as usize,
        }
    }
    pub fn gpu_buffer(&self) -> Option<&GpuBuffer> {
        match &self.owner {
            Owner::Gpu(b) => Some(b),
            _ => None,
        }
    }
    /// Host memory. Reaching this with a GPU storage is a bug (a CPU kernel given a GPU tensor:
    /// every op checks devices before choosing a kernel), so it panics rather than hand out a
    /// dangling pointer.
    pub fn as_ptr(&self) -> *mut u8 {
        assert!(!matches!(self.owner, Owner::Gpu(_)), "internal error: a CPU kernel was given a GPU tensor");
        self.ptr.as_ptr()
    }
    /// A typed view of the whole storage.
    ///
    /// # Safety
    /// The bytes must be valid values of `T` (true for every dtype we store except `bool`,
    /// which the kernels only ever write as 0 or 1), and no `&mut` to the same range may be live.
    pub unsafe fn slice<T>(&self) -> &[T] {
        std::slice::from_raw_parts(self.as_ptr() as *const T, self.nbytes / std::mem::size_of::<T>())
    }
    /// # Safety
    /// As `slice`, and the caller guarantees no other reference reads the range being written.
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn slice_mut<T>(&self) -> &mut [T] {
        std::slice::from_raw_parts_mut(self.as_ptr() as *mut T, self.nbytes / std::mem::size_of::<T>())
    }
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Relaxed)
    }
    pub fn bump_version(&self) {
        self.version.fetch_add(1, Ordering::Relaxed);
    }
}

impl Drop for Storage {
    fn drop(&mut self) {
        if let Owner::Owned = self.owner {
            if self.nbytes > 0 {
                // SAFETY: allocated in `zeroed` with this exact layout.
                unsafe { dealloc(self.ptr.as_ptr(), AllocLayout::from_size_align_unchecked(self.nbytes, ALIGN)) };
            }
        }
    }
}
