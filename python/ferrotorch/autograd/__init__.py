"""Reverse-mode automatic differentiation. The tape and the engine are in Rust
(`src/autograd/`); this package holds the Python-facing API.

    >>> import ferrotorch as torch
    >>> w = torch.tensor([1.0, -2.0], requires_grad=True)
    >>> ((w * 2 + 1).relu() * w).sum().backward()
    >>> w.grad
    tensor([5., 0.])
"""
from .. import _C
from .._C import Tensor
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
                        set_grad_enabled)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from . import graph  # noqa: F401
from . import functional  # noqa: F401
from .variable import Variable  # noqa: F401

__all__ = ["backward", "grad", "Function", "FunctionCtx", "once_differentiable", "no_grad", "enable_grad",
           "set_grad_enabled", "inference_mode", "is_grad_enabled", "is_inference_mode_enabled", "gradcheck",
           "gradgradcheck", "GradcheckError"]


def _seq(x):
    if x is None:
        return None
    return [x] if isinstance(x, Tensor) else list(x)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None, inputs=None):
    """Accumulates gradients of `tensors` into the `.grad` of the leaves (or of `inputs`)."""
    if grad_variables is not None:
        grad_tensors = grad_variables
    inputs = _seq(inputs)
    if inputs is not None and len(inputs) == 0:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    _C._run_backward(_seq(tensors), _seq(grad_tensors), retain_graph, create_graph, inputs)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Returns the gradients of `outputs` with respect to `inputs` (no `.grad` is touched)."""
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, "
                         "but got: allow_unused=False.")
    allow_unused = bool(allow_unused) or materialize_grads
    single = isinstance(inputs, Tensor)
    ins = _seq(inputs)
    if len(ins) == 0:
        raise RuntimeError("grad requires non-empty inputs.")
    result = _C._run_grad(_seq(outputs), ins, _seq(grad_outputs), retain_graph, create_graph, allow_unused)
    if materialize_grads:
        from .. import zeros_like
        result = [zeros_like(i) if g is None else g for g, i in zip(result, ins)]
    return tuple(result)
