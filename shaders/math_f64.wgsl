// Float64 elementary functions from f64 arithmetic only.
//
// Vulkan's GLSL.std.450 exp/log/sin/pow/... exist only for 16/32-bit floats, so the f64
// kernels call these instead. Everything here uses + - * /, sqrt, abs, floor, round, min, max,
// select, fma and ldexp on f64 (ldexp only producing normal powers of two: drivers may get
// subnormal results wrong), plus i32/u32 bookkeeping.
// Nothing needs shader-int64 (WGSL's frexp on f64 would, in naga).
//
// Conventions, and why:
// - Constants are abstract-float literals in an f64 context; naga evaluates them in double
//   precision. Infinities and NaNs are never constant expressions (naga rejects those): they
//   come from inf_f64() / nan_f64(), which overflow at run time.
// - NaN tests use !(x == x): naga lowers `!=` on floats to an *ordered* not-equal, so
//   `x != x` is false for NaN on Vulkan. NaN inputs are passed through before other logic.
// - fma() may be unfused (llvmpipe lowers it to a multiply and an add), so exact products come
//   from Dekker/Veltkamp splitting, never from fma. Mesa's NIR applies "inexact" algebraic
//   rewrites ((a + b) - a -> b, (c - (c + a)) -> -a, x - x -> 0, x * 0 -> 0) to shaders that
//   carry no NoContraction decorations, and naga emits none, so every error-free
//   transformation routes the value whose rounding it measures through keep_f64 (a min/max
//   pair the optimiser cannot see through), and so does every intermediate whose exactness
//   depends on the order of evaluation (NIR also reassociates sums). Special values are
//   decided by comparisons on the inputs, never by arithmetic such as x - x.
// - Polynomial coefficients are our own minimax fits (Remez exchange on the relative error,
//   computed with mpmath at 50 digits, then rounded to double); the comment above each gives
//   the function fitted, the interval and the relative error of the polynomial with its
//   double coefficients.
// - Accuracy (tests/test_gpu_math_f64.py; max error against mpmath on its inputs): about
//   1 ulp for exp, exp2, expm1, log, log2, log10, log1p, sin, cos, atan, atan2, pow; <= 2.5 ulp for
//   tan, asin, acos, the hyperbolics, sigmoid, erf, erfc (relative, down to the smallest
//   normal result at x ~ 26.5) and erfinv. pow carries log|x| and y log|x| in double-double,
//   so it stays near 1 ulp even where |y log x| ~ 700. sin/cos/tan use a Cody-Waite
//   reduction below 2^22 and a Payne-Hanek reduction (1200 bits of 2/pi) above, so they keep
//   that accuracy over the whole double range. Results are faithful, not correctly rounded.
// - Signed zeros, infinities and NaNs follow C99 Annex F / Rust std for every function (NaN
//   payloads are not preserved where a new NaN is made).

const MAX_F64: f64 = 1.7976931348623157e308;
const MIN_NORMAL_F64: f64 = 2.2250738585072014e-308;
const TWO_P54_F64: f64 = 18014398509481984.0;
const TWO_P1023_F64: f64 = 8.98846567431158e307;
const TWO_P28_F64: f64 = 268435456.0;
// ln 2 rounded to 42 bits: k * LN2_HI_F64 is exact for |k| < 2^11
const LN2_HI_F64: f64 = 0.6931471805598903;
const LN2_LO_F64: f64 = 5.497923018708371e-14;
const LN2_F64: f64 = 0.6931471805599453;
const LN2_TAIL_F64: f64 = 2.3190468138462996e-17;
const INV_LN2_F64: f64 = 1.4426950408889634;
const INV_LN2_TAIL_F64: f64 = 2.0355273740931033e-17;
const INV_LN10_F64: f64 = 0.4342944819032518;
const INV_LN10_TAIL_F64: f64 = 1.098319650216765e-17;
const TWO_THIRDS_F64: f64 = 0.6666666666666666;
const TWO_THIRDS_TAIL_F64: f64 = 3.700743415417188e-17;
const SQRT_HALF_F64: f64 = 0.7071067811865476;
const PI_F64: f64 = 3.141592653589793;
const PI_TAIL_F64: f64 = 1.2246467991473532e-16;
const PIO2_F64: f64 = 1.5707963267948966;
const PIO2_TAIL_F64: f64 = 6.123233995736766e-17;
const PIO4_F64: f64 = 0.7853981633974483;
const PIO4_TAIL_F64: f64 = 3.061616997868383e-17;
const INV_PIO2_F64: f64 = 0.6366197723675814;
const PIO2_1_F64: f64 = 1.570796325802803;
const PIO2_2_F64: f64 = 9.920935791635221e-10;
const PIO2_3_F64: f64 = 5.17018297889025e-19;
const PIO2_4_F64: f64 = 2.9038559739793605e-28;
const ATAN_C1_F64: f64 = 0.198912367379658;
const ATAN_A1_F64: f64 = 0.19634954084936207;
const ATAN_A1_TAIL_F64: f64 = 6.846802412842648e-18;
const ATAN_C2_F64: f64 = 0.41421356237309503;
const ATAN_A2_F64: f64 = 0.39269908169872414;
const ATAN_A2_TAIL_F64: f64 = 3.060132146563891e-18;
const ATAN_C3_F64: f64 = 0.6681786379192989;
const ATAN_A3_F64: f64 = 0.5890486225480862;
const ATAN_A3_TAIL_F64: f64 = -5.412106055318847e-18;
const ATAN_C4_F64: f64 = 1.0;
const ATAN_A4_F64: f64 = 0.7853981633974483;
const ATAN_A4_TAIL_F64: f64 = 3.061616997868383e-17;
const ATAN_C5_F64: f64 = 1.496605762665489;
const ATAN_A5_F64: f64 = 0.9817477042468103;
const ATAN_A5_TAIL_F64: f64 = 1.67440723577982e-17;
const ATAN_C6_F64: f64 = 2.414213562373095;
const ATAN_A6_F64: f64 = 1.1780972450961724;
const ATAN_A6_TAIL_F64: f64 = 2.7563998718653792e-17;
const ATAN_C7_F64: f64 = 5.027339492125848;
const ATAN_A7_F64: f64 = 1.3744467859455345;
const ATAN_A7_TAIL_F64: f64 = 5.245407739534682e-17;
const ATAN_T0_F64: f64 = 0.09849140335716425;
const ATAN_T1_F64: f64 = 0.3033466836073424;
const ATAN_T2_F64: f64 = 0.5345111359507917;
const ATAN_T3_F64: f64 = 0.8206787908286604;
const ATAN_T4_F64: f64 = 1.2185035255879764;
const ATAN_T5_F64: f64 = 1.8708684117893895;
const ATAN_T6_F64: f64 = 3.2965582089383205;
const ATAN_T7_F64: f64 = 10.15317038760886;
const INV_SQRTPI_F64: f64 = 0.5641895835477563;
const HALF_SQRTPI_F64: f64 = 0.886226925452758;

