"""`torch.compile`: ferrotorch has no graph compiler, so compiling returns the module or
function itself, unchanged; it runs eagerly, op by op, exactly as before.

    >>> import ferrotorch as torch
    >>> model = torch.nn.Linear(2, 2)
    >>> torch.compile(model) is model
    True
    >>> @torch.compile(mode="max-autotune")
    ... def f(x):
    ...     return x * 2
    >>> f(torch.tensor([1.0])).tolist()
    [2.0]
"""

__all__ = ["compile"]

# PyTorch's inductor modes, in the order its error message lists them.
_MODES = ("default", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None, options=None,
            disable=False):
    """Returns `model` itself: ferrotorch has no graph compiler (no TorchDynamo, no Inductor), so
    the arguments are checked as PyTorch checks them and otherwise have no effect. Used without
    `model` (`@torch.compile(...)`) it returns a decorator that does the same.
    """
    if model is None:
        def fn(model):
            if model is None:
                raise RuntimeError("Model can't be None")
            return compile(model, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode,
                           options=options, disable=disable)
        return fn
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be specified at the same time.")
    if backend == "inductor" and mode is not None and mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_MODES)}")
    return model
