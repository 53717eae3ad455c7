//! Binary elementwise ops: one enum variant per op, with its name, dtype rule and scalar
//! semantics. Broadcasting, promotion and dispatch are shared by all of them.
use crate::backend::cpu;
use crate::dtype::{default_dtype, result_type, Category, DType, Element, PromoteArg, Scalar};
use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::shape::broadcast_shapes;
use crate::storage::Device;
use crate::tensor::Tensor;
use crate::{bail, with_dtype};
use half::{bf16, f16};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    FloorDiv,
    Remainder,
    Fmod,
    Pow,
    Atan2,
    Hypot,
    Maximum,
    Minimum,
    BitAnd,
    BitOr,
    BitXor,
    LogicalAnd,
    LogicalOr,
    LogicalXor,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// How an op's output dtype follows from its inputs' promoted dtype.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DTypeRule {
    /// Output has the promoted dtype (add, mul, ...).
    Promote,
    /// Integers promote to the default float dtype (true division, atan2).
    Float,
    /// Output is bool; computed in the promoted dtype (comparisons, logical ops).
    Bool,
    /// Integers and bools only (bitwise ops).
    Integral,
}

impl BinaryOp {
    /// PyTorch's op name, used in messages ("... not implemented for 'Float'").
    pub fn name(self) -> &'static str {
        use BinaryOp::*;
        match self {
            Add => "add",
            Sub => "sub",
            Mul => "mul",
            Div => "div",
            FloorDiv => "floor_divide",
            Remainder => "remainder",
            Fmod => "fmod",
            Pow => "pow",
            Atan2 => "atan2",
            Hypot => "hypot",
            Maximum => "maximum",
            Minimum => "minimum",
            BitAnd => "bitwise_and",
            BitOr => "bitwise_or",
            BitXor => "bitwise_xor",
            LogicalAnd => "logical_and",
            LogicalOr => "logical_or",
            LogicalXor => "logical_xor",
            Eq => "eq",
            Ne => "ne",
            Lt => "lt",
            Le => "le",
            Gt => "gt",
            Ge => "ge",
        }
    }
    fn rule(self) -> DTypeRule {
        use BinaryOp::*;
        match self {
            Div | Atan2 | Hypot => DTypeRule::Float,
            BitAnd | BitOr | BitXor => DTypeRule::Integral,
            LogicalAnd | LogicalOr | LogicalXor | Eq | Ne | Lt | Le | Gt | Ge => DTypeRule::Bool,
            _ => DTypeRule::Promote,
        }
    }
    pub fn is_comparison(self) -> bool {
        self.rule() == DTypeRule::Bool
    }
}

