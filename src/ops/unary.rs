//! Unary elementwise ops: one enum variant per op with its name and scalar function.
//! Floating ops compute in f32 for f32/f16/bf16 and in f64 for f64; integer inputs to them
//! promote to the default float dtype, as in PyTorch.
use crate::backend::cpu;
use crate::dtype::{default_dtype, DType, Element};
use crate::error::Result;
use crate::tensor::Tensor;
use crate::{bail, with_dtype};
use half::{bf16, f16};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    // float-valued
    Exp, Exp2, Expm1, Log, Log2, Log10, Log1p, Sqrt, Rsqrt, Sin, Cos, Tan, Asin, Acos, Atan,
    Sinh, Cosh, Tanh, Asinh, Acosh, Atanh, Sigmoid, Erf, Erfc, Erfinv, Reciprocal,
    // same dtype as the input
    Neg, Abs, Sign, Floor, Ceil, Round, Trunc, Frac, Relu, Square, BitNot,
    // bool-valued
    LogicalNot, IsNan, IsInf, IsFinite, IsPosInf, IsNegInf, SignBit,
}

impl UnaryOp {
    pub fn name(self) -> &'static str {
        use UnaryOp::*;
        match self {
            Exp => "exp", Exp2 => "exp2", Expm1 => "expm1", Log => "log", Log2 => "log2", Log10 => "log10",
            Log1p => "log1p", Sqrt => "sqrt", Rsqrt => "rsqrt", Sin => "sin", Cos => "cos", Tan => "tan",
            Asin => "asin", Acos => "acos", Atan => "atan", Sinh => "sinh", Cosh => "cosh", Tanh => "tanh",
            Asinh => "asinh", Acosh => "acosh", Atanh => "atanh", Sigmoid => "sigmoid", Erf => "erf",
            Erfc => "erfc", Erfinv => "erfinv", Reciprocal => "reciprocal", Neg => "neg", Abs => "abs",
            Sign => "sign", Floor => "floor", Ceil => "ceil", Round => "round", Trunc => "trunc",
            Frac => "frac", Relu => "relu", Square => "square", BitNot => "bitwise_not",
            LogicalNot => "logical_not", IsNan => "isnan", IsInf => "isinf", IsFinite => "isfinite",
            IsPosInf => "isposinf", IsNegInf => "isneginf", SignBit => "signbit",
        }
    }
    fn is_float_valued(self) -> bool {
        (self as u8) <= (UnaryOp::Reciprocal as u8)
    }
    fn is_predicate(self) -> bool {
        (self as u8) >= (UnaryOp::LogicalNot as u8)
    }
}

/// The math functions the float ops need, for f32 and f64.
pub trait Real: Element + std::ops::Neg<Output = Self> + std::ops::Add<Output = Self> {
    fn exp(self) -> Self; fn exp2(self) -> Self; fn exp_m1(self) -> Self; fn ln(self) -> Self;
    fn log2(self) -> Self; fn log10(self) -> Self; fn ln_1p(self) -> Self; fn sqrt(self) -> Self;
    fn sin(self) -> Self; fn cos(self) -> Self; fn tan(self) -> Self; fn asin(self) -> Self;
    fn acos(self) -> Self; fn atan(self) -> Self; fn sinh(self) -> Self; fn cosh(self) -> Self;
    fn tanh(self) -> Self; fn asinh(self) -> Self; fn acosh(self) -> Self; fn atanh(self) -> Self;
    fn erf(self) -> Self; fn erfc(self) -> Self; fn recip(self) -> Self; fn abs(self) -> Self;
    fn floor(self) -> Self; fn ceil(self) -> Self; fn round_even(self) -> Self; fn trunc(self) -> Self;
    fn one() -> Self;
}

