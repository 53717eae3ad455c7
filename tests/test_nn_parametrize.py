"""nn.utils.parametrize and nn.utils.parametrizations (weight_norm, spectral_norm, orthogonal), plus the
older hook-based nn.utils.weight_norm / spectral_norm: values against numpy, gradients, state_dict keys,
training through a parametrization, and PyTorch's errors."""
import copy
import pickle
import warnings

import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch import nn
from ferrotorch.nn.utils import parametrize, parametrizations as P
from conftest import assert_close, from_numpy, to_numpy


class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).mT

    def right_inverse(self, A):
        return A.triu()


class Scale(nn.Module):
    def forward(self, X):
        return 2.0 * X


class SplitSum(nn.Module):
    """Two originals: X = A + B; right_inverse splits evenly."""

    def forward(self, A, B):
        return A + B

    def right_inverse(self, X):
        return (0.5 * X, 0.5 * X)


def _sym(a):
    return np.triu(a) + np.triu(a, 1).T


def _linear(device, n_in=3, n_out=3, dtype=torch.float64):
    return nn.Linear(n_in, n_out).to(device=device, dtype=dtype)


# ----------------------------------------------------------------------------- parametrize
def test_register_property_state_dict_and_grad(device):
    lin = _linear(device)
    w0 = to_numpy(lin.weight.cpu())
    parametrize.register_parametrization(lin, "weight", Symmetric())
    assert type(lin).__name__ == "ParametrizedLinear"
    assert parametrize.type_before_parametrizations(lin) is nn.Linear
    assert parametrize.is_parametrized(lin) and parametrize.is_parametrized(lin, "weight")
    assert not parametrize.is_parametrized(lin, "bias")
    # right_inverse keeps the upper triangle as the original, so the weight is sym(triu(w0)).
    assert_close(lin.parametrizations.weight.original.cpu(), np.triu(w0))
    assert_close(lin.weight.cpu(), _sym(np.triu(w0)))
    assert list(lin.state_dict()) == ["bias", "parametrizations.weight.original"]
    assert [n for n, _ in lin.named_parameters()] == ["bias", "parametrizations.weight.original"]
    x = torch.randn(4, 3, dtype=torch.float64, device=device)
    g = np.random.default_rng(0).standard_normal((4, 3))
    (lin(x) * from_numpy(g).to(device)).sum().backward()
    # dL/dW = g^T x; W = triu(X) + triu(X,1)^T, so dL/dX = triu(G) + tril(G,-1)^T.
    G = g.T @ to_numpy(x.cpu())
    assert_close(lin.parametrizations.weight.original.grad.cpu(), np.triu(G) + np.triu(np.tril(G, -1).T, 1))
    # A parametrization of a parameter of another instance does not leak through the class.
    assert not isinstance(getattr(type(_linear(device)), "weight", None), property)


def test_gradcheck_through_parametrization():
    lin = _linear("cpu")
    parametrize.register_parametrization(lin, "weight", Symmetric())
    x = torch.randn(2, 3, dtype=torch.float64)
    orig = lin.parametrizations.weight.original

    def f(o):
        return torch.func.functional_call(lin, {"parametrizations.weight.original": o}, (x,))
    assert torch.autograd.gradcheck(f, (orig.detach().clone().requires_grad_(),))


def test_stacked_and_set_value(device):
    lin = _linear(device)
    parametrize.register_parametrization(lin, "weight", Symmetric())
    parametrize.register_parametrization(lin, "weight", Scale(), unsafe=True)
    assert len(lin.parametrizations.weight) == 2
    o = to_numpy(lin.parametrizations.weight.original.cpu())
    assert_close(lin.weight.cpu(), 2.0 * _sym(o))
    # Scale has no right_inverse: assigning to the weight needs every one of them.
    with pytest.raises(RuntimeError, match="parametrization Scale does not implement right_inverse"):
        lin.weight = torch.eye(3, dtype=torch.float64, device=device)


def test_assign_calls_right_inverse_and_keeps_identity(device):
    lin = _linear(device)
    parametrize.register_parametrization(lin, "weight", Symmetric())
    orig = lin.parametrizations.weight.original
    a = np.arange(9.0).reshape(3, 3)
    lin.weight = from_numpy(a).to(device)
    assert lin.parametrizations.weight.original is orig
    assert_close(orig.cpu(), np.triu(a))
    assert_close(lin.weight.cpu(), _sym(np.triu(a)))


