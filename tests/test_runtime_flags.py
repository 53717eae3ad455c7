"""Process-level switches and small helpers at the top of `torch`: anomaly mode, warn-always,
flush-denormal, inter-op threads, get_device / is_inference, torch.Stream / Event, nonzero_static,
new_empty_strided, is_shared / share_memory_, record_stream, resize_as_."""
import os
import platform
import subprocess
import sys
import warnings

import numpy as np
import pytest

import ferrotorch as torch
from conftest import assert_close, from_numpy, requires_gpu


# ----------------------------------------------------------------------------- anomaly mode
@pytest.fixture
def anomaly_restored():
    before = (torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled())
    yield
    torch.set_anomaly_enabled(*before)


def test_set_anomaly_enabled_is_the_state_autograd_anomaly_mode_uses(anomaly_restored):
    assert torch.is_anomaly_enabled() is False
    torch.set_anomaly_enabled(True, False)
    assert torch.autograd.anomaly_mode.is_anomaly_enabled() is True
    assert torch.autograd.anomaly_mode.is_anomaly_check_nan_enabled() is False
    torch.set_anomaly_enabled(False)
    assert (torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled()) == (False, True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.autograd.detect_anomaly(check_nan=False):
            assert (torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled()) == (True, False)
    assert torch.is_anomaly_enabled() is False
    torch.autograd.set_detect_anomaly(True)
    assert torch.is_anomaly_enabled() is True
    torch.set_anomaly_enabled(enabled=False, check_nan=True)
    assert torch.is_anomaly_enabled() is False


@pytest.mark.parametrize("args, message", [
    ((1,), "set_anomaly_enabled(): argument 'enabled' (position 1) must be bool, not int"),
    ((True, 0), "set_anomaly_enabled(): argument 'check_nan' (position 2) must be bool, not int"),
    ((), 'set_anomaly_enabled() missing 1 required positional arguments: "enabled"'),
])
def test_set_anomaly_enabled_rejects_non_bools(anomaly_restored, args, message):
    with pytest.raises(TypeError) as err:
        torch.set_anomaly_enabled(*args)
    assert str(err.value) == message
    assert torch.is_anomaly_enabled() is False


# ----------------------------------------------------------------------------- warn always
@pytest.fixture
def warn_always_restored():
    before = torch.is_warn_always_enabled()
    yield
    torch.set_warn_always(before)


def _share_memory_warnings(t):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert t.share_memory_() is t
    return [w for w in caught if "shared memory" in str(w.message)]


def test_set_warn_always_makes_once_per_process_warnings_repeat(warn_always_restored):
    assert torch.is_warn_always_enabled() is False
    t = torch.ones(2)
    _share_memory_warnings(t)  # the one warning of the process (if no earlier test gave it)
    assert _share_memory_warnings(t) == []
    torch.set_warn_always(True)
    assert torch.is_warn_always_enabled() is True
    assert len(_share_memory_warnings(t)) == 1
    assert len(_share_memory_warnings(t)) == 1
    torch.set_warn_always(False)
    assert _share_memory_warnings(t) == []


@pytest.mark.parametrize("bad, name", [(1, "int"), ("x", "str"), (None, "NoneType")])
def test_set_warn_always_rejects_non_bools(warn_always_restored, bad, name):
    with pytest.raises(RuntimeError) as err:
        torch.set_warn_always(bad)
    assert str(err.value) == f"setWarnOnlyOnce expects a bool, but got {name}"
    assert torch.is_warn_always_enabled() is False


# ----------------------------------------------------------------------------- flush denormal
_X86_GLIBC = (sys.platform.startswith("linux") and platform.machine() == "x86_64"
              and platform.libc_ver()[0] == "glibc")


def test_set_flush_denormal_flushes_on_this_thread_and_turns_off_again():
    x64 = torch.tensor([1e-310, -5e-324, 1.0], dtype=torch.float64)
    x32 = torch.tensor([1e-40, 2.0], dtype=torch.float32)
    try:
        applied = torch.set_flush_denormal(True)
        if not _X86_GLIBC:
            assert applied is False  # cannot be applied here: PyTorch's answer
            return
        assert applied is True
        # Denormal inputs read as zero and denormal results are flushed (closed form: 0).
        assert (x64 * 1.0).tolist() == [0.0, 0.0, 1.0]
        assert (x32 * 1.0).tolist() == [0.0, 2.0]
        assert (torch.tensor([1e-300], dtype=torch.float64) * 1e-10).tolist() == [0.0]
    finally:
        off = torch.set_flush_denormal(False)
    assert off is _X86_GLIBC
    assert (x64 * 1.0).tolist() == [1e-310, -5e-324, 1.0]
    assert (torch.tensor([1e-300], dtype=torch.float64) * 1e-10).item() == 1e-300 * 1e-10 != 0.0


@pytest.mark.parametrize("bad, name", [(1, "int"), ("x", "str")])
def test_set_flush_denormal_rejects_non_bools(bad, name):
    with pytest.raises(RuntimeError) as err:
        torch.set_flush_denormal(bad)
    assert str(err.value) == f"flush_denormal expects a bool, but got {name}"
    with pytest.raises(TypeError, match=r"takes exactly one argument \(0 given\)"):
        torch.set_flush_denormal()


# ----------------------------------------------------------------------------- threads
def test_num_interop_threads_defaults_to_the_cores_and_can_be_set_once():
    assert 1 <= torch.get_num_interop_threads() <= os.cpu_count()
    # Setting is once per process: check it in a fresh one.
    code = ("import numpy as np, ferrotorch as torch\n"
            "torch.set_num_interop_threads(np.int64(3)); print(torch.get_num_interop_threads())\n"
            "try:\n    torch.set_num_interop_threads(2)\nexcept RuntimeError as e:\n    print(e)\n"
            "print(torch.get_num_interop_threads())\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "3",
        "Error: cannot set number of interop threads after parallel work has started or "
        "set_num_interop_threads called",
        "3",
    ]


@pytest.mark.parametrize("bad, message", [
    (0, "set_num_interop_threads expects a positive integer"),
    (-1, "set_num_interop_threads expects a positive integer"),
    (1.5, "set_num_interop_threads expects an int, but got float"),
    (True, "set_num_interop_threads expects an int, but got bool"),
    (np.float64(2.0), "set_num_interop_threads expects an int, but got numpy.float64"),
])
def test_set_num_interop_threads_rejects_bad_counts(bad, message):
    before = torch.get_num_interop_threads()
    with pytest.raises(RuntimeError) as err:
        torch.set_num_interop_threads(bad)
    assert str(err.value) == message
    assert torch.get_num_interop_threads() == before


def test_init_num_threads_keeps_the_thread_count():
    before = torch.get_num_threads()
    assert torch.init_num_threads() is None
    assert torch.get_num_threads() == before
    with pytest.raises(TypeError):
        torch.init_num_threads(1)


# ----------------------------------------------------------------------------- get_device / is_inference
def test_get_device(device):
    t = torch.ones(2, 3, device=device)
    expected = -1 if device == "cpu" else 0
    assert torch.get_device(t) == expected == t.get_device()
    assert torch.get_device(t.t()) == expected
    assert torch.get_device(torch.zeros((), device=device)) == expected


def test_get_device_and_is_inference_reject_non_tensors():
    for fn in (torch.get_device, torch.is_inference):
        name = fn.__name__
        with pytest.raises(TypeError) as err:
            fn(3)
        assert str(err.value) == f"{name}(): argument 'input' (position 1) must be Tensor, not int"
        with pytest.raises(TypeError) as err:
            fn()
        assert str(err.value) == f'{name}() missing 1 required positional arguments: "input"'


def test_is_inference_is_false_because_inference_mode_tensors_are_ordinary(device):
    a = torch.ones(3, device=device)
    assert torch.is_inference(a) is False and a.is_inference() is False
    with torch.inference_mode():
        y = torch.full((3,), 2.0, device=device)
        assert torch.is_inference_mode_enabled()
    assert y.is_inference() is False and torch.is_inference(y[1:]) is False
    # What an inference tensor could not do in PyTorch works here: autograd and in-place updates.
    w = torch.tensor([1.0, -2.0, 3.0], device=device, requires_grad=True)
    (y * w * w).sum().backward()
    assert_close(w.grad.cpu(), np.array([4.0, -8.0, 12.0], dtype=np.float32))
    y.add_(1.0)
    assert_close(y.cpu(), np.full(3, 3.0, dtype=np.float32))


def test_grad_scaler_is_the_amp_one():
    assert torch.GradScaler is torch.amp.GradScaler


# ----------------------------------------------------------------------------- torch.Stream / Event
def test_cpu_stream_and_event_follow_the_reference():
    s = torch.Stream(device="cpu")
    assert repr(s) == "torch.Stream device_type=cpu, device_index=-1, stream_id=0"
    assert (s.device, s.device_type, s.device_index, s.stream_id) == (torch.device("cpu"), 0, -1, 0)
    assert s.query() is True and s.synchronize() is None
    assert s == torch.Stream(device="cpu") and hash(s) == hash(torch.Stream(device="cpu"))
    e = torch.Event(device="cpu", enable_timing=True)
    assert repr(e) == "torch.Event device_type=cpu, device_index=-1, event_flag=1, event_id=0"
    assert e.query() is True and e.synchronize() is None and e.wait() is None
    assert s.wait_event(e) is None
    for call in (e.record, s.record_event, lambda: s.wait_stream(torch.Stream(device="cpu"))):
        with pytest.raises(RuntimeError, match="^cpu backend doesn't support events.$"):
            call()
    with pytest.raises(ValueError, match=r"^Both events must be created with argument 'enable_timing=True'.$"):
        torch.Event(device="cpu").elapsed_time(torch.Event(device="cpu"))
    with pytest.raises(TypeError):
        torch.Stream("cpu", 0)  # priority is keyword-only


@requires_gpu
def test_gpu_stream_and_event_time_the_queue():
    s = torch.Stream()
    assert s.device == torch.device("cuda") and (s.device_type, s.device_index) == (1, 0)
    assert repr(s) == "torch.Stream device_type=cuda, device_index=0, stream_id=0"
    start, end = torch.Event(enable_timing=True), torch.Event(enable_timing=True)
    with pytest.raises(RuntimeError, match="Both events must be recorded"):
        start.elapsed_time(end)
    start.record()
    x = torch.ones(64, 64, device="cuda")
    y = (x @ x).sum()
    end.record(s)
    ms = start.elapsed_time(end)
    assert ms >= 0.0
    assert s.query() is True and end.query() is True
    assert y.item() == 64.0 * 64 * 64
    assert isinstance(s.record_event(), torch.Event)
    assert s.wait_stream(torch.Stream()) is None


# ----------------------------------------------------------------------------- nonzero_static
def _nonzero_static_reference(a, size, fill):
    idx = np.argwhere(a)
    if len(idx) >= size:
        return idx[:size].astype(np.int64)
    pad = np.full((size - len(idx), a.ndim), fill, dtype=np.int64)
    return np.concatenate([idx.astype(np.int64).reshape(-1, a.ndim), pad])


@pytest.mark.parametrize("size, fill", [(0, -1), (2, -1), (5, -1), (9, 7), (12, -3)])
def test_nonzero_static_matches_argwhere_cut_or_padded(device, size, fill):
    a = np.array([[0.0, 1.5, 0.0, -2.0], [np.nan, 0.0, 3.0, 0.0]], dtype=np.float32)
    t = from_numpy(a).to(device)
    got = torch.nonzero_static(t, size=size, fill_value=fill)
    assert got.device == t.device and got.dtype == torch.int64
    assert_close(got.cpu(), _nonzero_static_reference(a, size, fill))
    assert_close(t.nonzero_static(size=size, fill_value=fill).cpu(), _nonzero_static_reference(a, size, fill))


def test_nonzero_static_non_contiguous_bool_empty_and_scalar(device):
    rng = np.random.default_rng(1)
    a = rng.integers(0, 3, size=(4, 5)).astype(np.int32)
    t = from_numpy(a).to(device).t()  # non-contiguous
    assert not t.is_contiguous()
    assert_close(torch.nonzero_static(t, size=25).cpu(), _nonzero_static_reference(a.T, 25, -1))
    b = np.array([True, False, True, True])
    assert_close(torch.nonzero_static(from_numpy(b).to(device), size=2).cpu(), np.array([[0], [2]]))
    assert_close(torch.nonzero_static(torch.zeros(0, 3, device=device), size=2).cpu(), np.full((2, 2), -1))
    for value in (5.0, 0.0):  # PyTorch: `size` rows of no coordinates for a 0-d input
        got = torch.nonzero_static(torch.tensor(value, device=device), size=2)
        assert tuple(got.shape) == (2, 0) and got.dtype == torch.int64


@pytest.mark.parametrize("kwargs, error, message", [
    ({"size": -1}, RuntimeError, "nonzero_static: 'size' must be an non-negative integer"),
    ({"size": 2.0}, TypeError, "nonzero_static(): argument 'size' must be int, not float"),
    ({"size": True}, TypeError, "nonzero_static(): argument 'size' must be int, not bool"),
    ({"size": 2, "fill_value": 2.5}, TypeError, "nonzero_static(): argument 'fill_value' must be int, not float"),
    ({}, TypeError, 'nonzero_static() missing 1 required positional arguments: "size"'),
])
def test_nonzero_static_errors(kwargs, error, message):
    with pytest.raises(error) as err:
        torch.nonzero_static(torch.ones(2), **kwargs)
    assert str(err.value) == message
    with pytest.raises(TypeError) as err:
        torch.nonzero_static([1, 0], size=1)
    assert str(err.value) == "nonzero_static(): argument 'input' (position 1) must be Tensor, not list"
    with pytest.raises(TypeError):
        torch.nonzero_static(torch.ones(2), 3)  # size is keyword-only


# ----------------------------------------------------------------------------- new_empty_strided
def test_new_empty_strided_takes_dtype_and_device_from_self(device):
    base = torch.ones(2, dtype=torch.float64, device=device)
    t = base.new_empty_strided((2, 3), (1, 2))
    assert (tuple(t.shape), t.stride(), t.dtype, t.device) == ((2, 3), (1, 2), torch.float64, base.device)
    assert not t.is_contiguous()
    u = base.new_empty_strided([2, 3], [3, 1], dtype=torch.int32, requires_grad=False)
    assert (u.dtype, u.stride(), u.is_contiguous()) == (torch.int32, (3, 1), True)
    v = base.new_empty_strided((0, 4), (4, 1), device="cpu", requires_grad=True)
    assert (tuple(v.shape), v.device, v.requires_grad, v.is_leaf) == ((0, 4), torch.device("cpu"), True, True)
    w = base.new_empty_strided((), ())
    assert tuple(w.shape) == () and w.dtype == torch.float64


def test_new_empty_strided_errors():
    with pytest.raises(RuntimeError) as err:
        torch.ones(2).new_empty_strided((2, 3), (1,))
    assert str(err.value) == "dimensionality of sizes (2) must match dimensionality of strides (1)"
    with pytest.raises(RuntimeError) as err:
        torch.ones(2).new_empty_strided((-2, 3), (1, 2))
    assert str(err.value) == "Trying to create tensor with negative dimension -2: [-2, 3]"


# ----------------------------------------------------------------------------- sharing, streams, resize
def test_is_shared_and_share_memory_tell_the_truth(device):
    t = torch.arange(4.0, device=device)
    assert t.is_shared() is False and torch.zeros(()).is_shared() is False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert t.share_memory_() is t
    assert t.is_shared() is False  # the storage could not be moved, so it is not shared
    assert_close(t.cpu(), np.arange(4.0, dtype=np.float32))


def test_record_stream_on_a_cpu_tensor_raises_like_pytorch():
    with pytest.raises(NotImplementedError, match=r"^Could not run 'aten::record_stream' with arguments from the "
                                                  r"'CPU' backend\."):
        torch.ones(2).record_stream(torch.Stream(device="cpu"))
    with pytest.raises(RuntimeError, match="^unknown parameter type$"):
        torch.ones(2).record_stream(1)


@requires_gpu
def test_record_stream_on_a_gpu_tensor_keeps_its_values():
    t = torch.arange(6.0, device="cuda")
    assert t.record_stream(torch.cuda.current_stream()) is None
    assert t.record_stream(torch.Stream()) is None
    assert_close((t * 2).cpu(), np.arange(6.0, dtype=np.float32) * 2)


def test_resize_as_function(device):
    a = torch.arange(6.0, device=device).reshape(2, 3)
    out = torch.resize_as_(a, torch.zeros(3, 2, device=device).t())  # non-contiguous template
    assert out is a and tuple(a.shape) == (2, 3)
    out = torch.resize_as_(a, torch.zeros(4))
    assert tuple(a.shape) == (4,)
    assert_close(a.cpu(), np.arange(4.0, dtype=np.float32))
    torch.resize_as_(a, torch.zeros(()))
    assert tuple(a.shape) == () and a.item() == 0.0


def test_docstring_examples():
    import doctest

    from ferrotorch import _generic_streams, _runtime_flags, _runtime_tensor_methods
    for module in (_runtime_flags, _runtime_tensor_methods, _generic_streams):
        assert doctest.testmod(module).failed == 0, module.__name__
    assert torch.set_flush_denormal(False) is _X86_GLIBC
