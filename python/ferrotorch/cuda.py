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
    "memory_stats", "memory_summary", "reset_max_memory_allocated", "reset_max_memory_cached",
    "reset_accumulated_memory_stats", "memory_cached", "max_memory_cached", "seed_all", "init", "get_arch_list",
    "is_tf32_supported", "device_of", "StreamContext", "set_per_process_memory_fraction",
    "get_per_process_memory_fraction", "ipc_collect", "FloatTensor", "DoubleTensor", "HalfTensor",
    "BFloat16Tensor", "LongTensor", "IntTensor", "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor",
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


def init():
    """Initialises the GPU (finds and opens the adapter); raises when none is usable."""
    _require()


def current_device():
    _require()
    return 0


def _device_index(device, optional=True):
    """The GPU ordinal `device` names (PyTorch's `_get_device_index`): None is the current GPU;
    a device of another type is refused."""
    from . import device as _device
    if isinstance(device, str):
        device = _device(device)
    if isinstance(device, _device):
        if device.type != "gpu":
            raise ValueError(f"Expected a cuda device, but got: {device}")
        device = device.index
    if device is None:
        if not optional:
            raise ValueError(f"Expected a cuda device with a specified index or an integer, but got:{device}")
        return current_device()
    if device != 0:
        raise RuntimeError(f"GPU error: invalid device ordinal {device}")
    return device


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


def get_arch_list():
    """The CUDA architectures this build has kernels for: none, since ferrotorch's GPU kernels are
    WGSL compiled by the driver at run time."""
    return []


def is_tf32_supported():
    """False: the WGSL kernels run float32 matmuls in full float32 precision, never TF32."""
    return False


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


def seed_all():
    """Seeds the GPU generator with a random seed (GPU draws share the CPU's generator, so this
    reseeds both, like `seed`)."""
    seed()


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


def memory_stats(device=None):
    """The GPU allocator's counters under PyTorch's names: "allocated_bytes.all.current" and
    ".peak" (`memory_allocated`, `max_memory_allocated`) and "reserved_bytes.all.current"
    (`memory_reserved`). The allocator keeps no other counters (no pools, no allocation counts, no
    accumulated totals), so no other key is given. Empty when no GPU is usable, as PyTorch's is
    before CUDA is initialised.

        >>> import ferrotorch as torch
        >>> stats = torch.cuda.memory_stats()
        >>> not stats or stats["allocated_bytes.all.current"] == torch.cuda.memory_allocated()
        True
    """
    import collections
    if not is_initialized():
        return collections.OrderedDict()
    _device_index(device)
    allocated, peak, reserved = _C._gpu_memory_stats()
    return collections.OrderedDict(sorted({
        "allocated_bytes.all.current": allocated,
        "allocated_bytes.all.peak": peak,
        "reserved_bytes.all.current": reserved,
    }.items()))


def _format_size(size, preferred):
    """PyTorch's memory_summary sizes: the unit chosen from `preferred`, the row's first value."""
    prefix = "B  "
    for new_prefix in ("KiB", "MiB", "GiB", "TiB", "PiB"):
        if preferred < 768 * 1024:
            break
        prefix, size, preferred = new_prefix, size // 1024, preferred / 1024
    return f"{size:6d} {prefix}"


def memory_summary(device=None, abbreviated=False):
    """A printable table of `memory_stats`, laid out as PyTorch's: current and peak usage (the
    allocator keeps no peak of reserved bytes, shown as "N/A").

        >>> import ferrotorch as torch
        >>> "memory summary" in torch.cuda.memory_summary() if torch.cuda.is_available() else True
        True
    """
    index = _device_index(device)
    stats = memory_stats(index)
    rows = [
        ("Allocated memory", stats["allocated_bytes.all.current"], stats["allocated_bytes.all.peak"]),
        ("GPU reserved memory", stats["reserved_bytes.all.current"], None),
    ]
    width = 49  # " {metric:<21} | {current:>10} | {peak:>10} "
    lines = ["=" * width, f"GPU memory summary, device ID {index}".center(width), "=" * width,
             f"{'Metric':^23}| Cur Usage  | Peak Usage ", ]
    for name, current, peak in rows:
        lines.append("-" * width)
        peak_text = _format_size(peak, current) if peak is not None else f"{'N/A':>10}"
        lines.append(f" {name:<21} | {_format_size(current, current)} | {peak_text} ")
    lines.append("=" * width)
    return "|" + "|\n|".join(lines) + "|\n"


def reset_max_memory_allocated(device=None):
    """Deprecated spelling of `reset_peak_memory_stats` (which it calls, with PyTorch's warning)."""
    import warnings
    warnings.warn("torch.cuda.reset_max_memory_allocated now calls torch.cuda.reset_peak_memory_stats, "
                  "which resets /all/ peak memory stats.", FutureWarning, stacklevel=2)
    return reset_peak_memory_stats(device=device)


