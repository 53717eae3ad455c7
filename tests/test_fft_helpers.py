"""torch.fft's complex-free helpers (fftfreq, rfftfreq, fftshift, ifftshift) against numpy.fft."""
import numpy as np
import pytest

import ferrotorch as torch
from conftest import DEVICES, assert_close, to_numpy

SIZES = [1, 2, 5, 8, 17]  # n = 0 has its own test (numpy divides by zero there)
SPACINGS = [1.0, 0.1, 3, 2.5]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("d", SPACINGS)
def test_fftfreq_matches_numpy(device, n, d):
    got = torch.fft.fftfreq(n, d, device=device)
    assert got.device.type == torch.device(device).type
    assert_close(got.cpu(), np.fft.fftfreq(n, d).astype(np.float32))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("d", SPACINGS)
def test_rfftfreq_matches_numpy(device, n, d):
    got = torch.fft.rfftfreq(n, d, device=device)
    assert_close(got.cpu(), np.fft.rfftfreq(n, d).astype(np.float32))


@pytest.mark.parametrize("fn", ["fftfreq", "rfftfreq"])
@pytest.mark.parametrize("dtype,rtol", [("float64", 1e-15), ("float32", 1e-7), ("float16", 1e-3),
                                        ("bfloat16", 8e-3)])
def test_frequency_dtypes(fn, dtype, rtol):
    got = getattr(torch.fft, fn)(9, 0.3, dtype=getattr(torch, dtype))
    assert got.dtype == getattr(torch, dtype)
    np.testing.assert_allclose(to_numpy(got.float() if dtype == "bfloat16" else got).astype(np.float64),
                               getattr(np.fft, fn)(9, 0.3), rtol=rtol, atol=0)


def test_frequencies_follow_the_default_dtype():
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        got = torch.fft.fftfreq(7, 0.1)
    finally:
        torch.set_default_dtype(previous)
    assert_close(got, np.fft.fftfreq(7, 0.1), rtol=1e-15, atol=0)


@pytest.mark.parametrize("fn", ["fftfreq", "rfftfreq"])
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_frequencies_refuse_non_float_dtypes(fn, dtype):
    with pytest.raises(RuntimeError, match=f"^{fn} requires a floating point or complex dtype$"):
        getattr(torch.fft, fn)(6, dtype=getattr(torch, dtype))


def test_frequency_edge_sizes():
    # n = 0: no frequencies for the full FFT; rfftfreq's single 0 / (0 * d) is NaN.
    assert tuple(torch.fft.fftfreq(0).shape) == (0,)
    assert np.isnan(to_numpy(torch.fft.rfftfreq(0))).all() and torch.fft.rfftfreq(0).numel() == 1
    with pytest.raises(RuntimeError, match=r"^Trying to create tensor with negative dimension -1: \[-1\]$"):
        torch.fft.fftfreq(-1)
    with pytest.raises(RuntimeError, match=r"^Trying to create tensor with negative dimension -5: \[-5\]$"):
        torch.fft.fftfreq(-5)
    # rfftfreq's count is n / 2 + 1 with C++'s truncating division.
    assert torch.fft.rfftfreq(-3).numel() == 0
    with pytest.raises(RuntimeError, match=r"negative dimension -1: \[-1\]"):
        torch.fft.rfftfreq(-4)


def test_zero_spacing_gives_signed_infinities():
    got = to_numpy(torch.fft.fftfreq(5, d=0.0))
    assert np.isnan(got[0]) and list(got[1:]) == [np.inf, np.inf, -np.inf, -np.inf]
    assert list(to_numpy(torch.fft.fftfreq(5, d=-0.0))[1:]) == [-np.inf, -np.inf, np.inf, np.inf]


def test_spacing_and_size_argument_types():
    expected = np.fft.fftfreq(5, 2.0).astype(np.float32)
    for d in (2, 2.0, np.float32(2.0), torch.tensor(2.0), torch.tensor(2)):
        assert_close(torch.fft.fftfreq(5, d), expected)
    assert_close(torch.fft.fftfreq(torch.tensor(5)), np.fft.fftfreq(5).astype(np.float32))
    assert_close(torch.fft.fftfreq(np.int64(5)), np.fft.fftfreq(5).astype(np.float32))
    with pytest.raises(TypeError, match=r"^fft_fftfreq\(\): argument 'n' \(position 1\) must be int, not float$"):
        torch.fft.fftfreq(5.0)
    with pytest.raises(TypeError, match=r"argument 'n' \(position 1\) must be int, not bool$"):
        torch.fft.fftfreq(True)
    with pytest.raises(TypeError, match=r"argument 'n' \(position 1\) must be int, not Tensor$"):
        torch.fft.fftfreq(torch.tensor([5]))
    with pytest.raises(TypeError, match=r"^fft_rfftfreq\(\): argument 'd' must be float, not NoneType$"):
        torch.fft.rfftfreq(5, d=None)
    with pytest.raises(TypeError, match=r"argument 'd' must be float, not Tensor$"):
        torch.fft.fftfreq(5, d=torch.tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"argument 'dtype' must be torch.dtype, not int$"):
        torch.fft.fftfreq(5, dtype=1)
    with pytest.raises(TypeError, match=r"argument 'layout' must be torch.layout, not int$"):
        torch.fft.fftfreq(5, layout=1)


