//! Inverse trigonometric and hyperbolic functions of complex tensors, on the principal branches
//! of C99 (which PyTorch and numpy follow), including the side of a branch cut that a signed
//! zero imaginary part selects.
//!
//! asin, acos and acosh use Kahan's formulas ("Branch Cuts for Complex Elementary Functions",
//! 1987), built from two complex square roots and real atan2/asinh: they need no squares of the
//! argument, so they neither overflow for large |z| nor cancel near 0 or near the branch points.
//! atanh uses the log1p form of 0.5 log((1+z)/(1-z)); asinh and atan are asin and atanh of i z.
use super::{assemble, Part};
use crate::error::Result;
use crate::dtype::Scalar;
use crate::ops::binary::{binary, BinaryOp, Operand};
use crate::ops::unary::UnaryOp;
use crate::tensor::Tensor;

/// `op(z)` for `op` one of asin, acos, atan, asinh, acosh, atanh.
pub(super) fn inverse_trig(op: UnaryOp, z: &Tensor) -> Result<Tensor> {
    use UnaryOp::*;
    let (x, y) = real_imag(z)?;
    let (re, im) = match op {
        Asin => asin_parts(&x, &y)?,
        Acos => acos_parts(&x, &y)?,
        Acosh => acosh_parts(&x, &y)?,
        Atanh => atanh_parts(&x, &y)?,
        // asinh(z) = -i asin(i z) and atan(z) = -i atanh(i z), with i z = -y + i x:
        // if f(i z) = a + i b, the result is b - i a.
        Asinh | Atan => {
            let f = if op == Asinh { asin_parts } else { atanh_parts };
            let (a, b) = f(&y.unary(Neg)?, &x)?;
            (b, a.unary(Neg)?)
        }
        _ => unreachable!("not an inverse trigonometric op"),
    };
    assemble(Part::T(re), Part::T(im), z.shape(), z.dtype(), z.device())
}

fn real_imag(z: &Tensor) -> Result<(Tensor, Tensor)> {
    let (x, y) = z.parts()?;
    Ok((x, y.expect("a complex tensor")))
}

/// The parts of `sqrt(c + z)` (`sign` = 1) or `sqrt(c - z)` (`sign` = -1), z = x + i y, keeping
/// the sign of a zero imaginary part, which picks the side of sqrt's branch cut.
fn sqrt_of_shift(c: f64, sign: f64, x: &Tensor, y: &Tensor) -> Result<(Tensor, Tensor)> {
    let (re, im) = if sign > 0.0 { (x.add_s(c)?, y.clone()) } else { (x.rsub_s(c)?, y.unary(UnaryOp::Neg)?) };
    let w = assemble(Part::T(re), Part::T(im), x.shape(), x.dtype().to_complex().expect("a float part"), x.device())?;
    real_imag(&w.unary(UnaryOp::Sqrt)?)
}

/// Im(conj(a) b) for complex a = (ar, ai), b = (br, bi).
fn im_conj_product(ar: &Tensor, ai: &Tensor, br: &Tensor, bi: &Tensor) -> Result<Tensor> {
    ar.mul(bi)?.sub(&ai.mul(br)?)
}

fn atan2(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    a.binary(b, BinaryOp::Atan2)
}

/// asin(z) = atan2(x, Re(sqrt(1-z) sqrt(1+z))) + i asinh(Im(conj(sqrt(1-z)) sqrt(1+z))).
fn asin_parts(x: &Tensor, y: &Tensor) -> Result<(Tensor, Tensor)> {
    let (p1, q1) = sqrt_of_shift(1.0, 1.0, x, y)?;
    let (p2, q2) = sqrt_of_shift(1.0, -1.0, x, y)?;
    let re = atan2(x, &p1.mul(&p2)?.sub(&q1.mul(&q2)?)?)?;
    Ok((re, im_conj_product(&p2, &q2, &p1, &q1)?.unary(UnaryOp::Asinh)?))
}

/// acos(z) = 2 atan2(Re sqrt(1-z), Re sqrt(1+z)) + i asinh(Im(conj(sqrt(1+z)) sqrt(1-z))).
fn acos_parts(x: &Tensor, y: &Tensor) -> Result<(Tensor, Tensor)> {
    let (p1, q1) = sqrt_of_shift(1.0, 1.0, x, y)?;
    let (p2, q2) = sqrt_of_shift(1.0, -1.0, x, y)?;
    let re = atan2(&p2, &p1)?.mul_s(2.0)?;
    Ok((re, im_conj_product(&p1, &q1, &p2, &q2)?.unary(UnaryOp::Asinh)?))
}

/// acosh(z) = asinh(Re(conj(sqrt(z-1)) sqrt(z+1))) + 2i atan2(Im sqrt(z-1), Re sqrt(z+1)).
fn acosh_parts(x: &Tensor, y: &Tensor) -> Result<(Tensor, Tensor)> {
    let (p1, q1) = sqrt_of_shift(1.0, 1.0, x, y)?;
    let (p3, q3) = sqrt_of_shift(-1.0, 1.0, x, y)?;
    let re = p3.mul(&p1)?.add(&q3.mul(&q1)?)?.unary(UnaryOp::Asinh)?;
    Ok((re, atan2(&q3, &p1)?.mul_s(2.0)?))
}

/// atanh(z) = log1p(4x / ((1-x)^2 + y^2)) / 4 + i atan2(2y, (1-x)(1+x) - y^2) / 2: exact at
/// z = ±1 (infinite real part) and finite, with the right imaginary part, for large |z|.
fn atanh_parts(x: &Tensor, y: &Tensor) -> Result<(Tensor, Tensor)> {
    let one_minus = x.rsub_s(1.0)?;
    let yy = y.mul(y)?;
    let denom = one_minus.mul(&one_minus)?.add(&yy)?;
    let re = x.mul_s(4.0)?.div(&denom)?.unary(UnaryOp::Log1p)?.mul_s(0.25)?;
    let real_part_of_square = one_minus.mul(&x.add_s(1.0)?)?.sub(&yy)?;
    let im = atan2(&y.mul_s(2.0)?, &real_part_of_square)?.mul_s(0.5)?;
    Ok((re, im))
}

/// log1p(z) = log|1 + z| + i atan2(y, 1 + x), with log|1 + z| = log1p(2x + x^2 + y^2) / 2 for
/// small |z|, where log(1 + z) would round 1 + z and lose every digit of a tiny z.
pub(super) fn log1p(z: &Tensor) -> Result<Tensor> {
    let (x, y) = real_imag(z)?;
    let one_plus = x.add_s(1.0)?;
    let near_zero = binary(BinaryOp::Lt, Operand::Tensor(&x.binary(&y, BinaryOp::Hypot)?), Operand::Scalar(Scalar::Float(0.5)))?;
    let small = x.mul(&x.add_s(2.0)?)?.add(&y.mul(&y)?)?.unary(UnaryOp::Log1p)?.mul_s(0.5)?;
    let large = one_plus.binary(&y, BinaryOp::Hypot)?.unary(UnaryOp::Log)?;
    let re = crate::autograd::formulas::index::where_(&near_zero, Operand::Tensor(&small), Operand::Tensor(&large))?;
    assemble(Part::T(re), Part::T(atan2(&y, &one_plus)?), z.shape(), z.dtype(), z.device())
}
