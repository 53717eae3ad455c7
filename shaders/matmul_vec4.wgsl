// Batched float32 matrix product C[b] = A[b] @ B[b] through 16-byte loads, for operands whose
// contiguous dimension and strides are multiples of 4 elements (the host checks; other operands
// take matmul.wgsl). Each workgroup of 256 invocations (a 16x16 grid) computes a BM x BM
// output tile, BM = 16 * T; each invocation accumulates a T x T block in vec4 registers.
// K advances BK = 1024 / BM at a time through workgroup memory, so that every invocation stages
// exactly one vec4 of each operand per step; the next step's global loads are issued before
// the current step's arithmetic, hiding their latency behind it.
// An invocation's rows are ty*4 + 64*g + i and its columns tx*4 + 64*h + j (g, h < T/4,
// i, j < 4): neighbouring invocations read neighbouring vec4s of workgroup memory.
// The host picks, per operand, which dimension the vec4s run along (A_K_CONTIGUOUS: A is
// row-major, else column-major; B_K_CONTIGUOUS: B is column-major, as in x @ W.T).
// Metadata: as matmul.wgsl (batch, batch ndim, batch shape, M, N, K, then per operand:
// offset, row stride, column stride, batch strides; all in float32 elements).
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> lhs: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> rhs: array<vec4<f32>>;

const T: u32 = {{T}}u;
const TV: u32 = {{TV}}u;
const BM: u32 = {{BM}}u;
const BK: u32 = {{BK}}u;
// vec4s per row of a staged tile (BM columns).
const VM: u32 = BM / 4u;
const A_K_CONTIGUOUS: bool = {{A_K_CONTIGUOUS}};
const B_K_CONTIGUOUS: bool = {{B_K_CONTIGUOUS}};

// Both tiles are stored k-major: [BK][BM / 4] vec4s.
var<workgroup> tile_a: array<vec4<f32>, 256>;
var<workgroup> tile_b: array<vec4<f32>, 256>;

// Where one operand's current matrix lies: element offset, the stride along the tile's
// M (or N) dimension, the stride along K, and the extent of the M (or N) dimension.
struct Operand {
    offset: u32,
    outer_stride: u32,
    k_stride: u32,
    outer: u32,
}

// The vec4 invocation `lid` stages from an operand's tile starting at (outer0, k0), zero
// outside the matrix. `k_contiguous`: the vec4 runs along K (else along the outer dim).
fn load(lid: u32, op: Operand, outer0: u32, k0: u32, K: u32, k_contiguous: bool, from_lhs: bool) -> vec4<f32> {
    var o: u32;
    var k: u32;
    var in_bounds: bool;
    if (k_contiguous) {
        o = outer0 + lid / (BK / 4u);
        k = k0 + (lid % (BK / 4u)) * 4u;
    } else {
        o = outer0 + (lid % VM) * 4u;
        k = k0 + lid / VM;
    }
    if (o >= op.outer || k >= K) {
        return vec4<f32>(0.0);
    }
    let i = (op.offset + o * op.outer_stride + k * op.k_stride) / 4u;
    if (from_lhs) {
        return lhs[i];
    }
    return rhs[i];
}

// Writes what `load` returned into the k-major tile of A or B: a vec4 along K is spread over
// four tile rows, one along M (or N) is a vec4 of one row.
fn store(lid: u32, v: vec4<f32>, k_contiguous: bool, to_a: bool) {
    if (!k_contiguous) {
        if (to_a) {
            tile_a[lid] = v;
        } else {
            tile_b[lid] = v;
        }
        return;
    }
    let o = lid / (BK / 4u);
    let k = (lid % (BK / 4u)) * 4u;
    for (var c = 0u; c < 4u; c++) {
        let at = (k + c) * VM + o / 4u;
        if (to_a) {
            tile_a[at][o % 4u] = v[c];
        } else {
            tile_b[at][o % 4u] = v[c];
        }
    }
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) nwg: vec3<u32>) {
    let h0 = 2u + params[1];
    let M = params[h0];
    let N = params[h0 + 1u];
    let K = params[h0 + 2u];
    let a_base = h0 + 3u;
    let b_base = a_base + 3u + params[1];
    let tiles_n = (N + BM - 1u) / BM;
    let tiles_m = (M + BM - 1u) / BM;
    let w = wid.x + wid.y * nwg.x;
    let batch = w / (tiles_m * tiles_n);
    // Workgroups past the last tile (a folded grid) still reach every barrier.
    let in_range = batch < params[0];
    let t = w % (tiles_m * tiles_n);
    let row0 = (t / tiles_n) * BM;
    let col0 = (t % tiles_n) * BM;
    let clamped = min(batch, params[0] - 1u);
    // A is M x K: rows are its outer dim; B is K x N: columns are its outer dim.
    let a = Operand(batch_offset(clamped, a_base), params[a_base + 1u], params[a_base + 2u], select(0u, M, in_range));
    let b = Operand(batch_offset(clamped, b_base), params[b_base + 2u], params[b_base + 1u], select(0u, N, in_range));
    let ty = lid / 16u;
    let tx = lid % 16u;

    var acc: array<vec4<f32>, {{ACC_LEN}}>;
    for (var i = 0u; i < T * TV; i++) {
        acc[i] = vec4<f32>(0.0);
    }
    var next_a = load(lid, a, row0, 0u, K, A_K_CONTIGUOUS, true);
    var next_b = load(lid, b, col0, 0u, K, B_K_CONTIGUOUS, false);
    for (var k0 = 0u; k0 < K; k0 += BK) {
        store(lid, next_a, A_K_CONTIGUOUS, true);
        store(lid, next_b, B_K_CONTIGUOUS, false);
        workgroupBarrier();
        if (k0 + BK < K) {
            next_a = load(lid, a, row0, k0 + BK, K, A_K_CONTIGUOUS, true);
            next_b = load(lid, b, col0, k0 + BK, K, B_K_CONTIGUOUS, false);
        }
        for (var kk = 0u; kk < BK; kk++) {
            var fa: array<vec4<f32>, TV>;
            var fb: array<vec4<f32>, TV>;
            for (var g = 0u; g < TV; g++) {
                fa[g] = tile_a[kk * VM + g * 16u + ty];
                fb[g] = tile_b[kk * VM + g * 16u + tx];
            }
            for (var g = 0u; g < TV; g++) {
                for (var i = 0u; i < 4u; i++) {
                    let av = vec4<f32>(fa[g][i]);
                    for (var h = 0u; h < TV; h++) {
                        let r = (g * 4u + i) * TV + h;
                        acc[r] = fma(av, fb[h], acc[r]);
                    }
                }
            }
        }
        workgroupBarrier();
    }
    if (!in_range) {
        return;
    }
    let c_off = batch * M * N;
    for (var g = 0u; g < TV; g++) {
        for (var i = 0u; i < 4u; i++) {
            let r = row0 + g * 64u + ty * 4u + i;
            if (r >= M) {
                continue;
            }
            for (var h = 0u; h < TV; h++) {
                let c = col0 + h * 64u + tx * 4u;
                let v = acc[(g * 4u + i) * TV + h];
                for (var j = 0u; j < 4u; j++) {
                    if (c + j < N) {
                        out[c_off + r * N + c + j] = v[j];
                    }
                }
            }
        }
    }
}
