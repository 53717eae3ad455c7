"""SyncBatchNorm (single process) and convert_sync_batchnorm, LazyBatchNorm1d/2d/3d, nn.init.sparse_
and nn.Buffer, against numpy references and PyTorch's documented behaviour."""
import copy
import math
import pickle

import numpy as np
import pytest

import ferrotorch as torch
from conftest import assert_close, from_numpy

nn = torch.nn
rng = np.random.default_rng(11)


def _np_batch_norm(a, eps=1e-5):
    dims = (0,) + tuple(range(2, a.ndim))
    mean = a.mean(dims, keepdims=True)
    var = a.var(dims, keepdims=True)
    return (a - mean) / np.sqrt(var + eps)


# ---------------------------------------------------------------- SyncBatchNorm

@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 5), (2, 3, 2, 2, 2), (2, 3, 1, 2, 1, 2)], ids=str)
def test_sync_batch_norm_matches_batch_norm(device, shape):
    a = rng.standard_normal(shape).astype(np.float32)
    m = nn.SyncBatchNorm(3, momentum=0.2).to(device)
    x = from_numpy(a).to(device)
    if len(shape) > 2:
        x = x.transpose(0, -1).contiguous().transpose(0, -1)  # same values, non-contiguous layout
    assert_close(m(x).cpu(), _np_batch_norm(a), rtol=1e-4, atol=1e-5)
    dims = (0,) + tuple(range(2, a.ndim))
    n = a.size // 3
    assert_close(m.running_mean.cpu(), 0.2 * a.mean(dims), rtol=1e-4, atol=1e-6)
    assert_close(m.running_var.cpu(), 0.8 + 0.2 * a.var(dims) * n / (n - 1), rtol=1e-4, atol=1e-6)
    assert m.num_batches_tracked.item() == 1
    m.eval()
    expect = (a - m.running_mean.cpu().numpy().reshape((1, 3) + (1,) * (a.ndim - 2))) / np.sqrt(
        m.running_var.cpu().numpy().reshape((1, 3) + (1,) * (a.ndim - 2)) + 1e-5)
    assert_close(m(x).cpu(), expect, rtol=1e-4, atol=1e-5)


def test_sync_batch_norm_gradients(device):
    m = nn.SyncBatchNorm(2).to(device).double()
    x = torch.randn(3, 2, 2, dtype=torch.float64, device=device, requires_grad=True)
    assert torch.autograd.gradcheck(lambda v: m(v), (x,))


def test_sync_batch_norm_errors_and_repr():
    m = nn.SyncBatchNorm(3)
    assert repr(m) == "SyncBatchNorm(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    with pytest.raises(ValueError, match=r"expected at least 2D input \(got 1D input\)"):
        m(torch.zeros(3))
    with pytest.raises(ValueError, match="SyncBatchNorm number of input channels should be non-zero"):
        nn.SyncBatchNorm(0)(torch.zeros(2, 0))
    assert list(m.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]


def test_convert_sync_batchnorm():
    bn1, bn3 = nn.BatchNorm1d(4, eps=1e-3, affine=False), nn.BatchNorm3d(2, momentum=None)
    bn3.eval()
    inner = nn.Sequential(nn.Linear(2, 4), bn1)
    net = nn.Sequential(inner, nn.Conv3d(4, 2, 1), bn3)
    bn1.running_mean.fill_(0.5)
    out = nn.SyncBatchNorm.convert_sync_batchnorm(net)
    assert out is net and out[0] is inner and isinstance(out[1], nn.Conv3d)
    s1, s3 = out[0][1], out[2]
    assert type(s1) is nn.SyncBatchNorm and type(s3) is nn.SyncBatchNorm
    assert (s1.num_features, s1.eps, s1.affine, s1.weight) == (4, 1e-3, False, None)
    assert s1.running_mean is bn1.running_mean and s1.running_mean[0].item() == 0.5
    assert s3.weight is bn3.weight and s3.bias is bn3.bias and s3.momentum is None
    assert s3.training is False and s1.training is True
    # A batch norm given directly is replaced by a new module.
    bn = nn.BatchNorm2d(3)
    assert type(nn.SyncBatchNorm.convert_sync_batchnorm(bn)) is nn.SyncBatchNorm
    lin = nn.Linear(2, 2)
    assert nn.SyncBatchNorm.convert_sync_batchnorm(lin) is lin


# ---------------------------------------------------------------- LazyBatchNorm

