// Inclusive scans along the last dim of a (kept dims..., dim) view: one invocation per row,
// walking its `inner` elements in order (the running value needs the previous one).
// Metadata: prelude header (n, ndim, shape of the view), the view's block (offset, strides),
// then groups, inner. Output rows are contiguous in view order.
@group(0) @binding(1) var<storage, read_write> out: array<{{OUT_T}}>;
@group(0) @binding(2) var<storage, read> in0: array<{{IN_T}}>;
{{EXTRA_BINDINGS}}

fn nan(v: {{ACC_T}}) -> bool {
    return {{IS_NAN}};
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let g = gid.x + gid.y * nwg.x * 64u;
    let tail = 3u + 2u * params[1];
    let groups = params[tail];
    let inner = params[tail + 1u];
    if (g >= groups) {
        return;
    }
    var acc = {{ACC_T}}(0);
    var at = 0u;
    for (var j = 0u; j < inner; j++) {
        let x = {{ACC_T}}(in0[strided_index(g * inner + j, 2u + params[1])]);
        {{STEP}}
        out[g * inner + j] = {{OUT_T}}(acc);
        {{STORE_INDEX}}
    }
}
