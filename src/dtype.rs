//! Data types, PyTorch's type promotion, and the `Element` trait every CPU kernel is generic over.
use crate::error::{Error, Result};
use half::{bf16, f16};
use std::sync::atomic::{AtomicU8, Ordering};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    Bool,
    U8,
    I8,
    I16,
    I32,
    I64,
    F16,
    BF16,
    F32,
    F64,
    /// complex64: two float32 (real, imaginary), interleaved.
    C64,
    /// complex128: two float64.
    C128,
}

/// The order matters: promotion never moves a result to a lower category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Category {
    Bool,
    Int,
    Float,
    Complex,
}

pub const ALL_DTYPES: [DType; 12] = [
    DType::Bool, DType::U8, DType::I8, DType::I16, DType::I32, DType::I64,
    DType::F16, DType::BF16, DType::F32, DType::F64, DType::C64, DType::C128,
];

/// The dtypes with an `Element` type: CPU and GPU kernels are generated for these. Complex
/// tensors are computed as their real views (`ops/complex/`).
pub const REAL_DTYPES: [DType; 10] = [
    DType::Bool, DType::U8, DType::I8, DType::I16, DType::I32, DType::I64,
    DType::F16, DType::BF16, DType::F32, DType::F64,
];

impl DType {
    pub fn size(self) -> usize {
        match self {
            DType::Bool | DType::U8 | DType::I8 => 1,
            DType::I16 | DType::F16 | DType::BF16 => 2,
            DType::I32 | DType::F32 => 4,
            DType::I64 | DType::F64 | DType::C64 => 8,
            DType::C128 => 16,
        }
    }
    pub fn category(self) -> Category {
        match self {
            DType::Bool => Category::Bool,
            DType::U8 | DType::I8 | DType::I16 | DType::I32 | DType::I64 => Category::Int,
            DType::C64 | DType::C128 => Category::Complex,
            _ => Category::Float,
        }
    }
    pub fn is_float(self) -> bool {
        self.category() == Category::Float
    }
    pub fn is_int(self) -> bool {
        self.category() == Category::Int
    }
    /// Float and complex tensors can require gradients.
    pub fn is_differentiable(self) -> bool {
        matches!(self.category(), Category::Float | Category::Complex)
    }
    pub fn is_complex(self) -> bool {
        self.category() == Category::Complex
    }
    /// The dtype of a complex dtype's parts (complex64 -> float32); other dtypes map to themselves.
    pub fn to_real(self) -> DType {
        match self {
            DType::C64 => DType::F32,
            DType::C128 => DType::F64,
            d => d,
        }
    }
    /// The complex dtype whose parts are `self` (float64 -> complex128, other floats ->
    /// complex64, as PyTorch promotes them); None for non-float dtypes.
    pub fn to_complex(self) -> Option<DType> {
        match self {
            DType::F64 | DType::C128 => Some(DType::C128),
            DType::F16 | DType::BF16 | DType::F32 | DType::C64 => Some(DType::C64),
            _ => None,
        }
    }
    pub fn is_signed(self) -> bool {
        !matches!(self, DType::Bool | DType::U8)
    }
    /// PyTorch's name without the `torch.` prefix, e.g. `float32`.
    pub fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::U8 => "uint8",
            DType::I8 => "int8",
            DType::I16 => "int16",
            DType::I32 => "int32",
            DType::I64 => "int64",
            DType::F16 => "float16",
            DType::BF16 => "bfloat16",
            DType::F32 => "float32",
            DType::F64 => "float64",
            DType::C64 => "complex64",
            DType::C128 => "complex128",
        }
    }
    /// Names used by `Tensor.type()` ("torch.FloatTensor").
    pub fn legacy_name(self) -> &'static str {
        match self {
            DType::Bool => "BoolTensor",
            DType::U8 => "ByteTensor",
            DType::I8 => "CharTensor",
            DType::I16 => "ShortTensor",
            DType::I32 => "IntTensor",
            DType::I64 => "LongTensor",
            DType::F16 => "HalfTensor",
            DType::BF16 => "BFloat16Tensor",
            DType::F32 => "FloatTensor",
            DType::F64 => "DoubleTensor",
            DType::C64 => "ComplexFloatTensor",
            DType::C128 => "ComplexDoubleTensor",
        }
    }
    /// PyTorch's C++ scalar type names, used in error messages ("Float", "Long").
    pub fn scalar_name(self) -> &'static str {
        match self {
            DType::Bool => "Bool",
            DType::U8 => "Byte",
            DType::I8 => "Char",
            DType::I16 => "Short",
            DType::I32 => "Int",
            DType::I64 => "Long",
            DType::F16 => "Half",
            DType::BF16 => "BFloat16",
            DType::F32 => "Float",
            DType::F64 => "Double",
            DType::C64 => "ComplexFloat",
            DType::C128 => "ComplexDouble",
        }
    }
    /// The C++ type names PyTorch prints in some messages ("float", "long int").
    pub fn cpp_name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::U8 => "unsigned char",
            DType::I8 => "signed char",
            DType::I16 => "short int",
            DType::I32 => "int",
            DType::I64 => "long int",
            DType::F16 => "c10::Half",
            DType::BF16 => "c10::BFloat16",
            DType::F32 => "float",
            DType::F64 => "double",
            DType::C64 => "c10::complex<float>",
            DType::C128 => "c10::complex<double>",
        }
    }
    pub fn from_name(name: &str) -> Result<DType> {
        let n = name.strip_prefix("torch.").unwrap_or(name);
        Ok(match n {
            "bool" => DType::Bool,
            "uint8" => DType::U8,
            "int8" => DType::I8,
            "int16" | "short" => DType::I16,
            "int32" | "int" => DType::I32,
            "int64" | "long" => DType::I64,
            "float16" | "half" => DType::F16,
            "bfloat16" => DType::BF16,
            "float32" | "float" => DType::F32,
            "float64" | "double" => DType::F64,
            "complex64" | "cfloat" => DType::C64,
            "complex128" | "cdouble" => DType::C128,
            _ => return Err(Error::Type(format!("unknown dtype '{name}'"))),
        })
    }
    /// numpy's typestr / dtype name, for interop. bfloat16 has no numpy equivalent.
    pub fn numpy_name(self) -> Option<&'static str> {
        match self {
            DType::BF16 => None,
            DType::Bool => Some("bool"),
            d => Some(d.name()),
        }
    }
}

