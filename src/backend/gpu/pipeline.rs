//! Shader specialisation and the pipeline cache. A kernel family is one WGSL template in
//! `shaders/`; the host fills in its `{{NAME}}` placeholders (dtypes, the op's expression,
//! how each operand is addressed) and compiles each distinct result once.
use super::context;
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Helpers every template may use (NaN tests, erf, ...).
pub const PRELUDE: &str = include_str!("../../../shaders/prelude.wgsl");

/// Fills `{{KEY}}` placeholders. Panics on a placeholder left unfilled: that is a bug in the
/// host code, caught by the naga test over every specialisation.
pub fn specialise(template: &str, subs: &[(&str, &str)]) -> String {
    let mut s = template.to_string();
    for (k, v) in subs {
        s = s.replace(&format!("{{{{{k}}}}}"), v);
    }
    debug_assert!(!s.contains("{{"), "unfilled placeholder in shader: {s}");
    s
}

/// Float helpers written once over a `{{F}}` type: specialised for f32 in every module, and for
/// f64 only where a kernel mentions f64 (it needs shader-f64).
const FLOAT_DIVISION: &str = include_str!("../../../shaders/float_division.wgsl");

/// float64 elementary functions written from f64 arithmetic (Vulkan has no 64-bit exp, log,
/// sin, pow, ...): added to the modules that call one of them.
const MATH_F64: &str = include_str!("../../../shaders/math_f64.wgsl");
/// The functions `MATH_F64` offers kernels.
pub const MATH_F64_FUNCTIONS: [&str; 26] = [
    "exp_f64", "exp2_f64", "expm1_f64", "log_f64", "log2_f64", "log10_f64", "log1p_f64", "sin_f64", "cos_f64",
    "tan_f64", "asin_f64", "acos_f64", "atan_f64", "atan2_f64", "sinh_f64", "cosh_f64", "tanh_f64", "asinh_f64",
    "acosh_f64", "atanh_f64", "sigmoid_f64", "erf_f64", "erfc_f64", "erfinv_f64", "pow_f64", "round_even_f64",
];

fn uses_math_f64(kernel: &str) -> bool {
    MATH_F64_FUNCTIONS.iter().any(|f| kernel.contains(&format!("{f}(")))
}

const INTEGER_POW: &str = include_str!("../../../shaders/integer_pow.wgsl");

/// `ipow_i32`, `ipow_u32`, `ipow_i64` for the modules that call them.
fn integer_pow(kernel: &str) -> String {
    let negative = "if (y < {{T}}(0)) {
        if (x == {{T}}(1)) {
            return {{T}}(1);
        }
        if (x == {{T}}(-1)) {
            return select({{T}}(-1), {{T}}(1), (y & {{T}}(1)) == {{T}}(0));
        }
        return {{T}}(0);
    }";
    let mut s = String::new();
    for t in ["i32", "u32", "i64"] {
        if kernel.contains(&format!("ipow_{t}(")) {
            let template = INTEGER_POW.replace("{{NEGATIVE_EXPONENT}}", if t == "u32" { "" } else { negative });
            s.push_str(&specialise(&template, &[("T", t)]));
        }
    }
    s
}

/// The `enable` lines a source needs for the types it mentions.
pub fn enables(src: &str) -> String {
    let mut e = String::new();
    if src.contains("f16") {
        e.push_str("enable f16;\n");
    }
    e
}

/// A complete module: enables, prelude, kernel.
pub fn module_source(kernel: &str) -> String {
    let f32_helpers = specialise(FLOAT_DIVISION, &[("F", "f32")]);
    let f64_helpers = if kernel.contains("f64") { specialise(FLOAT_DIVISION, &[("F", "f64")]) } else { String::new() };
    let f64_math = if uses_math_f64(kernel) { MATH_F64 } else { "" };
    format!("{}{}\n{}\n{}\n{}\n{}\n{}", enables(kernel), PRELUDE, f32_helpers, f64_helpers, f64_math, integer_pow(kernel), kernel)
}

/// A compiled kernel and its bind group layout.
pub struct Kernel {
    pub pipeline: wgpu::ComputePipeline,
    pub layout: wgpu::BindGroupLayout,
}

