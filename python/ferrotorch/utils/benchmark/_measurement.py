"""`Measurement`: per-run times from a Timer and their statistics (mean, median, IQR)."""
import statistics


def _quantile(sorted_values, q):
    """Linear-interpolation quantile (numpy's default), q in [0, 1]."""
    position = (len(sorted_values) - 1) * q
    low = int(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def select_unit(seconds):
    """PyTorch's time unit choice: the largest of ns/us/ms/s not above `seconds`."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return unit, scale
    return "ns", 1e-9


class TaskSpec:
    def __init__(self, stmt, setup, global_setup="", label=None, sub_label=None, description=None,
                 env=None, num_threads=1):
        self.stmt, self.setup, self.global_setup = stmt, setup, global_setup
        self.label, self.sub_label, self.description = label, sub_label, description
        self.env, self.num_threads = env, num_threads

    @property
    def title(self):
        if self.label is not None:
            return self.label + (f": {self.sub_label}" if self.sub_label else "")
        if "\n" not in self.stmt:
            return self.stmt + (f": {self.sub_label}" if self.sub_label else "")
        return f"stmt:{f' ({self.sub_label})' if self.sub_label else ''}\n" + \
            "\n".join("  " + line for line in self.stmt.splitlines())


class Measurement:
    """`raw_times` are seconds per block of `number_per_run` runs; `times` are seconds per run."""

    def __init__(self, number_per_run, raw_times, task_spec, metadata=None):
        self.number_per_run = number_per_run
        self.raw_times = list(raw_times)
        self.task_spec = task_spec
        self.metadata = metadata

    def __getattr__(self, name):
        # stmt, setup, label, sub_label, description, env, num_threads, title come from the task.
        if name != "task_spec" and hasattr(self.task_spec, name):
            return getattr(self.task_spec, name)
        raise AttributeError(f"'Measurement' object has no attribute '{name}'")

    @property
    def times(self):
        return [t / self.number_per_run for t in self.raw_times]

    @property
    def mean(self):
        return statistics.fmean(self.times)

    @property
    def median(self):
        return _quantile(sorted(self.times), 0.5)

    @property
    def iqr(self):
        values = sorted(self.times)
        return _quantile(values, 0.75) - _quantile(values, 0.25)

    @property
    def _relative_iqr(self):
        return self.iqr / self.median if self.median > 0 else 0.0

    @property
    def has_warnings(self):
        # PyTorch flags a spread (IQR) above 10% of the median as unreliable.
        return self._relative_iqr > 0.1

    def __repr__(self):
        unit, scale = select_unit(self.median)
        lines = [f"{object.__repr__(self)}", self.title]
        if self.description:
            lines.append(self.description)
        if self.setup and self.setup != "pass":
            lines.append("setup:" + ("\n" if "\n" in self.setup else " ") + self.setup)
        n = len(self.times)
        threads = f"{self.num_threads} thread{'s' if self.num_threads > 1 else ''}"
        if n == 1:
            lines.append(f"  {self.median / scale:.2f} {unit}")
            lines.append(f"  1 measurement, {self.number_per_run} runs , {threads}")
        else:
            lines.append(f"  Median: {self.median / scale:.2f} {unit}")
            if n >= 4:  # fewer points give no meaningful quartiles, so PyTorch omits the IQR line
                values = sorted(self.times)
                q25, q75 = _quantile(values, 0.25) / scale, _quantile(values, 0.75) / scale
                lines.append(f"  IQR:    {self.iqr / scale:.2f} {unit} ({q25:.2f} to {q75:.2f})")
            lines.append(f"  {n} measurements, {self.number_per_run} runs per measurement, {threads}")
        if self.has_warnings:
            cause = ("This suggests significant environmental influence." if self._relative_iqr > 0.25
                     else "This could indicate system fluctuation.")
            percent = 100 * self._relative_iqr
            lines.append(f"  WARNING: Interquartile range is {percent:.1f}% of the median measurement.")
            lines.append("           " + cause)
        return "\n".join(lines)
