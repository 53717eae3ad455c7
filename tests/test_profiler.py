"""ferrotorch.profiler / ferrotorch.autograd.profiler: record_function timing, nesting, schedule, traces."""
import json
import time

import pytest

import ferrotorch as torch
from ferrotorch.profiler import ProfilerAction, ProfilerActivity, profile, record_function, schedule

A = ProfilerAction


def _busy(seconds):
    # Busy wait rather than sleep: wall time spent in the region is then close to `seconds`.
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def _by_key(prof):
    return {e.key: e for e in prof.key_averages()}


def test_importable_as_attributes():
    import ferrotorch.profiler as p
    assert torch.profiler is p
    assert torch.autograd.profiler.record_function is p.record_function
    assert ProfilerActivity.CUDA != ProfilerActivity.CPU


def test_nesting_self_time_arithmetic():
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        with record_function("outer"):
            _busy(0.02)
            with record_function("inner"):
                _busy(0.01)
    ev = _by_key(prof)
    outer, inner = ev["outer"], ev["inner"]
    # Self time of the parent is exactly its total minus the child's total.
    assert outer.self_cpu_time_total == pytest.approx(outer.cpu_time_total - inner.cpu_time_total)
    assert inner.self_cpu_time_total == pytest.approx(inner.cpu_time_total)
    # Busy waits end no earlier than asked (no upper bounds: a loaded machine may stretch any of them).
    assert inner.cpu_time_total >= 10_000
    assert outer.self_cpu_time_total >= 20_000
    assert outer.cpu_time_total >= 30_000
    # Table's total is the sum of self times = outer's total.
    assert prof.key_averages().self_cpu_time_total == pytest.approx(outer.cpu_time_total)


def test_key_averages_counts_and_mean():
    with profile() as prof:
        for _ in range(3):
            with record_function("step"):
                _busy(0.002)
    step = _by_key(prof)["step"]
    raw = [e for e in prof.events() if e.name == "step"]
    assert step.count == 3 and len(raw) == 3
    assert step.cpu_time_total == pytest.approx(sum(e.cpu_time_total for e in raw))
    assert step.cpu_time == pytest.approx(step.cpu_time_total / 3)


def test_table_columns_sort_and_row_limit():
    with profile() as prof:
        with record_function("short"):
            _busy(0.001)
        with record_function("long_one"):
            _busy(0.005)
    text = prof.key_averages().table(sort_by="cpu_time_total", row_limit=1)
    lines = text.splitlines()
    assert lines[1].split() == ["Name", "Self", "CPU", "%", "Self", "CPU", "CPU", "total", "%", "CPU", "total",
                                "CPU", "time", "avg", "#", "of", "Calls"]
    assert "long_one" in text and "short" not in text.split("Self CPU time total")[0].split("Calls")[1]
    assert lines[-1].startswith("Self CPU time total: ") and lines[-1].endswith("ms")
    with pytest.raises(AttributeError, match="bogus"):
        prof.key_averages().table(sort_by="bogus")


def test_decorator_and_recursion():
    @record_function("fn")
    def fn(n):
        if n:
            fn(n - 1)

    with profile() as prof:
        fn(2)
    events = sorted((e for e in prof.events() if e.name == "fn"), key=lambda e: e.depth)
    assert [e.depth for e in events] == [0, 1, 2]
    assert events[0].cpu_time_total >= events[1].cpu_time_total >= events[2].cpu_time_total


def test_regions_outside_profiler_not_recorded():
    with record_function("before"):
        pass
    with profile() as prof:
        with record_function("during"):
            pass
    assert [e.name for e in prof.events()] == ["during"]


def test_key_averages_before_start_errors():
    with pytest.raises(AssertionError, match="Profiler must be initialized before getting key averages"):
        profile().key_averages()


def test_chrome_trace(tmp_path):
    with profile() as prof:
        with record_function("outer"):
            with record_function("inner"):
                _busy(0.001)
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    trace = json.loads(path.read_text())
    by_name = {e["name"]: e for e in trace["traceEvents"]}
    assert set(by_name) == {"outer", "inner"}
    o, i = by_name["outer"], by_name["inner"]
    assert o["ph"] == i["ph"] == "X"
    assert o["ts"] <= i["ts"] and i["ts"] + i["dur"] <= o["ts"] + o["dur"]
    assert i["dur"] >= 1000  # microseconds


