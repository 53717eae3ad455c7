// float64 helpers, included only in kernels that use float64 (it needs shader-f64).
fn floordiv_f64(a: f64, b: f64) -> f64 {
    if (b == 0.0) {
        return a / b;
    }
    let m = a % b;
    var d = (a - m) / b;
    if (m != 0.0 && ((b < 0.0) != (m < 0.0))) {
        d -= 1.0;
    }
    if (d == 0.0) {
        return select(f64(0.0), -f64(0.0), a / b < 0.0);
    }
    let f = floor(d);
    return select(f, f + 1.0, d - f > 0.5);
}
fn remainder_f64(a: f64, b: f64) -> f64 {
    let r = a % b;
    return select(r, r + b, r != 0.0 && ((r < 0.0) != (b < 0.0)));
}