def test_sequence_right_inverse(device):
    lin = _linear(device)
    w0 = to_numpy(lin.weight.cpu())
    parametrize.register_parametrization(lin, "weight", SplitSum())
    plist = lin.parametrizations.weight
    assert not plist.is_tensor and plist.ntensors == 2
    assert isinstance(plist.original0, nn.Parameter) and isinstance(plist.original1, nn.Parameter)
    assert_close(lin.weight.cpu(), w0)
    assert sorted(lin.state_dict()) == ["bias", "parametrizations.weight.original0",
                                        "parametrizations.weight.original1"]
    with pytest.raises(ValueError, match="Cannot leave unparametrized"):
        parametrize.remove_parametrizations(lin, "weight", leave_parametrized=False)
    parametrize.remove_parametrizations(lin, "weight")
    assert type(lin) is nn.Linear and isinstance(lin.weight, nn.Parameter)
    assert_close(lin.weight.cpu(), w0)


def test_remove_parametrizations(device):
    lin = _linear(device)
    parametrize.register_parametrization(lin, "weight", Symmetric())
    orig = lin.parametrizations.weight.original
    o = to_numpy(orig.cpu())
    parametrize.remove_parametrizations(lin, "weight", leave_parametrized=True)
    assert type(lin) is nn.Linear and not hasattr(lin, "parametrizations")
    assert lin.weight is orig  # same Parameter object: an optimizer holding it still works
    assert_close(lin.weight.cpu(), _sym(o))
    assert list(lin.state_dict()) == ["bias", "weight"]  # re-registered last, as in PyTorch

    lin2 = _linear(device)
    parametrize.register_parametrization(lin2, "weight", Symmetric())
    parametrize.register_parametrization(lin2, "bias", nn.Identity())
    o2 = to_numpy(lin2.parametrizations.weight.original.cpu())
    parametrize.remove_parametrizations(lin2, "weight", leave_parametrized=False)
    assert_close(lin2.weight.cpu(), o2)
    assert type(lin2).__name__ == "ParametrizedLinear"  # bias still parametrized
    parametrize.remove_parametrizations(lin2, "bias")
    assert type(lin2) is nn.Linear
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        parametrize.remove_parametrizations(lin2, "weight")


def test_buffer_parametrization():
    bn = nn.BatchNorm1d(3)
    parametrize.register_parametrization(bn, "running_var", Scale(), unsafe=True)
    assert "parametrizations.running_var.original" in bn.state_dict()
    assert "parametrizations.running_var.original" in dict(bn.named_buffers())
    assert_close(bn.running_var, 2 * np.ones(3, dtype=np.float32))


def test_cached():
    lin = _linear("cpu")
    parametrize.register_parametrization(lin, "weight", Symmetric())
    assert lin.weight is not lin.weight
    with parametrize.cached():
        w = lin.weight
        assert lin.weight is w
        with parametrize.cached():
            assert lin.weight is w
        assert lin.weight is w
    assert lin.weight is not w


def test_checks_and_errors():
    lin = _linear("cpu")
    with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a parametrized element with name "
                                         "'nope'"):
        parametrize.register_parametrization(lin, "nope", Symmetric())

    class Shrink(nn.Module):
        def forward(self, X):
            return X[:2]
    with pytest.raises(ValueError, match="may not change the shape of the tensor"):
        parametrize.register_parametrization(lin, "weight", Shrink())
    assert type(lin) is nn.Linear and isinstance(lin.weight, nn.Parameter)  # left unchanged

    class ToFloat(nn.Module):
        def forward(self, X):
            return X.float()
    with pytest.raises(ValueError, match="may not change the dtype of the tensor"):
        parametrize.register_parametrization(lin, "weight", ToFloat())
    parametrize.register_parametrization(lin, "weight", Symmetric())
    with pytest.raises(ValueError, match=r"module.weight.shape: torch.Size\(\[3, 3\]\)"):
        parametrize.register_parametrization(lin, "weight", Shrink())
    with pytest.raises(RuntimeError, match="Serialization of parametrized modules is only supported through "
                                           "state_dict"):
        pickle.dumps(lin)
    with pytest.raises(ValueError, match="ParametrizationList requires one or more modules"):
        parametrize.ParametrizationList([], lin.bias)


def test_deepcopy_and_state_dict_round_trip():
    lin = _linear("cpu")
    parametrize.register_parametrization(lin, "weight", Symmetric())
    clone = copy.deepcopy(lin)
    assert type(clone) is type(lin)
    assert clone.parametrizations.weight.original is not lin.parametrizations.weight.original
    assert torch.equal(clone.weight, lin.weight)
    other = _linear("cpu")
    parametrize.register_parametrization(other, "weight", Symmetric())
    other.load_state_dict(lin.state_dict())
    assert torch.equal(other.weight, lin.weight)


