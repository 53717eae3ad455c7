"""The CPU transform kernels (`src/ops/fft/`) path by path: every length from 1 to 40 (radix 2,
3 and 4 passes, the direct passes of other primes), primes around the Bluestein bound, lengths
with a large prime factor, odd and even real transforms; both precisions; their autograd nodes
(PyTorch's names, double backward); non-finite inputs; and the GPU's composed transforms against
the CPU kernels."""
import numpy as np
import pytest

import ferrotorch as torch
from conftest import DEVICES, requires_gpu
from test_fft import _check_relative, _host, _input, _reference, _tensor

LENGTHS = list(range(1, 41)) + [49, 61, 64, 67, 121, 2 * 67, 3 * 71, 243, 625, 1152]


@pytest.mark.parametrize("n", LENGTHS)
def test_complex_transforms_of_every_length(n):
    z = _input((3, n), True, seed=n)
    for name, kwargs in [("fft", {}), ("ifft", {}), ("fft", {"norm": "ortho"}), ("ifft", {"norm": "forward"})]:
        _check_relative(torch.fft.fft(_tensor(z), **kwargs) if name == "fft" else torch.fft.ifft(_tensor(z), **kwargs),
                        _reference(name)(z, **kwargs), 1e-13)


@pytest.mark.parametrize("n", LENGTHS)
def test_real_transforms_of_every_length(n):
    x, z = _input((2, n), False, seed=n), _input((2, n // 2 + 1), True, seed=n + 1)
    for name, a, kwargs in [("rfft", x, {}), ("ihfft", x, {}), ("fft", x, {}), ("irfft", z, {"n": n}),
                            ("hfft", z, {"n": n, "norm": "ortho"})]:
        _check_relative(getattr(torch.fft, name)(_tensor(a), **kwargs), _reference(name)(a, **kwargs), 1e-13)


@pytest.mark.parametrize("n", [30, 67, 1024, 2 * 67 * 3])
def test_single_precision_kernels(n):
    z, x = _input((4, n), True, np.float32, seed=n), _input((4, n), False, np.float32, seed=n)
    for name, a in [("fft", z), ("ifft", z), ("rfft", x), ("irfft", z), ("hfft", z), ("fft", x)]:
        got = getattr(torch.fft, name)(_tensor(a))
        assert got.dtype in (torch.float32, torch.complex64)
        _check_relative(got, _reference(name)(a.astype(np.result_type(a, np.float64))), 3e-6)


def test_trimming_and_padding_along_a_middle_dim():
    z, x = _input((2, 10, 3), True, seed=1), _input((2, 9, 3), False, seed=2)
    for n in (4, 10, 17):
        _check_relative(torch.fft.fft(_tensor(z), n=n, dim=1), np.fft.fft(z, n=n, axis=1), 1e-13)
        _check_relative(torch.fft.rfft(_tensor(x), n=n, dim=1), np.fft.rfft(x, n=n, axis=1), 1e-13)
        _check_relative(torch.fft.irfft(_tensor(z), n=n, dim=1), np.fft.irfft(z, n=n, axis=1), 1e-13)


def test_output_keeps_the_transformed_dim_innermost():
    # as PyTorch's CPU transforms lay their results out
    out = torch.fft.fft(torch.zeros(4, 6, dtype=torch.complex64), dim=0)
    assert out.shape == (4, 6) and out.stride() == (1, 4)


def test_empty_batches():
    assert torch.fft.fft(torch.zeros(0, 8, dtype=torch.complex64)).shape == (0, 8)
    assert torch.fft.rfft(torch.zeros(3, 0), n=4).tolist() == [[0j, 0j, 0j]] * 3
    assert torch.fft.irfft(torch.zeros(0, 5, dtype=torch.complex128)).shape == (0, 8)


def test_non_finite_inputs_match_numpy():
    # An infinity among finite values gives NaNs where the algorithm adds inf and -inf, which
    # depends on its order of operations (numpy and PyTorch differ there); these cases do not.
    for a in ([np.inf, 0, 0, 0], [np.nan, 1, 2, 3], [0, 0, np.inf, 0, 0, 0, 0, 0]):
        a = np.array(a, dtype=np.complex128)
        got = torch.fft.fft(_tensor(a)).numpy()
        with np.errstate(invalid="ignore"):
            want = np.fft.fft(a)
        assert np.array_equal(np.isnan(got), np.isnan(want)) and np.array_equal(np.isinf(got), np.isinf(want))


@pytest.mark.parametrize("name,complex_,node", [
    ("fft", True, "FftC2CBackward0"), ("fft", False, "FftR2CBackward0"), ("rfft", False, "FftR2CBackward0"),
    ("irfft", True, "FftC2RBackward0"), ("hfft", True, "FftC2RBackward0"), ("ifft", True, "FftC2CBackward0")])
def test_backward_nodes_have_pytorchs_names(name, complex_, node):
    t = _tensor(_input((6,), complex_)).requires_grad_(True)
    assert getattr(torch.fft, name)(t).grad_fn.name() == node


@pytest.mark.parametrize("name,complex_,kwargs", [
    ("fft", True, {"n": 7}), ("rfft", False, {"n": 6}), ("irfft", True, {"n": 9}), ("hfft", True, {}),
    ("ihfft", False, {"norm": "ortho"}), ("fft2", True, {"s": (3, 5)}), ("irfftn", True, {})])
def test_second_derivatives(name, complex_, kwargs):
    # the transforms are linear, so a nonlinear loss on top is what has second derivatives
    def f(t):
        out = getattr(torch.fft, name)(t, **kwargs)
        parts = out.view_as_real() if out.dtype.is_complex else out
        return (parts ** 3).sum()
    t = _tensor(_input((4, 5), complex_, seed=2)).requires_grad_(True)
    assert torch.autograd.gradgradcheck(f, (t,))


@pytest.mark.parametrize("device", DEVICES)
def test_gradient_of_a_real_part_only_loss(device):
    # a loss of the real parts only: .real's backward hands the transform a complex gradient
    # with zero imaginary parts, and the result has a closed form
    a = _input((2, 12), True, seed=4)
    t = _tensor(a, device).detach().requires_grad_(True)
    torch.fft.fft(t).real.sum().backward()
    # d/dz of sum_k Re(sum_j z_j w^jk) is conj of sum_k w^jk: n at j = 0, else 0
    expected = np.zeros_like(a)
    expected[:, 0] = 12
    np.testing.assert_allclose(_host(t.grad).numpy(), expected, atol=1e-12)


@requires_gpu
@pytest.mark.parametrize("n", [5, 64, 67, 360])
def test_gpu_composition_matches_cpu_kernels(n):
    z, x = _input((2, n), True, np.float32, seed=n), _input((2, n), False, np.float32, seed=n)
    for name, a in [("fft", z), ("ifft", z), ("rfft", x), ("irfft", z), ("hfft", z)]:
        cpu = getattr(torch.fft, name)(_tensor(a))
        gpu = getattr(torch.fft, name)(_tensor(a, "gpu"))
        _check_relative(gpu, _host(cpu).numpy(), 3e-6)
