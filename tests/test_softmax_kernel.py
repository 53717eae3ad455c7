"""The fused softmax / log-softmax (src/ops/softmax.rs, CPU) against numpy in float64, on every
dim and layout, with its special values, dtypes, graph names and double backward; GPU tensors
take the composed path and must agree with it. The op registry covers the common cases too."""
import numpy as np
import pytest

import ferrotorch as torch
import ferrotorch.nn.functional as F
from conftest import assert_close, from_numpy, to_numpy

RNG = np.random.default_rng(7)


def softmax_ref(a, dim, log):
    m = np.max(a, axis=dim, keepdims=True, initial=-np.inf)
    e = np.exp(a - m)
    s = e.sum(axis=dim, keepdims=True)
    with np.errstate(divide="ignore"):  # an empty dim sums to 0
        return (a - m - np.log(s)) if log else e / s


def softmax_grad_ref(a, g, dim, log):
    y = softmax_ref(a, dim, log)
    if log:
        return g - np.exp(y) * g.sum(axis=dim, keepdims=True)
    return y * (g - (g * y).sum(axis=dim, keepdims=True))


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("shape,dim", [((7,), 0), ((3, 5), 1), ((3, 5), 0), ((2, 3, 4), 1), ((2, 3, 4), -1),
                                       ((4, 1, 3), 1), ((), 0), ((0, 3), 1), ((3, 0), 1), ((2, 70000), 1)])
def test_matches_numpy_forward_and_backward(device, shape, dim, log):
    a = RNG.standard_normal(shape) * 3
    g = RNG.standard_normal(shape)
    x = from_numpy(a).to(device).requires_grad_()
    y = F.log_softmax(x, dim) if log else F.softmax(x, dim)
    d = dim if len(shape) else None
    expected = softmax_ref(a, d, log) if len(shape) else (np.zeros(()) if log else np.ones(()))
    assert_close(y.detach().cpu(), expected, rtol=1e-10, atol=1e-12)
    y.backward(from_numpy(g).to(device))
    expected_grad = softmax_grad_ref(a, g, d, log) if len(shape) else np.zeros(())
    assert_close(x.grad.cpu(), expected_grad, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("log", [False, True])
def test_strided_inputs_and_gradients(device, log):
    # A transposed input, softmax along its non-contiguous dim, and a broadcast gradient.
    a = RNG.standard_normal((6, 4))
    x = from_numpy(a).to(device).t().requires_grad_()
    y = F.log_softmax(x, 1) if log else F.softmax(x, 1)
    assert_close(y.detach().cpu(), softmax_ref(a.T, 1, log), rtol=1e-10, atol=1e-12)
    g = torch.ones(1, 6, dtype=torch.float64, device=device).expand(4, 6)
    y.backward(g)
    assert_close(x.grad.cpu(), softmax_grad_ref(a.T, np.ones((4, 6)), 1, log), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("dtype,rtol", [("float32", 1e-5), ("float16", 2e-3), ("bfloat16", 2e-2)])
def test_float_dtypes_keep_their_dtype(device, dtype, rtol):
    if dtype == "bfloat16" and device == "gpu":
        pytest.skip("bfloat16 tensors are CPU-only")
    a = RNG.standard_normal((5, 9))
    x = from_numpy(a, dtype).to(device).requires_grad_()
    for log in (False, True):
        y = F.log_softmax(x, 1) if log else F.softmax(x, 1)
        assert y.dtype == getattr(torch, dtype)
        ref = softmax_ref(to_numpy(x.cpu()).astype(np.float64), 1, log)
        np.testing.assert_allclose(to_numpy(y.cpu()).astype(np.float64), ref, rtol=rtol, atol=rtol)
        (grad,) = torch.autograd.grad(y.sum(), x)
        assert grad.dtype == getattr(torch, dtype)
        ref_grad = softmax_grad_ref(to_numpy(x.cpu()).astype(np.float64), np.ones((5, 9)), 1, log)
        np.testing.assert_allclose(to_numpy(grad.cpu()).astype(np.float64), ref_grad, rtol=rtol, atol=5 * rtol)


def test_special_values_follow_pytorch(device):
    # Values printed by PyTorch 2.15: an infinite maximum or a NaN makes the whole row NaN, and
    # -inf entries get probability 0 (log-probability -inf).
    inf, nan = float("inf"), float("nan")
    rows = [[inf, 1.0], [-inf, -inf], [nan, 1.0], [-inf, 1.0], [inf, inf], [1000.0, 0.0]]
    x = torch.tensor(rows, dtype=torch.float64, device=device)
    expected = [[nan, nan], [nan, nan], [nan, nan], [0.0, 1.0], [nan, nan], [1.0, 0.0]]
    expected_log = [[nan, nan], [nan, nan], [nan, nan], [-inf, 0.0], [nan, nan], [0.0, -1000.0]]
    assert_close(F.softmax(x, 1).cpu(), np.array(expected))
    assert_close(F.log_softmax(x, 1).cpu(), np.array(expected_log))


def test_graph_nodes_have_pytorchs_names_and_double_backward_works():
    x = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    assert F.softmax(x, 1).grad_fn.name() == "SoftmaxBackward0"
    assert F.log_softmax(x, 0).grad_fn.name() == "LogSoftmaxBackward0"
    assert x.softmax(-1).grad_fn.name() == "SoftmaxBackward0"
    assert torch.autograd.gradgradcheck(lambda t: F.softmax(t, 1), (x,))
    assert torch.autograd.gradgradcheck(lambda t: F.log_softmax(t, 0), (x,))


def test_gradient_reaches_through_other_uses_of_the_output():
    # The saved output is the one the user holds: using it again adds its own gradient.
    a = RNG.standard_normal((2, 5))
    x = from_numpy(a).requires_grad_()
    y = F.softmax(x, 1)
    (y * y).sum().backward()
    assert_close(x.grad, softmax_grad_ref(a, 2 * softmax_ref(a, 1, False), 1, False), rtol=1e-9, atol=1e-12)


def test_errors_match_pytorch():
    x = torch.randn(2, 3)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        F.softmax(x, 2)
    with pytest.raises(NotImplementedError, match="\"softmax_lastdim_kernel_impl\" not implemented for 'Long'"):
        F.softmax(torch.tensor([1, 2]), 0)
    # An integer input with a float dtype is fine.
    assert_close(F.softmax(torch.tensor([0, 0]), 0, dtype=torch.float64), np.array([0.5, 0.5]))


def test_in_place_change_of_the_output_is_detected():
    x = torch.randn(4, requires_grad=True)
    y = F.softmax(x, 0)
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