macro_rules! real {
    ($t:ty, $erf:path, $erfc:path) => {
        impl Real for $t {
            #[inline] fn exp(self) -> Self { <$t>::exp(self) }
            #[inline] fn exp2(self) -> Self { <$t>::exp2(self) }
            #[inline] fn exp_m1(self) -> Self { <$t>::exp_m1(self) }
            #[inline] fn ln(self) -> Self { <$t>::ln(self) }
            #[inline] fn log2(self) -> Self { <$t>::log2(self) }
            #[inline] fn log10(self) -> Self { <$t>::log10(self) }
            #[inline] fn ln_1p(self) -> Self { <$t>::ln_1p(self) }
            #[inline] fn sqrt(self) -> Self { <$t>::sqrt(self) }
            #[inline] fn sin(self) -> Self { <$t>::sin(self) }
            #[inline] fn cos(self) -> Self { <$t>::cos(self) }
            #[inline] fn tan(self) -> Self { <$t>::tan(self) }
            #[inline] fn asin(self) -> Self { <$t>::asin(self) }
            #[inline] fn acos(self) -> Self { <$t>::acos(self) }
            #[inline] fn atan(self) -> Self { <$t>::atan(self) }
            #[inline] fn sinh(self) -> Self { <$t>::sinh(self) }
            #[inline] fn cosh(self) -> Self { <$t>::cosh(self) }
            #[inline] fn tanh(self) -> Self { <$t>::tanh(self) }
            #[inline] fn asinh(self) -> Self { <$t>::asinh(self) }
            #[inline] fn acosh(self) -> Self { <$t>::acosh(self) }
            #[inline] fn atanh(self) -> Self { <$t>::atanh(self) }
            #[inline] fn erf(self) -> Self { $erf(self) }
            #[inline] fn erfc(self) -> Self { $erfc(self) }
            #[inline] fn recip(self) -> Self { 1.0 / self }
            #[inline] fn abs(self) -> Self { <$t>::abs(self) }
            #[inline] fn floor(self) -> Self { <$t>::floor(self) }
            #[inline] fn ceil(self) -> Self { <$t>::ceil(self) }
            #[inline] fn round_even(self) -> Self { <$t>::round_ties_even(self) }
            #[inline] fn trunc(self) -> Self { <$t>::trunc(self) }
            #[inline] fn one() -> Self { 1.0 }
        }
    };
}
real!(f32, libm::erff, libm::erfcf);
real!(f64, libm::erf, libm::erfc);

/// Inverse error function: Giles' single-precision approximation, refined by two Newton steps
/// on erf so that float64 results are accurate too.
pub fn erfinv_f64(y: f64) -> f64 {
    if y <= -1.0 {
        return if y == -1.0 { f64::NEG_INFINITY } else { f64::NAN };
    }
    if y >= 1.0 {
        return if y == 1.0 { f64::INFINITY } else { f64::NAN };
    }
    let w = -((1.0 - y) * (1.0 + y)).ln();
    let mut x = if w < 5.0 {
        let w = w - 2.5;
        let mut p = 2.810_226_36e-08;
        for c in [3.432_739_39e-07, -3.523_387_7e-06, -4.391_506_54e-06, 0.000_218_580_87, -0.001_253_725_03, -0.004_177_681_64, 0.246_640_727, 1.501_409_41] {
            p = c + p * w;
        }
        p * y
    } else {
        let w = w.sqrt() - 3.0;
        let mut p = -0.000_200_214_257;
        for c in [0.000_100_950_558, 0.001_349_343_22, -0.003_673_428_44, 0.005_739_507_73, -0.007_622_461_3, 0.009_438_870_47, 1.001_674_06, 2.832_976_82] {
            p = c + p * w;
        }
        p * y
    };
    for _ in 0..2 {
        let err = libm::erf(x) - y;
        x -= err / (2.0 / std::f64::consts::PI.sqrt() * (-x * x).exp());
    }
    x
}

