"""nn.utils: clip_grad_norm_ / clip_grad_value_ against numpy, parameters_to_vector / vector_to_parameters."""
import math

import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch import nn
from ferrotorch.nn import utils


def _params_with_grads(dtype, seed=0):
    rng = np.random.default_rng(seed)
    gs = [rng.standard_normal((3, 2)), rng.standard_normal(4), rng.standard_normal(())]
    tdt = getattr(torch, dtype)
    ps = [nn.Parameter(torch.zeros(g.shape, dtype=tdt)) for g in gs]
    ps[0].grad = torch.tensor(np.ascontiguousarray(gs[0].T), dtype=tdt).T  # non-contiguous grad
    ps[1].grad = torch.tensor(gs[1], dtype=tdt)
    ps[2].grad = torch.tensor(gs[2], dtype=tdt)  # 0-d
    ps.append(nn.Parameter(torch.ones(2, dtype=tdt)))  # no grad: ignored
    return ps, gs


def _np_norm(gs, p):
    flat = np.concatenate([np.ravel(g) for g in gs])
    return np.abs(flat).max() if math.isinf(p) else (np.abs(flat) ** p).sum() ** (1 / p)


@pytest.mark.parametrize("dtype,rtol", [("float32", 1e-5), ("float64", 1e-12)])
@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_numpy(dtype, rtol, norm_type, max_norm):
    ps, gs = _params_with_grads(dtype)
    total = utils.clip_grad_norm_(ps, max_norm, norm_type=norm_type)
    ref = _np_norm(gs, norm_type)
    assert isinstance(total, torch.Tensor) and total.shape == () and total.dtype == getattr(torch, dtype)
    np.testing.assert_allclose(total.item(), ref, rtol=rtol)
    coef = min(1.0, max_norm / (ref + 1e-6))
    for p, g in zip(ps, gs):
        np.testing.assert_allclose(p.grad.numpy(), g * coef, rtol=rtol, atol=1e-7)
    assert ps[3].grad is None
    if max_norm < ref:  # clipped grads now have norm max_norm (up to the 1e-6 guard)
        np.testing.assert_allclose(_np_norm([p.grad.numpy() for p in ps[:3]], norm_type), max_norm, rtol=1e-5)


def test_clip_grad_norm_input_forms_and_nonfinite():
    p = nn.Parameter(torch.zeros(2))
    p.grad = torch.tensor([3.0, 4.0])
    assert utils.clip_grad_norm_(p, 1.0).item() == 5.0  # a single tensor
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8], rtol=1e-5)
    m = nn.Linear(3, 2)
    (m(torch.ones(1, 3)).sum() * 10).backward()
    before = _np_norm([q.grad.numpy() for q in m.parameters()], 2)
    assert utils.clip_grad_norm_(m.parameters(), 1.0).item() == pytest.approx(before, rel=1e-5)  # a generator
    assert _np_norm([q.grad.numpy() for q in m.parameters()], 2) == pytest.approx(1.0, rel=1e-4)
    empty = utils.clip_grad_norm_([nn.Parameter(torch.ones(1))], 1.0)
    assert empty.item() == 0.0 and empty.shape == ()
    p.grad = torch.tensor([float("nan"), 1.0])
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from `parameters` is non-finite"):
        utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    p.grad = torch.tensor([float("inf"), 1.0])
    assert math.isinf(utils.clip_grad_norm_([p], 1.0).item())  # allowed by default
    with pytest.warns(FutureWarning, match="clip_grad_norm` is now deprecated"):
        utils.clip_grad_norm([p], 1.0)


def test_get_total_norm_and_clip_with_norm():
    ps, gs = _params_with_grads("float64")
    total = utils.get_total_norm([p.grad for p in ps[:3]], norm_type=2)
    np.testing.assert_allclose(total.item(), _np_norm(gs, 2), rtol=1e-12)
    utils.clip_grads_with_norm_(ps, 1.0, total)
    np.testing.assert_allclose(ps[1].grad.numpy(), gs[1] / (_np_norm(gs, 2) + 1e-6), rtol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_clip_grad_value(dtype):
    ps, gs = _params_with_grads(dtype, seed=3)
    assert utils.clip_grad_value_(ps, 0.5) is None
    for p, g in zip(ps, gs):
        np.testing.assert_allclose(p.grad.numpy(), np.clip(g, -0.5, 0.5).astype(dtype))
    assert ps[3].grad is None
    p = nn.Parameter(torch.zeros(3))
    p.grad = torch.tensor([-2.0, 0.1, 7.0])
    utils.clip_grad_value_(p, 1)
    assert p.grad.tolist() == pytest.approx([-1.0, 0.1, 1.0])


def test_parameters_to_vector_and_back():
    m = nn.Linear(3, 2, dtype=torch.float64)
    ws = [q.detach().numpy().copy() for q in m.parameters()]
    vec = utils.parameters_to_vector(m.parameters())
    assert vec.shape == (8,) and vec.dtype == torch.float64
    np.testing.assert_array_equal(vec.detach().numpy(), np.concatenate([w.ravel() for w in ws]))
    # It is a differentiable copy: grads flow back into each parameter's shape.
    (vec * torch.arange(8, dtype=torch.float64)).sum().backward()
    np.testing.assert_array_equal(m.weight.grad.numpy(), np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(m.bias.grad.numpy(), [6.0, 7.0])

    new = torch.arange(8, dtype=torch.float64) * 0.5
    utils.vector_to_parameters(new, m.parameters())
    np.testing.assert_array_equal(m.weight.detach().numpy(), np.arange(6).reshape(2, 3) * 0.5)
    np.testing.assert_array_equal(m.bias.detach().numpy(), [3.0, 3.5])
    assert isinstance(m.weight, nn.Parameter) and m.weight.requires_grad
    out = m(torch.ones(1, 3, dtype=torch.float64))
    np.testing.assert_allclose(out.detach().numpy(), [[0 + 0.5 + 1 + 3.0, 1.5 + 2 + 2.5 + 3.5]])
    with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
        utils.vector_to_parameters([1.0, 2.0], m.parameters())
