"""`torch.Stream` / `torch.Event`: the device-generic stream and event, for the CPU and the GPU.

On the GPU they behave as `torch.cuda.Stream` / `Event` do here (see `_gpu_streams`): wgpu gives
ferrotorch one in-order queue, so ordering calls have nothing to do and `synchronize`/`query`
drain the queue. On the CPU every op has finished when it returns; as in PyTorch, CPU streams
cannot record events ("cpu backend doesn't support events.").

    >>> import ferrotorch as torch
    >>> s = torch.Stream(device="cpu")
    >>> s
    torch.Stream device_type=cpu, device_index=-1, stream_id=0
    >>> s.query()
    True
"""
import time

from . import _C

__all__ = ["Stream", "Event"]

# PyTorch's DeviceType numbers, which `Stream.device_type` reports (ferrotorch's "gpu" is "cuda").
_DEVICE_TYPE_NUMBER = {"cpu": 0, "gpu": 1, "cuda": 1}


def _no_events():
    return RuntimeError("cpu backend doesn't support events.")


def _resolve_device(device):
    """`device`, or the accelerator when None (the GPU when usable, else the CPU)."""
    if device is None:
        return _C.device("cuda") if _C._gpu_is_available() else _C.device("cpu")
    if isinstance(device, int) and not isinstance(device, bool):
        if not _C._gpu_is_available():
            raise RuntimeError(_C._gpu_unavailable_reason() or "GPU is not available")
        return _C.device("cuda", device)
    return _C.device(device)


def _is_gpu(device):
    return device.type in ("gpu", "cuda")


def _drain(device):
    if _is_gpu(device):
        _C._gpu_synchronize()


def _index(device):
    """The index PyTorch reports: -1 for the CPU, the GPU's ordinal (0 here) otherwise."""
    if not _is_gpu(device):
        return -1
    return 0 if device.index is None else device.index


def _kind(device):
    return "cuda" if _is_gpu(device) else device.type


class Stream:
    """An in-order queue of work on `device` (default: the accelerator); `priority` is accepted
    and has no effect, since each device has one queue."""

    def __init__(self, device=None, *, priority=0):
        self.device = _resolve_device(device)
        self._priority = priority

    @property
    def device_type(self):
        return _DEVICE_TYPE_NUMBER.get(self.device.type, -1)

    @property
    def device_index(self):
        return _index(self.device)

    @property
    def stream_id(self):
        return 0

    def query(self):
        """True once all work queued on the stream has finished (waits for the GPU queue)."""
        _drain(self.device)
        return True

    def synchronize(self):
        _drain(self.device)

    def wait_event(self, event):
        """Nothing to do: `event`'s work was queued earlier on the same in-order queue."""

    def wait_stream(self, stream):
        """Nothing to do on the GPU's one queue; the CPU cannot record the event this needs."""
        if not _is_gpu(self.device):
            raise _no_events()

    def record_event(self, event=None):
        if not _is_gpu(self.device):
            raise _no_events()
        event = Event(self.device) if event is None else event
        event.record(self)
        return event

    def __enter__(self):
        from . import accelerator
        self._prev = accelerator.current_stream() if _is_gpu(self.device) else None
        if self._prev is not None:
            accelerator.set_stream(self)
        return self

    def __exit__(self, *exc):
        if self._prev is not None:
            from . import accelerator
            accelerator.set_stream(self._prev)
        return False

    def __eq__(self, other):
        return isinstance(other, Stream) and other.device == self.device

    def __hash__(self):
        return hash(("torch.Stream", str(self.device)))

    def __repr__(self):
        return (f"torch.Stream device_type={_kind(self.device)}, device_index={self.device_index}, "
                f"stream_id={self.stream_id}")


class Event:
    """A marker in a device's queue; with `enable_timing=True`, `elapsed_time` gives milliseconds
    between two recorded events (each timing `record()` first drains the GPU queue, so the time
    covers the GPU work in between). `blocking` and `interprocess` are accepted and have no effect,
    as in PyTorch."""

    def __init__(self, device=None, *, enable_timing=False, blocking=False, interprocess=False):
        self.device = _resolve_device(device)
        self.enable_timing = enable_timing
        self.blocking = blocking
        self.interprocess = interprocess
        self._time = None

    @property
    def event_id(self):
        return 0

    def record(self, stream=None):
        if not _is_gpu(self.device):
            raise _no_events()
        if self.enable_timing:
            _drain(self.device)
        self._time = time.perf_counter()

    def query(self):
        _drain(self.device)
        return True

    def synchronize(self):
        _drain(self.device)

    def wait(self, stream=None):
        """Nothing to do: later work is queued after this event's anyway."""

    def elapsed_time(self, end_event):
        """Milliseconds between this event's `record()` and `end_event`'s."""
        if not (self.enable_timing and end_event.enable_timing):
            raise ValueError("Both events must be created with argument 'enable_timing=True'.")
        if self._time is None or end_event._time is None:
            raise RuntimeError("Both events must be recorded before calculating elapsed time.")
        end_event.synchronize()
        return (end_event._time - self._time) * 1000.0

    def __repr__(self):
        return (f"torch.Event device_type={_kind(self.device)}, device_index={_index(self.device)}, "
                f"event_flag={int(bool(self.enable_timing))}, event_id={self.event_id}")
