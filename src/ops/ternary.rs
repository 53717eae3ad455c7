//! Ops with up to three operands that compose from binary/unary primitives or need a small
//! dedicated kernel: clamp, lerp, nan_to_num, isclose, equal.
use crate::backend::{cpu, gpu};
use crate::dtype::{DType, Element, Scalar};
use crate::error::Result;
use crate::ops::binary::{binary, promoted_dtype, BinaryOp, Operand};
use crate::shape::broadcast_shapes;
use crate::tensor::Tensor;
use crate::{bail, with_dtype};

impl Tensor {
    /// `clamp(min, max)`: NaN inputs stay NaN; when min > max every element becomes max.
    pub(crate) fn clamp_forward(&self, min: Option<Operand>, max: Option<Operand>) -> Result<Tensor> {
        if min.is_none() && max.is_none() {
            bail!(Runtime, "torch.clamp: At least one of 'min' or 'max' must not be None");
        }
        let mut r = self.clone();
        if let Some(lo) = min {
            r = binary(BinaryOp::Maximum, Operand::Tensor(&r), lo)?;
        }
        if let Some(hi) = max {
            r = binary(BinaryOp::Minimum, Operand::Tensor(&r), hi)?;
        }
        if r.same_storage(self) {
            r = r.deep_clone()?;
        }
        Ok(r)
    }

    /// `lerp(end, weight)` with PyTorch's two-sided formula (exact at weight 0 and 1).
    pub(crate) fn lerp_forward(&self, end: &Tensor, weight: Operand) -> Result<Tensor> {
        if end.dtype() != self.dtype() {
            bail!(Runtime, "expected dtype {} for `end` but got dtype {}", self.dtype().name(), end.dtype().name());
        }
        if let Operand::Tensor(w) = weight {
            if w.dtype() != self.dtype() {
                bail!(Runtime, "expected dtype {} for `weight` but got dtype {}", self.dtype().name(), w.dtype().name());
            }
        }
        if !self.dtype().is_float() {
            bail!(NotImplemented, "\"lerp_kernel_scalar\" not implemented for '{}'", self.dtype().scalar_name());
        }
        let w = match weight {
            Operand::Tensor(w) => w.clone(),
            Operand::Scalar(s) => Tensor::scalar(s, self.dtype())?,
        };
        let shape = broadcast_shapes(&broadcast_shapes(self.shape(), end.shape())?, w.shape())?;
        let device = crate::tensor::common_device(&[Some(self), Some(end), Some(&w)])?;
        let (a, b, w) = (self.expand(&shape)?, end.expand(&shape)?, w.to_device(device)?.expand(&shape)?);
        if device.is_gpu() {
            let [s, e, wt] = math_loads(self.dtype(), ["x0", "x1", "x2"]);
            let f = format!("select({e} - ({e} - {s}) * (1.0 - {wt}), {s} + {wt} * ({e} - {s}), abs({wt}) < 0.5)");
            return gpu::elementwise::map(&[&a, &b, &w], &shape, self.dtype(), &store(self.dtype(), &f));
        }
        with_dtype!(self.dtype(), T, {
            let f = |s: T, e: T, w: T| {
                let (s, e, w) = (s.to_f64(), e.to_f64(), w.to_f64());
                let d = e - s;
                T::from_f64(if w.abs() < 0.5 { s + w * d } else { e - d * (1.0 - w) })
            };
            Tensor::from_vec(cpu::map3::<T, T, T, T>(&a, &b, &w, f), &shape)
        })
    }

    /// `nan_to_num(nan=0, posinf=max, neginf=min)`; integer tensors are returned unchanged.
    pub(crate) fn nan_to_num_forward(&self, nan: f64, posinf: Option<f64>, neginf: Option<f64>) -> Result<Tensor> {
        if !self.dtype().is_float() {
            return self.deep_clone();
        }
        if self.device().is_gpu() {
            let (max, min) = finite_range(self.dtype());
            let (pi, ni) = (posinf.unwrap_or(max), neginf.unwrap_or(min));
            let [x] = math_loads(self.dtype(), ["x0"]);
            let m = if self.dtype() == DType::F64 { "f64" } else { "f32" };
            let (isnan, isinf) = nan_inf(m, &x);
            let f = format!("select(select(select({x}, {m}({ni:?}), ({isinf}) && {x} < 0.0), {m}({pi:?}), ({isinf}) && {x} > 0.0), {m}({nan:?}), {isnan})");
            return gpu::elementwise::map(&[self], self.shape(), self.dtype(), &store(self.dtype(), &f));
        }
        with_dtype!(self.dtype(), T, {
            let (max, min) = finite_range(self.dtype());
            let (pi, ni) = (posinf.unwrap_or(max), neginf.unwrap_or(min));
            let f = move |x: T| {
                let v = x.to_f64();
                if v.is_nan() {
                    T::from_f64(nan)
                } else if v == f64::INFINITY {
                    T::from_f64(pi)
                } else if v == f64::NEG_INFINITY {
                    T::from_f64(ni)
                } else {
                    x
                }
            };
            Tensor::from_vec(cpu::map1::<T, T>(self, f), self.shape())
        })
    }

