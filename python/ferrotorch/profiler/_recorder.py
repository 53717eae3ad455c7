"""Host-time recording of `record_function` regions, shared by both profiler APIs.

ferrotorch has no op-level dispatcher hook, so the only events a profiler can honestly
record are the regions user code marks with `record_function`.  Each region is timed with
`time.perf_counter_ns` on the host; GPU work queued inside a region is NOT waited for, so a
region's time is the time the host spent in it (launch cost), not device execution time.
"""
import contextlib
import threading
import time

from ._events import FunctionEvent

# Profilers currently recording; a finished region is delivered to each of them.
_recording = []
_lock = threading.Lock()
_local = threading.local()


def _open_regions():
    """This thread's stack of open regions: [owner, start_ns, child_ns] lists."""
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


def start_recording(sink):
    with _lock:
        _recording.append(sink)


def stop_recording(sink):
    with _lock:
        if sink in _recording:
            _recording.remove(sink)


class record_function(contextlib.ContextDecorator):
    """Marks a named region; usable as `with record_function(name):` or as a decorator."""

    def __init__(self, name, args=None):
        self.name = name
        self.args = args

    def __enter__(self):
        # Entries live on the per-thread stack, so one instance (e.g. a decorator) may be
        # re-entered recursively or from several threads at once.
        _open_regions().append([self, time.perf_counter_ns(), 0])
        return self

    def __exit__(self, *exc):
        end = time.perf_counter_ns()
        stack = _open_regions()
        index = max(i for i, entry in enumerate(stack) if entry[0] is self)
        _, start, child_ns = stack.pop(index)
        duration = end - start
        # Nesting: the parent's self time excludes this region's whole duration.
        if index:
            stack[index - 1][2] += duration
        with _lock:
            sinks = list(_recording)
        if sinks:
            event = FunctionEvent(self.name, start, end, child_ns, threading.get_ident(), index)
            for sink in sinks:
                sink.append(event)
        return False
