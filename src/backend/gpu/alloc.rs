//! The caching allocator: buffers are rounded up to a size class and, when their storage is
//! dropped, kept on a free list for that class instead of being destroyed. A training loop in
//! steady state therefore creates no new buffers. `empty_cache` destroys the free lists.
//!
//! Reuse is safe without waiting for the GPU: every use of a buffer (dispatches, uploads through
//! staging copies, readbacks) is recorded in the one command stream, in program order.
use super::context::{self, Context};
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::sync::Mutex;

/// Buffers are never smaller than this: zero-sized bindings are invalid, and small tensors
/// then share one class.
const MIN_BYTES: u64 = 256;

/// Size classes: multiples of 512 bytes up to 1 MiB, then four classes per power of two
/// (at most 25% waste).
pub fn size_class(nbytes: u64) -> u64 {
    let n = nbytes.max(MIN_BYTES);
    if n <= 1 << 20 {
        return n.div_ceil(512) * 512;
    }
    let step = (1u64 << (63 - n.leading_zeros())) / 4;
    n.div_ceil(step) * step
}

#[derive(Default)]
struct Pool {
    free: HashMap<u64, Vec<wgpu::Buffer>>,
    /// Bytes held by live tensors (by class size, as PyTorch's allocator counts).
    allocated: u64,
    peak: u64,
    /// Bytes of every buffer we hold, live or cached.
    reserved: u64,
}

static POOL: Mutex<Option<Pool>> = Mutex::new(None);

fn with_pool<R>(f: impl FnOnce(&mut Pool) -> R) -> R {
    let mut g = POOL.lock().unwrap_or_else(|p| p.into_inner());
    f(g.get_or_insert_with(Pool::default))
}

/// A device buffer owned by one storage; returns to the pool when dropped.
pub struct GpuBuffer {
    buffer: Option<wgpu::Buffer>,
    class: u64,
}

impl std::fmt::Debug for GpuBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GpuBuffer({} bytes)", self.class)
    }
}

impl GpuBuffer {
    pub fn raw(&self) -> &wgpu::Buffer {
        self.buffer.as_ref().expect("buffer present until drop")
    }
    pub fn size(&self) -> u64 {
        self.class
    }
}

impl Drop for GpuBuffer {
    fn drop(&mut self) {
        if let Some(b) = self.buffer.take() {
            with_pool(|p| {
                p.allocated -= self.class;
                p.free.entry(self.class).or_default().push(b);
            });
        }
    }
}

fn oom(ctx: &Context, nbytes: u64, why: &str) -> Error {
    let (allocated, reserved) = with_pool(|p| (p.allocated, p.reserved));
    Error::OutOfMemory(format!(
        "GPU out of memory. Tried to allocate {}. GPU 0 ({}) {why}. Of the allocated memory {} is allocated by ferrotorch, and {} is reserved by ferrotorch but unallocated.",
        human(nbytes),
        ctx.info.name,
        human(allocated),
        human(reserved - allocated),
    ))
}

/// PyTorch's way of printing sizes in its OOM message.
fn human(n: u64) -> String {
    let n = n as f64;
    if n >= (1u64 << 30) as f64 {
        format!("{:.2} GiB", n / (1u64 << 30) as f64)
    } else if n >= (1u64 << 20) as f64 {
        format!("{:.2} MiB", n / (1u64 << 20) as f64)
    } else {
        format!("{:.2} KiB", n / 1024.0)
    }
}

/// A buffer of at least `nbytes` (contents undefined: callers overwrite or clear it).
pub fn alloc(nbytes: u64) -> Result<GpuBuffer> {
    let ctx = context::get()?;
    let class = size_class(nbytes);
    let limit = ctx.limits.max_buffer_size.min(ctx.limits.max_storage_buffer_binding_size as u64);
    if class > limit {
        return Err(oom(ctx, nbytes, &format!("cannot hold a buffer larger than {} (its binding limit)", human(limit))));
    }
    if let Some(b) = with_pool(|p| p.free.get_mut(&class).and_then(|v| v.pop())) {
        with_pool(|p| {
            p.allocated += class;
            p.peak = p.peak.max(p.allocated);
        });
        return Ok(GpuBuffer { buffer: Some(b), class });
    }
    let buffer = match create(ctx, class) {
        Some(b) => b,
        None => {
            // Out of memory: give the cached buffers back to the driver and try once more.
            empty_cache();
            create(ctx, class).ok_or_else(|| oom(ctx, nbytes, "has no memory left for it"))?
        }
    };
    with_pool(|p| {
        p.allocated += class;
        p.reserved += class;
        p.peak = p.peak.max(p.allocated);
    });
    Ok(GpuBuffer { buffer: Some(buffer), class })
}

fn create(ctx: &Context, size: u64) -> Option<wgpu::Buffer> {
    let scope = ctx.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
    let b = ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: None,
        size,
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    match pollster::block_on(scope.pop()) {
        None => Some(b),
        Some(_) => None,
    }
}

/// Destroys every cached (unused) buffer.
pub fn empty_cache() {
    // Cached bind groups hold their buffers; without them the buffers below are really freed.
    super::queue::forget_bind_groups();
    with_pool(|p| {
        for (class, v) in p.free.drain() {
            p.reserved -= class * v.len() as u64;
        }
    });
}

/// (allocated, peak allocated, reserved) in bytes.
pub fn stats() -> (u64, u64, u64) {
    with_pool(|p| (p.allocated, p.peak, p.reserved))
}

pub fn reset_peak() {
    with_pool(|p| p.peak = p.allocated);
}

#[cfg(test)]
mod tests {
    use super::size_class;

    #[test]
    fn size_classes_bound_waste() {
        assert_eq!(size_class(0), 512);
        assert_eq!(size_class(513), 1024);
        assert_eq!(size_class(1 << 20), 1 << 20);
        assert_eq!(size_class((1 << 20) + 1), (1 << 20) + (1 << 18));
        for n in [3_000_000u64, 17_000_001, 1 << 30] {
            let c = size_class(n);
            assert!(c >= n && (c - n) * 4 <= n, "{n} -> {c}");
        }
    }
}
