"""torch.set_default_device / get_default_device and `with torch.device(...)`: factories called
without `device=` create on the default device; explicit devices and *_like still win."""
import pytest

import ferrotorch as torch
from conftest import requires_gpu


@pytest.fixture(autouse=True)
def restore_cpu_default():
    yield
    torch.set_default_device(None)


FACTORIES = [
    lambda: torch.tensor([1.0, 2.0]), lambda: torch.zeros(2), lambda: torch.ones(2, 2), lambda: torch.empty(3),
    lambda: torch.full((2,), 3.0), lambda: torch.arange(4), lambda: torch.linspace(0, 1, 5),
    lambda: torch.eye(2), lambda: torch.rand(3), lambda: torch.randn(3), lambda: torch.randint(0, 5, (3,)),
    lambda: torch.randperm(4), lambda: torch.scalar_tensor(2.0), lambda: torch.logspace(0, 1, 3),
]


@requires_gpu
@pytest.mark.parametrize("factory", FACTORIES)
def test_factories_follow_the_default_device(factory):
    assert factory().device.type == "cpu"
    torch.set_default_device("cuda")
    assert torch.get_default_device() == torch.device("gpu", 0)
    assert factory().device.type == "gpu"
    torch.set_default_device(None)
    assert factory().device.type == "cpu"


@requires_gpu
def test_explicit_devices_and_like_functions_win():
    torch.set_default_device("cuda")
    assert torch.zeros(2, device="cpu").device.type == "cpu"
    cpu = torch.ones(2, device="cpu")
    assert torch.zeros_like(cpu).device.type == "cpu" and (cpu + 1).device.type == "cpu"


@requires_gpu
def test_device_context_manager_nests_and_restores():
    assert torch.get_default_device() == torch.device("cpu")
    with torch.device("cuda") as d:
        assert d == torch.device("gpu") and torch.zeros(1).is_cuda
        with torch.device("cpu"):
            assert not torch.zeros(1).is_cuda
        assert torch.zeros(1).is_cuda
        linear = torch.nn.Linear(2, 3)
        assert linear.weight.is_cuda
    assert not torch.zeros(1).is_cuda


def test_cpu_default_and_bad_devices():
    torch.set_default_device("cpu")
    assert torch.get_default_device() == torch.device("cpu") and torch.zeros(1).device.type == "cpu"
    with pytest.raises(RuntimeError, match="Expected one of cpu"):
        torch.set_default_device("tpu")
    assert torch.zeros(1).device.type == "cpu"
