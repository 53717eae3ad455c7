"""Classification losses over class indices or probabilities: nll_loss and cross_entropy.

Both are composed from tensor ops (gather, masked_fill, sums), so autograd and any device come for free.
The class dimension is 0 for an unbatched (C,) input and 1 otherwise; targets of shape (N, d1, ...) index
inputs of shape (N, C, d1, ...).
"""
from .. import _reduction as _Reduction
from ._loss_util import resolve, scalar_name
from .activation import log_softmax

__all__ = ["nll_loss", "cross_entropy"]


def _class_dim(input):
    return 0 if input.dim() == 1 else 1


def _check_nll(input, target, weight):
    """PyTorch's shape and dtype checks of nll_loss (nll_loss_nd, then the 1-D/2-D or K-D kernel's)."""
    if input.dim() < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.dim()})")
    if scalar_name(target.dtype) not in ("Long", "Byte"):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {scalar_name(target.dtype)}")
    if input.dim() != 1 and target.dim() > 0 and input.shape[0] != target.shape[0]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                         f"({target.shape[0]}).")
    if input.dim() <= 2:
        if target.dim() > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if not (input.dim() == 1 and target.dim() == 0) and (target.dim() == 0 or input.shape[0] != target.shape[0]):
            raise RuntimeError(f"size mismatch (got input: {list(input.shape)}, target: {list(target.shape)})")
    elif tuple(target.shape[1:]) != tuple(input.shape[2:]):
        expected = [input.shape[0]] + list(input.shape[2:])
        raise RuntimeError(f"Expected target size {expected}, got {list(target.shape)}")
    n_classes = input.shape[_class_dim(input)]
    if weight is not None and (weight.dim() != 1 or weight.numel() != n_classes):
        raise RuntimeError(f"weight tensor should be defined either for all {n_classes} classes or no classes "
                           f"but got weight tensor of shape: {list(weight.shape)}")


def _picked_and_weights(input, target, weight, ignore_index):
    """input[target] along the class dim, and each target's weight (0 where ignored)."""
    cdim = _class_dim(input)
    n_classes = input.shape[cdim]
    target = target.long()
    keep = target != ignore_index
    out_of_range = keep & ((target < 0) | (target >= n_classes))
    if out_of_range.any().item():  # the one host sync, as PyTorch's CPU kernel checks too
        raise IndexError(f"Target {target[out_of_range][0].item()} is out of bounds.")
    safe = target.masked_fill(~keep, 0)
    picked = input.gather(cdim, safe.unsqueeze(cdim)).squeeze(cdim)
    if weight is None:
        w = keep.to(input.dtype)
    else:
        w = weight.to(input.dtype)[safe].masked_fill(~keep, 0.0)
    return picked, w, keep


def _weighted_mean(values, w):
    """sum(values) / sum(w), where every values[i] carries the factor w[i].

    With no weight at all (every target ignored) the result is nan, as in PyTorch, but the gradient is
    0 rather than 0 * inf = nan: the division is by a denominator of 1 then, and the nan is a constant."""
    total = w.sum()
    empty = total == 0
    return (values / total.masked_fill(empty, 1.0)).sum() + empty.to(values.dtype).masked_fill(empty, float("nan"))


def _nll(input, target, weight, ignore_index, mode):
    picked, w, _ = _picked_and_weights(input, target, weight, ignore_index)
    loss = -picked * w
    if mode == 0:
        return loss
    # Mean divides by the total weight of the non-ignored targets.
    return loss.sum() if mode == 2 else _weighted_mean(loss, w)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log likelihood of log-probabilities `input` (N, C, d1, ...) at class indices `target`.

        >>> import ferrotorch as torch
        >>> logp = torch.tensor([[0.0, -1.0], [-2.0, 0.0]])
        >>> torch.nn.functional.nll_loss(logp, torch.tensor([1, 0])).item()
        1.5
    """
    mode = _Reduction.get_enum(resolve(size_average, reduce, reduction))
    _check_nll(input, target, weight)
    if input.dtype.is_complex:
        raise NotImplementedError(f"\"nll_loss_out_frame\" not implemented for '{scalar_name(input.dtype)}'")
    return _nll(input, target, weight, ignore_index, mode)


def _weight_view(weight, input, cdim):
    shape = [1] * input.dim()
    shape[cdim] = weight.shape[0]
    return weight.to(input.dtype).view(shape)


def _prob_target(logp, target, weight, mode, label_smoothing):
    cdim = _class_dim(logp)
    n_classes = logp.shape[cdim]
    if weight is not None and (weight.dim() != 1 or weight.numel() != n_classes):
        raise RuntimeError(f"cross_entropy: weight tensor should be defined either for all {n_classes} classes or "
                           f"no classes but got weight tensor of shape: {list(weight.shape)}")
    if label_smoothing > 0.0:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    prod = logp * target
    if weight is not None:
        prod = prod * _weight_view(weight, logp, cdim)
    if mode == 0:
        return -prod.sum(cdim)
    if mode == 2:
        return -prod.sum()
    if logp.numel() == 0:
        return -prod.sum() * float("nan")
    # Mean over the batch (and spatial) positions, not over the classes.
    return -prod.sum() / (logp.numel() // n_classes)


def _smoothed(logp, target, weight, ignore_index, mode, label_smoothing):
    cdim = _class_dim(logp)
    n_classes = logp.shape[cdim]
    picked, w, keep = _picked_and_weights(logp, target, weight, ignore_index)
    nll = -picked * w
    # The uniform part: each position's (weighted) sum over all classes.
    full = logp if weight is None else logp * _weight_view(weight, logp, cdim)
    smooth = (-full.sum(cdim)).masked_fill(~keep, 0.0)
    if mode == 0:
        nll_red, smooth_red = nll, smooth
    elif mode == 2:
        nll_red, smooth_red = nll.sum(), smooth.sum()
    else:
        # smooth is 0 wherever w is (ignored positions), so it carries the w factor too.
        nll_red, smooth_red = _weighted_mean(nll, w), _weighted_mean(smooth, w)
    return (1 - label_smoothing) * nll_red + smooth_red * (label_smoothing / n_classes)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Cross entropy between logits `input` and class indices or class probabilities `target`.

    A `target` with the same shape as `input` holds probabilities; otherwise it holds class indices of
    shape (N, d1, ...) (or () for an unbatched (C,) input). `log_softmax` + `nll_loss`, plus the uniform
    `label_smoothing` term; mean reduction divides by the summed weights of the non-ignored targets.

        >>> import ferrotorch as torch
        >>> x = torch.zeros(2, 4)
        >>> round(torch.nn.functional.cross_entropy(x, torch.tensor([0, 3])).item(), 4)
        1.3863
    """
    mode = _Reduction.get_enum(resolve(size_average, reduce, reduction))
    cdim = _class_dim(input)
    if input.shape == target.shape:
        if not target.dtype.is_floating_point:
            raise RuntimeError("Expected floating point type for target with class probabilities, got "
                               f"{scalar_name(target.dtype)}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        if label_smoothing > 1.0:
            raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
        return _prob_target(log_softmax(input, cdim), target, weight, mode, label_smoothing)
    _check_nll(input, target, weight)
    logp = log_softmax(input, cdim)
    if label_smoothing > 0.0:
        if label_smoothing > 1.0:
            raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
        return _smoothed(logp, target, weight, ignore_index, mode, label_smoothing)
    return _nll(logp, target, weight, ignore_index, mode)
