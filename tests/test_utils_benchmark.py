"""ferrotorch.utils.benchmark: Timer timing, Measurement statistics (vs numpy), Compare table."""
import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch.utils.benchmark import Compare, Measurement, TaskSpec, Timer

from conftest import DEVICES


def _measurement(raw, number=10, **spec):
    return Measurement(number, raw, TaskSpec(spec.pop("stmt", "x"), "pass", **spec))


@pytest.mark.parametrize("raw", [[0.3, 0.1, 0.2], [1.0, 4.0, 2.0, 8.0, 3.0, 0.5], [7.0]])
def test_measurement_statistics_match_numpy(raw):
    m = _measurement(raw, number=4)
    times = np.array(raw) / 4
    np.testing.assert_allclose(m.times, times)
    assert m.mean == pytest.approx(times.mean())
    assert m.median == pytest.approx(np.median(times))
    assert m.iqr == pytest.approx(np.percentile(times, 75) - np.percentile(times, 25))


def test_measurement_repr_single_and_many():
    one = _measurement([2.5e-4], number=100, label="L", sub_label="S", description="D")
    lines = repr(one).splitlines()
    assert lines[1:] == ["L: S", "D", "  2.50 us", "  1 measurement, 100 runs , 1 thread"]
    many = _measurement([1e-3, 2e-3, 3e-3, 4e-3], number=1, stmt="f()")
    lines = repr(many).splitlines()
    assert lines[1] == "f()"
    assert lines[2] == "  Median: 2.50 ms"
    assert lines[3] == "  IQR:    1.50 ms (1.75 to 3.25)"
    assert lines[4] == "  4 measurements, 1 runs per measurement, 1 thread"
    assert lines[5:] == ["  WARNING: Interquartile range is 60.0% of the median measurement.",
                         "           This suggests significant environmental influence."]


@pytest.mark.parametrize("raw, rel_iqr, cause", [
    ([1.0, 1.05, 1.1, 1.2], None, None),  # IQR 8.1% of the median: no warning
    ([1.0, 1.05, 1.1, 1.3], 10.5, "This could indicate system fluctuation."),
    ([1.0, 1.5], 20.0, "This could indicate system fluctuation."),
    ([1.0, 2.0, 3.0], 50.0, "This suggests significant environmental influence."),
])
def test_measurement_spread_warning(raw, rel_iqr, cause):
    m = _measurement(raw, number=1, stmt="f()")
    times = np.array(raw)
    expected = (np.percentile(times, 75) - np.percentile(times, 25)) / np.median(times)
    assert m.has_warnings == (expected > 0.1)
    lines = repr(m).splitlines()
    assert (lines[3] if len(raw) < 4 else lines[4]).startswith(f"  {len(raw)} measurements")
    assert ("  IQR:" in repr(m)) == (len(raw) >= 4)
    if rel_iqr is None:
        assert "WARNING" not in repr(m)
    else:
        assert lines[-2] == f"  WARNING: Interquartile range is {rel_iqr:.1f}% of the median measurement."
        assert lines[-1].strip() == cause


def test_timeit_measures_known_sleep():
    m = Timer("time.sleep(0.002)", setup="import time").timeit(5)
    assert m.number_per_run == 5 and len(m.times) == 1
    assert m.mean >= 0.002  # sleep never returns early; no upper bound on a loaded machine


def test_globals_and_setup():
    m = Timer("y = x + 1", setup="x = 2", globals={"unused": 0}).timeit(10)
    assert m.mean > 0
    with pytest.raises(NameError):
        Timer("z + 1").timeit(1)


def test_blocked_autorange_covers_min_run_time():
    m = Timer("sum(range(100))").blocked_autorange(min_run_time=0.05)
    assert sum(m.raw_times) >= 0.05
    assert m.number_per_run >= 1 and len(m.times) >= 1
    assert m.median == pytest.approx(float(np.median(np.array(m.raw_times) / m.number_per_run)))


def test_repeat_and_autorange_unsupported():
    t = Timer("pass")
    with pytest.raises(NotImplementedError, match="See `Timer.blocked_autorange.`"):
        t.repeat(3, 10)
    with pytest.raises(NotImplementedError, match="See `Timer.blocked_autorange.`"):
        t.autorange()


def test_num_threads_restored():
    before = torch.get_num_threads()
    m = Timer("pass", num_threads=1).timeit(10)
    assert m.num_threads == 1 and torch.get_num_threads() == before


@pytest.mark.parametrize("device", DEVICES)
def test_timer_on_device_tensors(device):
    x = torch.ones(64, 64, device=device)
    m = Timer("x @ x", globals={"x": x}).timeit(3)
    assert m.mean > 0 and m.stmt == "x @ x"


def test_compare_table():
    a = _measurement([1e-6], number=1, label="add", sub_label="int", description="a")
    b = _measurement([2e-6], number=1, label="add", sub_label="int", description="b")
    c = _measurement([3e-6], number=1, label="add", sub_label="flt", description="b")
    text = str(Compare([a, b, c]))
    lines = text.splitlines()
    assert lines[0].startswith("[") and " add " in lines[0]
    assert "1 threads:" in text
    int_row = next(line for line in lines if line.strip().startswith("int"))
    flt_row = next(line for line in lines if line.strip().startswith("flt"))
    assert int_row.split("|")[1].strip() == "1.0" and int_row.split("|")[2].strip() == "2.0"
    assert flt_row.split("|")[1].strip() == "" and flt_row.split("|")[2].strip() == "3.0"
    assert "Times are in microseconds (us)." in text
