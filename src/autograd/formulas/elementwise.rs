//! Gradients of the elementwise ops (`ops/unary.rs`, `ops/binary.rs`, `ops/ternary.rs`).
use super::super::node::{begin, Ctx};
use crate::dtype::Scalar;
use crate::error::Result;
use crate::ops::binary::{BinaryOp, Operand};
use crate::ops::unary::UnaryOp;
use crate::tensor::Tensor;
use std::f64::consts::{LN_10, LN_2, PI};

type Grads = Result<Vec<Option<Tensor>>>;

/// PyTorch's node name for a unary op.
fn unary_node_name(op: UnaryOp) -> String {
    match op {
        UnaryOp::Square => "PowBackward0".into(),
        UnaryOp::Log1p => "Log1PBackward0".into(),
        UnaryOp::Expm1 => "Expm1Backward0".into(),
        _ => {
            let n = op.name();
            let mut c = n.chars();
            let first = c.next().map(|f| f.to_ascii_uppercase()).unwrap_or_default();
            format!("{first}{}Backward0", c.as_str())
        }
    }
}

/// d(op(x))/dx * g, from the input `x` and output `y`.
fn unary_grad(op: UnaryOp, g: &Tensor, x: &Tensor, y: &Tensor) -> Result<Tensor> {
    use UnaryOp::*;
    let one_minus_sq = |t: &Tensor| t.mul(t)?.rsub_s(1.0);
    match op {
        Exp => g.mul(y),
        Exp2 => g.mul(y)?.mul_s(LN_2),
        Expm1 => g.mul(&y.add_s(1.0)?),
        Log => g.div(x),
        Log2 => g.div(&x.mul_s(LN_2)?),
        Log10 => g.div(&x.mul_s(LN_10)?),
        Log1p => g.div(&x.add_s(1.0)?),
        Sqrt => g.div(&y.mul_s(2.0)?),
        Rsqrt => g.mul(&y.pow_s(3.0)?)?.mul_s(-0.5),
        Sin => g.mul(&x.unary(Cos)?),
        Cos => g.mul(&x.unary(Sin)?)?.neg(),
        Tan => g.mul(&y.mul(y)?.add_s(1.0)?),
        Asin => g.mul(&one_minus_sq(x)?.unary(Rsqrt)?),
        Acos => g.mul(&one_minus_sq(x)?.unary(Rsqrt)?)?.neg(),
        Atan => g.div(&x.mul(x)?.add_s(1.0)?),
        Sinh => g.mul(&x.unary(Cosh)?),
        Cosh => g.mul(&x.unary(Sinh)?),
        Tanh => g.mul(&one_minus_sq(y)?),
        Asinh => g.mul(&x.mul(x)?.add_s(1.0)?.unary(Rsqrt)?),
        Acosh => g.mul(&x.mul(x)?.add_s(-1.0)?.unary(Rsqrt)?),
        Atanh => g.div(&one_minus_sq(x)?),
        Sigmoid => g.mul(&y.mul(&y.rsub_s(1.0)?)?),
        Erf => g.mul(&x.mul(x)?.neg()?.unary(Exp)?)?.mul_s(2.0 / PI.sqrt()),
        Erfc => g.mul(&x.mul(x)?.neg()?.unary(Exp)?)?.mul_s(-2.0 / PI.sqrt()),
        Erfinv => g.mul(&y.mul(y)?.unary(Exp)?)?.mul_s(PI.sqrt() / 2.0),
        Reciprocal => g.mul(&y.mul(y)?)?.neg(),
        Neg => g.neg(),
        Abs => g.mul(&x.unary(Sign)?),
        Frac => Ok(g.clone()),
        Relu => g.keep_where(&y.binary_scalar(Scalar::Float(0.0), BinaryOp::Gt)?),
        Square => g.mul(x)?.mul_s(2.0),
        // Piecewise constant: zero gradient, as in PyTorch.
        Sign | Floor | Ceil | Round | Trunc => g.zeros_like(),
        BitNot | LogicalNot | IsNan | IsInf | IsFinite | IsPosInf | IsNegInf | SignBit => {
            unreachable!("non-float outputs are never recorded")
        }
    }
}

/// Records a unary op around `forward` when `x` requires grad.
pub fn record_unary(op: UnaryOp, x: &Tensor, forward: impl FnOnce() -> Result<Tensor>) -> Result<Tensor> {
    let Some(rec) = begin(unary_node_name(op), &[x]) else { return forward() };
    let y = forward()?;
    if !y.dtype().is_float() {
        return Ok(y);
    }
    Ok(rec.save_input(x).save_output(0).finish(y, move |ctx: &Ctx| Ok(vec![Some(unary_grad(op, ctx.grad(0), ctx.saved(0), ctx.saved(1))?)])))
}

fn binary_node_name(op: BinaryOp, a_scalar: bool, b_scalar: bool) -> &'static str {
    use BinaryOp::*;
    match op {
        Add => "AddBackward0",
        Sub if a_scalar => "RsubBackward1",
        Sub => "SubBackward0",
        Mul => "MulBackward0",
        Div => "DivBackward0",
        Pow if a_scalar => "PowBackward2",
        Pow if b_scalar => "PowBackward0",
        Pow => "PowBackward1",
        Remainder if b_scalar => "RemainderBackward0",
        Remainder => "RemainderBackward1",
        Fmod if b_scalar => "FmodBackward0",
        Fmod => "FmodBackward1",
        FloorDiv => "FloorDivideBackward0",
        Atan2 => "Atan2Backward0",
        Hypot => "HypotBackward0",
        Maximum => "MaximumBackward0",
        Minimum => "MinimumBackward0",
        _ => "NotDifferentiable",
    }
}

