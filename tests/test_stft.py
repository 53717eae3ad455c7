"""torch.stft / torch.istft (and the Tensor methods) against a numpy framing / overlap-add reference:
values for the framing options, round trips, PyTorch's errors (the NOLA check included), and
gradients against central finite differences of the reference."""
import numpy as np
import pytest

import ferrotorch as torch
from conftest import DEVICES, assert_close, finite_difference_grad

NUMPY_PAD = {"reflect": "reflect", "constant": "constant", "replicate": "edge", "circular": "wrap"}


def _hann(n):
    """The periodic Hann window (as torch.hann_window's default)."""
    return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)


def _full_window(window, win_length, n_fft):
    window = np.ones(win_length) if window is None else window
    left = (n_fft - win_length) // 2
    return np.pad(window, (left, n_fft - win_length - left))


def _stft_reference(x, n_fft, hop, win_length, window, center=True, pad_mode="reflect", normalized=False,
                    onesided=True):
    """(batch, freq, frames) from a (batch, length) numpy signal."""
    if center:
        x = np.pad(x, [(0, 0), (n_fft // 2, n_fft // 2)], mode=NUMPY_PAD[pad_mode])
    window = _full_window(window, win_length, n_fft)
    count = 1 + (x.shape[-1] - n_fft) // hop
    frames = np.stack([x[:, i * hop:i * hop + n_fft] for i in range(count)], 1) * window
    spectrum = np.fft.rfft(frames) if onesided else np.fft.fft(frames)
    if normalized:
        spectrum = spectrum / np.sqrt(n_fft)
    return spectrum.transpose(0, 2, 1)


def _istft_reference(spectrum, n_fft, hop, win_length, window, center=True, length=None, onesided=True,
                     normalized=False):
    frames = spectrum.transpose(0, 2, 1)
    norm = "ortho" if normalized else "backward"
    frames = (np.fft.irfft(frames[..., :n_fft // 2 + 1], n_fft, norm=norm) if onesided
              else np.fft.ifft(frames, n_fft, norm=norm))
    window = _full_window(window, win_length, n_fft)
    count = frames.shape[1]
    total = n_fft + hop * (count - 1)
    signal = np.zeros((frames.shape[0], total), dtype=frames.dtype)
    envelope = np.zeros(total)
    for i in range(count):
        signal[:, i * hop:i * hop + n_fft] += frames[:, i] * window
        envelope[i * hop:i * hop + n_fft] += window ** 2
    start = n_fft // 2 if center else 0
    end = start + length if length is not None else (total - n_fft // 2 if center else total)
    end = min(end, total)
    signal = signal[:, start:end] / envelope[start:end]
    if length is not None and signal.shape[-1] < length:
        signal = np.pad(signal, [(0, 0), (0, length - signal.shape[-1])])
    return signal


def _signal(shape, complex_=False, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    return a + 1j * rng.standard_normal(shape) if complex_ else a


def _tensor(a, device="cpu"):
    if np.iscomplexobj(a):
        return torch.tensor(np.ascontiguousarray(np.stack([a.real, a.imag], -1))).to(device).view_as_complex()
    return torch.tensor(np.ascontiguousarray(a)).to(device)


def _host(t):
    return t.view_as_real().cpu().view_as_complex() if t.dtype.is_complex else t.cpu()


STFT_CASES = [
    dict(n_fft=8, hop=2, win_length=8, window="hann", center=True, pad_mode="reflect", normalized=False),
    dict(n_fft=8, hop=3, win_length=6, window="hann", center=True, pad_mode="constant", normalized=True),
    dict(n_fft=7, hop=1, win_length=7, window=None, center=False, pad_mode="reflect", normalized=False),
    dict(n_fft=6, hop=4, win_length=5, window=None, center=True, pad_mode="replicate", normalized=False),
    dict(n_fft=8, hop=2, win_length=8, window="hann", center=True, pad_mode="circular", normalized=True),
]


def _window(kind, win_length):
    return None if kind is None else _hann(win_length)


@pytest.mark.parametrize("case", STFT_CASES, ids=lambda c: "-".join(f"{k}{v}" for k, v in c.items()))
@pytest.mark.parametrize("batched", [False, True])
def test_stft_matches_numpy_framing(case, batched):
    x = _signal((2, 23) if batched else (23,))
    window = _window(case["window"], case["win_length"])
    got = torch.stft(_tensor(x), case["n_fft"], hop_length=case["hop"], win_length=case["win_length"],
                     window=None if window is None else torch.tensor(window), center=case["center"],
                     pad_mode=case["pad_mode"], normalized=case["normalized"], return_complex=True)
    expected = _stft_reference(np.atleast_2d(x), case["n_fft"], case["hop"], case["win_length"], window,
                               case["center"], case["pad_mode"], case["normalized"])
    assert_close(got, expected if batched else expected[0], rtol=1e-10, atol=1e-10)


def test_stft_defaults_and_view_as_real_form():
    x = _signal((20,))
    got = torch.stft(_tensor(x).float(), 8, return_complex=False)  # hop 2, rectangular window
    expected = _stft_reference(x[None], 8, 2, 8, None)[0]
    assert got.dtype == torch.float32 and got.shape == (5, 11, 2)
    assert_close(got, np.stack([expected.real, expected.imag], -1).astype(np.float32), rtol=1e-5, atol=1e-5)


def test_stft_two_sided_and_complex_input():
    x = _signal((18,))
    got = torch.stft(_tensor(x), 6, hop_length=3, onesided=False, return_complex=True)
    assert_close(got, _stft_reference(x[None], 6, 3, 6, None, onesided=False)[0], rtol=1e-10, atol=1e-10)
    z = _signal((2, 18), complex_=True)
    got = torch.stft(_tensor(z), 6, hop_length=3, window=torch.tensor(_hann(6)))  # complex: two-sided
    assert_close(got, _stft_reference(z, 6, 3, 6, _hann(6), onesided=False), rtol=1e-10, atol=1e-10)
    complex_window = _hann(6) + 0.5j  # a complex window also makes the output two-sided
    got = torch.stft(_tensor(x), 6, hop_length=3, window=_tensor(complex_window))
    assert_close(got, _stft_reference(x[None], 6, 3, 6, complex_window, onesided=False)[0], rtol=1e-10, atol=1e-10)


def test_stft_align_to_window():
    # Without centring, align_to_window=True lines the frames up with the (shorter) window: the
    # signal is zero-padded by (n_fft - win_length) // 2 on both sides.
    x = _signal((2, 20))
    got = torch.stft(_tensor(x), 8, hop_length=2, win_length=5, window=torch.tensor(_hann(5)), center=False,
                     align_to_window=True, return_complex=True)
    assert_close(got, _stft_reference(np.pad(x, [(0, 0), (1, 1)]), 8, 2, 5, _hann(5), center=False),
                 rtol=1e-10, atol=1e-10)


def test_stft_window_dtype_promotes():
    x = torch.tensor(_signal((16,))).float()
    assert torch.stft(x, 8, window=torch.ones(8, dtype=torch.float64), return_complex=True).dtype == torch.complex128


@pytest.mark.parametrize("center", [True, False])
def test_istft_round_trip(center):
    x = _signal((2, 32))
    window = torch.tensor(_hann(8)) if center else None  # a Hann window's zero edge fails NOLA uncentred
    spectrum = torch.stft(_tensor(x), 8, hop_length=2, window=window, center=center, return_complex=True)
    back = torch.istft(spectrum, 8, hop_length=2, window=window, center=center, length=32 if center else None)
    kept = x if center else x[:, :back.shape[-1]]
    assert_close(back, kept, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("length", [None, 20, 41])
@pytest.mark.parametrize("normalized", [False, True])
def test_istft_matches_numpy_overlap_add(length, normalized):
    spectrum = _signal((2, 5, 16), complex_=True, seed=4)  # not the STFT of any signal
    got = torch.istft(_tensor(spectrum), 8, hop_length=2, window=torch.tensor(_hann(8)), length=length,
                      normalized=normalized)
    expected = _istft_reference(spectrum, 8, 2, 8, _hann(8), length=length, normalized=normalized)
    assert got.dtype == torch.float64
    assert_close(got, expected, rtol=1e-9, atol=1e-9)


def test_istft_short_window_and_two_sided_input():
    spectrum = _signal((6, 9), complex_=True, seed=2)
    got = torch.istft(_tensor(spectrum), 6, hop_length=2, win_length=4, window=torch.tensor(_hann(4) + 0.1),
                      onesided=False)
    expected = _istft_reference(spectrum[None], 6, 2, 4, _hann(4) + 0.1)[0]
    assert_close(got, expected, rtol=1e-9, atol=1e-9)


def test_istft_complex_round_trip():
    z = _signal((24,), complex_=True)
    spectrum = torch.stft(_tensor(z), 8, hop_length=2)
    back = torch.istft(spectrum, 8, hop_length=2, return_complex=True, length=24)
    assert back.dtype == torch.complex128
    assert_close(back, z, rtol=1e-10, atol=1e-10)


def test_tensor_methods():
    x = _tensor(_signal((20,)))
    spectrum = x.stft(8, return_complex=True)
    assert_close(spectrum, _stft_reference(_signal((20,))[None], 8, 2, 8, None)[0], rtol=1e-10, atol=1e-10)
    assert_close(spectrum.istft(8, length=20), _signal((20,)), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("device", DEVICES)
def test_round_trip_on_device(device):
    x = _signal((2, 24)).astype(np.float32)
    window = torch.tensor(_hann(8).astype(np.float32)).to(device)
    spectrum = torch.stft(_tensor(x, device), 8, hop_length=2, window=window, return_complex=True)
    assert spectrum.device.type == torch.device(device).type
    expected = _stft_reference(x.astype(np.float64), 8, 2, 8, _hann(8))
    assert_close(_host(spectrum), expected.astype(np.complex64), rtol=1e-4, atol=1e-4)
    back = torch.istft(spectrum, 8, hop_length=2, window=window, length=24)
    assert_close(_host(back), x, rtol=1e-4, atol=1e-4)


# ----------------------------------------------------------------------------- gradients

def _weights(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


def test_stft_gradient():
    x = _signal((14,), seed=1)
    weights = _weights((5, 8, 2), 2)

    def reference_loss(a):
        s = _stft_reference(a[None], 8, 2, 8, _hann(8))[0]
        return float((weights * np.stack([s.real, s.imag], -1)).sum())

    t = _tensor(x).requires_grad_(True)
    spectrum = torch.stft(t, 8, hop_length=2, window=torch.tensor(_hann(8)), return_complex=False)
    (spectrum * torch.tensor(weights)).sum().backward()
    assert_close(t.grad, finite_difference_grad(reference_loss, x), rtol=1e-6, atol=1e-6)


def test_istft_gradient():
    spectrum = _signal((5, 6), complex_=True, seed=3)
    weights = _weights((12,), 4)

    def reference_loss(a):
        y = _istft_reference(a[None], 8, 2, 8, _hann(8), length=12)[0]
        return float((weights * y).sum() + 0.5 * (y ** 2).sum())

    t = _tensor(spectrum).requires_grad_(True)
    y = torch.istft(t, 8, hop_length=2, window=torch.tensor(_hann(8)), length=12)
    ((y * torch.tensor(weights)).sum() + 0.5 * (y * y).sum()).backward()
    # The imaginary parts at zero and Nyquist frequency do not reach the output: zero gradient.
    assert_close(t.grad, finite_difference_grad(reference_loss, spectrum), rtol=1e-6, atol=1e-6)


# ----------------------------------------------------------------------------- errors

def _errors():
    x = torch.zeros(20)
    spectrum = torch.zeros(5, 11, dtype=torch.complex64)
    prefix = r"stft\(torch\.FloatTensor\[28\], n_fft=8, hop_length=(\d+), win_length=(\d+), window="
    istft_prefix = r"istft\(CPUComplexFloatType\[5, 11\], n_fft=\d+, hop_length=\d+, win_length=\d+, window="
    return [
        (lambda: torch.stft(x, 8), RuntimeError, "stft requires the return_complex parameter be given for real "
                                                 "inputs, and will further require"),
        (lambda: torch.stft(torch.zeros(2, 2, 20), 8, return_complex=True), RuntimeError,
         r"stft\(torch\.FloatTensor\[2, 2, 28\], n_fft=8, .*: expected a 1D or 2D tensor"),
        (lambda: torch.stft(torch.tensor(1.0), 8, return_complex=True), RuntimeError,
         r"Padding size should be less than the corresponding input dimension, but got: padding \(4, 4\) at "
         r"dimension 2 of input \[1, 1, 1\]"),
        (lambda: torch.stft(x, 64, center=False, return_complex=True), RuntimeError,
         r"stft\(torch\.FloatTensor\[20\], n_fft=64, hop_length=16, win_length=64, window=None, normalized=0, "
         r"onesided=None, return_complex=1, align_to_window=None\) : expected 0 < n_fft < 20, but got n_fft=64"),
        (lambda: torch.stft(x, 8, hop_length=0, return_complex=True), RuntimeError,
         prefix + r"None.*: expected hop_length > 0, but got hop_length=0"),
        (lambda: torch.stft(x, 8, win_length=9, return_complex=True), RuntimeError,
         prefix + r"None.*: expected 0 < win_length <= n_fft, but got win_length=9"),
        (lambda: torch.stft(x, 8, window=torch.ones(5), return_complex=True), RuntimeError,
         prefix + r"torch\.FloatTensor\{\[5\]\}.*: expected a 1D window tensor of size equal to win_length=8, "
                  r"but got window with size \[5\]"),
        (lambda: torch.stft(torch.arange(20), 8, return_complex=True), NotImplementedError,
         r"stft\(torch\.LongTensor\[28\].*: expected a tensor of floating point or complex values"),
        (lambda: torch.stft(torch.zeros(20, dtype=torch.complex64), 8, onesided=True, return_complex=True),
         RuntimeError, "Cannot have onesided output if window or input is complex"),
        (lambda: torch.stft(x, 8, align_to_window=True, return_complex=True), RuntimeError,
         "stft align_to_window should only be set when center = false"),
        (lambda: torch.istft(torch.zeros(5, 11), 8), TypeError,
         "istft requires a complex-valued input tensor matching the output from stft with return_complex=True."),
        (lambda: torch.istft(spectrum, 8, window=torch.zeros(8)), RuntimeError,
         istft_prefix + r"torch\.FloatTensor\{\[8\]\}, center=1, normalized=0, onesided=None, length=None, "
                        r"return_complex=0\) window overlap add min: 1"),
        (lambda: torch.istft(spectrum, 8, center=False, window=torch.hann_window(8)), RuntimeError,
         "window overlap add min: 1"),
        (lambda: torch.istft(spectrum, 8, win_length=4, window=torch.ones(4), center=False), RuntimeError,
         r"window=torch\.FloatTensor\{\[4\]\}, center=0, .* window overlap add min: 1"),
        (lambda: torch.istft(spectrum, 10), RuntimeError,
         istft_prefix + r"None.*: expected the frequency dimension \(3rd to the last\) of the input tensor to "
                        r"match n_fft / 2 \+ 1 when onesided=True, but got 5"),
        (lambda: torch.istft(spectrum, 8, onesided=False), RuntimeError,
         r"onesided=0, .*to match n_fft when onesided=False, but got 5"),
        (lambda: torch.istft(spectrum, 8, return_complex=True), RuntimeError,
         "Cannot have onesided output if window or input is complex"),
        (lambda: torch.istft(spectrum[None, None], 8), RuntimeError,
         r"expected a tensor with 3 or 4 dimensions, but got 5"),
        (lambda: torch.istft(spectrum[0], 8), IndexError,
         r"Dimension out of range \(expected to be in range of \[-2, 1\], but got -3\)"),
        (lambda: torch.istft(spectrum, 8, hop_length=0), RuntimeError, r": expected 0 < hop_length <= win_length"),
        (lambda: torch.istft(spectrum, 8, win_length=9), RuntimeError, r": expected 0 < win_length <= n_fft"),
        (lambda: torch.istft(spectrum, 8, window=torch.ones(3)), RuntimeError,
         r"Invalid window shape\. window has to be 1D and length of `win_length`"),
    ]


@pytest.mark.parametrize("case", range(len(_errors())))
def test_errors_match_pytorch(case):
    call, exc, message = _errors()[case]
    with pytest.raises(exc, match=message):
        call()
