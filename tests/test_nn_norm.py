"""Normalisation layers: batch_norm/BatchNorm*, layer_norm/LayerNorm, group_norm/GroupNorm, rms_norm/RMSNorm."""
import numpy as np
import pytest
from conftest import assert_close, from_numpy, to_numpy

import ferrotorch as torch
from ferrotorch import nn
from ferrotorch.nn import functional as F
from ferrotorch.autograd import gradcheck

rng = np.random.default_rng(0)


def np_bn_ref(x, w, b, eps):
    dims = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mean = x.mean(dims, keepdims=True)
    var = x.var(dims, keepdims=True)
    y = (x - mean) / np.sqrt(var + eps)
    return y * w.reshape(shape) + b.reshape(shape), mean.ravel(), x.var(dims, ddof=1).ravel()


def dbl(a):
    return from_numpy(np.asarray(a, dtype=np.float64)).requires_grad_()


# ----------------------------------------------------------------------------- batch norm
@pytest.mark.parametrize("dtype,tol", [("float32", 1e-5), ("float64", 1e-12)])
@pytest.mark.parametrize("cls,shape", [(nn.BatchNorm1d, (5, 3)), (nn.BatchNorm1d, (4, 3, 6)),
                                       (nn.BatchNorm2d, (2, 3, 4, 5))])
def test_batchnorm_training_running_stats_and_eval(cls, shape, dtype, tol):
    bn = cls(3, momentum=0.2).to(getattr(torch, dtype))
    with torch.no_grad():
        bn.weight.copy_(from_numpy(rng.standard_normal(3), dtype))
        bn.bias.copy_(from_numpy(rng.standard_normal(3), dtype))
    w, b = to_numpy(bn.weight), to_numpy(bn.bias)
    rm, rv = np.zeros(3), np.ones(3)
    for step in range(3):
        x = rng.standard_normal(shape).astype(dtype) * 2 + step
        y = bn(from_numpy(x))
        ref, mean, uvar = np_bn_ref(x.astype(np.float64), w, b, 1e-5)
        assert_close(y, ref.astype(dtype), rtol=tol * 10, atol=tol * 10)
        rm, rv = 0.8 * rm + 0.2 * mean, 0.8 * rv + 0.2 * uvar
        assert_close(bn.running_mean, rm.astype(dtype), rtol=tol * 10, atol=tol * 10)
        assert_close(bn.running_var, rv.astype(dtype), rtol=tol * 10, atol=tol * 10)
    assert bn.num_batches_tracked.item() == 3 and bn.num_batches_tracked.dtype == torch.int64
    # The running-stat buffers never join the autograd graph.
    assert not bn.running_mean.requires_grad and bn.running_mean.grad_fn is None
    bn.eval()
    x = rng.standard_normal(shape).astype(dtype)
    shp = (1, 3) + (1,) * (len(shape) - 2)
    ref = (x - rm.reshape(shp)) / np.sqrt(rv.reshape(shp) + 1e-5) * w.reshape(shp) + b.reshape(shp)
    assert_close(bn(from_numpy(x)), ref.astype(dtype), rtol=tol * 10, atol=tol * 10)
    assert bn.num_batches_tracked.item() == 3  # eval does not count batches


def test_batchnorm_cumulative_average_and_no_tracking():
    bn = nn.BatchNorm1d(2, momentum=None, affine=False)
    xs = [rng.standard_normal((4, 2)) for _ in range(3)]
    for x in xs:
        bn(from_numpy(x))
    assert_close(bn.running_mean, np.mean([x.mean(0) for x in xs], 0).astype(np.float32), rtol=1e-5)
    assert_close(bn.running_var, np.mean([x.var(0, ddof=1) for x in xs], 0).astype(np.float32), rtol=1e-5)
    nt = nn.BatchNorm2d(2, track_running_stats=False)
    assert nt.running_mean is None and list(nt.state_dict()) == ["weight", "bias"]
    x = rng.standard_normal((2, 2, 3, 3))
    nt.eval()  # no running stats: batch statistics even in eval
    assert_close(nt(from_numpy(x)), np_bn_ref(x, np.ones(2), np.zeros(2), 1e-5)[0], rtol=1e-6, atol=1e-8)