def test_frequencies_out_and_requires_grad():
    out = torch.empty(2, dtype=torch.float64)
    result = torch.fft.fftfreq(5, 0.5, out=out)
    assert result is out and out.dtype == torch.float64
    assert_close(out, np.fft.fftfreq(5, 0.5), rtol=1e-15, atol=0)
    with pytest.raises(RuntimeError, match=r"^dtype Float does not match dtype of out parameter \(Double\)$"):
        torch.fft.fftfreq(5, out=torch.empty(5, dtype=torch.float64), dtype=torch.float32)
    with pytest.raises(RuntimeError, match="^fftfreq requires a floating point or complex dtype$"):
        torch.fft.fftfreq(5, out=torch.empty(5, dtype=torch.int64))
    leaf = torch.fft.rfftfreq(6, requires_grad=True)
    assert leaf.requires_grad and leaf.is_leaf
    assert not torch.fft.rfftfreq(6).requires_grad


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dim", [None, 0, 1, -1, (0, 1), [1], (0, 2), (-2, 1), (1, 1)])
def test_shifts_match_numpy(device, dim):
    a = np.arange(2 * 5 * 4, dtype=np.float32).reshape(2, 5, 4)
    x = torch.tensor(a, device=device)
    np_axes = tuple(dim) if isinstance(dim, list) else dim
    assert_close(torch.fft.fftshift(x, dim).cpu(), np.fft.fftshift(a, np_axes))
    assert_close(torch.fft.ifftshift(x, dim).cpu(), np.fft.ifftshift(a, np_axes))
    assert_close(torch.fft.ifftshift(torch.fft.fftshift(x, dim), dim).cpu(), a)


def test_shifts_keep_the_dtype():
    for values in ([1, 2, 3, 4, 5], [True, False, False]):
        a = np.array(values)
        got = torch.fft.fftshift(torch.tensor(a))
        assert_close(got, np.fft.fftshift(a))


def test_shifts_of_empty_and_zero_dim_tensors():
    assert tuple(torch.fft.fftshift(torch.empty(0)).shape) == (0,)
    assert tuple(torch.fft.ifftshift(torch.empty(0, 3), 1).shape) == (0, 3)
    with pytest.raises(RuntimeError, match="^`shifts` required$"):
        torch.fft.fftshift(torch.tensor(3.0))
    with pytest.raises(IndexError, match="^Dimension specified as 0 but tensor has no dimensions$"):
        torch.fft.fftshift(torch.tensor(3.0), 0)
    out_of_range = r"^Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)$"
    with pytest.raises(IndexError, match=out_of_range):
        torch.fft.ifftshift(torch.ones(2, 3), (0, 2))


def test_shift_argument_types():
    x = torch.ones(3)
    not_a_tensor = r"^fft_fftshift\(\): argument 'input' \(position 1\) must be Tensor, not list$"
    with pytest.raises(TypeError, match=not_a_tensor):
        torch.fft.fftshift([1, 2])
    with pytest.raises(TypeError, match=r"^fft_ifftshift\(\): argument 'dim' must be tuple of ints, not float$"):
        torch.fft.ifftshift(x, 1.0)
    with pytest.raises(TypeError, match="argument 'dim' must be tuple of ints, not bool$"):
        torch.fft.fftshift(x, True)
    with pytest.raises(TypeError, match="argument 'dim' must be tuple of ints, not tuple$"):
        torch.fft.fftshift(x, (0.5,))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("shift", ["fftshift", "ifftshift"])
def test_shift_gradients_are_the_inverse_permutation(device, shift):
    a = np.arange(15, dtype=np.float64).reshape(3, 5)
    weights = np.linspace(-1.0, 2.0, 15).reshape(3, 5)
    x = torch.tensor(a, device=device).requires_grad_()
    (getattr(torch.fft, shift)(x) * torch.tensor(weights, device=device)).sum().backward()
    # d/dx sum(w * shift(x)) = unshift(w)
    inverse = np.fft.ifftshift if shift == "fftshift" else np.fft.fftshift
    assert_close(x.grad.cpu(), inverse(weights), rtol=1e-15, atol=0)