// 2/pi in 24-bit chunks: 2/pi = sum_j TWO_OVER_PI_F64[j] * 2^(-24 (j + 1)). Used by the
// Payne-Hanek reduction; 50 chunks cover exponents up to the largest double.
const TWO_OVER_PI_F64 = array<u32, 50>(
    10680707u, 7228996u, 1387004u, 2578385u, 16069853u, 12639074u, 9804092u, 4427841u,
    16666979u, 11263675u, 12935607u, 2387514u, 4345298u, 14681673u, 3074569u, 13734428u,
    16653803u, 1880361u, 10960616u, 8533493u, 3062596u, 8710556u, 7349940u, 6258241u,
    3772886u, 3769171u, 3798172u, 8675211u, 12450088u, 3874808u, 9961438u, 366607u,
    15675153u, 9132554u, 7151469u, 3571407u, 2607881u, 12013382u, 4155038u, 6285869u,
    7677882u, 13102053u, 15825725u, 473591u, 9065106u, 15363067u, 6271263u, 9264392u,
    5636912u, 4652155u
);

// ----------------------------------------------------------------------------- helpers

fn isnan_f64(x: f64) -> bool {
    return !(x == x);
}
fn isinf_f64(x: f64) -> bool {
    return abs(x) > MAX_F64;
}
fn inf_f64() -> f64 {
    var h = f64(1e300);
    return h * h;
}
fn nan_f64() -> f64 {
    let h = inf_f64();
    return h - h;
}
// Hides a value from algebraic simplification (see the header); the identity for finite x.
fn keep_f64(x: f64) -> f64 {
    return min(max(x, -MAX_F64), MAX_F64);
}
// Round half to even, written out from floor and ceil: lavapipe's 64-bit RoundEven rounds some halves
// toward zero (13.5 -> 13, 1.5 -> 1 on an AMD EPYC host). x - floor(x) is exact; at |x| >= 2^52 x is an
// integer and d = 0. Rounding up takes ceil(x), which keeps the sign of a zero result (-0.4 -> -0);
// inf and NaN pass through floor (d is NaN).
fn round_even_f64(x: f64) -> f64 {
    let f = floor(x);
    let d = x - f;
    let odd = f - 2.0 * floor(f * 0.5) == 1.0;
    return select(f, ceil(x), d > 0.5 || (d == 0.5 && odd));
}
// True for negative numbers and -0 (1/-0 = -inf).
fn signbit_f64(x: f64) -> bool {
    return x < 0.0 || (x == 0.0 && keep_f64(1.0 / x) < 0.0);
}
// y * 2^k with a single rounding: the factors are normal powers of two, and when the result
// is subnormal the first factor keeps the intermediate normal so only the last product rounds.
fn ldexp_f64(y: f64, k: i32) -> f64 {
    var kk = clamp(k, -2200, 2200);
    var r = y;
    if (kk > 1023) {
        r = keep_f64(r * TWO_P1023_F64);
        kk = kk - 1023;
        if (kk > 1023) {
            r = r * TWO_P1023_F64;
            kk = min(kk - 1023, 1023);
        }
    }
    if (kk < -1022) {
        let t = max(kk + 64, -1022);
        r = r * ldexp(f64(1.0), t);
        kk = max(kk - t, -1022);
    }
    return r * ldexp(f64(1.0), kk);
}

// x = m 2^e with m in [1, 2) for finite x > 0, returned as (m, e), by a binary search on the
// exponent with exact power-of-two scalings. (WGSL's frexp on f64 yields an i64 exponent in
// naga, which needs shader-int64, and some drivers get its subnormal case wrong.)
fn frexp_f64(x: f64) -> vec2<f64> {
    var m = x;
    var e: f64 = 0.0;
    // Two separate scalings: the optimiser may fold a chain of constant factors into one
    // product, and 2^54 * 2^1022 overflows.
    if (m < MIN_NORMAL_F64) {
        m = keep_f64(m * TWO_P54_F64);
        e = -54.0;
    }
    if (m < 1.0) {
        m = m * 4.49423283715579e+307;
        e = e - 1022.0;
    }
    if (m >= 1.3407807929942597e+154) {
        m = m * 7.458340731200207e-155;
        e = e + 512.0;
    }
    if (m >= 1.157920892373162e+77) {
        m = m * 8.636168555094445e-78;
        e = e + 256.0;
    }
    if (m >= 3.402823669209385e+38) {
        m = m * 2.938735877055719e-39;
        e = e + 128.0;
    }
    if (m >= 1.8446744073709552e+19) {
        m = m * 5.421010862427522e-20;
        e = e + 64.0;
    }
    if (m >= 4294967296.0) {
        m = m * 2.3283064365386963e-10;
        e = e + 32.0;
    }
    if (m >= 65536.0) {
        m = m * 1.52587890625e-05;
        e = e + 16.0;
    }
    if (m >= 256.0) {
        m = m * 0.00390625;
        e = e + 8.0;
    }
    if (m >= 16.0) {
        m = m * 0.0625;
        e = e + 4.0;
    }
    if (m >= 4.0) {
        m = m * 0.25;
        e = e + 2.0;
    }
    if (m >= 2.0) {
        m = m * 0.5;
        e = e + 1.0;
    }
    return vec2<f64>(m, e);
}

