"""torch.fft transforms (fft, ifft, rfft, irfft, hfft, ihfft and their 2-D / N-D forms) against
numpy.fft / scipy.fft: values, output dtypes, n / s trimming and padding, the three norm modes,
non-contiguous inputs, PyTorch's errors, and gradients against central finite differences of the
numpy reference."""
import numpy as np
import pytest
import scipy.fft as sfft

import ferrotorch as torch
from conftest import DEVICES, assert_close, finite_difference_grad

NORMS = [None, "backward", "ortho", "forward"]
ONE_D = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"]
MANY_D = ["fft2", "ifft2", "fftn", "ifftn", "rfft2", "irfft2", "rfftn", "irfftn", "hfft2", "ihfft2", "hfftn",
          "ihfftn"]
REAL_ONLY = {"rfft", "ihfft", "rfft2", "ihfft2", "rfftn", "ihfftn"}
REAL_OUTPUT = {"irfft", "hfft", "irfft2", "hfft2", "irfftn", "hfftn"}


def _reference(name):
    """numpy's transform where it has one, else scipy's (scipy.fft has the N-D Hermitian ones)."""
    return getattr(np.fft, name, None) or getattr(sfft, name)


def _input(shape, complex_, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    if complex_:
        a = a + 1j * rng.standard_normal(shape)
    return a.astype(dtype if not complex_ else np.result_type(dtype, np.complex64))


def _tensor(a, device="cpu"):
    """A ferrotorch tensor on `device` from a numpy array (a complex one through its real view)."""
    if np.iscomplexobj(a):
        parts = np.ascontiguousarray(np.stack([a.real, a.imag], -1))
        return torch.tensor(parts).to(device).view_as_complex()
    return torch.tensor(np.ascontiguousarray(a)).to(device)


def _host(t):
    """`t` on the CPU (a complex one through its real view)."""
    if t.dtype.is_complex:
        return t.view_as_real().cpu().view_as_complex()
    return t.cpu()


def _check(actual, expected, single=False):
    tol = dict(rtol=2e-5, atol=2e-5) if single else dict(rtol=1e-10, atol=1e-10)
    expected = np.asarray(expected)
    if single:
        expected = expected.astype(np.complex64 if np.iscomplexobj(expected) else np.float32)
    assert_close(_host(actual), expected, **tol)


# ----------------------------------------------------------------------------- values

@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("name", ONE_D)
@pytest.mark.parametrize("n", [None, 3, 9])
def test_one_dim_matches_numpy(name, norm, n):
    a = _input((4, 6), name not in REAL_ONLY)
    for dim in (-1, 0):
        got = getattr(torch.fft, name)(_tensor(a), n=n, dim=dim, norm=norm)
        _check(got, _reference(name)(a, n=n, axis=dim, norm=norm))


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("name", MANY_D)
@pytest.mark.parametrize("s", [None, (3, 5), (6, -1)])
def test_many_dims_match_numpy(name, norm, s):
    a = _input((2, 4, 5), name not in REAL_ONLY)
    dims = (-2, -1) if name.endswith("2") else (0, 2)
    sizes = None if s is None else [a.shape[d] if k == -1 else k for d, k in zip(dims, s)]
    if sizes is not None and name in REAL_OUTPUT and s[-1] == -1:
        sizes[-1] = 2 * (a.shape[dims[-1]] - 1)  # -1 on the Hermitian dim means the default length
    got = getattr(torch.fft, name)(_tensor(a), s=s, dim=dims, norm=norm)
    _check(got, _reference(name)(a, s=sizes, axes=dims, norm=norm))


@pytest.mark.parametrize("name", ["fftn", "ifftn", "rfftn", "irfftn", "hfftn", "ihfftn"])
def test_n_dims_default_to_all_dims(name):
    a = _input((3, 4, 4), name not in REAL_ONLY)
    _check(getattr(torch.fft, name)(_tensor(a)), _reference(name)(a, axes=(0, 1, 2)))
    # Only s given: the last len(s) dims.
    _check(getattr(torch.fft, name)(_tensor(a), s=(3, 6)), _reference(name)(a, s=(3, 6), axes=(1, 2)))


@pytest.mark.parametrize("device", DEVICES)
def test_every_transform_on_device_single_precision(device):
    for i, name in enumerate(ONE_D + MANY_D):
        a = _input((3, 6), name not in REAL_ONLY, np.float32, seed=i)
        norm = NORMS[i % len(NORMS)]
        got = getattr(torch.fft, name)(_tensor(a, device), norm=norm)
        assert got.device.type == torch.device(device).type
        expected = (_reference(name)(a, norm=norm) if name in ONE_D
                    else _reference(name)(a, axes=(0, 1), norm=norm))
        _check(got, expected, single=True)


@pytest.mark.parametrize("device", DEVICES)
def test_padding_trimming_and_real_input_on_device(device):
    a = _input((5, 4), False, np.float32)
    _check(torch.fft.fft(_tensor(a, device), n=7, dim=0), np.fft.fft(a, n=7, axis=0), single=True)
    _check(torch.fft.ifft(_tensor(a, device), n=2), np.fft.ifft(a, n=2), single=True)
    z = _input((5, 4), True, np.float64)
    _check(torch.fft.irfft(_tensor(z, device), n=5, norm="ortho"), np.fft.irfft(z, n=5, norm="ortho"))
    _check(torch.fft.fft2(_tensor(z, device), s=(3, 6)), np.fft.fft2(z, s=(3, 6)))


def test_real_and_complex_inputs_give_the_same_fft():
    a = _input((3, 5), False)
    _check(torch.fft.fft(_tensor(a.astype(np.complex128))), np.fft.fft(a))
    _check(torch.fft.fft(_tensor(a)), np.fft.fft(a))
    # irfft / hfft of a real input treat it as complex with zero imaginary part.
    _check(torch.fft.irfft(_tensor(a)), np.fft.irfft(a))
    _check(torch.fft.hfft(_tensor(a), n=7), np.fft.hfft(a, n=7))


def test_hermitian_transforms_ignore_imaginary_parts_at_zero_and_nyquist():
    z = _input((6,), True)
    clean = z.copy()
    clean[0], clean[-1] = clean[0].real, clean[-1].real
    _check(torch.fft.irfft(_tensor(z)), np.fft.irfft(clean))  # n = 10: entry 5 is Nyquist
    _check(torch.fft.irfft(_tensor(z), n=9), np.fft.irfft(z, n=9))  # odd n: no Nyquist entry


@pytest.mark.parametrize("device", DEVICES)
def test_non_contiguous_inputs(device):
    a = _input((6, 8), True)
    t = _tensor(a, device)
    _check(torch.fft.fft(t.transpose(0, 1)), np.fft.fft(a.T))
    _check(torch.fft.ifft(t[::2, 1::3], dim=0), np.fft.ifft(a[::2, 1::3], axis=0))
    r = _input((6, 8), False)
    rt = _tensor(r, device)
    _check(torch.fft.rfft(rt.t()), np.fft.rfft(r.T))
    _check(torch.fft.irfftn(t[:, ::2].t()), np.fft.irfftn(a[:, ::2].T))


def test_longer_signal_stays_accurate():
    # The reduced angle index keeps float64 accuracy for larger n.
    a = _input((2, 1000), True)
    _check(torch.fft.fft(_tensor(a)), np.fft.fft(a))
    r = _input((1001,), False, np.float32)
    _check(torch.fft.rfft(_tensor(r)), np.fft.rfft(r.astype(np.float64)), single=True)


# ----------------------------------------------------------------------------- dtypes and shapes

def test_output_dtypes():
    f = torch.fft
    assert f.fft(torch.arange(4)).dtype == torch.complex64
    assert f.fft(torch.tensor([True, False])).dtype == torch.complex64
    assert f.fft(torch.zeros(4, dtype=torch.float64)).dtype == torch.complex128
    assert f.rfft(torch.arange(4)).dtype == torch.complex64
    assert f.irfft(torch.arange(4)).dtype == torch.float32
    assert f.irfft(torch.zeros(4, dtype=torch.complex128)).dtype == torch.float64
    assert f.hfftn(torch.zeros(2, 3, dtype=torch.complex64)).dtype == torch.float32
    assert f.ihfft(torch.zeros(4, dtype=torch.float64)).dtype == torch.complex128
    _check(f.fft(torch.arange(4)), np.fft.fft(np.arange(4.0)), single=True)


def test_default_dtype_drives_integer_promotion():
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        assert torch.fft.fft(torch.arange(4)).dtype == torch.complex128
        assert torch.fft.irfft(torch.arange(4)).dtype == torch.float64
    finally:
        torch.set_default_dtype(previous)


@pytest.mark.parametrize("name", ["fft", "rfft", "irfft", "fftn", "ihfftn"])
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_reduced_precision_is_refused(name, dtype):
    with pytest.raises(NotImplementedError, match="Unsupported dtype " + {"float16": "Half"}.get(dtype, "BFloat16")):
        getattr(torch.fft, name)(torch.zeros(4, dtype=getattr(torch, dtype)))


def test_zero_dim_and_empty_inputs():
    scalar = torch.tensor(2.5)
    result = torch.fft.fftn(scalar)  # no dims to transform: the value as complex
    assert result.dtype == torch.complex64 and result.shape == () and result.item() == 2.5
    with pytest.raises(IndexError, match="Dimension specified as -1 but tensor has no dimensions"):
        torch.fft.fft(scalar)
    with pytest.raises(RuntimeError, match="rfftn must transform at least one axis"):
        torch.fft.rfftn(scalar)
    with pytest.raises(RuntimeError, match=r"Invalid number of data points \(0\) specified"):
        torch.fft.fft(torch.zeros(0))
    _check(torch.fft.fft(torch.zeros(0, dtype=torch.float64), n=3), np.zeros(3, np.complex128))
    assert torch.fft.fft(torch.zeros(0, 3)).shape == (0, 3)
    _check(torch.fft.irfft(torch.zeros(0, dtype=torch.complex128), n=4), np.zeros(4))
    assert torch.fft.rfft(torch.zeros(2, 0, 4)).shape == (2, 0, 3)


def test_empty_dims_convert_only():
    a = _input((2, 3), False)
    _check(torch.fft.fftn(_tensor(a), dim=()), a.astype(np.complex128))
    _check(torch.fft.ifftn(_tensor(a), s=()), a.astype(np.complex128))


def test_out_argument():
    a = _input((5,), False, np.float32)
    out = torch.zeros(5, dtype=torch.complex128)
    assert torch.fft.fft(_tensor(a), out=out) is out
    assert_close(out, np.fft.fft(a.astype(np.float64)), rtol=2e-5, atol=2e-5)  # computed in single
    real_out = torch.zeros(2, dtype=torch.float64)  # resized
    torch.fft.irfft(_tensor(np.fft.rfft(a)), out=real_out)
    assert real_out.shape == (4,)  # 2 * (3 - 1) points
    assert_close(real_out, np.fft.irfft(np.fft.rfft(a)).astype(np.float64), rtol=2e-5, atol=2e-5)


# ----------------------------------------------------------------------------- errors

def _errors():
    x, z = torch.zeros(4), torch.zeros(4, dtype=torch.complex64)
    f = torch.fft
    return [
        (lambda: f.fft(x, n=0), RuntimeError, r"Invalid number of data points \(0\) specified"),
        (lambda: f.fft(x, n=-1), RuntimeError, r"Invalid number of data points \(-1\) specified"),
        (lambda: f.irfft(torch.zeros(1, dtype=torch.complex64)), RuntimeError,
         r"Invalid number of data points \(0\) specified"),
        (lambda: f.irfft(torch.zeros(0, dtype=torch.complex64)), RuntimeError,
         r"Invalid number of data points \(-2\) specified"),
        (lambda: f.fft(x, n=2.0), TypeError, r"fft_fft\(\): argument 'n' must be int, not float"),
        (lambda: f.fft(x, n=True), TypeError, r"fft_fft\(\): argument 'n' must be int, not bool"),
        (lambda: f.fft(x, dim=0.0), TypeError, r"fft_fft\(\): argument 'dim' must be int, not float"),
        (lambda: f.fft(x, dim=1), IndexError, r"Dimension out of range \(expected to be in range of \[-1, 0\], "
                                              r"but got 1\)"),
        (lambda: f.fft(x, norm="xx"), RuntimeError, 'Invalid normalization mode: "xx"'),
        (lambda: f.fft(x, norm="Ortho"), RuntimeError, 'Invalid normalization mode: "Ortho"'),
        (lambda: f.fft(x, norm=1), TypeError, r"fft_fft\(\): argument 'norm' must be str, not int"),
        (lambda: f.irfft([1.0, 2.0]), TypeError, r"fft_irfft\(\): argument 'input' \(position 1\) must be Tensor, "
                                                 r"not list"),
        (lambda: f.rfft(z), TypeError, "rfft expects a real input tensor, but got ComplexFloat"),
        (lambda: f.ihfft(z), TypeError, "ihfft expects a real input tensor, but got ComplexFloat"),
        (lambda: f.rfft2(torch.zeros(2, 2, dtype=torch.complex128)), TypeError,
         "rfftn expects a real-valued input tensor, but got ComplexDouble"),
        (lambda: f.ihfftn(z), TypeError, "Only supports floating-point dtypes, but found: ComplexFloat"),
        (lambda: f.fft2(x), IndexError, r"Dimension out of range \(expected to be in range of \[-1, 0\], "
                                        r"but got -2\)"),
        (lambda: f.fft2(torch.zeros(3, 3), s=(2,)), RuntimeError,
         "When given, dim and shape arguments must have the same length"),
        (lambda: f.fftn(torch.zeros(3, 3), s=(2, 2, 2)), RuntimeError,
         r"Got shape with 3 values but input tensor only has 2 dimensions\."),
        (lambda: f.fftn(torch.zeros(3, 3), dim=(0, -2)), RuntimeError, "FFT dims must be unique"),
        (lambda: f.fftn(torch.zeros(3, 3), s=(0, 2)), RuntimeError, r"Invalid number of data points \(0\)"),
        (lambda: f.fftn(torch.zeros(3, 3), s=[2.0, 2]), TypeError,
         r"fft_fftn\(\): argument 's' must be tuple of ints, not list"),
        (lambda: f.fftn(torch.zeros(3, 3), dim="a"), TypeError,
         r"fft_fftn\(\): argument 'dim' must be tuple of ints, not str"),
        (lambda: f.irfftn(torch.zeros(3), dim=()), RuntimeError, "irfftn must transform at least one axis"),
        (lambda: f.hfftn(torch.zeros(3), dim=()), RuntimeError, "hfftn must transform at least one axis"),
        (lambda: f.fft(x, out=torch.zeros(4)), RuntimeError, "fft expects a complex output tensor, but got Float"),
        (lambda: f.ifft2(torch.zeros(2, 2), out=torch.zeros(4)), RuntimeError,
         "fftn expects a complex output tensor, but got Float"),
        (lambda: f.irfft(z, out=torch.zeros(6, dtype=torch.complex64)), RuntimeError,
         "irfft expects a floating point output tensor, but got ComplexFloat"),
        (lambda: f.hfft(z, out=torch.zeros(6, dtype=torch.int64)), RuntimeError,
         "hfft expects a floating point output tensor, but got Long"),
        (lambda: f.ihfftn(x, out=torch.zeros(3)), RuntimeError, "Found dtype ComplexFloat but expected Float"),
    ]


@pytest.mark.parametrize("case", range(len(_errors())))
def test_errors_match_pytorch(case):
    call, exc, message = _errors()[case]
    with pytest.raises(exc, match=message):
        call()


# ----------------------------------------------------------------------------- gradients

def _loss_weights(name, a, kwargs):
    """Random weights shaped like the reference output's real parts."""
    out = _reference(name)(a, **kwargs)
    rng = np.random.default_rng(7)
    shape = out.shape + ((2,) if np.iscomplexobj(out) else ())
    return rng.standard_normal(shape)


def _numpy_loss(name, a, kwargs, weights):
    """sum(w * y) + sum(y^2) / 2 over the real (and imaginary) parts of the reference output."""
    out = _reference(name)(a, **kwargs)
    parts = np.stack([out.real, out.imag], -1) if np.iscomplexobj(out) else out
    return float((weights * parts).sum() + 0.5 * (parts ** 2).sum())


def _ferrotorch_loss(name, t, kwargs, weights):
    out = getattr(torch.fft, name)(t, **kwargs)
    parts = out.view_as_real() if out.dtype.is_complex else out
    return (parts * torch.tensor(weights).to(parts.device)).sum() + 0.5 * (parts * parts).sum()


def _finite_difference_grad(name, a, kwargs, weights, eps=1e-6):
    """dL/da by central differences of the numpy reference (dL/dre + i dL/dim for complex a)."""
    return finite_difference_grad(lambda x: _numpy_loss(name, x, kwargs, weights), a, eps)


GRAD_CASES = [
    ("fft", True, {"n": 5}), ("fft", False, {"norm": "ortho"}), ("ifft", True, {"n": 3, "axis": 0}),
    ("rfft", False, {"n": 6}), ("irfft", True, {}), ("irfft", True, {"n": 5, "norm": "forward"}),
    ("hfft", True, {"n": 7}), ("ihfft", False, {"norm": "ortho"}), ("fft2", True, {"s": (3, 5), "axes": (0, 1)}),
    ("rfftn", False, {}), ("irfftn", True, {"s": (4, 6), "axes": (0, 1)}), ("hfft2", True, {}), ("ihfftn", False, {}),
]


def _torch_kwargs(kwargs):
    renamed = {"axis": "dim", "axes": "dim"}
    return {renamed.get(k, k): v for k, v in kwargs.items()}


@pytest.mark.parametrize("case", GRAD_CASES, ids=lambda c: f"{c[0]}-{'complex' if c[1] else 'real'}-{c[2]}")
def test_gradient_matches_finite_differences(case):
    name, complex_, kwargs = case
    a = _input((3, 4), complex_, seed=3)
    weights = _loss_weights(name, a, kwargs)
    t = _tensor(a).requires_grad_(True)
    _ferrotorch_loss(name, t, _torch_kwargs(kwargs), weights).backward()
    assert_close(t.grad, _finite_difference_grad(name, a, kwargs, weights), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("device", DEVICES)
def test_gradient_on_device(device):
    for name, complex_, kwargs in [("fft", True, {"n": 5}), ("irfft", True, {}), ("rfft2", False, {})]:
        a = _input((3, 4), complex_, seed=5)
        weights = _loss_weights(name, a, kwargs)
        t = _tensor(a, device).detach().requires_grad_(True)
        _ferrotorch_loss(name, t, kwargs, weights).backward()
        assert_close(_host(t.grad), _finite_difference_grad(name, a, kwargs, weights), rtol=1e-6, atol=1e-6)


def test_gradient_through_a_loss_of_the_magnitude():
    # d/dx sum |fft(x)|^2 = 2 n x (Parseval), an analytic check independent of numpy.
    a = _input((7,), False)
    t = _tensor(a).requires_grad_(True)
    (torch.fft.fft(t).abs() ** 2).sum().backward()
    assert_close(t.grad, 2 * 7 * a, rtol=1e-10, atol=1e-10)


# ----------------------------------------------------------------------------- long signals
# Longer signals take the fast paths (complex transforms above 128 points, real ones above
# 512): the four-step split for composite lengths (recursing for 4096 = 64 * 64), the
# half-length trick for even real transforms, a matrix product for primes below 1024 and
# Bluestein's convolution for primes from 1024 on (also as a factor: 2062 = 2 * 1031). The
# shorter lengths here check the matrix paths against the same references.

FAST_LENGTHS = [65, 97, 128, 256, 360, 512, 729, 1000, 1009, 1024, 2048, 2062, 4096, 4099]


def _check_relative(actual, expected, tol):
    """Largest error relative to the largest reference value, the scale an FFT's rounding has."""
    expected = np.asarray(expected)
    got = _host(actual).numpy()
    assert got.shape == expected.shape and np.iscomplexobj(got) == np.iscomplexobj(expected)
    assert np.abs(got - expected).max() <= tol * np.abs(expected).max()


@pytest.mark.parametrize("n", FAST_LENGTHS)
def test_long_signals_match_numpy(n):
    z, x = _input((2, n), True, seed=n), _input((2, n), False, seed=n + 1)
    for name, a, kwargs in [("fft", z, {}), ("ifft", z, {"norm": "ortho"}), ("fft", x, {"norm": "forward"}),
                            ("rfft", x, {}), ("ihfft", x, {}), ("irfft", z, {"n": n}), ("hfft", z, {"n": n}),
                            ("irfft", z[:, :n // 2 + 1], {})]:
        _check_relative(getattr(torch.fft, name)(_tensor(a), **kwargs), _reference(name)(a, **kwargs), 1e-13)


@pytest.mark.parametrize("n", [4096, 4099])
def test_long_signals_single_precision(n):
    z, x = _input((3, n), True, np.float32, seed=1), _input((3, n), False, np.float32, seed=2)
    for name, a in [("fft", z), ("ifft", z), ("rfft", x), ("irfft", z), ("hfft", z)]:
        got = getattr(torch.fft, name)(_tensor(a))
        assert got.dtype == (torch.float32 if name in REAL_OUTPUT else torch.complex64)
        _check_relative(got, _reference(name)(a.astype(np.result_type(a, np.float64))), 2e-6)


def test_long_signals_along_inner_dims_trimmed_and_padded():
    z, x = _input((360, 3), True, seed=4), _input((2, 1200, 3), False, seed=5)
    _check_relative(torch.fft.fft(_tensor(z), dim=0), np.fft.fft(z, axis=0), 1e-13)
    _check_relative(torch.fft.fft(_tensor(z), n=4096, dim=0), np.fft.fft(z, n=4096, axis=0), 1e-13)
    _check_relative(torch.fft.rfft(_tensor(x), n=1000, dim=1), np.fft.rfft(x, n=1000, axis=1), 1e-13)
    _check_relative(torch.fft.irfft(_tensor(z), n=1001, dim=0), np.fft.irfft(z, n=1001, axis=0), 1e-13)
    _check_relative(torch.fft.hfft(_tensor(z), n=718, dim=0), np.fft.hfft(z, n=718, axis=0), 1e-13)
    transposed = _input((3, 2048), True, seed=6).T
    _check_relative(torch.fft.ifft(_tensor(np.ascontiguousarray(z)).t(), dim=1), np.fft.ifft(z.T, axis=1), 1e-13)
    _check_relative(torch.fft.fft(_tensor(np.ascontiguousarray(transposed.T)).t(), dim=0),
                    np.fft.fft(transposed, axis=0), 1e-13)
    y = _input((2, 128, 130), True, seed=7)
    _check_relative(torch.fft.fft2(_tensor(y)), np.fft.fft2(y), 1e-13)
    _check_relative(torch.fft.irfftn(_tensor(y), s=(128, 256)), np.fft.irfftn(y, s=(128, 256), axes=(1, 2)), 1e-13)


LONG_GRAD_CASES = [("fft", True, 256, {}), ("ifft", True, 360, {"norm": "ortho"}), ("rfft", False, 1024, {}),
                   ("rfft", False, 729, {}), ("irfft", True, 520, {}), ("irfft", True, 300, {"n": 525}),
                   ("hfft", True, 300, {"n": 598, "norm": "forward"}), ("ihfft", False, 1031, {}),
                   ("fft", True, 1031, {"norm": "forward"}), ("fft", True, 200, {"n": 256}),
                   ("rfft", False, 1100, {"n": 1024})]


@pytest.mark.parametrize("case", LONG_GRAD_CASES, ids=lambda c: f"{c[0]}-{c[2]}-{c[3]}")
def test_long_signal_gradients_match_finite_differences(case):
    name, complex_, length, kwargs = case
    a = _input((1, length), complex_, seed=length)
    weights = _loss_weights(name, a, kwargs)
    t = _tensor(a).requires_grad_(True)
    _ferrotorch_loss(name, t, kwargs, weights).backward()
    # The loss is quadratic, so central differences are exact for any step: a wide one keeps
    # the rounding of the large sums out of the reference.
    assert_close(t.grad, _finite_difference_grad(name, a, kwargs, weights, eps=1e-2), rtol=1e-7, atol=1e-7)


@pytest.mark.parametrize("device", DEVICES)
def test_long_signals_on_device(device):
    z, x = _input((2, 360), True, np.float32, seed=8), _input((2, 1031), False, np.float32, seed=9)
    for name, a, kwargs in [("fft", z, {}), ("ifft", z, {"n": 256}), ("irfft", z, {}), ("hfft", z, {"n": 705}),
                            ("rfft", x, {}), ("fft", x, {"norm": "ortho"})]:
        got = getattr(torch.fft, name)(_tensor(a, device), **kwargs)
        assert got.device.type == torch.device(device).type
        _check_relative(got, _reference(name)(a.astype(np.result_type(a, np.float64)), **kwargs), 2e-6)
    for name, complex_, length, kwargs in [("fft", True, 256, {}), ("irfft", True, 300, {"n": 598})]:
        a = _input((1, length), complex_, seed=10)
        weights = _loss_weights(name, a, kwargs)
        t = _tensor(a, device).detach().requires_grad_(True)
        _ferrotorch_loss(name, t, kwargs, weights).backward()
        assert_close(_host(t.grad), _finite_difference_grad(name, a, kwargs, weights, eps=1e-2), rtol=1e-7,
                     atol=1e-7)