/// Runs `$body` with `$f` bound to `op`'s scalar function on `$R`. Each arm binds a distinct
/// function item or closure (never a function pointer), so every op gets its own inlined,
/// vectorisable loop: an indirect call per element made abs/neg/relu 4x slower than numpy.
macro_rules! with_float_fn {
    ($op:expr, $R:ty, |$f:ident| $body:expr) => {{
        use UnaryOp::*;
        type R = $R;
        match $op {
            Exp => { let $f = <R as Real>::exp; $body }
            Exp2 => { let $f = <R as Real>::exp2; $body }
            Expm1 => { let $f = <R as Real>::exp_m1; $body }
            Log => { let $f = <R as Real>::ln; $body }
            Log2 => { let $f = <R as Real>::log2; $body }
            Log10 => { let $f = <R as Real>::log10; $body }
            Log1p => { let $f = <R as Real>::ln_1p; $body }
            Sqrt => { let $f = <R as Real>::sqrt; $body }
            Rsqrt => { let $f = |x: R| x.sqrt().recip(); $body }
            Sin => { let $f = <R as Real>::sin; $body }
            Cos => { let $f = <R as Real>::cos; $body }
            Tan => { let $f = <R as Real>::tan; $body }
            Asin => { let $f = <R as Real>::asin; $body }
            Acos => { let $f = <R as Real>::acos; $body }
            Atan => { let $f = <R as Real>::atan; $body }
            Sinh => { let $f = <R as Real>::sinh; $body }
            Cosh => { let $f = <R as Real>::cosh; $body }
            Tanh => { let $f = <R as Real>::tanh; $body }
            Asinh => { let $f = <R as Real>::asinh; $body }
            Acosh => { let $f = <R as Real>::acosh; $body }
            Atanh => { let $f = <R as Real>::atanh; $body }
            Sigmoid => { let $f = |x: R| (R::one() + (-x).exp()).recip(); $body }
            Erf => { let $f = <R as Real>::erf; $body }
            Erfc => { let $f = <R as Real>::erfc; $body }
            Erfinv => { let $f = |x: R| R::from_f64(erfinv_f64(x.to_f64())); $body }
            Reciprocal => { let $f = <R as Real>::recip; $body }
            Neg => { let $f = |x: R| -x; $body }
            Abs => { let $f = <R as Real>::abs; $body }
            Floor => { let $f = <R as Real>::floor; $body }
            Ceil => { let $f = <R as Real>::ceil; $body }
            Round => { let $f = <R as Real>::round_even; $body }
            Trunc => { let $f = <R as Real>::trunc; $body }
            Frac => { let $f = |x: R| R::from_f64(x.to_f64() - x.to_f64().trunc()); $body }
            Relu => { let $f = |x: R| if x > R::from_f64(0.0) || x != x { x } else { R::from_f64(0.0) }; $body }
            Square => { let $f = |x: R| R::from_f64(x.to_f64() * x.to_f64()); $body }
            Sign => {
                let $f = |x: R| {
                    let v = x.to_f64();
                    // NaN and -0.0 give +0, as PyTorch 2.15 does.
                    R::from_f64(if v > 0.0 { 1.0 } else if v < 0.0 { -1.0 } else { 0.0 })
                };
                $body
            }
            BitNot | LogicalNot | IsNan | IsInf | IsFinite | IsPosInf | IsNegInf | SignBit => {
                unreachable!("not a float-to-float op")
            }
        }
    }};
}

/// Runs a float-to-float op on a float tensor; f16/bf16 compute in f32.
fn float_kernel(op: UnaryOp, a: &Tensor) -> Result<Tensor> {
    let shape = a.shape();
    match a.dtype() {
        DType::F32 => with_float_fn!(op, f32, |f| Tensor::from_vec(cpu::map1(a, f), shape)),
        DType::F64 => with_float_fn!(op, f64, |f| Tensor::from_vec(cpu::map1(a, f), shape)),
        DType::F16 => with_float_fn!(op, f32, |f| Tensor::from_vec(cpu::map1(a, |x: f16| f16::from_f32(f(x.to_f32()))), shape)),
        DType::BF16 => with_float_fn!(op, f32, |f| Tensor::from_vec(cpu::map1(a, |x: bf16| bf16::from_f32(f(x.to_f32()))), shape)),
        _ => unreachable!("integer inputs are promoted before the kernel"),
    }
}

