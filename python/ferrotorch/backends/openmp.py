"""`torch.backends.openmp`: OpenMP. ferrotorch's CPU parallelism is rayon, not OpenMP:
`is_available()` is False.

    >>> import ferrotorch as torch
    >>> torch.backends.openmp.is_available()
    False
"""

__all__ = ["is_available"]


def is_available():
    """Whether OpenMP is used: False."""
    return False
