"""gcd/lcm, bit shifts, ldexp, nextafter, angle/isreal against numpy, on every device."""
import numpy as np
import pytest

import ferrotorch as torch
from conftest import assert_close as _assert_close, to_numpy

INT_DTYPES = ["uint8", "int8", "int16", "int32", "int64"]


def assert_close(actual, expected, **kwargs):
    """conftest's assert_close for a tensor on any device."""
    _assert_close(actual.cpu() if isinstance(actual, torch.Tensor) else actual, expected, **kwargs)


def dev_tensor(a, device, dtype=None):
    t = torch.tensor(np.array(a, order="C"), device=device)
    return t if dtype is None else t.to(getattr(torch, dtype))


def cpu(t):
    return to_numpy(t.cpu())


def rand_ints(rng, dtype, shape, lo=None, hi=None):
    info = np.iinfo(dtype)
    lo = info.min if lo is None else lo
    hi = info.max if hi is None else hi
    return rng.integers(lo, hi, size=shape, endpoint=True).astype(dtype)


# ----------------------------------------------------------------------------- gcd / lcm

@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_gcd_lcm_match_numpy(device, dtype):
    rng = np.random.default_rng(1)
    # Bounded so that abs() and lcm stay representable (numpy wraps differently at the edges).
    bound = {"uint8": 15, "int8": 11, "int16": 150}.get(dtype, 1000)
    lo = 0 if dtype == "uint8" else -bound
    a = rand_ints(rng, dtype, (4, 5), lo, bound)
    b = rand_ints(rng, dtype, (5,), lo, bound)
    a[0, :2] = 0
    b[1] = 0
    ta, tb = dev_tensor(a, device), dev_tensor(b, device)
    assert_close(torch.gcd(ta, tb), np.gcd(a, b))
    assert_close(ta.lcm(tb), np.lcm(a, b))
    # Transposed (non-contiguous) operands.
    assert_close(torch.gcd(ta.T, ta.T.flip(0)), np.gcd(a.T, a.T[::-1]))


def test_gcd_large_int64_and_zero_d(device):
    a = np.array([2**40 * 3, 2**62, -(2**61), 832040, 0], dtype=np.int64)
    b = np.array([2**20 * 9, 2**31, 6, 514229, 0], dtype=np.int64)  # consecutive Fibonacci
    assert_close(torch.gcd(dev_tensor(a, device), dev_tensor(b, device)), np.gcd(a, b))
    assert_close(torch.gcd(dev_tensor(np.int64(12), device), dev_tensor(np.int64(-18), device)),
                 np.array(6, dtype=np.int64))
    empty = torch.zeros(0, 3, dtype=torch.int32, device=device)
    assert tuple(torch.lcm(empty, empty).shape) == (0, 3)


def test_gcd_promotion_scalar_out_and_inplace(device):
    a = dev_tensor(np.array([12, 18], dtype=np.int8), device)
    b = dev_tensor(np.array([8, 27], dtype=np.int64), device)
    assert torch.gcd(a, b).dtype == torch.int64
    assert_close(torch.gcd(a, dev_tensor(np.int64(4), device)), np.array([4, 2], dtype=np.int8))
    out = torch.empty(2, dtype=torch.int64, device=device)
    assert torch.lcm(b, b, out=out) is out
    assert_close(out, np.array([8, 27]))
    x = b.clone()
    x.gcd_(dev_tensor(np.array([6, 6]), device))
    assert_close(x, np.array([2, 3]))
    x.lcm_(dev_tensor(np.array([5, 4]), device))
    assert_close(x, np.array([10, 12]))


@pytest.mark.parametrize("fn", ["gcd", "lcm"])
def test_gcd_rejects_floats_and_bools(device, fn):
    kernel = "cpu" if device == "cpu" else "cuda"
    x = torch.tensor([1.0, 2.0], device=device)
    with pytest.raises(RuntimeError, match=f'"{fn}_{kernel}" not implemented for \'Float\''):
        getattr(torch, fn)(x, x)
    b = torch.tensor([True], device=device)
    with pytest.raises(RuntimeError, match="not implemented for 'Bool'"):
        getattr(torch, fn)(b, b)


