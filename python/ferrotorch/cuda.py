"""`ferrotorch.cuda`: PyTorch's device-query API for scripts that ask `torch.cuda.is_available()`.

The wgpu GPU backend is not built yet (see the GPU issue), so no GPU is ever available: these
functions answer as PyTorch does on a machine without a GPU, and the seeding functions are
accepted and ignored, as PyTorch ignores them there.
"""

__all__ = ["is_available", "device_count", "manual_seed", "manual_seed_all", "is_initialized"]


def is_available():
    """False: this build has no GPU backend yet."""
    return False


def device_count():
    return 0


def is_initialized():
    return False


def manual_seed(seed):
    """Seeds the GPU generator; without a GPU this is silently ignored, as in PyTorch."""


def manual_seed_all(seed):
    """Seeds every GPU's generator; without a GPU this is silently ignored, as in PyTorch."""