def test_batchnorm_state_dict_repr_and_errors():
    bn = nn.BatchNorm2d(4)
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert repr(bn) == "BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    assert list(nn.BatchNorm1d(3, affine=False).state_dict()) == ["running_mean", "running_var",
                                                                  "num_batches_tracked"]
    sd = {k: v for k, v in bn.state_dict().items() if k != "num_batches_tracked"}
    bn.load_state_dict(sd)  # old checkpoints without num_batches_tracked load
    assert "num_batches_tracked" not in sd
    assert bn.double().num_batches_tracked.dtype == torch.int64
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        nn.BatchNorm1d(3)(torch.zeros(2, 3, 4, 5))
    with pytest.raises(ValueError, match=r"expected 4D input \(got 3D input\)"):
        nn.BatchNorm2d(3)(torch.zeros(2, 3, 4))
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when training, got input size "
                                         r"torch.Size\(\[1, 3\]\)"):
        nn.BatchNorm1d(3)(torch.zeros(1, 3))
    with pytest.raises(RuntimeError, match="running_mean should contain 4 elements not 3"):
        nn.BatchNorm1d(3)(torch.zeros(2, 4))
    m = nn.BatchNorm1d(3).eval()
    assert m(torch.ones(1, 3)).shape == (1, 3)  # one value per channel is fine in eval


def test_batch_norm_functional_gradcheck_and_eval():
    x = dbl(rng.standard_normal((3, 4, 5))).detach()
    xt = x.transpose(0, 2).contiguous().transpose(0, 2).requires_grad_()  # non-contiguous layout
    w, b = dbl(rng.standard_normal(4)), dbl(rng.standard_normal(4))
    assert not xt.is_contiguous()
    assert gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), (xt, w, b))
    rm, rv = torch.zeros(4, dtype=torch.float64), torch.ones(4, dtype=torch.float64) * 2
    assert gradcheck(lambda x, w: F.batch_norm(x, rm, rv, w, None, False), (xt, w))
    assert_close(F.batch_norm(x, rm, rv), to_numpy(x) / np.sqrt(2 + 1e-5))
    # Gradients flow to the module's affine parameters but not to its buffers.
    bn = nn.BatchNorm1d(4).double()
    bn(xt).square().sum().backward()
    assert bn.weight.grad is not None and bn.bias.grad is not None and bn.running_var.grad is None


def test_batch_norm_empty_batch_keeps_running_stats():
    bn = nn.BatchNorm1d(2)
    assert bn(torch.zeros(0, 2, 3)).shape == (0, 2, 3)
    assert bn.running_mean.tolist() == [0.0, 0.0] and bn.running_var.tolist() == [1.0, 1.0]


# ----------------------------------------------------------------------------- layer / group / rms norm
def np_layer_norm(x, k, eps):
    dims = tuple(range(x.ndim - k, x.ndim))
    return (x - x.mean(dims, keepdims=True)) / np.sqrt(x.var(dims, keepdims=True) + eps)


@pytest.mark.parametrize("dtype,tol", [("float32", 1e-5), ("float64", 1e-12)])
def test_layer_norm_forward(dtype, tol):
    x = rng.standard_normal((2, 3, 4, 5)).astype(dtype) * 3 + 1
    ln = nn.LayerNorm((4, 5), eps=1e-3).to(getattr(torch, dtype))
    with torch.no_grad():
        ln.weight.copy_(from_numpy(rng.standard_normal((4, 5)), dtype))
        ln.bias.copy_(from_numpy(rng.standard_normal((4, 5)), dtype))
    ref = np_layer_norm(x.astype(np.float64), 2, 1e-3) * to_numpy(ln.weight) + to_numpy(ln.bias)
    assert_close(ln(from_numpy(x)), ref.astype(dtype), rtol=tol * 10, atol=tol * 10)
    assert_close(F.layer_norm(from_numpy(x), [5]), np_layer_norm(x.astype(np.float64), 1, 1e-5).astype(dtype),
                 rtol=tol * 10, atol=tol * 10)
    assert F.layer_norm(torch.zeros(0, 5, dtype=getattr(torch, dtype)), (5,)).shape == (0, 5)


