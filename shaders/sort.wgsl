// Stable bitonic sort of rows of `width` keys (a power of two), each key carried with its
// position in the row. keys: (rows, width) row-major, the first `len` keys of each row real;
// pos: the keys' original positions in their row, -1 for padding (which sorts after
// everything). The first dispatch (local_sort with k_lo = 2) writes the positions itself. Rows are independent: every
// compare-exchange stays within one row because k never exceeds `width`.
//
// Two stages, picked by the host ({{STAGE}}):
//   global_step: one compare-exchange pass (k, j) over all keys, one invocation per pair;
//     params = [total keys, k, j, width, len].
//   local_sort: every pass with j <= 256 for k = k_lo, 2 k_lo, ..., k_hi, on blocks of 512 keys
//     held in workgroup memory; params = [total keys, k_lo, k_hi, width, len].
// A row of 512 keys or fewer is sorted by one local_sort dispatch; longer rows need global
// passes only for the strides a block cannot hold.
@group(0) @binding(1) var<storage, read_write> keys: array<{{T}}>;
@group(0) @binding(2) var<storage, read_write> pos: array<i32>;

const BLOCK: u32 = 512u;
var<workgroup> block_keys: array<{{T}}, 512>;
var<workgroup> block_pos: array<i32, 512>;

fn nan(v: {{T}}) -> bool {
    return {{IS_NAN}};
}

// Whether (ka, ia) goes strictly before (kb, ib): NaN ranks above every number, ties keep
// their original order (stability), padding goes last.
fn before(ka: {{T}}, ia: i32, kb: {{T}}, ib: i32) -> bool {
    if (ia < 0) {
        return false;
    }
    if (ib < 0) {
        return true;
    }
    let na = nan(ka);
    let nb = nan(kb);
    if (na != nb) {
        return {{NAN_FIRST}};
    }
    if (!na && ka != kb) {
        return ka {{CMP}} kb;
    }
    return ia < ib;
}

// Elements a < b of a pair are in order when the earlier one goes first, except in the
// blocks of k that bitonic sort builds in reverse (by position within the row, so that the
// last merge, k = width, sorts every row the same way).
fn out_of_order(a: u32, k: u32, ka: {{T}}, ia: i32, kb: {{T}}, ib: i32) -> bool {
    let width = params[3];
    if ((a & (width - 1u) & k) == 0u) {
        return before(kb, ib, ka, ia);
    }
    return before(ka, ia, kb, ib);
}

fn global_step(i: u32, lid: u32, wid: u32) {
    let total = params[0];
    let k = params[1];
    let j = params[2];
    if (i >= total / 2u) {
        return;
    }
    let a = (i / j) * 2u * j + (i % j);
    let b = a + j;
    let ka = keys[a];
    let ia = pos[a];
    let kb = keys[b];
    let ib = pos[b];
    if (out_of_order(a, k, ka, ia, kb, ib)) {
        keys[a] = kb;
        pos[a] = ib;
        keys[b] = ka;
        pos[b] = ia;
    }
}

fn local_sort(i: u32, lid: u32, wid: u32) {
    let total = params[0];
    let k_lo = params[1];
    let k_hi = params[2];
    let base = wid * BLOCK;
    for (var h = 0u; h < 2u; h++) {
        let t = lid + h * (BLOCK / 2u);
        if (base + t < total) {
            block_keys[t] = keys[base + t];
            if (k_lo == 2u) {
                let column = (base + t) & (params[3] - 1u);
                block_pos[t] = select(-1, i32(column), column < params[4]);
            } else {
                block_pos[t] = pos[base + t];
            }
        } else {
            block_pos[t] = -1;
        }
    }
    workgroupBarrier();
    for (var k = k_lo; k <= k_hi; k *= 2u) {
        for (var j = min(k / 2u, BLOCK / 2u); j > 0u; j /= 2u) {
            let a = (lid / j) * 2u * j + (lid % j);
            let b = a + j;
            let ka = block_keys[a];
            let ia = block_pos[a];
            let kb = block_keys[b];
            let ib = block_pos[b];
            if (out_of_order(base + a, k, ka, ia, kb, ib)) {
                block_keys[a] = kb;
                block_pos[a] = ib;
                block_keys[b] = ka;
                block_pos[b] = ia;
            }
            workgroupBarrier();
        }
    }
    for (var h = 0u; h < 2u; h++) {
        let t = lid + h * (BLOCK / 2u);
        if (base + t < total) {
            keys[base + t] = block_keys[t];
            pos[base + t] = block_pos[t];
        }
    }
}

@compute @workgroup_size(256)
fn main(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    {{STAGE}}(gid.x + gid.y * nwg.x * 256u, lid.x, wid.x + wid.y * nwg.x);
}