impl BinaryOp {
    /// The op as a WGSL expression of `a` and `b` of WGSL type `t` (f16 computes in f32, like
    /// the CPU). None where the GPU has no such function for `t`.
    pub fn wgsl(self, t: &str) -> Option<String> {
        use BinaryOp::*;
        let float = t == "f32" || t == "f64";
        let unsigned = t == "u32";
        let nan = |v: &str| if t == "f32" { format!("is_nan_f32({v})") } else if t == "f64" { format!("(!({v} == {v}))") } else { "false".into() };
        let zero = format!("{t}(0)");
        let nonzero_b = |e: String| format!("select({e}, {zero}, b == {zero})");
        Some(match self {
            Add => "(a + b)".into(),
            Sub => "(a - b)".into(),
            Mul => "(a * b)".into(),
            Div if float => "(a / b)".into(),
            Div => nonzero_b("(a / b)".into()),
            FloorDiv if float => format!("floordiv_{t}(a, b)"),
            FloorDiv if unsigned => nonzero_b("(a / b)".into()),
            FloorDiv => nonzero_b(format!("select(a / b, a / b - {t}(1), (a % b != {zero}) && ((a < {zero}) != (b < {zero})))")),
            Remainder if float => format!("remainder_{t}(a, b)"),
            Remainder if unsigned => nonzero_b("(a % b)".into()),
            Remainder => nonzero_b(format!("select(a % b, a % b + b, (a % b != {zero}) && ((a % b < {zero}) != (b < {zero})))")),
            Fmod if float => "(a % b)".into(),
            Fmod => nonzero_b("(a % b)".into()),
            Pow if t == "f32" => "pow_f32(a, b)".into(),
            Pow if t == "f64" => "pow_f64(a, b)".into(),
            Pow => format!("ipow_{t}(a, b)"),
            Atan2 if t == "f32" => "atan2_f32(a, b)".into(),
            Atan2 if t == "f64" => "atan2_f64(a, b)".into(),
            Atan2 => return None,
            Hypot if float => "sqrt(a * a + b * b)".into(),
            Hypot => return None,
            Maximum if float => format!("select(max(a, b), a + b, {} || {})", nan("a"), nan("b")),
            Minimum if float => format!("select(min(a, b), a + b, {} || {})", nan("a"), nan("b")),
            Maximum => "max(a, b)".into(),
            Minimum => "min(a, b)".into(),
            BitAnd | BitOr | BitXor if float => return None,
            BitAnd => "(a & b)".into(),
            BitOr => "(a | b)".into(),
            BitXor => "(a ^ b)".into(),
            // `!(a == 0)`: NaN is true, and float `!=` would be an ordered comparison.
            LogicalAnd => format!("u32(!(a == {zero}) && !(b == {zero}))"),
            LogicalOr => format!("u32(!(a == {zero}) || !(b == {zero}))"),
            LogicalXor => format!("u32((a == {zero}) != (b == {zero}))"),
            Eq => "u32(a == b)".into(),
            // Not `a != b`: it compiles to an ordered comparison (false for NaN) on Vulkan.
            Ne => "u32(!(a == b))".into(),
            Lt => "u32(a < b)".into(),
            Le => "u32(a <= b)".into(),
            Gt => "u32(a > b)".into(),
            Ge => "u32(a >= b)".into(),
        })
    }
}

/// The WGSL expression of `op` on `x0`, `x1` of compute dtype `dt`, giving dtype `out`.
pub fn gpu_expr(op: BinaryOp, dt: DType, out: DType) -> Result<String> {
    use crate::backend::gpu;
    let (math, la, lb) = if dt == DType::F16 { ("f32", "f32(x0)", "f32(x1)") } else { (gpu::wgsl_type(dt), "x0", "x1") };
    let body = op.wgsl(math).ok_or_else(|| {
        Error::Type(format!("{} is not supported for {} tensors on the GPU (WGSL has no {} version)", op.name(), dt.name(), dt.name()))
    })?;
    let e = gpu::substitute(&body, &[("a", la), ("b", lb)]);
    Ok(if out == DType::Bool && op.is_comparison() {
        e
    } else if dt == DType::F16 {
        format!("f16({e})")
    } else {
        gpu::normalise(out, &e)
    })
}

/// The GPU kernel: `a` and `b` already in the compute dtype and broadcast to one shape.
fn gpu_kernel(op: BinaryOp, a: &Tensor, b: &Tensor, out: DType) -> Result<Tensor> {
    crate::backend::gpu::elementwise::map(&[a, b], a.shape(), out, &gpu_expr(op, a.dtype(), out)?)
}

/// A GPU tensor with a Python number: the number travels in the kernel's metadata words
/// instead of being uploaded (None when `compute` does not fit a word: float64, int64).
fn gpu_with_constant(op: BinaryOp, a: Operand, b: Operand, compute: DType, out: DType, shape: &[usize]) -> Result<Option<Tensor>> {
    use crate::backend::gpu::elementwise::{map_inputs, Input};
    let (t, s, tensor_first) = match (a, b) {
        (Operand::Tensor(t), Operand::Scalar(s)) => (t, s, true),
        (Operand::Scalar(s), Operand::Tensor(t)) => (t, s, false),
        _ => return Ok(None),
    };
    let Some(constant) = Input::constant(s, compute) else { return Ok(None) };
    let t = t.to_dtype(compute)?.expand(shape)?;
    let inputs = if tensor_first { [Input::Tensor(&t), constant] } else { [constant, Input::Tensor(&t)] };
    map_inputs(&inputs, shape, out, &gpu_expr(op, compute, out)?).map(Some)
}

