"""torch.nn.attention: the `SDPBackend` names and the `sdpa_kernel` context manager that restricts
which scaled-dot-product-attention backends may run.

ferrotorch has one attention implementation (the math composition in `nn.functional`); it stands in
for PyTorch's CPU flash kernel too, whose results it reproduces. The allowed backends live in the
`torch.backends.cuda.*_sdp_enabled` flags, as in PyTorch, so `sdpa_kernel` and those switches see
the same state; `F.scaled_dot_product_attention` consults them (see `_kernel_choice`).

    >>> import ferrotorch as torch
    >>> from ferrotorch.nn.attention import SDPBackend, sdpa_kernel
    >>> with sdpa_kernel([SDPBackend.MATH]):
    ...     torch.backends.cuda.flash_sdp_enabled()
    False
"""
import contextlib
import enum

from ...backends import cuda as _flags

__all__ = ["SDPBackend", "sdpa_kernel"]


class SDPBackend(enum.Enum):
    """The attention backends, with PyTorch's integer codes (ERROR marks "none usable")."""
    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4

    # PyTorch's enum converts to its code (`int(b)`, indexing) but does not compare equal to it.
    def __int__(self):
        return self.value

    __index__ = __int__


# Backend -> (getter, setter) of its allowed flag. OVERRIDEABLE (out-of-tree device kernels) has no
# torch.backends.cuda switch, so its flag is kept here.
_overrideable = {"enabled": True}
_FLAGS = {
    SDPBackend.CUDNN_ATTENTION: (_flags.cudnn_sdp_enabled, _flags.enable_cudnn_sdp),
    SDPBackend.FLASH_ATTENTION: (_flags.flash_sdp_enabled, _flags.enable_flash_sdp),
    SDPBackend.EFFICIENT_ATTENTION: (_flags.mem_efficient_sdp_enabled, _flags.enable_mem_efficient_sdp),
    SDPBackend.MATH: (_flags.math_sdp_enabled, _flags.enable_math_sdp),
    SDPBackend.OVERRIDEABLE: (lambda: _overrideable["enabled"],
                              lambda on: _overrideable.__setitem__("enabled", bool(on))),
}
# Preference order among the allowed backends, as codes (PyTorch's default; `set_priority` edits it).
_priority = [1, 2, 0, 3, 4]


def _cur_sdpa_kernel_backends(with_priority=False):
    """The backends currently allowed (in PyTorch's listing order, or by priority)."""
    allowed = [backend for backend, (enabled, _) in _FLAGS.items() if enabled()]
    if with_priority:
        allowed.sort(key=lambda backend: _priority.index(int(backend)))
    return allowed


def _allow_only(backends):
    for backend, (_, enable) in _FLAGS.items():
        enable(backend in backends)


@contextlib.contextmanager
def sdpa_kernel(backends, set_priority=False):
    """Within the block, only `backends` (one SDPBackend or a list) may run scaled dot product
    attention; with `set_priority` their list order is also the preference order. The previous
    state is restored on exit, so blocks nest.

        >>> import ferrotorch as torch
        >>> from ferrotorch.nn.attention import SDPBackend, sdpa_kernel
        >>> q = torch.ones(1, 2, 3, 4)
        >>> with sdpa_kernel(SDPBackend.MATH):
        ...     torch.nn.functional.scaled_dot_product_attention(q, q, q).shape
        torch.Size([1, 2, 3, 4])
    """
    if not isinstance(backends, (list, SDPBackend)):
        raise AssertionError("Backend must be an instance of SDPBackend or a list of SDPBackend instances, "
                             f"got {type(backends).__name__}")
    backends = [backends] if isinstance(backends, SDPBackend) else list(dict.fromkeys(backends))
    saved_allowed = _cur_sdpa_kernel_backends()
    saved_priority = list(_priority)
    try:
        _allow_only(backends)
        if set_priority:
            chosen = [int(backend) for backend in backends]
            _priority[:] = chosen + [code for code in saved_priority if code not in chosen]
        yield {}
    finally:
        _allow_only(saved_allowed)
        _priority[:] = saved_priority
