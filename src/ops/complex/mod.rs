//! Complex tensors (complex64, complex128).
//!
//! A complex tensor's memory is its real dtype interleaved (real, imaginary), as in PyTorch
//! and numpy, so `view_as_real` is a view with a trailing dim of 2. Kernels exist only for
//! real dtypes: every complex op here is composed from real ops on the two parts. That keeps
//! one set of CPU and GPU kernels, and autograd comes for free: the parts are differentiable
//! views, so the gradient a complex leaf receives is `dL/d(re) + i dL/d(im)`, which is
//! PyTorch's convention (the conjugate Wirtinger derivative, times two, of a real loss).
//! The cost is a few more passes over memory than a fused complex kernel would take.
use crate::dtype::{DType, Scalar};
use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::ops::binary::{binary, promoted_dtype, BinaryOp, Operand};
use crate::ops::unary::UnaryOp;
use crate::shape::broadcast_shapes;
use crate::tensor::Tensor;
use crate::bail;

mod inverse_trig;
mod statistics;

pub(crate) use statistics::{complex_cumprod, complex_lerp, complex_logsumexp, complex_moment, complex_nansum};

impl Tensor {
    /// The memory of a complex tensor seen as its real dtype with a trailing dim of 2
    /// (unrecorded; `view_as_real` is the differentiable form). Other dtypes: unchanged.
    pub(crate) fn real_view_forward(&self) -> Tensor {
        if !self.dtype().is_complex() {
            return self.clone();
        }
        let l = self.layout();
        let mut shape = l.shape.clone();
        shape.push(2);
        let mut strides: Vec<usize> = l.strides.iter().map(|s| s * 2).collect();
        strides.push(1);
        let layout = Layout { shape, strides, offset: l.offset * 2 };
        Tensor::from_parts(self.storage().clone(), layout, self.dtype().to_real())
    }

    /// The inverse of `real_view_forward`, with PyTorch's checks of `view_as_complex`.
    pub(crate) fn complex_view_forward(&self) -> Result<Tensor> {
        let dt = self.dtype();
        let complex = match dt {
            DType::F32 => DType::C64,
            DType::F64 => DType::C128,
            DType::F16 => bail!(NotImplemented, "view_as_complex of a Half tensor gives ComplexHalf (complex32), a dtype ferrotorch does not have"),
            _ => bail!(Runtime, "view_as_complex is only supported for half, float and double tensors, but got a tensor of scalar type: {}", dt.scalar_name()),
        };
        let l = self.layout();
        if l.shape.last() != Some(&2) {
            bail!(Runtime, "Tensor must have a last dimension of size 2");
        }
        if l.strides[l.ndim() - 1] != 1 {
            bail!(Runtime, "Tensor must have a last dimension with stride 1");
        }
        let n = l.ndim() - 1;
        if l.strides[..n].iter().zip(&l.shape[..n]).any(|(st, s)| st % 2 != 0 && *s > 1) {
            bail!(Runtime, "Tensor must have a stride divisible by 2 for all but last dimension");
        }
        if l.offset % 2 != 0 {
            bail!(Runtime, "Tensor must have a storage_offset divisible by 2");
        }
        let layout = Layout {
            shape: l.shape[..n].to_vec(),
            strides: l.strides[..n].iter().map(|s| s / 2).collect(),
            offset: l.offset / 2,
        };
        Ok(Tensor::from_parts(self.storage().clone(), layout, complex))
    }

    /// The real part of a complex tensor as a view (unrecorded), for kernels and conversions.
    pub(crate) fn real_part_forward(&self) -> Tensor {
        if !self.dtype().is_complex() {
            return self.clone();
        }
        let r = self.real_view_forward();
        let last = r.ndim() - 1;
        r.with_layout(r.layout().select(last, 0))
    }

    /// `real + i imag` from two real tensors of one float dtype (`torch.complex`).
    pub fn complex_from_parts(re: &Tensor, im: &Tensor) -> Result<Tensor> {
        if re.dtype() != im.dtype() {
            bail!(Runtime, "Expected object of scalar type {} but got scalar type {} for second argument", re.dtype().scalar_name(), im.dtype().scalar_name());
        }
        if !matches!(re.dtype(), DType::F32 | DType::F64 | DType::F16) {
            bail!(Runtime, "Expected both inputs to be Half, Float or Double tensors but got {} and {}", re.dtype().scalar_name(), im.dtype().scalar_name());
        }
        let shape = broadcast_shapes(re.shape(), im.shape())?;
        let real = if re.dtype() == DType::F16 { DType::F32 } else { re.dtype() };
        let parts = [re.to_dtype(real)?.expand(&shape)?, im.to_dtype(real)?.expand(&shape)?];
        crate::ops::shape_ops::stack(&parts, -1)?.pairs_as_complex()
    }

