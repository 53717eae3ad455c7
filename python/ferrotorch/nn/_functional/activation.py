"""Activation functions, composed from tensor ops (each records its own gradient)."""
import warnings

__all__ = ["relu", "softmax", "log_softmax"]


def relu(input, inplace=False):
    return input.relu_() if inplace else input.relu()


def _softmax_dim(ndim):
    # PyTorch's legacy choice when `dim` is omitted (and its warning).
    warnings.warn("Implicit dimension choice for softmax has been deprecated. Change the call to include "
                  "dim=X as an argument.", stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(x) / sum(exp(x)) along `dim`, shifted by the (detached) max for stability."""
    if dim is None:
        dim = _softmax_dim(input.dim())
    x = input if dtype is None else input.to(dtype)
    e = (x - x.amax(dim, keepdim=True).detach()).exp()
    return e / e.sum(dim, keepdim=True)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """x - logsumexp(x) along `dim`."""
    if dim is None:
        dim = _softmax_dim(input.dim())
    x = input if dtype is None else input.to(dtype)
    return x - x.logsumexp(dim, keepdim=True)
