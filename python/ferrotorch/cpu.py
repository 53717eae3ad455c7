"""`torch.cpu`: the `torch.cuda` API for the CPU, so that device-generic code can call
`getattr(torch, device_type).synchronize()` and the like for either device.

CPU ops have finished when they return, so synchronising and the stream and event calls have
nothing to wait for; there is one CPU device, and its current device is the string "cpu", as in
PyTorch.

    >>> import ferrotorch as torch
    >>> torch.cpu.is_available(), torch.cpu.device_count(), torch.cpu.current_device()
    (True, 1, 'cpu')
    >>> with torch.cpu.stream(torch.cpu.Stream()):
    ...     torch.cpu.synchronize()
"""
from contextlib import AbstractContextManager

from . import _C
from .amp._deprecated_aliases import deprecated_amp_module as _deprecated_amp_module

__all__ = ["is_available", "is_initialized", "synchronize", "current_device", "current_stream", "stream",
           "set_device", "device_count", "Stream", "StreamContext", "Event"]


def is_available():
    """True: the CPU is always there."""
    return True


def is_initialized():
    """True: the CPU needs no initialisation."""
    return True


def synchronize(device=None):
    """Waits for the CPU's work: every CPU op has already finished when it returns. `device` is ignored."""


class Stream:
    """The CPU's stream: ops run in program order on the calling thread, so there is nothing to order."""

    def __init__(self, priority=-1):
        pass

    def wait_stream(self, stream):
        pass

    def record_event(self):
        pass

    def wait_event(self, event):
        pass


class Event:
    """A CPU event: complete as soon as it is recorded."""

    def query(self):
        return True

    def record(self, stream=None):
        pass

    def synchronize(self):
        pass

    def wait(self, stream=None):
        pass


_default_cpu_stream = Stream()
_current_stream = _default_cpu_stream


def current_stream(device=None):
    """The stream selected by `stream(...)` (the default CPU stream otherwise); `device` is ignored."""
    return _current_stream


class StreamContext(AbstractContextManager):
    """Selects `stream` as the current CPU stream inside the block (a no-op for None)."""

    def __init__(self, stream):
        self.stream = stream
        self.prev_stream = _default_cpu_stream

    def __enter__(self):
        global _current_stream
        if self.stream is None:
            return
        self.prev_stream = _current_stream
        _current_stream = self.stream

    def __exit__(self, type, value, traceback):
        global _current_stream
        if self.stream is None:
            return
        _current_stream = self.prev_stream


def stream(stream):
    """`StreamContext(stream)`."""
    return StreamContext(stream)


def device_count():
    """1: the number of CPU devices (not cores)."""
    return 1


def set_device(device):
    """Nothing to do: there is one CPU device."""


def current_device():
    """'cpu', as PyTorch returns."""
    return "cpu"


# ----------------------------------------------------------------------------- cpu.amp
# PyTorch's deprecated `torch.cpu.amp.autocast` / `GradScaler` spellings.
amp = _deprecated_amp_module(__name__ + ".amp", "cpu", _C.bfloat16,
                             "Deprecated aliases of `ferrotorch.amp` for the CPU.")