    /// Real and imaginary parts as differentiable tensors (imaginary: None for real input).
    fn parts(&self) -> Result<(Tensor, Option<Tensor>)> {
        if !self.dtype().is_complex() {
            return Ok((self.clone(), None));
        }
        let r = self.view_as_real()?;
        Ok((r.select(-1, 0)?, Some(r.select(-1, 1)?)))
    }

    /// Complex copy or cast: `dst` and `src` have the same shape and device, one is complex.
    /// A complex destination gets the source's real part (or the real source) and its
    /// imaginary part (or zero); a real destination gets the real part, as PyTorch's cast.
    pub(crate) fn copy_complex(dst: &Tensor, src: &Tensor) -> Result<()> {
        let src_re = src.real_part_forward();
        if !dst.dtype().is_complex() {
            return dst.copy_(&src_re);
        }
        if src.dtype().is_complex() {
            return dst.real_view_forward().copy_(&src.real_view_forward());
        }
        let parts = dst.real_view_forward();
        let last = parts.ndim() - 1;
        parts.with_layout(parts.layout().select(last, 0)).copy_(src)?;
        parts.with_layout(parts.layout().select(last, 1)).fill_(Scalar::Int(0))
    }

    /// `value + 0i` everywhere (`full`, `ones` with a complex dtype).
    pub(crate) fn full_complex(shape: &[usize], value: Scalar, dtype: DType) -> Result<Tensor> {
        let out = Tensor::zeros(shape, dtype)?;
        out.real_part_forward().fill_(value)?;
        Ok(out)
    }
}

impl Tensor {
    /// The complex conjugate as a new tensor (differentiable); real tensors are returned as is.
    pub fn conj_physical(&self) -> Result<Tensor> {
        if !self.dtype().is_complex() {
            return Ok(self.clone());
        }
        let (re, im) = self.parts()?;
        assemble(Part::T(re), Part::T(im.expect("complex").unary(UnaryOp::Neg)?), self.shape(), self.dtype(), self.device())
    }
}

/// One part of an operand: a tensor, a Python number, or a known zero (the imaginary part of
/// a real operand), which lets real-by-complex products skip the work on zeros.
#[derive(Clone)]
enum Part {
    T(Tensor),
    S(Scalar),
    Zero,
}

impl Part {
    fn operand(&self) -> Option<Operand<'_>> {
        match self {
            Part::T(t) => Some(Operand::Tensor(t)),
            Part::S(s) => Some(Operand::Scalar(*s)),
            Part::Zero => None,
        }
    }
    fn apply(&self, other: &Part, op: BinaryOp) -> Result<Part> {
        if let (Part::S(a), Part::S(b)) = (self, other) {
            // Two Python numbers combine exactly in double, not as float32 0-d tensors.
            let (a, b) = (a.to_f64(), b.to_f64());
            return Ok(Part::S(Scalar::Float(match op {
                BinaryOp::Add => a + b,
                BinaryOp::Sub => a - b,
                BinaryOp::Mul => a * b,
                _ => a / b,
            })));
        }
        Ok(match (self.operand(), other.operand()) {
            (Some(a), Some(b)) => Part::T(binary(op, a, b)?),
            _ => unreachable!("zeros are folded by the callers"),
        })
    }
    fn div(&self, other: &Part) -> Result<Part> {
        if matches!(self, Part::Zero) {
            return Ok(Part::Zero);
        }
        self.apply(other, BinaryOp::Div)
    }

    fn mul(&self, other: &Part) -> Result<Part> {
        if matches!(self, Part::Zero) || matches!(other, Part::Zero) {
            return Ok(Part::Zero);
        }
        self.apply(other, BinaryOp::Mul)
    }
    fn add(&self, other: &Part) -> Result<Part> {
        match (self, other) {
            (Part::Zero, x) | (x, Part::Zero) => Ok(x.clone()),
            _ => self.apply(other, BinaryOp::Add),
        }
    }
    fn sub(&self, other: &Part) -> Result<Part> {
        match (self, other) {
            (x, Part::Zero) => Ok(x.clone()),
            (Part::Zero, x) => x.neg(),
            _ => self.apply(other, BinaryOp::Sub),
        }
    }
    fn neg(&self) -> Result<Part> {
        Ok(match self {
            Part::T(t) => Part::T(t.unary(UnaryOp::Neg)?),
            Part::S(s) => Part::S(Scalar::Float(-s.to_f64())),
            Part::Zero => Part::Zero,
        })
    }
    /// The part as a tensor of `shape` and `dtype` on `device` (zeros materialised).
    fn tensor(self, shape: &[usize], dtype: DType, device: crate::storage::Device) -> Result<Tensor> {
        let t = match self {
            Part::T(t) => t.to_dtype(dtype)?,
            Part::S(s) => Tensor::full_on(&[], s, dtype, device)?,
            Part::Zero => Tensor::zeros_on(&[], dtype, device)?,
        };
        t.to_device_grad(device)?.expand(shape)
    }
}

