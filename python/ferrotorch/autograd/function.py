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
import functools
import inspect
import warnings

from .. import _C
from .._C import Tensor
from .grad_mode import is_grad_enabled, no_grad

__all__ = ["Function", "FunctionCtx", "FunctionMeta", "InplaceFunction", "once_differentiable"]


class FunctionCtx:
    """The `ctx` passed to a custom Function's forward and backward."""

    def __init__(self, needs_input_grad):
        self.needs_input_grad = needs_input_grad
        self._to_save = ()
        self._non_differentiable = []
        self._dirty = ()
        self._materialize_grads = True
        self._saved = None

    def save_for_backward(self, *tensors):
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument {i} is of type "
                                f"{type(t).__name__}")
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


class FunctionMeta(type):
    """Metaclass of `Function`: names each subclass's graph node `<ClassName>Backward`."""

    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        cls._backward_name = name + "Backward"


def _uses_setup_context(cls):
    return cls.setup_context is not Function.setup_context


def _bind(cls, args, kwargs):
    """Positional arguments of `forward` from a call's args and kwargs, as PyTorch binds them:
    keywords naming positional parameters become positional (defaults filled in only for the
    `setup_context` style, whose forward has no ctx)."""
    setup_style = _uses_setup_context(cls)
    try:
        sig = inspect.signature(cls.forward)
    except (TypeError, ValueError):
        return args
    if not kwargs and not setup_style:
        return args
    try:
        bound = sig.bind(*args, **kwargs) if setup_style else sig.bind(None, *args, **kwargs)
    except TypeError as e:
        raise TypeError(str(e) if setup_style else f"forward() {e}") from None
    if setup_style:
        bound.apply_defaults()
    if bound.kwargs:
        name = next(iter(bound.kwargs))
        raise TypeError(f"forward() got an unexpected keyword argument '{name}'")
    return bound.args if setup_style else bound.args[1:]


class Function(FunctionCtx, metaclass=FunctionMeta):
    """Base class of custom autograd operations (see the module docstring).

    `forward(ctx, *args)` runs without recording; `backward(ctx, *grads)` returns one gradient (or
    None) per forward argument. Alternatively `forward(*args)` plus
    `setup_context(ctx, inputs, output)` (PyTorch's newer style)."""

    generate_vmap_rule = False

    @staticmethod
    def forward(*args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError("You must implement the jvp function for custom autograd.Function to use it "
                                  "with forward mode AD.")

    @staticmethod
    def vmap(info, in_dims, *args):
        raise NotImplementedError("To use autograd.Function with vmap, you must either override the vmap "
                                  "staticmethod or set generate_vmap_rule=True.")

    def __init__(self, *args, **kwargs):
        warnings.warn(f"{self.__class__} should not be instantiated. Methods on autograd functions are all "
                      "static, so you should invoke them on the class itself. Instantiating an autograd "
                      "function will raise an error in a future version of PyTorch.", DeprecationWarning,
                      stacklevel=2)

    def __call__(self, *args, **kwargs):
        raise RuntimeError("Legacy autograd function with non-static forward method is deprecated. "
                           "Please use new-style autograd function with static forward method. "
                           "(Example: https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    @classmethod
    def apply(cls, *args, **kwargs):
        args = tuple(_bind(cls, args, kwargs))
        tensor_positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        ctx = FunctionCtx(needs)
        with no_grad():
            if _uses_setup_context(cls):
                result = cls.forward(*args)
            else:
                result = cls.forward(ctx, *args)
        if _uses_setup_context(cls):
            cls.setup_context(ctx, args, result)
        single = not isinstance(result, tuple)
        outputs = (result,) if single else result
        dirty = ctx._dirty
        if dirty and is_grad_enabled() and any(d.is_leaf and d.requires_grad for d in dirty):
            raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")
        # An input returned unchanged must not become its own descendant: return an alias. A
        # dirty (modified in place) input is returned as itself, its history moved to the new node.
        outputs = tuple(o.detach() if isinstance(o, Tensor) and any(o is a for a in args)
                        and not any(o is d for d in dirty) else o for o in outputs)
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

        inputs = [_alias(args[i]) if any(args[i] is d for d in dirty) else args[i] for i in tensor_positions]
        _C._record_function(cls._backward_name, inputs, out_tensors, saved, run_backward, non_diff,
                            ctx._materialize_grads)
        return outputs[0] if single else outputs


def _alias(t):
    """Another Python object holding the same tensor, history included: the recorder reads a
    dirty input's old history while it gives the same object its new one."""
    alias = _C.empty(0)
    alias._set_from(t)
    return alias


class InplaceFunction(Function):
    """A `Function` that may work in place: `inplace` is kept for its forward to consult."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace


def once_differentiable(fn):
    """Marks a backward that cannot itself be differentiated (runs it without recording)."""

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            return fn(ctx, *args)
    return wrapper