fn int_kernel<T: Element>(op: UnaryOp, a: &Tensor) -> Result<Tensor> {
    use UnaryOp::*;
    let shape = a.shape();
    let signed = T::DTYPE.is_signed();
    match op {
        Neg => Tensor::from_vec(cpu::map1(a, |x: T| T::from_i64(x.to_i64().wrapping_neg())), shape),
        Abs => Tensor::from_vec(cpu::map1(a, |x: T| T::from_i64(x.to_i64().wrapping_abs())), shape),
        Sign => Tensor::from_vec(cpu::map1(a, move |x: T| T::from_i64(if signed { x.to_i64().signum() } else { x.is_true() as i64 })), shape),
        Square => Tensor::from_vec(cpu::map1(a, |x: T| T::from_i64(x.to_i64().wrapping_mul(x.to_i64()))), shape),
        Relu => Tensor::from_vec(cpu::map1(a, |x: T| T::from_i64(x.to_i64().max(0))), shape),
        BitNot => {
            if T::DTYPE == DType::Bool {
                Tensor::from_vec(cpu::map1(a, |x: T| T::from_bool(!x.is_true())), shape)
            } else {
                Tensor::from_vec(cpu::map1(a, |x: T| T::from_i64(!x.to_i64())), shape)
            }
        }
        Floor | Ceil | Round | Trunc => Ok(a.deep_clone()?),
        _ => unreachable!(),
    }
}

fn predicate_kernel<T: Element>(op: UnaryOp, a: &Tensor) -> Result<Tensor> {
    use UnaryOp::*;
    let shape = a.shape();
    let f: fn(T) -> bool = match op {
        LogicalNot => |x: T| !x.is_true(),
        IsNan => |x: T| x.to_f64().is_nan(),
        IsInf => |x: T| x.to_f64().is_infinite(),
        IsFinite => |x: T| x.to_f64().is_finite(),
        IsPosInf => |x: T| x.to_f64() == f64::INFINITY,
        IsNegInf => |x: T| x.to_f64() == f64::NEG_INFINITY,
        SignBit => |x: T| x.to_f64().is_sign_negative(),
        _ => unreachable!(),
    };
    Tensor::from_vec(cpu::map1(a, f), shape)
}

