"""`ferrotorch.cuda`: PyTorch's device API, answered by the wgpu GPU (Vulkan, Metal or DX12).

"cuda" is an alias of ferrotorch's one GPU, so `torch.cuda.is_available()` and
`x.to("cuda")` in a PyTorch script use whatever GPU wgpu finds. `ferrotorch.gpu` is the same
module under ferrotorch's own name.

Which adapter is used (documented in the README): `WGPU_BACKEND` (vulkan, metal, dx12)
limits the backends, `WGPU_ADAPTER_NAME` picks an adapter by name, `FERROTORCH_GPU_POWER=low`
prefers an integrated GPU. A software adapter (lavapipe, WARP, SwiftShader) is slower than the
CPU backend and is only used with `FERROTORCH_ALLOW_SOFTWARE_GPU=1`.
"""
from . import _C

__all__ = [
    "is_available", "device_count", "current_device", "get_device_name", "get_device_properties",
    "synchronize", "manual_seed", "manual_seed_all", "seed", "initial_seed", "is_initialized",
    "memory_allocated", "max_memory_allocated", "memory_reserved", "max_memory_reserved",
    "reset_peak_memory_stats", "empty_cache", "OutOfMemoryError", "device", "set_device",
    "adapter_info", "is_bf16_supported", "get_rng_state", "set_rng_state", "get_rng_state_all",
    "set_rng_state_all", "Stream", "Event", "current_stream", "default_stream", "stream", "set_stream",
]

OutOfMemoryError = _C.OutOfMemoryError
from ._gpu_streams import Event, Stream, current_stream, default_stream, set_stream, stream  # noqa: E402


def is_available():
    """True when a usable GPU adapter exists (a software one only when allowed)."""
    return _C._gpu_is_available()


def is_initialized():
    return _C._gpu_is_available()


def device_count():
    """1 when a GPU is available (ferrotorch drives one GPU), else 0."""
    return 1 if is_available() else 0


def _require():
    if not is_available():
        raise RuntimeError(_C._gpu_unavailable_reason() or "GPU is not available")


def current_device():
    _require()
    return 0


def set_device(device):
    """Only GPU 0 exists; selecting it is a no-op."""
    from . import device as _device
    d = _device(device) if not isinstance(device, int) else _device("gpu", device)
    if d.index not in (None, 0):
        raise RuntimeError(f"GPU error: invalid device ordinal {d.index}")


def adapter_info():
    """The adapter's name, backend (Vulkan/Metal/DX12), type, driver, features and limits.

    >>> import ferrotorch
    >>> info = ferrotorch.cuda.adapter_info() if ferrotorch.cuda.is_available() else {}
    """
    _require()
    return _C._gpu_info()


def get_device_name(device=None):
    return adapter_info()["name"]


def is_bf16_supported(including_emulation=True):
    """False: WGSL has no bfloat16 type, so bfloat16 tensors cannot live on the GPU (float16 can,
    where the adapter has shader-f16)."""
    return False


class _DeviceProperties:
    def __init__(self, info):
        self.name = info["name"]
        self.backend = info["backend"]
        self.features = info["features"]
        self.total_memory = info["max_buffer_size"]
        self.is_software = info["software"]

    def __repr__(self):
        return f"_GpuDeviceProperties(name='{self.name}', backend='{self.backend}', features={self.features})"


def get_device_properties(device=None):
    return _DeviceProperties(adapter_info())


def synchronize(device=None):
    """Waits until the GPU has finished all queued work."""
    _require()
    _C._gpu_synchronize()


def manual_seed(seed):
    """Seeds the generator GPU draws use: the same Philox stream as the CPU's."""
    from . import manual_seed as _seed
    _seed(seed)


manual_seed_all = manual_seed


def seed():
    from . import seed as _seed
    return _seed()


def initial_seed():
    from . import initial_seed as _initial
    return _initial()


