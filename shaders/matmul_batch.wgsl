// Shared by matmul.wgsl and matmul_vec4.wgsl (their metadata layout is the same).

// The offset of matrix `b` of the operand whose block starts at `base` (offset, rs, cs, strides...).
fn batch_offset(b: u32, base: u32) -> u32 {
    let nb = params[1];
    var rem = b;
    var off = params[base];
    var d = nb;
    loop {
        if (d == 0u) {
            break;
        }
        let size = params[1u + d];
        off += (rem % size) * params[base + 2u + d];
        rem = rem / size;
        d -= 1u;
    }
    return off;
}
