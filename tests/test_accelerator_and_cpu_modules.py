"""`torch.cpu`, `torch.accelerator` and the `torch.cuda` memory/device additions (memory_stats,
memory_summary, the deprecated aliases, per-process memory fraction, legacy GPU tensor types)."""
import collections
import warnings

import numpy as np
import pytest

import ferrotorch as torch
from conftest import GPU_AVAILABLE, assert_close, requires_gpu


@pytest.fixture
def no_gpu(monkeypatch):
    """Runs a test as if no GPU adapter were usable."""
    monkeypatch.setattr(torch._C, "_gpu_is_available", lambda: False)


# ----------------------------------------------------------------------------- torch.cpu
def test_cpu_module_answers_like_the_reference():
    assert torch.cpu.is_available() is True and torch.cpu.is_initialized() is True
    assert torch.cpu.device_count() == 1 and torch.cpu.current_device() == "cpu"
    for device in (None, "cpu", "cuda", 0):
        assert torch.cpu.synchronize(device) is None
        assert torch.cpu.set_device(device) is None
    assert torch.cpu.current_stream() is torch.cpu.current_stream("cuda")
    e = torch.cpu.Event()
    assert e.query() is True and e.record() is None and e.synchronize() is None and e.wait() is None
    s = torch.cpu.Stream(priority=2)
    assert s.wait_stream(torch.cpu.Stream()) is None and s.record_event() is None and s.wait_event(e) is None
    assert not hasattr(s, "query")  # the reference's CPU stream has no query()


def test_cpu_stream_context_selects_and_restores():
    default = torch.cpu.current_stream()
    s = torch.cpu.Stream()
    with torch.cpu.stream(s):
        assert torch.cpu.current_stream() is s
        with torch.cpu.StreamContext(None):
            assert torch.cpu.current_stream() is s
    assert torch.cpu.current_stream() is default
    assert isinstance(torch.cpu.stream(s), torch.cpu.StreamContext)


def test_cpu_amp_aliases_warn_and_autocast_on_the_cpu():
    from ferrotorch.cpu.amp import autocast
    with pytest.warns(FutureWarning, match=r"`torch.cpu.amp.autocast\(args...\)` is deprecated"):
        ctx = autocast()
    with ctx:
        assert torch.is_autocast_enabled("cpu") and torch.get_autocast_dtype("cpu") == torch.bfloat16
        out = torch.nn.functional.linear(torch.ones(2, 3), torch.ones(4, 3))
    assert out.dtype == torch.bfloat16 and not torch.is_autocast_enabled("cpu")
    assert_close(out.float(), np.full((2, 4), 3.0, dtype=np.float32))
    with pytest.warns(FutureWarning, match=r"`torch.cpu.amp.GradScaler\(args...\)` is deprecated"):
        scaler = torch.cpu.amp.GradScaler(init_scale=8.0)
    assert isinstance(scaler, torch.amp.GradScaler) and scaler.get_scale() == 8.0


# ----------------------------------------------------------------------------- torch.accelerator
def test_accelerator_is_the_gpu_when_usable():
    acc = torch.accelerator.current_accelerator()
    if GPU_AVAILABLE:
        assert acc == torch.device("cuda") and acc.type == torch.device("cuda").type
        assert torch.accelerator.current_accelerator(check_available=True) == acc
    else:
        assert acc is None
    assert torch.accelerator.is_available() is GPU_AVAILABLE
    assert torch.accelerator.device_count() == (1 if GPU_AVAILABLE else 0)


def test_accelerator_without_a_gpu(no_gpu):
    assert torch.accelerator.current_accelerator() is None
    assert torch.accelerator.current_accelerator(check_available=True) is None
    assert (torch.accelerator.is_available(), torch.accelerator.device_count()) == (False, 0)
    with pytest.raises(RuntimeError, match="^Cannot access accelerator device when none is available.$"):
        torch.accelerator.current_device_index()
    with pytest.raises(RuntimeError, match="^Accelerator expected$"):
        torch.accelerator.set_device_index("cuda:0")
    assert torch.accelerator.synchronize() is None
    assert torch.accelerator.memory_stats() == collections.OrderedDict()
    assert torch.accelerator.memory_allocated() == 0 and torch.accelerator.max_memory_reserved() == 0
    assert torch.accelerator.empty_cache() is None and torch.accelerator.reset_peak_memory_stats() is None
    with torch.accelerator.device_index(None):
        pass


@requires_gpu
def test_accelerator_device_index_functions():
    assert torch.accelerator.current_device_index() == 0
    with pytest.warns(FutureWarning, match="Use `current_device_index` instead."):
        assert torch.accelerator.current_device_idx() == 0
    torch.accelerator.set_device_index(0)
    torch.accelerator.set_device_index("cuda:0")
    torch.accelerator.set_device_index(-1)  # a no-op, as in PyTorch
    with pytest.warns(FutureWarning, match="Use `set_device_index` instead."):
        torch.accelerator.set_device_idx(0)
    with pytest.raises(ValueError, match=r"^cpu doesn't match the current accelerator"):
        torch.accelerator.set_device_index("cpu")
    with pytest.raises(ValueError, match=r"^Expected a torch.device with a specified index or an integer"):
        torch.accelerator.set_device_index(torch.device("cuda"))
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        torch.accelerator.set_device_index(1)
    with torch.accelerator.device_index(0):
        assert torch.accelerator.current_device_index() == 0
    assert torch.accelerator.current_device_index() == 0


