"""In-place Tensor methods of `_inplace_extras.py`: clamp_min_/clamp_max_/float_power_/true_divide_
against numpy, and the shape-changing ones (t_, transpose_, swapaxes_, swapdims_, squeeze_,
unsqueeze_, as_strided_) against numpy views: values, shared memory, autograd, PyTorch's errors."""
import numpy as np
import pytest

import ferrotorch as torch
import ferrotorch._inplace_extras  # noqa: F401  (attaches the methods until the package imports it)
from conftest import assert_close, from_numpy, to_numpy

rng = np.random.default_rng(7)


def _close(actual, expected, **kw):
    assert_close(actual.cpu(), expected, **kw)


def _on(a, device, dtype=None):
    return from_numpy(a, dtype).to(device)


# ---------------------------------------------------------------- value ops

@pytest.mark.parametrize("name,ref", [("clamp_min_", np.maximum), ("clamp_max_", np.minimum)])
def test_clamp_min_max_(device, name, ref):
    a = rng.standard_normal((3, 4)).astype(np.float32)
    xt = _on(a, device).t()  # non-contiguous view; the op writes through it
    assert not xt.is_contiguous()
    out = getattr(xt, name)(0.25)
    assert out is xt
    _close(xt, ref(a.T, 0.25))
    # a broadcast tensor bound
    bound = rng.standard_normal(4).astype(np.float32)
    y = _on(a, device)
    getattr(y, name)(_on(bound, device))
    _close(y, ref(a, bound))


@pytest.mark.parametrize("name", ["clamp_min_", "clamp_max_"])
def test_clamp_min_max_grad_and_errors(device, name):
    a = _on(rng.standard_normal((2, 3)), device).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda v: getattr(v * 1, name)(0.1), (a,))
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        getattr(a, name)(0.0)
    i = torch.tensor([1, 2, 3], device=device)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        getattr(i, name)(1.5)
    getattr(i, name)(2)
    assert i.tolist() == ([2, 2, 3] if name == "clamp_min_" else [1, 2, 2])


def test_float_power_(device):
    a = rng.uniform(0.5, 2.0, (3, 2))
    x = _on(a, device).t()
    assert x.float_power_(1.5) is x
    _close(x, a.T ** 1.5)
    e = rng.uniform(-1, 2, 2).astype(np.float32)  # float32 exponent: computed in float64 anyway
    y = _on(a, device)
    y.float_power_(_on(e, device))
    _close(y, a ** e.astype(np.float64), rtol=1e-12)
    z = torch.tensor(2.0, dtype=torch.float64, device=device)
    z.float_power_(3)
    assert z.item() == 8.0
    with pytest.raises(RuntimeError, match="the base given to float_power_ has dtype Float but the operation's "
                                           "result requires dtype Double"):
        torch.ones(2, device=device).float_power_(2)
    b = _on(rng.uniform(0.5, 2.0, (2, 2)), device).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda v: (v * 1).float_power_(2.5), (b,))


def test_true_divide_(device):
    a = rng.standard_normal((2, 3)).astype(np.float32)
    d = rng.uniform(1, 2, 3).astype(np.float32)
    x = _on(a, device)
    assert x.true_divide_(_on(d, device)) is x
    _close(x, a / d)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        torch.tensor([3, 4], device=device).true_divide_(2)
    b = _on(rng.standard_normal(3), device).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda v: (v * 1).true_divide_(1.7), (b,))


# ---------------------------------------------------------------- shape ops

SHAPE_CASES = [
    ("t_", (), (2, 3), lambda a: a.T),
    ("t_", (), (4,), lambda a: a),
    ("t_", (), (), lambda a: a),
    ("t_", (), (0, 3), lambda a: a.T),
    ("transpose_", (0, -1), (2, 3, 4), lambda a: np.swapaxes(a, 0, -1)),
    ("swapaxes_", (1, 2), (2, 3, 4), lambda a: np.swapaxes(a, 1, 2)),
    ("swapdims_", (-1, -2), (2, 3), lambda a: np.swapaxes(a, -1, -2)),
    ("squeeze_", (), (1, 3, 1, 2), np.squeeze),
    ("squeeze_", (2,), (1, 3, 1, 2), lambda a: np.squeeze(a, 2)),
    ("squeeze_", (1,), (1, 3, 1, 2), lambda a: a),  # a dim that is not 1 is kept
    ("squeeze_", ((0, 2),), (1, 3, 1, 2), lambda a: np.squeeze(a, (0, 2))),
    ("squeeze_", (), (), lambda a: a),
    ("unsqueeze_", (0,), (), lambda a: a[None]),
    ("unsqueeze_", (-1,), (2, 3), lambda a: a[..., None]),
    ("unsqueeze_", (1,), (0, 2), lambda a: a[:, None]),
]


