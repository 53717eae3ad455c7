"""Helpers shared by the distributions: parameter broadcasting, probs <-> logits, lazy properties.

Parameters may be Python numbers or tensors; `broadcast_all` turns numbers into tensors of the
first tensor argument's dtype and device (the default dtype when there is none), so a
distribution built from tensors on the GPU keeps every computation there.
"""
import numbers

import ferrotorch as torch

__all__ = ["broadcast_all", "logits_to_probs", "probs_to_logits", "clamp_probs", "lazy_property"]


def broadcast_all(*values):
    """Broadcasts numbers and tensors to one shape; numbers become tensors like the first tensor.

    >>> import ferrotorch as torch
    >>> a, b = broadcast_all(torch.zeros(2), 1.0)
    >>> tuple(b.shape), b.tolist()
    ((2,), [1.0, 1.0])
    """
    if not all(isinstance(v, (torch.Tensor, numbers.Number)) for v in values):
        raise ValueError("Input arguments must all be instances of numbers.Number, torch.Tensor or objects "
                         "implementing __torch_function__.")
    if not any(isinstance(v, torch.Tensor) for v in values):
        dtype = torch.get_default_dtype()
        values = [torch.tensor(float(v), dtype=dtype) for v in values]
        return tuple(torch.broadcast_tensors(*values))
    like = next(v for v in values if isinstance(v, torch.Tensor))
    values = [v if isinstance(v, torch.Tensor) else torch.tensor(float(v), dtype=like.dtype, device=like.device)
              for v in values]
    return tuple(torch.broadcast_tensors(*values))


def clamp_probs(probs):
    """Probabilities clamped into [eps, 1 - eps] so their logs stay finite."""
    eps = torch.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def logits_to_probs(logits, is_binary=False):
    """Sigmoid of logits when `is_binary`, otherwise softmax over the last dimension."""
    if is_binary:
        return torch.sigmoid(logits)
    return torch.softmax(logits, dim=-1)


def probs_to_logits(probs, is_binary=False):
    """log(p) - log(1 - p) when `is_binary`, otherwise log(p), with p clamped away from 0 and 1."""
    ps = clamp_probs(probs)
    if is_binary:
        return torch.log(ps) - torch.log1p(-ps)
    return torch.log(ps)


class lazy_property:
    """A property computed on first access and then stored on the instance (in its __dict__), as
    PyTorch's: a distribution given `probs` computes `logits` only when asked for them."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return self
        with torch.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


def _sum_rightmost(value, dim):
    """Sums the `dim` rightmost dimensions of `value` (flatten, not reshape(-1): a batch of
    size 0 would make -1 ambiguous)."""
    if dim == 0:
        return value
    return value.flatten(-dim).sum(-1)


def _standard_normal(shape, dtype, device):
    return torch.randn(tuple(shape), dtype=dtype, device=device)


def _uniform_open(shape, like):
    """Uniform draws in the open interval (0, 1): rand's 0 is replaced by the dtype's tiny."""
    u = torch.rand(tuple(shape), dtype=like.dtype, device=like.device)
    return u.clamp(min=torch.finfo(like.dtype).tiny)
