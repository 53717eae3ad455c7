"""`torch.profiler.profile`: records `record_function` regions per schedule step.

What is measured: host wall time of `record_function` regions (see `_recorder`).  ferrotorch
has no operator dispatcher hooks, so operators themselves are not listed, and GPU regions
are not synchronized, so they show host (launch) time, not device time.  `record_shapes`,
`profile_memory`, `with_stack`, `with_flops` and `with_modules` are accepted for signature
compatibility but record nothing extra.
"""
import enum
import os
import socket
import time

from . import _recorder
from ._events import EventList
from ._schedule import ProfilerAction, _default_schedule

_RECORDING = (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE)


class ProfilerActivity(enum.Enum):
    CPU = 0
    XPU = 1
    MTIA = 2
    CUDA = 3
    HPU = 4
    PrivateUse1 = 5


def supported_activities():
    """Activities with a real meaning here: host (CPU) time only."""
    return {ProfilerActivity.CPU}


class _Recording(list):
    """Sink for events while the profiler records one window."""


class profile:
    def __init__(self, *, activities=None, schedule=None, on_trace_ready=None, record_shapes=False,
                 profile_memory=False, with_stack=False, with_flops=False, with_modules=False,
                 experimental_config=None, execution_trace_observer=None, acc_events=False,
                 use_cuda=None, custom_trace_id_callback=None):
        self.activities = set(activities) if activities is not None else supported_activities()
        self.schedule = schedule if schedule is not None else _default_schedule
        self.on_trace_ready = on_trace_ready
        self.record_shapes = record_shapes
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.step_num = 0
        self.current_action = None
        self._sink = None
        self._events = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self):
        self.step_num = 0
        self.current_action = self.schedule(self.step_num)
        if self.current_action in _RECORDING:
            self._begin()

    def stop(self):
        if self.current_action in _RECORDING:
            self._finish(save=True)
        self.current_action = None

    def step(self):
        previous = self.current_action
        self.step_num += 1
        self.current_action = self.schedule(self.step_num)
        if previous == ProfilerAction.RECORD_AND_SAVE:
            self._finish(save=True)
        elif previous == ProfilerAction.RECORD and self.current_action not in _RECORDING:
            # An active window cut short without a save step: drop it, as PyTorch does.
            self._finish(save=False)
        if self.current_action in _RECORDING and self._sink is None:
            self._begin()

    def _begin(self):
        self._sink = _Recording()
        _recorder.start_recording(self._sink)

    def _finish(self, save):
        _recorder.stop_recording(self._sink)
        events, self._sink = self._sink, None
        if save:
            self._events = EventList(events)
            if self.on_trace_ready is not None:
                self.on_trace_ready(self)

    def events(self):
        if self._events is None:
            raise AssertionError("Profiler must be initialized before getting key averages")
        return self._events

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0, group_by_overload_name=False):
        return self.events().key_averages()

    def export_chrome_trace(self, path):
        self.events().export_chrome_trace(path)


def tensorboard_trace_handler(dir_name, worker_name=None, use_gzip=False):
    """on_trace_ready handler writing each saved window as `<worker>.<ms>.pt.trace.json` in dir_name."""
    if worker_name is None:
        worker_name = f"{socket.gethostname()}_{os.getpid()}"

    def handler(prof):
        os.makedirs(dir_name, exist_ok=True)
        name = f"{worker_name}.{time.time_ns() // 1_000_000}.pt.trace.json"
        if use_gzip:
            import gzip
            import tempfile
            with tempfile.NamedTemporaryFile("r", suffix=".json") as tmp:
                prof.export_chrome_trace(tmp.name)
                data = open(tmp.name, "rb").read()
            with gzip.open(os.path.join(dir_name, name + ".gz"), "wb") as f:
                f.write(data)
        else:
            prof.export_chrome_trace(os.path.join(dir_name, name))

    return handler
