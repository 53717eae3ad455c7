//! The command stream: dispatches, uploads and copies are recorded into one pending encoder and
//! submitted in batches, or when data must come back to the host (`.item()`, `.numpy()`, ...).
//!
//! Per-dispatch metadata (shapes, strides, offsets) is appended to a host-side arena that is
//! written to one GPU buffer when the batch is submitted; each dispatch reads its slice of it.
//! Reusing that buffer for every batch is safe: a queue write is ordered after all work
//! submitted before it, so it cannot race with an earlier batch that still reads the buffer.
//!
//! Bind groups are cached per (kernel, buffers): the metadata binding takes a dynamic offset,
//! so the group does not depend on where a dispatch's metadata lies. A training loop in steady
//! state reuses the same buffers (see `alloc`), so it creates no new bind groups either.
use super::alloc::GpuBuffer;
use super::context::{self, Context};
use super::pipeline::Kernel;
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// Dispatches per submission: large enough to amortise submit, small enough to start the GPU
/// early in long op sequences.
const BATCH: usize = 128;
/// Metadata arena size (bytes); a batch that fills it is submitted early.
const ARENA_BYTES: u64 = 1 << 16;
/// A dispatch sees its metadata through a window of this many bytes at a dynamic offset.
/// Larger metadata (many dims and operands) gets a bind group of its own, not cached.
const META_WINDOW: u64 = 4096;
/// Cached bind groups; the cache is emptied when it reaches this size (a workload that keeps
/// meeting new buffers gains nothing from it) and by `alloc::empty_cache`.
const MAX_BIND_GROUPS: usize = 4096;
/// Uploads up to this size (Python scalars, small tensors) share the batch's upload arena
/// instead of creating a staging buffer each.
const SMALL_UPLOAD: usize = 4096;
const UPLOAD_ARENA_BYTES: u64 = 1 << 16;
/// Readbacks up to this size (`.item()`, flags, counts) reuse one mappable buffer instead of
/// creating one each time.
const SMALL_READBACK: u64 = 4096;
static READBACK_BUFFER: Mutex<Option<wgpu::Buffer>> = Mutex::new(None);

/// A cached bind group's identity: the kernel (kernels live for the whole process, so the
/// address is never reused) and the buffers bound after the metadata. Holding the buffers
/// keeps their ids from being reused while the entry exists.
#[derive(PartialEq, Eq, Hash)]
struct GroupKey {
    kernel: usize,
    buffers: Vec<wgpu::Buffer>,
}

struct Pending {
    encoder: Option<wgpu::CommandEncoder>,
    /// The compute pass consecutive dispatches share (opening one per dispatch costs more than
    /// the dispatch); ended before anything else is recorded on the encoder.
    pass: Option<wgpu::ComputePass<'static>>,
    /// The metadata buffer every batch reuses, and this batch's words for it.
    arena: Option<wgpu::Buffer>,
    meta: Vec<u32>,
    groups: Option<HashMap<GroupKey, wgpu::BindGroup>>,
    /// Small uploads of this batch: their bytes are written to `upload_arena` (reused by every
    /// batch, as `arena` is) when the batch is submitted, before its commands run, and copied
    /// out in stream order by the encoder.
    upload_arena: Option<wgpu::Buffer>,
    uploads: Vec<u8>,
    dispatches: usize,
}

static PENDING: Mutex<Pending> = Mutex::new(Pending {
    encoder: None,
    pass: None,
    arena: None,
    meta: Vec::new(),
    groups: None,
    upload_arena: None,
    uploads: Vec::new(),
    dispatches: 0,
});

fn pending() -> std::sync::MutexGuard<'static, Pending> {
    PENDING.lock().unwrap_or_else(|p| p.into_inner())
}

/// The batch's encoder for copies and clears (ends the open compute pass).
fn encoder<'a>(ctx: &Context, p: &'a mut Pending) -> &'a mut wgpu::CommandEncoder {
    p.pass = None;
    p.encoder.get_or_insert_with(|| ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None }))
}

