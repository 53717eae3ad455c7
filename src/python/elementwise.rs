//! Operators and named elementwise methods. Operators are Rust methods (not Python wrappers)
//! because per-call overhead on small tensors is part of the product.
use crate::dtype::Scalar;
use crate::ops::binary::{binary, BinaryOp, Operand};
use crate::ops::unary::UnaryOp;
use crate::python::args::{self, OperandArg};
use crate::python::tensor::{PyResultT, PyTensor};
use crate::tensor::Tensor;
use pyo3::prelude::*;
use pyo3::exceptions::PyRuntimeError;

impl PyTensor {
    /// `self op other`, or None when `other` is not a tensor, number or numpy array.
    fn bin(&self, other: &Bound<PyAny>, op: BinaryOp) -> PyResult<Option<PyTensor>> {
        let o = match args::operand_for(other, &self.t)? {
            Some(o) => o,
            // PyTorch reads an ndarray on the right as a tensor (`t + np.ones(2)` is float64).
            None if is_ndarray(other) => OperandArg::Tensor(crate::python::convert::tensor_from_data(other, None)?),
            None => return Ok(None),
        };
        Ok(Some(PyTensor::new(binary(op, Operand::Tensor(&self.t), o.as_operand())?)))
    }
    /// The operator protocol's result: the tensor, or NotImplemented so that Python tries
    /// the other operand's reflected method and then raises TypeError.
    fn operator(&self, other: &Bound<PyAny>, op: BinaryOp) -> PyResult<PyObject> {
        or_not_implemented(other.py(), self.bin(other, op)?)
    }
    /// `other op self` (an ndarray on the left is not converted: PyTorch raises TypeError).
    fn roperator(&self, other: &Bound<PyAny>, op: BinaryOp) -> PyResult<PyObject> {
        let r = match args::operand_for(other, &self.t)? {
            Some(o) => Some(PyTensor::new(binary(op, o.as_operand(), Operand::Tensor(&self.t))?)),
            None => None,
        };
        or_not_implemented(other.py(), r)
    }
    /// Named method form: the argument must be a tensor or a number.
    fn named(&self, other: &Bound<PyAny>, op: BinaryOp) -> PyResultT {
        let o = args::require_operand_for(other, op.name(), "other", &self.t)?;
        Ok(PyTensor::new(binary(op, Operand::Tensor(&self.t), o.as_operand())?))
    }
    /// In-place form: compute, then write back with PyTorch's cast check.
    fn inplace<'py>(slf: Bound<'py, Self>, other: &Bound<PyAny>, op: BinaryOp) -> PyResult<Bound<'py, Self>> {
        let o = args::require_operand_for(other, op.name(), "other", &slf.borrow().t)?;
        PyTensor::apply_inplace(slf, op, &o)
    }
    /// `self op= o`: one pass into self on the GPU when autograd records nothing and no cast
    /// is needed, else out of place and committed (history, cast check, saved aliases).
    fn apply_inplace<'py>(slf: Bound<'py, Self>, op: BinaryOp, o: &OperandArg) -> PyResult<Bound<'py, Self>> {
        let t = slf.borrow().t.clone();
        if !crate::ops::binary::binary_in_place_gpu(&t, op, o.as_operand())? {
            let r = binary(op, Operand::Tensor(&t), o.as_operand())?;
            crate::autograd::inplace::commit(&mut slf.borrow_mut().t, &r)?;
        }
        Ok(slf)
    }
    /// `other * alpha` for add/sub's `alpha=` keyword, after PyTorch's checks of alpha against
    /// the result dtype of `this` and `other`.
    fn scaled(this: &Tensor, other: &Bound<PyAny>, alpha: Option<&Bound<PyAny>>, fname: &str) -> PyResult<OperandArg> {
        let o = args::require_operand_for(other, fname, "other", this)?;
        let Some(a) = alpha else { return Ok(o) };
        if fname == "sub" {
            // Before scaling turns a bool `other` into the result dtype.
            crate::ops::binary::check_sub_operands(&Operand::Tensor(this), &o.as_operand())?;
        }
        let result = crate::ops::binary::promoted_dtype(Operand::Tensor(this), o.as_operand());
        if args::complex_scalar(a).is_some() {
            if !result.is_complex() {
                return Err(pyo3::exceptions::PyRuntimeError::new_err("For non-complex input tensors, argument alpha must not be a complex number."));
            }
            let alpha = args::complex_value(a, Some(result))?.expect("a complex number");
            let other = match o {
                OperandArg::Tensor(t) => t,
                OperandArg::Scalar(s) => crate::tensor::Tensor::scalar(s, s.default_dtype())?,
            };
            return Ok(OperandArg::Tensor(binary(BinaryOp::Mul, Operand::Tensor(&other), Operand::Tensor(&alpha))?));
        }
        let a = args::require_scalar(a, "alpha")?;
        check_alpha(result, a)?;
        if a == Scalar::Int(1) {
            return Ok(o);
        }
        Ok(match o {
            // Scaled in the result dtype: `other` alone might be too narrow (uint8 * 200).
            OperandArg::Tensor(t) => OperandArg::Tensor(t.to_dtype(result)?.binary_scalar(a, BinaryOp::Mul)?),
            OperandArg::Scalar(s) => OperandArg::Tensor(
                crate::tensor::Tensor::scalar(s, s.default_dtype())?.binary_scalar(a, BinaryOp::Mul)?,
            ),
        })
    }
}

