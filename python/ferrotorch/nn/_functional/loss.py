"""Regression, binary, divergence and margin losses, composed from tensor ops.

Every function takes PyTorch's arguments, including the deprecated `size_average`/`reduce` pair (mapped
to `reduction` with PyTorch's warning); an unknown `reduction` raises ValueError. The class-index losses
(nll_loss, cross_entropy) live in `loss_nll.py`, the multi-class and multi-label margin losses in
`loss_multi.py`.
"""
import math
import warnings

from ... import _C
from ..._elementwise import _scalar_name
from ..._math_composites import _modulus, _not_implemented, _refuse_complex_clamp
from ...autograd.function import Function
from ...autograd.grad_mode import no_grad
from .. import _reduction as _Reduction
from ._loss_util import infer_size, log_sigmoid, reduce_loss, resolve, warn_size

__all__ = ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "kl_div", "cosine_embedding_loss", "margin_ranking_loss",
           "hinge_embedding_loss", "soft_margin_loss", "poisson_nll_loss", "gaussian_nll_loss",
           "triplet_margin_loss"]


def _weighted(err, weight, input, reduction, mean_by_weight=True):
    """PyTorch's per-element `weight` path of mse/l1/huber (a Python path there too, with its own messages)."""
    if weight.size() != input.size():
        raise ValueError("Weights and input must have the same size.")
    err = err * weight
    if reduction == "none":
        return err
    if reduction == "sum":
        return err.sum()
    if reduction == "mean":
        # mse and l1 divide by the summed weights; huber takes the plain mean of the weighted losses.
        return err.sum() / weight.sum() if mean_by_weight else err.mean()
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")


def _refuse_complex(kernel, input, target):
    """PyTorch's mse, smooth_l1 and huber kernels are real-only: its message, naming the promoted type."""
    dtype = _C.result_type(input, target)
    if dtype.is_complex:
        raise _not_implemented(kernel, input, dtype)


