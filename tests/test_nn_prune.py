"""nn.utils.prune (masks, counts, iterative and global pruning, remove) and the small nn.utils helpers
(fuse_conv_bn_eval / fuse_linear_bn_eval, skip_init, stateless.functional_call), against numpy."""
import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch import nn
from ferrotorch.nn.utils import prune
from conftest import assert_close, from_numpy, to_numpy


def _linear_with(w, device, bias=True):
    lin = nn.Linear(w.shape[1], w.shape[0], bias=bias).double().to(device)
    with torch.no_grad():
        lin.weight.copy_(from_numpy(w).to(device))
    return lin


def _distinct(shape, seed=0):
    """Values with distinct magnitudes, so that "the k smallest" is unambiguous."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    return (rng.permutation(n) + 1.0).reshape(shape) * rng.choice([-1.0, 1.0], size=shape)


# ----------------------------------------------------------------------------- unstructured
@pytest.mark.parametrize("amount", [3, 0.25, 0, 12])
def test_l1_unstructured(device, amount):
    w = _distinct((3, 4))
    lin = _linear_with(w, device)
    orig = lin.weight
    prune.l1_unstructured(lin, "weight", amount=amount)
    k = amount if isinstance(amount, int) else round(amount * w.size)
    ref_mask = np.ones(w.size)
    ref_mask[np.argsort(np.abs(w).ravel())[:k]] = 0
    ref_mask = ref_mask.reshape(w.shape)
    assert_close(lin.weight_mask.cpu(), ref_mask)
    assert_close(lin.weight.cpu(), w * ref_mask)
    assert lin.weight_orig is orig and "weight" not in lin._parameters
    assert sorted(lin.state_dict()) == ["bias", "weight_mask", "weight_orig"]
    assert prune.is_pruned(lin)
    # Gradients reach weight_orig only where the mask is 1.
    x = torch.randn(2, 4, dtype=torch.float64, device=device)
    lin(x).sum().backward()
    g = to_numpy(lin.weight_orig.grad.cpu())
    assert_close(g, np.tile(to_numpy(x.cpu()).sum(0), (3, 1)) * ref_mask)


def test_l1_importance_scores_and_hook_recompute():
    w = _distinct((2, 3))
    scores = from_numpy(-np.abs(w))  # rank by negated magnitude: the largest get pruned
    lin = _linear_with(w, "cpu")
    prune.l1_unstructured(lin, "weight", amount=2, importance_scores=scores)
    ref = np.ones(6)
    ref[np.argsort(np.abs(-np.abs(w)).ravel())[:2]] = 0
    assert_close(lin.weight_mask, ref.reshape(2, 3))
    # The forward pre-hook recomputes the weight from the (changed) original.
    with torch.no_grad():
        lin.weight_orig.mul_(2.0)
    lin(torch.zeros(1, 3, dtype=torch.float64))
    assert_close(lin.weight, 2.0 * w * ref.reshape(2, 3))


def test_random_unstructured_counts(device):
    lin = nn.Linear(5, 4).to(device)
    prune.random_unstructured(lin, "weight", amount=0.3)
    mask = to_numpy(lin.weight_mask.cpu())
    assert set(np.unique(mask)) <= {0.0, 1.0} and (mask == 0).sum() == 6
    assert_close(lin.weight.cpu(), to_numpy(lin.weight_orig.cpu()) * mask)


def test_iterative_pruning_combines_masks(device):
    w = _distinct((4, 5), seed=1)
    lin = _linear_with(w, device)
    prune.l1_unstructured(lin, "weight", amount=0.5)   # 10 of 20
    prune.l1_unstructured(lin, "weight", amount=0.5)   # 5 of the remaining 10
    hooks = [h for h in lin._forward_pre_hooks.values() if isinstance(h, prune.BasePruningMethod)]
    assert len(hooks) == 1 and isinstance(hooks[0], prune.PruningContainer) and len(hooks[0]) == 2
    ref = np.ones(20)
    ref[np.argsort(np.abs(w).ravel())[:15]] = 0
    assert_close(lin.weight_mask.cpu(), ref.reshape(4, 5))
    # A structured step only ranks the channels not yet entirely pruned.
    lin2 = _linear_with(w, device)
    prune.ln_structured(lin2, "weight", amount=1, n=2, dim=0)
    prune.ln_structured(lin2, "weight", amount=1, n=2, dim=0)
    norms = np.linalg.norm(w, axis=1)
    gone = np.argsort(norms)[:2]
    ref2 = np.ones((4, 5))
    ref2[gone] = 0
    assert_close(lin2.weight_mask.cpu(), ref2)


# ----------------------------------------------------------------------------- structured
@pytest.mark.parametrize("n,dim", [(2, 0), (1, 1), (float("inf"), -1)])
def test_ln_structured(device, n, dim):
    w = _distinct((4, 6), seed=2)
    lin = _linear_with(w, device)
    prune.ln_structured(lin, "weight", amount=0.5, n=n, dim=dim)
    axis = 1 - (dim % 2)
    norms = np.linalg.norm(w, ord=n, axis=axis)
    gone = np.argsort(norms)[:round(0.5 * w.shape[dim])]
    ref = np.ones_like(w)
    if dim == 0:
        ref[gone, :] = 0
    else:
        ref[:, gone] = 0
    assert_close(lin.weight_mask.cpu(), ref)


def test_random_structured_conv(device):
    conv = nn.Conv2d(2, 5, 3).to(device)
    prune.random_structured(conv, "weight", amount=2, dim=0)
    mask = to_numpy(conv.weight_mask.cpu())
    per_channel = mask.reshape(5, -1)
    assert ((per_channel == 0).all(1).sum(), (per_channel == 1).all(1).sum()) == (2, 3)


# ----------------------------------------------------------------------------- global, custom, remove
def test_global_unstructured(device):
    wa, wb = _distinct((3, 4), seed=3), _distinct((2, 3), seed=4) * 0.9
    a, b = _linear_with(wa, device), _linear_with(wb, device)
    prune.global_unstructured([(a, "weight"), (b, "weight")], pruning_method=prune.L1Unstructured, amount=0.4)
    flat = np.concatenate([wa.ravel(), wb.ravel()])
    ref = np.ones(flat.size)
    ref[np.argsort(np.abs(flat))[:round(0.4 * flat.size)]] = 0
    assert_close(a.weight_mask.cpu(), ref[:12].reshape(3, 4))
    assert_close(b.weight_mask.cpu(), ref[12:].reshape(2, 3))
    assert isinstance(next(iter(a._forward_pre_hooks.values())), prune.CustomFromMask)
    with pytest.raises(TypeError, match='Only "unstructured" PRUNING_TYPE supported'):
        prune.global_unstructured([(a, "bias")], pruning_method=prune.LnStructured, amount=1, n=2, dim=0)
    with pytest.raises(TypeError, match="parameters is not an Iterable"):
        prune.global_unstructured(3, prune.L1Unstructured, amount=1)


def test_custom_from_mask_remove_and_state(device):
    lin = nn.Linear(3, 2).double().to(device)
    w = to_numpy(lin.weight.cpu())
    m = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    prune.custom_from_mask(lin, "weight", mask=from_numpy(m).to(device))
    assert_close(lin.weight.cpu(), w * m)
    orig = lin.weight_orig
    prune.remove(lin, "weight")
    assert lin.weight is orig and isinstance(lin.weight, nn.Parameter)
    assert sorted(lin.state_dict()) == ["bias", "weight"] and not prune.is_pruned(lin)
    assert_close(lin.weight.cpu(), w * m)
    with pytest.raises(ValueError, match="Parameter 'weight' of module .* has to be pruned before pruning can be "
                                         "removed"):
        prune.remove(lin, "weight")
    prune.identity(lin, "bias")
    assert_close(lin.bias_mask.cpu(), np.ones(2))
    seq = nn.Sequential(nn.Linear(2, 2), lin)
    assert prune.is_pruned(seq)


def test_pruning_method_prune_and_container_errors():
    t = from_numpy(_distinct((2, 3), seed=5))
    out = prune.L1Unstructured(amount=2).prune(t)
    ref = to_numpy(t).ravel().copy()
    ref[np.argsort(np.abs(ref))[:2]] = 0
    assert_close(out, ref.reshape(2, 3))
    c = prune.PruningContainer(prune.Identity())
    with pytest.raises(TypeError, match="is not a BasePruningMethod subclass"):
        c.add_pruning_method(3)
    m = prune.Identity()
    m._tensor_name = "bias"
    with pytest.raises(ValueError, match="Can only add pruning methods acting on the parameter named 'None'"):
        c.add_pruning_method(m)


def test_amount_validation():
    lin = nn.Linear(3, 2)
    with pytest.raises(TypeError, match="Invalid type for amount: a. Must be int or float."):
        prune.l1_unstructured(lin, "weight", amount="a")
    with pytest.raises(ValueError, match=r"amount=-1 should either be a float in the range \[0, 1\] or a "
                                         "non-negative integer"):
        prune.l1_unstructured(lin, "weight", amount=-1)
    with pytest.raises(ValueError, match=r"amount=1.5 should either be a float"):
        prune.random_unstructured(lin, "weight", amount=1.5)
    with pytest.raises(ValueError, match="amount=7 should be smaller than the number of parameters to prune=6"):
        prune.l1_unstructured(lin, "weight", amount=7)
    # A failed pruning leaves the module as it was.
    assert isinstance(lin.weight, nn.Parameter) and not hasattr(lin, "weight_orig") and not prune.is_pruned(lin)
    with pytest.raises(ValueError, match="Structured pruning can only be applied to multidimensional tensors"):
        prune.ln_structured(lin, "bias", amount=1, n=2, dim=0)
    with pytest.raises(IndexError, match=r"Invalid index 2 for tensor of size torch.Size\(\[2, 3\]\)"):
        prune.random_structured(lin, "weight", amount=1, dim=2)


def test_training_with_pruned_weight():
    w = _distinct((2, 3), seed=6)
    lin = _linear_with(w, "cpu", bias=False)
    prune.l1_unstructured(lin, "weight", amount=2)
    mask = to_numpy(lin.weight_mask)
    opt = torch.optim.SGD(lin.parameters(), lr=0.01)
    x = torch.randn(4, 3, dtype=torch.float64)
    for _ in range(2):
        opt.zero_grad()
        lin(x).pow(2).sum().backward()
        opt.step()
    lin(x)
    assert (to_numpy(lin.weight)[mask == 0] == 0).all()
    assert_close(lin.weight_orig * torch.tensor(1 - mask), w * (1 - mask))  # pruned entries never moved


# ----------------------------------------------------------------------------- fusion, skip_init, stateless
def test_fuse_conv_bn_eval(device):
    conv = nn.Conv2d(2, 3, 3, bias=False).double().to(device)
    bn = nn.BatchNorm2d(3).double().to(device)
    with torch.no_grad():
        bn.running_mean.copy_(torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64))
        bn.running_var.copy_(torch.tensor([1.5, 0.2, 3.0], dtype=torch.float64))
        bn.weight.copy_(torch.tensor([2.0, -1.0, 0.5], dtype=torch.float64))
        bn.bias.copy_(torch.tensor([0.1, 0.2, 0.3], dtype=torch.float64))
    conv.eval(), bn.eval()
    fused = nn.utils.fuse_conv_bn_eval(conv, bn)
    assert fused is not conv and isinstance(fused.bias, nn.Parameter)
    x = torch.randn(2, 2, 5, 5, dtype=torch.float64, device=device).transpose(2, 3)
    assert_close(fused(x).cpu(), to_numpy(bn(conv(x)).cpu()), rtol=1e-10, atol=1e-12)
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        nn.utils.fuse_conv_bn_eval(conv.train(), bn)
    ct = nn.ConvTranspose2d(2, 3, 2).double().eval()
    fused_t = nn.utils.fuse_conv_bn_eval(ct, bn.cpu(), transpose=True)
    xt = torch.randn(1, 2, 3, 3, dtype=torch.float64)
    assert_close(fused_t(xt), to_numpy(bn(ct(xt))), rtol=1e-10, atol=1e-12)


def test_fuse_linear_bn_eval():
    lin = nn.Linear(4, 3).double().eval()
    bn = nn.BatchNorm1d(3).double().eval()
    with torch.no_grad():
        bn.running_mean.copy_(torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64))
        bn.running_var.copy_(torch.tensor([1.5, 0.2, 3.0], dtype=torch.float64))
    fused = nn.utils.fuse_linear_bn_eval(lin, bn)
    x = torch.randn(5, 4, dtype=torch.float64)
    assert_close(fused(x), to_numpy(bn(lin(x))), rtol=1e-10, atol=1e-12)
    with pytest.raises(AssertionError, match="To fuse, linear.out_features == bn.num_features"):
        nn.utils.fuse_linear_bn_eval(nn.Linear(4, 2).eval(), bn)


def test_skip_init_and_stateless():
    m = nn.utils.skip_init(nn.Linear, 5, 2, dtype=torch.float64)
    assert tuple(m.weight.shape) == (2, 5) and m.weight.dtype == torch.float64
    with pytest.raises(RuntimeError, match="Expected a Module; got"):
        nn.utils.skip_init(int)

    class NoDevice(nn.Module):
        def __init__(self, n):
            super().__init__()
    with pytest.raises(RuntimeError, match="Module must support a 'device' arg to skip initialization"):
        nn.utils.skip_init(NoDevice, 3)
    lin = nn.Linear(2, 1, bias=False)
    with pytest.warns(FutureWarning, match="Please use torch.func.functional_call instead"):
        out = nn.utils.stateless.functional_call(lin, {"weight": torch.tensor([[1.0, 2.0]])}, (torch.ones(1, 2),))
    assert_close(out, np.array([[3.0]], dtype=np.float32))
