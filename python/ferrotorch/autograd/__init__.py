"""Reverse-mode automatic differentiation. The tape and the engine are in Rust
(`src/autograd/`); this package holds the Python-facing API.

    >>> import ferrotorch as torch
    >>> w = torch.tensor([1.0, -2.0], requires_grad=True)
    >>> ((w * 2 + 1).relu() * w).sum().backward()
    >>> w.grad
    tensor([5., 0.])
"""
import warnings

from .. import _C
from .._C import Tensor
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled,
                        is_multithreading_enabled, no_grad, set_grad_enabled, set_multithreading_enabled)
from . import anomaly_mode  # noqa: F401
from .anomaly_mode import detect_anomaly, set_detect_anomaly
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from . import graph  # noqa: F401
from . import functional  # noqa: F401
from .variable import Variable  # noqa: F401

__all__ = ["backward", "grad", "Function", "FunctionCtx", "once_differentiable", "no_grad", "enable_grad",
           "set_grad_enabled", "inference_mode", "is_grad_enabled", "is_inference_mode_enabled", "gradcheck",
           "gradgradcheck", "GradcheckError", "detect_anomaly", "set_detect_anomaly", "set_multithreading_enabled",
           "is_multithreading_enabled", "Variable", "anomaly_mode", "functional", "graph"]


def _seq(x):
    if x is None:
        return None
    return [x] if isinstance(x, Tensor) else list(x)


def _check_grad_count(tensors, grads):
    """PyTorch pairs outputs and gradients one to one (checked before the engine runs)."""
    if grads is not None and len(grads) != len(tensors):
        raise RuntimeError(f"got {len(tensors)} tensors and {len(grads)} gradients")


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None, inputs=None):
    """Accumulates gradients of `tensors` into the `.grad` of the leaves (or of `inputs`).

    `inputs` may include non-leaf tensors, whose `.grad` is then filled in; a tensor that does not
    require grad is refused.

        >>> import ferrotorch as torch
        >>> a = torch.tensor([1.0, 2.0], requires_grad=True)
        >>> b = a * 2
        >>> torch.autograd.backward((b * b).sum(), inputs=[b])
        >>> b.grad, a.grad
        (tensor([4., 8.]), None)
    """
    if grad_variables is not None:
        grad_tensors = grad_variables
    inputs = _seq(inputs)
    if inputs is not None and len(inputs) == 0:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    tensors, grad_tensors = _seq(tensors), _seq(grad_tensors)
    _check_grad_count(tensors, grad_tensors)
    for t in inputs or ():
        # PyTorch retains the grad of every input, which is what rejects one without grad.
        if isinstance(t, Tensor) and not t.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    _C._run_backward(tensors, grad_tensors, retain_graph, create_graph, inputs)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Returns the gradients of `outputs` with respect to `inputs` (no `.grad` is touched).

    `allow_unused=True` gives None for an input the outputs do not depend on (an error otherwise),
    `materialize_grads=True` gives zeros instead, and `is_grads_batched=True` treats the first
    dimension of each `grad_outputs` tensor as a batch: the result has that batch dimension too.

        >>> import ferrotorch as torch
        >>> x = torch.tensor([1.0, 2.0], requires_grad=True)
        >>> torch.autograd.grad((x ** 3).sum(), x)
        (tensor([ 3., 12.]),)
    """
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, "
                         "but got: allow_unused=False.")
    if not only_inputs:
        warnings.warn("only_inputs argument is deprecated and is ignored now (defaults to True). To accumulate "
                      "gradient for other parts of the graph, please use torch.autograd.backward.",
                      FutureWarning, stacklevel=2)
    allow_unused = bool(allow_unused) or materialize_grads
    outs, ins, gos = _seq(outputs), _seq(inputs), _seq(grad_outputs)
    if len(ins) == 0:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    _check_grad_count(outs, gos)
    if is_grads_batched:
        result = _batched_grad(outs, ins, gos, retain_graph, create_graph)
    else:
        # The engine is always asked to allow unused inputs, so that the error can name the index.
        result = _C._run_grad(outs, ins, gos, retain_graph, create_graph, True)
    if not allow_unused:
        for i, g in enumerate(result):
            if g is None:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have been used in the "
                                   "graph. Set allow_unused=True if this is the desired behavior.")
    if materialize_grads:
        from .. import zeros_like
        result = [zeros_like(i) if g is None else g for g, i in zip(result, ins)]
    return tuple(result)


def _batched_grad(outs, ins, gos, retain_graph, create_graph):
    """`grad` with `is_grads_batched`: one vector-Jacobian product per row of the grad_outputs,
    stacked (PyTorch vectorises this with vmap; the rows here run one after another)."""
    from .. import stack
    if gos is None or any(g is None for g in gos):
        raise RuntimeError("is_grads_batched=True requires a grad_output tensor for every output")
    sizes = {g.shape[0] if g.dim() > 0 else None for g in gos}
    if len(sizes) != 1 or None in sizes:
        raise RuntimeError("If `is_grads_batched=True`, we interpret the first dimension of each grad_output "
                           "as the batch dimension. The sizes of the remaining dimensions are expected to match "
                           "the shape of corresponding output, but a mismatch was detected: the grad_outputs do "
                           "not share one batch size.")
    (batch,) = sizes
    rows = []
    keep = retain_graph if retain_graph is not None else create_graph
    for b in range(batch):
        last = b == batch - 1
        rows.append(_C._run_grad(outs, ins, [g[b] for g in gos], keep if last else True, create_graph, True))
    result = []
    from .. import zeros_like
    for k, inp in enumerate(ins):
        column = [r[k] for r in rows]
        if batch == 0:
            result.append(inp.new_zeros((0, *inp.shape)))
        elif all(g is None for g in column):
            result.append(None)
        else:
            result.append(stack([zeros_like(inp) if g is None else g for g in column]))
    return result


from . import profiler  # noqa: E402,F401  (torch.autograd.profiler)
from . import forward_ad  # noqa: E402,F401  (torch.autograd.forward_ad)
