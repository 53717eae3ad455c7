"""`torch.utils.checkpoint`: trade compute for memory by recomputing a segment in the backward pass.

`checkpoint(function, *args)` runs `function` under `no_grad`, so none of its intermediate results
are kept; only the inputs are saved. When the backward pass reaches the segment, it reruns
`function` with grad enabled (with the RNG state and the autocast state of the first run, so
dropout draws the same mask) and backpropagates through the recomputed graph.

Both `use_reentrant` variants share one mechanism, a custom `autograd.Function` whose backward
runs a nested backward pass (PyTorch's reentrant design). Tensors that the function uses without
taking them as arguments (parameters of a module, closed-over tensors) therefore receive their
gradients by accumulation into `.grad` during that nested pass. Differences from PyTorch:

- `use_reentrant=False` attaches a zero-size dummy input that requires grad, so that the output is
  part of the graph even when no argument requires grad (PyTorch tracks the parameters directly);
  the output then requires grad whenever grad mode is on. Its outputs may be nested in
  tuples/lists/dicts; the reentrant variant differentiates only a Tensor or a tuple, as in PyTorch.
- Neither variant supports double backward (`create_graph=True` through a checkpoint gives
  gradients without a graph); PyTorch's non-reentrant variant does.
- Gradients of such parameters flow only into `.grad`: `autograd.grad(loss, params)` and
  `backward(inputs=...)` do not see them through a checkpoint (as with PyTorch's reentrant variant).
- `context_fn`, `determinism_check` and `debug` are accepted and ignored.

    >>> import ferrotorch as torch
    >>> from ferrotorch.utils.checkpoint import checkpoint
    >>> x = torch.ones(3, requires_grad=True)
    >>> checkpoint(lambda t: (t * t).sum(), x, use_reentrant=False).backward()
    >>> x.grad
    tensor([2., 2., 2.])
"""
import contextlib
import warnings

from .. import _C
from .._C import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import enable_grad, is_grad_enabled
from ..func import _flatten, _unflatten

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointFunction", "check_backward_validity", "detach_variable",
           "noop_context_fn"]

_USE_REENTRANT_WARNING = (
    "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. In a future release, "
    "calling checkpoint without use_reentrant will raise an exception. use_reentrant=False is recommended, "
    "but if you need to preserve the current default behavior, you can pass use_reentrant=True. Refer to docs "
    "for more details on the differences between the two variants.")


def detach_variable(inputs):
    """A tuple of the tensors in `inputs` detached from the graph, each keeping its requires_grad
    (non-tensors pass through)."""
    if not isinstance(inputs, tuple):
        raise RuntimeError("Only tuple of tensors is supported. Got Unsupported input type: " + type(inputs).__name__)
    return tuple(x.detach().requires_grad_(x.requires_grad) if isinstance(x, Tensor) else x for x in inputs)


def check_backward_validity(inputs):
    """Warns when no tensor in `inputs` requires grad (a checkpoint of them gives no gradient)."""
    if not any(isinstance(x, Tensor) and x.requires_grad for x in inputs):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None", UserWarning, stacklevel=2)


def noop_context_fn():
    """The default `context_fn`: two contexts that do nothing (for the forward and the recomputation)."""
    return contextlib.nullcontext(), contextlib.nullcontext()


def _autocast_state():
    """The current autocast settings, to be re-entered during recomputation."""
    from ..amp import autocast_mode
    return autocast_mode._snapshot()


class CheckpointFunction(Function):
    """The reentrant checkpoint as a Function (its node is `CheckpointFunctionBackward`, as in PyTorch)."""

    @staticmethod
    def forward(ctx, run_function, preserve_rng_state, autocast_state, kwargs, *args):
        ctx.run_function = run_function
        ctx.kwargs = kwargs
        ctx.autocast_state = autocast_state
        ctx.rng_state = _C.get_rng_state() if preserve_rng_state else None
        # Non-tensor arguments are kept as they are; tensors go through save_for_backward so that
        # an in-place change before the backward is detected.
        ctx.arg_kinds = [isinstance(a, Tensor) for a in args]
        ctx.others = [None if k else a for k, a in zip(ctx.arg_kinds, args)]
        ctx.save_for_backward(*[a for a in args if isinstance(a, Tensor)])
        return run_function(*args, **kwargs)

    @staticmethod
    def backward(ctx, *grads):
        from ..amp import autocast_mode
        saved = iter(ctx.saved_tensors)
        args = []
        for is_tensor, other in zip(ctx.arg_kinds, ctx.others):
            if is_tensor:
                t = next(saved)
                args.append(t.detach().requires_grad_(t.requires_grad))
            else:
                args.append(other)
        current_rng = None
        if ctx.rng_state is not None:
            current_rng = _C.get_rng_state()
            _C.set_rng_state(ctx.rng_state)
        try:
            with enable_grad(), autocast_mode._restore(ctx.autocast_state):
                outputs = ctx.run_function(*args, **ctx.kwargs)
        finally:
            # The recomputation must not shift the random stream the rest of the program sees.
            if current_rng is not None:
                _C.set_rng_state(current_rng)
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        pairs = [(o, g) for o, g in zip(outputs, grads)
                 if isinstance(o, Tensor) and o.requires_grad and g is not None]
        if not pairs:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is not necessary")
        from ..autograd import backward
        backward([o for o, _ in pairs], [g for _, g in pairs])
        input_grads = tuple(a.grad if isinstance(a, Tensor) else None for a in args)
        # One None each for run_function, preserve_rng_state, autocast_state, kwargs.
        return (None, None, None, None) + input_grads


