"""`torch.distributed`, as far as a single-process library can answer it: `is_available()` is
False, so scripts that check it (`if dist.is_available() and dist.is_initialized(): ...`) take
their single-process path. Process groups, collectives and RPC are not implemented.

    >>> import ferrotorch as torch
    >>> torch.distributed.is_available()
    False
"""

__all__ = ["is_available", "is_initialized", "is_torchelastic_launched"]


def is_available():
    """False: ferrotorch has no distributed backend."""
    return False


def is_initialized():
    """False: no process group can exist."""
    return False


def is_torchelastic_launched():
    """Whether this process was started by torchrun/torchelastic (it sets TORCHELASTIC_RUN_ID)."""
    import os
    return os.getenv("TORCHELASTIC_RUN_ID") is not None