fn is_ndarray(obj: &Bound<PyAny>) -> bool {
    let ty = obj.get_type();
    ty.name().is_ok_and(|n| n == "ndarray") && ty.module().is_ok_and(|m| m == "numpy")
}

fn or_not_implemented(py: Python<'_>, r: Option<PyTensor>) -> PyResult<PyObject> {
    Ok(match r {
        Some(t) => t.into_pyobject(py)?.into_any().unbind(),
        None => py.NotImplemented(),
    })
}

/// PyTorch's `alpha_check`: a float alpha needs a floating result, a bool alpha a bool one.
fn check_alpha(result: crate::dtype::DType, alpha: Scalar) -> PyResult<()> {
    if matches!(alpha, Scalar::Bool(_)) && result != crate::dtype::DType::Bool {
        return Err(pyo3::exceptions::PyRuntimeError::new_err("Boolean alpha only supported for Boolean results."));
    }
    if matches!(alpha, Scalar::Float(_)) && !(result.is_float() || result.is_complex()) {
        return Err(pyo3::exceptions::PyRuntimeError::new_err(
            "For integral input tensors, argument alpha must not be a floating point number.",
        ));
    }
    Ok(())
}

/// Generates the operator dunders for ops whose Python operator maps to one BinaryOp.
macro_rules! operators {
    ($($op:ident => $fwd:ident, $rev:ident, $inp:ident;)*) => {
        #[pymethods]
        impl PyTensor {
            $(
                fn $fwd(&self, other: &Bound<PyAny>) -> PyResult<PyObject> { self.operator(other, BinaryOp::$op) }
                fn $rev(&self, other: &Bound<PyAny>) -> PyResult<PyObject> { self.roperator(other, BinaryOp::$op) }
                fn $inp(slf: Bound<'_, Self>, other: &Bound<PyAny>) -> PyResult<()> { PyTensor::inplace(slf, other, BinaryOp::$op).map(|_| ()) }
            )*
        }
    };
}
operators! {
    Add => __add__, __radd__, __iadd__;
    Sub => __sub__, __rsub__, __isub__;
    Mul => __mul__, __rmul__, __imul__;
    Div => __truediv__, __rtruediv__, __itruediv__;
    FloorDiv => __floordiv__, __rfloordiv__, __ifloordiv__;
    Remainder => __mod__, __rmod__, __imod__;
    BitAnd => __and__, __rand__, __iand__;
    BitOr => __or__, __ror__, __ior__;
    BitXor => __xor__, __rxor__, __ixor__;
}

/// Named methods `name(other)` and in-place `name_(other)`.
macro_rules! named_ops {
    ($($op:ident => $name:ident, $inp:ident;)*) => {
        #[pymethods]
        impl PyTensor {
            $(
                fn $name(&self, other: &Bound<PyAny>) -> PyResultT { self.named(other, BinaryOp::$op) }
                fn $inp<'py>(slf: Bound<'py, Self>, other: &Bound<PyAny>) -> PyResult<Bound<'py, Self>> { PyTensor::inplace(slf, other, BinaryOp::$op) }
            )*
        }
    };
}
named_ops! {
    Mul => mul, mul_;
    Mul => multiply, multiply_;
    FloorDiv => floor_divide, floor_divide_;
    Remainder => remainder, remainder_;
    Fmod => fmod, fmod_;
    Atan2 => atan2, atan2_;
    Atan2 => arctan2, arctan2_;
    Hypot => hypot, hypot_;
    BitAnd => bitwise_and, bitwise_and_;
    BitOr => bitwise_or, bitwise_or_;
    BitXor => bitwise_xor, bitwise_xor_;
    LogicalAnd => logical_and, logical_and_;
    LogicalOr => logical_or, logical_or_;
    LogicalXor => logical_xor, logical_xor_;
    Eq => eq, eq_;
    Ne => ne, ne_;
    Ne => not_equal, not_equal_;
    Lt => lt, lt_;
    Lt => less, less_;
    Le => le, le_;
    Le => less_equal, less_equal_;
    Gt => gt, gt_;
    Gt => greater, greater_;
    Ge => ge, ge_;
    Ge => greater_equal, greater_equal_;
}