/// `torch.promote_types`: the smallest dtype both can be cast to without losing their category.
pub fn promote_types(a: DType, b: DType) -> DType {
    use DType::*;
    if a == b {
        return a;
    }
    let (ca, cb) = (a.category(), b.category());
    if ca != cb {
        // The higher category wins; its dtype is kept as is (int64 + float16 = float16),
        // except that complex takes the wider float's precision (complex64 + float64 = complex128).
        let (hi, lo) = if ca > cb { (a, b) } else { (b, a) };
        if hi.is_complex() && lo == F64 {
            return C128;
        }
        return hi;
    }
    match ca {
        Category::Bool => Bool,
        Category::Int => {
            // uint8 mixed with a signed type needs the next signed type that holds 0..=255.
            let (u, s) = match (a, b) {
                (U8, s) | (s, U8) => (true, s),
                _ => (false, a.max(b)),
            };
            if u {
                match s {
                    I8 => I16,
                    other => other,
                }
            } else {
                s
            }
        }
        Category::Float => match (a, b) {
            (F16, BF16) | (BF16, F16) => F32,
            _ => a.max(b),
        },
        Category::Complex => a.max(b),
    }
}

static DEFAULT_DTYPE: AtomicU8 = AtomicU8::new(8); // index of F32 in ALL_DTYPES

pub fn default_dtype() -> DType {
    ALL_DTYPES[DEFAULT_DTYPE.load(Ordering::Relaxed) as usize]
}

pub fn set_default_dtype(d: DType) -> Result<()> {
    if !matches!(d, DType::F32 | DType::F64 | DType::F16 | DType::BF16) {
        return Err(Error::Type(format!(
            "only floating-point types are supported as the default type, got {}",
            d.name()
        )));
    }
    let idx = ALL_DTYPES.iter().position(|x| *x == d).unwrap();
    DEFAULT_DTYPE.store(idx as u8, Ordering::Relaxed);
    Ok(())
}