impl UnaryOp {
    /// The op as a WGSL expression of `x` for the GPU. Float ops are written for f32 (which
    /// f16 computes in, like the CPU) or f64; `t` is the value's WGSL type. None where the GPU
    /// has no such function for that type (Vulkan's extended instructions have no 64-bit exp,
    /// log or trigonometry).
    pub fn wgsl(self, t: &str) -> Option<String> {
        use UnaryOp::*;
        let f32 = t == "f32";
        let float = f32 || t == "f64";
        // float64 has no bit-pattern helpers: NaN is !(x == x) (`x != x` is an ordered, always
        // false comparison on Vulkan) and infinity is beyond the largest double (`x - x` may fold).
        let nan = if t == "f64" { "(!(x == x))".to_string() } else if f32 { "is_nan_f32(x)".to_string() } else { "false".to_string() };
        let inf = if t == "f64" { "(abs(x) > 1.7976931348623157e308)".to_string() } else if f32 { "is_inf_f32(x)".to_string() } else { "false".to_string() };
        // Vulkan's extended instructions need not propagate NaN (lavapipe's atan(NaN) is 0):
        // float functions pass NaN through explicitly. They exist for 32-bit floats only;
        // float64 calls shaders/math_f64.wgsl, which handles NaN itself.
        let math = |e32: &str, f64_fn: &str| match t {
            "f32" => Some(format!("select({e32}, x, is_nan_f32(x))")),
            "f64" => Some(format!("{f64_fn}(x)")),
            _ => None,
        };
        Some(match self {
            Exp => math("exp(x)", "exp_f64")?,
            Exp2 => math("exp2(x)", "exp2_f64")?,
            Expm1 => math("expm1_f32(x)", "expm1_f64")?,
            Log => math("log(x)", "log_f64")?,
            Log2 => math("log2(x)", "log2_f64")?,
            Log10 => math("(log2(x) * 0.30102999566398120)", "log10_f64")?,
            Log1p => math("log1p_f32(x)", "log1p_f64")?,
            Sin => math("sin(x)", "sin_f64")?,
            Cos => math("cos(x)", "cos_f64")?,
            Tan => math("tan(x)", "tan_f64")?,
            Asin => math("asin(x)", "asin_f64")?,
            Acos => math("acos(x)", "acos_f64")?,
            Atan => math("atan(x)", "atan_f64")?,
            Sinh => math("sinh(x)", "sinh_f64")?,
            Cosh => math("cosh(x)", "cosh_f64")?,
            Tanh => math("tanh(x)", "tanh_f64")?,
            Asinh => math("asinh(x)", "asinh_f64")?,
            Acosh => math("acosh(x)", "acosh_f64")?,
            Atanh => math("atanh(x)", "atanh_f64")?,
            Sigmoid => math("(1.0 / (1.0 + exp(-x)))", "sigmoid_f64")?,
            Erf => math("erf_f32(x)", "erf_f64")?,
            Erfc => math("erfc_f32(x)", "erfc_f64")?,
            Erfinv => math("erfinv_f32(x)", "erfinv_f64")?,
            Sqrt if float => "sqrt(x)".into(),
            Rsqrt if float => "(1.0 / sqrt(x))".into(),
            Reciprocal if float => "(1.0 / x)".into(),
            Floor if float => "floor(x)".into(),
            Ceil if float => "ceil(x)".into(),
            Round if f32 => "round(x)".into(),
            Round if float => "round_even_f64(x)".into(),
            Trunc if float => "trunc(x)".into(),
            Frac if float => "(x - trunc(x))".into(),
            Sqrt | Rsqrt | Reciprocal | Floor | Ceil | Round | Trunc | Frac => return None,
            Neg if t == "u32" => "(0u - x)".into(),
            Neg => "(-x)".into(),
            Abs if t == "u32" => "x".into(),
            Abs => "abs(x)".into(),
            Sign if t == "u32" => "u32(x != 0u)".into(),
            Sign => format!("select(select({t}(0), {t}(1), x > {t}(0)), {t}(-1), x < {t}(0))"),
            Relu => format!("select({t}(0), x, x > {t}(0) || {nan})"),
            Square => "(x * x)".into(),
            BitNot if float => return None,
            BitNot => "(~x)".into(),
            LogicalNot => format!("u32(x == {t}(0))"),
            IsNan => format!("u32({nan})"),
            IsInf => format!("u32({inf})"),
            IsFinite => format!("u32(!({nan}) && !({inf}))"),
            IsPosInf => format!("u32({inf} && x > {t}(0))"),
            IsNegInf => format!("u32({inf} && x < {t}(0))"),
            SignBit if f32 => "u32(sign_bit_f32(x))".into(),
            SignBit if t == "f64" => "u32(x < 0.0 || (x == 0.0 && 1.0 / x < 0.0))".into(),
            SignBit if t == "u32" => "0u".into(),
            SignBit => format!("u32(x < {t}(0))"),
        })
    }
}

/// The WGSL expression of `op` on `x0` of dtype `dt`, giving a value of dtype `out`.
pub fn gpu_expr(op: UnaryOp, dt: DType, out: DType) -> Result<String> {
    use crate::backend::gpu;
    // 16-bit floats compute in f32, as on the CPU.
    let (math, load) = if dt == DType::F16 { ("f32", "f32(x0)") } else { (gpu::wgsl_type(dt), "x0") };
    let body = op.wgsl(math).ok_or_else(|| {
        crate::error::Error::Type(format!("{} is not supported for {} tensors on the GPU (WGSL has no {} version)", op.name(), dt.name(), dt.name()))
    })?;
    let e = gpu::substitute(&body, &[("x", load)]);
    Ok(if out == DType::Bool { e } else if dt == DType::F16 { format!("f16({e})") } else { gpu::normalise(out, &e) })
}

/// The GPU kernel for `op` on `a` (a float tensor for float-valued ops).
fn gpu_kernel(op: UnaryOp, a: &Tensor, out: DType) -> Result<Tensor> {
    crate::backend::gpu::elementwise::map(&[a], a.shape(), out, &gpu_expr(op, a.dtype(), out)?)
}