#[pymethods]
impl PyTensor {
    fn maximum(&self, other: &Bound<PyAny>) -> PyResultT {
        let o = args::tensor(other, "maximum", "other")?;
        Ok(PyTensor::new(self.t.binary(&o, BinaryOp::Maximum)?))
    }
    fn minimum(&self, other: &Bound<PyAny>) -> PyResultT {
        let o = args::tensor(other, "minimum", "other")?;
        Ok(PyTensor::new(self.t.binary(&o, BinaryOp::Minimum)?))
    }
    // Comparisons: Python's rich comparison protocol. `==` with a non-tensor is False, as in PyTorch.
    fn __eq__(&self, other: &Bound<PyAny>) -> PyResult<PyObject> {
        let py = other.py();
        Ok(match self.bin(other, BinaryOp::Eq)? {
            Some(t) => t.into_pyobject(py)?.into_any().unbind(),
            None => false.into_pyobject(py)?.to_owned().into_any().unbind(),
        })
    }
    fn __ne__(&self, other: &Bound<PyAny>) -> PyResult<PyObject> {
        let py = other.py();
        Ok(match self.bin(other, BinaryOp::Ne)? {
            Some(t) => t.into_pyobject(py)?.into_any().unbind(),
            None => true.into_pyobject(py)?.to_owned().into_any().unbind(),
        })
    }
    fn __lt__(&self, other: &Bound<PyAny>) -> PyResult<PyObject> {
        self.operator(other, BinaryOp::Lt)
    }
    fn __le__(&self, other: &Bound<PyAny>) -> PyResult<PyObject> {
        self.operator(other, BinaryOp::Le)
    }
    fn __gt__(&self, other: &Bound<PyAny>) -> PyResult<PyObject> {
        self.operator(other, BinaryOp::Gt)
    }
    fn __ge__(&self, other: &Bound<PyAny>) -> PyResult<PyObject> {
        self.operator(other, BinaryOp::Ge)
    }
    fn __pow__(&self, other: &Bound<PyAny>, modulo: Option<&Bound<PyAny>>) -> PyResult<PyObject> {
        let _ = modulo;
        self.operator(other, BinaryOp::Pow)
    }
    fn __rpow__(&self, other: &Bound<PyAny>, modulo: Option<&Bound<PyAny>>) -> PyResult<PyObject> {
        let _ = modulo;
        self.roperator(other, BinaryOp::Pow)
    }
    fn __ipow__(slf: Bound<'_, Self>, other: &Bound<PyAny>, modulo: Option<&Bound<PyAny>>) -> PyResult<()> {
        let _ = modulo;
        PyTensor::inplace(slf, other, BinaryOp::Pow).map(|_| ())
    }
    fn __matmul__(&self, other: &Bound<PyAny>) -> PyResult<PyObject> {
        let r = match other.downcast::<PyTensor>() {
            Ok(o) => Some(PyTensor::new(self.t.matmul(&o.borrow().t)?)),
            Err(_) => None,
        };
        or_not_implemented(other.py(), r)
    }
    fn __rmatmul__(&self, other: &Bound<PyAny>) -> PyResult<PyObject> {
        let r = match other.downcast::<PyTensor>() {
            Ok(o) => Some(PyTensor::new(o.borrow().t.matmul(&self.t)?)),
            Err(_) => None,
        };
        or_not_implemented(other.py(), r)
    }
    fn pow(&self, exponent: &Bound<PyAny>) -> PyResultT {
        self.named(exponent, BinaryOp::Pow)
    }
    fn pow_<'py>(slf: Bound<'py, Self>, exponent: &Bound<PyAny>) -> PyResult<Bound<'py, Self>> {
        PyTensor::inplace(slf, exponent, BinaryOp::Pow)
    }
    fn float_power(&self, exponent: &Bound<PyAny>) -> PyResultT {
        // Double precision: float64, or complex128 when either side is complex.
        let complex = self.t.dtype().is_complex() || args::complex_scalar(exponent).is_some()
            || exponent.downcast::<PyTensor>().is_ok_and(|e| e.borrow().t.dtype().is_complex());
        let wide = if complex { crate::dtype::DType::C128 } else { crate::dtype::DType::F64 };
        let base = self.t.to_dtype(wide)?;
        let o = args::require_operand(exponent, "float_power", "exponent")?;
        let o = match o {
            OperandArg::Tensor(t) => OperandArg::Tensor(t.to_dtype(wide)?),
            s => s,
        };
        Ok(PyTensor::new(binary(BinaryOp::Pow, Operand::Tensor(&base), o.as_operand())?))
    }
    #[pyo3(signature = (other, *, alpha=None))]
    fn add(&self, other: &Bound<PyAny>, alpha: Option<&Bound<PyAny>>) -> PyResultT {
        let o = PyTensor::scaled(&self.t, other, alpha, "add")?;
        Ok(PyTensor::new(binary(BinaryOp::Add, Operand::Tensor(&self.t), o.as_operand())?))
    }
    #[pyo3(signature = (other, *, alpha=None))]
    fn add_<'py>(slf: Bound<'py, Self>, other: &Bound<PyAny>, alpha: Option<&Bound<PyAny>>) -> PyResult<Bound<'py, Self>> {
        let o = PyTensor::scaled(&slf.borrow().t, other, alpha, "add")?;
        PyTensor::apply_inplace(slf, BinaryOp::Add, &o)
    }
    #[pyo3(signature = (other, *, alpha=None))]
    fn sub(&self, other: &Bound<PyAny>, alpha: Option<&Bound<PyAny>>) -> PyResultT {
        let o = PyTensor::scaled(&self.t, other, alpha, "sub")?;
        Ok(PyTensor::new(binary(BinaryOp::Sub, Operand::Tensor(&self.t), o.as_operand())?))
    }
    #[pyo3(signature = (other, *, alpha=None))]
    fn subtract(&self, other: &Bound<PyAny>, alpha: Option<&Bound<PyAny>>) -> PyResultT {
        self.sub(other, alpha)
    }
    #[pyo3(signature = (other, *, alpha=None))]
    fn sub_<'py>(slf: Bound<'py, Self>, other: &Bound<PyAny>, alpha: Option<&Bound<PyAny>>) -> PyResult<Bound<'py, Self>> {
        let o = PyTensor::scaled(&slf.borrow().t, other, alpha, "sub")?;
        PyTensor::apply_inplace(slf, BinaryOp::Sub, &o)
    }
    #[pyo3(signature = (other, *, alpha=None))]
    fn rsub(&self, other: &Bound<PyAny>, alpha: Option<&Bound<PyAny>>) -> PyResultT {
        let scaled = PyTensor::new(match alpha {
            None => self.t.clone(),
            Some(a) => {
                let a = args::require_scalar(a, "alpha")?;
                let o = args::require_operand(other, "rsub", "other")?;
                let result = crate::ops::binary::promoted_dtype(Operand::Tensor(&self.t), o.as_operand());
                check_alpha(result, a)?;
                self.t.to_dtype(result)?.binary_scalar(a, BinaryOp::Mul)?
            }
        });
        let o = args::require_operand(other, "rsub", "other")?;
        Ok(PyTensor::new(binary(BinaryOp::Sub, o.as_operand(), Operand::Tensor(&scaled.t))?))
    }
    #[pyo3(signature = (other, *, rounding_mode=None))]
    fn div(&self, other: &Bound<PyAny>, rounding_mode: Option<&str>) -> PyResultT {
        match rounding_mode {
            None => self.named(other, BinaryOp::Div),
            Some("floor") => self.named(other, BinaryOp::FloorDiv),
            Some("trunc") => {
                let q = self.named(other, BinaryOp::Div)?;
                let o = args::require_operand(other, "div", "other")?;
                let promoted = crate::ops::binary::promoted_dtype(Operand::Tensor(&self.t), o.as_operand());
                if promoted.is_float() {
                    return Ok(PyTensor::new(q.t.unary(crate::ops::unary::UnaryOp::Trunc)?));
                }
                // Integer inputs keep an integer result; fmod raises ZeroDivisionError for 0.
                self.named(other, BinaryOp::Fmod)?;
                let wide = self.t.to_dtype(crate::dtype::DType::F64)?;
                let q = binary(BinaryOp::Div, Operand::Tensor(&wide), o.as_operand())?;
                Ok(PyTensor::new(q.unary(crate::ops::unary::UnaryOp::Trunc)?.to_dtype(promoted)?))
            }
            Some(m) => Err(PyRuntimeError::new_err(format!(
                "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{m}'"
            ))),
        }
    }
    #[pyo3(signature = (other, *, rounding_mode=None))]
    fn divide(&self, other: &Bound<PyAny>, rounding_mode: Option<&str>) -> PyResultT {
        self.div(other, rounding_mode)
    }
    fn true_divide(&self, other: &Bound<PyAny>) -> PyResultT {
        self.named(other, BinaryOp::Div)
    }
    #[pyo3(signature = (other, *, rounding_mode=None))]
    fn div_<'py>(slf: Bound<'py, Self>, other: &Bound<PyAny>, rounding_mode: Option<&str>) -> PyResult<Bound<'py, Self>> {
        let r = slf.borrow().div(other, rounding_mode)?;
        crate::autograd::inplace::commit(&mut slf.borrow_mut().t, &r.t)?;
        Ok(slf)
    }
    /// Replaces this tensor's data and metadata with another's (used for `out=`).
    fn _set_from(&mut self, other: PyRef<PyTensor>) {
        self.t = other.t.clone();
    }
}