/// The batch's open compute pass, begun on first use.
fn compute_pass<'a>(ctx: &Context, p: &'a mut Pending) -> &'a mut wgpu::ComputePass<'static> {
    if p.pass.is_none() {
        let pass = encoder(ctx, p).begin_compute_pass(&wgpu::ComputePassDescriptor { label: None, timestamp_writes: None });
        p.pass = Some(pass.forget_lifetime());
    }
    p.pass.as_mut().expect("begun above")
}

/// Submits the batch; returns its submission index.
fn submit(ctx: &Context, p: &mut Pending) -> Option<wgpu::SubmissionIndex> {
    p.pass = None;
    let enc = p.encoder.take()?;
    if let (Some(arena), false) = (&p.arena, p.meta.is_empty()) {
        ctx.queue.write_buffer(arena, 0, words_as_bytes(&p.meta));
    }
    p.meta.clear();
    if let (Some(arena), false) = (&p.upload_arena, p.uploads.is_empty()) {
        ctx.queue.write_buffer(arena, 0, &p.uploads);
    }
    p.uploads.clear();
    p.dispatches = 0;
    Some(ctx.queue.submit([enc.finish()]))
}

fn words_as_bytes(w: &[u32]) -> &[u8] {
    // SAFETY: u32 has no padding and any byte pattern is a valid u8.
    unsafe { std::slice::from_raw_parts(w.as_ptr() as *const u8, std::mem::size_of_val(w)) }
}

/// Submits everything recorded so far (does not wait).
pub fn flush() -> Result<()> {
    let ctx = context::get()?;
    submit(ctx, &mut pending());
    take_errors(ctx)
}

/// The first error wgpu reported since the last sync point. The cached bind groups are dropped
/// with it: one of them may be the invalid object the error was about.
fn take_errors(ctx: &Context) -> Result<()> {
    ctx.take_uncaptured().inspect_err(|_| forget_bind_groups())
}

fn timeout() -> Duration {
    let secs = std::env::var("FERROTORCH_GPU_TIMEOUT").ok().and_then(|v| v.parse::<f64>().ok()).unwrap_or(600.0);
    Duration::from_secs_f64(secs)
}

fn wait(ctx: &Context, index: Option<wgpu::SubmissionIndex>) -> Result<()> {
    let t = timeout();
    ctx.device.poll(wgpu::PollType::Wait { submission_index: index, timeout: Some(t) }).map_err(|e| match e {
        wgpu::PollError::Timeout => {
            Error::Runtime(format!("GPU did not finish its work within {:.0} s (FERROTORCH_GPU_TIMEOUT); the device may be hung", t.as_secs_f64()))
        }
        e => Error::Runtime(format!("GPU error while waiting: {e}")),
    })?;
    take_errors(ctx)
}

/// Submits and waits until the GPU has finished everything (`cuda.synchronize()`).
pub fn synchronize() -> Result<()> {
    let ctx = context::get()?;
    let idx = submit(ctx, &mut pending());
    wait(ctx, idx)
}

/// One binding of a dispatch after the metadata: a whole buffer (the shader declares whether
/// it reads or writes it).
pub struct Binding<'a> {
    pub buffer: &'a wgpu::Buffer,
}

/// A bind group for `kernel`: `meta_bytes` of the arena from `offset` at binding 0 (to which
/// the dispatch adds its dynamic offset), then `buffers`.
fn bind_group(ctx: &Context, kernel: &Kernel, arena: &wgpu::Buffer, offset: u64, meta_bytes: u64, buffers: &[Binding]) -> wgpu::BindGroup {
    let mut entries = vec![wgpu::BindGroupEntry {
        binding: 0,
        resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding { buffer: arena, offset, size: std::num::NonZeroU64::new(meta_bytes) }),
    }];
    for (i, b) in buffers.iter().enumerate() {
        entries.push(wgpu::BindGroupEntry { binding: i as u32 + 1, resource: b.buffer.as_entire_binding() });
    }
    ctx.device.create_bind_group(&wgpu::BindGroupDescriptor { label: None, layout: &kernel.layout, entries: &entries })
}

