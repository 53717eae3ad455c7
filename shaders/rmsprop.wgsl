// One RMSprop step (weight decay, centering, momentum) for every element of a parameter,
// fused. Every tensor is contiguous (from its own offset). Math is float32 (float16 tensors
// are widened on load, rounded on store). The momentum buffer and the gradient average are
// bound only by the specialisations that use them.
//
// Metadata (after params[0] = n, params[1] = 0):
//   [2..7)  element offsets of param, grad, square_avg, momentum_buffer, grad_avg
//   [7]     flags: 1 = maximize, 2 = weight decay
//   [8..)   float32 bits: weight_decay, alpha, 1 - alpha, eps, momentum, -lr
@group(0) @binding(1) var<storage, read_write> param: array<{{T}}>;
@group(0) @binding(2) var<storage, read> grad: array<{{T}}>;
@group(0) @binding(3) var<storage, read_write> square_avg: array<{{T}}>;
{{STATE_BINDINGS}}

fn hyper(k: u32) -> f32 {
    return bitcast<f32>(params[8u + k]);
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= params[0]) {
        return;
    }
    let flags = params[7];
    let p = f32(param[params[2] + i]);
    var g = f32(grad[params[3] + i]);
    if ((flags & 1u) != 0u) {
        g = -g;
    }
    if ((flags & 2u) != 0u) {
        g = g + p * hyper(0u);
    }
    let v = {{T}}(f32(square_avg[params[4] + i]) * hyper(1u) + (g * g) * hyper(2u));
    square_avg[params[4] + i] = v;
    {{DENOMINATOR}}
    {{STEP}}
    param[params[2] + i] = {{T}}(p + step * hyper(5u));
}
