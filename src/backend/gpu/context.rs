//! The one GPU context: instance, adapter, device and queue, created on first use.
//!
//! Adapter choice (documented in the README):
//! * `WGPU_BACKEND` (vulkan, metal, dx12) limits the backends searched; `WGPU_ADAPTER_NAME` picks
//!   the first adapter whose name contains it (case-insensitive).
//! * `FERROTORCH_GPU_POWER=low` prefers an integrated GPU; the default prefers a discrete one.
//! * Software adapters (lavapipe, WARP, SwiftShader) are slower than the CPU backend, so they are
//!   only used when `FERROTORCH_ALLOW_SOFTWARE_GPU=1`.
//!
//! The device is requested with the adapter's own limits and with the optional features that
//! widen the dtypes the GPU can hold (f16, f64, i64) and subgroups.
use crate::error::{Error, Result};
use std::sync::{Mutex, OnceLock};

pub struct Context {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub info: wgpu::AdapterInfo,
    pub features: wgpu::Features,
    pub limits: wgpu::Limits,
    /// Errors wgpu reports outside an error scope land here instead of panicking; the next
    /// synchronisation point raises them.
    pub uncaptured: std::sync::Arc<Mutex<Option<String>>>,
}

/// The features we ask for when the adapter has them.
fn wanted_features() -> wgpu::Features {
    wgpu::Features::SHADER_F16 | wgpu::Features::SHADER_F64 | wgpu::Features::SHADER_INT64 | wgpu::Features::SUBGROUP
}

fn env_flag(name: &str) -> bool {
    std::env::var(name).map(|v| !v.is_empty() && v != "0").unwrap_or(false)
}

/// Lower is better: the order in which adapter types are preferred.
fn rank(t: wgpu::DeviceType, low_power: bool) -> u8 {
    use wgpu::DeviceType::*;
    match (t, low_power) {
        (DiscreteGpu, false) | (IntegratedGpu, true) => 0,
        (IntegratedGpu, false) | (DiscreteGpu, true) => 1,
        (VirtualGpu, _) => 2,
        (Other, _) => 3,
        (Cpu, _) => 4,
    }
}

fn choose_adapter(instance: &wgpu::Instance) -> std::result::Result<wgpu::Adapter, String> {
    let adapters = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()));
    if adapters.is_empty() {
        return Err("no GPU adapter found (Vulkan, Metal or DX12)".into());
    }
    let allow_software = env_flag("FERROTORCH_ALLOW_SOFTWARE_GPU");
    let wanted_name = std::env::var("WGPU_ADAPTER_NAME").ok().map(|s| s.to_lowercase());
    let low_power = std::env::var("FERROTORCH_GPU_POWER").map(|v| v.eq_ignore_ascii_case("low")).unwrap_or(false);
    let mut candidates: Vec<wgpu::Adapter> = adapters
        .into_iter()
        .filter(|a| {
            let info = a.get_info();
            // Compute needs storage buffers in compute shaders; GL adapters are not built in.
            let name_ok = wanted_name.as_ref().map_or(true, |n| info.name.to_lowercase().contains(n));
            let type_ok = info.device_type != wgpu::DeviceType::Cpu || allow_software;
            name_ok && type_ok
        })
        .collect();
    candidates.sort_by_key(|a| rank(a.get_info().device_type, low_power));
    candidates.into_iter().next().ok_or_else(|| match wanted_name {
        Some(n) => format!("no GPU adapter matches WGPU_ADAPTER_NAME='{n}'"),
        None => "only a software GPU adapter was found; set FERROTORCH_ALLOW_SOFTWARE_GPU=1 to use it".into(),
    })
}

fn create() -> std::result::Result<Context, String> {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    let adapter = choose_adapter(&instance)?;
    let info = adapter.get_info();
    let features = adapter.features() & wanted_features();
    let limits = adapter.limits();
    let desc = wgpu::DeviceDescriptor {
        label: Some("ferrotorch"),
        required_features: features,
        required_limits: limits.clone(),
        experimental_features: wgpu::ExperimentalFeatures::disabled(),
        memory_hints: wgpu::MemoryHints::Performance,
        trace: wgpu::Trace::Off,
    };
    let (device, queue) =
        pollster::block_on(adapter.request_device(&desc)).map_err(|e| format!("could not open the GPU device '{}': {e}", info.name))?;
    let uncaptured = std::sync::Arc::new(Mutex::new(None));
    let sink = uncaptured.clone();
    device.on_uncaptured_error(std::sync::Arc::new(move |e: wgpu::Error| {
        let mut slot = sink.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(e.to_string());
        }
    }));
    Ok(Context { device, queue, info, features, limits, uncaptured })
}

static CONTEXT: OnceLock<std::result::Result<Context, String>> = OnceLock::new();

/// The context, created on first call; the reason there is none otherwise.
pub fn get() -> Result<&'static Context> {
    CONTEXT
        .get_or_init(create)
        .as_ref()
        .map_err(|e| Error::Runtime(format!("GPU is not available: {e}")))
}

/// Whether a GPU adapter is usable (creates the context on first call).
pub fn is_available() -> bool {
    get().is_ok()
}

impl Context {
    pub fn backend_name(&self) -> &'static str {
        match self.info.backend {
            wgpu::Backend::Vulkan => "Vulkan",
            wgpu::Backend::Metal => "Metal",
            wgpu::Backend::Dx12 => "DX12",
            wgpu::Backend::Gl => "GL",
            wgpu::Backend::BrowserWebGpu => "WebGPU",
            _ => "none",
        }
    }
    pub fn is_software(&self) -> bool {
        self.info.device_type == wgpu::DeviceType::Cpu
    }
    /// Keeps `message` for the next sync point to raise, for failures on paths that cannot
    /// return an error (the first one wins, as with wgpu's own).
    pub fn defer_error(&self, message: String) {
        let mut slot = self.uncaptured.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(message);
        }
    }
    /// Raises (once) the first error wgpu reported outside an error scope.
    pub fn take_uncaptured(&self) -> Result<()> {
        let e = self.uncaptured.lock().unwrap_or_else(|p| p.into_inner()).take();
        match e {
            Some(m) => Err(Error::Runtime(format!("GPU error: {m}"))),
            None => Ok(()),
        }
    }
    /// The names of the optional features this device got.
    pub fn feature_names(&self) -> Vec<&'static str> {
        [
            (wgpu::Features::SHADER_F16, "shader-f16"),
            (wgpu::Features::SHADER_F64, "shader-f64"),
            (wgpu::Features::SHADER_INT64, "shader-int64"),
            (wgpu::Features::SUBGROUP, "subgroups"),
        ]
        .into_iter()
        .filter(|(f, _)| self.features.contains(*f))
        .map(|(_, n)| n)
        .collect()
    }
}