// Error-free transformations (double-double building blocks). two_sum: s + e == a + b exactly.
fn two_sum_f64(a: f64, b: f64) -> vec2<f64> {
    let s = keep_f64(a + b);
    let bv = keep_f64(s - a);
    let av = s - bv;
    return vec2<f64>(s, (a - av) + (b - bv));
}
// Same, for |a| >= |b| (or a == 0).
fn fast_two_sum_f64(a: f64, b: f64) -> vec2<f64> {
    let s = keep_f64(a + b);
    return vec2<f64>(s, b - (s - a));
}
// Veltkamp split into two 26-bit halves (|a| < 2^995).
fn split_f64(a: f64) -> vec2<f64> {
    let c = 134217729.0 * a;
    let h = c - keep_f64(c - a);
    return vec2<f64>(h, a - h);
}
// Dekker's product: p + e == a * b exactly (barring underflow).
fn two_prod_f64(a: f64, b: f64) -> vec2<f64> {
    let p = a * b;
    let sa = split_f64(a);
    let sb = split_f64(b);
    let e = ((sa.x * sb.x - p) + sa.x * sb.y + sa.y * sb.x) + sa.y * sb.y;
    return vec2<f64>(p, e);
}
fn dd_add_f64(a: vec2<f64>, b: vec2<f64>) -> vec2<f64> {
    let s = two_sum_f64(a.x, b.x);
    return fast_two_sum_f64(s.x, s.y + (a.y + b.y));
}
fn dd_mul_f64(a: vec2<f64>, b: vec2<f64>) -> vec2<f64> {
    let p = two_prod_f64(a.x, b.x);
    return fast_two_sum_f64(p.x, p.y + (a.x * b.y + a.y * b.x));
}

// ----------------------------------------------------------------------------- exp family

// expm1(r + rl) for |r| <= ln2/2 and |rl| < 2^-40: r + r^2 P(r) + rl e^r, arranged so that
// only the final addition rounds at the scale of the result.
fn expm1_kernel_f64(r: f64, rl: f64) -> f64 {
    // P(r) = (expm1(r) - r) / r^2 on [-0.3466, 0.3466], rel. error 6.1e-18
    let q = r * r * fma(fma(fma(fma(fma(fma(fma(fma(fma(fma(2.0889375894223246e-09, r, 2.5105181715847433e-08), r, 2.7557349628364397e-07), r, 2.7557255494820536e-06), r, 2.4801587245717788e-05), r, 0.00019841269874736075), r, 0.0013888888888917974), r, 0.008333333333326164), r, 0.041666666666666616), r, 0.1666666666666667), r, 0.5);
    return r + (q + rl * (1.0 + (r + q)));
}

// Cody-Waite reduction h + l = k ln2 + (r + rl): k * LN2_HI is exact, so r carries the full
// precision of the argument; returns (k, r, rl).
fn exp_reduce_f64(h: f64, l: f64) -> vec3<f64> {
    let k = round(h * INV_LN2_F64);
    let t = keep_f64(h - k * LN2_HI_F64);
    let r = two_sum_f64(t, -(k * LN2_LO_F64));
    return vec3<f64>(k, r.x, r.y + l);
}

// exp(h + l) for a double-double argument (used by exp, pow, erfc, sinh, cosh).
fn exp_dd_f64(h: f64, l: f64) -> f64 {
    if (h > 710.0) {
        return inf_f64();
    }
    if (h < -746.0) {
        return 0.0;
    }
    let red = exp_reduce_f64(h, l);
    let e = expm1_kernel_f64(red.y, red.z);
    return ldexp_f64(1.0 + e, i32(red.x));
}

fn exp_f64(x: f64) -> f64 {
    if (isnan_f64(x)) {
        return x;
    }
    return exp_dd_f64(x, 0.0);
}

// 2^x = 2^k * exp((x - k) ln2) with x - k exact; exact for integer x.
fn exp2_f64(x: f64) -> f64 {
    if (isnan_f64(x)) {
        return x;
    }
    if (x > 1025.0) {
        return inf_f64();
    }
    if (x < -1080.0) {
        return 0.0;
    }
    let k = round(x);
    let f = x - k;
    let r = two_prod_f64(f, LN2_F64);
    let e = expm1_kernel_f64(r.x, r.y + f * LN2_TAIL_F64);
    return ldexp_f64(1.0 + e, i32(k));
}

// expm1: direct polynomial near 0; otherwise 2^k (1 + e) - 1 arranged so that the subtraction
// of 1 is exact (1 - 2^-k or 2^k - 1) and only one rounding happens at the result's scale.
fn expm1_f64(x: f64) -> f64 {
    if (isnan_f64(x) || x == 0.0) {
        return x;
    }
    if (x > 710.0) {
        return inf_f64();
    }
    if (x < -40.0) {
        return -1.0;
    }
    if (abs(x) <= 0.3465) {
        return expm1_kernel_f64(x, 0.0);
    }
    let red = exp_reduce_f64(x, 0.0);
    let k = i32(red.x);
    let e = expm1_kernel_f64(red.y, red.z);
    if (k > 56) {
        return ldexp_f64(1.0 + e, k);
    }
    if (k > 0) {
        let t = ldexp(f64(1.0), -k);
        return ldexp_f64(e + keep_f64(1.0 - t), k);
    }
    let t = ldexp(f64(1.0), k);
    return keep_f64(t - 1.0) + t * e;
}

// ----------------------------------------------------------------------------- log family