/// Every op, for generating every GPU specialisation.
pub const ALL: [UnaryOp; 44] = {
    use UnaryOp::*;
    [
        Exp, Exp2, Expm1, Log, Log2, Log10, Log1p, Sqrt, Rsqrt, Sin, Cos, Tan, Asin, Acos, Atan,
        Sinh, Cosh, Tanh, Asinh, Acosh, Atanh, Sigmoid, Erf, Erfc, Erfinv, Reciprocal,
        Neg, Abs, Sign, Floor, Ceil, Round, Trunc, Frac, Relu, Square, BitNot,
        LogicalNot, IsNan, IsInf, IsFinite, IsPosInf, IsNegInf, SignBit,
    ]
};

/// The dtype `op`'s GPU kernel returns for input `dt`.
pub fn gpu_out_dtype(op: UnaryOp, dt: DType) -> DType {
    if op.is_predicate() { DType::Bool } else { dt }
}

impl Tensor {
    pub fn unary(&self, op: UnaryOp) -> Result<Tensor> {
        if self.dtype().is_complex() {
            return crate::ops::complex::complex_unary(op, self);
        }
        crate::autograd::formulas::elementwise::record_unary(op, self, || self.unary_forward(op))
    }

    fn unary_forward(&self, op: UnaryOp) -> Result<Tensor> {
        if let Some(strides) = self.dense_permuted_strides() {
            // Runs over storage order (contiguous reads) and keeps the input's layout.
            let flat = self.storage_order_view().unary_in_order(op)?;
            return Ok(Tensor::with_dense_strides(flat, self.shape(), strides));
        }
        self.unary_in_order(op)
    }

    /// The result as a contiguous tensor in logical (row-major) order.
    fn unary_in_order(&self, op: UnaryOp) -> Result<Tensor> {
        use UnaryOp::*;
        let dt = self.dtype();
        let gpu = self.device().is_gpu();
        if op.is_predicate() {
            if gpu {
                return gpu_kernel(op, self, DType::Bool);
            }
            return with_dtype!(dt, T, predicate_kernel::<T>(op, self));
        }
        if op.is_float_valued() {
            let x = if dt.is_float() { self.clone() } else { self.to_dtype(default_dtype())? };
            if gpu {
                return gpu_kernel(op, &x, x.dtype());
            }
            return float_kernel(op, &x);
        }
        if dt.is_float() {
            if op == BitNot {
                bail!(NotImplemented, "\"bitwise_not_cpu\" not implemented for '{}'", dt.scalar_name());
            }
            if gpu {
                return gpu_kernel(op, self, dt);
            }
            return float_kernel(op, self);
        }
        match op {
            Neg if dt == DType::Bool => bail!(NotImplemented, "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead."),
            Frac => bail!(NotImplemented, "\"frac_cpu\" not implemented for '{}'", dt.scalar_name()),
            Abs | Sign | Relu | Square if dt == DType::Bool => {
                // PyTorch computes these on bools through their integer values.
                if op == Square {
                    return self.to_dtype(DType::I64)?.unary(op);
                }
                return self.deep_clone();
            }
            _ => {}
        }
        if gpu {
            if matches!(op, Floor | Ceil | Round | Trunc) {
                return self.deep_clone();
            }
            if op == BitNot && dt == DType::Bool {
                return gpu_kernel(LogicalNot, self, dt);
            }
            return gpu_kernel(op, self, dt);
        }
        with_dtype!(dt, T, int_kernel::<T>(op, self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erfinv_inverts_erf() {
        for &y in &[-0.999, -0.5, 0.0, 0.3, 0.9, 0.999999] {
            assert!((libm::erf(erfinv_f64(y)) - y).abs() < 1e-12, "{y}");
        }
    }

    #[test]
    fn round_half_even_and_int_promotion() {
        let a = Tensor::from_vec(vec![0.5f32, 1.5, 2.5, -0.5], &[4]).unwrap();
        assert_eq!(a.unary(UnaryOp::Round).unwrap().to_vec::<f32>(), vec![0., 2., 2., -0.]);
        let i = Tensor::from_vec(vec![1i64, 4], &[2]).unwrap();
        let s = i.unary(UnaryOp::Sqrt).unwrap();
        assert_eq!(s.dtype(), DType::F32);
        assert_eq!(s.to_vec::<f32>(), vec![1., 2.]);
    }
}
