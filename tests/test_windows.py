"""torch.*_window and torch.signal.windows against scipy.signal.windows and closed forms."""
import numpy as np
import pytest
import scipy.signal.windows as sw

import ferrotorch as torch
from conftest import assert_close

LENGTHS = [2, 3, 5, 8, 17, 64]
# torch name -> scipy window of (M, sym) (periodic=True is scipy's sym=False).
WINDOWS = {
    "bartlett_window": sw.bartlett, "blackman_window": sw.blackman, "hamming_window": sw.hamming,
    "hann_window": sw.hann, "kaiser_window": lambda M, sym: sw.kaiser(M, 12.0, sym=sym),
}


@pytest.mark.parametrize("name", sorted(WINDOWS))
@pytest.mark.parametrize("periodic", [True, False])
@pytest.mark.parametrize("length", LENGTHS)
def test_values_match_scipy(name, periodic, length):
    expected = WINDOWS[name](length, sym=not periodic)
    assert_close(getattr(torch, name)(length, periodic, dtype=torch.float64), expected, rtol=1e-12, atol=1e-14)
    assert_close(getattr(torch, name)(length, periodic), expected.astype(np.float32), rtol=1e-5, atol=3e-7)


@pytest.mark.parametrize("name", sorted(WINDOWS))
def test_default_is_periodic(name):
    assert_close(getattr(torch, name)(6), WINDOWS[name](6, sym=False).astype(np.float32), rtol=1e-5, atol=3e-7)


@pytest.mark.parametrize("name", sorted(WINDOWS))
def test_lengths_zero_and_one(name):
    for periodic in (True, False):
        empty = getattr(torch, name)(0, periodic)
        assert empty.shape == (0,) and empty.dtype == torch.float32
        assert getattr(torch, name)(1, periodic, dtype=torch.float64).tolist() == [1.0]


def test_hamming_alpha_beta_and_kaiser_beta():
    k = np.arange(7)
    assert_close(torch.hamming_window(7, False, 0.6, dtype=torch.float64), 0.6 - 0.46 * np.cos(2 * np.pi * k / 6),
                 rtol=1e-12, atol=1e-14)
    assert_close(torch.hamming_window(6, True, 0.5, 0.3, dtype=torch.float64),
                 0.5 - 0.3 * np.cos(2 * np.pi * k[:6] / 6), rtol=1e-12, atol=1e-14)
    assert_close(torch.kaiser_window(9, False, 5.0, dtype=torch.float64), sw.kaiser(9, 5.0), rtol=1e-12, atol=1e-14)
    assert_close(torch.kaiser_window(9, True, 0.0, dtype=torch.float64), np.ones(9), rtol=1e-12)


def test_keywords_requires_grad_and_dtypes():
    w = torch.hann_window(window_length=4, periodic=True, dtype=torch.float64, layout=torch.strided,
                          pin_memory=False, requires_grad=True)
    assert w.requires_grad and w.is_leaf and w.dtype == torch.float64
    (w * w).sum().backward()
    assert_close(w.grad, 2 * sw.hann(4, sym=False), rtol=1e-12, atol=1e-14)
    assert torch.blackman_window(5, dtype=torch.float16).dtype == torch.float16
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        assert torch.bartlett_window(5).dtype == torch.float64
    finally:
        torch.set_default_dtype(old)


def _options(dtype_name):
    return (f"TensorOptions(dtype={dtype_name}, device=cpu, layout=Strided (default), requires_grad=false (default), "
            "pinned_memory=false, memory_format=(nullopt))")


@pytest.mark.parametrize("name", sorted(WINDOWS))
def test_errors(name):
    fn = getattr(torch, name)
    with pytest.raises(RuntimeError, match=rf"^{name} requires non-negative window_length, got window_length=-1$"):
        fn(-1)
    with pytest.raises(RuntimeError) as info:
        fn(3, dtype=torch.int64)
    assert str(info.value) == f"{name} expects floating point dtypes, got: {_options('long int')}"
    with pytest.raises(TypeError, match=rf"^{name}\(\) received an invalid combination of arguments - got \(float\)"):
        fn(3.0)


def test_error_messages_details():
    # The dtype check comes before the length check, as in PyTorch.
    with pytest.raises(RuntimeError) as info:
        torch.hann_window(-3, dtype=torch.int32)
    assert str(info.value) == f"hann_window expects floating point dtypes, got: {_options('int')}"
    with pytest.raises(TypeError) as info:
        torch.kaiser_window(3, beta=2.0)
    assert str(info.value).startswith("kaiser_window() received an invalid combination of arguments - got "
                                      "(int, beta=float), but expected one of:\n * (int window_length, *, ")
    assert " * (int window_length, bool periodic, float beta, *, torch.dtype dtype = None" in str(info.value)
    with pytest.raises(TypeError, match=r"got \(int, int\)"):
        torch.hann_window(3, 1)