def test_training_steps_through_parametrization(device):
    lin = _linear(device)
    parametrize.register_parametrization(lin, "weight", Symmetric())
    opt = torch.optim.SGD(lin.parameters(), lr=0.1)
    x = torch.randn(5, 3, dtype=torch.float64, device=device)
    X = to_numpy(lin.parametrizations.weight.original.cpu())
    b = to_numpy(lin.bias.cpu())
    xn = to_numpy(x.cpu())
    for _ in range(2):
        opt.zero_grad()
        (lin(x) ** 2).sum().backward()
        opt.step()
        # The same step by hand: L = sum((x W^T + b)^2), W = sym(X).
        y = xn @ _sym(X).T + b
        G = 2 * y.T @ xn
        X = X - 0.1 * (np.triu(G) + np.triu(np.tril(G, -1).T, 1))
        b = b - 0.1 * 2 * y.sum(0)
    assert_close(lin.parametrizations.weight.original.cpu(), X, rtol=1e-10, atol=1e-12)
    assert_close(lin.weight.cpu(), _sym(X), rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------------- weight_norm
def _wn_ref(v, g, dim):
    if dim is None:
        return g * v / np.linalg.norm(v)
    axes = tuple(d for d in range(v.ndim) if d != dim % v.ndim)
    return g * v / np.sqrt((v * v).sum(axis=axes, keepdims=True))


@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_values(device, dim):
    conv = nn.Conv1d(2, 3, 2).to(device=device, dtype=torch.float64)
    w0 = to_numpy(conv.weight.cpu())
    P.weight_norm(conv, dim=dim)
    g = conv.parametrizations.weight.original0
    v = conv.parametrizations.weight.original1
    if dim is None:
        assert g.shape == ()
        assert_close(g.cpu(), np.linalg.norm(w0))
    else:
        shape = [1, 1, 1]
        shape[dim] = w0.shape[dim]
        assert tuple(g.shape) == tuple(shape)
    assert_close(v.cpu(), w0)
    assert_close(conv.weight.cpu(), w0)  # g and v start as the norm and the weight itself
    with torch.no_grad():
        g.mul_(3.0)
    assert_close(conv.weight.cpu(), _wn_ref(w0, to_numpy(g.cpu()), dim))
    assert_close(conv.weight.cpu(), 3.0 * w0)
    assert list(conv.state_dict()) == ["bias", "parametrizations.weight.original0",
                                       "parametrizations.weight.original1"]


def test_weight_norm_gradcheck():
    lin = nn.Linear(3, 2).double()
    P.weight_norm(lin, dim=1)
    x = torch.randn(4, 3, dtype=torch.float64)
    g0 = lin.parametrizations.weight.original0.detach().clone()
    v0 = lin.parametrizations.weight.original1.detach().clone()

    def f(g, v):
        return torch.func.functional_call(lin, {"parametrizations.weight.original0": g,
                                                "parametrizations.weight.original1": v}, (x,))
    assert torch.autograd.gradcheck(f, (g0.requires_grad_(), v0.transpose(0, 1).contiguous().t()
                                        .requires_grad_()))


# ----------------------------------------------------------------------------- spectral_norm
def test_spectral_norm_sigma(device):
    rng = np.random.default_rng(1)
    w = rng.standard_normal((4, 6))
    lin = nn.Linear(6, 4).double().to(device)
    with torch.no_grad():
        lin.weight.copy_(from_numpy(w).to(device))
    P.spectral_norm(lin, n_power_iterations=20)
    assert sorted(lin.state_dict()) == ["bias", "parametrizations.weight.0._u", "parametrizations.weight.0._v",
                                        "parametrizations.weight.original"]
    sigma = np.linalg.svd(w, compute_uv=False)[0]
    assert_close(lin.weight.cpu(), w / sigma, rtol=1e-6, atol=1e-8)
    # Eval mode: u and v stay as they are.
    u = lin.parametrizations.weight[0]._u.clone()
    lin.eval()
    _ = lin.weight
    assert torch.equal(lin.parametrizations.weight[0]._u, u)
    lin.train()
    x = torch.randn(2, 6, dtype=torch.float64, device=device)
    lin(x).sum().backward()
    assert lin.parametrizations.weight.original.grad is not None


def test_spectral_norm_dims_and_errors():
    w = np.random.default_rng(2).standard_normal((3, 2, 2))
    ct = nn.ConvTranspose1d(3, 2, 2).double()
    with torch.no_grad():
        ct.weight.copy_(from_numpy(w))
    P.spectral_norm(ct, n_power_iterations=30)
    # ConvTranspose: output channels are dim 1, which becomes the matrix rows.
    mat = np.transpose(w, (1, 0, 2)).reshape(2, -1)
    assert_close(ct.weight, w / np.linalg.svd(mat, compute_uv=False)[0], rtol=1e-6)
    emb = nn.Embedding(4, 3).double()
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\] but got 2\)"):
        P.spectral_norm(emb, dim=2)
    with pytest.raises(ValueError, match="Expected n_power_iterations to be positive, but got n_power_iterations=0"):
        P.spectral_norm(emb, n_power_iterations=0)
    with pytest.raises(ValueError, match="has no parameter or buffer with name 'nope'"):
        P.spectral_norm(emb, name="nope")
    # A vector is divided by its 2-norm.
    bn = nn.BatchNorm1d(3).double()
    v = to_numpy(bn.weight) + np.arange(3.0)
    with torch.no_grad():
        bn.weight.copy_(from_numpy(v))
    P.spectral_norm(bn)
    assert_close(bn.weight, v / np.linalg.norm(v))


