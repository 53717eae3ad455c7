"""Dropout and its variants: zero (or, for alpha dropout, saturate) elements or whole channels during
training and rescale so that the expected output (or, for alpha dropout, its mean and variance) is kept.

Every variant multiplies by a random mask drawn with `bernoulli_`; feature (channel) variants draw one
mask value per (batch, channel) pair, shaped (N, C, 1, ..., 1), and let broadcasting spread it.
"""
import math
import warnings

from ... import _C

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]

# -scale * alpha of SELU: the value SELU saturates to, which alpha dropout sets dropped units to.
_ALPHA_PRIME = 1.7580993408473766


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _keep_mask(input, p, feature):
    """1 where an element (or a whole channel, when `feature`) is kept, else 0, in input's dtype (its
    parts' dtype for complex input: a kept complex element keeps both parts)."""
    shape = list(input.shape)
    if feature:
        if input.dim() < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        shape = shape[:2] + [1] * (input.dim() - 2)
    return _C.empty(shape, dtype=input.dtype.to_real(), device=input.device).bernoulli_(1.0 - p)


def _dropout_impl(input, p, training, inplace, feature):
    _check_p(p)
    if not training or p == 0.0 or input.numel() == 0:
        return input
    scale = _keep_mask(input, p, feature)
    if p < 1.0:
        scale.div_(1.0 - p)
    return input.mul_(scale) if inplace else input * scale


def dropout(input, p=0.5, training=True, inplace=False):
    """Zeroes each element with probability `p` and scales the rest by 1 / (1 - p), in training only."""
    return _dropout_impl(input, p, training, inplace, feature=False)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels of (N, C, L) or (C, L) input with probability `p`."""
    _check_p(p)
    if input.dim() not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.dim()}D input. Note that "
                           "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, "
                           "a channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    if input.dim() == 3:
        return _dropout_impl(input, p, training, inplace, feature=True)
    # Unbatched (C, L): a view with a batch dimension of 1, so an in-place result still lands in input.
    out = _dropout_impl(input.unsqueeze(0), p, training, inplace, feature=True)
    return input if inplace else out.squeeze(0)


def _dropout_nd(name, n, input, p, training, inplace):
    _check_p(p)
    if input.dim() not in (n + 1, n + 2):
        warnings.warn(f"{name}: Received a {input.dim()}-D input to {name}, which is deprecated and will result "
                      f"in an error in a future release. To retain the behavior and silence this warning, please "
                      f"use dropout instead. Note that {name} exists to provide channel-wise dropout on inputs "
                      f"with {n} spatial dimensions, a channel dimension, and an optional batch dimension "
                      f"(i.e. {n + 1}D or {n + 2}D inputs).", stacklevel=3)
    if n == 2 and input.dim() == 3:
        # PyTorch keeps reading 3-D input as batched (N, C, L), i.e. dropout1d's behaviour.
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel "
                      "dim. This behavior will change in a future release to interpret the input as one "
                      "without a batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise "
                      "dropout behavior, please switch to using dropout1d instead.", stacklevel=3)
    if n == 3 and input.dim() != 5:
        # Anything but (N, C, D, H, W) is read as unbatched, as in PyTorch.
        out = _dropout_impl(input.unsqueeze(0), p, training, inplace, feature=True)
        return input if inplace else out.squeeze(0)
    return _dropout_impl(input, p, training, inplace, feature=True)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels of (N, C, H, W) input with probability `p` (3-D input: see the warning)."""
    return _dropout_nd("dropout2d", 2, input, p, training, inplace)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels of (N, C, D, H, W) or (C, D, H, W) input with probability `p`."""
    return _dropout_nd("dropout3d", 3, input, p, training, inplace)


def _alpha_dropout_impl(input, p, training, inplace, feature):
    _check_p(p)
    if not training or p == 0.0 or input.numel() == 0:
        return input
    if p == 1.0:
        return input.mul_(0.0) if inplace else input * 0.0
    keep = _keep_mask(input, p, feature)
    # Dropped units become -alpha'; then a * (.) + b restores zero mean and unit variance.
    a = 1.0 / math.sqrt((_ALPHA_PRIME ** 2 * p + 1.0) * (1.0 - p))
    b = (keep - 1.0) * (_ALPHA_PRIME * a) + _ALPHA_PRIME * a * p
    keep.mul_(a)
    return input.mul_(keep).add_(b) if inplace else input * keep + b


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for SELU networks: keeps the mean and variance of standard-normal input."""
    return _alpha_dropout_impl(input, p, training, inplace, feature=False)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout of whole channels (dim 1)."""
    return _alpha_dropout_impl(input, p, training, inplace, feature=True)