def test_on_device(device):
    for name in sorted(WINDOWS):
        w = getattr(torch, name)(9, device=device)
        assert w.device.type == torch.device(device).type
        assert_close(w.cpu(), WINDOWS[name](9, sym=False).astype(np.float32), rtol=1e-5, atol=3e-7)
    w = torch.signal.windows.gaussian(7, std=2.0, device=device)
    assert_close(w.cpu(), sw.gaussian(7, 2.0).astype(np.float32), rtol=1e-5, atol=3e-7)


# ----------------------------------------------------------------------------- torch.signal.windows

SIGNAL = {
    "bartlett": sw.bartlett, "blackman": sw.blackman, "cosine": sw.cosine, "hamming": sw.hamming,
    "hann": sw.hann, "nuttall": sw.nuttall, "kaiser": lambda M, sym: sw.kaiser(M, 12.0, sym=sym),
    "gaussian": lambda M, sym: sw.gaussian(M, 1.0, sym=sym),
    "exponential": lambda M, sym: sw.exponential(M, tau=1.0, sym=sym),
}


@pytest.mark.parametrize("name", sorted(SIGNAL))
@pytest.mark.parametrize("sym", [True, False])
@pytest.mark.parametrize("M", [0, 1, 2, 5, 8, 17])
def test_signal_windows_match_scipy(name, sym, M):
    fn = getattr(torch.signal.windows, name)
    assert_close(fn(M, sym=sym, dtype=torch.float64), SIGNAL[name](M, sym), rtol=1e-12, atol=1e-14)
    assert_close(fn(M, sym=sym), SIGNAL[name](M, sym).astype(np.float32), rtol=1e-5, atol=1e-6)


def test_signal_windows_parameters():
    w = torch.signal.windows
    assert_close(w.gaussian(9, std=2.5, dtype=torch.float64), sw.gaussian(9, 2.5), rtol=1e-12)
    assert_close(w.exponential(9, center=2.0, tau=3.0, sym=False, dtype=torch.float64),
                 sw.exponential(9, center=2.0, tau=3.0, sym=False), rtol=1e-12)
    assert_close(w.kaiser(9, beta=4.0, dtype=torch.float64), sw.kaiser(9, 4.0), rtol=1e-12)
    assert_close(w.general_hamming(9, alpha=0.3, dtype=torch.float64), sw.general_hamming(9, 0.3),
                 rtol=1e-12, atol=1e-14)
    assert_close(w.general_cosine(9, a=[0.5, 0.3, 0.2], dtype=torch.float64),
                 sw.general_cosine(9, [0.5, 0.3, 0.2]), rtol=1e-12, atol=1e-14)


def test_signal_windows_requires_grad():
    out = torch.signal.windows.hann(4, requires_grad=True)
    assert out.requires_grad
    assert_close(out.detach(), sw.hann(4).astype(np.float32), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("call,cls,message", [
    (lambda w: w.hann(-1), ValueError, "general_cosine requires non-negative window length, got M=-1"),
    (lambda w: w.bartlett(-2), ValueError, "bartlett requires non-negative window length, got M=-2"),
    (lambda w: w.hann(3, dtype=torch.int64), ValueError,
     "general_cosine expects float32 or float64 dtypes, got: torch.int64"),
    (lambda w: w.hann(4, dtype=torch.float16), ValueError,
     "general_cosine expects float32 or float64 dtypes, got: torch.float16"),
    (lambda w: w.gaussian(5, std=0), ValueError, "Standard deviation must be positive, got: 0 instead."),
    (lambda w: w.exponential(5, tau=-1), ValueError, "Tau must be positive, got: -1 instead."),
    (lambda w: w.exponential(5, center=1.0), ValueError, "Center must be None for symmetric windows"),
    (lambda w: w.kaiser(5, beta=-1), ValueError, "beta must be non-negative, got: -1 instead."),
    (lambda w: w.general_cosine(5, a=3), TypeError, "Coefficients must be a list/tuple"),
    (lambda w: w.general_cosine(5, a=[]), ValueError, "Coefficients cannot be empty"),
])
def test_signal_windows_errors(call, cls, message):
    with pytest.raises(cls) as info:
        call(torch.signal.windows)
    assert str(info.value) == message
