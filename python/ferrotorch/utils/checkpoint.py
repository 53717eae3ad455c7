"""`torch.utils.checkpoint`: trade compute for memory by recomputing a segment in the backward pass.

`checkpoint(function, *args)` keeps none of `function`'s intermediate results; when the backward
pass needs them, it reruns `function` (with the RNG state and the autocast state of the first run,
so dropout draws the same mask). Gradients equal those of the plain call.

- `use_reentrant=False` (PyTorch's recommendation) runs `function` with grad enabled under
  saved-tensor hooks (`autograd.graph.saved_tensors_hooks`) that keep, for each tensor a backward
  would need, only its position. The graph is the ordinary one, so parameters closed over by
  `function` get gradients from `backward`, `autograd.grad` and `backward(inputs=...)`, outputs
  may be nested in any container, and double backward works. The first unpack reruns `function`
  (up to the last tensor needed) under hooks that collect the recomputed tensors; a recomputation
  that saves fewer tensors, or tensors of another shape, dtype or device, raises `CheckpointError`
  (`determinism_check="none"` turns the metadata check off).
- `use_reentrant=True` (PyTorch's default) is a custom `autograd.Function` whose backward reruns
  `function` and runs a nested backward pass: parameters get their gradients by accumulation into
  `.grad` only, no tensor argument requiring grad means no gradient, and there is no double
  backward.

`debug` is accepted and ignored.

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
from ..autograd.graph import saved_tensors_hooks

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointFunction", "CheckpointError", "check_backward_validity",
           "detach_variable", "noop_context_fn"]

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
    return _NonReentrantFrame(function, args, kwargs, context_fn or noop_context_fn, determinism_check,
                              preserve_rng_state).run()


class _SaveInputs(Function):
    """Holds a non-reentrant checkpoint's tensor arguments as saved tensors (PyTorch's
    _NoopSaveInputs); its output is never part of a loss."""

    @staticmethod
    def forward(ctx, dummy, *tensors):
        ctx.save_for_backward(*tensors)
        return _C.empty(0)

    @staticmethod
    def backward(ctx, grad):
        return (None,) * (1 + len(ctx.saved_tensors))


class _Dummy:
    """The zero-size tensor requiring grad that makes `_SaveInputs` record a node."""
    tensor = None


def _dummy():
    if _Dummy.tensor is None:
        _Dummy.tensor = _C.empty(0, requires_grad=True)
    return _Dummy.tensor


class CheckpointError(RuntimeError):
    """A recomputation that does not match the original forward (non-reentrant checkpoint)."""


class _StopRecomputation(Exception):
    """Raised by the recomputation's pack hook once every tensor needed has been recomputed."""


def _metadata(t):
    return {"shape": t.shape, "dtype": t.dtype, "device": t.device}


class _NonReentrantFrame:
    """One call of a non-reentrant checkpoint: the forward under hooks that keep positions only,
    and the recomputation that turns positions back into tensors."""

    def __init__(self, function, args, kwargs, context_fn, determinism_check, preserve_rng_state):
        if determinism_check not in ("default", "none"):
            raise ValueError("determinism_check should be one of ['default', 'none'], but got " + str(determinism_check))
        self.function, self.args, self.kwargs = function, args, kwargs
        self.context_fn, self.check = context_fn, determinism_check == "default"
        self.rng_state = _C.get_rng_state() if preserve_rng_state else None
        self.autocast_state = _autocast_state()
        self.saved_metadata = []   # per packed position, what the recomputation must reproduce
        self.recomputed = {}       # position -> tensor, filled by a recomputation, emptied by unpacking
        # The tensor arguments are saved tensors of a node of their own, so that one changed in
        # place before the recomputation fails with PyTorch's version error, not a wrong gradient.
        self.tensor_positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.input_saver = (_SaveInputs.apply(_dummy(), *[args[i] for i in self.tensor_positions])
                            if self.tensor_positions else None)

    def run(self):
        forward_context, self.recompute_context = self.context_fn()
        with saved_tensors_hooks(self.pack, self.unpack), forward_context:
            return self.function(*self.args, **self.kwargs)

    def pack(self, t):
        self.saved_metadata.append(_metadata(t))
        return len(self.saved_metadata) - 1

    def unpack(self, position):
        # A second backward (retain_graph=True) finds the tensors gone and recomputes again.
        if position not in self.recomputed:
            self.recompute()
        return self.recomputed.pop(position)

    def recompute(self):
        from ..amp import autocast_mode
        recomputed = []

        def collect(t):
            recomputed.append(t.detach())
            if len(recomputed) == len(self.saved_metadata):
                raise _StopRecomputation
            return None

        args = list(self.args)
        if self.input_saver is not None:
            for i, t in zip(self.tensor_positions, self.input_saver.grad_fn._saved_tensors):
                args[i] = t.detach().requires_grad_(t.requires_grad)
        current_rng = None
        if self.rng_state is not None:
            current_rng = _C.get_rng_state()
            _C.set_rng_state(self.rng_state)
        try:
            with saved_tensors_hooks(collect, lambda _: None), enable_grad(), \
                    autocast_mode._restore(self.autocast_state), self.recompute_context:
                self.function(*args, **self.kwargs)
        except _StopRecomputation:
            pass
        finally:
            # The recomputation must not shift the random stream the rest of the program sees.
            if current_rng is not None:
                _C.set_rng_state(current_rng)
        self.validate(recomputed)
        self.recomputed = dict(enumerate(recomputed))

    def validate(self, recomputed):
        if len(recomputed) != len(self.saved_metadata):
            raise CheckpointError(
                "torch.utils.checkpoint: A different number of tensors was saved during the original forward and "
                f"recomputation.\nNumber of tensors saved during forward: {len(self.saved_metadata)}\nNumber of "
                f"tensors saved during recomputation: {len(recomputed)}.")
        if not self.check:
            return
        mismatches = "".join(
            f"tensor at position {i}:\nsaved metadata: {saved}\nrecomputed metadata: {now}\n"
            for i, (saved, now) in enumerate(zip(self.saved_metadata, map(_metadata, recomputed))) if saved != now)
        if mismatches:
            raise CheckpointError("torch.utils.checkpoint: Recomputed values for the following tensors have different "
                                  "metadata than during the forward pass.\n" + mismatches + ".")


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
