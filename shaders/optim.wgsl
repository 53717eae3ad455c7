// One Adam / AdamW step for every element of a parameter, fused: the moment updates, the
// bias-corrected denominator and the parameter update in one pass instead of a dozen
// elementwise kernels. Every tensor is contiguous (from its own offset).
// Math is float32 (float16 tensors are widened on load, rounded on store).
//
// Metadata (after params[0] = n, params[1] = 0):
//   [2..7)  element offsets of param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq
//   [7]     flags: 1 = maximize, 2 = decoupled weight decay (AdamW), 4 = L2 weight decay (Adam)
//   [8..)   float32 bits: 1 - lr * weight_decay, weight_decay, beta1, 1 - beta1, beta2,
//           1 - beta2, sqrt(bias correction 2), eps, -lr / bias correction 1
@group(0) @binding(1) var<storage, read_write> param: array<{{T}}>;
@group(0) @binding(2) var<storage, read> grad: array<{{T}}>;
@group(0) @binding(3) var<storage, read_write> exp_avg: array<{{T}}>;
@group(0) @binding(4) var<storage, read_write> exp_avg_sq: array<{{T}}>;
{{MAX_BINDING}}

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
    var p = f32(param[params[2] + i]);
    var g = f32(grad[params[3] + i]);
    if ((flags & 1u) != 0u) {
        g = -g;
    }
    if ((flags & 2u) != 0u) {
        p = p * hyper(0u);
    }
    if ((flags & 4u) != 0u) {
        g = g + p * hyper(1u);
    }
    let m = {{T}}(f32(exp_avg[params[4] + i]) * hyper(2u) + g * hyper(3u));
    let v = {{T}}(f32(exp_avg_sq[params[5] + i]) * hyper(4u) + (g * g) * hyper(5u));
    exp_avg[params[4] + i] = m;
    exp_avg_sq[params[5] + i] = v;
    {{SECOND_MOMENT}}
    let denom = sqrt(f32(second)) / hyper(6u) + hyper(7u);
    param[params[2] + i] = {{T}}(p + (f32(m) / denom) * hyper(8u));
}
