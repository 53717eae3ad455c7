"""Deterministic factories: zeros/ones/full/empty, *_like, arange, linspace, logspace, eye,
as_tensor/asarray, against numpy, with PyTorch's dtype rules and error messages."""
import math

import numpy as np
import pytest

import ferrotorch as torch
from conftest import assert_close, to_numpy

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]


def tdt(name):
    return getattr(torch, name)


@pytest.mark.parametrize("fn,npfn", [(torch.zeros, np.zeros), (torch.ones, np.ones)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_zeros_ones_dtypes(fn, npfn, dtype):
    t = fn(2, 3, dtype=tdt(dtype))
    assert t.dtype == tdt(dtype)
    np_dt = np.float32 if dtype == "bfloat16" else dtype
    assert_close(t, npfn((2, 3), dtype=np_dt), check_dtype=dtype != "bfloat16")


@pytest.mark.parametrize("fn", [torch.zeros, torch.ones, torch.empty, torch.rand, torch.randn])
def test_size_forms(fn):
    for args, kwargs in [((2, 3), {}), (((2, 3),), {}), (([2, 3],), {}), ((torch.Size([2, 3]),), {}), ((), {"size": (2, 3)})]:
        t = fn(*args, **kwargs)
        assert tuple(t.shape) == (2, 3)
        assert t.dtype == torch.float32
        assert t.is_contiguous()
    assert tuple(fn(()).shape) == ()
    assert tuple(fn(0, 4).shape) == (0, 4)


@pytest.mark.parametrize("fn", [torch.ones, torch.empty, torch.rand, torch.randn])
def test_negative_size(fn):
    with pytest.raises(RuntimeError, match=r"Trying to create tensor with negative dimension -1: \[-1\]"):
        fn(-1)
    with pytest.raises(RuntimeError, match=r"negative dimension -2: \[3, -2\]"):
        fn(3, -2)
    # zeros has its own check, ahead of the generic one (as in PyTorch).
    for args, kwargs in [((-1,), {}), ((2, -3), {}), ((), {"size": (-1,)})]:
        with pytest.raises(RuntimeError, match=r"^zeros: Dimension size must be non-negative.$"):
            torch.zeros(*args, **kwargs)


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_size_type_errors_are_pytorchs(name):
    # PyTorch's argument-parser messages (a float size is the classic `n / 2` mistake).
    fn = getattr(torch, name)
    cases = [
        ((2.5,), {}, f"{name}(): argument 'size' (position 1) must be tuple of ints, not float"),
        (("a",), {}, f"{name}(): argument 'size' (position 1) must be tuple of ints, not str"),
        ((None,), {}, f"{name}(): argument 'size' (position 1) must be tuple of ints, not NoneType"),
        (([2.5],), {}, f"{name}(): argument 'size' (position 1) must be tuple of ints, but found element of type "
                       "float at pos 0"),
        (([2, 2.5],), {}, f"{name}(): argument 'size' failed to unpack the object at pos 2 with error \"type must be "
                          "tuple of ints,but got float\""),
        ((2, "a"), {}, f"{name}(): argument 'size' failed to unpack the object at pos 2 with error \"type must be "
                       "tuple of ints,but got str\""),
        ((), {"size": 2.5}, f"{name}(): argument 'size' must be tuple of ints, not float"),
    ]
    if name not in ("rand", "randn"):  # those have overloads: PyTorch lists them instead
        cases.append(((2.5, 2), {}, f"{name}() takes 1 positional argument but 2 were given"))
    for args, kwargs, message in cases:
        with pytest.raises(TypeError) as caught:
            fn(*args, **kwargs)
        assert str(caught.value) == message
    assert tuple(fn(torch.tensor(2), np.int64(3)).shape) == (2, 3)  # anything with __index__ is an int


def test_shape_argument_type_errors_of_full_and_methods():
    x = torch.ones(2, 2)
    cases = [
        (lambda: torch.full(2.5, 1.0), "full(): argument 'size' (position 1) must be tuple of ints, not float"),
        (lambda: torch.full((2, 2.5), 1.0), "full(): argument 'size' failed to unpack the object at pos 2 with error "
                                            "\"type must be tuple of ints,but got float\""),
        (lambda: x.reshape(2.5), "reshape(): argument 'shape' (position 1) must be tuple of ints, not float"),
        (lambda: x.expand(2.5), "expand(): argument 'size' (position 1) must be tuple of ints, not float"),
        (lambda: x.repeat(2.0), "repeat(): argument 'repeats' (position 1) must be tuple of ints, not float"),
        (lambda: x.permute(0, 1.0), "permute(): argument 'dims' failed to unpack the object at pos 2 with error "
                                    "\"type must be tuple of ints,but got float\""),
    ]
    for call, message in cases:
        with pytest.raises(TypeError) as caught:
            call()
        assert str(caught.value) == message


def test_empty_is_allocated_with_shape_and_dtype():
    t = torch.empty(3, 4, dtype=torch.int16)
    assert tuple(t.shape) == (3, 4) and t.dtype == torch.int16
    t.fill_(7)
    assert (t.numpy() == 7).all()


def test_requires_grad_and_device_kwargs():
    assert torch.zeros(2, requires_grad=False, device="cpu").shape == (2,)
    assert torch.ones(2, device=torch.device("cpu")).shape == (2,)
    z = torch.zeros(2, requires_grad=True)
    assert z.requires_grad and z.is_leaf and z.grad is None
    assert torch.tensor([1.0], requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="Only Tensors of floating point"):
        torch.zeros(2, dtype=torch.int64, requires_grad=True)
    if torch.cuda.is_available():
        assert torch.zeros(2, device="cuda").is_cuda
    else:
        with pytest.raises(RuntimeError, match="GPU is not available"):
            torch.zeros(2, device="cuda")


@pytest.mark.parametrize(
    "value,dtype",
    [(True, torch.bool), (False, torch.bool), (3, torch.int64), (-2, torch.int64), (2.5, torch.float32), (np.float64(1.5), torch.float32)],
)
def test_full_infers_dtype(value, dtype):
    t = torch.full((2, 2), value)
    assert t.dtype == dtype
    assert_close(t, np.full((2, 2), value, dtype=str(dtype).replace("torch.", "")))


def test_full_explicit_dtype_and_errors():
    assert_close(torch.full([3], 7, dtype=torch.float64), np.full(3, 7.0))
    assert_close(torch.full((2,), 1.7, dtype=torch.int32), np.array([1, 1], dtype=np.int32))
    assert torch.full((), 4).shape == ()
    with pytest.raises(RuntimeError, match="negative dimension"):
        torch.full((-1,), 1.0)
    with pytest.raises(TypeError):
        torch.full((2,), "a")


@pytest.mark.parametrize(
    "value,dtype,type_name",
    [(3e9, "int32", "int"), (2**40, "int32", "int"), (-256, "uint8", "uint8_t"), (-1.0, "uint8", "uint8_t"),
     (300, "int8", "int8_t"), (float("nan"), "int64", "int64_t"), (float("inf"), "int16", "int16_t"),
     (70000.0, "float16", "c10::Half"), (1e39, "float32", "float")],
)
def test_fill_values_that_overflow_the_dtype_raise(device, value, dtype, type_name):
    # PyTorch checks a fill value against the target type instead of wrapping or saturating it.
    dt = getattr(torch, dtype)
    message = f"value cannot be converted to type {type_name} without overflow"
    x = torch.zeros(3, dtype=dt, device=device)
    for fill in (lambda: torch.full((3,), value, dtype=dt, device=device), lambda: torch.full_like(x, value),
                 lambda: x.fill_(value), lambda: x.masked_fill(x == 0, value),
                 lambda: x.index_fill(0, torch.tensor([0], device=device), value)):
        with pytest.raises(RuntimeError, match=message):
            fill()
    assert (x.cpu().numpy() == 0).all()


@pytest.mark.parametrize(
    "value,dtype,expected",
    [(-1, "uint8", 255), (-255, "uint8", 1), (float("inf"), "float16", np.inf), (float("nan"), "float32", np.nan),
     (-(2**63), "int64", -(2**63)), (0.5, "bool", True), (2, "bool", True), (1e300, "float64", 1e300)],
)
def test_fill_values_inside_the_range_are_kept(device, value, dtype, expected):
    t = torch.full((2,), value, dtype=getattr(torch, dtype), device=device)
    np.testing.assert_array_equal(t.cpu().numpy(), np.full(2, expected, dtype=dtype))


def test_out_argument():
    out = torch.empty(2, 3)
    r = torch.zeros(2, 3, out=out)
    assert r is out
    assert (out.numpy() == 0).all()
    view = out.select(0, 0)
    torch.ones(3, out=view)
    assert (out.numpy()[0] == 1).all() and (out.numpy()[1] == 0).all()
    o = torch.empty(0, dtype=torch.int64)
    r = torch.arange(4, out=o)
    assert r is o and o.tolist() == [0, 1, 2, 3]


# ------------------------------------------------------------------ *_like

@pytest.mark.parametrize("dtype", DTYPES)
def test_like_functions(dtype):
    base = torch.ones(3, 2, dtype=tdt(dtype)).T  # non-contiguous input
    for fn, val in [(torch.zeros_like, 0), (torch.ones_like, 1), (torch.empty_like, None)]:
        t = fn(base)
        assert t.dtype == tdt(dtype) and tuple(t.shape) == (2, 3)
        if val is not None:
            assert (to_numpy(t) == val).all()
    t = torch.full_like(base, 1)
    assert t.dtype == tdt(dtype) and (to_numpy(t) == 1).all()
    t = torch.zeros_like(base, dtype=torch.float64)
    assert t.dtype == torch.float64


def test_like_random():
    x = torch.zeros(4, 5, dtype=torch.float64)
    r = torch.rand_like(x)
    assert r.dtype == torch.float64 and tuple(r.shape) == (4, 5)
    assert ((r.numpy() >= 0) & (r.numpy() < 1)).all()
    assert torch.randn_like(x).dtype == torch.float64
    i = torch.randint_like(torch.zeros(100, dtype=torch.int32), 5)
    assert i.dtype == torch.int32 and i.numpy().min() >= 0 and i.numpy().max() < 5
    i = torch.randint_like(torch.zeros(100), 3, 6)
    assert i.dtype == torch.float32 and i.numpy().min() >= 3 and i.numpy().max() < 6
    with pytest.raises(RuntimeError, match="not implemented for 'Long'"):
        torch.rand_like(torch.zeros(2, dtype=torch.int64))
    with pytest.raises(TypeError):
        torch.zeros_like([1, 2])


# ------------------------------------------------------------------ arange

@pytest.mark.parametrize(
    "args",
    [(5,), (0,), (2, 9), (2, 9, 3), (9, 2, -2), (-3, 3), (0, 10, 4), (10, 0, -3), (0, 1, 7)],
)
def test_arange_ints(args):
    t = torch.arange(*args)
    assert t.dtype == torch.int64
    assert_close(t, np.arange(*args, dtype=np.int64))


@pytest.mark.parametrize(
    "args",
    [(5.0,), (0.0, 1.0, 0.1), (1, 2.5), (0, 1, 0.3), (1.0, -1.0, -0.25), (-1.5, 2.5, 0.5), (0, 10, 2.5)],
)
def test_arange_floats(args):
    t = torch.arange(*args)
    assert t.dtype == torch.float32
    start, end, step = (0, args[0], 1) if len(args) == 1 else (args + (1,))[:3]
    n = math.ceil((end - start) / step)
    assert t.numel() == n
    assert_close(t, start + step * np.arange(n, dtype=np.float64), rtol=1e-6, atol=1e-6, check_dtype=False)


def test_arange_dtype_and_keywords():
    t = torch.arange(0, 5, dtype=torch.float64)
    assert t.dtype == torch.float64 and t.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert torch.arange(5, dtype=torch.uint8).dtype == torch.uint8
    assert torch.arange(0, 3, step=1).tolist() == [0, 1, 2]
    assert torch.arange(np.int64(3)).tolist() == [0, 1, 2]
    assert torch.arange(torch.tensor(3)).tolist() == [0, 1, 2]
    assert torch.arange(0.5, 3, dtype=torch.int64).tolist() == [0, 1, 2]
    assert torch.arange(1, 2, 0.5).tolist() == [1.0, 1.5]


def test_arange_errors():
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        torch.arange(0, 5, 0)
    with pytest.raises(RuntimeError, match="upper bound and lower bound inconsistent with step sign"):
        torch.arange(0, 5, -1)
    with pytest.raises(RuntimeError, match="upper bound and lower bound inconsistent with step sign"):
        torch.arange(5, 0)
    with pytest.raises(RuntimeError, match="unsupported range"):
        torch.arange(0, float("inf"))


# ------------------------------------------------------------------ linspace / logspace / eye

@pytest.mark.parametrize("start,end,steps", [(0, 1, 5), (-2.5, 7, 11), (3, -3, 4), (1, 1, 3), (0, 10, 1), (0, 10, 0), (0.1, 0.7, 7)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_linspace(start, end, steps, dtype):
    t = torch.linspace(start, end, steps, dtype=tdt(dtype))
    ref = np.linspace(start, end, steps, dtype=np.float64).astype(dtype)
    assert_close(t, ref, rtol=1e-6, atol=1e-6)
    if steps >= 2:
        assert to_numpy(t)[0] == np.asarray(start, dtype=dtype) and to_numpy(t)[-1] == np.asarray(end, dtype=dtype)


def test_linspace_defaults_and_ints():
    assert torch.linspace(0, 4, 5).dtype == torch.float32
    assert torch.linspace(0, 10, 4, dtype=torch.int64).tolist() == [0, 3, 6, 10]
    with pytest.raises(RuntimeError, match="number of steps must be non-negative"):
        torch.linspace(0, 1, -1)


@pytest.mark.parametrize("start,end,steps,base", [(0, 3, 4, 10.0), (-1, 1, 5, 2.0), (0, 1, 1, 10.0), (1, -2, 6, math.e)])
def test_logspace(start, end, steps, base):
    t = torch.logspace(start, end, steps, base=base, dtype=torch.float64)
    assert_close(t, np.logspace(start, end, steps, base=base), rtol=1e-12, atol=0)
    assert torch.logspace(start, end, steps, base).dtype == torch.float32


@pytest.mark.parametrize("n,m", [(3, None), (2, 4), (4, 2), (0, None), (0, 3), (1, 1)])
@pytest.mark.parametrize("dtype", ["float32", "int64", "bool", "float16"])
def test_eye(n, m, dtype):
    t = torch.eye(n, m, dtype=tdt(dtype)) if m is not None else torch.eye(n, dtype=tdt(dtype))
    assert_close(t, np.eye(n, m, dtype=dtype))


def test_eye_errors():
    with pytest.raises(RuntimeError, match="n must be greater or equal to 0, got -1"):
        torch.eye(-1)
    with pytest.raises(RuntimeError, match="m must be greater or equal to 0, got -2"):
        torch.eye(2, -2)


# ------------------------------------------------------------------ as_tensor / asarray / misc

def test_as_tensor_shares_numpy_memory():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = torch.as_tensor(a)
    a[0, 0] = 42
    assert t.tolist()[0][0] == 42
    t2 = torch.as_tensor(a, dtype=torch.float64)
    a[0, 1] = -1
    assert t2.tolist()[0][1] == 1.0  # converted: a copy
    sliced = a[:, ::2]
    ts = torch.as_tensor(sliced)
    a[1, 2] = 99
    assert ts.tolist()[1][1] == 99


def test_as_tensor_tensor_and_lists():
    x = torch.arange(4)
    assert torch.as_tensor(x) is not None
    y = torch.as_tensor(x)
    y.select(0, 0).fill_(10)
    assert x.tolist()[0] == 10  # same dtype: shares
    z = torch.as_tensor(x, dtype=torch.float32)
    assert z.dtype == torch.float32
    assert torch.as_tensor([1, 2, 3]).dtype == torch.int64
    assert torch.as_tensor([[1.5], [2]]).dtype == torch.float32
    assert torch.as_tensor(3.0).shape == ()


def test_asarray_copy_flag():
    a = np.ones(3)
    t = torch.asarray(a)
    a[0] = 5
    assert t.tolist()[0] == 5
    c = torch.asarray(a, copy=True)
    a[1] = 7
    assert c.tolist()[1] == 1
    assert torch.asarray([1, 2], dtype=torch.int16).dtype == torch.int16


def test_scalar_tensor_and_empty_strided():
    s = torch.scalar_tensor(3)
    assert s.shape == () and s.dtype == torch.float32 and s.item() == 3.0
    e = torch.empty_strided((2, 3), (1, 2))
    assert tuple(e.shape) == (2, 3) and e.stride() == (1, 2)
    e.fill_(1)
    assert (e.numpy() == 1).all()


def test_tensor_rejects_values_outside_integer_dtypes():
    with pytest.raises(RuntimeError, match="value cannot be converted to type int8 without overflow"):
        torch.tensor([1, 300], dtype=torch.int8)
    with pytest.raises(RuntimeError, match="value cannot be converted to type int64 without overflow"):
        torch.tensor([1e20], dtype=torch.int64)
    with pytest.raises(RuntimeError, match="value cannot be converted to type uint8 without overflow"):
        torch.tensor([-1.5], dtype=torch.uint8)
    with pytest.raises(RuntimeError, match="value cannot be converted to type int32 without overflow"):
        torch.tensor([float("nan")], dtype=torch.int32)
    # What PyTorch lets through: small negatives wrap into uint8, floats truncate, float dtypes overflow to inf.
    assert torch.tensor(-1, dtype=torch.uint8).item() == 255
    assert torch.tensor([-1.5], dtype=torch.int8).tolist() == [-1]
    assert torch.tensor([1e6], dtype=torch.float16).isinf().all()
    with pytest.raises(ValueError, match="Overflow when unpacking long long"):
        torch.tensor([1, 2**70])
    with pytest.raises(ValueError, match="Overflow when unpacking long long"):
        torch.tensor(2**63)