/// The (real, imaginary) parts of an operand, the tensors first cast to `complex`'s parts.
fn operand_parts(o: Operand, complex: DType) -> Result<(Part, Part)> {
    Ok(match o {
        Operand::Scalar(s) => (Part::S(s), Part::Zero),
        Operand::Tensor(t) if t.dtype().is_complex() => {
            let (re, im) = t.to_dtype(complex)?.parts()?;
            (Part::T(re), Part::T(im.expect("complex")))
        }
        Operand::Tensor(t) => (Part::T(t.to_dtype(complex.to_real())?), Part::Zero),
    })
}

/// `re + i im` as one complex tensor of the broadcast `shape`.
fn assemble(re: Part, im: Part, shape: &[usize], complex: DType, device: crate::storage::Device) -> Result<Tensor> {
    let real = complex.to_real();
    let parts = [re.tensor(shape, real, device)?, im.tensor(shape, real, device)?];
    crate::ops::shape_ops::stack(&parts, -1)?.pairs_as_complex()
}

fn not_implemented(op: &str, dtype: DType) -> Error {
    Error::NotImplemented(format!("\"{op}\" not implemented for '{}'", dtype.scalar_name()))
}

/// A binary op with at least one complex operand.
pub(crate) fn complex_binary(op: BinaryOp, a: Operand, b: Operand) -> Result<Tensor> {
    use BinaryOp::*;
    let dt = promoted_dtype(a, b);
    let shape = broadcast_shapes(a.shape(), b.shape())?;
    let device = crate::tensor::common_device(&[a.tensor(), b.tensor()])?;
    let ((ar, ai), (br, bi)) = (operand_parts(a, dt)?, operand_parts(b, dt)?);
    let (re, im) = match op {
        Add => (ar.add(&br)?, ai.add(&bi)?),
        Sub => (ar.sub(&br)?, ai.sub(&bi)?),
        Mul => (ar.mul(&br)?.sub(&ai.mul(&bi)?)?, ar.mul(&bi)?.add(&ai.mul(&br)?)?),
        Div if matches!(bi, Part::Zero) => {
            // A real divisor divides each part: (1+i)/0 = inf+inf i, as in PyTorch.
            (ar.div(&br)?, ai.div(&br)?)
        }
        Div => {
            // Smith's algorithm: scale by the larger part of b so that |b|^2 never overflows or
            // underflows (1e30+1e30i over itself is 1, not nan).
            let (Part::T(brt), Part::T(bit)) = (&br, &bi) else { unreachable!("a complex tensor divisor") };
            let wide = brt.unary(UnaryOp::Abs)?.binary(&bit.unary(UnaryOp::Abs)?, Ge)?;
            // wide: r = bi/br, d = br + bi r; re = (ar + ai r)/d, im = (ai - ar r)/d
            // tall: r = br/bi, d = bi + br r; re = (ar r + ai)/d, im = (ai r - ar)/d
            let r1 = bi.div(&br)?;
            let d1 = br.add(&bi.mul(&r1)?)?;
            let re1 = ar.add(&ai.mul(&r1)?)?.div(&d1)?;
            let im1 = ai.sub(&ar.mul(&r1)?)?.div(&d1)?;
            let r2 = br.div(&bi)?;
            let d2 = bi.add(&br.mul(&r2)?)?;
            let re2 = ar.mul(&r2)?.add(&ai)?.div(&d2)?;
            let im2 = ai.mul(&r2)?.sub(&ar)?.div(&d2)?;
            let pick = |x: Part, y: Part| -> Result<Part> {
                let real = dt.to_real();
                let (x, y) = (x.tensor(&shape, real, device)?, y.tensor(&shape, real, device)?);
                Ok(Part::T(crate::autograd::formulas::index::where_(&wide, Operand::Tensor(&x), Operand::Tensor(&y))?))
            };
            (pick(re1, re2)?, pick(im1, im2)?)
        }
        Pow => {
            let base = assemble(ar, ai, &shape, dt, device)?;
            if let (Operand::Scalar(s), Part::Zero) = (b, &bi) {
                let n = s.to_f64();
                if n.fract() == 0.0 && n.abs() <= 1024.0 {
                    // Integer powers by repeated squaring: exact where PyTorch's are ((-1)^2 = 1)
                    // and with the gradient n z^(n-1) everywhere, zero included.
                    return integer_power(&base, n as i64, dt, device);
                }
            }
            // a ** b = exp(b log a) on the principal branch; a zero base gives 0 (1 for b = 0).
            let log_a = complex_unary(UnaryOp::Log, &base)?;
            let b_t = assemble(br, bi, &shape, dt, device)?;
            let general = complex_unary(UnaryOp::Exp, &log_a.binary(&b_t, Mul)?)?;
            let zero_base = base.binary_scalar(Scalar::Int(0), Eq)?;
            let zero_exp = b_t.binary_scalar(Scalar::Int(0), Eq)?;
            let at_zero = crate::ops::index::where_forward(&zero_exp, Operand::Scalar(Scalar::Float(1.0)), Operand::Scalar(Scalar::Float(0.0)))?;
            return crate::autograd::formulas::index::where_(&zero_base, Operand::Tensor(&at_zero), Operand::Tensor(&general));
        }
        Eq | Ne => {
            let real = dt.to_real();
            let same = |x: Part, y: Part| -> Result<Tensor> {
                binary(Eq, Operand::Tensor(&x.tensor(&shape, real, device)?), Operand::Tensor(&y.tensor(&shape, real, device)?))
            };
            let eq = same(ar, br)?.binary(&same(ai, bi)?, LogicalAnd)?;
            return if op == Eq { Ok(eq) } else { eq.unary(UnaryOp::LogicalNot) };
        }
        Maximum | Minimum => bail!(Type, "{} not implemented for complex tensors.", op.name()),
        _ => return Err(not_implemented(&format!("{}_cpu", op.name()), dt)),
    };
    assemble(re, im, &shape, dt, device)
}

