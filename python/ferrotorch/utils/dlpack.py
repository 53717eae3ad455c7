"""`torch.utils.dlpack`: exchange tensors with other libraries through DLPack capsules.

    >>> import numpy as np
    >>> import ferrotorch as torch
    >>> t = torch.utils.dlpack.from_dlpack(np.arange(3.0))
    >>> t.dtype
    torch.float64
"""
from .._build_queries import to_dlpack
from .._creation import from_dlpack

__all__ = ["to_dlpack", "from_dlpack"]
