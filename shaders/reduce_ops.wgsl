// Shared by the two reduction kernels (reduce.wgsl: a workgroup per chunk of a group;
// reduce_rows.wgsl: an invocation per short group): the bindings and how elements are loaded,
// tested for NaN and compared. The host appends this file to either kernel.
@group(0) @binding(1) var<storage, read_write> out: array<{{OUT_T}}>;
@group(0) @binding(2) var<storage, read> in0: array<{{IN_T}}>;
{{EXTRA_BINDINGS}}

// Logical element j of the input: through the strides, or (for a contiguous view) at
// offset + j without the per-dim divisions.
fn load(j: u32) -> {{ACC_T}} {
    let x = in0[{{INDEX}}];
    return {{TO_ACC}};
}

fn nan(v: {{ACC_T}}) -> bool {
    return {{IS_NAN}};
}

// Whether (b at j) replaces (a at i) as the running result.
fn better(a: {{ACC_T}}, i: u32, b: {{ACC_T}}, j: u32) -> bool {
    {{BETTER}}
}
