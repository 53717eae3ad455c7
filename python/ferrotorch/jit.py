"""`torch.jit`, eager-mode part only: the helpers that model code calls so that it can also be
scripted, and that do nothing (or run the code directly) when it is not.

ferrotorch has no TorchScript compiler, so `script`, `trace`, `save`, `load`, `freeze` and
`ScriptModule` are deliberately absent: a script that calls them gets an AttributeError (and can
fall back, e.g. to `torch.save`) instead of a fake that silently returns an uncompiled model.
What is here behaves as PyTorch's versions do outside a scripted function:

    >>> import ferrotorch as torch
    >>> torch.jit.is_scripting(), torch.jit.is_tracing()
    (False, False)
    >>> fut = torch.jit.fork(torch.add, torch.tensor([1.0]), 2)
    >>> torch.jit.wait(fut)
    tensor([3.])
"""
from typing import Final  # noqa: F401  (re-exported: torch.jit.Final is the typing alias)

__all__ = ["is_scripting", "is_tracing", "ignore", "unused", "export", "interface", "annotate", "Final",
           "fork", "wait", "Future", "script_if_tracing"]


def is_scripting():
    """False: code never runs under the TorchScript compiler in ferrotorch.

    >>> import ferrotorch as torch
    >>> torch.jit.is_scripting()
    False
    """
    return False


def is_tracing():
    """False: there is no tracer, so code never runs under `torch.jit.trace`."""
    return False


def ignore(drop=False, **kwargs):
    """Marks a function the compiler should leave as Python; eagerly, returns it unchanged.

    Usable bare (`@torch.jit.ignore`) or with arguments (`@torch.jit.ignore(drop=True)`).
    """
    if callable(drop):
        return drop
    if not isinstance(drop, bool):
        raise RuntimeError("Argument to @torch.jit.ignore must be a bool or a function but got "
                           f"{drop}")
    return lambda fn: fn


def unused(fn):
    """Marks a method the compiler should replace by a raise; eagerly, returns it unchanged."""
    return fn


def export(fn):
    """Marks a method as a compilation entry point; eagerly, returns it unchanged."""
    return fn


def interface(obj):
    """Marks a class as a TorchScript interface type; eagerly, returns it unchanged."""
    return obj


def script_if_tracing(fn):
    """Compiles `fn` only when tracing; ferrotorch never traces, so returns it unchanged."""
    return fn


def annotate(the_type, the_value):
    """Gives the compiler the type of `the_value`; eagerly, returns `the_value`.

    >>> import ferrotorch as torch
    >>> from typing import List
    >>> torch.jit.annotate(List[int], [])
    []
    """
    return the_value


class Future:
    """The (already completed) result of `fork`: `wait()`/`value()` return it, `done()` is True.

    Mirrors the parts of `torch.futures.Future` that eager code uses with `torch.jit.fork`.
    """

    def __init__(self, value=None):
        self._value = value

    def done(self):
        """Always True: `fork` runs its function before returning."""
        return True

    def wait(self):
        """The function's result."""
        return self._value

    def value(self):
        """The function's result."""
        return self._value

    def then(self, callback):
        """A new Future holding `callback(self)`, run now since this one is complete."""
        return Future(callback(self))

    def add_done_callback(self, callback):
        """Calls `callback(self)` now (the Future is already complete)."""
        callback(self)

    def __repr__(self):
        return f"Future(done=True, value={self._value!r})"


def fork(func, *args, **kwargs):
    """Runs `func(*args, **kwargs)` and returns a `Future` with its result.

    Outside TorchScript PyTorch's `fork` runs the function inline as well, so there is no
    parallelism to lose; an exception from `func` propagates from `fork` itself.
    """
    return Future(func(*args, **kwargs))


def wait(future):
    """The result of a `Future` returned by `fork`."""
    return future.wait()
