// Integer pow by squaring, written once for any integer type: the host specialises {{T}} to
// i32, u32 and i64 in the modules that call it. Products wrap, as on the CPU; for signed
// types the host fills in the negative-exponent case (0, except for bases 1 and -1).
fn ipow_{{T}}(x: {{T}}, y: {{T}}) -> {{T}} {
    {{NEGATIVE_EXPONENT}}
    var r = {{T}}(1);
    var b = x;
    var e = y;
    loop {
        if (e == {{T}}(0)) {
            break;
        }
        if ((e & {{T}}(1)) == {{T}}(1)) {
            r = r * b;
        }
        b = b * b;
        e = e >> 1u;
    }
    return r;
}
