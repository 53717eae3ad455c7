// One SGD step (momentum, dampening, Nesterov, weight decay) for every element of a
// parameter, fused. Every tensor is contiguous (from its own offset). Math is float32
// (float16 tensors are widened on load, rounded on store).
//
// Metadata (after params[0] = n, params[1] = 0):
//   [2..5)  element offsets of param, grad, momentum_buffer
//   [5]     flags: 1 = maximize, 2 = weight decay, 4 = momentum, 8 = Nesterov
//   [6..)   float32 bits: weight_decay, momentum, 1 - dampening, -lr
@group(0) @binding(1) var<storage, read_write> param: array<{{T}}>;
@group(0) @binding(2) var<storage, read> grad: array<{{T}}>;
{{MOMENTUM_BINDING}}

fn hyper(k: u32) -> f32 {
    return bitcast<f32>(params[6u + k]);
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= params[0]) {
        return;
    }
    let flags = params[5];
    let p = f32(param[params[2] + i]);
    var g = f32(grad[params[3] + i]);
    if ((flags & 1u) != 0u) {
        g = -g;
    }
    if ((flags & 2u) != 0u) {
        g = g + p * hyper(0u);
    }
    {{MOMENTUM_UPDATE}}
    param[params[2] + i] = {{T}}(p + g * hyper(3u));
}
