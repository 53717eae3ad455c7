"""`torch.autograd.profiler`: the legacy profiler API over the same host-timed regions.

Like `ferrotorch.profiler`, only `record_function` regions are recorded (host wall time);
see `ferrotorch/profiler/profiler.py` for what that does and does not measure.
"""
from ..profiler import _recorder
from ..profiler._events import EventList, FunctionEvent, FunctionEventAvg  # noqa: F401
from ..profiler._recorder import record_function

__all__ = ["profile", "record_function", "emit_nvtx", "EventList", "FunctionEvent", "FunctionEventAvg"]


class profile:
    """`with profile() as prof:` records regions until exit; `enabled=False` yields None."""

    def __init__(self, enabled=True, *, use_cuda=False, use_device=None, record_shapes=False, with_flops=False,
                 profile_memory=False, with_stack=False, with_modules=False, use_kineto=False, use_cpu=True,
                 experimental_config=None, acc_events=False, custom_trace_id_callback=None):
        self.enabled = enabled
        self.record_shapes = record_shapes
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.function_events = None
        self._sink = None

    def __enter__(self):
        if not self.enabled:
            return None
        self._sink = []
        _recorder.start_recording(self._sink)
        return self

    def __exit__(self, *exc):
        if self._sink is not None:
            _recorder.stop_recording(self._sink)
            self.function_events = EventList(self._sink)
            self._sink = None
        return False

    def _finished_events(self):
        # Before the block ends PyTorch reports nothing rather than partial results.
        return self.function_events if self.function_events is not None else EventList()

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0, group_by_overload_name=False):
        return self._finished_events().key_averages()

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75, max_name_column_width=55,
              max_shapes_column_width=80, header=None, top_level_events_only=False):
        return self._finished_events().table(sort_by=sort_by, row_limit=row_limit, header=header)

    def export_chrome_trace(self, path):
        self._finished_events().export_chrome_trace(path)

    @property
    def self_cpu_time_total(self):
        return self._finished_events().self_cpu_time_total

    def __str__(self):
        return self._finished_events().table()


class emit_nvtx:
    """NVTX ranges for NVIDIA's tools.  ferrotorch's GPU backend is not CUDA and links no NVTX
    library, so enabling it fails the way PyTorch does on a machine without CUDA; `enabled=False`
    is a no-op, as in PyTorch."""

    def __init__(self, enabled=True, record_shapes=False):
        self.enabled = enabled
        self.record_shapes = record_shapes

    def __enter__(self):
        if self.enabled:
            raise RuntimeError("emit_nvtx needs NVIDIA's NVTX library and CUDA; ferrotorch's GPU backend "
                               "(wgpu/Vulkan) has neither. Use record_function with ferrotorch.profiler instead.")
        return self

    def __exit__(self, *exc):
        return False
