// One Adagrad step for every element of a parameter, fused. Every tensor is contiguous (from
// its own offset). Math is float32 (float16 tensors are widened on load, rounded on store).
//
// Metadata (after params[0] = n, params[1] = 0):
//   [2..5)  element offsets of param, grad, sum
//   [5]     flags: 1 = maximize, 2 = weight decay
//   [6..)   float32 bits: weight_decay, eps, -lr / (1 + (step - 1) * lr_decay)
@group(0) @binding(1) var<storage, read_write> param: array<{{T}}>;
@group(0) @binding(2) var<storage, read> grad: array<{{T}}>;
@group(0) @binding(3) var<storage, read_write> sum: array<{{T}}>;

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
    let s = {{T}}(f32(sum[params[4] + i]) + g * g);
    sum[params[4] + i] = s;
    param[params[2] + i] = {{T}}(p + (g / (sqrt(f32(s)) + hyper(1u))) * hyper(2u));
}
