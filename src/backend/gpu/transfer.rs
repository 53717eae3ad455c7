//! Moving tensors between host and GPU, and fresh GPU tensors.
use super::{alloc, queue, repr};
use crate::dtype::DType;
use crate::error::Result;
use crate::layout::Layout;
use crate::storage::Storage;
use crate::tensor::Tensor;
use crate::with_dtype;
use std::sync::Arc;

/// An uninitialised contiguous GPU tensor.
pub fn empty(shape: &[usize], dtype: DType) -> Result<Tensor> {
    // A complex element is two elements of its real dtype, so that its real view reads it.
    let parts = if dtype.is_complex() { 2 } else { 1 };
    let r = repr(dtype.to_real())?;
    let n = crate::shape::numel(shape);
    let nbytes = n * parts * r.bytes;
    let buf = alloc::alloc(nbytes as u64)?;
    // The storage reports logical bytes (numel x itemsize), as on the CPU, whatever the widening.
    Ok(Tensor::from_parts(Arc::new(Storage::gpu(buf, n * dtype.size())), Layout::contiguous(shape), dtype))
}

/// A zero-filled contiguous GPU tensor.
pub fn zeros(shape: &[usize], dtype: DType) -> Result<Tensor> {
    let t = empty(shape, dtype)?;
    queue::clear(t.storage().gpu_buffer().expect("gpu"))?;
    Ok(t)
}

/// Host values in the GPU representation (narrow types widened to 32 bits), as bytes.
fn host_bytes(t: &Tensor) -> Vec<u8> {
    fn bytes_of<T: Copy>(v: Vec<T>) -> Vec<u8> {
        let n = std::mem::size_of_val(v.as_slice());
        let mut out = vec![0u8; n];
        // SAFETY: plain-old-data copied byte for byte into a buffer of the same length.
        unsafe { std::ptr::copy_nonoverlapping(v.as_ptr() as *const u8, out.as_mut_ptr(), n) };
        out
    }
    match t.dtype() {
        DType::Bool | DType::U8 => bytes_of(t.to_vec::<i64>().into_iter().map(|v| v as u32).collect::<Vec<u32>>()),
        DType::I8 | DType::I16 => bytes_of(t.to_vec::<i32>()),
        dt => with_dtype!(dt, T, bytes_of(t.to_vec::<T>()), complex => host_bytes(&t.real_view_forward())),
    }
}

/// A contiguous GPU copy of a CPU tensor.
pub fn to_gpu(t: &Tensor) -> Result<Tensor> {
    let out = empty(t.shape(), t.dtype())?;
    let bytes = host_bytes(t);
    queue::upload(out.storage().gpu_buffer().expect("gpu"), &bytes)?;
    Ok(out)
}

fn from_bytes<T: Copy>(b: &[u8], n: usize) -> Vec<T> {
    let mut v: Vec<T> = Vec::with_capacity(n);
    // SAFETY: `b` holds `n` values of T's GPU representation, which for these types is T itself.
    unsafe {
        std::ptr::copy_nonoverlapping(b.as_ptr(), v.as_mut_ptr() as *mut u8, n * std::mem::size_of::<T>());
        v.set_len(n);
    }
    v
}

/// A contiguous CPU copy of a GPU tensor (waits for the GPU).
pub fn to_cpu(t: &Tensor) -> Result<Tensor> {
    if t.dtype().is_complex() {
        return to_cpu(&t.real_view_forward())?.complex_view_forward();
    }
    let c = if t.is_contiguous() { t.clone() } else { super::elementwise::copy_fresh(t)? };
    let r = repr(t.dtype())?;
    let n = t.numel();
    let buf = c.storage().gpu_buffer().expect("gpu");
    let offset = (c.offset() * r.bytes) as u64;
    // Readbacks need 4-byte aligned offsets; an f16 view at an odd offset is copied first.
    if offset % 4 != 0 {
        return to_cpu(&super::elementwise::copy_fresh(&c)?);
    }
    let bytes = queue::readback(buf, offset, (n * r.bytes) as u64)?;
    let shape = t.shape();
    match t.dtype() {
        DType::Bool => Tensor::from_vec(from_bytes::<u32>(&bytes, n).into_iter().map(|v| v != 0).collect::<Vec<bool>>(), shape),
        DType::U8 => Tensor::from_vec(from_bytes::<u32>(&bytes, n).into_iter().map(|v| v as u8).collect::<Vec<u8>>(), shape),
        DType::I8 => Tensor::from_vec(from_bytes::<i32>(&bytes, n).into_iter().map(|v| v as i8).collect::<Vec<i8>>(), shape),
        DType::I16 => Tensor::from_vec(from_bytes::<i32>(&bytes, n).into_iter().map(|v| v as i16).collect::<Vec<i16>>(), shape),
        dt => with_dtype!(dt, T, Tensor::from_vec(from_bytes::<T>(&bytes, n), shape)),
    }
}
