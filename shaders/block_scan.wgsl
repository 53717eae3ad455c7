// Inclusive prefix sums of long rows, in parallel: a row is cut into blocks of 1024 elements
// (256 invocations x 4 consecutive elements), and the host runs three dispatches:
//   1. block_totals: one workgroup per block writes the block's total to totals[block];
//   2. (scan.wgsl) each row of block totals is scanned in place, so totals[b] becomes the
//      total of the blocks up to b in its row;
//   3. block_scan: one workgroup per block scans its elements, adds the totals of the blocks
//      before it, and stores each element's prefix (the host's store: the cumsum's output,
//      or for nonzero the coordinates of a non-zero element at row prefix - 1).
// Metadata: prelude header (n, ndim, shape of the view), the view's block (offset, strides),
// then groups (rows), inner (row length), blocks per row.
@group(0) @binding(1) var<storage, read> in0: array<{{IN_T}}>;
@group(0) @binding(2) var<storage, read_write> totals: array<{{ACC_T}}>;
{{EXTRA_BINDINGS}}

const ITEMS: u32 = 4u;
const BLOCK: u32 = 1024u;
var<workgroup> partial: array<{{ACC_T}}, 256>;

fn tail() -> u32 {
    return 3u + 2u * params[1];
}

// Element j of row g, as an accumulator value (the host's load of the stored value v).
fn load(g: u32, j: u32) -> {{ACC_T}} {
    let v = in0[strided_index(g * params[tail() + 1u] + j, 2u + params[1])];
    return {{LOAD}};
}

// Where a block lies: its row, its chunk of the row, and the row length.
struct Block {
    row: u32,
    chunk: u32,
    inner: u32,
    in_range: bool,
}

fn locate(block: u32) -> Block {
    let per_row = params[tail() + 2u];
    let row = block / per_row;
    return Block(row, block % per_row, params[tail() + 1u], row < params[tail()]);
}

fn block_totals(lid: u32, block: u32) {
    let b = locate(block);
    if (!b.in_range) {
        return;
    }
    let g = b.row;
    let inner = b.inner;
    let start = b.chunk * BLOCK + lid * ITEMS;
    var s = {{ACC_T}}(0);
    for (var k = 0u; k < ITEMS; k++) {
        if (start + k < inner) {
            s = s + load(g, start + k);
        }
    }
    partial[lid] = s;
    workgroupBarrier();
    for (var w = 128u; w > 0u; w /= 2u) {
        if (lid < w) {
            partial[lid] = partial[lid] + partial[lid + w];
        }
        workgroupBarrier();
    }
    if (lid == 0u) {
        totals[block] = partial[0];
    }
}

fn block_scan(lid: u32, block: u32) {
    let b = locate(block);
    if (!b.in_range) {
        return;
    }
    let g = b.row;
    let inner = b.inner;
    let chunk = b.chunk;
    let start = chunk * BLOCK + lid * ITEMS;
    var items: array<{{ACC_T}}, 4>;
    var prefix: array<{{ACC_T}}, 4>;
    var run = {{ACC_T}}(0);
    for (var k = 0u; k < ITEMS; k++) {
        items[k] = {{ACC_T}}(0);
        if (start + k < inner) {
            items[k] = load(g, start + k);
        }
        run = run + items[k];
        prefix[k] = run;
    }
    // Hillis-Steele scan of the invocations' totals.
    partial[lid] = run;
    workgroupBarrier();
    for (var off = 1u; off < 256u; off *= 2u) {
        let add = select({{ACC_T}}(0), partial[max(lid, off) - off], lid >= off);
        workgroupBarrier();
        partial[lid] = partial[lid] + add;
        workgroupBarrier();
    }
    var base = select({{ACC_T}}(0), totals[max(block, 1u) - 1u], chunk > 0u);
    base = base + select({{ACC_T}}(0), partial[max(lid, 1u) - 1u], lid > 0u);
    for (var k = 0u; k < ITEMS; k++) {
        let j = start + k;
        if (j < inner) {
            let x = items[k];
            let p = base + prefix[k];
            {{STORE}}
        }
    }
}

@compute @workgroup_size(256)
fn main(
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    {{STAGE}}(lid.x, wid.x + wid.y * nwg.x);
}