@pytest.mark.parametrize("kwargs, expected", [
    (dict(wait=1, warmup=1, active=2, repeat=1, skip_first=1),
     [A.NONE, A.NONE, A.WARMUP, A.RECORD, A.RECORD_AND_SAVE, A.NONE, A.NONE, A.NONE]),
    (dict(wait=0, warmup=0, active=1),
     [A.RECORD_AND_SAVE] * 4),
    (dict(wait=2, warmup=0, active=2, repeat=0),
     [A.NONE, A.NONE, A.RECORD, A.RECORD_AND_SAVE, A.NONE, A.NONE, A.RECORD, A.RECORD_AND_SAVE]),
    (dict(wait=2, warmup=1, active=2, repeat=2, skip_first=1, skip_first_wait=1),
     [A.NONE, A.WARMUP, A.RECORD, A.RECORD_AND_SAVE, A.NONE, A.NONE, A.WARMUP, A.RECORD, A.RECORD_AND_SAVE,
      A.NONE, A.NONE]),
])
def test_schedule_actions(kwargs, expected):
    s = schedule(**kwargs)
    assert [s(i) for i in range(len(expected))] == expected


@pytest.mark.parametrize("kwargs", [dict(wait=-1, warmup=0, active=1), dict(wait=0, warmup=0, active=0),
                                    dict(wait=0, warmup=0, active=1, repeat=-1)])
def test_schedule_invalid(kwargs):
    with pytest.raises(AssertionError, match="Invalid profiler schedule arguments"):
        schedule(**kwargs)


def test_scheduled_profile_saves_active_windows():
    saved = []
    sched = schedule(wait=1, warmup=1, active=2, repeat=2)
    with profile(schedule=sched, on_trace_ready=lambda p: saved.append(sorted(e.name for e in p.events()))) as prof:
        for step in range(10):
            with record_function(f"s{step}"):
                pass
            prof.step()
    # Steps 2,3 and 6,7 are active (wait 0/4, warmup 1/5); each window is saved once.
    assert saved == [["s2", "s3"], ["s6", "s7"]]


def test_tensorboard_trace_handler(tmp_path):
    from ferrotorch.profiler import tensorboard_trace_handler
    with profile(on_trace_ready=tensorboard_trace_handler(str(tmp_path), worker_name="w")):
        with record_function("r"):
            pass
    (path,) = list(tmp_path.iterdir())
    assert path.name.startswith("w.") and path.name.endswith(".pt.trace.json")
    assert [e["name"] for e in json.loads(path.read_text())["traceEvents"]] == ["r"]


def test_legacy_profile():
    ap = torch.autograd.profiler
    with ap.profile() as prof:
        assert len(prof.key_averages()) == 0  # nothing reported until the block ends
        with ap.record_function("legacy"):
            _busy(0.002)
    (avg,) = prof.key_averages()
    assert avg.key == "legacy" and avg.count == 1 and avg.cpu_time_total >= 2000
    assert "legacy" in prof.key_averages().table()
    with ap.profile(enabled=False) as off:
        pass
    assert off is None


def test_emit_nvtx():
    ap = torch.autograd.profiler
    with ap.emit_nvtx(enabled=False):
        pass
    with pytest.raises(RuntimeError, match="NVTX"):
        with ap.emit_nvtx():
            pass


def test_threads_keep_separate_nesting():
    import threading

    region = record_function("worker")
    both_inside = threading.Barrier(2)  # the two regions overlap in time

    def work():
        with region:
            both_inside.wait()
            _busy(0.003)

    with profile() as prof:
        threads = [threading.Thread(target=work) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    events = [e for e in prof.events() if e.name == "worker"]
    assert len(events) == 2 and len({e.thread for e in events}) == 2
    # Each is top-level in its own thread: no time is attributed to a "parent".
    assert all(e.depth == 0 and e.self_cpu_time_total == e.cpu_time_total for e in events)
