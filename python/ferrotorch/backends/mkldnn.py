"""`torch.backends.mkldnn`: oneDNN (MKL-DNN). ferrotorch's CPU kernels do not use it:
`is_available()` is False and `enabled` has no effect.

    >>> import ferrotorch as torch
    >>> torch.backends.mkldnn.is_available()
    False
"""
import contextlib

__all__ = ["is_available", "enabled", "flags"]

enabled = True


def is_available():
    """Whether oneDNN can be used: False."""
    return False


@contextlib.contextmanager
def flags(enabled=False):
    """Sets `enabled` for the duration of a `with` block."""
    global_vars = globals()
    orig = global_vars["enabled"]
    global_vars["enabled"] = enabled
    try:
        yield
    finally:
        global_vars["enabled"] = orig