@requires_gpu
def test_accelerator_streams_and_synchronize():
    default = torch.accelerator.current_stream()
    assert isinstance(default, torch.Stream) and default.device == torch.device("cuda")
    s = torch.Stream()
    try:
        torch.accelerator.set_stream(s)
        assert torch.accelerator.current_stream() is s
        torch.accelerator.set_stream(torch.cuda.Stream())  # PyTorch's cuda.Stream is a torch.Stream
        assert torch.accelerator.current_stream().device == torch.device("cuda")
        with pytest.raises(TypeError, match="incompatible function arguments"):
            torch.accelerator.set_stream(1)
        with s:
            assert torch.accelerator.current_stream() is s
    finally:
        torch.accelerator.set_stream(default)
    x = torch.arange(5.0, device="cuda") * 3
    assert torch.accelerator.synchronize() is None and torch.accelerator.synchronize(0) is None
    assert_close(x.cpu(), np.arange(5.0, dtype=np.float32) * 3)


@requires_gpu
def test_accelerator_memory_functions_follow_the_allocator():
    torch.accelerator.empty_cache()
    before = torch.accelerator.memory_allocated()
    x = torch.zeros(4096, device="cuda")
    grown = torch.accelerator.memory_allocated() - before
    assert grown >= 4096 * 4
    assert torch.accelerator.memory_allocated() == torch.cuda.memory_allocated()
    assert torch.accelerator.max_memory_allocated() >= torch.accelerator.memory_allocated()
    assert torch.accelerator.memory_reserved() >= torch.accelerator.memory_allocated()
    assert torch.accelerator.max_memory_reserved() == torch.cuda.max_memory_reserved()
    del x
    torch.accelerator.reset_peak_memory_stats()
    assert torch.accelerator.max_memory_allocated() == torch.accelerator.memory_allocated()
    assert torch.accelerator.reset_accumulated_memory_stats() is None
    assert torch.accelerator.empty_host_cache() is None
    with pytest.raises(ValueError, match="^cpu doesn't match the current accelerator"):
        torch.accelerator.memory_stats("cpu")


# ----------------------------------------------------------------------------- torch.cuda additions
def test_cuda_answers_without_a_gpu(no_gpu):
    assert torch.cuda.memory_stats() == collections.OrderedDict()
    assert torch.cuda.get_arch_list() == [] and torch.cuda.is_tf32_supported() is False
    for call in (torch.cuda.init, torch.cuda.ipc_collect, torch.cuda.get_per_process_memory_fraction,
                 lambda: torch.cuda.set_per_process_memory_fraction(0.5)):
        with pytest.raises(RuntimeError):
            call()
    with torch.cuda.device_of(torch.ones(2)):  # a CPU tensor selects nothing
        pass


@requires_gpu
def test_cuda_memory_stats_and_summary():
    x = torch.ones(300_000, device="cuda")
    stats = torch.cuda.memory_stats()
    assert list(stats) == ["allocated_bytes.all.current", "allocated_bytes.all.peak", "reserved_bytes.all.current"]
    assert stats["allocated_bytes.all.current"] == torch.cuda.memory_allocated() >= 300_000 * 4
    assert stats["allocated_bytes.all.peak"] == torch.cuda.max_memory_allocated()
    assert stats["reserved_bytes.all.current"] == torch.cuda.memory_reserved()
    summary = torch.cuda.memory_summary()
    current_kib = stats["allocated_bytes.all.current"] // 1024
    assert "GPU memory summary, device ID 0" in summary
    assert f"| Allocated memory      | {current_kib:6d} KiB |" in summary
    assert summary.endswith("|\n") and all(len(line) == 51 for line in summary.splitlines())
    with pytest.raises(ValueError, match="^Expected a cuda device, but got: cpu$"):
        torch.cuda.memory_stats("cpu")
    del x


@requires_gpu
def test_cuda_deprecated_memory_aliases_warn():
    with pytest.warns(FutureWarning, match="`torch.cuda.memory_cached` has been renamed to "
                                           "`torch.cuda.memory_reserved`"):
        assert torch.cuda.memory_cached() == torch.cuda.memory_reserved()
    with pytest.warns(FutureWarning, match="`torch.cuda.max_memory_cached` has been renamed"):
        assert torch.cuda.max_memory_cached() == torch.cuda.max_memory_reserved()
    x = torch.ones(100_000, device="cuda")
    del x
    assert torch.cuda.max_memory_allocated() > torch.cuda.memory_allocated()
    with pytest.warns(FutureWarning, match="reset_max_memory_allocated now calls torch.cuda.reset_peak_memory_stats"):
        torch.cuda.reset_max_memory_allocated()
    assert torch.cuda.max_memory_allocated() == torch.cuda.memory_allocated()
    with pytest.warns(FutureWarning, match="reset_max_memory_cached now calls"):
        torch.cuda.reset_max_memory_cached()
    assert torch.cuda.reset_accumulated_memory_stats() is None


