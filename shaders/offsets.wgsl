// Advanced indexing by precomputed storage offsets (the host resolves the index tensors):
// element i of the dense side is row r = i / row_len, column j = i % row_len, and lives at
// data[starts[r] + row[j]].
//   gather:  dense[i] = data[p]          scatter: data[p] = dense[i]  (or +=, atomically)
// Metadata: n, row_len.
@group(0) @binding(1) var<storage, read_write> data: array<{{DATA_T}}>;
@group(0) @binding(2) var<storage, read> starts: array<u32>;
@group(0) @binding(3) var<storage, read> row: array<u32>;
@group(0) @binding(4) var<storage, read_write> dense: array<{{T}}>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= params[0]) {
        return;
    }
    let row_len = params[1];
    let p = starts[i / row_len] + row[i % row_len];
{{BODY}}
}