/// A Python number. Scalars take part in promotion by category only ("wrapped numbers").
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scalar {
    Bool(bool),
    Int(i64),
    Float(f64),
}

impl Scalar {
    /// PyTorch's check before a number becomes an element of `dtype` (`full`, `fill_`,
    /// `masked_fill`, `index_fill`): a value outside the type's range is an error rather than a
    /// wrapped or saturated element. Infinities and NaN fit the float types; negative integers
    /// down to -255 fit uint8 (they wrap, as in `a - b`); bool and float64 take any number.
    pub fn check_fits(self, dtype: DType) -> Result<()> {
        let (lowest, max, name) = match dtype {
            DType::Bool | DType::F64 | DType::C64 | DType::C128 => return Ok(()),
            DType::U8 => (0.0, 255.0, "uint8_t"),
            DType::I8 => (-128.0, 127.0, "int8_t"),
            DType::I16 => (-32768.0, 32767.0, "int16_t"),
            DType::I32 => (i32::MIN as f64, i32::MAX as f64, "int"),
            DType::I64 => (i64::MIN as f64, i64::MAX as f64, "int64_t"),
            DType::F16 => (-65504.0, 65504.0, "c10::Half"),
            DType::BF16 => (-3.3895313892515355e38, 3.3895313892515355e38, "c10::BFloat16"),
            DType::F32 => (f32::MIN as f64, f32::MAX as f64, "float"),
        };
        let overflows = match self {
            Scalar::Bool(_) => false,
            Scalar::Int(_) if dtype == DType::I64 => false,
            Scalar::Int(i) if dtype == DType::U8 => !(-255..=255).contains(&i),
            Scalar::Int(i) => (i as f64) < lowest || (i as f64) > max,
            Scalar::Float(f) if dtype.is_float() => f.is_finite() && (f < lowest || f > max),
            Scalar::Float(f) => f.is_nan() || f < lowest || f > max,
        };
        if overflows {
            return Err(Error::Runtime(format!("value cannot be converted to type {name} without overflow")));
        }
        Ok(())
    }
    pub fn to_f64(self) -> f64 {
        match self {
            Scalar::Bool(b) => b as i64 as f64,
            Scalar::Int(i) => i as f64,
            Scalar::Float(f) => f,
        }
    }
    pub fn to_i64(self) -> i64 {
        match self {
            Scalar::Bool(b) => b as i64,
            Scalar::Int(i) => i,
            Scalar::Float(f) => f as i64,
        }
    }
    /// The dtype a scalar gets when it is the only thing deciding (e.g. `tensor(3)`).
    pub fn default_dtype(self) -> DType {
        match self {
            Scalar::Bool(_) => DType::Bool,
            Scalar::Int(_) => DType::I64,
            Scalar::Float(_) => default_dtype(),
        }
    }
    pub fn category(self) -> Category {
        self.default_dtype().category()
    }
}

/// One participant in `result_type`: tensors with dims outrank 0-d tensors, which outrank scalars.
#[derive(Debug, Clone, Copy)]
pub enum PromoteArg {
    Tensor { dtype: DType, zero_dim: bool },
    Scalar(Scalar),
}

/// `torch.result_type` over any number of operands (PyTorch's three-tier rule).
pub fn result_type(args: &[PromoteArg]) -> DType {
    let mut tiers: [Option<DType>; 3] = [None; 3];
    for a in args {
        let (tier, dt) = match *a {
            PromoteArg::Tensor { dtype, zero_dim: false } => (0, dtype),
            PromoteArg::Tensor { dtype, zero_dim: true } => (1, dtype),
            PromoteArg::Scalar(s) => (2, s.default_dtype()),
        };
        tiers[tier] = Some(match tiers[tier] {
            None => dt,
            Some(prev) => promote_types(prev, dt),
        });
    }
    let mut result: Option<DType> = None;
    for t in tiers.into_iter().flatten() {
        result = Some(match result {
            None => t,
            // A lower tier only matters when it brings a higher category (int tensor * 2.5);
            // complex then keeps a float's precision (float64 tensor * 1j is complex128).
            Some(r) if t.category() > r.category() => match (t.is_complex(), r.to_complex()) {
                (true, Some(c)) if r.is_float() => c,
                _ => t,
            },
            Some(r) => r,
        });
    }
    result.unwrap_or_else(default_dtype)
}