def test_layer_norm_module_options_and_errors():
    assert list(nn.LayerNorm(4).state_dict()) == ["weight", "bias"]
    assert list(nn.LayerNorm(4, bias=False).state_dict()) == ["weight"]
    assert list(nn.LayerNorm(4, elementwise_affine=False).state_dict()) == []
    assert repr(nn.LayerNorm([3, 4])) == "LayerNorm((3, 4), eps=1e-05, elementwise_affine=True, bias=True)"
    ln = nn.LayerNorm(3)
    assert ln.weight.tolist() == [1.0] * 3 and ln.bias.tolist() == [0.0] * 3
    with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[4\], expected input with shape \[\*, 4\], "
                                           r"but got input of size\[2, 3\]"):
        F.layer_norm(torch.zeros(2, 3), (4,))


def test_layer_norm_gradcheck():
    x = dbl(rng.standard_normal((4, 3))).detach().t().requires_grad_()  # (3, 4), transposed
    w, b = dbl(rng.standard_normal(4)), dbl(rng.standard_normal(4))
    assert gradcheck(lambda x, w, b: F.layer_norm(x, (4,), w, b), (x, w, b))
    # Weight broadcast over a leading batch of 2-D normalized shapes.
    x3 = dbl(rng.standard_normal((2, 2, 3)))
    w3 = dbl(rng.standard_normal((2, 3)))
    assert gradcheck(lambda x, w: F.layer_norm(x, (2, 3), w), (x3, w3))


@pytest.mark.parametrize("dtype,tol", [("float32", 1e-5), ("float64", 1e-12)])
def test_group_norm_forward(dtype, tol):
    x = rng.standard_normal((2, 6, 3, 2)).astype(dtype)
    gn = nn.GroupNorm(3, 6).to(getattr(torch, dtype))
    with torch.no_grad():
        gn.weight.copy_(from_numpy(rng.standard_normal(6), dtype))
        gn.bias.copy_(from_numpy(rng.standard_normal(6), dtype))
    xg = x.astype(np.float64).reshape(2, 3, -1)
    ref = np_layer_norm(xg, 1, 1e-5).reshape(x.shape)
    ref = ref * to_numpy(gn.weight).reshape(1, 6, 1, 1) + to_numpy(gn.bias).reshape(1, 6, 1, 1)
    assert_close(gn(from_numpy(x)), ref.astype(dtype), rtol=tol * 10, atol=tol * 10)
    # Same result in eval mode: group norm has no running statistics.
    assert_close(gn.eval()(from_numpy(x)), ref.astype(dtype), rtol=tol * 10, atol=tol * 10)
    assert F.group_norm(torch.zeros(0, 6, dtype=getattr(torch, dtype)), 2).shape == (0, 6)


def test_group_norm_gradcheck_state_and_errors():
    x = dbl(rng.standard_normal((5, 4, 2))).detach().transpose(0, 2).requires_grad_()  # (2, 4, 5)
    w, b = dbl(rng.standard_normal(4)), dbl(rng.standard_normal(4))
    assert gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), (x, w, b))
    gn = nn.GroupNorm(2, 4)
    assert list(gn.state_dict()) == ["weight", "bias"]
    assert list(nn.GroupNorm(2, 4, affine=False).state_dict()) == []
    assert repr(gn) == "GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)"
    with pytest.raises(ValueError, match=r"num_channels \(4\) must be divisible by num_groups \(3\)"):
        nn.GroupNorm(3, 4)
    with pytest.raises(RuntimeError, match="Expected number of channels in input to be divisible by num_groups"):
        F.group_norm(torch.zeros(2, 5, 3), 2)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_rms_norm_forward_and_default_eps(dtype):
    x = rng.standard_normal((3, 2, 4)).astype(dtype)
    eps = np.finfo(dtype).eps
    m = nn.RMSNorm([2, 4]).to(getattr(torch, dtype))
    with torch.no_grad():
        m.weight.copy_(from_numpy(rng.standard_normal((2, 4)), dtype))
    xd = x.astype(np.float64)
    ref = xd / np.sqrt((xd ** 2).mean((1, 2), keepdims=True) + eps) * to_numpy(m.weight)
    tol = 1e-5 if dtype == "float32" else 1e-12
    assert_close(m(from_numpy(x)), ref.astype(dtype), rtol=tol, atol=tol)
    # eps matters for tiny inputs: the dtype's machine epsilon is used when eps=None.
    tiny = np.full((1, 4), 1e-5, dtype)
    ref = tiny / np.sqrt(1e-10 + float(eps))
    assert_close(F.rms_norm(from_numpy(tiny), (4,)), ref.astype(dtype), rtol=1e-4)
    assert_close(F.rms_norm(from_numpy(tiny), (4,), eps=0.5), (tiny / np.sqrt(1e-10 + 0.5)).astype(dtype), rtol=1e-5)