// log(1 + f) as a double-double for f in [sqrt(1/2) - 1, sqrt(2) - 1]: 2 atanh(s) with
// s = f / (2 + f), where 2s and (2/3) s^3 are carried in double-double and only the small
// remainder s^5 R(s^2) is a plain double (it is below 2^-12 of the result).
fn log1p_kernel_dd_f64(f: f64) -> vec2<f64> {
    let d = 2.0 + f;
    let dl = (2.0 - keep_f64(d)) + f;
    let sh = f / d;
    let p = two_prod_f64(sh, d);
    let sl = ((keep_f64(f - p.x) - p.y) - sh * dl) / d;
    let z = two_prod_f64(sh, sh);
    let zl = z.y + 2.0 * sh * sl;
    let c = two_prod_f64(z.x, sh);
    let cl = c.y + (z.x * sl + zl * sh);
    let t = two_prod_f64(c.x, TWO_THIRDS_F64);
    let tl = t.y + (c.x * TWO_THIRDS_TAIL_F64 + cl * TWO_THIRDS_F64);
    // R(z) = (2 atanh(s) - 2s - 2s^3/3) / s^5, z = s^2 in [0, 0.02944], rel. error 7.5e-16
    let tail = c.x * z.x * fma(fma(fma(fma(fma(fma(0.12913856940892582, z.x, 0.13285936262026546), z.x, 0.1538557549892055), z.x, 0.18181808236806402), z.x, 0.222222222711765), z.x, 0.2857142857133832), z.x, 0.40000000000000024);
    let a = fast_two_sum_f64(2.0 * sh, t.x);
    return fast_two_sum_f64(a.x, a.y + (2.0 * sl + (tl + tail)));
}

// log(x) as a double-double for finite x > 0: x = 2^e m with m in [sqrt(1/2), sqrt(2)],
// log x = e ln2 + log(m), e * LN2_HI exact.
fn log_dd_f64(x: f64) -> vec2<f64> {
    let fr = frexp_f64(x);
    var m = fr.x;
    var ef = fr.y;
    if (m > 1.4142135623730951) {
        m = m * 0.5;
        ef = ef + 1.0;
    }
    let lm = log1p_kernel_dd_f64(m - 1.0);
    let a = two_sum_f64(ef * LN2_HI_F64, lm.x);
    return fast_two_sum_f64(a.x, a.y + (lm.y + ef * LN2_LO_F64));
}

// Special values shared by log, log2, log10 (callers take this path when
// log_is_regular_f64 is false): NaN for NaN and x < 0, -inf at +-0, +inf at +inf.
fn log_special_f64(x: f64) -> f64 {
    if (isnan_f64(x)) {
        return x;
    }
    if (x < 0.0) {
        return nan_f64();
    }
    if (x == 0.0) {
        return -inf_f64();
    }
    return x;
}
fn log_is_regular_f64(x: f64) -> bool {
    return x > 0.0 && x <= MAX_F64;
}

fn log_f64(x: f64) -> f64 {
    if (!log_is_regular_f64(x)) {
        return log_special_f64(x);
    }
    return log_dd_f64(x).x;
}
// log2 and log10 scale the double-double logarithm by a double-double 1/ln b, so exact
// powers of the base come out exact.
fn log2_f64(x: f64) -> f64 {
    if (!log_is_regular_f64(x)) {
        return log_special_f64(x);
    }
    return dd_mul_f64(log_dd_f64(x), vec2<f64>(INV_LN2_F64, INV_LN2_TAIL_F64)).x;
}
fn log10_f64(x: f64) -> f64 {
    if (!log_is_regular_f64(x)) {
        return log_special_f64(x);
    }
    return dd_mul_f64(log_dd_f64(x), vec2<f64>(INV_LN10_F64, INV_LN10_TAIL_F64)).x;
}
// log1p: the kernel directly when 1 + x is in [sqrt(1/2), sqrt(2)); otherwise
// log(u) + c/u where u + c == 1 + x exactly.
fn log1p_f64(x: f64) -> f64 {
    if (isnan_f64(x) || x == 0.0) {
        return x;
    }
    if (x < -1.0) {
        return nan_f64();
    }
    if (x == -1.0) {
        return -inf_f64();
    }
    if (x > MAX_F64) {
        return x;
    }
    if (abs(x) < 5.551115123125783e-17) {
        return x;
    }
    if (x >= SQRT_HALF_F64 - 1.0 && x < 0.41421356237309503) {
        return log1p_kernel_dd_f64(x).x;
    }
    let u = two_sum_f64(1.0, x);
    let l = log_dd_f64(u.x);
    return l.x + (l.y + u.y / u.x);
}

// ----------------------------------------------------------------------------- trigonometry

// Payne-Hanek reduction of a >= 2^22 (finite): a * 2/pi mod 8 from the bits of 2/pi at a's
// exponent, as exact 24x24-bit partial products summed by diagonals; returns (q, r, rl) with
// a = (q + 4n) pi/2 + r + rl, |r| <= pi/4 (absolute error ~2^-100).
fn trig_reduce_large_f64(a: f64) -> vec3<f64> {
    let fr = frexp_f64(a);
    let ex = i32(fr.y) - 52;
    let m = fr.x * 4503599627370496.0;
    let m0 = floor(m * 3.552713678800501e-15);
    let rem = m - m0 * 281474976710656.0;
    let m1 = floor(rem * 5.960464477539063e-08);
    let m2 = rem - m1 * 16777216.0;
    var s0 = 0;
    if (ex + 21 >= 0) {
        s0 = (ex + 21) / 24 + 1;
    }
    let w0 = ex + 24 - 24 * s0;
    var tbl = TWO_OVER_PI_F64;
    var terms: array<f64, 8>;
    for (var t = 0; t < 8; t = t + 1) {
        let s = s0 + t;
        var dsum = m0 * f64(tbl[s]);
        if (s >= 1) {
            dsum = dsum + m1 * f64(tbl[s - 1]);
        }
        if (s >= 2) {
            dsum = dsum + m2 * f64(tbl[s - 2]);
        }
        terms[t] = dsum * ldexp(f64(1.0), w0 - 24 * t);
    }
    // The first two diagonals sum exactly (they span at most 53 bits once reduced mod 8).
    var s1 = terms[0];
    s1 = keep_f64(s1 - 8.0 * floor(s1 * 0.125));
    s1 = s1 + terms[1];
    s1 = keep_f64(s1 - 8.0 * floor(s1 * 0.125));
    var ip = floor(s1);
    var fd = vec2<f64>(s1 - ip, 0.0);
    for (var t = 2; t < 8; t = t + 1) {
        fd = dd_add_f64(fd, vec2<f64>(terms[t], 0.0));
    }
    let j = round(fd.x);
    ip = ip + j;
    fd = fast_two_sum_f64(fd.x - j, fd.y);
    let q = ip - 4.0 * floor(ip * 0.25);
    let r = dd_mul_f64(fd, vec2<f64>(PIO2_F64, PIO2_TAIL_F64));
    return vec3<f64>(q, r.x, r.y);
}

