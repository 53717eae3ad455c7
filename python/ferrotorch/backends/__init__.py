"""`torch.backends`: the switches PyTorch scripts set for cuDNN, cuBLAS (TF32), MPS, oneDNN and
OpenMP.

They exist so such scripts run unchanged, and they have no effect on ferrotorch: its GPU backend
is wgpu (Vulkan/Metal/DX12), with no cuDNN, no cuBLAS, no TF32 and no MPS, and its CPU kernels
use neither oneDNN nor OpenMP. The values set are kept and read back; the `is_available()`
functions answer truthfully (False).

    >>> import ferrotorch as torch
    >>> torch.backends.cudnn.benchmark = True  # accepted, has no effect
    >>> torch.backends.cudnn.is_available(), torch.backends.mps.is_available()
    (False, False)
"""
from . import cuda, cudnn, mkl, mkldnn, mps, openmp  # noqa: F401

__all__ = ["cuda", "cudnn", "mkl", "mkldnn", "mps", "openmp"]
