"""`torch.backends.mps`: Apple's Metal Performance Shaders backend. ferrotorch reaches Apple GPUs
through wgpu's Metal backend (`torch.device("gpu")`/`"cuda"`), not MPS, so both answers are False.

    >>> import ferrotorch as torch
    >>> torch.backends.mps.is_available(), torch.backends.mps.is_built()
    (False, False)
"""

__all__ = ["is_available", "is_built"]


def is_available():
    """Whether the MPS device can be used: False."""
    return False


def is_built():
    """Whether ferrotorch was built with MPS: False."""
    return False