/// Every op, for generating every GPU specialisation.
pub const ALL: [BinaryOp; 24] = {
    use BinaryOp::*;
    [
        Add, Sub, Mul, Div, FloorDiv, Remainder, Fmod, Pow, Atan2, Hypot, Maximum, Minimum,
        BitAnd, BitOr, BitXor, LogicalAnd, LogicalOr, LogicalXor, Eq, Ne, Lt, Le, Gt, Ge,
    ]
};

/// Scalar arithmetic for one element type. Integer ops wrap (as PyTorch's do) instead of
/// panicking; division by zero is caught before the kernel runs.
pub trait Arith: Element {
    fn add(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    fn div(self, o: Self) -> Self;
    fn floor_div(self, o: Self) -> Self;
    fn remainder(self, o: Self) -> Self;
    fn fmod(self, o: Self) -> Self;
    fn pow(self, o: Self) -> Self;
    fn maximum(self, o: Self) -> Self;
    fn minimum(self, o: Self) -> Self;
    fn bits(self, o: Self, op: BinaryOp) -> Self;
}

macro_rules! int_arith {
    ($($t:ty),*) => {$(
        #[allow(unused_comparisons)] // the sign checks are no-ops for u8
        impl Arith for $t {
            #[inline] fn add(self, o: Self) -> Self { self.wrapping_add(o) }
            #[inline] fn sub(self, o: Self) -> Self { self.wrapping_sub(o) }
            #[inline] fn mul(self, o: Self) -> Self { self.wrapping_mul(o) }
            #[inline] fn div(self, o: Self) -> Self { if o == 0 { 0 } else { self.wrapping_div(o) } }
            #[inline] fn floor_div(self, o: Self) -> Self {
                if o == 0 { return 0; }
                let q = self.wrapping_div(o);
                if (self.wrapping_rem(o) != 0) && ((self < 0) != (o < 0)) { q.wrapping_sub(1) } else { q }
            }
            #[inline] fn remainder(self, o: Self) -> Self {
                if o == 0 { return 0; }
                let r = self.wrapping_rem(o);
                if r != 0 && ((r < 0) != (o < 0)) { r.wrapping_add(o) } else { r }
            }
            #[inline] fn fmod(self, o: Self) -> Self { if o == 0 { 0 } else { self.wrapping_rem(o) } }
            #[inline] fn pow(self, o: Self) -> Self {
                // 0**0 == 1. A negative exponent (from a tensor: a Python number is rejected
                // before the kernel) gives what 1/x**|e| truncates to, as PyTorch does: 1 for
                // a base of 1, +-1 for -1, 0 otherwise.
                let mut e = o as i64;
                if e < 0 {
                    let minus_one = (0 as Self).wrapping_sub(1);
                    return if self == 1 { 1 } else if self == minus_one { if e & 1 == 1 { minus_one } else { 1 } } else { 0 };
                }
                let mut base = self;
                let mut acc: Self = 1;
                while e > 0 {
                    if e & 1 == 1 { acc = acc.wrapping_mul(base); }
                    base = base.wrapping_mul(base);
                    e >>= 1;
                }
                acc
            }
            #[inline] fn maximum(self, o: Self) -> Self { if self >= o { self } else { o } }
            #[inline] fn minimum(self, o: Self) -> Self { if self <= o { self } else { o } }
            #[inline] fn bits(self, o: Self, op: BinaryOp) -> Self {
                match op { BinaryOp::BitAnd => self & o, BinaryOp::BitOr => self | o, _ => self ^ o }
            }
        }
    )*};
}
int_arith!(u8, i8, i16, i32, i64);