/// Gradients of `a op b` (both already tensors) for the inputs that need one.
fn binary_grads(op: BinaryOp, ctx: &Ctx) -> Grads {
    use BinaryOp::*;
    let (g, a, b) = (ctx.grad(0), ctx.saved(0), ctx.saved(1));
    let out = |i: usize, f: &dyn Fn() -> Result<Tensor>| -> Result<Option<Tensor>> { if ctx.needs(i) { f().map(Some) } else { Ok(None) } };
    let zero_where = |t: Tensor, mask: Tensor| -> Result<Tensor> { t.keep_where(&mask.unary(UnaryOp::LogicalNot)?) };
    Ok(match op {
        Add => vec![out(0, &|| Ok(g.clone()))?, out(1, &|| Ok(g.clone()))?],
        Sub => vec![out(0, &|| Ok(g.clone()))?, out(1, &|| g.neg())?],
        Mul => vec![out(0, &|| g.mul(b))?, out(1, &|| g.mul(a))?],
        Div => vec![out(0, &|| g.div(b))?, out(1, &|| g.mul(a)?.div(&b.mul(b)?)?.neg())?],
        Pow => vec![
            // d/da a^b = b a^(b-1), taken as 0 where b == 0 (so 0^0 has gradient 0, not NaN).
            out(0, &|| {
                let d = g.mul(b)?.mul(&a.binary(&b.add_s(-1.0)?, Pow)?)?;
                zero_where(d, b.binary_scalar(Scalar::Float(0.0), Eq)?)
            })?,
            // d/db a^b = a^b ln a, taken as 0 where a == 0 and b >= 0.
            out(1, &|| {
                let d = g.mul(&a.binary(b, Pow)?.mul(&a.unary(UnaryOp::Log)?)?)?;
                let mask = a.binary_scalar(Scalar::Float(0.0), Eq)?.binary(&b.binary_scalar(Scalar::Float(0.0), Ge)?, LogicalAnd)?;
                zero_where(d, mask)
            })?,
        ],
        Remainder => vec![out(0, &|| Ok(g.clone()))?, out(1, &|| g.mul(&a.binary(b, FloorDiv)?)?.neg())?],
        Fmod => vec![out(0, &|| Ok(g.clone()))?, out(1, &|| g.mul(&a.div(b)?.unary(UnaryOp::Trunc)?)?.neg())?],
        FloorDiv => vec![out(0, &|| g.zeros_like())?, out(1, &|| g.zeros_like())?],
        Atan2 => {
            let denom = || a.mul(a)?.add(&b.mul(b)?);
            vec![out(0, &|| g.mul(b)?.div(&denom()?))?, out(1, &|| g.mul(a)?.neg()?.div(&denom()?))?]
        }
        Hypot => {
            let h = || a.binary(b, Hypot);
            vec![out(0, &|| g.mul(a)?.div(&h()?))?, out(1, &|| g.mul(b)?.div(&h()?))?]
        }
        // Ties split the gradient evenly, as PyTorch does.
        Maximum | Minimum => {
            let (lose_a, lose_b) = if op == Maximum { (Lt, Gt) } else { (Gt, Lt) };
            let shared = || -> Result<Tensor> {
                let half = g.mul_s(0.5)?;
                crate::ops::index::where_(&a.binary(b, Eq)?, Operand::Tensor(&half), Operand::Tensor(g))
            };
            vec![
                out(0, &|| zero_where(shared()?, a.binary(b, lose_a)?))?,
                out(1, &|| zero_where(shared()?, a.binary(b, lose_b)?))?,
            ]
        }
        _ => unreachable!("only differentiable ops are recorded"),
    })
}

fn is_differentiable(op: BinaryOp) -> bool {
    use BinaryOp::*;
    matches!(op, Add | Sub | Mul | Div | Pow | Remainder | Fmod | FloorDiv | Atan2 | Hypot | Maximum | Minimum)
}

/// Records a binary op around `forward` when a tensor operand requires grad. Python numbers
/// take part as 0-d constants (PyTorch shows them as `(None, 0)` in `next_functions`).
pub fn record_binary(op: BinaryOp, a: Operand, b: Operand, forward: impl FnOnce() -> Result<Tensor>) -> Result<Tensor> {
    if !is_differentiable(op) {
        return forward();
    }
    let as_tensor = |o: &Operand, other: &Operand| -> Result<Tensor> {
        match o {
            Operand::Tensor(t) => Ok((*t).clone()),
            Operand::Scalar(s) => {
                let dt = match other {
                    Operand::Tensor(t) if t.dtype().is_float() => t.dtype(),
                    _ => crate::dtype::default_dtype(),
                };
                Tensor::scalar(*s, dt)
            }
        }
    };
    let needs = |o: &Operand| matches!(o, Operand::Tensor(t) if t.requires_grad());
    if !(needs(&a) || needs(&b)) || !crate::autograd::is_grad_enabled() {
        return forward();
    }
    let (ta, tb) = (as_tensor(&a, &b)?, as_tensor(&b, &a)?);
    let name = binary_node_name(op, matches!(a, Operand::Scalar(_)), matches!(b, Operand::Scalar(_)));
    let Some(rec) = begin(name, &[&ta, &tb]) else { return forward() };
    let out = forward()?;
    if !out.dtype().is_float() {
        return Ok(out);
    }
    Ok(rec.save_input(&ta).save_input(&tb).finish(out, move |ctx| binary_grads(op, ctx)))
}
