"""`torch.autograd.forward_ad`: dual tensors and their tangents (forward-mode AD), on top of reverse mode.

PyTorch pushes a tangent through every op as it runs. ferrotorch's engine is reverse-mode only,
so a tangent here is computed lazily, when `unpack_dual` asks for it, by the double-backward
trick that `autograd.functional.jvp` uses: `u -> J^T u` is linear in `u`, so differentiating it
with respect to `u` in the direction of the tangents gives `J t`. Each dual is a tensor that
requires grad (a fresh leaf sharing the primal's memory, or a view of the primal when the primal
already requires grad, so that reverse mode still reaches it); the open level records every dual
with its tangent, and `unpack_dual(y)` differentiates `y` with respect to the duals its graph
reaches. Any op that ferrotorch can differentiate twice therefore has a correct tangent. A primal
or tangent that `unpack_dual` returns attached to the user's graph passes through `_TangentStop`,
which tangent computations do not cross: as in PyTorch, it is a constant to forward mode.

What differs from PyTorch, visibly:

- Cost: each `unpack_dual` of a computed tensor runs about two backward passes over its graph
  (plus a walk over the graph in Python); unpacking a dual itself is free.
- Inside the level, a dual and everything computed from it have `requires_grad=True` (a dual made
  from a tensor that does not require grad is a leaf, `grad_fn is None`, and goes back to
  `requires_grad=False` when the level exits). The unpacked primal and tangent do follow PyTorch: they
  require grad only when the user's own graph (a primal or tangent that requires grad) is involved.
- A tangent is computed from the reverse-mode graph, so after a `.backward()` (without
  retain_graph=True) through a result, `unpack_dual` of that result raises (its saved values are
  freed); PyTorch computed the tangent as the op ran. Unpack first, then call backward. Such a
  backward still gives the user's parameters their correct `.grad`, and a dual gets none.
- Tangents follow the reverse-mode graph, so a result computed under `no_grad()` or
  `inference_mode()` has no tangent (PyTorch still tracks it there), nor does one computed
  outside ferrotorch's autograd (`.numpy()` round trips, `.detach()`, which PyTorch drops too).
- In-place ops on a dual itself are not supported (PyTorch accepts them): the engine refuses them
  on a leaf dual (and on a view of a leaf that requires grad), and after one on a dual of a
  non-leaf primal, `unpack_dual` raises. In-place ops on results computed from duals work.
- The level keeps its duals and tangents alive until it exits (PyTorch frees a tangent with its
  tensor). A tangent whose dtype differs from the primal's is accepted, as in PyTorch, but is cast
  to the primal's dtype when pushed through ops (PyTorch computes in the tangent's dtype).
- Only one level exists at a time, as in PyTorch (nesting raises); there are no tangents of tangents.

    >>> import ferrotorch as torch
    >>> import ferrotorch.autograd.forward_ad as fwAD
    >>> with fwAD.dual_level():
    ...     x = fwAD.make_dual(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 0.5]))
    ...     fwAD.unpack_dual(x * x).tangent
    tensor([2., 2.])
"""
from typing import NamedTuple, Optional

from .. import _C
from .._C import Tensor
from .function import Function
from .grad_mode import _DecoratorContextManager, enable_grad