@pytest.mark.parametrize("name,args,shape,ref", SHAPE_CASES, ids=lambda v: repr(v) if not callable(v) else "")
def test_shape_op_values_and_aliasing(device, name, args, shape, ref):
    a = np.array(rng.standard_normal(shape), order="C")
    x = _on(a, device, "float32")
    alias = x.view(x.shape)  # another tensor over the same memory, taken before the call
    assert getattr(x, name)(*args) is x
    expected = ref(a.astype(np.float32))
    _close(x, expected)
    # The view's strides are numpy's (size-1 dims aside, where any stride addresses the same element).
    if x.numel() > 0:
        assert [st for st, n in zip(x.stride(), x.shape) if n > 1] == \
            [st // 4 for st, n in zip(expected.strides, expected.shape) if n > 1]
    # Still the same memory: a write through x shows through the alias taken before.
    x.mul_(2)
    _close(alias, 2 * a.astype(np.float32))


def test_shape_op_on_non_contiguous(device):
    a = rng.standard_normal((3, 1, 4)).astype(np.float32)
    x = _on(a, device).permute(2, 1, 0)  # (4, 1, 3), non-contiguous
    x.squeeze_(1).t_()
    _close(x, a.transpose(2, 1, 0).squeeze(1).T)
    x.unsqueeze_(0).transpose_(0, 2)
    _close(x, np.swapaxes(a.transpose(2, 1, 0).squeeze(1).T[None], 0, 2))


def test_as_strided_(device):
    a = np.arange(12, dtype=np.float32)
    x = _on(a, device)[2:]  # storage offset 2: the default offset is kept
    assert x.as_strided_((2, 3), (1, 2)) is x
    _close(x, np.lib.stride_tricks.as_strided(a[2:], (2, 3), (4, 8)))
    y = _on(a, device)
    y.as_strided_((3, 2), (3, 1), 1)
    _close(y, np.lib.stride_tricks.as_strided(a[1:], (3, 2), (12, 4)))
    assert y.storage_offset() == 1


@pytest.mark.parametrize("name,args,shape", [
    ("t_", (), (2, 3)), ("transpose_", (0, 2), (2, 3, 2)), ("swapaxes_", (0, 1), (3, 2)),
    ("swapdims_", (1, 0), (2, 2)), ("squeeze_", (), (2, 1, 3)), ("squeeze_", (0,), (1, 3)),
    ("unsqueeze_", (1,), (2, 3)), ("as_strided_", ((2, 2), (1, 3)), (3, 3)),
])
def test_shape_op_gradients(device, name, args, shape):
    a = _on(rng.standard_normal(shape), device).requires_grad_(True)
    w = None

    def f(v):
        out = getattr(v * 1, name)(*args)
        return out * w

    # A weight of the output's shape makes the gradient depend on the element order.
    with torch.no_grad():
        probe = getattr(a.detach().clone(), name)(*args)
    w = _on(rng.standard_normal(tuple(probe.shape)), device)
    assert torch.autograd.gradcheck(f, (a,))


def test_shape_op_autograd_history(device):
    a = _on(rng.standard_normal((2, 3)), device).requires_grad_(True)
    y = a * 3
    y.t_()
    assert y.grad_fn.name() == "TBackward0" and tuple(y.shape) == (3, 2)
    w = rng.standard_normal((3, 2))
    (y * _on(w, device)).sum().backward()
    _close(a.grad, 3 * w.T)


def test_shape_op_leaf_rules(device):
    a = torch.zeros(2, 3, device=device, requires_grad=True)
    for name, args in [("t_", ()), ("transpose_", (0, 1)), ("unsqueeze_", (0,)), ("squeeze_", ()),
                       ("as_strided_", ((3,), (1,)))]:
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
            getattr(a, name)(*args)
    assert tuple(a.shape) == (2, 3)
    # Under no_grad a leaf may be reshaped in place and stays a leaf that requires grad.
    with torch.no_grad():
        a.t_()
    assert tuple(a.shape) == (3, 2) and a.is_leaf and a.requires_grad
    (a * torch.arange(6.0, device=device).reshape(3, 2)).sum().backward()
    _close(a.grad, np.arange(6.0, dtype=np.float32).reshape(3, 2))
    # A Parameter stays a Parameter.
    p = torch.nn.Parameter(torch.zeros(1, 4, device=device))
    with torch.no_grad():
        p.squeeze_(0)
    assert isinstance(p, torch.nn.Parameter) and tuple(p.shape) == (4,) and p.requires_grad


def test_shape_op_errors(device):
    x = torch.zeros(2, 3, 4, device=device)
    with pytest.raises(RuntimeError, match=r"t_\(\) expects a tensor with <= 2 dimensions, but self is 3D"):
        x.t_()
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.transpose_(0, 3)
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.unsqueeze_(4)
    assert tuple(x.shape) == (2, 3, 4)  # a failed call leaves the tensor as it was
    assert to_numpy(x.cpu()).shape == (2, 3, 4)
