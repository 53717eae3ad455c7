// Reduction: one workgroup folds one chunk of one group's `inner` elements.
// The input view is (kept dims..., reduced dims...), so group g owns logical elements
// g*inner .. (g+1)*inner, read in place through the view's strides.
// Metadata: prelude header (n, ndim, shape), the input's block (offset, strides), then
// groups, inner, chunk (elements per workgroup), chunks (workgroups per group), divisor.
// Bindings, load(), nan() and better() are in reduce_ops.wgsl.
var<workgroup> acc: array<{{ACC_T}}, 256>;
var<workgroup> arg: array<u32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) nwg: vec3<u32>) {
    let tail = 3u + 2u * params[1];
    let groups = params[tail];
    let inner = params[tail + 1u];
    let chunk = params[tail + 2u];
    let chunks = params[tail + 3u];
    let w = wid.x + wid.y * nwg.x;
    let in_range = w < groups * chunks;
    let g = w / max(chunks, 1u);
    let start = (w % max(chunks, 1u)) * chunk;
    let end = min(start + chunk, inner);
    let base = g * inner;
    var a: {{ACC_T}} = {{INIT}};
    var ai: u32 = start;
    if (in_range && start < end) {
        {{INIT_FROM_FIRST}}
        for (var j = start + lid; j < end; j += 256u) {
            let x = load(base + j);
            if (better(a, ai, x, j)) {
                a = {{COMBINE}};
                ai = j;
            }
        }
    }
    acc[lid] = a;
    arg[lid] = ai;
    workgroupBarrier();
    for (var s = 128u; s > 0u; s = s >> 1u) {
        if (lid < s) {
            let b = acc[lid + s];
            let j = arg[lid + s];
            if (better(acc[lid], arg[lid], b, j)) {
                let x = b;
                let a = acc[lid];
                acc[lid] = {{COMBINE}};
                arg[lid] = j;
            }
        }
        workgroupBarrier();
    }
    if (in_range && lid == 0u) {
        let a = acc[0];
        let divisor = params[tail + 4u];
        out[w] = {{FINAL}};
        {{STORE_INDEX}}
    }
}