macro_rules! float_arith {
    ($t:ty, $to:expr, $from:expr) => {
        impl Arith for $t {
            #[inline] fn add(self, o: Self) -> Self { self + o }
            #[inline] fn sub(self, o: Self) -> Self { self - o }
            #[inline] fn mul(self, o: Self) -> Self { self * o }
            #[inline] fn div(self, o: Self) -> Self { self / o }
            #[inline] fn floor_div(self, o: Self) -> Self {
                let (a, b) = ($to(self), $to(o));
                $from(python_floor_div(a as f64, b as f64))
            }
            #[inline] fn remainder(self, o: Self) -> Self {
                let (a, b) = ($to(self) as f64, $to(o) as f64);
                let r = a % b;
                $from(if r != 0.0 && ((r < 0.0) != (b < 0.0)) { r + b } else { r })
            }
            #[inline] fn fmod(self, o: Self) -> Self { $from(($to(self) as f64) % ($to(o) as f64)) }
            #[inline] fn pow(self, o: Self) -> Self { $from(($to(self) as f64).powf($to(o) as f64)) }
            // NaN propagates, as in torch.maximum.
            #[inline] fn maximum(self, o: Self) -> Self { if self != self || self > o { self } else if o != o { o } else { if self == o { self } else { o } } }
            #[inline] fn minimum(self, o: Self) -> Self { if self != self || self < o { self } else if o != o { o } else { if self == o { self } else { o } } }
            #[inline] fn bits(self, _o: Self, _op: BinaryOp) -> Self { unreachable!("bitwise ops are rejected for floats before dispatch") }
        }
    };
}
float_arith!(f32, |x: f32| x, |x: f64| x as f32);
float_arith!(f64, |x: f64| x, |x: f64| x);
float_arith!(f16, |x: f16| x.to_f32(), |x: f64| f16::from_f64(x));
float_arith!(bf16, |x: bf16| x.to_f32(), |x: f64| bf16::from_f64(x));

impl Arith for bool {
    #[inline] fn add(self, o: Self) -> Self { self | o }
    #[inline] fn sub(self, o: Self) -> Self { self ^ o }
    #[inline] fn mul(self, o: Self) -> Self { self & o }
    #[inline] fn div(self, o: Self) -> Self { self & o }
    #[inline] fn floor_div(self, o: Self) -> Self { self & o }
    #[inline] fn remainder(self, _o: Self) -> Self { false }
    #[inline] fn fmod(self, _o: Self) -> Self { false }
    #[inline] fn pow(self, o: Self) -> Self { self | !o }
    #[inline] fn maximum(self, o: Self) -> Self { self | o }
    #[inline] fn minimum(self, o: Self) -> Self { self & o }
    #[inline] fn bits(self, o: Self, op: BinaryOp) -> Self {
        match op { BinaryOp::BitAnd => self & o, BinaryOp::BitOr => self | o, _ => self ^ o }
    }
}

/// Python's `//` on floats: floor of the true quotient, with `divmod`'s corrections.
fn python_floor_div(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        return a / b;
    }
    let m = a % b;
    let mut div = (a - m) / b;
    if m != 0.0 && ((b < 0.0) != (m < 0.0)) {
        div -= 1.0;
    }
    if div == 0.0 {
        return 0.0f64.copysign(a / b);
    }
    let f = div.floor();
    if div - f > 0.5 { f + 1.0 } else { f }
}

fn atan2_hypot<T: Element>(op: BinaryOp, a: T, b: T) -> T {
    let (x, y) = (a.to_f64(), b.to_f64());
    T::from_f64(if op == BinaryOp::Atan2 { x.atan2(y) } else { x.hypot(y) })
}

/// One side of a binary op: a tensor, or a Python number.
#[derive(Clone, Copy)]
pub enum Operand<'a> {
    Tensor(&'a Tensor),
    Scalar(Scalar),
}

impl<'a> Operand<'a> {
    fn promote_arg(&self) -> PromoteArg {
        match self {
            Operand::Tensor(t) => PromoteArg::Tensor { dtype: t.dtype(), zero_dim: t.ndim() == 0 },
            Operand::Scalar(s) => PromoteArg::Scalar(*s),
        }
    }
    pub(crate) fn shape(&self) -> &[usize] {
        match self {
            Operand::Tensor(t) => t.shape(),
            Operand::Scalar(_) => &[],
        }
    }
    pub fn tensor(&self) -> Option<&Tensor> {
        match self {
            Operand::Tensor(t) => Some(t),
            Operand::Scalar(_) => None,
        }
    }
    fn materialize(&self, dtype: DType) -> Result<Tensor> {
        match self {
            Operand::Tensor(t) => t.to_dtype(dtype),
            Operand::Scalar(s) => Tensor::scalar(*s, dtype),
        }
    }
}

fn not_implemented(op: &str, dtype: DType) -> Error {
    Error::NotImplemented(format!("\"{}_cpu\" not implemented for '{}'", op, dtype.scalar_name()))
}

