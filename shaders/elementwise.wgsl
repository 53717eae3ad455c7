// Elementwise map: out[i] = EXPR(x0, x1, ...), one invocation per output element.
// The host fills in the buffer element types, how each operand is addressed (contiguous:
// offset + i; otherwise through its strides, see strided_index in the prelude) and the op's
// expression. Metadata layout: see the prelude.
@group(0) @binding(1) var<storage, read_write> out: array<{{OUT_T}}>;
{{INPUT_BINDINGS}}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= params[0]) {
        return;
    }
{{LOADS}}
    out[{{OUT_INDEX}}] = {{EXPR}};
}