# ----------------------------------------------------------------------------- shifts

def ref_lshift(a, b, bits):
    """PyTorch's rule: counts < 0 or >= bits give 0; otherwise the bits wrap around."""
    a64 = a.astype(np.int64)
    out = np.where((b < 0) | (b >= bits), 0, np.left_shift(a64, np.clip(b, 0, bits - 1)))
    return out.astype(a.dtype)  # numpy's astype wraps, as two's complement does


def ref_rshift(a, b, bits, signed):
    max_shift = bits - 1 if signed else bits
    bad = (b < 0) | (b >= max_shift)
    out = np.where(bad, np.where(a < 0, -1, 0), np.right_shift(a.astype(np.int64), np.clip(b, 0, 63)))
    return out.astype(a.dtype)


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_shifts_match_reference(device, dtype):
    rng = np.random.default_rng(2)
    bits = np.dtype(dtype).itemsize * 8
    signed = np.dtype(dtype).kind == "i"
    a = rand_ints(rng, dtype, (3, 8))
    counts = np.array([0, 1, 3, bits - 2, bits - 1, bits, bits + 5, -1 if signed else 200])
    b = counts.astype(dtype)
    ta, tb = dev_tensor(a, device), dev_tensor(b, device)
    assert_close(ta << tb, ref_lshift(a, b.astype(np.int64), bits))
    assert_close(torch.bitwise_right_shift(ta, tb), ref_rshift(a, b.astype(np.int64), bits, signed))
    # Transposed operand and broadcast against a column of counts.
    col = b[:3].reshape(3, 1)
    assert_close(ta.T.bitwise_left_shift(dev_tensor(col[:, 0], device)),
                 ref_lshift(a.T, col[:, 0].astype(np.int64), bits))
    assert_close(ta >> dev_tensor(col, device), ref_rshift(a, col.astype(np.int64), bits, signed))


def test_shift_operators_scalars_and_inplace(device):
    x = dev_tensor(np.array([1, -8, 5], dtype=np.int16), device)
    assert_close(x << 2, np.array([4, -32, 20], dtype=np.int16))
    assert_close(x >> 1, np.array([0, -4, 2], dtype=np.int16))
    assert_close(3 << dev_tensor(np.array([0, 4], dtype=np.int16), device), np.array([3, 48], dtype=np.int16))
    assert_close(64 >> dev_tensor(np.array([1, 3]), device), np.array([32, 8]))
    assert_close(torch.bitwise_left_shift(2, dev_tensor(np.array([2]), device)), np.array([8]))
    y = x.clone()
    y <<= 3
    assert_close(y, np.array([8, -64, 40], dtype=np.int16))
    y >>= dev_tensor(np.array([1, 2, 3], dtype=np.int16), device)
    assert_close(y, np.array([4, -16, 5], dtype=np.int16))
    z = x.clone()
    assert z.bitwise_right_shift_(1) is z
    out = torch.empty(3, dtype=torch.int16, device=device)
    torch.bitwise_left_shift(x, 1, out=out)
    assert_close(out, np.array([2, -16, 10], dtype=np.int16))
    zero_d = dev_tensor(np.int32(-5), device)
    assert_close(zero_d >> 1, np.array(-3, dtype=np.int32))
    assert tuple((torch.zeros(0, dtype=torch.int64, device=device) << 2).shape) == (0,)


def test_shifts_reject_floats(device):
    kernel = "cpu" if device == "cpu" else "cuda"
    x = torch.tensor([1.0], device=device)
    with pytest.raises(RuntimeError, match=f'"lshift_{kernel}" not implemented for \'Float\''):
        x << 1
    with pytest.raises(RuntimeError, match=f'"rshift_{kernel}" not implemented for \'Float\''):
        torch.tensor([4], device=device) >> 1.0
    with pytest.raises(RuntimeError, match="not implemented for 'Bool'"):
        torch.tensor([True], device=device) << torch.tensor([True], device=device)


# ----------------------------------------------------------------------------- ldexp

