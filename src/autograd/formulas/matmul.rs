//! Gradient of the batched matrix product every matmul-family op lowers onto (`ops/matmul`):
//! the rest (matmul's rank cases, dot, inner, tensordot, addmm, einsum, ...) are views and
//! elementwise ops around it, so their gradients come from the composition.
use super::super::node::begin;
use crate::dtype::Scalar;
use crate::error::Result;
use crate::tensor::Tensor;

/// Records `a @ b` (2-D: MmBackward0; batched with equal batch shapes: BmmBackward0).
/// dA = dC @ B^T, dB = A^T @ dC, themselves recorded products.
pub(crate) fn record_bmm(a: &Tensor, b: &Tensor, forward: impl FnOnce() -> Result<Tensor>) -> Result<Tensor> {
    let name = if a.ndim() == 2 && b.ndim() == 2 { "MmBackward0" } else { "BmmBackward0" };
    let Some(rec) = begin(name, &[a, b]) else { return forward() };
    let out = forward()?;
    rec.save_input(a).save_input(b).finish(out, |ctx| {
        let g = ctx.grad(0);
        let ga = if ctx.needs(0) { Some(g.matmul(&ctx.saved(1).mt()?)?) } else { None };
        let gb = if ctx.needs(1) { Some(ctx.saved(0).mt()?.matmul(g)?) } else { None };
        Ok(vec![ga, gb])
    })
}

/// Records `beta * input + alpha * (mat1 @ mat2)` as one node (AddmmBackward0), as PyTorch
/// shows it; the engine sums the input's gradient back over its broadcast dims.
pub(crate) fn record_addmm(
    input: &Tensor,
    mat1: &Tensor,
    mat2: &Tensor,
    beta: Scalar,
    alpha: Scalar,
    forward: impl FnOnce() -> Result<Tensor>,
) -> Result<Tensor> {
    let Some(rec) = begin("AddmmBackward0", &[input, mat1, mat2]) else { return forward() };
    let out = forward()?;
    let (b, a) = (beta.to_f64(), alpha.to_f64());
    rec.save_input(mat1).save_input(mat2).finish(out, move |ctx| {
        let g = ctx.grad(0);
        let gi = if ctx.needs(0) { Some(g.mul_s(b)?) } else { None };
        // The products are fresh tensors: with alpha = 1 (nn.Linear) they need no scaling pass.
        let scaled = |t: Tensor| if a == 1.0 { Ok(t) } else { t.mul_s(a) };
        let g1 = if ctx.needs(1) { Some(scaled(g.mm(&ctx.saved(1).t()?)?)?) } else { None };
        let g2 = if ctx.needs(2) { Some(scaled(ctx.saved(0).t()?.mm(g)?)?) } else { None };
        Ok(vec![gi, g1, g2])
    })
}
