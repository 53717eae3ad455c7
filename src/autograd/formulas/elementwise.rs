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

/// What a unary op's backward needs, as in PyTorch: the node keeps only that.
#[derive(Clone, Copy, PartialEq)]
enum UnarySaves {
    Input,
    Output,
    Nothing,
}

fn unary_saves(op: UnaryOp) -> UnarySaves {
    use UnaryOp::*;
    match op {
        Exp | Exp2 | Expm1 | Sqrt | Rsqrt | Tan | Tanh | Sigmoid | Erfinv | Reciprocal | Relu => UnarySaves::Output,
        Neg | Frac | Sign | Floor | Ceil | Round | Trunc => UnarySaves::Nothing,
        _ => UnarySaves::Input,
    }
}

/// d(op(x))/dx * g, from `saved`: the input `x` or the output `y`, as `unary_saves` says (the
/// arms name it accordingly); for ops that save nothing it is `g` itself, unread.
fn unary_grad(op: UnaryOp, g: &Tensor, saved: &Tensor) -> Result<Tensor> {
    use UnaryOp::*;
    let (x, y) = (saved, saved);
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
    let rec = match unary_saves(op) {
        UnarySaves::Input => rec.save_input(x),
        UnarySaves::Output => rec.save_output(0),
        UnarySaves::Nothing => rec,
    };
    rec.finish(y, move |ctx: &Ctx| {
        let g = ctx.grad(0);
        let saved = if unary_saves(op) == UnarySaves::Nothing { g } else { ctx.saved(0) };
        Ok(vec![Some(unary_grad(op, g, saved)?)])
    })
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

/// Which operands of `a op b` the backward reads, given which need a gradient: the node keeps
/// only those, as PyTorch does (`x + y` keeps nothing; `x * w` with only `w` requiring grad keeps
/// `x`).
fn binary_saves(op: BinaryOp, a_needs_grad: bool, b_needs_grad: bool) -> (bool, bool) {
    use BinaryOp::*;
    match op {
        Add | Sub | FloorDiv => (false, false),
        Mul => (b_needs_grad, a_needs_grad),
        Div => (b_needs_grad, true),
        Remainder | Fmod => (b_needs_grad, b_needs_grad),
        _ => (true, true),
    }
}

/// Gradients of `a op b` (both already tensors) for the inputs that need one. An operand that
/// `binary_saves` did not keep is None, and no gradient asked for here reads it.
fn binary_grads(op: BinaryOp, ctx: &Ctx, a: Option<&Tensor>, b: Option<&Tensor>) -> Grads {
    use BinaryOp::*;
    let g = ctx.grad(0);
    let (a, b) = (a.unwrap_or(g), b.unwrap_or(g));
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

/// How a binary node keeps an operand its backward reads.
enum Kept {
    /// Saved for backward (a tensor operand).
    Saved,
    /// Held by the closure (a Python number, as a 0-d tensor).
    Constant(Tensor),
    Nothing,
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
    // A Python number is a constant the closure keeps; only tensor operands are saved (and so
    // seen by saved-tensor hooks), as in PyTorch.
    let (save_a, save_b) = binary_saves(op, ta.requires_grad(), tb.requires_grad());
    let keep = |needed: bool, o: &Operand, t: Tensor| match o {
        Operand::Scalar(_) if needed => Kept::Constant(t),
        Operand::Tensor(_) if needed => Kept::Saved,
        _ => Kept::Nothing,
    };
    let (kept_a, kept_b) = (keep(save_a, &a, ta.clone()), keep(save_b, &b, tb.clone()));
    let rec = if matches!(kept_a, Kept::Saved) { rec.save_input(&ta) } else { rec };
    let rec = if matches!(kept_b, Kept::Saved) { rec.save_input(&tb) } else { rec };
    rec.finish(out, move |ctx| {
        let mut saved = ctx.saved.iter();
        let mut operand = |k: &Kept| match k {
            Kept::Saved => saved.next().cloned(),
            Kept::Constant(t) => Some(t.clone()),
            Kept::Nothing => None,
        };
        let (a, b) = (operand(&kept_a), operand(&kept_b));
        binary_grads(op, ctx, a.as_ref(), b.as_ref())
    })
}
