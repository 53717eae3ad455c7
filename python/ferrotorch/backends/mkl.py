"""`torch.backends.mkl`: Intel MKL. ferrotorch does not use it: `is_available()` is False.

    >>> import ferrotorch as torch
    >>> torch.backends.mkl.is_available()
    False
"""

__all__ = ["is_available"]


def is_available():
    """Whether MKL can be used: False."""
    return False
