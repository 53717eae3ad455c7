// Philox4x32-10, the same counter-based stream as the CPU (src/random.rs documents the layout):
// word j of a draw is word j % 4 of block base + j / 4, element i reads words i*w .. i*w + w.
// Metadata: n, 0 (no dims), key[2], base[4] (128-bit little-endian), lo, hi (f32 bits), then
// lo, hi as f64 bit patterns (high word first) for the float64 kernels.
@group(0) @binding(1) var<storage, read_write> out: array<{{OUT_T}}>;

// The high and low words of the 64-bit product a * b, from 16-bit halves.
fn mulhilo(a: u32, b: u32) -> vec2<u32> {
    let al = a & 0xffffu;
    let ah = a >> 16u;
    let bl = b & 0xffffu;
    let bh = b >> 16u;
    let ll = al * bl;
    let hl = ah * bl;
    let lh = al * bh;
    let cross = (ll >> 16u) + (hl & 0xffffu) + lh;
    let hi = ah * bh + (hl >> 16u) + (cross >> 16u);
    let lo = (cross << 16u) | (ll & 0xffffu);
    return vec2<u32>(hi, lo);
}

fn philox(ctr: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
    var c = ctr;
    var k = key;
    for (var r = 0u; r < 10u; r++) {
        if (r > 0u) {
            k = k + vec2<u32>(0x9E3779B9u, 0xBB67AE85u);
        }
        let p0 = mulhilo(0xD2511F53u, c.x);
        let p1 = mulhilo(0xCD9E8D57u, c.z);
        c = vec4<u32>(p1.x ^ c.y ^ k.x, p1.y, p0.x ^ c.w ^ k.y, p0.y);
    }
    return c;
}

// Block `b` of the draw: base + b as a 128-bit counter.
fn block(b: u32) -> vec4<u32> {
    var c = vec4<u32>(params[4], params[5], params[6], params[7]);
    let x = c.x + b;
    var carry = select(0u, 1u, x < c.x);
    c.x = x;
    let y = c.y + carry;
    carry = select(0u, 1u, y < carry);
    c.y = y;
    let z = c.z + carry;
    carry = select(0u, 1u, z < carry);
    c.z = z;
    c.w = c.w + carry;
    return philox(c, vec2<u32>(params[2], params[3]));
}

fn word(j: u32) -> u32 {
    let blk = block(j / 4u);
    return blk[j % 4u];
}

fn u24(x: u32) -> f32 {
    return f32(x >> 8u) * (1.0 / 16777216.0);
}
fn u11(x: u32) -> f32 {
    return f32(x >> 21u) * (1.0 / 2048.0);
}

{{HELPERS}}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= params[0]) {
        return;
    }
    let lo = bitcast<f32>(params[8]);
    let hi = bitcast<f32>(params[9]);
{{BODY}}
}
