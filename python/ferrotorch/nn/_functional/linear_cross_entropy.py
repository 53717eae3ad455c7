"""`linear_cross_entropy`: a linear layer followed by cross entropy, as one call.

PyTorch defines the result as `cross_entropy(linear(input, W, b).reshape(N, C, *out_features),
target)`, with `W` of shape (C, *out_features, in_features) for a K-dimensional loss. This is that
reference path. PyTorch's `options=` (a `LinearCrossEntropyOptions`) selects a chunked kernel that
saves memory by never holding all logits at once; it computes the same loss, so here the options are
validated and checked like PyTorch's (including the acc_dtype refusal and the warning when they
cannot apply) and the loss is still computed by the reference path.

    >>> import ferrotorch as torch
    >>> F = torch.nn.functional
    >>> x, W = torch.zeros(2, 3), torch.zeros(4, 3)
    >>> round(F.linear_cross_entropy(x, W, torch.tensor([0, 3])).item(), 4)
    1.3863
"""
import math
import warnings

from ..._C import int64, is_grad_enabled
from .linear import linear
from .loss_nll import cross_entropy

__all__ = ["linear_cross_entropy"]


def _chunked_path_applies(input, linear_weight, target, linear_bias, reduction, label_smoothing, options):
    """Whether PyTorch would take its chunked path for these arguments, warning (as it does) when
    the given options cannot be honoured by it."""
    out_features = tuple(linear_weight.shape[1:-1])
    logits_shape = (*input.shape[:-1], linear_weight.shape[0], *out_features)
    # The chunked kernel has no gradient for the target, so a probability target that will be
    # differentiated (requires_grad outside no_grad) goes through the reference path.
    chunkable_probabilities = (tuple(target.shape) == logits_shape and target.dtype == input.dtype
                               and not (target.requires_grad and is_grad_enabled()))
    applies = (reduction in ("mean", "sum", "none") and label_smoothing == 0.0
               and (target.dtype == int64 or chunkable_probabilities) and not out_features)
    if not applies:
        bias_shape = tuple(linear_bias.shape) if linear_bias is not None else None
        warnings.warn(
            "linear_cross_entropy: ``options`` ignored; chunked path needs reduction in {'mean','sum','none'}, "
            "label_smoothing == 0, target.dtype == int64 (or a probability target with dtype matching input and "
            f"requires_grad == False), out_features == (). Got reduction={reduction!r}, "
            f"label_smoothing={label_smoothing}, target.dtype={target.dtype}, out_features={out_features}, "
            f"tracing=False, target.requires_grad={target.requires_grad}, linear_bias.shape={bias_shape}.",
            stacklevel=3)
    return applies


def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None, reduction="mean",
                         ignore_index=None, label_smoothing=0.0, options=None):
    """Cross entropy of the logits `linear(input, linear_weight, linear_bias)` against `target`.

    `input` is (in_features,) or (N, in_features); `linear_weight` is (C, in_features), or
    (C, d1, ..., dK, in_features) for a K-dimensional loss (batched input only), and `linear_bias`
    matches its leading dims. `target` holds class indices, or class probabilities when its shape is
    the logits' shape (then `ignore_index` must stay None). `ignore_index=None` means -100. The other
    arguments are `cross_entropy`'s.

        >>> import ferrotorch as torch
        >>> x = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
        >>> W = torch.tensor([[[2.0, 0.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 2.0]]])  # (C=2, d1=2, in=2)
        >>> torch.nn.functional.linear_cross_entropy(x, W, torch.tensor([[0, 1], [0, 1]]), reduction="none").shape
        torch.Size([2, 2])
    """
    if input.dim() < 1 or input.dim() > 2:
        raise RuntimeError(f"expected input with dimensionality 1 or 2, got {input.dim()}")
    if linear_weight.dim() < 2:
        raise RuntimeError(f"expected linear_weight with dimensionality at least 2, got {linear_weight.dim()}")
    batch = tuple(input.shape[:-1])
    in_features = input.shape[-1]
    if in_features != linear_weight.shape[-1]:
        raise RuntimeError("expected equal input and linear_weight last dimensions (in_features), "
                           f"got {in_features} and {linear_weight.shape[-1]}, respectively")
    num_classes = linear_weight.shape[0]
    out_features = tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (num_classes, *out_features):
        raise RuntimeError(f"expected linear_bias shape {(num_classes, *out_features)}, got "
                           f"{tuple(linear_bias.shape)}")
    if out_features and not batch:
        raise RuntimeError(f"K-dimensional loss defined by linear_weight shape {tuple(linear_weight.shape)} requires "
                           f"batched input, (N, {in_features}), got unbatched input with shape {tuple(input.shape)}")
    logits_shape = (*batch, num_classes, *out_features)
    # As in cross_entropy, a target shaped like the logits holds probabilities.
    if tuple(target.shape) == logits_shape and ignore_index is not None:
        raise RuntimeError("ignore_index cannot be specified when target contains probabilities")
    if ignore_index is None:
        ignore_index = -100
    if options is not None and _chunked_path_applies(input, linear_weight, target, linear_bias, reduction,
                                                     label_smoothing, options):
        options._check_for_call(input.dtype, batch[0] if batch else 1, in_features, num_classes)
    rows = math.prod(out_features, start=num_classes)
    logits = linear(input, linear_weight.reshape((rows, in_features)),
                    None if linear_bias is None else linear_bias.reshape(rows))
    return cross_entropy(logits.reshape(logits_shape), target, weight=weight, reduction=reduction,
                         ignore_index=ignore_index, label_smoothing=label_smoothing)
