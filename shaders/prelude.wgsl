// Shared by every kernel.
//
// Binding 0 of every kernel is its metadata, u32 words written by the host:
//   params[0] = element count n, params[1] = ndim, params[2 .. 2+ndim] = shape,
// then one block per strided operand starting at the word the host passes to strided_index:
//   block[0] = element offset, block[1 .. 1+ndim] = strides (in elements).
@group(0) @binding(0) var<storage, read> params: array<u32>;

// The storage index of logical (row-major) element i of the operand whose block starts at `base`.
fn strided_index(i: u32, base: u32) -> u32 {
    var rem = i;
    var off = params[base];
    var d = params[1];
    loop {
        if (d == 0u) {
            break;
        }
        let size = params[1u + d];
        off += (rem % size) * params[base + d];
        rem = rem / size;
        d -= 1u;
    }
    return off;
}

// Float classification through the bit pattern: drivers may assume x == x.
// float64 has no helper here (it would make every module need shader-f64): kernels test
// `!(x == x)`, never `x != x`, which reaches Vulkan as an ordered comparison (false for NaN).
fn is_nan_f32(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}
fn is_inf_f32(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u;
}
fn sign_bit_f32(x: f32) -> bool {
    return (bitcast<u32>(x) >> 31u) == 1u;
}
fn nan_f32() -> f32 {
    return bitcast<f32>(0x7fc00000u);
}
fn inf_f32() -> f32 {
    return bitcast<f32>(0x7f800000u);
}

// exp(x) - 1 and log(1 + x) without cancellation near 0 (Kahan's trick).
fn expm1_f32(x: f32) -> f32 {
    let u = exp(x);
    if (u == 1.0) {
        return x;
    }
    let um1 = u - 1.0;
    if (um1 == -1.0) {
        return -1.0;
    }
    if (is_inf_f32(u)) {
        return u;
    }
    return um1 * x / log(u);
}
fn log1p_f32(x: f32) -> f32 {
    if (x < -1.0) {
        return nan_f32();
    }
    let u = 1.0 + x;
    if (u == 1.0) {
        return x;
    }
    if (is_inf_f32(u)) {
        return u;
    }
    return log(u) * x / (u - 1.0);
}

// erfc with fractional error below 1.2e-7 (Chebyshev fit, Numerical Recipes' erfcc).
fn erfc_f32(x: f32) -> f32 {
    if (is_nan_f32(x)) {
        return x;
    }
    let z = abs(x);
    let t = 1.0 / (1.0 + 0.5 * z);
    let p = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
        + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
    let r = t * exp(p);
    return select(2.0 - r, r, x >= 0.0);
}
// erf: a Taylor series near 0 (keeps relative precision), 1 - erfc elsewhere.
fn erf_f32(x: f32) -> f32 {
    if (abs(x) < 0.5) {
        let x2 = x * x;
        return 1.1283791670955126 * x * (1.0 + x2 * (-1.0 / 3.0 + x2 * (0.1 + x2 * (-1.0 / 42.0 + x2 * (1.0 / 216.0 - x2 / 1320.0)))));
    }
    return 1.0 - erfc_f32(x);
}
// Inverse erf (M. Giles, "Approximating the erfinv function", single precision), plus one
// Newton step.
fn erfinv_f32(x: f32) -> f32 {
    if (abs(x) >= 1.0) {
        if (abs(x) == 1.0) {
            return select(-inf_f32(), inf_f32(), x > 0.0);
        }
        return nan_f32();
    }
    var w = -log((1.0 - x) * (1.0 + x));
    var p: f32;
    if (w < 5.0) {
        w = w - 2.5;
        p = 2.81022636e-08;
        p = 3.43273939e-07 + p * w;
        p = -3.5233877e-06 + p * w;
        p = -4.39150654e-06 + p * w;
        p = 0.00021858087 + p * w;
        p = -0.00125372503 + p * w;
        p = -0.00417768164 + p * w;
        p = 0.246640727 + p * w;
        p = 1.50140941 + p * w;
    } else {
        w = sqrt(w) - 3.0;
        p = -0.000200214257;
        p = 0.000100950558 + p * w;
        p = 0.00134934322 + p * w;
        p = -0.00367342844 + p * w;
        p = 0.00573950773 + p * w;
        p = -0.0076224613 + p * w;
        p = 0.00943887047 + p * w;
        p = 1.00167406 + p * w;
        p = 2.83297682 + p * w;
    }
    var y = p * x;
    let e = erf_f32(y) - x;
    y = y - e / (1.1283791670955126 * exp(-y * y));
    return y;
}

// pow with C's semantics for negative bases with integral exponents and for zeros
// (Vulkan's pow is undefined for x < 0 and for x == 0, y <= 0).
fn pow_f32(x: f32, y: f32) -> f32 {
    if (y == 0.0 || x == 1.0) {
        return 1.0;
    }
    if (is_nan_f32(x) || is_nan_f32(y)) {
        return nan_f32();
    }
    let ax = abs(x);
    var r: f32;
    if (ax == 0.0) {
        r = select(0.0, inf_f32(), y < 0.0);
    } else {
        r = exp2(y * log2(ax));
    }
    if (x < 0.0 || (x == 0.0 && sign_bit_f32(x))) {
        if (floor(y) != y) {
            return select(nan_f32(), r, x == 0.0);
        }
        // Odd integral exponents keep the sign.
        let half = y * 0.5;
        if (floor(half) != half) {
            return -r;
        }
    }
    return r;
}

// atan2 with C's values where Vulkan's is undefined (both arguments zero) and NaN propagation.
fn atan2_f32(y: f32, x: f32) -> f32 {
    if (is_nan_f32(y) || is_nan_f32(x)) {
        return nan_f32();
    }
    if (y == 0.0 && x == 0.0) {
        let pi = select(3.14159265358979, -3.14159265358979, sign_bit_f32(y));
        return select(y, pi, sign_bit_f32(x));
    }
    return atan2(y, x);
}
