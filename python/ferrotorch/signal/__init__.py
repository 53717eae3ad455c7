"""`torch.signal`: signal-processing helpers; today the SciPy-style `windows`.

    >>> import ferrotorch as torch
    >>> torch.signal.windows.hann(3).tolist()
    [0.0, 1.0, 0.0]
"""
from . import windows

__all__ = ["windows"]
