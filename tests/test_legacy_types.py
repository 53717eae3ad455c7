"""The legacy tensor types (torch.FloatTensor, ...): construction from sizes and data, and
isinstance exactly for CPU tensors of their dtype, consistent with Tensor.type()."""
import doctest

import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch import _legacy_types

TYPES = [
    ("FloatTensor", torch.float32), ("DoubleTensor", torch.float64), ("HalfTensor", torch.float16),
    ("BFloat16Tensor", torch.bfloat16), ("LongTensor", torch.int64), ("IntTensor", torch.int32),
    ("ShortTensor", torch.int16), ("CharTensor", torch.int8), ("ByteTensor", torch.uint8), ("BoolTensor", torch.bool),
]


@pytest.mark.parametrize("name,dtype", TYPES, ids=[t[0] for t in TYPES])
def test_construction(name, dtype):
    cls = getattr(torch, name)
    assert cls.dtype == dtype and cls.is_cuda is False and repr(cls) == f"<class 'torch.{name}'>"
    t = cls(2, 3)
    assert t.dtype == dtype and t.shape == (2, 3) and t.device.type == "cpu"
    assert cls(torch.Size([4, 1])).shape == (4, 1)
    assert cls(np.int64(3)).shape == (3,)
    e = cls()
    assert e.shape == (0,) and e.dtype == dtype
    d = cls([1, 0, 1])
    assert d.dtype == dtype and d.tolist() == [v for v in torch.tensor([1, 0, 1]).to(dtype).tolist()]
    assert cls((1, 0)).shape == (2,)  # a tuple is data, only torch.Size means sizes
    assert cls(np.array([[1, 0]])).shape == (1, 2)
    assert t.type() == f"torch.{name}"


def test_values_and_dtypes():
    assert torch.FloatTensor([1.5, -2]).tolist() == [1.5, -2.0]
    assert torch.LongTensor([1.9, -2.9]).tolist() == [1, -2]  # converted, not inferred
    assert torch.DoubleTensor([[1, 2], [3, 4]]).dtype == torch.float64
    assert torch.BoolTensor([0, 2]).tolist() == [False, True]
    assert torch.FloatTensor(2, 2, device="cpu").device.type == "cpu"
    assert torch.FloatTensor(3).tolist() == [0.0, 0.0, 0.0]  # uninitialised in PyTorch; zeros here
    src = torch.tensor([1.0, 2.0])
    alias = torch.FloatTensor(src)
    alias[0] = 7.0
    assert src.tolist() == [7.0, 2.0]  # the same storage, as PyTorch's alias


def test_isinstance_is_exactly_cpu_tensors_of_the_dtype(device):
    for name, dtype in TYPES:
        if dtype == torch.bfloat16 and device != "cpu":
            continue
        t = torch.zeros(2, dtype=dtype, device=device)
        for other, other_dtype in TYPES:
            expected = other_dtype == dtype and device == "cpu"
            assert isinstance(t, getattr(torch, other)) is expected, (name, other, device)
    assert not isinstance([1.0], torch.FloatTensor) and not isinstance(np.zeros(2, np.float32), torch.FloatTensor)
    assert isinstance(torch.nn.Parameter(torch.ones(2)), torch.FloatTensor)
    # Every CPU tensor is an instance of the type its .type() names.
    for _, dtype in TYPES:
        t = torch.ones(1, dtype=dtype)
        assert isinstance(t, getattr(torch, t.type().split(".")[-1]))


def test_errors(device):
    with pytest.raises(RuntimeError,
                       match="^legacy constructor expects device type: cpu but device type: gpu was passed$"):
        torch.FloatTensor(2, device="gpu")
    with pytest.raises(RuntimeError, match="^Legacy tensor constructor of the form torch.Tensor"):
        torch.FloatTensor(torch.ones(2), device="cpu")
    with pytest.raises(TypeError, match="expected FloatTensor"):
        torch.FloatTensor(torch.ones(2, dtype=torch.float64))
    if device != "cpu":
        with pytest.raises(TypeError, match="expected FloatTensor"):
            torch.FloatTensor(torch.ones(2, device=device))
    with pytest.raises(TypeError, match=r"^new\(\): data must be a sequence \(got float\)$"):
        torch.FloatTensor(2.5)
    with pytest.raises(TypeError, match=r"^new\(\) received an invalid combination of arguments - got \(int, str\)$"):
        torch.FloatTensor(2, "a")


def test_docstring_examples():
    assert doctest.testmod(_legacy_types).failed == 0


def test_type_names_the_device_and_converts_to_it(device):
    x = torch.ones(2, dtype=torch.float32, device=device)
    gpu = device != "cpu"
    assert x.type() == ("torch.cuda.FloatTensor" if gpu else "torch.FloatTensor")
    assert x.long().type() == ("torch.cuda.LongTensor" if gpu else "torch.LongTensor")
    to_cpu = x.type("torch.DoubleTensor")
    assert to_cpu.dtype == torch.float64 and not to_cpu.is_cuda
    by_class = x.type(torch.IntTensor)
    assert by_class.dtype == torch.int32 and not by_class.is_cuda
    assert x.type(torch.float16).is_cuda == gpu  # a dtype keeps the device
    if gpu:
        back = to_cpu.type("torch.cuda.FloatTensor")
        assert back.is_cuda and back.dtype == torch.float32
    with pytest.raises(ValueError, match="invalid type: 'torch.NopeTensor'"):
        x.type("torch.NopeTensor")