/// `z ** n` for an integer n by repeated squaring (a reciprocal for negative n).
fn integer_power(z: &Tensor, n: i64, dt: DType, device: crate::storage::Device) -> Result<Tensor> {
    let mut result = Tensor::full_on(z.shape(), Scalar::Int(1), dt, device)?;
    let mut square = z.clone();
    let mut k = n.unsigned_abs();
    while k > 0 {
        if k & 1 == 1 {
            result = result.binary(&square, BinaryOp::Mul)?;
        }
        k >>= 1;
        if k > 0 {
            square = square.binary(&square, BinaryOp::Mul)?;
        }
    }
    if n < 0 { complex_unary(UnaryOp::Reciprocal, &result) } else { Ok(result) }
}

/// A unary op on a complex tensor.
pub(crate) fn complex_unary(op: UnaryOp, z: &Tensor) -> Result<Tensor> {
    use UnaryOp::*;
    let (dt, shape, device) = (z.dtype(), z.shape().to_vec(), z.device());
    let (x, y) = z.parts()?;
    let y = y.expect("complex");
    let build = |re: Tensor, im: Tensor| assemble(Part::T(re), Part::T(im), &shape, dt, device);
    match op {
        Neg => z.view_as_real()?.unary(Neg)?.pairs_as_complex(),
        Abs => complex_abs(z),
        Exp => {
            let m = x.unary(Exp)?;
            // A real argument keeps a zero imaginary part, even where exp overflows (inf * 0).
            let im = crate::autograd::formulas::index::where_(&y.binary_scalar(Scalar::Int(0), BinaryOp::Eq)?, Operand::Tensor(&y), Operand::Tensor(&m.mul(&y.unary(Sin)?)?))?;
            build(m.mul(&y.unary(Cos)?)?, im)
        }
        Log => build(x.binary(&y, BinaryOp::Hypot)?.unary(Log)?, y.binary(&x, BinaryOp::Atan2)?),
        Log2 | Log10 => {
            let base = if op == Log2 { std::f64::consts::LN_2 } else { std::f64::consts::LN_10 };
            complex_unary(Log, z)?.binary_scalar(Scalar::Float(base), BinaryOp::Div)
        }
        Log1p => inverse_trig::log1p(z),
        Asin | Acos | Atan | Asinh | Acosh | Atanh => inverse_trig::inverse_trig(op, z),
        Expm1 => complex_unary(Exp, z)?.binary_scalar(Scalar::Int(1), BinaryOp::Sub),
        Exp2 => complex_unary(Exp, &z.binary_scalar(Scalar::Float(std::f64::consts::LN_2), BinaryOp::Mul)?),
        Sqrt => {
            // The principal root without trigonometry, exact on the axes (sqrt(-4) = 2i):
            // t = sqrt((|x| + |z|) / 2); x >= 0: (t, y / 2t), else (|y| / 2t, t with y's sign).
            let t = x.unary(Abs)?.add(&x.binary(&y, BinaryOp::Hypot)?)?.binary_scalar(Scalar::Float(0.5), BinaryOp::Mul)?.unary(Sqrt)?;
            let t2 = t.binary_scalar(Scalar::Int(2), BinaryOp::Mul)?;
            let zero = t.binary_scalar(Scalar::Int(0), BinaryOp::Eq)?;
            let other = crate::autograd::formulas::index::where_(&zero, Operand::Scalar(Scalar::Float(0.0)), Operand::Tensor(&y.unary(Abs)?.div(&t2)?))?;
            let signed_t = crate::autograd::formulas::index::where_(&y.unary(SignBit)?, Operand::Tensor(&t.unary(Neg)?), Operand::Tensor(&t))?;
            let x_pos = x.binary_scalar(Scalar::Int(0), BinaryOp::Ge)?;
            let y_over = crate::autograd::formulas::index::where_(&zero, Operand::Tensor(&y), Operand::Tensor(&y.div(&t2)?))?;
            let w = |a: &Tensor, b: &Tensor| crate::autograd::formulas::index::where_(&x_pos, Operand::Tensor(a), Operand::Tensor(b));
            build(w(&t, &other)?, w(&y_over, &signed_t)?)
        }
        Rsqrt => complex_unary(Reciprocal, &complex_unary(Sqrt, z)?),
        Reciprocal => binary(BinaryOp::Div, Operand::Scalar(Scalar::Int(1)), Operand::Tensor(z)),
        Square => z.binary(z, BinaryOp::Mul),
        Sin => build(x.unary(Sin)?.mul(&y.unary(Cosh)?)?, x.unary(Cos)?.mul(&y.unary(Sinh)?)?),
        Cos => build(x.unary(Cos)?.mul(&y.unary(Cosh)?)?, x.unary(Sin)?.mul(&y.unary(Sinh)?)?.unary(Neg)?),
        Sinh => build(x.unary(Sinh)?.mul(&y.unary(Cos)?)?, x.unary(Cosh)?.mul(&y.unary(Sin)?)?),
        Cosh => build(x.unary(Cosh)?.mul(&y.unary(Cos)?)?, x.unary(Sinh)?.mul(&y.unary(Sin)?)?),
        Tan => {
            // tan(z) = -i tanh(i z), with i z = -y + i x.
            let iz = assemble(Part::T(y.unary(Neg)?), Part::T(x), &shape, dt, device)?;
            let (a, b) = complex_unary(Tanh, &iz)?.parts()?;
            build(b.expect("complex"), a.unary(Neg)?)
        }
        Tanh => {
            // With t = tanh(x), s = tan(y): (t (1 + s^2) + i s (1 - t^2)) / (1 + t^2 s^2), which
            // stays finite where sinh/cosh overflow (tanh(100) = 1).
            let (t, s) = (x.unary(Tanh)?, y.unary(Tan)?);
            let (tt, ss) = (t.mul(&t)?, s.mul(&s)?);
            let denom = tt.mul(&ss)?.binary_scalar(Scalar::Int(1), BinaryOp::Add)?;
            let re = t.mul(&ss.binary_scalar(Scalar::Int(1), BinaryOp::Add)?)?.div(&denom)?;
            let im = s.mul(&binary(BinaryOp::Sub, Operand::Scalar(Scalar::Int(1)), Operand::Tensor(&tt))?)?.div(&denom)?;
            build(re, im)
        }
        Sigmoid => {
            let e = complex_unary(Exp, &complex_unary(Neg, z)?)?.binary_scalar(Scalar::Int(1), BinaryOp::Add)?;
            complex_unary(Reciprocal, &e)
        }
        IsNan => x.unary(IsNan)?.binary(&y.unary(IsNan)?, BinaryOp::LogicalOr),
        IsInf => x.unary(IsInf)?.binary(&y.unary(IsInf)?, BinaryOp::LogicalOr),
        IsFinite => x.unary(IsFinite)?.binary(&y.unary(IsFinite)?, BinaryOp::LogicalAnd),
        // PyTorch's exception classes and texts for the ops it refuses on complex input.
        Sign => bail!(NotImplemented, "Unlike NumPy, torch.sign is not intended to support complex numbers. Please use torch.sgn instead."),
        Floor | Ceil | Trunc => bail!(NotImplemented, "{} is not supported for complex inputs", op.name()),
        Round => Err(not_implemented("round_vml_cpu", dt)),
        Relu => bail!(NotImplemented, "clamp is not supported for complex types"),
        SignBit => bail!(NotImplemented, "signbit is not implemented for complex tensors."),
        IsPosInf | IsNegInf => bail!(Type, "{} does not support complex inputs.", op.name()),
        _ => Err(not_implemented(&format!("{}_cpu", op.name()), dt)),
    }
}

