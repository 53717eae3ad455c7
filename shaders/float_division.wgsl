// Python's floor division and remainder (the sign of the result follows the divisor), written
// once for any float type: the host specialises {{F}} to f32 (always) and f64 (in kernels that
// use float64, which needs shader-f64).
fn floordiv_{{F}}(a: {{F}}, b: {{F}}) -> {{F}} {
    if (b == 0.0) {
        return a / b;
    }
    let m = a % b;
    var d = (a - m) / b;
    if (m != 0.0 && ((b < 0.0) != (m < 0.0))) {
        d -= 1.0;
    }
    if (d == 0.0) {
        // A zero quotient keeps the sign of the true quotient (1 / -0 is -inf).
        let q = a / b;
        return select({{F}}(0.0), -{{F}}(0.0), q < 0.0 || 1.0 / q < 0.0);
    }
    let f = floor(d);
    return select(f, f + 1.0, d - f > 0.5);
}
fn remainder_{{F}}(a: {{F}}, b: {{F}}) -> {{F}} {
    let r = a % b;
    return select(r, r + b, r != 0.0 && ((r < 0.0) != (b < 0.0)));
}