@requires_gpu
def test_cuda_init_seed_all_arch_and_tf32():
    assert torch.cuda.init() is None and torch.cuda.is_initialized() is True
    torch.manual_seed(0)
    assert torch.cuda.seed_all() is None
    assert torch.initial_seed() != 0  # a fresh random seed
    assert torch.cuda.get_arch_list() == [] and torch.cuda.is_tf32_supported() is False
    assert torch.cuda.ipc_collect() is None


@requires_gpu
def test_cuda_device_of_and_stream_context():
    x = torch.ones(2, device="cuda")
    with torch.cuda.device_of(x) as ctx:
        assert ctx.idx == 0 and torch.cuda.current_device() == 0
    with torch.cuda.device_of(torch.ones(2)) as ctx:
        assert ctx.idx == -1
    s = torch.cuda.Stream()
    with torch.cuda.StreamContext(s):
        y = x * 2
    with torch.cuda.StreamContext(None):
        y = y + 1
    assert_close(y.cpu(), np.full(2, 3.0, dtype=np.float32))


@requires_gpu
def test_per_process_memory_fraction_is_validated_and_reported():
    assert torch.cuda.get_per_process_memory_fraction() == 1.0
    try:
        torch.cuda.set_per_process_memory_fraction(0.25)
        assert torch.cuda.get_per_process_memory_fraction(0) == 0.25
        with pytest.raises(TypeError, match="^Invalid type for fraction argument, must be `float`$"):
            torch.cuda.set_per_process_memory_fraction(1)
        with pytest.raises(ValueError, match=r"^Invalid fraction value: 1.5. Allowed range: 0~1$"):
            torch.cuda.set_per_process_memory_fraction(1.5)
        with pytest.raises(ValueError, match=r"^Invalid fraction value: -0.1. Allowed range: 0~1$"):
            torch.cuda.set_per_process_memory_fraction(-0.1)
        assert torch.cuda.get_per_process_memory_fraction() == 0.25
    finally:
        torch.cuda.set_per_process_memory_fraction(1.0)


@requires_gpu
def test_cuda_legacy_tensor_types():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        z = torch.cuda.FloatTensor(2, 3)
        assert (tuple(z.shape), z.dtype, z.is_cuda) == ((2, 3), torch.float32, True)
        assert_close(z.cpu(), np.zeros((2, 3), dtype=np.float32))
        v = torch.cuda.LongTensor([1, 2, 3])
        assert v.dtype == torch.int64 and v.is_cuda
        assert_close(v.cpu(), np.array([1, 2, 3]))
        assert torch.cuda.IntTensor(torch.Size([4])).shape == (4,)
        assert torch.cuda.FloatTensor().shape == (0,) and torch.cuda.FloatTensor().is_cuda
        alias = torch.cuda.FloatTensor(z)
        alias.fill_(5.0)
        assert_close(z.cpu(), np.full((2, 3), 5.0, dtype=np.float32))
        with pytest.raises(RuntimeError, match="^legacy constructor expects device type: cuda but device type: "
                                               "cpu was passed$"):
            torch.cuda.FloatTensor([1.0], device="cpu")
        with pytest.raises(TypeError, match="expected FloatTensor"):
            torch.cuda.FloatTensor(torch.ones(2))
    assert isinstance(z, torch.cuda.FloatTensor) and not isinstance(z, torch.FloatTensor)
    assert not isinstance(torch.ones(2), torch.cuda.FloatTensor)
    assert not isinstance(v, torch.cuda.FloatTensor)
    assert repr(torch.cuda.DoubleTensor) == "<class 'torch.cuda.DoubleTensor'>"
    assert torch.cuda.BoolTensor.dtype == torch.bool and torch.cuda.HalfTensor.is_cuda is True


@requires_gpu
def test_cuda_legacy_constructor_warning_follows_warn_always():
    def warned():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            torch.cuda.FloatTensor(1)
        return [w for w in caught if "constructors are no longer recommended" in str(w.message)]

    warned()  # the once-per-process warning, if no earlier test gave it
    assert warned() == []
    try:
        torch.set_warn_always(True)
        assert len(warned()) == 1 and len(warned()) == 1
        assert warned()[0].category is UserWarning
    finally:
        torch.set_warn_always(False)
    assert warned() == []


def test_docstring_examples():
    import doctest

    from ferrotorch import _cuda_legacy_types, accelerator, cpu, cuda
    for module in (cpu, accelerator, cuda, _cuda_legacy_types):
        assert doctest.testmod(module).failed == 0, module.__name__