/// PyTorch's `sub_check`: subtraction takes no bool operand, tensor or Python bool, since
/// `1 - mask` or `mask - other` usually means a mask inversion or a xor.
pub fn check_sub_operands(a: &Operand, b: &Operand) -> Result<()> {
    let is_bool = |o: &Operand| match o {
        Operand::Tensor(t) => t.dtype() == DType::Bool,
        Operand::Scalar(s) => matches!(s, Scalar::Bool(_)),
    };
    match (is_bool(a), is_bool(b)) {
        (true, true) => bail!(NotImplemented, "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead."),
        (true, false) | (false, true) => bail!(
            NotImplemented,
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead."
        ),
        (false, false) => Ok(()),
    }
}

/// The dtype an op computes in, and the dtype it returns.
fn op_dtypes(op: BinaryOp, a: &Operand, b: &Operand) -> Result<(DType, DType)> {
    if op == BinaryOp::Sub {
        check_sub_operands(a, b)?;
    }
    let promoted = result_type(&[a.promote_arg(), b.promote_arg()]);
    Ok(match op.rule() {
        DTypeRule::Promote => {
            // Python's int ** float promotes even from a scalar exponent.
            (promoted, promoted)
        }
        DTypeRule::Float => {
            if op == BinaryOp::Hypot && !promoted.is_float() {
                // Unlike div and atan2, PyTorch's hypot does not promote integers to float.
                return Err(not_implemented(op.name(), promoted));
            }
            let d = if promoted.is_float() { promoted } else { default_dtype() };
            (d, d)
        }
        DTypeRule::Bool => (promoted, DType::Bool),
        DTypeRule::Integral => {
            if promoted.is_float() {
                return Err(not_implemented(op.name(), promoted));
            }
            (promoted, promoted)
        }
    })
}

/// Integer division by zero is an error in PyTorch, not a crash.
fn check_int_division(op: BinaryOp, compute: DType, divisor: &Tensor) -> Result<()> {
    let divides = matches!(op, BinaryOp::FloorDiv | BinaryOp::Remainder | BinaryOp::Fmod);
    if divides && compute.category() != Category::Float && compute != DType::Bool {
        let has_zero = with_dtype!(compute, T, {
            let mut z = false;
            cpu::for_each::<T>(divisor, |x| z |= !x.is_true());
            z
        });
        if has_zero {
            bail!(Runtime, "ZeroDivisionError");
        }
    }
    Ok(())
}

fn kernel<T: Arith>(op: BinaryOp, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    use BinaryOp::*;
    let shape = a.shape().to_vec();
    let same = |v: Vec<T>| Tensor::from_vec(v, &shape);
    let pred = |v: Vec<bool>| Tensor::from_vec(v, &shape);
    match op {
        Add => same(cpu::map2(a, b, T::add)),
        Sub => same(cpu::map2(a, b, T::sub)),
        Mul => same(cpu::map2(a, b, T::mul)),
        Div => same(cpu::map2(a, b, T::div)),
        FloorDiv => same(cpu::map2(a, b, T::floor_div)),
        Remainder => same(cpu::map2(a, b, T::remainder)),
        Fmod => same(cpu::map2(a, b, T::fmod)),
        Pow => same(cpu::map2(a, b, T::pow)),
        Atan2 | Hypot => same(cpu::map2(a, b, |x: T, y: T| atan2_hypot(op, x, y))),
        Maximum => same(cpu::map2(a, b, T::maximum)),
        Minimum => same(cpu::map2(a, b, T::minimum)),
        BitAnd | BitOr | BitXor => same(cpu::map2(a, b, |x: T, y: T| x.bits(y, op))),
        LogicalAnd => pred(cpu::map2(a, b, |x: T, y: T| x.is_true() && y.is_true())),
        LogicalOr => pred(cpu::map2(a, b, |x: T, y: T| x.is_true() || y.is_true())),
        LogicalXor => pred(cpu::map2(a, b, |x: T, y: T| x.is_true() != y.is_true())),
        Eq => pred(cpu::map2(a, b, |x: T, y: T| x == y)),
        Ne => pred(cpu::map2(a, b, |x: T, y: T| x != y)),
        Lt => pred(cpu::map2(a, b, |x: T, y: T| x < y)),
        Le => pred(cpu::map2(a, b, |x: T, y: T| x <= y)),
        Gt => pred(cpu::map2(a, b, |x: T, y: T| x > y)),
        Ge => pred(cpu::map2(a, b, |x: T, y: T| x >= y)),
    }
}

