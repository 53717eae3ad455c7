// Window kernels over contiguous N*C planes of H x W pixels (1-D convolutions use H = 1):
// im2col, its adjoint col2im (written as a gather: each pixel sums the column entries that read
// it, so no atomics and a deterministic order), and max pooling with PyTorch's flat indices.
// Metadata: n (invocations), the element offset of src (a contiguous view need not start at
// the buffer's start), then planes, H, W, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw.
@group(0) @binding(1) var<storage, read_write> out: array<{{T}}>;
@group(0) @binding(2) var<storage, read> src: array<{{T}}>;
{{EXTRA_BINDING}}

struct Geometry {
    src0: u32, H: u32, W: u32, oh: u32, ow: u32, kh: u32, kw: u32,
    sh: u32, sw: u32, ph: u32, pw: u32, dh: u32, dw: u32,
}

fn geometry() -> Geometry {
    return Geometry(params[1], params[3], params[4], params[5], params[6], params[7], params[8],
                    params[9], params[10], params[11], params[12], params[13], params[14]);
}

// The input coordinate read by output position o at kernel offset k, or -1 in the padding.
fn source(o: u32, k: u32, stride: u32, pad: u32, dil: u32, size: u32) -> i32 {
    let c = i32(o * stride + k * dil) - i32(pad);
    return select(-1, c, c >= 0 && c < i32(size));
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= params[0]) {
        return;
    }
    let g = geometry();
{{BODY}}
}