class _Dummy:
    """Holds the zero-size tensor that keeps a non-reentrant checkpoint in the graph."""
    tensor = None


def _dummy():
    if _Dummy.tensor is None:
        _Dummy.tensor = _C.empty(0, requires_grad=True)
    return _Dummy.tensor


def checkpoint(function, *args, use_reentrant=None, context_fn=None, determinism_check="default", debug=False,
               preserve_rng_state=True, **kwargs):
    """Runs `function(*args, **kwargs)` without storing its intermediate results; the backward
    pass recomputes them. Gradients equal those of the plain call.

    `use_reentrant` should be passed explicitly (a UserWarning otherwise; the default is True, as in
    PyTorch). The reentrant variant takes no keyword arguments for `function` and gives no gradient
    when no tensor argument requires grad.

        >>> import ferrotorch as torch
        >>> lin = torch.nn.Linear(2, 2)
        >>> y = torch.utils.checkpoint.checkpoint(lin, torch.ones(1, 2), use_reentrant=False)
        >>> y.sum().backward()
        >>> lin.weight.grad.shape
        torch.Size([2, 2])
    """
    if use_reentrant is None:
        warnings.warn(_USE_REENTRANT_WARNING, UserWarning, stacklevel=2)
        use_reentrant = True
    if use_reentrant:
        if context_fn is not None or debug:
            raise ValueError("Passing `context_fn` or `debug` is only supported when use_reentrant=False.")
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
        # Warned even under no_grad, as PyTorch does (its check runs inside the Function's forward).
        if not any(isinstance(a, Tensor) and a.requires_grad for a in args):
            warnings.warn("None of the inputs have requires_grad=True. Gradients will be None", UserWarning,
                          stacklevel=2)
    if not is_grad_enabled():
        # Nothing will be differentiated: a plain call costs no extra memory.
        return function(*args, **kwargs)
    if use_reentrant:
        # As in PyTorch, only a Tensor or a tuple output is differentiable here.
        return CheckpointFunction.apply(function, preserve_rng_state, _autocast_state(), kwargs, *args)
    run = _NonReentrant(function)
    leaves = CheckpointFunction.apply(run, preserve_rng_state, _autocast_state(), kwargs, *args, _dummy())
    return _unflatten(list(leaves), run.spec)


class _NonReentrant:
    """Calls `function` without the trailing dummy tensor and returns its output's leaves as a
    tuple, so that outputs nested in lists/dicts get gradients too; `spec` rebuilds them."""

    def __init__(self, function):
        self.function, self.spec = function, None

    def __call__(self, *args, **kwargs):
        leaves, self.spec = _flatten(self.function(*args[:-1], **kwargs))
        return tuple(leaves)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Runs a sequence of modules/functions in `segments` chunks, checkpointing every chunk but the
    last (whose activations the backward needs first anyway).

        >>> import ferrotorch as torch
        >>> model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
        >>> out = torch.utils.checkpoint.checkpoint_sequential(model, 2, torch.ones(1, 2), use_reentrant=False)
        >>> out.shape
        torch.Size([1, 1])
    """
    if use_reentrant is None:
        warnings.warn(_USE_REENTRANT_WARNING, UserWarning, stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    from ..nn import Sequential
    if isinstance(functions, Sequential):
        functions = list(functions.children())
    functions = list(functions)

    def run(start, end):
        def forward(x):
            for fn in functions[start:end + 1]:
                x = fn(x)
            return x
        return forward

    size = len(functions) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant, preserve_rng_state=preserve)
    return run(end + 1, len(functions) - 1)(input)