def _refuse_complex_target(input, target):
    # A real input's loss has a real output, which a complex target's result cannot be cast to.
    if target.dtype.is_complex and not input.dtype.is_complex:
        raise RuntimeError(f"result type {_scalar_name(target.dtype)} can't be cast to the desired output "
                           f"type {_scalar_name(input.dtype)}")


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Squared error (input - target)^2, optionally weighted; differentiable w.r.t. both. Shapes broadcast,
    with a warning."""
    warn_size(input, target)
    reduction = resolve(size_average, reduce, reduction)
    if weight is not None:
        return _weighted((input - target).square(), weight, input, reduction)
    _refuse_complex("mse", input, target)
    return reduce_loss((input - target).square(), _Reduction.get_enum(reduction))


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Absolute error |input - target|, optionally weighted."""
    warn_size(input, target)
    reduction = resolve(size_average, reduce, reduction)
    if weight is not None:
        return _weighted((input - target).abs(), weight, input, reduction)
    return reduce_loss((input - target).abs(), _Reduction.get_enum(reduction))


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (plain L1 when beta == 0)."""
    warn_size(input, target)
    mode = _Reduction.get_enum(resolve(size_average, reduce, reduction))
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    d = (input - target).abs()
    if beta == 0.0:  # plain L1, which takes complex input
        return reduce_loss(d, mode)
    _refuse_complex("smooth_l1", input, target)
    return reduce_loss(_C.where(d < beta, d.square() * (0.5 / beta), d - 0.5 * beta), mode)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta), optionally weighted."""
    warn_size(input, target)
    mode = None if weight is not None else _Reduction.get_enum(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    _refuse_complex_target(input, target)
    _refuse_complex("huber", input, target)
    d = (input - target).abs()
    loss = _C.where(d < delta, d.square() * 0.5, (d - 0.5 * delta) * delta)
    if weight is not None:
        return _weighted(loss, weight, input, reduction, mean_by_weight=False)
    return reduce_loss(loss, mode)


def _log_clamped(x):
    return x.log().clamp(min=-100.0)


def _log1m_clamped(x):
    return (-x).log1p().clamp(min=-100.0)


class _BinaryCrossEntropy(Function):
    """Elementwise BCE with PyTorch's gradients, which stay finite at input 0 or 1 (where the clamped
    composite would give 0 * inf)."""

    @staticmethod
    def forward(ctx, input, target):
        ctx.save_for_backward(input, target)
        return (target - 1) * _log1m_clamped(input) - target * _log_clamped(input)

    @staticmethod
    def backward(ctx, grad):
        x, t = ctx.saved_tensors
        gx = gt = None
        if ctx.needs_input_grad[0]:
            gx = grad * (x - t) / ((1 - x) * x).clamp(min=1e-12)
        if ctx.needs_input_grad[1]:
            gt = grad * (_log1m_clamped(x) - _log_clamped(x))
        return gx, gt


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """-w (t log x + (1 - t) log(1 - x)) for probabilities x in [0, 1]; each log is clamped at -100."""
    mode = _Reduction.get_enum(resolve(size_average, reduce, reduction))
    if target.size() != input.size():
        raise ValueError(f"Using a target size ({target.size()}) that is different to the input size "
                         f"({input.size()}) is deprecated. Please ensure they have the same size.")
    if input.dtype.is_complex:
        raise NotImplementedError(f"\"binary_cross_entropy\" not implemented for '{_scalar_name(input.dtype)}'")
    if (~((input >= 0) & (input <= 1))).any().item():  # NaN fails too, as in PyTorch's kernel check
        raise RuntimeError("all elements of input should be between 0 and 1")
    loss = _BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        loss = loss * weight.expand(infer_size(tuple(target.shape), tuple(weight.shape)))
    return reduce_loss(loss, mode)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """BCE of sigmoid(input), computed stably: (1 - t) x - (1 + (pw - 1) t) log sigmoid(x), times w."""
    mode = _Reduction.get_enum(resolve(size_average, reduce, reduction))
    if target.size() != input.size():
        raise ValueError(f"Target size ({target.size()}) must be the same as input size ({input.size()})")
    ls = log_sigmoid(input)
    if pos_weight is not None:
        ls = ls * ((pos_weight - 1) * target + 1)
    loss = (1 - target) * input - ls
    if weight is not None:
        loss = loss * weight
    return reduce_loss(loss, mode)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL divergence with log-probabilities `input`: t (log t - input), or exp(t) (t - input) if log_target.

    'batchmean' sums and divides by the batch size (input.size(0)), the mathematical KL divergence.
    """
    reduction = resolve(size_average, reduce, reduction)
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.")
    mode = _Reduction.get_enum("sum" if reduction == "batchmean" else reduction)
    if input.dtype.is_complex or target.dtype.is_complex:
        raise RuntimeError("kl_div: Complex inputs not supported.")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        # xlogy(t, t): 0 where t == 0; log(1) there keeps the gradient finite (0 * -inf would be nan).
        loss = target * _C.where(target == 0, 1.0, target).log() - target * input
    out = reduce_loss(loss, mode)
    if reduction == "batchmean" and input.dim() != 0:
        out = out / input.shape[0]
    return out


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """1 - cos(x1, x2) where target is 1, max(0, cos(x1, x2) - margin) where target is -1."""
    mode = _Reduction.get_enum(resolve(size_average, reduce, reduction))
    tdim = target.dim()
    if tdim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    want = 2 if tdim == 1 else 1
    if input1.dim() != want or input2.dim() != want:
        raise RuntimeError(f"{tdim}D target tensor expects {want}D input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    _refuse_complex_clamp(input1, input2)
    eps = 1e-12  # PyTorch's EPSILON: keeps zero vectors from dividing by zero
    prod = (input1 * input2).sum(tdim)
    denom = (((input1 * input1).sum(tdim) + eps) * ((input2 * input2).sum(tdim) + eps)).sqrt()
    cos = prod / denom
    zero = _C.zeros_like(cos)
    out = _C.where(target == 1, 1 - cos, zero) + _C.where(target == -1, (cos - margin).clamp(min=0), zero)
    return reduce_loss(out, mode)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """max(0, -target (input1 - input2) + margin)."""
    mode = _Reduction.get_enum(resolve(size_average, reduce, reduction))
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {input1.size()}, input2: {input2.size()}, target: {target.size()} ")
    _refuse_complex_clamp(input1, input2, target)
    return reduce_loss((-target * (input1 - input2) + margin).clamp(min=0), mode)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """input where target is 1, max(0, margin - input) where target is -1."""
    mode = _Reduction.get_enum(resolve(size_average, reduce, reduction))
    _refuse_complex_clamp(input, target)
    zero = _C.zeros_like(input)
    out = _C.where(target != 1, (margin - input).clamp(min=0), zero) + _C.where(target != -1, input, zero)
    return reduce_loss(out, mode)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-target * input)), computed as -log sigmoid(target * input) so it never overflows."""
    mode = _Reduction.get_enum(resolve(size_average, reduce, reduction))
    _refuse_complex_target(input, target)
    if input.dtype.is_complex:
        # The stable real form goes through |x| and min(x, 0), which complex numbers lack.
        return reduce_loss((-(target * input)).exp().log1p(), mode)
    return reduce_loss(-log_sigmoid(target * input), mode)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """exp(input) - target input (log_input), else input - target log(input + eps); `full` adds
    Stirling's approximation t log t - t + 0.5 log(2 pi t) where t > 1."""
    mode = _Reduction.get_enum(resolve(size_average, reduce, reduction))
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        big = target > 1
        t = _C.where(big, target, 1.0)  # the masked positions must not take log(0) (nan gradient)
        stirling = t * t.log() - t + 0.5 * (2 * math.pi * t).log()
        loss = loss + stirling.masked_fill(~big, 0.0)
    return reduce_loss(loss, mode)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """0.5 (log var + (input - target)^2 / var) (+ 0.5 log 2 pi if full), var clamped at eps.

    `var` has input's shape, or input's shape without (or with size 1 in) the last dimension
    (homoscedastic), or is a float.
    """
    if not isinstance(var, _C.Tensor):
        var = _C.full_like(input, float(var))
    if var.size() != input.size():
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif input.dim() > 0 and var.dim() > 0 and tuple(input.shape[:-1]) == tuple(var.shape[:-1]) \
                and var.shape[-1] == 1:
            pass
        else:
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    if (var < 0).any().item():
        raise ValueError("var has negative entry/entries")
    # PyTorch clamps a clone under no_grad: the value is clamped, the gradient passes as if it were not.
    var = var.clone()
    with no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target).square() / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return reduce_loss(loss, _Reduction.get_enum(reduction))


def _pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """p-norm of x1 - x2 + eps over the last dimension (F.pairwise_distance's formula)."""
    dim = max(x1.dim(), x2.dim()) - 1
    return _modulus(x1 - x2 + eps)._vector_norm(p, dim, keepdim)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """max(0, margin + d(a, p) - d(a, n)) with d the pairwise p-distance; `swap` uses min(d(a, n), d(p, n))."""
    mode = _Reduction.get_enum(resolve(size_average, reduce, reduction))
    a, q, n = anchor.dim(), positive.dim(), negative.dim()
    if not (a == q == n):
        raise RuntimeError("The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {a}D, positive {q}D, and negative {n}D inputs")
    d_pos = _pairwise_distance(anchor, positive, p, eps)
    d_neg = _pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = d_neg.minimum(_pairwise_distance(positive, negative, p, eps))
    return reduce_loss((margin + d_pos - d_neg).clamp(min=0), mode)
