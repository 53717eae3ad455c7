"""`torch.accelerator`: device-generic access to the current accelerator, which in ferrotorch is
the wgpu GPU (`torch.device("cuda")`, an alias of "gpu").

ferrotorch always carries its GPU backend but picks an adapter at run time, so the accelerator is
the GPU when one is usable and None otherwise (as in a CPU-only PyTorch build): code written as
`torch.accelerator.current_accelerator() or torch.device("cpu")` then falls back to the CPU
instead of failing on a GPU that is not there. The memory functions report the GPU allocator's
counters (see `torch.cuda.memory_stats`).

    >>> import ferrotorch as torch
    >>> acc = torch.accelerator.current_accelerator()
    >>> acc is None or acc == torch.device("cuda")
    True
    >>> torch.accelerator.device_count() == (1 if torch.accelerator.is_available() else 0)
    True
"""
import functools
import warnings

from . import _C
from ._generic_streams import Stream

__all__ = ["current_accelerator", "current_device_idx", "current_device_index", "current_stream", "device_count",
           "device_index", "empty_cache", "empty_host_cache", "is_available", "max_memory_allocated",
           "max_memory_reserved", "memory_allocated", "memory_reserved", "memory_stats",
           "reset_accumulated_memory_stats", "reset_peak_memory_stats", "set_device_idx", "set_device_index",
           "set_stream", "synchronize"]


def _cuda():
    from . import cuda
    return cuda


def current_accelerator(check_available=False):
    """`torch.device("cuda")` when a GPU is usable, else None (`check_available` changes nothing,
    since the GPU only counts as the accelerator when it is usable)."""
    return _C.device("cuda") if _C._gpu_is_available() else None


def is_available():
    """True when there is a usable accelerator."""
    return current_accelerator() is not None and _cuda().is_available()


def device_count():
    """The number of accelerator devices: 1 with a usable GPU, else 0."""
    return 0 if current_accelerator() is None else _cuda().device_count()


def _require():
    if current_accelerator() is None:
        raise RuntimeError("Cannot access accelerator device when none is available.")


def current_device_index():
    """The index of the current accelerator device: 0, ferrotorch's one GPU."""
    _require()
    return _cuda().current_device()


def _deprecated(replacement, fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        warnings.warn(f"Use `{replacement}` instead.", FutureWarning, stacklevel=2)
        return fn(*args, **kwargs)
    wrapper.__doc__ = f"(Deprecated) {fn.__doc__}"
    return wrapper


current_device_idx = _deprecated("current_device_index", current_device_index)


def _get_device_index(device, optional=False):
    """PyTorch's rule: an int as it is; a device (or string) of the accelerator's type gives its
    index, or the current index when it has none and `optional` allows that."""
    if isinstance(device, int):
        return device
    if isinstance(device, str):
        device = _C.device(device)
    index = None
    if isinstance(device, _C.device):
        acc = current_accelerator()
        if acc is None:
            raise RuntimeError("Accelerator expected")
        if acc.type != device.type:
            raise ValueError(f"{device.type} doesn't match the current accelerator {acc}.")
        index = device.index
    if index is None:
        if not optional:
            raise ValueError(f"Expected a torch.device with a specified index or an integer, but got:{device}")
        return current_device_index()
    return index


def set_device_index(device, /):
    """Selects the accelerator device `device` (only index 0 exists; a negative index is a no-op)."""
    index = _get_device_index(device, optional=False)
    if index < 0:
        return
    _require()
    _cuda().set_device(index)


set_device_idx = _deprecated("set_device_index", set_device_index)

_current = {"stream": None}


def current_stream(device=None, /):
    """The stream selected by `set_stream` (the GPU's default stream otherwise), as a `torch.Stream`."""
    _get_device_index(device, optional=True)
    if _current["stream"] is None:
        _current["stream"] = Stream(current_accelerator())
    return _current["stream"]


def set_stream(stream):
    """Makes `stream` (a stream of the accelerator) the current one. All streams share the GPU's
    one in-order queue, so this only changes what `current_stream` returns."""
    from ._gpu_streams import Stream as _CudaStream
    if isinstance(stream, _CudaStream):
        stream = Stream(stream.device)  # PyTorch's torch.cuda.Stream is a torch.Stream
    if not isinstance(stream, Stream):
        raise TypeError("_accelerator_setStream(): incompatible function arguments. The following argument types "
                        f"are supported:\n    1. (arg0: torch.Stream) -> None\n\nInvoked with: {stream!r}")
    _get_device_index(stream.device, optional=True)
    _current["stream"] = stream


def synchronize(device=None, /):
    """Waits until the accelerator has finished all queued work (a no-op without one)."""
    if current_accelerator() is None:
        return
    _get_device_index(device, optional=True)
    _C._gpu_synchronize()


class device_index:
    """Context manager that selects accelerator device `device` inside its block (None: no change)."""

    def __init__(self, device, /):
        self.idx = device
        self.prev_idx = -1

    def __enter__(self):
        if self.idx is not None:
            self.prev_idx = current_device_index()
            set_device_index(self.idx)

    def __exit__(self, *exc_info):
        if self.idx is not None:
            set_device_index(self.prev_idx)


# ----------------------------------------------------------------------------- memory
def memory_stats(device_index=None, /):
    """The GPU allocator's statistics (`torch.cuda.memory_stats`); empty without an accelerator."""
    if current_accelerator() is None:
        return _cuda().memory_stats()
    _get_device_index(device_index, optional=True)
    return _cuda().memory_stats()


def memory_allocated(device_index=None, /):
    """Bytes held by live accelerator tensors."""
    return memory_stats(device_index).get("allocated_bytes.all.current", 0)


def max_memory_allocated(device_index=None, /):
    """The peak of `memory_allocated` since the start or the last `reset_peak_memory_stats`."""
    return memory_stats(device_index).get("allocated_bytes.all.peak", 0)


def memory_reserved(device_index=None, /):
    """Bytes of accelerator buffers the caching allocator holds, in use or cached."""
    return memory_stats(device_index).get("reserved_bytes.all.current", 0)


def max_memory_reserved(device_index=None, /):
    """The allocator keeps no peak of reserved bytes, so this is `memory_reserved` (what
    `torch.cuda.max_memory_reserved` reports here too)."""
    return _cuda().max_memory_reserved() if current_accelerator() is not None else 0


def reset_peak_memory_stats(device_index=None, /):
    """Restarts the peak of allocated bytes from the current value."""
    if current_accelerator() is None:
        return
    _get_device_index(device_index, optional=True)
    _cuda().reset_peak_memory_stats()


def reset_accumulated_memory_stats(device_index=None, /):
    """Nothing to reset: the allocator keeps no accumulated (allocated/freed totals) counters."""
    if current_accelerator() is None:
        return
    _get_device_index(device_index, optional=True)
    _cuda().reset_accumulated_memory_stats()


def empty_cache():
    """Releases the cached, unused accelerator buffers (a no-op without an accelerator)."""
    if current_accelerator() is None:
        return
    _cuda().empty_cache()


def empty_host_cache():
    """Nothing to release: ferrotorch keeps no pinned host memory (see `Tensor.pin_memory`)."""
