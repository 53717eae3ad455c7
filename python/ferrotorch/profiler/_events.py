"""Recorded events, their per-name averages, the summary table and the Chrome trace file.

Times are kept in integer nanoseconds and reported in microseconds as PyTorch does.
"""
import json
import os


class FunctionEvent:
    """One finished `record_function` region (host wall time)."""

    def __init__(self, name, start_ns, end_ns, child_ns, thread, depth):
        self.name = name
        self.start_ns = start_ns
        self.end_ns = end_ns
        self.child_ns = child_ns
        self.thread = thread
        self.depth = depth

    key = property(lambda self: self.name)
    count = property(lambda self: 1)
    cpu_time_total = property(lambda self: (self.end_ns - self.start_ns) / 1000.0)
    self_cpu_time_total = property(lambda self: (self.end_ns - self.start_ns - self.child_ns) / 1000.0)
    cpu_time = cpu_time_total

    def __repr__(self):
        return (f"<FunctionEvent name={self.name} thread={self.thread} "
                f"cpu_time_total={self.cpu_time_total:.3f}us self_cpu_time_total={self.self_cpu_time_total:.3f}us>")


class FunctionEventAvg:
    """All events sharing one name, summed; `cpu_time` is the mean per call."""

    def __init__(self, key):
        self.key = key
        self.count = 0
        self.cpu_time_total = 0.0
        self.self_cpu_time_total = 0.0

    def add(self, event):
        self.count += event.count
        self.cpu_time_total += event.cpu_time_total
        self.self_cpu_time_total += event.self_cpu_time_total
        return self

    @property
    def cpu_time(self):
        return self.cpu_time_total / self.count if self.count else 0.0

    def __repr__(self):
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={self.self_cpu_time_total:.3f}us "
                f"cpu_time={self.cpu_time:.3f}us count={self.count}>")


def _format_time(us):
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


def _percent(part, whole):
    return f"{(100.0 * part / whole) if whole else 0.0:.2f}%"


class EventList(list):
    """A list of events (or averages) with PyTorch's summary helpers."""

    def key_averages(self):
        averages = {}
        for event in self:
            averages.setdefault(event.key, FunctionEventAvg(event.key)).add(event)
        return EventList(averages.values())

    @property
    def self_cpu_time_total(self):
        return sum(event.self_cpu_time_total for event in self)

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75, max_name_column_width=55,
              max_shapes_column_width=80, header=None, top_level_events_only=False):
        rows = list(self)
        if sort_by is not None:
            rows.sort(key=lambda e: getattr(e, sort_by), reverse=True)
        if row_limit is not None and row_limit >= 0:
            rows = rows[:row_limit]
        total = self.self_cpu_time_total
        name_width = min(max((len(e.key) for e in self), default=0) + 4, max_name_column_width)
        headers = ["Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg", "# of Calls"]
        widths = [name_width] + [12] * len(headers)
        line = "".join("-" * w + "  " for w in widths)

        def row(cells):
            return "".join(str(c).rjust(w) + "  " for c, w in zip(cells, widths))

        out = [] if header is None else ["=" * len(line), header]
        out += [line, row(["Name"] + headers), line]
        for e in rows:
            name = e.key if len(e.key) <= name_width else e.key[:name_width - 3] + "..."
            out.append(row([name, _percent(e.self_cpu_time_total, total), _format_time(e.self_cpu_time_total),
                            _percent(e.cpu_time_total, total), _format_time(e.cpu_time_total),
                            _format_time(e.cpu_time), e.count]))
        out.append(line)
        out.append(f"Self CPU time total: {_format_time(total)}")
        return "\n".join(out) + "\n"

    def export_chrome_trace(self, path):
        """Writes the raw events as Chrome trace 'complete' (ph X) events; ts/dur in microseconds."""
        trace = {"traceEvents": [
            {"ph": "X", "cat": "user_annotation", "name": e.name, "pid": os.getpid(), "tid": e.thread,
             "ts": e.start_ns / 1000.0, "dur": (e.end_ns - e.start_ns) / 1000.0, "args": {}}
            for e in self], "displayTimeUnit": "ms"}
        with open(path, "w") as f:
            json.dump(trace, f)