// x = (q + 4n) pi/2 + (r + rl): Cody-Waite with pi/2 in three 30-bit pieces (exact products
// for |k| < 2^23) plus a tail for |x| < 2^22, Payne-Hanek beyond.
fn trig_reduce_f64(x: f64) -> vec3<f64> {
    let a = abs(x);
    if (a <= 0.785) {
        return vec3<f64>(0.0, x, 0.0);
    }
    if (a < 4194304.0) {
        let k = round(x * INV_PIO2_F64);
        let w = keep_f64(x - k * PIO2_1_F64);
        let s1 = two_sum_f64(w, -(k * PIO2_2_F64));
        let s2 = two_sum_f64(s1.x, -(k * PIO2_3_F64));
        let r = fast_two_sum_f64(s2.x, (s1.y + s2.y) - k * PIO2_4_F64);
        return vec3<f64>(k - 4.0 * floor(k * 0.25), r.x, r.y);
    }
    let red = trig_reduce_large_f64(a);
    if (x < 0.0) {
        return vec3<f64>(select(4.0 - red.x, 0.0, red.x == 0.0), -red.y, -red.z);
    }
    return red;
}

// sin and cos of a reduced argument (|r| <= pi/4 + tiny) given as r + rl.
fn sin_kernel_f64(r: f64, rl: f64) -> f64 {
    let z = r * r;
    // S(z) = (sin r - r) / r^3, z = r^2 in [0, 0.62], rel. error 5.7e-17
    let s = fma(fma(fma(fma(fma(fma(-7.586326362574553e-13, z, 1.6058525212052984e-10), z, -2.5052106191152518e-08), z, 2.755731921921726e-06), z, -0.00019841269841264903), z, 0.008333333333333331), z, -0.16666666666666666);
    return r + (r * z * s + rl * (1.0 - 0.5 * z));
}
// 1 - r^2/2 is formed with its rounding error recovered, so cos is good to ~0.5 ulp.
fn cos_kernel_f64(r: f64, rl: f64) -> f64 {
    let zz = two_prod_f64(r, r);
    let hz = 0.5 * zz.x;
    let w = 1.0 - hz;
    let corr = (keep_f64(1.0 - keep_f64(w)) - hz) - 0.5 * zz.y;
    // C(z) = (cos r - 1 + z/2) / z^2, z = r^2 in [0, 0.62], rel. error 5.7e-17
    let c = fma(fma(fma(fma(fma(-1.1382115706597341e-11, zz.x, 2.087613896896775e-09), zz.x, -2.7557317235960317e-07), zz.x, 2.4801587298694918e-05), zz.x, -0.001388888888888735), zz.x, 0.041666666666666664);
    return w + (corr + (zz.x * zz.x * c - r * rl));
}

// sin/cos/tan share the reduction and pick a kernel and sign by quadrant.
fn sin_f64(x: f64) -> f64 {
    if (x == 0.0) {
        return x;
    }
    if (!(abs(x) <= MAX_F64)) {
        return nan_f64();
    }
    let red = trig_reduce_f64(x);
    let q = u32(red.x);
    var v: f64;
    if ((q & 1u) == 0u) {
        v = sin_kernel_f64(red.y, red.z);
    } else {
        v = cos_kernel_f64(red.y, red.z);
    }
    return select(v, -v, q >= 2u);
}
fn cos_f64(x: f64) -> f64 {
    if (!(abs(x) <= MAX_F64)) {
        return nan_f64();
    }
    let red = trig_reduce_f64(x);
    let q = u32(red.x);
    var v: f64;
    if ((q & 1u) == 0u) {
        v = cos_kernel_f64(red.y, red.z);
    } else {
        v = sin_kernel_f64(red.y, red.z);
    }
    return select(v, -v, q == 1u || q == 2u);
}
fn tan_f64(x: f64) -> f64 {
    if (x == 0.0) {
        return x;
    }
    if (!(abs(x) <= MAX_F64)) {
        return nan_f64();
    }
    let red = trig_reduce_f64(x);
    let q = u32(red.x);
    let s = sin_kernel_f64(red.y, red.z);
    let c = cos_kernel_f64(red.y, red.z);
    if ((q & 1u) == 0u) {
        return s / c;
    }
    return -c / s;
}

// ----------------------------------------------------------------------------- inverse trig