/// Drops the cached bind groups, and with them their hold on buffers (`empty_cache`).
pub fn forget_bind_groups() {
    pending().groups = None;
}

/// Records one dispatch of `kernel` over `workgroups` workgroups,
/// binding `meta` at binding 0 and `buffers` at 1.. in order. Grids beyond the 65,535-workgroup
/// limit fold into a second dimension; kernels compute their linear index from both.
pub fn dispatch(kernel: &Kernel, meta: &[u32], buffers: &[Binding], workgroups: u64) -> Result<()> {
    let ctx = context::get()?;
    if workgroups == 0 {
        return Ok(());
    }
    let max = ctx.limits.max_compute_workgroups_per_dimension as u64;
    let (x, y) = if workgroups <= max { (workgroups, 1) } else { (max, workgroups.div_ceil(max)) };
    if y > max {
        return Err(Error::Runtime(format!("GPU dispatch of {workgroups} workgroups exceeds the device's grid")));
    }
    let align = (ctx.limits.min_storage_buffer_offset_alignment as usize / 4).max(1);
    let mut p = pending();
    let meta_bytes = meta.len().max(1) as u64 * 4;
    let mut start = p.meta.len().div_ceil(align) * align;
    let capacity = p.arena.as_ref().map_or(ARENA_BYTES, |a| a.size() - META_WINDOW);
    if start as u64 * 4 + meta_bytes > capacity || p.dispatches >= BATCH {
        submit(ctx, &mut p);
        start = 0;
    }
    if meta_bytes > capacity || p.arena.is_none() {
        // First use, or metadata larger than the arena (nothing is pending now): a new arena,
        // which the cached groups do not bind.
        p.groups = None;
        p.arena = Some(ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("metadata"),
            size: ARENA_BYTES.max(meta_bytes) + META_WINDOW,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        }));
    }
    p.meta.resize(start, 0);
    p.meta.extend_from_slice(meta);
    if meta.is_empty() {
        p.meta.push(0);
    }
    let arena = p.arena.clone().expect("arena created above");
    let offset = start as u64 * 4;
    let (group, dynamic_offset) = if meta_bytes <= META_WINDOW {
        let key = GroupKey { kernel: kernel as *const Kernel as usize, buffers: buffers.iter().map(|b| b.buffer.clone()).collect() };
        let groups = p.groups.get_or_insert_with(HashMap::new);
        if groups.len() >= MAX_BIND_GROUPS && !groups.contains_key(&key) {
            groups.clear();
        }
        let group = groups.entry(key).or_insert_with(|| bind_group(ctx, kernel, &arena, 0, META_WINDOW, buffers));
        (group.clone(), offset as u32)
    } else {
        (bind_group(ctx, kernel, &arena, offset, meta_bytes, buffers), 0)
    };
    let pass = compute_pass(ctx, &mut p);
    pass.set_pipeline(&kernel.pipeline);
    pass.set_bind_group(0, &group, &[dynamic_offset]);
    pass.dispatch_workgroups(x as u32, y as u32, 1);
    p.dispatches += 1;
    Ok(())
}

/// Copies `bytes` into `dst` at byte offset 0, in stream order (through a staging buffer, so
/// earlier pending work on a recycled `dst` cannot see the new contents).
pub fn upload(dst: &GpuBuffer, bytes: &[u8]) -> Result<()> {
    let ctx = context::get()?;
    if bytes.is_empty() {
        return Ok(());
    }
    let size = (bytes.len() as u64).div_ceil(4) * 4;
    if bytes.len() <= SMALL_UPLOAD {
        let mut p = pending();
        if p.uploads.len() as u64 + size > UPLOAD_ARENA_BYTES {
            submit(ctx, &mut p);
        }
        if p.upload_arena.is_none() {
            p.upload_arena = Some(ctx.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("small uploads"),
                size: UPLOAD_ARENA_BYTES,
                usage: wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            }));
        }
        let offset = p.uploads.len() as u64;
        p.uploads.extend_from_slice(bytes);
        p.uploads.resize((offset + size) as usize, 0);
        let arena = p.upload_arena.clone().expect("created above");
        encoder(ctx, &mut p).copy_buffer_to_buffer(&arena, offset, dst.raw(), 0, size);
        return Ok(());
    }
    let staging = ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("upload"),
        size,
        usage: wgpu::BufferUsages::MAP_WRITE | wgpu::BufferUsages::COPY_SRC,
        mapped_at_creation: true,
    });
    {
        let mut view = staging.slice(..).get_mapped_range_mut().map_err(|e| Error::Runtime(format!("GPU upload failed: {e}")))?;
        view.slice(..bytes.len()).copy_from_slice(bytes);
    }
    staging.unmap();
    let mut p = pending();
    encoder(ctx, &mut p).copy_buffer_to_buffer(&staging, 0, dst.raw(), 0, size);
    Ok(())
}