def reset_max_memory_cached(device=None):
    """Deprecated spelling of `reset_peak_memory_stats` (which it calls, with PyTorch's warning)."""
    import warnings
    warnings.warn("torch.cuda.reset_max_memory_cached now calls torch.cuda.reset_peak_memory_stats, "
                  "which resets /all/ peak memory stats.", FutureWarning, stacklevel=2)
    return reset_peak_memory_stats(device=device)


def reset_accumulated_memory_stats(device=None):
    """Nothing to reset: the allocator keeps no accumulated counters (`memory_stats` has no
    "allocated"/"freed" totals); the device is still checked."""
    _device_index(device)


def memory_cached(device=None):
    """Deprecated; see `memory_reserved`."""
    import warnings
    warnings.warn("`torch.cuda.memory_cached` has been renamed to `torch.cuda.memory_reserved`", FutureWarning,
                  stacklevel=2)
    return memory_reserved(device=device)


def max_memory_cached(device=None):
    """Deprecated; see `max_memory_reserved`."""
    import warnings
    warnings.warn("`torch.cuda.max_memory_cached` has been renamed to `torch.cuda.max_memory_reserved`",
                  FutureWarning, stacklevel=2)
    return max_memory_reserved(device=device)


_memory_fraction = {}


def set_per_process_memory_fraction(fraction, device=None):
    """Records a cap on this process's GPU memory, as a fraction (0 to 1) of the device's memory,
    validated as PyTorch validates it. It is NOT enforced: ferrotorch's allocator (in the Rust
    core) does not consult it, so allocations beyond the fraction still succeed.
    `get_per_process_memory_fraction` reports the value."""
    _require()
    index = _device_index(device)
    if not isinstance(fraction, float):
        raise TypeError("Invalid type for fraction argument, must be `float`")
    if fraction < 0 or fraction > 1:
        raise ValueError(f"Invalid fraction value: {fraction}. Allowed range: 0~1")
    _memory_fraction[index] = fraction


def get_per_process_memory_fraction(device=None):
    """The fraction last set with `set_per_process_memory_fraction` (1.0 before; not enforced)."""
    _require()
    return _memory_fraction.get(_device_index(device), 1.0)


def ipc_collect():
    """Frees GPU memory held for tensors sent to other processes: none is, since ferrotorch sends
    GPU tensors by value (see `torch.multiprocessing`), so there is nothing to collect."""
    _require()


class device:
    """Context manager selecting a GPU (only GPU 0 exists)."""

    def __init__(self, device):
        set_device(device)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class device_of(device):
    """Context manager selecting the GPU that holds `obj`; a no-op for a CPU tensor.

        >>> import ferrotorch as torch
        >>> with torch.cuda.device_of(torch.ones(2)):
        ...     pass
    """

    def __init__(self, obj):
        self.idx = obj.get_device() if obj.is_cuda else -1
        if self.idx != -1:
            set_device(self.idx)


class StreamContext:
    """Context manager selecting `stream` inside its block (None: no change). Every stream is the
    GPU's one in-order queue, so this changes which stream `set_stream` was last given, not where
    work runs."""

    def __init__(self, stream):
        self.stream = stream
        self.idx = current_device() if is_available() else -1
        self.prev_stream = None

    def __enter__(self):
        if self.stream is None or self.idx == -1:
            return
        self.prev_stream = current_stream()
        set_stream(self.stream)

    def __exit__(self, *exc):
        if self.stream is None or self.idx == -1:
            return
        set_stream(self.prev_stream)


# ----------------------------------------------------------------------------- cuda.amp
# PyTorch's deprecated `torch.cuda.amp` spellings, plus its `custom_fwd` / `custom_bwd` for the GPU.
def _make_amp_module():
    import functools

    from . import amp as _amp
    from .amp._deprecated_aliases import deprecated_amp_module

    mod = deprecated_amp_module(__name__ + ".amp", "cuda", _C.float16,
                                "Deprecated aliases of `ferrotorch.amp` for the GPU.")
    mod.custom_fwd = functools.partial(_amp.custom_fwd, device_type="cuda")
    mod.custom_bwd = functools.partial(_amp.custom_bwd, device_type="cuda")
    mod.__all__ += ["custom_fwd", "custom_bwd"]
    return mod


amp = _make_amp_module()


# ----------------------------------------------------------------------------- legacy types
# `torch.cuda.FloatTensor` and the others: the GPU counterparts of `torch.FloatTensor` (see
# `_legacy_types`). Constructing one warns once per process, as PyTorch does.
from ._cuda_legacy_types import (FloatTensor, DoubleTensor, HalfTensor, BFloat16Tensor, LongTensor,  # noqa: E402
                                 IntTensor, ShortTensor, CharTensor, ByteTensor, BoolTensor)
