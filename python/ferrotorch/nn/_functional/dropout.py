"""Dropout: zero elements with probability p during training and rescale the rest by 1/(1-p)."""
from ... import _C

__all__ = ["dropout"]


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input, p=0.5, training=True, inplace=False):
    _check_p(p)
    if not training or p == 0.0:
        return input
    scale = _C.empty_like(input).bernoulli_(1.0 - p)
    if p < 1.0:
        scale.div_(1.0 - p)
    return input.mul_(scale) if inplace else input * scale
