"""`torch.backends.cuda`: cuBLAS and attention-kernel switches. ferrotorch's GPU backend is wgpu,
not CUDA, so the cuBLAS flags have no effect (there is no TF32 and no reduced-precision reduction);
`is_built()` is False. The attention switches decide which backends scaled_dot_product_attention
may use, as `nn.attention.sdpa_kernel` does (see nn/attention/_kernel_choice.py): ferrotorch has
one implementation, which stands in for PyTorch's math and (where its CPU kernel would accept
the inputs) flash kernels.

    >>> import ferrotorch as torch
    >>> torch.backends.cuda.matmul.allow_tf32 = True  # accepted, has no effect
    >>> torch.backends.cuda.matmul.allow_tf32, torch.backends.cuda.is_built()
    (True, False)
"""

__all__ = ["is_built", "matmul", "enable_flash_sdp", "flash_sdp_enabled", "enable_mem_efficient_sdp",
           "mem_efficient_sdp_enabled", "enable_math_sdp", "math_sdp_enabled", "enable_cudnn_sdp",
           "cudnn_sdp_enabled"]


def is_built():
    """Whether ferrotorch was built with CUDA: False (`torch.cuda` is an alias of the wgpu GPU)."""
    return False


class cuBLASModule:
    """`torch.backends.cuda.matmul`: cuBLAS's precision switches, PyTorch's defaults."""

    _FLAGS = ("allow_tf32", "allow_fp16_reduced_precision_reduction", "allow_bf16_reduced_precision_reduction")

    def __init__(self):
        object.__setattr__(self, "allow_tf32", False)
        object.__setattr__(self, "allow_fp16_reduced_precision_reduction", True)
        object.__setattr__(self, "allow_bf16_reduced_precision_reduction", True)

    def __setattr__(self, name, value):
        if name not in self._FLAGS:
            raise AttributeError("Unknown attribute " + name)
        object.__setattr__(self, name, value)


matmul = cuBLASModule()

_sdp = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True}


def enable_flash_sdp(enabled):
    """Whether scaled_dot_product_attention may take PyTorch's flash path."""
    _sdp["flash"] = bool(enabled)


def flash_sdp_enabled():
    return _sdp["flash"]


def enable_mem_efficient_sdp(enabled):
    """Whether the memory-efficient attention path may be used (PyTorch has no CPU one either)."""
    _sdp["mem_efficient"] = bool(enabled)


def mem_efficient_sdp_enabled():
    return _sdp["mem_efficient"]


def enable_math_sdp(enabled):
    """Whether scaled_dot_product_attention may take the math path."""
    _sdp["math"] = bool(enabled)


def math_sdp_enabled():
    return _sdp["math"]


def enable_cudnn_sdp(enabled):
    """Whether cuDNN attention may be used (PyTorch has no CPU one either)."""
    _sdp["cudnn"] = bool(enabled)


def cudnn_sdp_enabled():
    return _sdp["cudnn"]