@pytest.mark.parametrize("lazy,eager,shape", [
    (nn.LazyBatchNorm1d, nn.BatchNorm1d, (4, 3)), (nn.LazyBatchNorm2d, nn.BatchNorm2d, (2, 3, 2, 2)),
    (nn.LazyBatchNorm3d, nn.BatchNorm3d, (2, 3, 1, 2, 2)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_lazy_batch_norm(device, lazy, eager, shape):
    m = lazy(momentum=0.5, device=device)
    assert repr(m) == f"{lazy.__name__}(0, eps=1e-05, momentum=0.5, affine=True, bias=True, track_running_stats=True)"
    assert isinstance(m.weight, nn.UninitializedParameter)
    a = rng.standard_normal(shape).astype(np.float32)
    y = m(from_numpy(a).to(device))
    assert type(m) is eager and m.num_features == 3
    assert tuple(m.weight.shape) == (3,) and type(m.weight) is nn.Parameter
    assert_close(m.weight.cpu(), np.ones(3, np.float32))
    assert_close(y.cpu(), _np_batch_norm(a), rtol=1e-4, atol=1e-5)
    dims = (0,) + tuple(range(2, a.ndim))
    assert_close(m.running_mean.cpu(), 0.5 * a.mean(dims), rtol=1e-4, atol=1e-6)
    assert m.running_mean.device == y.device
    assert list(m.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]


def test_lazy_batch_norm_without_affine():
    m = nn.LazyBatchNorm1d(affine=False)
    m(torch.randn(3, 5))
    assert type(m) is nn.BatchNorm1d and m.weight is None and tuple(m.running_var.shape) == (5,)


# ---------------------------------------------------------------- init.sparse_

@pytest.mark.parametrize("rows,cols,sparsity", [(10, 4, 0.3), (5, 3, 1.0), (6, 2, 0.0), (4, 0, 0.5)])
def test_sparse_(device, rows, cols, sparsity):
    w = torch.empty(rows, cols, device=device)
    assert nn.init.sparse_(w, sparsity, std=0.5) is w
    zeros = (w == 0).sum(0).cpu().numpy()
    np.testing.assert_array_equal(zeros, np.full(cols, math.ceil(sparsity * rows)))


def test_sparse_statistics_and_generator():
    w = nn.init.sparse_(torch.empty(400, 50), 0.2, std=0.1).numpy()
    kept = w[w != 0]
    assert kept.size == 400 * 50 - 80 * 50
    assert abs(kept.std() - 0.1) < 0.005 and abs(kept.mean()) < 0.005
    # Each column draws its own zero rows.
    assert len({tuple(np.flatnonzero(w[:, j] == 0)) for j in range(50)}) > 1
    g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    a = nn.init.sparse_(torch.empty(6, 4), 0.5, generator=g1)
    b = nn.init.sparse_(torch.empty(6, 4), 0.5, generator=g2)
    assert torch.equal(a, b)
    p = nn.Parameter(torch.empty(3, 3))
    nn.init.sparse_(p, 0.4)  # runs under no_grad on a leaf that requires grad
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        nn.init.sparse_(torch.empty(3), 0.1)


# ---------------------------------------------------------------- nn.Buffer

def test_buffer_basics():
    data = torch.arange(3.0)
    b = nn.Buffer(data, persistent=False)
    assert isinstance(b, torch.Tensor) and isinstance(b, nn.Buffer) and b.persistent is False
    assert not isinstance(data, nn.Buffer) and nn.Buffer(data).persistent is True
    b.add_(1)
    assert data.tolist() == [1.0, 2.0, 3.0]  # aliases data's memory
    g = nn.Buffer(torch.ones(2, requires_grad=True))
    assert g.requires_grad and g.is_leaf
    assert tuple(nn.Buffer().shape) == (0,)
    for clone in (copy.deepcopy(b), pickle.loads(pickle.dumps(b))):
        assert isinstance(clone, nn.Buffer) and clone.persistent is False and clone.tolist() == b.tolist()
    m = nn.Module()
    m.register_buffer("stat", b, persistent=b.persistent)
    assert m.stat is b and "stat" not in m.state_dict()


def test_buffer_assignment_registers():
    m = nn.Module()
    m.a = nn.Buffer(torch.ones(2))
    m.b = nn.Buffer(torch.zeros(1), persistent=False)
    assert dict(m.named_buffers()).keys() == {"a", "b"}
    assert list(m.state_dict()) == ["a"]