/// `|z|`, whose gradient at 0 is 0 (PyTorch's sgn(0) = 0) rather than hypot's 0/0.
fn complex_abs(z: &Tensor) -> Result<Tensor> {
    let forward = || -> Result<Tensor> {
        let r = z.real_view_forward();
        let last = r.ndim() - 1;
        let (x, y) = (r.with_layout(r.layout().select(last, 0)), r.with_layout(r.layout().select(last, 1)));
        x.binary(&y, BinaryOp::Hypot)
    };
    let zc = z.detach();
    crate::autograd::formulas::record_custom("AbsBackward0", z, forward, move |g| {
        let m = complex_abs(&zc)?;
        let inv = crate::autograd::formulas::index::where_(&m.binary_scalar(Scalar::Int(0), BinaryOp::Eq)?, Operand::Scalar(Scalar::Float(0.0)), Operand::Tensor(&m.unary(UnaryOp::Reciprocal)?))?;
        zc.binary(&g.mul(&inv)?, BinaryOp::Mul)
    })
}

/// `matmul` of complex matrices: four real products.
pub(crate) fn complex_matmul(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let ((ar, ai), (br, bi)) = (a.parts()?, b.parts()?);
    let mm = |x: &Tensor, y: &Tensor| x.matmul(y);
    let (re, im) = match (ai, bi) {
        (Some(ai), Some(bi)) => (mm(&ar, &br)?.sub(&mm(&ai, &bi)?)?, mm(&ar, &bi)?.add(&mm(&ai, &br)?)?),
        (Some(ai), None) => (mm(&ar, &br)?, mm(&ai, &br)?),
        (None, Some(bi)) => (mm(&ar, &br)?, mm(&ar, &bi)?),
        (None, None) => unreachable!("one operand is complex"),
    };
    crate::ops::shape_ops::stack(&[re, im], -1)?.pairs_as_complex()
}

