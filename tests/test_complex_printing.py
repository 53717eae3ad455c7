"""repr/str of complex tensors match PyTorch's formatting.

The expected strings are what PyTorch 2.15 prints for the same values: the real parts and the
imaginary parts each get their own formatter (int/fixed/scientific mode and width), only the real
part is padded, and an element prints as `a+bj` / `a-bj`.
"""
import re

import numpy as np
import pytest

import ferrotorch as torch
from conftest import DEVICES
from ferrotorch._tensor_str import printoptions

nan, inf = float("nan"), float("inf")


def c64(values):
    return torch.tensor(np.array(values, dtype=np.complex64))


def c128(values):
    return torch.tensor(np.array(values, dtype=np.complex128))


CASES = {
    "integers": (lambda: c64([1 + 2j, 3 - 1j]), "tensor([1.+2.j, 3.-1.j])"),
    "integer real, fractional imaginary": (lambda: c64([1 + 2.5j, -3 - 0.1j]), "tensor([ 1.+2.5000j, -3.-0.1000j])"),
    "complex128 suffix": (lambda: c128([1 + 2.5j, -3 - 0.1j]),
                          "tensor([ 1.+2.5000j, -3.-0.1000j], dtype=torch.complex128)"),
    "0-d": (lambda: c64(1.5 - 2j), "tensor(1.5000-2.j)"),
    "0-d zero": (lambda: c64(0j), "tensor(0.+0.j)"),
    "0-d complex128": (lambda: c128(3 - 4j), "tensor(3.-4.j, dtype=torch.complex128)"),
    "empty": (lambda: c64([]), "tensor([], dtype=torch.complex64)"),
    "empty complex128": (lambda: c128([]), "tensor([], dtype=torch.complex128)"),
    "empty 2-d": (lambda: c64(np.zeros((0, 3))), "tensor([], size=(0, 3), dtype=torch.complex64)"),
    "empty 3-d complex128": (lambda: torch.zeros(2, 0, 3, dtype=torch.complex128),
                             "tensor([], size=(2, 0, 3), dtype=torch.complex128)"),
    "sci real part": (lambda: c64([1e-5 + 1j, 1e5 + 2j]), "tensor([1.0000e-05+1.j, 1.0000e+05+2.j])"),
    "sci imaginary part": (lambda: c64([1 + 1e-6j, 2 + 3e4j]), "tensor([1.+1.0000e-06j, 2.+3.0000e+04j])"),
    "large real part": (lambda: c64([1e9 + 1j, 1 - 1j]), "tensor([1.0000e+09+1.j, 1.0000e+00-1.j])"),
    "mixed magnitudes": (lambda: c64([123.456 + 0.001j, -0.5 + 1000j]),
                         "tensor([123.4560+1.0000e-03j,  -0.5000+1.0000e+03j])"),
    "tiny imaginary with zero": (lambda: c64([1 + 1e-10j, 2 + 0j]), "tensor([1.+1.0000e-10j, 2.+0.0000e+00j])"),
    "nan and inf parts": (lambda: c64([complex(nan, 1), complex(1, nan), complex(inf, -inf), complex(-inf, inf)]),
                          "tensor([nan+1.j, 1.+nanj, inf-infj, -inf+infj])"),
    "nan+nanj": (lambda: c64([complex(nan, nan), complex(-inf, 0.5)]), "tensor([nan+nanj, -inf+0.5000j])"),
    "negative zeros": (lambda: c64([complex(1, -0.0), complex(-0.0, 0.0)]), "tensor([1.-0.j, -0.+0.j])"),
    "all zeros": (lambda: c64(np.zeros(3)), "tensor([0.+0.j, 0.+0.j, 0.+0.j])"),
    "view with offset": (lambda: torch.ones(3, dtype=torch.complex64)[1:], "tensor([1.+0.j, 1.+0.j])"),
    "matrix": (lambda: c64(np.arange(12).reshape(3, 4) * (1 - 0.5j)),
               "tensor([[ 0.+0.0000j,  1.-0.5000j,  2.-1.0000j,  3.-1.5000j],\n"
               "        [ 4.-2.0000j,  5.-2.5000j,  6.-3.0000j,  7.-3.5000j],\n"
               "        [ 8.-4.0000j,  9.-4.5000j, 10.-5.0000j, 11.-5.5000j]])"),
    "transposed": (lambda: c64(np.arange(12).reshape(3, 4) + 2j).t(),
                   "tensor([[ 0.+2.j,  4.+2.j,  8.+2.j],\n"
                   "        [ 1.+2.j,  5.+2.j,  9.+2.j],\n"
                   "        [ 2.+2.j,  6.+2.j, 10.+2.j],\n"
                   "        [ 3.+2.j,  7.+2.j, 11.+2.j]])"),
    "3-d": (lambda: c64((np.arange(24).reshape(2, 3, 4) + 1j * np.arange(24).reshape(2, 3, 4)[::-1]) / 7),
            "tensor([[[0.0000+1.7143j, 0.1429+1.8571j, 0.2857+2.0000j, 0.4286+2.1429j],\n"
            "         [0.5714+2.2857j, 0.7143+2.4286j, 0.8571+2.5714j, 1.0000+2.7143j],\n"
            "         [1.1429+2.8571j, 1.2857+3.0000j, 1.4286+3.1429j, 1.5714+3.2857j]],\n\n"
            "        [[1.7143+0.0000j, 1.8571+0.1429j, 2.0000+0.2857j, 2.1429+0.4286j],\n"
            "         [2.2857+0.5714j, 2.4286+0.7143j, 2.5714+0.8571j, 2.7143+1.0000j],\n"
            "         [2.8571+1.1429j, 3.0000+1.2857j, 3.1429+1.4286j, 3.2857+1.5714j]]])"),
    "line wrap": (lambda: c64(np.linspace(-5, 5, 20) + 1j * np.linspace(3, -3, 20)),
                  "tensor([-5.0000+3.0000j, -4.4737+2.6842j, -3.9474+2.3684j, -3.4211+2.0526j,\n"
                  "        -2.8947+1.7368j, -2.3684+1.4211j, -1.8421+1.1053j, -1.3158+0.7895j,\n"
                  "        -0.7895+0.4737j, -0.2632+0.1579j,  0.2632-0.1579j,  0.7895-0.4737j,\n"
                  "         1.3158-0.7895j,  1.8421-1.1053j,  2.3684-1.4211j,  2.8947-1.7368j,\n"
                  "         3.4211-2.0526j,  3.9474-2.3684j,  4.4737-2.6842j,  5.0000-3.0000j])"),
    "random normal": (lambda: c64(np.random.RandomState(0).randn(4, 3) + 1j * np.random.RandomState(1).randn(4, 3)),
                      "tensor([[ 1.7641+1.6243j,  0.4002-0.6118j,  0.9787-0.5282j],\n"
                      "        [ 2.2409-1.0730j,  1.8676+0.8654j, -0.9773-2.3015j],\n"
                      "        [ 0.9501+1.7448j, -0.1514-0.7612j, -0.1032+0.3190j],\n"
                      "        [ 0.4106-0.2494j,  0.1440+1.4621j,  1.4543-2.0601j]])"),
    "sci imaginary, complex128 matrix": (lambda: c128([[2 - 3.5j, 1e-3j, 7 + 0j]]),
                                         "tensor([[2.-3.5000e+00j, 0.+1.0000e-03j, 7.+0.0000e+00j]],\n"
                                         "       dtype=torch.complex128)"),
    "requires_grad": (lambda: torch.tensor(np.array([1 + 1j, 2 - 2j], np.complex64), requires_grad=True),
                      "tensor([1.+1.j, 2.-2.j], requires_grad=True)"),
    "Parameter": (lambda: torch.nn.Parameter(c64([1 + 1j, 2.5 - 1j])),
                  "Parameter containing:\ntensor([1.0000+1.j, 2.5000-1.j], requires_grad=True)"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_repr_matches_pytorch(name):
    make, expected = CASES[name]
    assert repr(make()) == expected
    assert str(make()) == expected


def test_summarised_1d():
    r = repr(c64(np.arange(2000) + 1j * np.arange(2000) / 3))
    assert r == ("tensor([0.0000e+00+0.0000e+00j, 1.0000e+00+3.3333e-01j, 2.0000e+00+6.6667e-01j,\n"
                 "         ..., 1.9970e+03+6.6567e+02j, 1.9980e+03+6.6600e+02j,\n"
                 "        1.9990e+03+6.6633e+02j])")


def test_summarised_2d():
    r = repr(c64((np.arange(3000).reshape(50, 60) - 1j * np.arange(3000).reshape(50, 60)) / 11))
    lines = r.split("\n")
    assert lines[:3] == ["tensor([[0.0000e+00+0.0000e+00j, 9.0909e-02-9.0909e-02j, 1.8182e-01-1.8182e-01j,",
                         "          ..., 5.1818e+00-5.1818e+00j, 5.2727e+00-5.2727e+00j,",
                         "         5.3636e+00-5.3636e+00j],"]
    assert lines[9] == "        ...,"
    assert lines[-3:] == ["        [2.6727e+02-2.6727e+02j, 2.6736e+02-2.6736e+02j, 2.6745e+02-2.6745e+02j,",
                          "          ..., 2.7245e+02-2.7245e+02j, 2.7255e+02-2.7255e+02j,",
                          "         2.7264e+02-2.7264e+02j]])"]
    assert len(lines) == 19


PRINTOPTION_CASES = {
    "precision 2": (dict(precision=2), lambda: c64([1.23456 + 2.34567j, -1 - 1j / 3]),
                    "tensor([ 1.23+2.35j, -1.00-0.33j])"),
    "sci_mode on": (dict(sci_mode=True), lambda: c64([1 + 2j, 3 - 1j]),
                    "tensor([1.0000e+00+2.0000e+00j, 3.0000e+00-1.0000e+00j])"),
    "sci_mode off": (dict(sci_mode=False), lambda: c64([1e-5 + 1j, 1e5 + 2j]),
                     "tensor([     0.0000+1.j, 100000.0000+2.j])"),
    "sci_mode off, precision 1": (dict(precision=1, sci_mode=False), lambda: c64([1.25 + 1e-7j, 1e6 - 3.5j]),
                                  "tensor([      1.2+0.0j, 1000000.0-3.5j])"),
    "threshold": (dict(threshold=5), lambda: c64(np.arange(10) * 1j + 1),
                  "tensor([1.+0.j, 1.+1.j, 1.+2.j,  ..., 1.+7.j, 1.+8.j, 1.+9.j])"),
    "edgeitems 0": (dict(threshold=5, edgeitems=0), lambda: c64(np.arange(10) * 1j + 1),
                    "tensor([...], size=(10,))"),
    "linewidth 40": (dict(linewidth=40), lambda: c64(np.arange(10) * (1 + 1j) / 3),
                     "tensor([0.0000+0.0000j, 0.3333+0.3333j,\n"
                     "        0.6667+0.6667j, 1.0000+1.0000j,\n"
                     "        1.3333+1.3333j, 1.6667+1.6667j,\n"
                     "        2.0000+2.0000j, 2.3333+2.3333j,\n"
                     "        2.6667+2.6667j, 3.0000+3.0000j])"),
    "short profile": (dict(profile="short"), lambda: c64(np.arange(10).reshape(2, 5) * (1 + 1j) / 3),
                      "tensor([[0.00+0.00j, 0.33+0.33j, 0.67+0.67j, 1.00+1.00j, 1.33+1.33j],\n"
                      "        [1.67+1.67j, 2.00+2.00j, 2.33+2.33j, 2.67+2.67j, 3.00+3.00j]])"),
}


@pytest.mark.parametrize("name", list(PRINTOPTION_CASES))
def test_print_options(name):
    options, make, expected = PRINTOPTION_CASES[name]
    with printoptions(**options):
        assert repr(make()) == expected
    # (the option is restored: the default formatting comes back)
    assert repr(c64([1.23456 + 2j])) == "tensor([1.2346+2.j])"


def test_dtype_suffix_follows_the_default_dtype():
    # complex128 is implied when the default dtype is float64, complex64 otherwise; an empty tensor
    # names any dtype other than the default (real) one.
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        assert repr(c64([1 + 2j])) == "tensor([1.+2.j], dtype=torch.complex64)"
        assert repr(c128([1 + 2j])) == "tensor([1.+2.j])"
        assert repr(c64([])) == "tensor([], dtype=torch.complex64)"
        assert repr(c128([])) == "tensor([], dtype=torch.complex128)"
    finally:
        torch.set_default_dtype(old)
    assert repr(c128([1 + 2j])) == "tensor([1.+2.j], dtype=torch.complex128)"


def test_grad_fn_suffix():
    # PyTorch names the node of the last op (MulBackward0 / SumBackward0); ferrotorch builds
    # complex ops from real ones, so only the suffix's form is checked here.
    z = torch.tensor(np.array([1 + 1j, 2 - 2j], np.complex64), requires_grad=True)
    assert re.fullmatch(r"tensor\(\[2\.\+2\.j, 4\.-4\.j\], grad_fn=<\w+Backward\d>\)", repr(z * 2))
    assert re.fullmatch(r"tensor\(6\.-2\.j, grad_fn=<\w+Backward\d>\)", repr((z * 2).sum()))


@pytest.mark.parametrize("device", DEVICES)
def test_device_suffix(device):
    z = torch.tensor(np.array([1 + 2.5j, -3 - 0.1j], np.complex64), device=device)
    suffix = "" if device == "cpu" else f", device='{z.device}'"
    assert repr(z) == f"tensor([ 1.+2.5000j, -3.-0.1000j]{suffix})"
    w = torch.tensor(np.arange(12).reshape(3, 4).astype(np.complex128) * (1 + 1j), device=device).t()
    assert repr(w) == ("tensor([[ 0.+0.j,  4.+4.j,  8.+8.j],\n"
                       "        [ 1.+1.j,  5.+5.j,  9.+9.j],\n"
                       "        [ 2.+2.j,  6.+6.j, 10.+10.j],\n"
                       f"        [ 3.+3.j,  7.+7.j, 11.+11.j]]{suffix}, dtype=torch.complex128)")
    leaf = torch.tensor(np.array([1 + 1j], np.complex64), device=device, requires_grad=True)
    assert repr(leaf) == f"tensor([1.+1.j]{suffix}, requires_grad=True)"
