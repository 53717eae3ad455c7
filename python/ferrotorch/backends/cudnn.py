"""`torch.backends.cudnn`: cuDNN's switches. ferrotorch has no cuDNN, so they have no effect:
`is_available()` is False and `version()` is None; the flags keep the values set.

    >>> import ferrotorch as torch
    >>> with torch.backends.cudnn.flags(enabled=False, deterministic=True):
    ...     torch.backends.cudnn.deterministic
    True
    >>> torch.backends.cudnn.deterministic
    False
"""
import contextlib

__all__ = ["enabled", "benchmark", "benchmark_limit", "deterministic", "allow_tf32", "is_available",
           "version", "is_acceptable", "flags", "set_flags"]

enabled = True
benchmark = False
benchmark_limit = 10
deterministic = False
allow_tf32 = True


def is_available():
    """Whether cuDNN can be used: always False (ferrotorch's GPU backend is wgpu)."""
    return False


def version():
    """cuDNN's version: None, as ferrotorch is not built with cuDNN."""
    return None


def is_acceptable(tensor):
    """Whether cuDNN would run on `tensor`: always False."""
    return False


def set_flags(_enabled=None, _benchmark=None, _benchmark_limit=None, _deterministic=None, _allow_tf32=None):
    """Sets the flags given (not None) and returns the previous values, as PyTorch does."""
    global enabled, benchmark, benchmark_limit, deterministic, allow_tf32
    orig = (enabled, benchmark, benchmark_limit, deterministic, allow_tf32)
    if _enabled is not None:
        enabled = _enabled
    if _benchmark is not None:
        benchmark = _benchmark
    if _benchmark_limit is not None:
        benchmark_limit = _benchmark_limit
    if _deterministic is not None:
        deterministic = _deterministic
    if _allow_tf32 is not None:
        allow_tf32 = _allow_tf32
    return orig


@contextlib.contextmanager
def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False, allow_tf32=True):
    """Sets the flags for the duration of a `with` block (PyTorch's defaults when omitted)."""
    orig = set_flags(enabled, benchmark, benchmark_limit, deterministic, allow_tf32)
    try:
        yield
    finally:
        set_flags(*orig)
