"""Custom differentiable operations: subclass `Function`, write `forward(ctx, ...)` and
`backward(ctx, *grads)` as staticmethods, call `apply`.

    >>> import ferrotorch as torch
    >>> class Square(torch.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x * x
    ...     @staticmethod
    ...     def backward(ctx, grad):
    ...         (x,) = ctx.saved_tensors
    ...         return 2 * x * grad
    >>> x = torch.tensor([3.0], requires_grad=True)
    >>> Square.apply(x).backward()
    >>> x.grad
    tensor([6.])
"""
from .. import _C
from .._C import Tensor
from .grad_mode import no_grad

__all__ = ["Function", "FunctionCtx", "once_differentiable"]


class FunctionCtx:
    """The `ctx` passed to a custom Function's forward and backward."""

    def __init__(self, needs_input_grad):
        self.needs_input_grad = needs_input_grad
        self._to_save = ()
        self._non_differentiable = []
        self._materialize_grads = True
        self._saved = None

    def save_for_backward(self, *tensors):
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError("save_for_backward can only save variables, but argument "
                                f"{tensors.index(t)} is of type {type(t).__name__}")
        self._to_save = tensors

    @property
    def saved_tensors(self):
        if self._saved is None:
            # Read in forward (before the graph exists): PyTorch hands back what was saved.
            return tuple(self._to_save)
        return tuple(self._saved)

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable.extend(tensors)

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    def set_materialize_grads(self, value):
        self._materialize_grads = bool(value)


class _FunctionMeta(type):
    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        cls._backward_name = name + "Backward"


class Function(metaclass=_FunctionMeta):
    """Base class of custom autograd operations (see the module docstring)."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    def __init__(self, *args, **kwargs):
        raise RuntimeError("Legacy autograd function with non-static forward method is deprecated. "
                           "Please use new-style autograd function with static forward method. "
                           "(Example: https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    @classmethod
    def apply(cls, *args, **kwargs):
        tensor_positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        ctx = FunctionCtx(needs)
        with no_grad():
            result = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(result, tuple)
        outputs = (result,) if single else result
        # An input returned unchanged must not become its own descendant: return an alias.
        outputs = tuple(o.detach() if isinstance(o, Tensor) and any(o is a for a in args) else o
                        for o in outputs)
        out_tensors = [o for o in outputs if isinstance(o, Tensor)]
        saved = []
        for t in ctx._to_save:
            idx = next((k for k, o in enumerate(out_tensors) if o is t), None)
            saved.append(idx if idx is not None else t)
        non_diff = [k for k, o in enumerate(out_tensors) if any(o is n for n in ctx._non_differentiable)]

        def run_backward(saved_tensors, grads, needs_input_grad):
            ctx._saved = saved_tensors
            per_arg = [False] * len(args)
            for pos, need in zip(tensor_positions, needs_input_grad):
                per_arg[pos] = need
            ctx.needs_input_grad = tuple(per_arg)
            r = cls.backward(ctx, *grads)
            r = r if isinstance(r, tuple) else (r,)
            if len(r) != len(args):
                if len(r) > len(args) and all(x is None for x in r[len(args):]):
                    r = r[:len(args)]
                else:
                    raise RuntimeError(f"function {cls._backward_name} returned an incorrect number of gradients "
                                       f"(expected {len(args)}, got {len(r)})")
            for i, g in enumerate(r):
                if g is not None and not isinstance(args[i], Tensor):
                    raise RuntimeError(f"function {cls._backward_name} returned a gradient different than None at "
                                       f"position {i + 1}, but the corresponding forward input was not a Variable")
            return [r[i] for i in tensor_positions]

        _C._record_function(cls._backward_name, [args[i] for i in tensor_positions], out_tensors, saved,
                            run_backward, non_diff, ctx._materialize_grads)
        return outputs[0] if single else outputs


def once_differentiable(fn):
    """Marks a backward that cannot itself be differentiated (runs it without recording)."""
    import functools

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            return fn(ctx, *args)
    return wrapper