/// Kernels are generic over this trait. Conversions go through i64 for integers and f64 for
/// floats, which is exact for every dtype we support.
pub trait Element: Copy + Send + Sync + 'static + PartialOrd + PartialEq + std::fmt::Debug + Default {
    const DTYPE: DType;
    fn to_f64(self) -> f64;
    fn from_f64(v: f64) -> Self;
    fn to_i64(self) -> i64;
    fn from_i64(v: i64) -> Self;
    fn is_true(self) -> bool;
    fn from_bool(b: bool) -> Self;
    #[inline]
    fn cast<S: Element>(s: S) -> Self {
        if S::DTYPE.is_float() {
            Self::from_f64(s.to_f64())
        } else if S::DTYPE == DType::Bool {
            Self::from_bool(s.is_true())
        } else {
            Self::from_i64(s.to_i64())
        }
    }
    fn from_scalar(s: Scalar) -> Self {
        match s {
            Scalar::Bool(b) => Self::from_bool(b),
            Scalar::Int(i) => Self::from_i64(i),
            Scalar::Float(f) => Self::from_f64(f),
        }
    }
    fn to_scalar(self) -> Scalar {
        match Self::DTYPE.category() {
            Category::Bool => Scalar::Bool(self.is_true()),
            Category::Int => Scalar::Int(self.to_i64()),
            Category::Float | Category::Complex => Scalar::Float(self.to_f64()),
        }
    }
}

/// Float -> integer the way PyTorch (and numpy) do on x86, so that results do not depend on
/// the device: truncate toward zero through int32 (through int64 for int64 and uint8, as
/// PyTorch does); NaN and values outside that range give its minimum (what `cvttsd2si`
/// returns); narrower types then wrap. C leaves these cases undefined and Rust's `as` would
/// saturate instead. The GPU's `cast_expr` implements the same rule.
#[inline]
fn truncate_through_i32(v: f64) -> i32 {
    if (-2_147_483_648.0..2_147_483_648.0).contains(&v) { v as i32 } else { i32::MIN }
}
#[inline]
fn truncate_through_i64(v: f64) -> i64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if (-TWO_63..TWO_63).contains(&v) { v as i64 } else { i64::MIN }
}

macro_rules! int_element {
    ($t:ty, $d:ident, $truncate:ident) => {
        impl Element for $t {
            const DTYPE: DType = DType::$d;
            #[inline] fn to_f64(self) -> f64 { self as f64 }
            #[inline] fn from_f64(v: f64) -> Self { $truncate(v) as $t }
            #[inline] fn to_i64(self) -> i64 { self as i64 }
            #[inline] fn from_i64(v: i64) -> Self { v as $t }
            #[inline] fn is_true(self) -> bool { self != 0 }
            #[inline] fn from_bool(b: bool) -> Self { b as $t }
        }
    };
}
int_element!(u8, U8, truncate_through_i64);
int_element!(i8, I8, truncate_through_i32);
int_element!(i16, I16, truncate_through_i32);
int_element!(i32, I32, truncate_through_i32);
int_element!(i64, I64, truncate_through_i64);

impl Element for bool {
    const DTYPE: DType = DType::Bool;
    #[inline] fn to_f64(self) -> f64 { self as u8 as f64 }
    #[inline] fn from_f64(v: f64) -> Self { v != 0.0 }
    #[inline] fn to_i64(self) -> i64 { self as i64 }
    #[inline] fn from_i64(v: i64) -> Self { v != 0 }
    #[inline] fn is_true(self) -> bool { self }
    #[inline] fn from_bool(b: bool) -> Self { b }
}