/// `sum`/`mean` of a complex tensor: the reduction of its real view over the same dims.
pub(crate) fn complex_reduce(z: &Tensor, dims: Option<&[i64]>, keepdim: bool, mean: bool) -> Result<Tensor> {
    let nd = z.ndim() as i64;
    if nd == 0 {
        if let Some(d) = dims {
            for &d in d {
                crate::shape::normalize_dim(d, 0)?;
            }
        }
        return Ok(z.clone());
    }
    let dims: Vec<i64> = match dims {
        Some(d) if !d.is_empty() => d.iter().map(|&d| crate::shape::normalize_dim(d, z.ndim()).map(|d| d as i64)).collect::<Result<_>>()?,
        _ => (0..nd).collect(),
    };
    let r = z.view_as_real()?;
    let out = if mean { r.mean(Some(&dims), keepdim, None)? } else { r.sum(Some(&dims), keepdim, None)? };
    out.pairs_as_complex()
}

/// `prod` of a complex tensor: the reduced dims flattened into one, then halved by pairwise
/// complex products (log2(n) steps, each an ordinary differentiable multiply).
pub(crate) fn complex_prod(z: &Tensor, dims: Option<&[i64]>, keepdim: bool) -> Result<Tensor> {
    let nd = z.ndim();
    let reduced: Vec<usize> = match dims {
        Some(d) if !d.is_empty() => d.iter().map(|&d| crate::shape::normalize_dim(d, nd.max(1))).collect::<Result<_>>()?,
        _ => (0..nd).collect(),
    };
    if nd == 0 {
        return Ok(z.clone());
    }
    let kept: Vec<usize> = (0..nd).filter(|d| !reduced.contains(d)).collect();
    let order: Vec<i64> = kept.iter().chain(&reduced).map(|&d| d as i64).collect();
    let mut rows: Vec<i64> = kept.iter().map(|&d| z.shape()[d] as i64).collect();
    rows.push(-1);
    let mut x = z.permute(&order)?.reshape(&rows)?;
    let last = x.ndim() as i64 - 1;
    while x.shape()[last as usize] != 1 {
        let n = x.shape()[last as usize];
        if n == 0 {
            // The empty product is 1.
            let mut shape = x.shape().to_vec();
            shape[last as usize] = 1;
            x = Tensor::full_on(&shape, Scalar::Int(1), z.dtype(), z.device())?;
            break;
        }
        let half = (n / 2) as i64;
        let paired = x.narrow(last, 0, half)?.binary(&x.narrow(last, half, half)?, BinaryOp::Mul)?;
        x = if n % 2 == 1 { crate::ops::shape_ops::cat(&[paired, x.narrow(last, n as i64 - 1, 1)?], last)? } else { paired };
    }
    let mut out_shape: Vec<i64> = z.shape().iter().map(|&s| s as i64).collect();
    if keepdim {
        for &d in &reduced {
            out_shape[d] = 1;
        }
    } else {
        out_shape = kept.iter().map(|&d| z.shape()[d] as i64).collect();
    }
    x.reshape(&out_shape)
}

