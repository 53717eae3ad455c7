// searchsorted: for every value, its insertion index in its row of sorted boundaries.
// One invocation per value does a binary search over the row (lower bound for side='left',
// upper bound for 'right'). The host fills in the element type, the output type and
// GO_RIGHT(b, v): whether the search moves past boundary b. It is true for NaN on either
// side, as PyTorch's `!(b >= v)` is, so NaN values land at the end of the row.
// Metadata: params[0] = number of values, params[1] = row length, params[2] = values per row
// (0: one row shared by every value).
@group(0) @binding(1) var<storage, read_write> out: array<{{OUT_T}}>;
@group(0) @binding(2) var<storage, read> boundaries: array<{{T}}>;
@group(0) @binding(3) var<storage, read> values: array<{{T}}>;

fn go_right(b: {{T}}, v: {{T}}) -> bool {
    return {{GO_RIGHT}};
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= params[0]) {
        return;
    }
    let len = params[1];
    let per_row = params[2];
    let start = select(0u, (i / max(per_row, 1u)) * len, per_row > 0u);
    let v = values[i];
    var lo = start;
    var hi = start + len;
    loop {
        if (lo >= hi) {
            break;
        }
        let mid = lo + (hi - lo) / 2u;
        if (go_right(boundaries[mid], v)) {
            lo = mid + 1u;
        } else {
            hi = mid;
        }
    }
    out[i] = {{OUT_T}}(lo - start);
}
