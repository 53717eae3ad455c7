// Reduction of values into a buffer at given element offsets, for every dtype and without
// atomics: the host sorts the (offset, value) pairs by offset with a stable sort, so each
// offset's values form one run in their input order. The first invocation of a run combines
// it left to right (the CPU's order, so float results match it) and writes the result.
// Metadata: params[0] = number of values.
@group(0) @binding(1) var<storage, read_write> data: array<{{T}}>;
@group(0) @binding(2) var<storage, read> targets: array<i64>;
@group(0) @binding(3) var<storage, read> vals: array<{{T}}>;

fn combine(acc: {{T}}, v: {{T}}) -> {{T}} {
    return {{COMBINE}};
}

fn finish(acc: {{T}}, count: u32) -> {{T}} {
    return {{FINISH}};
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    let m = params[0];
    if (i >= m) {
        return;
    }
    let t = targets[i];
    if (i > 0u && targets[i - 1u] == t) {
        return;
    }
    let p = u32(t);
    // With include_self the run starts from the value already there.
    var acc = {{FIRST}};
    var count = 1u;
    var j = {{NEXT}};
    loop {
        if (j >= m) {
            break;
        }
        if (targets[j] != t) {
            break;
        }
        acc = combine(acc, vals[j]);
        count += 1u;
        j += 1u;
    }
    data[p] = finish(acc, count);
}
