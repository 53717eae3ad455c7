"""`torch.cuda.Stream` / `Event` on wgpu, which gives ferrotorch one in-order queue per device.

Every op is submitted to that one queue in program order, so all the ordering that CUDA streams and
events express (`wait_stream`, `Event.wait`) already holds: those calls have nothing to do. What a
script observes is kept: `synchronize` and `query` wait for the queue, and a timing event records the
host clock after draining the queue, so `start.elapsed_time(end)` measures the GPU work between two
`record()` calls (each timing `record()` costs one synchronisation).
"""
import contextlib
import time

from . import _C

__all__ = ["Stream", "Event", "current_stream", "default_stream", "stream", "set_stream"]


def _sync():
    if _C._gpu_is_available():
        _C._gpu_synchronize()


class Stream:
    """A handle on the GPU's queue; `priority` is accepted and ignored (one queue)."""

    def __init__(self, device=None, priority=0):
        if isinstance(device, int):
            device = _C.device("cuda", device)
        self.device = _C.device("cuda" if device is None else device)
        self.priority = priority

    def synchronize(self):
        _sync()

    def query(self):
        """True: the queue is drained first (wgpu cannot ask without waiting)."""
        _sync()
        return True

    def wait_stream(self, stream):
        """Nothing to do: work on every stream is already ordered on the one queue."""

    def wait_event(self, event):
        """Nothing to do: `event`'s work was submitted earlier on the same in-order queue."""

    def record_event(self, event=None):
        event = Event() if event is None else event
        event.record(self)
        return event

    def __eq__(self, other):
        return isinstance(other, Stream) and other.device == self.device

    def __hash__(self):
        return hash(("stream", str(self.device)))

    def __repr__(self):
        return f"<torch.cuda.Stream device={self.device} cuda_stream=0x0>"


_DEFAULT = None


def default_stream(device=None):
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Stream()
    return _DEFAULT


current_stream = default_stream


def set_stream(stream):
    """Accepted for compatibility: every stream is the one queue."""


@contextlib.contextmanager
def stream(stream):
    """`with torch.cuda.stream(s):` runs the block on `s`, which is the device's one queue."""
    yield stream


class Event:
    """A marker in the queue; with `enable_timing=True`, `elapsed_time` gives milliseconds."""

    def __init__(self, enable_timing=False, blocking=False, interprocess=False, external=False):
        self.enable_timing = enable_timing
        self.blocking = blocking
        self._time = None

    def record(self, stream=None):
        if self.enable_timing:
            _sync()
        self._time = time.perf_counter()

    def wait(self, stream=None):
        """Nothing to do: later work is queued after this event's anyway."""

    def query(self):
        _sync()
        return True

    def synchronize(self):
        _sync()

    def elapsed_time(self, end_event):
        """Milliseconds between this event's `record()` and `end_event`'s."""
        if not (self.enable_timing and end_event.enable_timing):
            raise RuntimeError("Both events must be created with argument 'enable_timing=True'.")
        if self._time is None or end_event._time is None:
            raise RuntimeError("Both events must be recorded before calculating elapsed time.")
        end_event.synchronize()
        return (end_event._time - self._time) * 1000.0

    def __repr__(self):
        return "<torch.cuda.Event>" if self._time is not None else "<torch.cuda.Event uninitialized>"