// atan(n / d) in [0, pi/2] as a double-double, for finite n, d >= 0 not both zero. The ratio
// is moved to within tan(pi/32) of one of the angles j pi/16 (atan(a) = atan(c) +
// atan((a - c) / (1 + a c)) holds for any c, so c is the double nearest tan(j pi/16) and
// atan(c) is stored in double-double); the numerator n - c d is formed exactly.
fn atan_core_f64(n0: f64, d0: f64) -> vec2<f64> {
    var n = n0;
    var d = d0;
    let mx = max(n, d);
    if (mx > 1e300) {
        n = n * 7.888609052210118e-31;
        d = d * 7.888609052210118e-31;
    } else if (mx < 1e-270) {
        n = n * 1.2676506002282294e30;
        d = d * 1.2676506002282294e30;
    }
    var j = 0;
    if (n > ATAN_T0_F64 * d) { j = 1; }
    if (n > ATAN_T1_F64 * d) { j = 2; }
    if (n > ATAN_T2_F64 * d) { j = 3; }
    if (n > ATAN_T3_F64 * d) { j = 4; }
    if (n > ATAN_T4_F64 * d) { j = 5; }
    if (n > ATAN_T5_F64 * d) { j = 6; }
    if (n > ATAN_T6_F64 * d) { j = 7; }
    if (n > ATAN_T7_F64 * d) { j = 8; }
    var c: f64 = 0.0;
    var ah: f64 = 0.0;
    var al: f64 = 0.0;
    switch j {
        case 1: { c = ATAN_C1_F64; ah = ATAN_A1_F64; al = ATAN_A1_TAIL_F64; }
        case 2: { c = ATAN_C2_F64; ah = ATAN_A2_F64; al = ATAN_A2_TAIL_F64; }
        case 3: { c = ATAN_C3_F64; ah = ATAN_A3_F64; al = ATAN_A3_TAIL_F64; }
        case 4: { c = ATAN_C4_F64; ah = ATAN_A4_F64; al = ATAN_A4_TAIL_F64; }
        case 5: { c = ATAN_C5_F64; ah = ATAN_A5_F64; al = ATAN_A5_TAIL_F64; }
        case 6: { c = ATAN_C6_F64; ah = ATAN_A6_F64; al = ATAN_A6_TAIL_F64; }
        case 7: { c = ATAN_C7_F64; ah = ATAN_A7_F64; al = ATAN_A7_TAIL_F64; }
        case 8: { ah = PIO2_F64; al = PIO2_TAIL_F64; }
        default: {}
    }
    var u: f64;
    if (j == 0) {
        u = n / d;
    } else if (j == 8) {
        u = -d / n;
    } else {
        let cd = two_prod_f64(c, d);
        u = (keep_f64(n - cd.x) - cd.y) / (d + c * n);
    }
    let z = u * u;
    // A(z) = (atan u - u) / u^3, z = u^2 in [0, 0.0102], rel. error 1.6e-16
    let p = u + u * z * fma(fma(fma(fma(fma(0.07491726862651854, z, -0.09088620276753336), z, 0.11111099038925312), z, -0.14285714256899532), z, 0.19999999999974832), z, -0.3333333333333333);
    return fast_two_sum_f64(ah, p + al);
}

fn atan_f64(x: f64) -> f64 {
    if (isnan_f64(x) || x == 0.0) {
        return x;
    }
    let a = abs(x);
    var r = PIO2_F64;
    if (a <= MAX_F64) {
        r = atan_core_f64(a, 1.0).x;
    }
    return select(r, -r, x < 0.0);
}

// atan2 via atan_core on (|y|, |x|), then the quadrant; C99 special cases first.
fn atan2_f64(y: f64, x: f64) -> f64 {
    if (isnan_f64(x) || isnan_f64(y)) {
        return nan_f64();
    }
    let yneg = signbit_f64(y);
    let xneg = signbit_f64(x);
    let ay = abs(y);
    let ax = abs(x);
    if (ay == 0.0) {
        if (!xneg) {
            return y;
        }
        return select(PI_F64, -PI_F64, yneg);
    }
    var r: vec2<f64>;
    if (ax > MAX_F64) {
        if (ay > MAX_F64) {
            r = vec2<f64>(PIO4_F64, PIO4_TAIL_F64);
        } else {
            r = vec2<f64>(0.0, 0.0);
        }
    } else if (ay > MAX_F64) {
        r = vec2<f64>(PIO2_F64, PIO2_TAIL_F64);
    } else {
        r = atan_core_f64(ay, ax);
    }
    var v = r.x;
    if (xneg) {
        let s = two_sum_f64(PI_F64, -r.x);
        v = s.x + (s.y + (PI_TAIL_F64 - r.y));
    }
    return select(v, -v, yneg);
}

// sqrt(1 - a^2) for 0 <= a <= 1 without cancellation (1 - a is exact for a >= 1/2).
fn sqrt_one_minus_sq_f64(a: f64) -> f64 {
    if (a < 0.5) {
        return sqrt(1.0 - a * a);
    }
    return sqrt((1.0 - a) * (1.0 + a));
}
// asin(x) = atan(|x| / sqrt(1 - x^2)) and acos(x) = atan(sqrt(1 - x^2) / |x|), both through
// atan_core, which takes the ratio as a numerator/denominator pair and never divides by 0.
fn asin_f64(x: f64) -> f64 {
    if (isnan_f64(x) || x == 0.0) {
        return x;
    }
    let a = abs(x);
    if (a > 1.0) {
        return nan_f64();
    }
    let r = atan_core_f64(a, sqrt_one_minus_sq_f64(a)).x;
    return select(r, -r, x < 0.0);
}
fn acos_f64(x: f64) -> f64 {
    if (isnan_f64(x)) {
        return x;
    }
    let a = abs(x);
    if (a > 1.0) {
        return nan_f64();
    }
    let r = atan_core_f64(sqrt_one_minus_sq_f64(a), a);
    if (x < 0.0) {
        let s = two_sum_f64(PI_F64, -r.x);
        return s.x + (s.y + (PI_TAIL_F64 - r.y));
    }
    return r.x;
}

// ----------------------------------------------------------------------------- hyperbolic