__all__ = ["UnpackedDualTensor", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual", "dual_level"]

_ACCUMULATE_GRAD = "torch::autograd::AccumulateGrad"


class UnpackedDualTensor(NamedTuple):
    """What `unpack_dual` returns: the primal, and its tangent (None when it has none)."""
    primal: Tensor
    tangent: Optional[Tensor]


class _Dual:
    """One `make_dual` of the open level. `node` is the dual's place in the graph: the
    AccumulateGrad of a leaf dual, or the view node of a dual of a primal that requires grad."""
    __slots__ = ("dual", "tangent", "node")

    def __init__(self, dual, tangent, node):
        self.dual, self.tangent, self.node = dual, tangent, node


class _Level:
    def __init__(self):
        self.by_id = {}  # id(dual tensor) -> _Dual; the entry holds the tensor, so the id stays unique
        self.by_node = {}  # graph node -> _Dual, to find the duals a result's graph reaches
        # Nodes of the primals and tangents unpack_dual returned attached to the user's graph:
        # in PyTorch those carry no tangent, so tangents never flow back through them.
        self.tangent_stops = set()


# True while `_tangent` differentiates: `_TangentStop` then blocks gradients.
_computing_tangent = False


class _TangentStop(Function):
    """A view that passes reverse-mode gradients (the user's graph) but none while a tangent is
    being computed, so a returned primal or tangent is a constant to forward mode, as in PyTorch."""

    @staticmethod
    def forward(ctx, value):
        return value.view_as(value)

    @staticmethod
    def backward(ctx, grad):
        return None if _computing_tangent else grad


_current_level = -1
_open_level = None


def enter_dual_level():
    """Opens the (single) forward-AD level and returns its index, 0."""
    global _current_level, _open_level
    if _current_level >= 0:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _current_level, _open_level = _current_level + 1, _Level()
    return _current_level


def exit_dual_level(*, level=None):
    """Closes the level (the open one by default): every tangent of that level is dropped."""
    global _current_level, _open_level
    if level is None:
        level = _current_level
    if level < 0:
        raise RuntimeError("Dual level must be a positive number.")
    if level != _current_level:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that was created. "
                           "This is not supported.")
    # A leaf dual becomes a plain tensor again, as PyTorch's does when its tangent goes.
    for entry in _open_level.by_id.values():
        if entry.dual.grad_fn is None:
            entry.dual.requires_grad_(False)
    _current_level, _open_level = level - 1, None


class dual_level(_DecoratorContextManager):
    """Context manager (and decorator) around `enter_dual_level` / `exit_dual_level`.

        >>> import ferrotorch as torch
        >>> import ferrotorch.autograd.forward_ad as fwAD
        >>> with fwAD.dual_level():
        ...     fwAD.unpack_dual(fwAD.make_dual(torch.zeros(1), torch.ones(1)).exp()).tangent
        tensor([1.])
    """

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, exc_type, exc_value, traceback):
        exit_dual_level()


def _graph_node(dual):
    """The node through which results computed from `dual` reach it."""
    if dual.grad_fn is not None:
        return dual.grad_fn
    with enable_grad():
        return dual.view_as(dual).grad_fn.next_functions[0][0]


def _reach(tensor, level, hidden=()):
    """(the level's duals that `tensor`'s graph reaches, whether it also reaches a leaf of the
    user's that requires grad). Nodes in `hidden` are ours and count as neither."""
    entry = level.by_id.get(id(tensor)) if level is not None else None
    if entry is not None and tensor.grad_fn is None:
        return [entry], False
    if not tensor.requires_grad:
        return [], False
    if tensor.grad_fn is None:
        return [], True
    reached, user_graph = {}, False
    stack, seen = [tensor.grad_fn], {tensor.grad_fn}
    while stack:
        node = stack.pop()
        if level is not None and node in level.tangent_stops:
            # Only values attached to the user's graph are returned through a stop.
            user_graph = True
            continue
        entry = level.by_node.get(node) if level is not None else None
        if entry is not None:
            reached[id(entry)] = entry
        if node.name() == _ACCUMULATE_GRAD:
            user_graph = user_graph or (entry is None and node not in hidden)
            continue
        # A dual of a primal that requires grad is a view: its graph goes on to the user's leaves.
        for nxt, _ in node.next_functions:
            if nxt is not None and nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return list(reached.values()), user_graph