/// Records `src[src_offset..+nbytes] -> dst[dst_offset..]` (offsets and size multiples of 4).
pub fn copy(src: &GpuBuffer, src_offset: u64, dst: &GpuBuffer, dst_offset: u64, nbytes: u64) -> Result<()> {
    let ctx = context::get()?;
    if nbytes == 0 {
        return Ok(());
    }
    let mut p = pending();
    encoder(ctx, &mut p).copy_buffer_to_buffer(src.raw(), src_offset, dst.raw(), dst_offset, nbytes);
    Ok(())
}

/// Zero-fills a buffer in stream order.
pub fn clear(dst: &GpuBuffer) -> Result<()> {
    let ctx = context::get()?;
    let mut p = pending();
    encoder(ctx, &mut p).clear_buffer(dst.raw(), 0, None);
    Ok(())
}

/// Reads `nbytes` from byte `offset` of `src` (offset a multiple of 4): submits pending work and
/// waits for it. The caller releases the GIL around this.
pub fn readback(src: &GpuBuffer, offset: u64, nbytes: u64) -> Result<Vec<u8>> {
    let ctx = context::get()?;
    if nbytes == 0 {
        return Ok(vec![]);
    }
    let size = nbytes.div_ceil(4) * 4;
    let staging_buffer = |size: u64| {
        ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback"),
            size,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        })
    };
    if size > SMALL_READBACK {
        return read_through(ctx, src, offset, nbytes, &staging_buffer(size));
    }
    // Held for the whole readback: the shared buffer is mapped by one reader at a time.
    let mut shared = READBACK_BUFFER.lock().unwrap_or_else(|p| p.into_inner());
    let staging = shared.take().unwrap_or_else(|| staging_buffer(SMALL_READBACK));
    let out = read_through(ctx, src, offset, nbytes, &staging)?;
    // Kept only after a clean unmap (an error leaves it out; the next reader makes a new one).
    *shared = Some(staging);
    Ok(out)
}

/// `readback` through the mappable `staging` buffer (at least `nbytes` rounded up to 4).
fn read_through(ctx: &Context, src: &GpuBuffer, offset: u64, nbytes: u64, staging: &wgpu::Buffer) -> Result<Vec<u8>> {
    let size = nbytes.div_ceil(4) * 4;
    let idx = {
        let mut p = pending();
        encoder(ctx, &mut p).copy_buffer_to_buffer(src.raw(), offset, staging, 0, size);
        submit(ctx, &mut p)
    };
    let (tx, rx) = std::sync::mpsc::channel();
    let range = staging.slice(..size);
    range.map_async(wgpu::MapMode::Read, move |r| {
        let _ = tx.send(r);
    });
    wait(ctx, idx)?;
    match rx.recv_timeout(Duration::from_secs(5)) {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(Error::Runtime(format!("GPU readback failed: {e}"))),
        Err(_) => return Err(Error::Runtime("GPU readback did not complete".into())),
    }
    let out = {
        let view = range.get_mapped_range().map_err(|e| Error::Runtime(format!("GPU readback failed: {e}")))?;
        view[..nbytes as usize].to_vec()
    };
    staging.unmap();
    Ok(out)
}
