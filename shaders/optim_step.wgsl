// One optimizer step for every element of a parameter, fused: the state updates and the
// parameter update in one pass instead of a dozen elementwise kernels. The host puts in the
// optimizer's state bindings and its update (one of the optim_*.wgsl bodies), which reads
// p and g and leaves the new parameter value in p.
// Every tensor is contiguous (from its own offset). Math is float32 (float16 tensors are
// widened on load, rounded on store).
//
// Metadata (after params[0] = n, params[1] = 0): the element offset of every tensor slot
// (0 param, 1 grad, then the optimizer's state; absent state 0), the flags word (1 = maximize,
// the other bits the optimizer's own), then the float32 bits of its hyperparameters.
@group(0) @binding(1) var<storage, read_write> param: array<{{T}}>;
@group(0) @binding(2) var<storage, read> grad: array<{{T}}>;
{{STATE_BINDINGS}}

const SLOTS: u32 = {{SLOTS}}u;

// Element i of the tensor in slot k lies at offset(k) + i.
fn offset(k: u32) -> u32 {
    return params[2u + k];
}

fn hyper(k: u32) -> f32 {
    return bitcast<f32>(params[3u + SLOTS + k]);
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= params[0]) {
        return;
    }
    let flags = params[2u + SLOTS];
    var p = f32(param[offset(0u) + i]);
    var g = f32(grad[offset(1u) + i]);
    if ((flags & 1u) != 0u) {
        g = -g;
    }
    {{UPDATE}}
    param[offset(0u) + i] = {{T}}(p);
}