/// Unary methods `name()` and in-place `name_()`, one line per op (aliases included).
macro_rules! unary_ops {
    ($($op:ident => $name:ident, $inp:ident;)*) => {
        #[pymethods]
        impl PyTensor {
            $(
                fn $name(&self) -> PyResultT { Ok(PyTensor::new(self.t.unary(UnaryOp::$op)?)) }
                fn $inp<'py>(slf: Bound<'py, Self>) -> PyResult<Bound<'py, Self>> {
                    if UnaryOp::$op == UnaryOp::Abs && slf.borrow().t.dtype().is_complex() {
                        // |z| is real: it cannot be written back into z.
                        return Err(pyo3::exceptions::PyRuntimeError::new_err("In-place abs is not supported for complex tensors."));
                    }
                    let r = slf.borrow().t.unary(UnaryOp::$op)?;
                    crate::autograd::inplace::commit(&mut slf.borrow_mut().t, &r)?;
                    Ok(slf)
                }
            )*
        }
    };
}
unary_ops! {
    Exp => exp, exp_; Exp2 => exp2, exp2_; Expm1 => expm1, expm1_; Log => log, log_;
    Log2 => log2, log2_; Log10 => log10, log10_; Log1p => log1p, log1p_; Sqrt => sqrt, sqrt_;
    Rsqrt => rsqrt, rsqrt_; Sin => sin, sin_; Cos => cos, cos_; Tan => tan, tan_;
    Asin => asin, asin_; Asin => arcsin, arcsin_; Acos => acos, acos_; Acos => arccos, arccos_;
    Atan => atan, atan_; Atan => arctan, arctan_; Sinh => sinh, sinh_; Cosh => cosh, cosh_;
    Tanh => tanh, tanh_; Asinh => asinh, asinh_; Asinh => arcsinh, arcsinh_; Acosh => acosh, acosh_;
    Acosh => arccosh, arccosh_; Atanh => atanh, atanh_; Atanh => arctanh, arctanh_;
    Sigmoid => sigmoid, sigmoid_; Erf => erf, erf_; Erfc => erfc, erfc_; Erfinv => erfinv, erfinv_;
    Reciprocal => reciprocal, reciprocal_; Neg => neg, neg_; Neg => negative, negative_;
    Abs => abs, abs_; Abs => absolute, absolute_; Sign => sign, sign_; Floor => floor, floor_;
    Ceil => ceil, ceil_; Trunc => trunc, trunc_; Trunc => fix, fix_; Frac => frac, frac_;
    Relu => relu, relu_; Square => square, square_; BitNot => bitwise_not, bitwise_not_;
    LogicalNot => logical_not, logical_not_;
}