/// When both inputs are dense with identical strides (e.g. both transposed the same way),
/// the op can run straight over storage order; the result keeps those strides, as PyTorch's
/// TensorIterator does.
fn flat_if_same_dense_layout(a: &Tensor, b: &Tensor) -> Option<(Tensor, Tensor, Layout)> {
    let (la, lb) = (a.layout(), b.layout());
    if la.strides != lb.strides || la.is_contiguous() || !la.is_dense() || a.numel() <= 1 {
        return None;
    }
    let out_layout = Layout { shape: la.shape.clone(), strides: la.strides.clone(), offset: 0 };
    Some((a.storage_order_view(), b.storage_order_view(), out_layout))
}

/// `torch.result_type` of two operands.
pub fn promoted_dtype(a: Operand, b: Operand) -> DType {
    result_type(&[a.promote_arg(), b.promote_arg()])
}

/// The shared path of every binary op: promote, broadcast, check, dispatch, record.
pub fn binary(op: BinaryOp, a: Operand, b: Operand) -> Result<Tensor> {
    if a.tensor().is_some_and(|t| t.dtype().is_complex()) || b.tensor().is_some_and(|t| t.dtype().is_complex()) {
        return crate::ops::complex::complex_binary(op, a, b);
    }
    crate::autograd::formulas::elementwise::record_binary(op, a, b, || binary_forward(op, a, b))
}

fn binary_forward(op: BinaryOp, a: Operand, b: Operand) -> Result<Tensor> {
    // A dense, permuted tensor with a Python number (`x.t() * 2`): computed in storage order,
    // keeping the tensor's layout. Two tensors are handled in `flat_if_same_dense_layout`.
    if let (Operand::Tensor(t), Operand::Scalar(_)) | (Operand::Scalar(_), Operand::Tensor(t)) = (a, b) {
        if let Some(strides) = t.dense_permuted_strides() {
            let flat = t.storage_order_view();
            let (fa, fb) = match a {
                Operand::Tensor(_) => (Operand::Tensor(&flat), b),
                Operand::Scalar(_) => (a, Operand::Tensor(&flat)),
            };
            return Ok(Tensor::with_dense_strides(binary_forward(op, fa, fb)?, t.shape(), strides));
        }
    }
    let (compute, out) = op_dtypes(op, &a, &b)?;
    if op == BinaryOp::Pow && compute.is_int() && matches!(b, Operand::Scalar(s) if s.to_f64() < 0.0) {
        // Only a Python number is checked; a tensor of negative exponents computes (above).
        bail!(Runtime, "Integers to negative integer powers are not allowed.");
    }
    let shape = broadcast_shapes(a.shape(), b.shape())?;
    let device = crate::tensor::common_device(&[a.tensor(), b.tensor()])?;
    if device.is_gpu() {
        if let Some(r) = gpu_with_constant(op, a, b, compute, out, &shape)? {
            return Ok(r);
        }
    }
    let ta = a.materialize(compute)?.to_device(device)?.expand(&shape)?;
    let tb = b.materialize(compute)?.to_device(device)?.expand(&shape)?;
    if let Some((fa, fb, layout)) = flat_if_same_dense_layout(&ta, &tb) {
        let r = binary_kernel(op, &fa, &fb, compute, out, device)?;
        return Ok(Tensor::with_dense_strides(r, &layout.shape, layout.strides));
    }
    binary_kernel(op, &ta, &tb, compute, out, device)
}

/// The kernel of either device over two same-shaped operands; a contiguous result.
fn binary_kernel(op: BinaryOp, ta: &Tensor, tb: &Tensor, compute: DType, out: DType, device: Device) -> Result<Tensor> {
    if device.is_gpu() {
        // As on CUDA, integer division by zero is not checked on the GPU (it would need a
        // synchronisation); it gives 0.
        return gpu_kernel(op, ta, tb, out);
    }
    check_int_division(op, compute, tb)?;
    with_dtype!(compute, T, kernel::<T>(op, ta, tb))
}

