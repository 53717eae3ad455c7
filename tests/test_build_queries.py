"""The build/platform queries scripts make (`torch.has_lapack`, `get_device_module`, ...), the
deprecated `set_default_tensor_type`, DLPack's module-level functions, `torch.distributed`'s
availability check, and the tensor members kept for old code (`volatile`, `to_dense`, ...).
Expectations follow PyTorch 2.15 where ferrotorch can honestly give the same answer."""
import warnings

import numpy as np
import pytest

import ferrotorch as torch


def test_flags_and_simple_queries():
    assert torch.newaxis is None and torch.ones(3)[:, torch.newaxis].shape == (3, 1)
    assert (torch.has_lapack, torch.has_spectral, torch.has_mkl, torch.has_openmp) == (True, True, False, False)
    assert torch.compiled_with_cxx11_abi() is True
    assert torch.is_vulkan_available() is False
    assert torch.distributed.is_available() is False and torch.distributed.is_initialized() is False


def test_get_device_module():
    for device in ("cuda", "cuda:0", "gpu", torch.device("cuda")):
        assert torch.get_device_module(device) is torch.cuda
    assert torch.get_device_module("cpu") is torch.cpu and torch.get_device_module(torch.device("cpu")) is torch.cpu
    assert torch.get_device_module() is torch.cuda
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda.* device type at start of device string: tpu"):
        torch.get_device_module("tpu")


def test_set_default_tensor_type():
    previous = torch.is_warn_always_enabled()
    torch.set_warn_always(True)
    try:
        with pytest.warns(UserWarning, match=r"torch.set_default_tensor_type\(\) is deprecated as of PyTorch 2.1"):
            torch.set_default_tensor_type(torch.DoubleTensor)
        assert torch.ones(1).dtype == torch.float64 and torch.get_default_dtype() == torch.float64
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.set_default_tensor_type("torch.FloatTensor")
            assert torch.ones(1).dtype == torch.float32 and torch.ones(1).device.type == "cpu"
            for bad, error, message in [
                (torch.IntTensor, TypeError, "only floating-point types are supported as the default type"),
                ("torch.IntTensor", TypeError, "only floating-point types are supported as the default type"),
                ("torch.Foo", AttributeError, "module 'torch' has no attribute 'Foo'"),
                ("foo", ModuleNotFoundError, "No module named 'foo'"),
                (3, TypeError, "invalid type object: only floating-point types are supported as the default type"),
            ]:
                with pytest.raises(error) as caught:
                    torch.set_default_tensor_type(bad)
                assert str(caught.value) == message
            assert torch.get_default_dtype() == torch.float32
    finally:
        torch.set_warn_always(previous)
        torch.set_default_dtype(torch.float32)
        torch.set_default_device(None)


def test_dlpack_module_functions():
    # (GPU memory is wgpu's, which DLPack has no device type for.)
    t = torch.arange(4.0)
    capsule = torch.utils.dlpack.to_dlpack(t)
    back = torch.utils.dlpack.from_dlpack(capsule)
    assert back.tolist() == [0.0, 1.0, 2.0, 3.0] and back.device == t.device
    assert torch.to_dlpack is torch.utils.dlpack.to_dlpack
    assert torch.utils.dlpack.from_dlpack(np.arange(3)).tolist() == [0, 1, 2]


def test_legacy_tensor_members():
    t = torch.ones(2, requires_grad=True)
    assert t.to_dense() is t and t.to_dense(torch.float64).dtype == torch.float64
    assert t.const_data_ptr() == t.data_ptr()
    assert t.grad_dtype == torch.float32
    with pytest.warns(UserWarning, match=r"^volatile was removed \(Variable.volatile is always False\)$"):
        assert t.volatile is False
    with pytest.warns(UserWarning, match="^volatile was removed and now has no effect. Use `with torch.no_grad\\(\\):` "
                                         "instead.$"):
        t.volatile = True
    assert t.requires_grad


def test_docstring_examples():
    import doctest
    import importlib
    for name in ("ferrotorch._build_queries", "ferrotorch.distributed", "ferrotorch.utils.dlpack",
                 "ferrotorch.optim.sparse_adam", "ferrotorch.autograd.graph", "ferrotorch.utils.checkpoint"):
        result = doctest.testmod(importlib.import_module(name))
        assert result.failed == 0 and result.attempted > 0, name
