"""`torch.cond` and `torch.while_loop`, the control-flow operators, with eager semantics.

PyTorch captures these into a graph when compiling; run eagerly they simply branch or loop in
Python. ferrotorch has no graph capture, so this is the whole operator: the checks are the ones
PyTorch makes on the predicate and on the functions' arguments and outputs.

    >>> import ferrotorch as torch
    >>> torch.cond(torch.tensor(True), lambda x: x + 1, lambda x: x - 1, (torch.tensor(1.0),))
    tensor(2.)
"""
import builtins

from . import _C

__all__ = ["cond", "while_loop"]


def _truth(pred, what):
    """The Python truth value of a bool / number / single-element tensor predicate."""
    if isinstance(pred, _C.Tensor):
        if pred.numel() != 1:
            raise RuntimeError(f"Expected {what} to be bool or single-element tensor, but got {pred}.")
        return builtins.bool(pred.item())
    if isinstance(pred, (builtins.bool, builtins.int, builtins.float)):
        return builtins.bool(pred)
    raise RuntimeError(f"Expected {what} to be bool or tensor, but got {pred}.")


def cond(pred, true_fn, false_fn, operands=()):
    """`true_fn(*operands)` if `pred` (a bool, number or single-element tensor) holds, else
    `false_fn(*operands)`; returns what the chosen function returns."""
    branch = true_fn if _truth(pred, "pred") else false_fn
    return branch(*operands)


def while_loop(cond_fn, body_fn, carried_inputs):
    """Repeats `carried_inputs = body_fn(*carried_inputs)` while `cond_fn(*carried_inputs)` holds
    (a bool or single-element tensor); body_fn returns as many values as it takes. Returns the
    last carried values, structured as body_fn returns them."""
    if not (callable(cond_fn) and callable(body_fn)):
        raise RuntimeError("Expect cond_fn and body_fn to be callable.")
    if not isinstance(carried_inputs, (tuple, list)):
        raise RuntimeError(f"carried_inputs must be a tuple or list but got {type(carried_inputs)}")
    carried = tuple(carried_inputs)
    result = None
    while _loop_predicate(cond_fn(*carried)):
        result = body_fn(*carried)
        carried = _as_carried(result, len(carried))
    if result is None:
        # PyTorch shapes the output like body_fn's even when the body never runs: body_fn is
        # pure by contract, so calling it once only learns that structure.
        return _restructure(body_fn(*carried), carried)
    return result


def _loop_predicate(pred):
    if isinstance(pred, _C.Tensor) and pred.dim() != 0 and pred.numel() != 1:
        raise RuntimeError("Expected cond_fn to return a scalar tensor or a bool but got "
                           f"{pred.shape}.")
    return _truth(pred, "cond_fn's output")


def _as_carried(result, count):
    """body_fn's output as a tuple of the carried values, checking it has `count` of them."""
    values = tuple(result) if isinstance(result, (tuple, list)) else (result,)
    if len(values) != count:
        raise RuntimeError("Expected body_fn_output and carried_inputs to have same number of outputs but got "
                           f"{len(values)} and {count}")
    return values


def _restructure(template, carried):
    """`carried` in the container type body_fn returns (`template`): a bare value, tuple or list."""
    _as_carried(template, len(carried))
    if isinstance(template, list):
        return list(carried)
    if isinstance(template, tuple):
        return carried
    return carried[0]