/// `target op= other` in one GPU pass that reads and writes `target`, when autograd records
/// nothing and no cast or broadcast of `target` is involved. Returns false (nothing done) in
/// every other case: the caller computes out of place and commits, which also raises
/// PyTorch's errors for the invalid cases.
pub fn binary_in_place_gpu(target: &Tensor, op: BinaryOp, other: Operand) -> Result<bool> {
    use crate::backend::gpu::elementwise::{update, Input};
    if !target.device().is_gpu() || target.dtype().is_complex() || other.tensor().is_some_and(|t| t.dtype().is_complex()) {
        return Ok(false);
    }
    let records = crate::autograd::mode::is_grad_enabled() && (target.requires_grad() || other.tensor().is_some_and(|t| t.requires_grad()));
    let Ok((compute, out)) = op_dtypes(op, &Operand::Tensor(target), &other) else { return Ok(false) };
    if records || compute != target.dtype() || out != target.dtype() || target.check_writable_overlap().is_err() {
        return Ok(false);
    }
    let expanded;
    let input = match other {
        Operand::Scalar(s) => match Input::constant(s, compute) {
            Some(c) => c,
            None => return Ok(false),
        },
        Operand::Tensor(t) => {
            if !t.device().is_gpu() || t.dtype() != compute {
                return Ok(false);
            }
            let Ok(e) = t.expand(target.shape()) else { return Ok(false) };
            expanded = e;
            Input::Tensor(&expanded)
        }
    };
    update(target, &[Input::Output, input], &gpu_expr(op, compute, out)?)?;
    target.storage().bump_version();
    Ok(true)
}

impl Tensor {
    pub fn binary(&self, other: &Tensor, op: BinaryOp) -> Result<Tensor> {
        binary(op, Operand::Tensor(self), Operand::Tensor(other))
    }
    pub fn binary_scalar(&self, s: Scalar, op: BinaryOp) -> Result<Tensor> {
        binary(op, Operand::Tensor(self), Operand::Scalar(s))
    }
    pub fn add(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(o, BinaryOp::Add)
    }
    pub fn sub(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(o, BinaryOp::Sub)
    }
    pub fn mul(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(o, BinaryOp::Mul)
    }
    pub fn div(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(o, BinaryOp::Div)
    }
    /// Writes `result` into `self` in place, after PyTorch's "can it be cast" check.
    pub fn assign_result(&self, result: &Tensor) -> Result<()> {
        let (from, to) = (result.dtype(), self.dtype());
        if from.category() > to.category() {
            bail!(Runtime, "result type {} can't be cast to the desired output type {}", from.scalar_name(), to.scalar_name());
        }
        if result.shape() != self.shape() {
            bail!(Runtime, "output with shape {:?} doesn't match the broadcast shape {:?}", self.shape(), result.shape());
        }
        self.copy_(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_add_and_promotion() {
        let a = Tensor::from_vec(vec![1i32, 2, 3], &[3, 1]).unwrap();
        let b = Tensor::from_vec(vec![0.5f32, 1.5], &[2]).unwrap();
        let c = a.add(&b).unwrap();
        assert_eq!(c.dtype(), DType::F32);
        assert_eq!(c.shape(), &[3, 2]);
        assert_eq!(c.to_vec::<f32>(), vec![1.5, 2.5, 2.5, 3.5, 3.5, 4.5]);
        let d = a.binary_scalar(Scalar::Int(2), BinaryOp::Div).unwrap();
        assert_eq!(d.dtype(), DType::F32);
    }

    #[test]
    fn python_division_semantics() {
        let a = Tensor::from_vec(vec![-7i64, 7], &[2]).unwrap();
        assert_eq!(a.binary_scalar(Scalar::Int(2), BinaryOp::FloorDiv).unwrap().to_vec::<i64>(), vec![-4, 3]);
        assert_eq!(a.binary_scalar(Scalar::Int(-3), BinaryOp::Remainder).unwrap().to_vec::<i64>(), vec![-1, -2]);
        assert!(a.binary_scalar(Scalar::Int(0), BinaryOp::FloorDiv).is_err());
    }
}