// exp(a) / 2 for a > 20 as exp(a - ln2) with a - ln2 in double-double (no early overflow,
// no rounding error scaled by a).
fn half_exp_f64(a: f64) -> f64 {
    let h = two_sum_f64(a, -LN2_F64);
    return exp_dd_f64(h.x, h.y - LN2_TAIL_F64);
}
// sinh through E = expm1(|x|): e^a - e^-a = E + E / (E + 1), no cancellation at small a.
fn sinh_f64(x: f64) -> f64 {
    if (isnan_f64(x) || x == 0.0) {
        return x;
    }
    let a = abs(x);
    var r: f64;
    if (a > 711.0) {
        r = inf_f64();
    } else if (a > 20.0) {
        r = half_exp_f64(a);
    } else {
        let e = expm1_f64(a);
        r = 0.5 * (e + e / (e + 1.0));
    }
    return select(r, -r, x < 0.0);
}
// cosh = 1 + E^2 / (2 (E + 1)) near 0 (keeps the tiny x^2/2), (e + 1/e) / 2 in between.
fn cosh_f64(x: f64) -> f64 {
    if (isnan_f64(x)) {
        return x;
    }
    let a = abs(x);
    if (a > 711.0) {
        return inf_f64();
    }
    if (a > 20.0) {
        return half_exp_f64(a);
    }
    if (a < 1.0) {
        let e = expm1_f64(a);
        return 1.0 + (e * e) / (2.0 * (e + 1.0));
    }
    let e = exp_f64(a);
    return 0.5 * e + 0.5 / e;
}
// tanh = E / (E + 2) with E = expm1(2|x|); 1 beyond 22 (1 - tanh(22) < 2^-62).
fn tanh_f64(x: f64) -> f64 {
    if (isnan_f64(x) || x == 0.0) {
        return x;
    }
    let a = abs(x);
    var r: f64 = 1.0;
    if (a < 22.0) {
        let e = expm1_f64(2.0 * a);
        r = e / (e + 2.0);
    }
    return select(r, -r, x < 0.0);
}
// asinh = log1p(a + a^2 / (1 + sqrt(1 + a^2))), the log1p form of log(a + sqrt(a^2 + 1));
// log(a) + ln2 above 2^28 where the 1/(4a^2) term is below an ulp.
fn asinh_f64(x: f64) -> f64 {
    if (isnan_f64(x) || x == 0.0) {
        return x;
    }
    let a = abs(x);
    var r: f64;
    if (a > MAX_F64) {
        r = a;
    } else if (a > TWO_P28_F64) {
        r = dd_add_f64(log_dd_f64(a), vec2<f64>(LN2_F64, LN2_TAIL_F64)).x;
    } else {
        let a2 = a * a;
        r = log1p_f64(a + a2 / (1.0 + sqrt(1.0 + a2)));
    }
    return select(r, -r, x < 0.0);
}
// acosh = log1p(t + sqrt(t (x + 1))), t = x - 1 (exact near 1, where acosh ~ sqrt(2t)).
fn acosh_f64(x: f64) -> f64 {
    if (isnan_f64(x)) {
        return x;
    }
    if (x < 1.0) {
        return nan_f64();
    }
    if (x > MAX_F64) {
        return x;
    }
    if (x > TWO_P28_F64) {
        return dd_add_f64(log_dd_f64(x), vec2<f64>(LN2_F64, LN2_TAIL_F64)).x;
    }
    let t = keep_f64(x - 1.0);
    return log1p_f64(t + sqrt(t * (x + 1.0)));
}
// atanh = log1p(2a / (1 - a)) / 2; 1 - a is exact for a >= 1/2.
fn atanh_f64(x: f64) -> f64 {
    if (isnan_f64(x) || x == 0.0) {
        return x;
    }
    let a = abs(x);
    if (a > 1.0) {
        return nan_f64();
    }
    var r: f64;
    if (a == 1.0) {
        r = inf_f64();
    } else {
        r = 0.5 * log1p_f64((2.0 * a) / (1.0 - a));
    }
    return select(r, -r, x < 0.0);
}

// 1 / (1 + e^-x) for x >= 0; e^x / (1 + e^x) for x < 0 keeps relative accuracy in the tail.
fn sigmoid_f64(x: f64) -> f64 {
    if (isnan_f64(x)) {
        return x;
    }
    if (x >= 0.0) {
        return 1.0 / (1.0 + exp_f64(-x));
    }
    let e = exp_f64(x);
    return e / (1.0 + e);
}

// ----------------------------------------------------------------------------- error functions