macro_rules! float_element {
    ($t:ty, $d:ident, $from:expr, $to:expr) => {
        impl Element for $t {
            const DTYPE: DType = DType::$d;
            #[inline] fn to_f64(self) -> f64 { $to(self) }
            #[inline] fn from_f64(v: f64) -> Self { $from(v) }
            #[inline] fn to_i64(self) -> i64 { $to(self) as i64 }
            #[inline] fn from_i64(v: i64) -> Self { $from(v as f64) }
            #[inline] fn is_true(self) -> bool { $to(self) != 0.0 }
            #[inline] fn from_bool(b: bool) -> Self { $from(b as u8 as f64) }
        }
    };
}
float_element!(f32, F32, |v: f64| v as f32, |x: f32| x as f64);
float_element!(f64, F64, |v: f64| v, |x: f64| x);
float_element!(f16, F16, f16::from_f64, |x: f16| x.to_f64());
float_element!(bf16, BF16, bf16::from_f64, |x: bf16| x.to_f64());

/// Runs `$body` with `$T` bound to the Rust type of `$dt`.
///
/// Complex tensors reach kernels only through their real views (`ops/complex/`), so a complex
/// `$dt` returns the "not implemented for complex" error from the enclosing function; the form
/// `with_dtype!(dt, T, body, complex => expr)` evaluates `expr` instead, for callers that do
/// not return a `Result` or that handle complex tensors some other way.
#[macro_export]
macro_rules! with_dtype {
    ($dt:expr, $T:ident, $body:expr) => {
        $crate::with_dtype!($dt, $T, $body, complex => return Err($crate::error::Error::complex_unsupported($dt).into()))
    };
    ($dt:expr, $T:ident, $body:expr, complex => $otherwise:expr) => {{
        use $crate::dtype::DType;
        match $dt {
            DType::Bool => { type $T = bool; $body }
            DType::U8 => { type $T = u8; $body }
            DType::I8 => { type $T = i8; $body }
            DType::I16 => { type $T = i16; $body }
            DType::I32 => { type $T = i32; $body }
            DType::I64 => { type $T = i64; $body }
            DType::F16 => { type $T = half::f16; $body }
            DType::BF16 => { type $T = half::bf16; $body }
            DType::F32 => { type $T = f32; $body }
            DType::F64 => { type $T = f64; $body }
            DType::C64 | DType::C128 => $otherwise,
        }
    }};
}

#[cfg(test)]
mod tests {
    use super::*;
    use DType::*;

    #[test]
    fn promotion_table() {
        assert_eq!(promote_types(U8, I8), I16);
        assert_eq!(promote_types(U8, I32), I32);
        assert_eq!(promote_types(Bool, U8), U8);
        assert_eq!(promote_types(I64, F16), F16);
        assert_eq!(promote_types(F16, BF16), F32);
        assert_eq!(promote_types(F32, F64), F64);
        assert_eq!(promote_types(I32, I64), I64);
        assert_eq!(promote_types(C64, F64), C128);
        assert_eq!(promote_types(I64, C64), C64);
        assert_eq!(promote_types(C64, C128), C128);
    }

    #[test]
    fn scalars_do_not_widen_within_category() {
        let t = |d| PromoteArg::Tensor { dtype: d, zero_dim: false };
        let z = |d| PromoteArg::Tensor { dtype: d, zero_dim: true };
        assert_eq!(result_type(&[t(F16), PromoteArg::Scalar(Scalar::Float(1.0))]), F16);
        assert_eq!(result_type(&[t(I32), PromoteArg::Scalar(Scalar::Int(1))]), I32);
        assert_eq!(result_type(&[t(I32), PromoteArg::Scalar(Scalar::Float(1.0))]), F32);
        assert_eq!(result_type(&[t(U8), PromoteArg::Scalar(Scalar::Int(-1))]), U8);
        assert_eq!(result_type(&[t(I32), z(I64)]), I32);
        assert_eq!(result_type(&[t(I32), z(F64)]), F64);
        assert_eq!(result_type(&[t(F32), z(F64)]), F32);
        assert_eq!(result_type(&[t(Bool), PromoteArg::Scalar(Scalar::Int(1))]), I64);
        // A 0-d complex operand makes a float tensor complex at the tensor's precision.
        assert_eq!(result_type(&[t(F64), z(C64)]), C128);
        assert_eq!(result_type(&[t(F32), z(C128)]), C64);
        assert_eq!(result_type(&[t(I32), z(C128)]), C128);
    }
}