    /// `isclose`: |a - b| <= atol + rtol * |b|, infinities equal only to themselves.
    pub fn isclose(&self, other: &Tensor, rtol: f64, atol: f64, equal_nan: bool) -> Result<Tensor> {
        if self.dtype() != other.dtype() {
            bail!(Runtime, "{} did not match {}", self.dtype().scalar_name(), other.dtype().scalar_name());
        }
        if rtol < 0.0 {
            bail!(Runtime, "rtol must be greater than or equal to zero, but got {}", rtol);
        }
        if atol < 0.0 {
            bail!(Runtime, "atol must be greater than or equal to zero, but got {}", atol);
        }
        if self.dtype().is_complex() {
            return crate::ops::complex::complex_isclose(self, other, rtol, atol, equal_nan);
        }
        let shape = broadcast_shapes(self.shape(), other.shape())?;
        let (a, b) = (self.expand(&shape)?, other.expand(&shape)?);
        if crate::tensor::common_device(&[Some(self), Some(other)])?.is_gpu() {
            let m = if self.dtype() == DType::F64 { "f64" } else { "f32" };
            let (x, y) = (format!("{m}(x0)"), format!("{m}(x1)"));
            let (nx, ix) = nan_inf(m, &x);
            let (ny, iy) = nan_inf(m, &y);
            let f = format!(
                "u32({x} == {y} || ({equal_nan} && {nx} && {ny}) || (!({nx} || {ny} || {ix} || {iy}) && abs({x} - {y}) <= {m}({atol:?}) + {m}({rtol:?}) * abs({y})))"
            );
            return gpu::elementwise::map(&[&a, &b], &shape, DType::Bool, &f);
        }
        with_dtype!(self.dtype(), T, {
            let f = move |x: T, y: T| {
                let (x, y) = (x.to_f64(), y.to_f64());
                if x == y {
                    return true;
                }
                if x.is_nan() || y.is_nan() {
                    return equal_nan && x.is_nan() && y.is_nan();
                }
                if x.is_infinite() || y.is_infinite() {
                    return false;
                }
                (x - y).abs() <= atol + rtol * y.abs()
            };
            Tensor::from_vec(cpu::map2::<T, T, bool>(&a, &b, f), &shape)
        })
    }

    /// `torch.equal`: same shape and the same values.
    pub fn equal(&self, other: &Tensor) -> Result<bool> {
        if self.shape() != other.shape() {
            return Ok(false);
        }
        let d = promoted_dtype(Operand::Tensor(self), Operand::Tensor(other));
        let eq = self.to_dtype(d)?.binary(&other.to_dtype(d)?, BinaryOp::Eq)?;
        Ok(eq.to_vec::<bool>().iter().all(|&x| x))
    }
}

/// Operand loads in the type float ops compute in on the GPU (f16 computes in f32).
fn math_loads<const N: usize>(dt: DType, names: [&str; N]) -> [String; N] {
    names.map(|n| if dt == DType::F16 { format!("f32({n})") } else { n.to_string() })
}

/// A float result stored as `dt` (f16 rounds from f32).
fn store(dt: DType, e: &str) -> String {
    if dt == DType::F16 { format!("f16({e})") } else { e.to_string() }
}

/// WGSL tests for NaN and infinity of a value of type `m` (f32 or f64).
fn nan_inf(m: &str, v: &str) -> (String, String) {
    if m == "f32" {
        (format!("is_nan_f32({v})"), format!("is_inf_f32({v})"))
    } else {
        (format!("(!({v} == {v}))"), format!("(abs({v}) > 1.7976931348623157e308)"))
    }
}

/// The largest and smallest finite values of a float dtype (nan_to_num's defaults).
pub fn finite_range(d: DType) -> (f64, f64) {
    let max = match d {
        DType::F16 => half::f16::MAX.to_f64(),
        DType::BF16 => half::bf16::MAX.to_f64(),
        DType::F32 => f32::MAX as f64,
        _ => f64::MAX,
    };
    (max, -max)
}

/// A Python-number operand as a Scalar (for callers that hold an Option<Scalar>).
pub fn scalar_operand<'a>(s: Option<Scalar>) -> Option<Operand<'a>> {
    s.map(Operand::Scalar)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamp_and_lerp() {
        let a = Tensor::from_vec(vec![-2.0f32, 0.5, f32::NAN, 4.0], &[4]).unwrap();
        let c = a.clamp(Some(Operand::Scalar(Scalar::Int(0))), Some(Operand::Scalar(Scalar::Int(1)))).unwrap();
        let v = c.to_vec::<f32>();
        assert_eq!((v[0], v[1], v[3]), (0.0, 0.5, 1.0));
        assert!(v[2].is_nan());
        let z = Tensor::zeros(&[4], DType::F32).unwrap();
        let l = z.lerp(&Tensor::full(&[4], Scalar::Float(10.0), DType::F32).unwrap(), Operand::Scalar(Scalar::Float(0.25))).unwrap();
        assert_eq!(l.to_vec::<f32>(), vec![2.5; 4]);
    }
}