// erfc(x) for x in [0.5, 27.3] as exp(-x^2) erfcx(x): exp(-x^2) from the exact square (double-
// double, so no error is amplified by x^2), erfcx (smooth, ~1/(x sqrt(pi))) from polynomials
// on [0.5, 1.5] and [1.5, 3] and in u = 1/x^2 beyond 3.
fn erfc_tail_f64(x: f64) -> f64 {
    var f: f64;
    if (x < 1.5) {
        let t = x - 1.0;
        // erfcx(1 + t), t in [-0.5, 0.5], rel. error 1.4e-17
        f = fma(fma(fma(fma(fma(fma(fma(fma(fma(fma(fma(fma(fma(fma(fma(fma(fma(-3.8636215270894836e-08, t, 1.3781521629383854e-07), t, -4.304547852121415e-07), t, 1.4340721232769293e-06), t, -4.675652694970241e-06), t, 1.4754596597538923e-05), t, -4.514391575962749e-05), t, 0.00013366276492976522), t, -0.00038195452583258277), t, 0.001050269417871518), t, -0.0027690647761371106), t, 0.00697014237408234), t, -0.016661869090399094), t, 0.03757229621531208), t, -0.07922696894132707), t, 0.15437156137190824), t, -0.27321201478389856), t, 0.427583576155807);
    } else if (x < 3.0) {
        let t = x - 2.25;
        // erfcx(2.25 + t), t in [-0.75, 0.75], rel. error 3.5e-17
        f = fma(fma(fma(fma(fma(fma(fma(fma(fma(fma(fma(fma(fma(fma(fma(fma(fma(fma(3.170606082925637e-11, t, -1.4101812334034207e-10), t, 5.253015367950939e-10), t, -2.2142954389262596e-09), t, 9.263314388281447e-09), t, -3.7614414176660277e-08), t, 1.4943226830409775e-07), t, -5.806286501259417e-07), t, 2.2030220769605086e-06), t, -8.150284295677586e-06), t, 2.9353247362779137e-05), t, -0.00010272108102087673), t, 0.00034853542204428756), t, -0.001143728483663329), t, 0.003618995354358205), t, -0.011002060756439742), t, 0.031992627410706256), t, -0.08848650280874916), t, 0.23108725873039188);
    } else {
        let u = 1.0 / (x * x);
        // x sqrt(pi) erfcx(x) as a function of u = 1/x^2 in [0, 1/9], rel. error 2.5e-18
        let g = fma(fma(fma(fma(fma(fma(fma(fma(fma(fma(fma(fma(fma(fma(fma(fma(fma(fma(30451379210.906895, u, -34498241448.32218), u, 18356197670.54761), u, -6128686562.820876), u, 1451802095.8527954), u, -262948749.23426077), u, 38637244.67736706), u, -4884252.427818795), u, 567202.1608538784), u, -65003.0414283579), u, 7860.392417456267), u, -1054.6357045821976), u, 162.40614852533957), u, -29.53109121718186), u, 6.562498925841464), u, -1.8749999955401848), u, 0.7499999999901771), u, -0.4999999999999914), u, 1.0);
        f = g * (INV_SQRTPI_F64 / x);
    }
    let sq = two_prod_f64(x, x);
    return exp_dd_f64(-sq.x, -sq.y) * f;
}
// erf(x) for |x| < 1/2 as x P(x^2).
fn erf_small_f64(x: f64) -> f64 {
    let z = x * x;
    // erf(x) / x as a function of z = x^2 in [0, 0.25], rel. error 1.4e-17
    return x * fma(fma(fma(fma(fma(fma(fma(fma(1.472321554149432e-06, z, -1.4845583753315065e-05), z, 0.00012053324314089656), z, -0.0008548297524401116), z, 0.005223977370326404), z, -0.02686617063271579), z, 0.11283791670924813), z, -0.37612638903183465), z, 1.1283791670955126);
}
// erf(x) = x P(x^2) below 1/2, 1 - erfc(x) above (erfc <= 0.48 there, no cancellation).
fn erf_f64(x: f64) -> f64 {
    if (isnan_f64(x) || x == 0.0) {
        return x;
    }
    let a = abs(x);
    if (a < 0.5) {
        return erf_small_f64(x);
    }
    var r: f64 = 1.0;
    if (a < 6.0) {
        r = 1.0 - erfc_tail_f64(a);
    }
    return select(r, -r, x < 0.0);
}
fn erfc_f64(x: f64) -> f64 {
    if (isnan_f64(x)) {
        return x;
    }
    if (x < -6.0) {
        return 2.0;
    }
    if (x > 27.3) {
        return 0.0;
    }
    let a = abs(x);
    if (a < 0.5) {
        return 1.0 - erf_small_f64(x);
    }
    let e = erfc_tail_f64(a);
    return select(e, 2.0 - e, x < 0.0);
}
// erfinv: a ~1e-9 initial guess in the style of Giles (polynomials in w = -log(1 - x^2) or in
// sqrt(w); our own fits), then one Halley step on erf(y) = |x|, written with erfc when
// |x| > 1/2 so the residual keeps its relative accuracy as |x| -> 1.
fn erfinv_f64(x: f64) -> f64 {
    if (isnan_f64(x) || x == 0.0) {
        return x;
    }
    let a = abs(x);
    if (a > 1.0) {
        return nan_f64();
    }
    if (a == 1.0) {
        return select(inf_f64(), -inf_f64(), x < 0.0);
    }
    let w = -log_f64((1.0 - a) * (1.0 + a));
    var y: f64;
    if (w < 6.25) {
        // erfinv(x) / x as a function of w in [0, 6.25], rel. error 5.3e-10
        y = a * fma(fma(fma(fma(fma(fma(fma(fma(fma(fma(fma(fma(-1.3092432056236748e-11, w, 4.96265937801e-10), w, -7.568966397892859e-09), w, 5.3139658564590805e-08), w, -7.831923839329475e-08), w, -1.106510743107751e-06), w, 2.55536389324791e-06), w, 4.551374177802502e-05), w, -0.00012682894422874936), w, -0.002335838577381321), w, 0.011549563692414912), w, 0.2320136411422578), w, 0.8862269259240202);
    } else {
        let v = sqrt(w);
        // erfinv(x) as a function of v = sqrt(w) in [2.5, 6.2], rel. error 1.6e-09
        y = fma(fma(fma(fma(fma(fma(fma(fma(fma(fma(fma(3.924905776342356e-08, v, -1.980979081357977e-06), v, 4.514496126540017e-05), v, -0.000612742103713625), v, 0.005497176787637666), v, -0.034161185565061855), v, 0.14951988082356218), v, -0.4577886243602274), v, 0.946869479736415), v, -1.2156929623552681), v, 1.7910726425079493), v, -0.2942944125285215);
    }
    var f: f64;
    if (a <= 0.5) {
        f = erf_f64(y) - a;
    } else {
        f = keep_f64(1.0 - a) - erfc_f64(y);
    }
    let dlt = f * HALF_SQRTPI_F64 * exp_f64(y * y);
    y = y - dlt / (1.0 + y * dlt);
    return select(y, -y, x < 0.0);
}

// ----------------------------------------------------------------------------- pow

// pow(x, y) = exp(y log|x|) with log|x| and the product in double-double, so the error stays
// within an ulp even when |y log x| is near 745 (exp(y log x) in plain double would be off by
// |y log x| * 2^-53 relative). C99 F.9.4.4 special cases first.
fn pow_f64(x: f64, y: f64) -> f64 {
    if (y == 0.0 || x == 1.0) {
        return 1.0;
    }
    if (isnan_f64(x) || isnan_f64(y)) {
        return nan_f64();
    }
    let ax = abs(x);
    let ay = abs(y);
    let y_int = ay >= 9007199254740992.0 || floor(y) == y;
    let y_odd = ay < 9007199254740992.0 && y_int && floor(y * 0.5) != y * 0.5;
    if (ay > MAX_F64) {
        if (ax == 1.0) {
            return 1.0;
        }
        if ((ax > 1.0) == (y > 0.0)) {
            return inf_f64();
        }
        return 0.0;
    }
    if (ax == 0.0) {
        if (y < 0.0) {
            if (y_odd && signbit_f64(x)) {
                return -inf_f64();
            }
            return inf_f64();
        }
        if (y_odd) {
            return x;
        }
        return 0.0;
    }
    let neg = x < 0.0;
    if (ax > MAX_F64) {
        var r: f64 = 0.0;
        if (y > 0.0) {
            r = inf_f64();
        }
        return select(r, -r, neg && y_odd);
    }
    if (neg && !y_int) {
        return nan_f64();
    }
    let l = log_dd_f64(ax);
    let zh = y * l.x;
    var r: f64;
    if (zh > 1000.0) {
        r = inf_f64();
    } else if (zh < -1000.0) {
        r = 0.0;
    } else {
        let p = two_prod_f64(y, l.x);
        r = exp_dd_f64(p.x, p.y + y * l.y);
    }
    return select(r, -r, neg && y_odd);
}