/// Predicates return bool tensors and have no in-place form.
macro_rules! predicates {
    ($($op:ident => $name:ident;)*) => {
        #[pymethods]
        impl PyTensor {
            $( fn $name(&self) -> PyResultT { Ok(PyTensor::new(self.t.unary(UnaryOp::$op)?)) } )*
        }
    };
}
predicates! {
    IsNan => isnan; IsInf => isinf; IsFinite => isfinite; IsPosInf => isposinf;
    IsNegInf => isneginf; SignBit => signbit;
}

/// `clamp`'s bounds: numbers, tensors, or None.
fn bound(obj: Option<&Bound<PyAny>>, what: &str) -> PyResult<Option<OperandArg>> {
    match obj {
        None => Ok(None),
        Some(o) if o.is_none() => Ok(None),
        Some(o) => Ok(Some(args::require_operand(o, "clamp", what)?)),
    }
}

#[pymethods]
impl PyTensor {
    fn __neg__(&self) -> PyResultT {
        Ok(PyTensor::new(self.t.unary(UnaryOp::Neg)?))
    }
    fn __pos__(&self) -> PyTensor {
        PyTensor::new(self.t.clone())
    }
    fn __abs__(&self) -> PyResultT {
        Ok(PyTensor::new(self.t.unary(UnaryOp::Abs)?))
    }
    fn __invert__(&self) -> PyResultT {
        if self.t.dtype().is_float() {
            return Err(pyo3::exceptions::PyTypeError::new_err("~ (operator.invert) is only implemented on integer and Boolean-type tensors"));
        }
        Ok(PyTensor::new(self.t.unary(UnaryOp::BitNot)?))
    }
    #[pyo3(signature = (decimals=0))]
    fn round(&self, decimals: i64) -> PyResultT {
        if decimals == 0 {
            return Ok(PyTensor::new(self.t.unary(UnaryOp::Round)?));
        }
        if !self.t.dtype().is_float() {
            return Err(pyo3::exceptions::PyNotImplementedError::new_err(format!(
                "\"round_cpu\" not implemented for '{}'", self.t.dtype().scalar_name()
            )));
        }
        // PyTorch scales by 10^decimals, rounds half to even, and scales back.
        let scale = 10f64.powi(decimals.unsigned_abs().min(400) as i32);
        let (mul, div) = if decimals > 0 { (BinaryOp::Mul, BinaryOp::Div) } else { (BinaryOp::Div, BinaryOp::Mul) };
        let scaled = self.t.binary_scalar(Scalar::Float(scale), mul)?;
        Ok(PyTensor::new(scaled.unary(UnaryOp::Round)?.binary_scalar(Scalar::Float(scale), div)?))
    }
    #[pyo3(signature = (decimals=0))]
    fn round_<'py>(slf: Bound<'py, Self>, decimals: i64) -> PyResult<Bound<'py, Self>> {
        let r = slf.borrow().round(decimals)?;
        crate::autograd::inplace::commit(&mut slf.borrow_mut().t, &r.t)?;
        Ok(slf)
    }
    #[pyo3(signature = (min=None, max=None))]
    fn clamp(&self, min: Option<&Bound<PyAny>>, max: Option<&Bound<PyAny>>) -> PyResultT {
        let (lo, hi) = (bound(min, "min")?, bound(max, "max")?);
        Ok(PyTensor::new(self.t.clamp(lo.as_ref().map(|o| o.as_operand()), hi.as_ref().map(|o| o.as_operand()))?))
    }
    #[pyo3(signature = (min=None, max=None))]
    fn clip(&self, min: Option<&Bound<PyAny>>, max: Option<&Bound<PyAny>>) -> PyResultT {
        self.clamp(min, max)
    }
    #[pyo3(signature = (min=None, max=None))]
    fn clamp_<'py>(slf: Bound<'py, Self>, min: Option<&Bound<PyAny>>, max: Option<&Bound<PyAny>>) -> PyResult<Bound<'py, Self>> {
        let r = slf.borrow().clamp(min, max)?;
        crate::autograd::inplace::commit(&mut slf.borrow_mut().t, &r.t)?;
        Ok(slf)
    }
    #[pyo3(signature = (min=None, max=None))]
    fn clip_<'py>(slf: Bound<'py, Self>, min: Option<&Bound<PyAny>>, max: Option<&Bound<PyAny>>) -> PyResult<Bound<'py, Self>> {
        PyTensor::clamp_(slf, min, max)
    }
    #[pyo3(signature = (min))]
    fn clamp_min(&self, min: &Bound<PyAny>) -> PyResultT {
        self.clamp(Some(min), None)
    }
    #[pyo3(signature = (max))]
    fn clamp_max(&self, max: &Bound<PyAny>) -> PyResultT {
        self.clamp(None, Some(max))
    }
    fn lerp(&self, end: &Bound<PyAny>, weight: &Bound<PyAny>) -> PyResultT {
        let end = args::tensor(end, "lerp", "end")?;
        let w = args::require_operand_for(weight, "lerp", "weight", &self.t)?;
        Ok(PyTensor::new(self.t.lerp(&end, w.as_operand())?))
    }
    fn lerp_<'py>(slf: Bound<'py, Self>, end: &Bound<PyAny>, weight: &Bound<PyAny>) -> PyResult<Bound<'py, Self>> {
        let r = slf.borrow().lerp(end, weight)?;
        crate::autograd::inplace::commit(&mut slf.borrow_mut().t, &r.t)?;
        Ok(slf)
    }
    #[pyo3(signature = (nan=0.0, posinf=None, neginf=None))]
    fn nan_to_num(&self, nan: f64, posinf: Option<f64>, neginf: Option<f64>) -> PyResultT {
        Ok(PyTensor::new(self.t.nan_to_num(nan, posinf, neginf)?))
    }
    #[pyo3(signature = (nan=0.0, posinf=None, neginf=None))]
    fn nan_to_num_<'py>(slf: Bound<'py, Self>, nan: f64, posinf: Option<f64>, neginf: Option<f64>) -> PyResult<Bound<'py, Self>> {
        let r = slf.borrow().t.nan_to_num(nan, posinf, neginf)?;
        crate::autograd::inplace::commit(&mut slf.borrow_mut().t, &r)?;
        Ok(slf)
    }
    #[pyo3(signature = (other, rtol=1e-05, atol=1e-08, equal_nan=false))]
    fn isclose(&self, other: &Bound<PyAny>, rtol: f64, atol: f64, equal_nan: bool) -> PyResultT {
        let o = args::tensor(other, "isclose", "other")?;
        Ok(PyTensor::new(self.t.isclose(&o, rtol, atol, equal_nan)?))
    }
    #[pyo3(signature = (other, rtol=1e-05, atol=1e-08, equal_nan=false))]
    fn allclose(&self, other: &Bound<PyAny>, rtol: f64, atol: f64, equal_nan: bool) -> PyResult<bool> {
        let o = args::tensor(other, "allclose", "other")?;
        Ok(self.t.isclose(&o, rtol, atol, equal_nan)?.to_vec::<bool>().iter().all(|&x| x))
    }
    fn equal(&self, other: &Bound<PyAny>) -> PyResult<bool> {
        let o = args::tensor(other, "equal", "other")?;
        Ok(self.t.equal(&o)?)
    }
}

pub fn register(_m: &Bound<PyModule>) -> PyResult<()> {
    Ok(())
}
