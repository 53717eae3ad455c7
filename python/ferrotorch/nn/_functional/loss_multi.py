"""Multi-class and multi-label margin losses, and the triplet loss with a custom distance.

Composed from tensor ops; the per-pair hinge of multilabel_margin_loss is materialised as (N, C, C),
which is fine for the class counts this loss is used with.
"""
from ... import _C
from .. import _reduction as _Reduction
from .loss import _pairwise_distance
from ._loss_util import log_sigmoid, reduce_loss, resolve, scalar_name

__all__ = ["multi_margin_loss", "multilabel_margin_loss", "multilabel_soft_margin_loss",
           "triplet_margin_with_distance_loss"]


def _frames(input):
    """(nframe, dim) of a vector (C,) / matrix (N, C) input, as PyTorch's shape checks count them."""
    if input.dim() <= 1:
        return 1, max(input.numel(), 1)
    return input.shape[0], input.shape[1]


def _finish(per_frame, input, target, mode):
    # Unreduced output is (N,), or () for an unbatched input with a 0-d target.
    if mode == 0:
        return per_frame.reshape(()) if input.dim() <= 1 and target.dim() == 0 else per_frame
    return reduce_loss(per_frame, mode)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """sum over i != y of w[y] max(0, margin - x[y] + x[i])^p / C, per sample."""
    mode = _Reduction.get_enum(resolve(size_average, reduce, reduction))
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    if not ((input.numel() > 0 and input.dim() <= 2) or (input.dim() == 2 and input.shape[1] > 0)):
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(input.shape)}")
    nframe, dim = _frames(input)
    if target.dim() > 1 or target.numel() != nframe:
        raise RuntimeError(f"inconsistent target size, expected {nframe} but got {list(target.shape)}")
    if weight is not None and weight.numel() != dim:
        raise RuntimeError(f"inconsistent weight size, expected {dim} but got {list(weight.shape)}")
    if input.dtype.is_complex:
        raise NotImplementedError(f"\"multi_margin_loss_cpu_kernel\" not implemented for '{scalar_name(input.dtype)}'")
    x = input.reshape(nframe, dim)
    y = target.reshape(nframe).long()
    if ((y < 0) | (y >= dim)).any().item():
        raise RuntimeError("target out of range")
    is_y = _C.arange(dim, device=y.device) == y.unsqueeze(1)
    h = (margin - x.gather(1, y.unsqueeze(1)) + x).clamp(min=0)
    h = (h if p == 1 else h.square()).masked_fill(is_y, 0.0)
    if weight is not None:
        h = h * weight.to(x.dtype)[y].unsqueeze(1)
    return _finish(h.sum(1) / dim, input, target, mode)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Hinge between every target class and every non-target class: sum max(0, 1 - (x[y_j] - x[i])) / C.

    Each row of `target` lists class indices and ends at the first -1.
    """
    mode = _Reduction.get_enum(resolve(size_average, reduce, reduction))
    nd = input.dim()
    if not ((nd == 2 and input.shape[1] != 0) or (nd == 1 and input.shape[0] != 0) or nd == 0):
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(input.shape)}")
    nframe, dim = _frames(input)
    ok = target.dim() <= 1 and target.numel() == dim if nd <= 1 else \
        target.dim() == 2 and tuple(target.shape) == (nframe, dim)
    if not ok:
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}")
    if input.dtype.is_complex:
        raise NotImplementedError(f"\"multilabel_margin_loss_forward_out_frame\" not implemented for "
                                  f"'{scalar_name(input.dtype)}'")
    x = input.reshape(nframe, dim)
    t = target.reshape(nframe, dim).long()
    valid = (t >= 0).long().cumprod(1) > 0  # the prefix before the first -1
    if (valid & (t >= dim)).any().item():
        raise RuntimeError("target out of range")
    safe = t.masked_fill(~valid, 0)
    is_target = _C.zeros((nframe, dim), dtype=_C.int64, device=t.device).scatter_add(1, safe, valid.long()) > 0
    pair = (1 - x.gather(1, safe).unsqueeze(2) + x.unsqueeze(1)).clamp(min=0)  # [n, slot j, class i]
    keep = valid.unsqueeze(2) & ~is_target.unsqueeze(1)
    per_frame = pair.masked_fill(~keep, 0.0).sum((1, 2)) / dim
    if mode == 0 and nd <= 1:
        return per_frame.reshape(())
    return reduce_loss(per_frame, mode)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Per-class logistic loss -(t log sigmoid(x) + (1 - t) log sigmoid(-x)), averaged over classes."""
    if size_average is not None or reduce is not None:
        reduction = _Reduction.legacy_get_string(size_average, reduce)
    loss = -(target * log_sigmoid(input) + (1 - target) * log_sigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    return reduce_loss(loss, _Reduction.get_enum(reduction))


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0,
                                      swap=False, reduction="mean"):
    """max(0, margin + d(a, p) - d(a, n)) for any distance d (default: pairwise 2-norm distance)."""
    mode = _Reduction.get_enum(reduction)
    if margin <= 0:
        raise ValueError(f"triplet_margin_with_distance_loss: expected margin to be greater than 0, got {margin} "
                         "instead")
    a, q, n = anchor.dim(), positive.dim(), negative.dim()
    if not (a == q == n):
        raise RuntimeError("The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {a}D, positive {q}D, and negative {n}D inputs")
    dist = distance_function if distance_function is not None else _pairwise_distance
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = d_neg.minimum(dist(positive, negative))
    return reduce_loss((margin + d_pos - d_neg).clamp(min=0), mode)
