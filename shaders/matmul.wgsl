// Batched matrix product C[b] = A[b] @ B[b]: 64x64 output tiles, 16-deep k-steps through
// workgroup memory, each of the 256 invocations accumulating a 4x4 register block.
// A and B are read in place through their strides (transposed operands cost no copy).
// Metadata (after the prelude's header words, which hold only n = batch, ndim = batch dims and
// the batch shape): M, N, K, then for A and B: offset, row stride, column stride, batch strides.
@group(0) @binding(1) var<storage, read_write> out: array<{{OUT_T}}>;
@group(0) @binding(2) var<storage, read> lhs: array<{{IN_T}}>;
@group(0) @binding(3) var<storage, read> rhs: array<{{IN_T}}>;

var<workgroup> tile_a: array<array<{{ACC_T}}, 64>, 16>;
var<workgroup> tile_b: array<array<{{ACC_T}}, 64>, 16>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) nwg: vec3<u32>) {
    let h = 2u + params[1];
    let M = params[h];
    let N = params[h + 1u];
    let K = params[h + 2u];
    let a_base = h + 3u;
    let b_base = a_base + 3u + params[1];
    let tiles_n = (N + 63u) / 64u;
    let tiles_m = (M + 63u) / 64u;
    let w = wid.x + wid.y * nwg.x;
    let batch = w / (tiles_m * tiles_n);
    let in_range = batch < params[0];
    let t = w % (tiles_m * tiles_n);
    let row0 = (t / tiles_n) * 64u;
    let col0 = (t % tiles_n) * 64u;
    let a_off = batch_offset(min(batch, params[0] - 1u), a_base);
    let b_off = batch_offset(min(batch, params[0] - 1u), b_base);
    let a_rs = params[a_base + 1u];
    let a_cs = params[a_base + 2u];
    let b_rs = params[b_base + 1u];
    let b_cs = params[b_base + 2u];
    let tr = (lid / 16u) * 4u;
    let tc = (lid % 16u) * 4u;

    var acc: array<array<{{ACC_T}}, 4>, 4>;
    for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) {
            acc[i][j] = {{ACC_T}}(0);
        }
    }
    for (var k0 = 0u; k0 < K; k0 += 16u) {
        // Each invocation stages 4 elements of A's 64x16 tile and 4 of B's 16x64 tile.
        for (var e = 0u; e < 4u; e++) {
            let idx = lid * 4u + e;
            let ar = idx / 16u;
            let ak = idx % 16u;
            let gr = row0 + ar;
            let gk = k0 + ak;
            var av = {{ACC_T}}(0);
            if (in_range && gr < M && gk < K) {
                av = {{ACC_T}}(lhs[a_off + gr * a_rs + gk * a_cs]);
            }
            tile_a[ak][ar] = av;
            let bk = idx / 64u;
            let bc = idx % 64u;
            let gk2 = k0 + bk;
            let gc = col0 + bc;
            var bv = {{ACC_T}}(0);
            if (in_range && gk2 < K && gc < N) {
                bv = {{ACC_T}}(rhs[b_off + gk2 * b_rs + gc * b_cs]);
            }
            tile_b[bk][bc] = bv;
        }
        workgroupBarrier();
        for (var kk = 0u; kk < 16u; kk++) {
            var a4: array<{{ACC_T}}, 4>;
            var b4: array<{{ACC_T}}, 4>;
            for (var i = 0u; i < 4u; i++) {
                a4[i] = tile_a[kk][tr + i];
                b4[i] = tile_b[kk][tc + i];
            }
            for (var i = 0u; i < 4u; i++) {
                for (var j = 0u; j < 4u; j++) {
                    acc[i][j] += a4[i] * b4[j];
                }
            }
        }
        workgroupBarrier();
    }
    if (!in_range) {
        return;
    }
    let c_off = batch * M * N;
    for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) {
            let r = row0 + tr + i;
            let c = col0 + tc + j;
            if (r < M && c < N) {
                out[c_off + r * N + c] = {{OUT_T}}(acc[i][j]);
            }
        }
    }
}