/// Runs an op that only moves elements (`index_select`, `flip`, `cat`, advanced indexing, ...)
/// on a complex tensor as the same op on its real view, which carries the trailing dim of 2
/// along. The result is a new tensor, not a view.
/// The caller adjusts dim arguments (negative dims count from the end, which moved).
pub(crate) fn on_real_view(z: &Tensor, op: impl FnOnce(&Tensor) -> Result<Tensor>) -> Result<Tensor> {
    op(&z.view_as_real()?)?.pairs_as_complex()
}

/// A dim of `z` as a non-negative dim, which also addresses the same dim of its real view.
pub(crate) fn real_view_dim(z: &Tensor, dim: i64) -> Result<i64> {
    Ok(crate::shape::normalize_dim(dim, z.ndim())? as i64)
}

/// `torch.where(cond, x, y)` with a complex operand: both branches as complex tensors, selected
/// part by part.
pub(crate) fn complex_where(cond: &Tensor, x: Operand, y: Operand) -> Result<Tensor> {
    let dt = promoted_dtype(x, y);
    let complex = |o: Operand| -> Result<Tensor> {
        match o {
            Operand::Tensor(t) if t.dtype() == dt => Ok(t.clone()),
            Operand::Tensor(t) => t.to_dtype_copy(dt),
            Operand::Scalar(s) => Tensor::scalar(s, dt),
        }
    };
    let device = crate::tensor::common_device(&[Some(cond), x.tensor(), y.tensor()])?;
    let (tx, ty) = (complex(x)?.to_device(device)?, complex(y)?.to_device(device)?);
    let c = cond.to_device(device)?.unsqueeze_forward(-1)?;
    let (rx, ry) = (tx.real_view_forward(), ty.real_view_forward());
    crate::ops::index::where_forward(&c, Operand::Tensor(&rx), Operand::Tensor(&ry))?.complex_view_forward()
}