def make_dual(tensor, tangent, *, level=None):
    """Returns a dual tensor: `tensor`'s values, carrying `tangent` at the open level.

    The dual shares memory with `tensor`; when `tensor` requires grad, the dual is a view of it,
    so reverse mode through results of the dual still reaches `tensor`.
    """
    if level is None:
        level = _current_level
    if level < 0:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, make sure to "
                           "enter_dual_level() first.")
    if not tensor.is_floating_point():
        raise ValueError(f"Expected primal to be floating point or complex, but got: {tensor.dtype}")
    if not tangent.is_floating_point():
        raise ValueError(f"Expected tangent to be floating point or complex, but got: {tangent.dtype}")
    if not isinstance(level, int) or isinstance(level, bool):
        raise TypeError(f"_make_dual(): argument 'level' must be int, not {type(level).__name__}")
    if level != _current_level:
        raise RuntimeError("Invalid level given to _make_dual")
    if _reach(tensor, _open_level)[0]:
        raise RuntimeError(f"Making a dual Tensor based on a Tensor that already has a forward gradient at the same "
                           f"level {level} is not supported.")
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise RuntimeError("Trying to set a forward gradient that has a different size than that of the original "
                           f"Tensor, this is not supported. Tensor is of size {list(tensor.shape)} while the given "
                           f"forward gradient is of size {list(tangent.shape)}.")
    with enable_grad():
        dual = tensor.view_as(tensor) if tensor.requires_grad else tensor.detach().requires_grad_(True)
    if dual.is_leaf:
        # The leaf only requires grad to be differentiated by `_tangent`: a user's backward inside
        # the level must not leave a `.grad` on it (PyTorch's dual has none).
        dual.register_post_accumulate_grad_hook(_drop_grad)
    entry = _Dual(dual, tangent, _graph_node(dual))
    _open_level.by_id[id(dual)] = entry
    _open_level.by_node[entry.node] = entry
    return dual


def _drop_grad(dual):
    dual.grad = None


def _check_not_modified(entries):
    # A dual that is a view moves to a new graph node when it (or its base) is modified in place;
    # differentiating with respect to it would then give the wrong Jacobian, so refuse.
    for e in entries:
        if e.dual.grad_fn is not None and not e.dual.grad_fn == e.node:
            raise RuntimeError("unpack_dual: a dual Tensor of this level was modified by an inplace operation, which "
                               "ferrotorch's forward AD (computed by double backward) does not support.")


def _as_returned(value, user_graph, level):
    """`value` as PyTorch returns it: attached to the graph only if the user's graph is involved,
    and then through a `_TangentStop`, so that results computed from it get no tangent through it."""
    if not user_graph:
        return value.detach()
    with enable_grad():
        returned = _TangentStop.apply(value)
    level.tangent_stops.add(returned.grad_fn)
    return returned


def _tangent(y, entries, level):
    """J t for `y`, summed over the duals `entries`, by the double-backward trick."""
    global _computing_tangent
    blocking, _computing_tangent = _computing_tangent, True
    try:
        with enable_grad():
            dummy = _C.zeros_like(y).requires_grad_(True)
            grads = _C._run_grad([y], [e.dual for e in entries], [dummy], True, True, True)
            # A gradient that does not depend on the dummy comes from a zero Jacobian (round, sign, ...).
            pairs = [(g, e.tangent.to(g.dtype)) for g, e in zip(grads, entries)
                     if g is not None and g.requires_grad]
            if not pairs:
                return _C.zeros_like(y)
            (tangent,) = _C._run_grad([g for g, _ in pairs], [dummy], [t for _, t in pairs], True, True, True)
    finally:
        _computing_tangent = blocking
    if tangent is None:
        return _C.zeros_like(y)
    return _as_returned(tangent, _reach(tangent, level, hidden={_graph_node(dummy)})[1], level)


def unpack_dual(tensor, *, level=None):
    """Returns `UnpackedDualTensor(primal, tangent)`; the tangent is None for a tensor that depends
    on no dual of the level (and outside a level). Computing the tangent of a result runs about two
    backward passes over its graph.
    """
    if level is None:
        level = _current_level
    if level < 0:
        return UnpackedDualTensor(tensor, None)
    if not isinstance(tensor, Tensor):
        raise TypeError(f"_unpack_dual(): argument 'dual' (position 1) must be Tensor, not {type(tensor).__name__}")
    opened = _open_level if level == _current_level else None
    if opened is None and _open_level is not None and tensor.requires_grad and _reach(tensor, _open_level)[0]:
        # A tensor with a tangent can only be unpacked at the level of that tangent.
        raise RuntimeError("Invalid level given to _fw_primal")
    if opened is None or not tensor.requires_grad:
        return UnpackedDualTensor(tensor.view_as(tensor), None)
    _check_not_modified(opened.by_id.values())
    entries, user_graph = _reach(tensor, opened)
    primal = _as_returned(tensor, user_graph, opened)
    own = opened.by_id.get(id(tensor))
    if own is not None:
        return UnpackedDualTensor(primal, own.tangent)
    if not entries:
        return UnpackedDualTensor(primal, None)
    return UnpackedDualTensor(primal, _tangent(tensor, entries, opened))
