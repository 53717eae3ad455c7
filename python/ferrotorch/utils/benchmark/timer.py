"""`Timer`: times a Python statement with `time.perf_counter`, waiting for the GPU around each block.

GPU work in ferrotorch is queued asynchronously, so the timer function synchronizes the GPU
(when one is available) before reading the clock: a block then includes the device time of
the work it queued, which is what PyTorch's Timer does for CUDA.
"""
import timeit as _timeit
import time

from ._measurement import Measurement, TaskSpec


def _gpu_available():
    from ... import cuda
    try:
        return cuda.is_available()
    except Exception:  # no usable adapter: time the host only
        return False


def timer():
    """perf_counter after draining the GPU queue, so asynchronous work is counted."""
    if _gpu_available():
        from ... import cuda
        cuda.synchronize()
    return time.perf_counter()


class Timer:
    def __init__(self, stmt="pass", setup="pass", global_setup="", timer=timer, globals=None, label=None,
                 sub_label=None, description=None, env=None, num_threads=1, language="python"):
        if not isinstance(stmt, str):
            raise ValueError("Currently only a `str` stmt is supported.")
        self._task_spec = TaskSpec(stmt, setup, global_setup, label, sub_label, description, env, num_threads)
        self._globals = dict(globals or {})
        self._globals.setdefault("torch", __import__("ferrotorch"))
        self._timer = _timeit.Timer(stmt=stmt, setup=setup, timer=timer, globals=self._globals)

    def _timeit(self, number):
        # Run under the requested thread count, restoring the caller's setting afterwards.
        import ferrotorch
        previous = ferrotorch.get_num_threads()
        ferrotorch.set_num_threads(self._task_spec.num_threads)
        try:
            return max(self._timer.timeit(number), 1e-9)
        finally:
            ferrotorch.set_num_threads(previous)

    def timeit(self, number=1000000):
        self._timeit(number=max(int(number // 100), 2))  # warm up
        return Measurement(number, [self._timeit(number)], self._task_spec)

    def repeat(self, repeat=-1, number=-1):
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def autorange(self, callback=None):
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def _block_size(self, min_run_time):
        """Grow runs per block by 10x until one block is long enough that clock overhead is negligible."""
        overhead = sorted(self._timeit(0) for _ in range(5))[2]
        number = 1
        while True:
            taken = self._timeit(number)
            if (overhead / taken <= 1e-4 and taken >= min_run_time / 1000) or taken > min_run_time / 10:
                return number
            number *= 10

    def blocked_autorange(self, callback=None, min_run_time=0.2):
        number = self._block_size(min_run_time)
        times, total = [], 0.0
        while total < min_run_time or not times:
            taken = self._timeit(number)
            total += taken
            times.append(taken)
            if callback is not None:
                callback(number, taken)
        return Measurement(number, times, self._task_spec)