/// `isclose` of complex tensors: PyTorch's rule with the complex modulus.
pub(crate) fn complex_isclose(a: &Tensor, b: &Tensor, rtol: f64, atol: f64, equal_nan: bool) -> Result<Tensor> {
    let eq = a.binary(b, BinaryOp::Eq)?;
    let diff = a.binary(b, BinaryOp::Sub)?;
    let bound = b.unary(UnaryOp::Abs)?.binary_scalar(Scalar::Float(rtol), BinaryOp::Mul)?.binary_scalar(Scalar::Float(atol), BinaryOp::Add)?;
    let near = diff.unary(UnaryOp::Abs)?.binary(&bound, BinaryOp::Le)?.binary(&diff.unary(UnaryOp::IsFinite)?, BinaryOp::LogicalAnd)?;
    let close = eq.binary(&near, BinaryOp::LogicalOr)?;
    if !equal_nan {
        return Ok(close);
    }
    let both_nan = a.unary(UnaryOp::IsNan)?.binary(&b.unary(UnaryOp::IsNan)?, BinaryOp::LogicalAnd)?;
    close.binary(&both_nan, BinaryOp::LogicalOr)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complex(re: Vec<f32>, im: Vec<f32>) -> Tensor {
        let n = re.len();
        Tensor::complex_from_parts(&Tensor::from_vec(re, &[n]).unwrap(), &Tensor::from_vec(im, &[n]).unwrap()).unwrap()
    }

    fn parts(z: &Tensor) -> Vec<f32> {
        z.real_view_forward().to_vec::<f32>()
    }

    #[test]
    fn views_share_memory_and_round_trip() {
        let z = complex(vec![1.0, 2.0], vec![3.0, 4.0]);
        assert_eq!(z.dtype(), DType::C64);
        let r = z.view_as_real().unwrap();
        assert_eq!(r.shape(), &[2, 2]);
        assert_eq!(r.to_vec::<f32>(), vec![1.0, 3.0, 2.0, 4.0]);
        assert!(r.view_as_complex().unwrap().same_storage(&z));
        // A real view taken on a transposed complex tensor keeps the pairs together.
        let m = complex(vec![1.0, 2.0, 3.0, 4.0], vec![5.0, 6.0, 7.0, 8.0]).reshape(&[2, 2]).unwrap().t().unwrap();
        assert_eq!(parts(&m.contiguous().unwrap()), vec![1.0, 5.0, 3.0, 7.0, 2.0, 6.0, 4.0, 8.0]);
    }

    #[test]
    fn large_transposed_copies_keep_each_pair() {
        // big enough for the tiled copy, which complex64 takes as 8-byte elements
        let (rows, cols) = (70, 33);
        let re: Vec<f32> = (0..rows * cols).map(|i| i as f32).collect();
        let im: Vec<f32> = re.iter().map(|v| -v - 0.5).collect();
        let z = complex(re, im).reshape(&[rows as i64, cols as i64]).unwrap().t().unwrap();
        let got = parts(&z.contiguous().unwrap());
        let expected: Vec<f32> = (0..cols).flat_map(|c| (0..rows).map(move |r| (r * cols + c) as f32)).flat_map(|v| [v, -v - 0.5]).collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn arithmetic_with_complex_real_and_numbers() {
        let a = complex(vec![1.0, 0.0], vec![2.0, -1.0]);
        let b = complex(vec![3.0, 1.0], vec![-1.0, 1.0]);
        // (1+2i)(3-i) = 5+5i; (-i)(1+i) = 1-i
        assert_eq!(parts(&a.mul(&b).unwrap()), vec![5.0, 5.0, 1.0, -1.0]);
        // (5+5i)/(3-i) = 1+2i
        let q = a.mul(&b).unwrap().div(&b).unwrap();
        assert!(parts(&q).iter().zip([1.0, 2.0, 0.0, -1.0]).all(|(x, y)| (x - y).abs() < 1e-6));
        let x = Tensor::from_vec(vec![2.0f64, 4.0], &[2]).unwrap();
        let s = a.add(&x).unwrap();
        assert_eq!(s.dtype(), DType::C128, "complex64 + float64 is complex128");
        assert_eq!(s.real_view_forward().to_vec::<f64>(), vec![3.0, 2.0, 4.0, -1.0]);
        assert_eq!(parts(&a.binary_scalar(Scalar::Int(2), BinaryOp::Mul).unwrap()), vec![2.0, 4.0, 0.0, -2.0]);
    }

    #[test]
    fn unsupported_ops_are_errors_not_panics() {
        let a = complex(vec![1.0], vec![1.0]);
        assert!(matches!(a.binary(&a, BinaryOp::Lt), Err(Error::NotImplemented(_))));
        assert!(a.unary(UnaryOp::Floor).is_err());
        assert!(a.item().is_err());
    }

    fn assert_parts_near(z: &Tensor, expected: &[f32]) {
        let got = parts(&z.contiguous().unwrap());
        assert_eq!(got.len(), expected.len());
        for (g, e) in got.iter().zip(expected) {
            assert!((g - e).abs() < 1e-5, "{got:?} vs {expected:?}");
        }
    }

    #[test]
    fn inverse_trig_follows_c99_on_the_branch_cuts() {
        use std::f32::consts::FRAC_PI_2;
        let acosh2 = 1.316_958;
        let two = complex(vec![2.0], vec![0.0]);
        assert_parts_near(&two.unary(UnaryOp::Asin).unwrap(), &[FRAC_PI_2, acosh2]);
        assert_parts_near(&two.unary(UnaryOp::Acos).unwrap(), &[0.0, -acosh2]);
        assert_parts_near(&two.unary(UnaryOp::Atanh).unwrap(), &[0.549_306_1, FRAC_PI_2]);
        // The other side of the cut, selected by a negative zero imaginary part.
        let two_below = complex(vec![2.0], vec![-0.0]);
        assert_parts_near(&two_below.unary(UnaryOp::Asin).unwrap(), &[FRAC_PI_2, -acosh2]);
        assert_parts_near(&complex(vec![0.0], vec![2.0]).unary(UnaryOp::Asinh).unwrap(), &[acosh2, FRAC_PI_2]);
        assert_parts_near(&complex(vec![0.5], vec![0.0]).unary(UnaryOp::Acosh).unwrap(), &[0.0, 1.047_197_6]);
        // Tiny arguments keep their digits (log1p, not log(1 + z)).
        let tiny = parts(&complex(vec![1e-7], vec![2e-7]).unary(UnaryOp::Log1p).unwrap());
        assert!((tiny[0] / 1e-7 - 1.0).abs() < 1e-4 && (tiny[1] / 2e-7 - 1.0).abs() < 1e-4, "{tiny:?}");
    }

    #[test]
    fn cumprod_scans_complex_products() {
        let z = complex(vec![1.0, 2.0, 0.0], vec![1.0, 0.0, 1.0]);
        // (1+i), (1+i)2, (2+2i)i
        assert_parts_near(&complex_cumprod(&z, 0).unwrap(), &[1.0, 1.0, 2.0, 2.0, -2.0, 2.0]);
    }

    #[test]
    fn index_kernels_move_both_parts() {
        let z = complex(vec![0.0; 3], vec![0.0; 3]);
        let index = Tensor::from_vec(vec![2i64, 0], &[2]).unwrap();
        z.index_add_(0, &index, &complex(vec![1.0, 2.0], vec![-1.0, 3.0]), Scalar::Int(1)).unwrap();
        assert_parts_near(&z, &[2.0, 3.0, 0.0, 0.0, 1.0, -1.0]);
        let picked = z.take_forward(&Tensor::from_vec(vec![-1i64, 0], &[2]).unwrap()).unwrap();
        assert_parts_near(&picked, &[1.0, -1.0, 2.0, 3.0]);
    }
}
