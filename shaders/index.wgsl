// Gather and scatter along one dim, over the index tensor's shape.
// Metadata: prelude header (n, ndim, index shape), the data operand's block (offset, strides,
// with the indexed dim's stride set to 0), the index's block, then step (the data's stride
// along dim) and size (its extent along dim; negative indices wrap once).
//   gather:  out[i] = data[strided(i) + k * step]
//   scatter: data[strided(i) + k * step] = or += src[strided(i)]   (src block after the index)
@group(0) @binding(1) var<storage, read_write> data: array<{{DATA_T}}>;
@group(0) @binding(2) var<storage, read> idx: array<i64>;
{{SRC_BINDING}}

fn target_offset(i: u32) -> u32 {
    let nd = params[1];
    let b_data = 2u + nd;
    let b_idx = b_data + 1u + nd;
    let tail = b_idx + 1u + nd + {{EXTRA_BLOCKS}}u * (1u + nd);
    let dim_step = params[tail];
    let size = i64(params[tail + 1u]);
    var k = idx[strided_index(i, b_idx)];
    if (k < i64(0)) {
        k += size;
    }
    return strided_index(i, b_data) + u32(k) * dim_step;
}

{{BODY}}