def test_ldexp_values_dtypes_and_grad(device):
    m = np.array([[1.0, -3.5, 0.0], [2.0, 1e-3, -7.0]])
    e = np.array([3, -1, 4])
    tm, te = dev_tensor(m.astype(np.float32), device), dev_tensor(e, device)
    assert_close(torch.ldexp(tm, te), np.ldexp(m, e).astype(np.float32))
    assert_close(tm.T.ldexp(te[:2]), np.ldexp(m.T, e[:2]).astype(np.float32))
    # An integer mantissa gives the default dtype; float64 stays float64.
    assert torch.ldexp(te, te).dtype == torch.float32
    assert torch.ldexp(dev_tensor(m, device), te).dtype == torch.float64
    x = tm.clone()
    x.ldexp_(te)
    assert_close(x, np.ldexp(m, e).astype(np.float32))
    out = torch.empty(2, 3, device=device)
    assert torch.ldexp(tm, te, out=out) is out
    a = torch.tensor(m, dtype=torch.float64, device=device, requires_grad=True)
    b = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64, device=device, requires_grad=True)
    assert torch.autograd.gradcheck(torch.ldexp, (a, b))


# ----------------------------------------------------------------------------- nextafter

SPECIAL = [0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 2.5, -1e-30]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_nextafter_matches_numpy(device, dtype):
    vals = np.array(SPECIAL + [np.finfo(dtype).max, np.finfo(dtype).tiny, np.finfo(dtype).smallest_subnormal],
                    dtype=dtype)
    x, y = np.meshgrid(vals, vals, indexing="ij")
    got = cpu(torch.nextafter(dev_tensor(x, device), dev_tensor(y, device)))
    with np.errstate(over="ignore"):
        ref = np.nextafter(x, y)
        ref_inf = np.nextafter(x.T, np.inf)
    np.testing.assert_array_equal(got, ref)
    np.testing.assert_array_equal(np.signbit(got[~np.isnan(ref)]), np.signbit(ref[~np.isnan(ref)]))
    # Broadcast, transposed input, 0-d and the in-place form.
    tx = dev_tensor(x, device)
    got = cpu(tx.T.nextafter(dev_tensor(np.array(np.inf, dtype=dtype), device)))
    np.testing.assert_array_equal(got, ref_inf)
    z = dev_tensor(np.array(1.0, dtype=dtype), device)
    z.nextafter_(dev_tensor(np.array(0.0, dtype=dtype), device))
    assert cpu(z) == np.nextafter(np.array(1.0, dtype=dtype), 0)


def test_nextafter_errors(device):
    kernel = "cpu" if device == "cpu" else "cuda"
    x = torch.tensor([1, 2], device=device)
    with pytest.raises(RuntimeError, match=f'"nextafter_{kernel}" not implemented for \'Long\''):
        torch.nextafter(x, x)
    with pytest.raises(TypeError, match="must be Tensor"):
        torch.nextafter(torch.tensor([1.0], device=device), 2.0)


# ----------------------------------------------------------------------------- angle / isreal

def test_angle_and_isreal(device):
    a = np.array([[-2.0, 0.0, -0.0], [3.0, np.nan, -np.inf]], dtype=np.float32)
    t = dev_tensor(a, device)
    # PyTorch (unlike numpy's atan2-based angle) gives 0 for -0.0: only values < 0 give pi.
    ref = np.where(np.isnan(a), a, np.where(a < 0, np.pi, 0.0)).astype(np.float32)
    assert_close(torch.angle(t), ref)
    assert_close(t.T.angle(), ref.T)
    assert_close(torch.angle(dev_tensor(np.array([-3, 4]), device)), np.array([np.pi, 0], dtype=np.float32))
    assert_close(t.isreal(), np.isreal(a))
    assert_close(torch.isreal(dev_tensor(np.int64(3), device)), np.array(True))
    g = torch.tensor([-1.0, 2.0], dtype=torch.float64, device=device, requires_grad=True)
    torch.angle(g).sum().backward()
    assert_close(g.grad, np.zeros(2))