# ----------------------------------------------------------------------------- orthogonal
@pytest.mark.parametrize("omap,shape", [("matrix_exp", (3, 3)), ("cayley", (3, 3)), ("householder", (3, 3)),
                                        ("matrix_exp", (4, 2)), ("cayley", (2, 4)), ("householder", (4, 2)),
                                        (None, (2, 3))])
def test_orthogonal_maps(device, omap, shape):
    lin = nn.Linear(shape[1], shape[0]).double().to(device)
    P.orthogonal(lin, orthogonal_map=omap)
    W = lin.weight
    small = min(shape)
    gram = W.mT @ W if shape[0] >= shape[1] else W @ W.mT
    assert_close(gram.cpu(), np.eye(small), atol=1e-10)
    orig = lin.parametrizations.weight.original
    x = torch.randn(2, shape[1], dtype=torch.float64, device=device)
    opt = torch.optim.SGD(lin.parameters(), lr=0.1)
    for _ in range(2):
        opt.zero_grad()
        (lin(x) ** 2).sum().backward()
        assert orig.grad is not None and float(orig.grad.abs().sum()) > 0
        opt.step()
    W = lin.weight
    gram = W.mT @ W if shape[0] >= shape[1] else W @ W.mT
    assert_close(gram.cpu(), np.eye(small), atol=1e-10)


def test_orthogonal_keeps_orthogonal_init_and_gradcheck():
    q = np.linalg.qr(np.random.default_rng(3).standard_normal((3, 3)))[0]
    lin = nn.Linear(3, 3, bias=False).double()
    with torch.no_grad():
        lin.weight.copy_(from_numpy(q))
    P.orthogonal(lin)
    assert_close(lin.weight, q, atol=1e-12)  # the trivialization starts at the weight itself
    x = torch.randn(2, 3, dtype=torch.float64)

    def f(o):
        return torch.func.functional_call(lin, {"parametrizations.weight.original": o}, (x,))
    o = (0.1 * torch.randn(3, 3, dtype=torch.float64)).requires_grad_()
    assert torch.autograd.gradcheck(f, (o,))


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4)])
def test_orthogonal_householder_without_trivialization(shape):
    a = np.random.default_rng(4).standard_normal(shape)
    lin = nn.Linear(shape[1], shape[0], bias=False).double()
    with torch.no_grad():
        lin.weight.copy_(from_numpy(a))
    P.orthogonal(lin, orthogonal_map="householder", use_trivialization=False)
    assert "base" not in dict(lin.named_buffers(recurse=True))
    # The weight becomes the Q of a = QR with diag(R) > 0 (of a^T for a wide matrix).
    tall = a if shape[0] >= shape[1] else a.T
    q, r = np.linalg.qr(tall)
    q = q * np.sign(np.diag(r))
    assert_close(lin.weight, q if shape[0] >= shape[1] else q.T, atol=1e-10)


