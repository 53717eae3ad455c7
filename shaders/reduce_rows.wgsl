// Reduction of short groups: one invocation folds one whole group, left to right. A (rows, 8)
// sum would otherwise give each group a 256-wide workgroup with 8 busy invocations.
// Metadata as in reduce.wgsl (chunk and chunks are unused: each group is one chunk).
// Bindings, load(), nan() and better() are in reduce_ops.wgsl.

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let tail = 3u + 2u * params[1];
    let groups = params[tail];
    let inner = params[tail + 1u];
    let w = gid.x + gid.y * nwg.x * 256u;
    if (w >= groups) {
        return;
    }
    let base = w * inner;
    let start = 0u;
    var a: {{ACC_T}} = {{INIT}};
    var ai: u32 = 0u;
    if (inner > 0u) {
        {{INIT_FROM_FIRST}}
        for (var j = 0u; j < inner; j++) {
            let x = load(base + j);
            if (better(a, ai, x, j)) {
                a = {{COMBINE}};
                ai = j;
            }
        }
    }
    let divisor = params[tail + 4u];
    out[w] = {{FINAL}};
    {{STORE_INDEX}}
}