def test_rms_norm_gradcheck_state_and_repr():
    x = dbl(rng.standard_normal((4, 3))).detach().t().requires_grad_()
    w = dbl(rng.standard_normal(4))
    assert gradcheck(lambda x, w: F.rms_norm(x, (4,), w, 1e-6), (x, w))
    assert list(nn.RMSNorm(4).state_dict()) == ["weight"]
    assert list(nn.RMSNorm(4, elementwise_affine=False).state_dict()) == []
    assert repr(nn.RMSNorm(4)) == "RMSNorm((4,), eps=None, elementwise_affine=True)"
    assert repr(nn.RMSNorm((2, 3), eps=1e-6)) == "RMSNorm((2, 3), eps=1e-06, elementwise_affine=True)"


# ----------------------------------------------------------------------------- instance norm
def test_instance_norm_forward_running_stats_and_unbatched():
    x = rng.standard_normal((2, 3, 4, 5))
    ref = (x - x.mean((2, 3), keepdims=True)) / np.sqrt(x.var((2, 3), keepdims=True) + 1e-5)
    m = nn.InstanceNorm2d(3)
    assert list(m.state_dict()) == [] and repr(m) == ("InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=False, "
                                                      "bias=False, track_running_stats=False)")
    assert_close(m(from_numpy(x.astype(np.float32))), ref.astype(np.float32), rtol=1e-5, atol=1e-5)
    assert_close(m(from_numpy(x[0])), ref[0], rtol=1e-10, atol=1e-10)  # unbatched (C, H, W)
    t = nn.InstanceNorm1d(3, affine=True, bias=True, track_running_stats=True, momentum=0.5).double()
    assert list(t.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    x1 = rng.standard_normal((2, 3, 6))
    assert_close(t(from_numpy(x1)), np_layer_norm(x1, 1, 1e-5), rtol=1e-10, atol=1e-10)
    assert_close(t.running_mean, 0.5 * x1.mean(2).mean(0), rtol=1e-10, atol=1e-12)
    assert_close(t.running_var, 0.5 + 0.5 * x1.var(2, ddof=1).mean(0), rtol=1e-10)
    t.eval()  # tracked statistics are used in eval
    rm, rv = to_numpy(t.running_mean), to_numpy(t.running_var)
    assert_close(t(from_numpy(x1)), (x1 - rm[:, None]) / np.sqrt(rv[:, None] + 1e-5), rtol=1e-10, atol=1e-10)


def test_instance_norm_gradcheck_and_errors():
    x = dbl(rng.standard_normal((4, 3, 2))).detach().transpose(0, 2).requires_grad_()  # (2, 3, 4)
    w, b = dbl(rng.standard_normal(3)), dbl(rng.standard_normal(3))
    assert gradcheck(lambda x, w, b: F.instance_norm(x, weight=w, bias=b), (x, w, b))
    with pytest.raises(ValueError, match=r"expected 3D or 4D input \(got 2D input\)"):
        nn.InstanceNorm2d(3)(torch.zeros(3, 4))
    with pytest.raises(ValueError, match=r"expected input's size at dim=1 to match num_features \(4\), but got: 3."):
        nn.InstanceNorm1d(4, affine=True)(torch.zeros(2, 3, 5))
    with pytest.warns(UserWarning, match="input's size at dim=1 does not match num_features"):
        nn.InstanceNorm1d(4)(torch.zeros(2, 3, 5))
    with pytest.raises(ValueError, match="Expected more than 1 spatial element when training"):
        nn.InstanceNorm1d(3)(torch.zeros(2, 3, 1))
