"""ferrotorch.profiler: PyTorch's `torch.profiler` API over host-timed `record_function` regions.

See `profiler.py` for exactly what is (and is not) measured.
"""
from ._recorder import record_function
from ._schedule import ProfilerAction, schedule
from .profiler import ProfilerActivity, profile, supported_activities, tensorboard_trace_handler

__all__ = ["profile", "record_function", "schedule", "ProfilerAction", "ProfilerActivity",
           "supported_activities", "tensorboard_trace_handler"]