def test_orthogonal_errors():
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices. Got a tensor of 1 dimensions."):
        P.orthogonal(nn.BatchNorm1d(3))
    with pytest.raises(ValueError, match='orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
                                         "Got: foo"):
        P.orthogonal(nn.Linear(2, 2), orthogonal_map="foo")
    lin = P.orthogonal(nn.Linear(2, 2), orthogonal_map="cayley", use_trivialization=False)
    with pytest.raises(NotImplementedError, match="not possible to assign to the matrix exponential or the Cayley"):
        lin.weight = torch.eye(2)
    lin = P.orthogonal(nn.Linear(3, 2))
    with pytest.raises(ValueError, match=r"Expected a matrix or batch of matrices of shape torch.Size\(\[2, 3\]\)"):
        lin.parametrizations.weight[0].right_inverse(torch.eye(2))


# ----------------------------------------------------------------------------- hook-based (old) API
def test_old_weight_norm(device):
    lin = nn.Linear(3, 2).double().to(device)
    w0 = to_numpy(lin.weight.cpu())
    with pytest.warns(FutureWarning, match="torch.nn.utils.weight_norm` is deprecated"):
        nn.utils.weight_norm(lin)
    assert sorted(lin.state_dict()) == ["bias", "weight_g", "weight_v"]
    assert tuple(lin.weight_g.shape) == (2, 1)
    with torch.no_grad():
        lin.weight_g.mul_(2.0)
    x = torch.randn(4, 3, dtype=torch.float64, device=device)
    y = lin(x)
    ref = to_numpy(x.cpu()) @ (2.0 * w0).T + to_numpy(lin.bias.cpu())
    assert_close(y.cpu(), ref)
    y.sum().backward()
    assert lin.weight_g.grad is not None and lin.weight_v.grad is not None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks on the same parameter weight"):
            nn.utils.weight_norm(lin)
    nn.utils.remove_weight_norm(lin)
    assert isinstance(lin.weight, nn.Parameter) and sorted(lin.state_dict()) == ["bias", "weight"]
    assert_close(lin.weight.cpu(), 2.0 * w0)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found in"):
        nn.utils.remove_weight_norm(lin)


def test_old_spectral_norm(device):
    w = np.random.default_rng(5).standard_normal((3, 5))
    lin = nn.Linear(5, 3).double().to(device)
    with torch.no_grad():
        lin.weight.copy_(from_numpy(w).to(device))
    nn.utils.spectral_norm(lin, n_power_iterations=30)
    assert sorted(lin.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"]
    lin(torch.zeros(1, 5, dtype=torch.float64, device=device)).sum().backward()
    assert_close(lin.weight.cpu(), w / np.linalg.svd(w, compute_uv=False)[0], rtol=1e-6)
    assert lin.weight_orig.grad is not None
    u = lin.weight_u.clone()
    lin.eval()
    lin(torch.zeros(1, 5, dtype=torch.float64, device=device))
    assert torch.equal(lin.weight_u, u)
    with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks on the same parameter weight"):
        nn.utils.spectral_norm(lin)
    nn.utils.remove_spectral_norm(lin)
    assert sorted(lin.state_dict()) == ["bias", "weight"]
    assert_close(lin.weight.cpu(), w / np.linalg.svd(w, compute_uv=False)[0], rtol=1e-6)
    with pytest.raises(ValueError, match="spectral_norm of 'weight' not found in"):
        nn.utils.remove_spectral_norm(lin)


def test_move_dtype_and_transfer():
    lin = nn.Linear(3, 3)
    P.orthogonal(lin)
    P.spectral_norm(nn.Linear(2, 2))
    lin.double()
    assert lin.parametrizations.weight.original.dtype == torch.float64
    assert lin.parametrizations.weight[0].base.dtype == torch.float64
    assert_close(lin.weight.mT @ lin.weight, np.eye(3), atol=1e-6, check_dtype=False)
    src = nn.Linear(3, 3)
    parametrize.register_parametrization(src, "weight", Symmetric())
    dst = parametrize.transfer_parametrizations_and_params(src, nn.Linear(3, 3))
    assert dst.parametrizations.weight.original is src.parametrizations.weight.original
    assert torch.equal(dst.weight, src.weight)


@pytest.mark.parametrize("parametrization", ["orthogonal", "spectral_norm", "weight_norm"])
def test_parametrized_module_moves_to_gpu(parametrization):
    from conftest import GPU_AVAILABLE
    if not GPU_AVAILABLE:
        pytest.skip("no GPU")
    lin = getattr(P, parametrization)(nn.Linear(3, 2).double())
    lin.eval()  # no power iteration, so both devices see the same u, v
    w = to_numpy(lin.weight)
    lin.to("gpu")
    assert all(t.device.type != "cpu" for t in lin.state_dict().values())
    assert_close(lin.weight.cpu(), w, atol=1e-10)