def get_rng_state(device="cuda"):
    """The GPU generator's state as a uint8 tensor on the CPU.

    GPU draws use the same Philox stream as the CPU's, so this is the state `torch.get_rng_state()`
    returns, and restoring it with `set_rng_state` replays the same GPU (and CPU) draws.

    >>> import ferrotorch as torch
    >>> s = torch.cuda.get_rng_state(); a = torch.rand(2)
    >>> torch.cuda.set_rng_state(s); bool((torch.rand(2) == a).all())
    True
    """
    from . import get_rng_state as _get
    return _get()


def set_rng_state(new_state, device="cuda"):
    """Restores a state from `get_rng_state` (shared with the CPU generator, see there)."""
    from . import set_rng_state as _set
    _set(new_state)


def get_rng_state_all():
    """One state per GPU: a one-element list, since ferrotorch drives one GPU."""
    return [get_rng_state()]


def set_rng_state_all(new_states):
    """Restores the states from `get_rng_state_all` (only GPU 0 exists)."""
    new_states = list(new_states)
    if new_states:
        set_rng_state(new_states[0])


def memory_allocated(device=None):
    """Bytes held by live GPU tensors (rounded up to the allocator's size classes)."""
    return _C._gpu_memory_stats()[0]


def max_memory_allocated(device=None):
    return _C._gpu_memory_stats()[1]


def memory_reserved(device=None):
    """Bytes of GPU buffers the caching allocator holds, in use or cached."""
    return _C._gpu_memory_stats()[2]


max_memory_reserved = memory_reserved


def reset_peak_memory_stats(device=None):
    _C._gpu_reset_peak_memory_stats()


def empty_cache():
    """Releases the cached, unused GPU buffers to the driver."""
    _C._gpu_empty_cache()


class device:
    """Context manager selecting a GPU (only GPU 0 exists)."""

    def __init__(self, device):
        set_device(device)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


# ----------------------------------------------------------------------------- cuda.amp
# PyTorch's deprecated `torch.cuda.amp.autocast` / `GradScaler` spellings, as a real submodule so that
# `from torch.cuda.amp import autocast` works; both warn (FutureWarning) and defer to `torch.amp`.
def _make_amp_module():
    import functools
    import sys
    import types
    import warnings

    from . import amp as _amp

    mod = types.ModuleType(__name__ + ".amp", "Deprecated aliases of `ferrotorch.amp` for the GPU.")

    class autocast(_amp.autocast):
        """Deprecated: `torch.amp.autocast("cuda", ...)`."""

        @functools.wraps(_amp.autocast.__init__)
        def __init__(self, enabled=True, dtype=_C.float16, cache_enabled=True):
            warnings.warn("`torch.cuda.amp.autocast(args...)` is deprecated. Please use "
                          "`torch.amp.autocast('cuda', args...)` instead.", FutureWarning, stacklevel=2)
            super().__init__("cuda", enabled=enabled, dtype=dtype, cache_enabled=cache_enabled)

    class GradScaler(_amp.GradScaler):
        """Deprecated: `torch.amp.GradScaler("cuda", ...)`."""

        def __init__(self, init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000,
                     enabled=True):
            warnings.warn("`torch.cuda.amp.GradScaler(args...)` is deprecated. Please use "
                          "`torch.amp.GradScaler('cuda', args...)` instead.", FutureWarning, stacklevel=2)
            super().__init__("cuda", init_scale=init_scale, growth_factor=growth_factor,
                             backoff_factor=backoff_factor, growth_interval=growth_interval, enabled=enabled)

    mod.autocast, mod.GradScaler = autocast, GradScaler
    mod.custom_fwd = functools.partial(_amp.custom_fwd, device_type="cuda")
    mod.custom_bwd = functools.partial(_amp.custom_bwd, device_type="cuda")
    mod.__all__ = ["autocast", "GradScaler", "custom_fwd", "custom_bwd"]
    sys.modules[mod.__name__] = mod
    return mod


amp = _make_amp_module()