/// The bind group layout of a kernel, read from its module: binding 0 (the metadata) takes a
/// dynamic offset, so that one bind group serves every dispatch of the kernel over the same
/// buffers (`queue::dispatch` caches them); the other bindings are storage buffers, read-only
/// or not as the shader declares them. As in wgpu's automatic layouts, bindings that the entry
/// point never uses are left out (a specialisation may not touch every declared buffer); the
/// metadata binding is always there, as `queue::dispatch` always binds it.
fn layout_entries(src: &str) -> std::result::Result<Vec<wgpu::BindGroupLayoutEntry>, String> {
    let module = naga::front::wgsl::parse_str(src).map_err(|e| e.emit_to_string(src))?;
    let info = naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::all())
        .validate(&module)
        .map_err(|e| e.emit_to_string(src))?;
    let main = module.entry_points.iter().position(|e| e.name == "main").ok_or("no entry point 'main'")?;
    let uses = info.get_entry_point(main);
    let mut entries = vec![];
    for (handle, var) in module.global_variables.iter() {
        let Some(binding) = &var.binding else {
            continue;
        };
        // Kernels bind storage buffers in group 0 only (what `queue::dispatch` binds).
        let naga::AddressSpace::Storage { access } = var.space else {
            return Err(format!("binding {} is not a storage buffer", binding.binding));
        };
        if binding.group != 0 {
            return Err(format!("binding {} is in group {}, not 0", binding.binding, binding.group));
        }
        if uses[handle].is_empty() && binding.binding != 0 {
            continue;
        }
        entries.push(wgpu::BindGroupLayoutEntry {
            binding: binding.binding,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Storage { read_only: !access.contains(naga::StorageAccess::STORE) },
                has_dynamic_offset: binding.binding == 0,
                min_binding_size: None,
            },
            count: None,
        });
    }
    Ok(entries)
}

static CACHE: Mutex<Option<HashMap<String, Arc<Kernel>>>> = Mutex::new(None);

/// The pipeline for `key`, compiling `source()` (a kernel without prelude) on first use.
pub fn get(key: &str, source: impl FnOnce() -> String) -> Result<Arc<Kernel>> {
    get_fallible(key, || Ok(source()))
}

/// `get` for kernels whose source can fail to exist (an op a dtype lacks on the GPU).
pub fn get_fallible(key: &str, source: impl FnOnce() -> Result<String>) -> Result<Arc<Kernel>> {
    if let Some(p) = CACHE.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert_with(HashMap::new).get(key) {
        return Ok(p.clone());
    }
    let ctx = context::get()?;
    let src = module_source(&source()?);
    let entries = layout_entries(&src).map_err(|e| Error::Runtime(format!("internal error: GPU kernel '{key}' failed to parse: {e}")))?;
    let scope = ctx.device.push_error_scope(wgpu::ErrorFilter::Validation);
    let layout = ctx.device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor { label: Some(key), entries: &entries });
    let pipeline_layout = ctx.device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some(key),
        bind_group_layouts: &[Some(&layout)],
        immediate_size: 0,
    });
    let module = ctx.device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(key),
        source: wgpu::ShaderSource::Wgsl(src.as_str().into()),
    });
    let pipeline = ctx.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(key),
        layout: Some(&pipeline_layout),
        module: &module,
        entry_point: Some("main"),
        compilation_options: Default::default(),
        cache: None,
    });
    if let Some(e) = pollster::block_on(scope.pop()) {
        return Err(Error::Runtime(format!("internal error: GPU kernel '{key}' failed to compile: {e}")));
    }
    let p = Arc::new(Kernel { pipeline, layout });
    // Two threads may compile the same key at once (optimizer steps release the GIL): the
    // first one cached stays, so a kernel's address (which keys cached bind groups) is never
    // freed and reused.
    let mut cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
    Ok(cache.get_or_insert_with(HashMap::new).entry(key.to_string()).or_insert(p).clone())
}

/// Parses and validates a module with naga, as wgpu would (all optional capabilities on).
pub fn validate(src: &str) -> std::result::Result<(), String> {
    let module = naga::front::wgsl::parse_str(src).map_err(|e| e.emit_to_string(src))?;
    let caps = naga::valid::Capabilities::FLOAT64 | naga::valid::Capabilities::SHADER_INT64 | naga::valid::Capabilities::SHADER_FLOAT16;
    naga::valid::Validator::new(naga::valid::ValidationFlags::all(), caps)
        .validate(&module)
        .map_err(|e| e.emit_to_string(src))?;
    Ok(())
}
