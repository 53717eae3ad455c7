"""nn.functional.linear_cross_entropy, nn.LinearCrossEntropyLoss and nn.LinearCrossEntropyOptions:
values against a numpy implementation of linear + cross entropy (class weights, ignore_index, label
smoothing, probability targets, every reduction, K-dimensional out_features, unbatched input) on every
device; gradients against linear + cross_entropy composed by hand and finite differences; the
module's parameters, init, state_dict and repr; the options' validation; PyTorch's errors."""
import doctest
import math
import warnings

import numpy as np
import pytest

import ferrotorch as torch
import ferrotorch.nn.functional as F
from ferrotorch.nn._functional import linear_cross_entropy as _functional_module
from ferrotorch.nn.modules import linear_cross_entropy as _module_module
from ferrotorch.nn.modules import linear_cross_entropy_options as _options_module
from conftest import assert_close as _assert_close, to_numpy as _to_numpy

F64 = dict(rtol=1e-10, atol=1e-12)


def to_numpy(t):
    return _to_numpy(t.cpu())


def assert_close(actual, expected, **tol):
    _assert_close(actual.cpu(), expected, **(tol or F64))


def T(a, device="cpu"):
    return torch.tensor(np.array(a, order="C")).to(device)


def rand(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


def reference(x, W, target, bias=None, weight=None, reduction="mean", ignore_index=-100, label_smoothing=0.0):
    """numpy linear + cross entropy, written from the definitions. Class axis: 1 (0 when unbatched)."""
    C, *out, D = W.shape
    logits = x @ W.reshape(-1, D).T + (0 if bias is None else bias.reshape(-1))
    logits = logits.reshape(x.shape[:-1] + (C, *out))
    axis = 0 if x.ndim == 1 else 1
    shifted = logits - logits.max(axis=axis, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    w = np.ones(C) if weight is None else weight
    wshape = [1] * logp.ndim
    wshape[axis] = C
    wlogp = logp * w.reshape(wshape)
    if target.shape == logits.shape:  # class probabilities
        q = (1 - label_smoothing) * target + label_smoothing / C
        losses = -(q * wlogp).sum(axis=axis)
        if reduction == "none":
            return losses
        return losses.sum() / (losses.size if reduction == "mean" else 1)
    keep = target != ignore_index
    safe = np.where(keep, target, 0)
    picked = np.take_along_axis(wlogp, np.expand_dims(safe, axis), axis).squeeze(axis)
    nll = np.where(keep, -picked, 0.0)
    smooth = np.where(keep, -wlogp.sum(axis=axis), 0.0)
    losses = (1 - label_smoothing) * nll + label_smoothing / C * smooth
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    return losses.sum() / np.where(keep, w[safe], 0.0).sum()


CASES = {
    "plain": dict(),
    "bias": dict(bias=True),
    "class_weight": dict(weight=True),
    "ignore_index": dict(ignore=True),
    "smoothing": dict(label_smoothing=0.2),
    "all": dict(bias=True, weight=True, ignore=True, label_smoothing=0.1),
}


def build(case, N=6, D=4, C=5, out=(), seed=0):
    spec = CASES[case]
    x, W = rand((N, D), seed), rand((C, *out, D), seed + 1)
    target = np.random.default_rng(seed + 2).integers(0, C, (N, *out))
    kwargs, ref_kwargs = {}, {}
    if spec.get("bias"):
        ref_kwargs["bias"] = rand((C, *out), seed + 3)
    if spec.get("weight"):
        ref_kwargs["weight"] = np.random.default_rng(seed + 4).uniform(0.5, 2.0, C)
    if spec.get("ignore"):
        target.reshape(-1)[::3] = 2  # every third target is ignored
        kwargs["ignore_index"] = ref_kwargs["ignore_index"] = 2
    if "label_smoothing" in spec:
        kwargs["label_smoothing"] = ref_kwargs["label_smoothing"] = spec["label_smoothing"]
    return x, W, target, kwargs, ref_kwargs


def call(x, W, target, kwargs, ref_kwargs, device, reduction):
    bias = ref_kwargs.get("bias")
    weight = ref_kwargs.get("weight")
    return F.linear_cross_entropy(T(x, device), T(W, device), T(target, device),
                                  linear_bias=None if bias is None else T(bias, device),
                                  weight=None if weight is None else T(weight, device),
                                  reduction=reduction, **kwargs)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("case", list(CASES))
def test_matches_numpy_reference(device, case, reduction):
    x, W, target, kwargs, ref_kwargs = build(case)
    loss = call(x, W, target, kwargs, ref_kwargs, device, reduction)
    assert loss.device.type == torch.device(device).type
    assert_close(loss, reference(x, W, target, reduction=reduction, **ref_kwargs))


@pytest.mark.parametrize("reduction", ["mean", "none"])
@pytest.mark.parametrize("case", ["plain", "all"])
def test_out_features_k_dimensional_loss(device, case, reduction):
    x, W, target, kwargs, ref_kwargs = build(case, N=3, D=4, C=3, out=(2, 3), seed=10)
    loss = call(x, W, target, kwargs, ref_kwargs, device, reduction)
    expected = reference(x, W, target, reduction=reduction, **ref_kwargs)
    assert tuple(loss.shape) == np.shape(expected)
    assert_close(loss, expected)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_probability_targets(device, reduction):
    x, W = rand((4, 3), 20), rand((5, 3), 21)
    p = np.random.default_rng(22).dirichlet(np.ones(5), 4)
    weight = np.random.default_rng(23).uniform(0.5, 2.0, 5)
    loss = F.linear_cross_entropy(T(x, device), T(W, device), T(p, device), weight=T(weight, device),
                                  reduction=reduction, label_smoothing=0.3)
    assert_close(loss, reference(x, W, p, weight=weight, reduction=reduction, label_smoothing=0.3))


def test_unbatched_input(device):
    x, W = rand((3,), 30), rand((4, 3), 31)
    loss = F.linear_cross_entropy(T(x, device), T(W, device), T(np.array(2), device))
    assert tuple(loss.shape) == ()
    assert_close(loss, reference(x, W, np.array(2)))
    p = np.random.default_rng(32).dirichlet(np.ones(4))
    assert_close(F.linear_cross_entropy(T(x, device), T(W, device), T(p, device)), reference(x, W, p))


def test_float32(device):
    x, W, target, kwargs, ref_kwargs = build("all", seed=40)
    loss = F.linear_cross_entropy(T(x, device).float(), T(W, device).float(), T(target, device),
                                  linear_bias=T(ref_kwargs["bias"], device).float(),
                                  weight=T(ref_kwargs["weight"], device).float(), **kwargs)
    assert loss.dtype == torch.float32
    assert_close(loss, np.float32(reference(x, W, target, **ref_kwargs)), rtol=1e-5, atol=1e-6)


def test_gradients_match_linear_then_cross_entropy(device):
    x, W, target, kwargs, ref_kwargs = build("all", N=4, D=3, C=3, out=(2,), seed=50)
    grads = []
    for fused in (True, False):
        xs, Ws, bs = (T(a, device).requires_grad_(True) for a in (x, W, ref_kwargs["bias"]))
        weight = T(ref_kwargs["weight"], device)
        if fused:
            loss = F.linear_cross_entropy(xs, Ws, T(target, device), linear_bias=bs, weight=weight, **kwargs)
        else:
            logits = F.linear(xs, Ws.reshape(6, 3), bs.reshape(6)).reshape(4, 3, 2)
            loss = F.cross_entropy(logits, T(target, device), weight=weight, **kwargs)
        loss.backward()
        grads.append([to_numpy(t.grad) for t in (xs, Ws, bs)])
    for fused_grad, composed_grad in zip(*grads):
        np.testing.assert_allclose(fused_grad, composed_grad, rtol=1e-12, atol=1e-14)


def test_gradcheck_against_finite_differences():
    x, W, target, kwargs, ref_kwargs = build("all", N=3, D=2, C=3, seed=60)
    weight = T(ref_kwargs["weight"])
    inputs = tuple(T(a).requires_grad_(True) for a in (x, W, ref_kwargs["bias"]))
    fn = lambda a, b, c: F.linear_cross_entropy(a, b, T(target), linear_bias=c, weight=weight, **kwargs)  # noqa: E731
    assert torch.autograd.gradcheck(fn, inputs)


def test_errors():
    x = torch.zeros(3, 4)
    t = torch.tensor([0, 1, 2])
    with pytest.raises(RuntimeError, match="expected input with dimensionality 1 or 2, got 3"):
        F.linear_cross_entropy(torch.zeros(3, 4, 5), torch.zeros(5, 4), t)
    with pytest.raises(RuntimeError, match="expected linear_weight with dimensionality at least 2, got 1"):
        F.linear_cross_entropy(x, torch.zeros(5), t)
    with pytest.raises(RuntimeError, match=r"expected equal input and linear_weight last dimensions \(in_features\), "
                                           "got 4 and 3, respectively"):
        F.linear_cross_entropy(x, torch.zeros(5, 3), t)
    with pytest.raises(RuntimeError, match=r"expected linear_bias shape \(5,\), got \(4,\)"):
        F.linear_cross_entropy(x, torch.zeros(5, 4), t, linear_bias=torch.zeros(4))
    with pytest.raises(RuntimeError, match=r"K-dimensional loss defined by linear_weight shape \(5, 2, 4\) requires "
                                           r"batched input, \(N, 4\), got unbatched input with shape \(4,\)"):
        F.linear_cross_entropy(torch.zeros(4), torch.zeros(5, 2, 4), torch.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="ignore_index cannot be specified when target contains probabilities"):
        F.linear_cross_entropy(x, torch.zeros(5, 4), torch.full((3, 5), 0.2), ignore_index=1)


def test_ignore_index_none_means_minus_100(device):
    x, W = rand((3, 4), 70), rand((5, 4), 71)
    target = np.array([0, -100, 2])
    loss = F.linear_cross_entropy(T(x, device), T(W, device), T(target, device), reduction="none")
    expected = reference(x, W, target, reduction="none")
    assert expected[1] == 0.0
    assert_close(loss, expected)


# ----------------------------------------------------------------------------- module

def test_module_parameters_state_dict_and_repr():
    loss = torch.nn.LinearCrossEntropyLoss(4, 3, out_features=(2,), bias=True, weight=torch.ones(3))
    assert [(n, tuple(p.shape)) for n, p in loss.named_parameters()] == [("linear.weight", (6, 4)),
                                                                          ("linear.bias", (6,))]
    assert list(loss.state_dict()) == ["weight", "linear.weight", "linear.bias"]
    assert repr(loss) == (
        "LinearCrossEntropyLoss(\n"
        "  in_features=4, num_classes=3, out_features=(2,), bias=True, reduction=mean, ignore_index=None, "
        "label_smoothing=0.0, options=None\n"
        "  (linear): Linear(in_features=4, out_features=6, bias=True)\n)")
    plain = torch.nn.LinearCrossEntropyLoss(4, 3, dtype=torch.float64)
    assert list(plain.state_dict()) == ["linear.weight"] and plain.linear.bias is None
    assert plain.linear.weight.dtype == torch.float64


def test_module_init_is_linears():
    # Linear's init: Kaiming-uniform weight (bound 1/sqrt(in_features) for a = sqrt(5)), bias
    # uniform in the same bound.
    loss = torch.nn.LinearCrossEntropyLoss(50, 40, out_features=(5,), bias=True)
    bound = 1 / math.sqrt(50)
    w, b = to_numpy(loss.linear.weight), to_numpy(loss.linear.bias)
    assert w.shape == (200, 50) and b.shape == (200,)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.9 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound


def test_module_forward_matches_functional(device):
    torch.manual_seed(0)
    weight = np.array([0.5, 1.0, 2.0])
    loss = torch.nn.LinearCrossEntropyLoss(4, 3, out_features=(2,), bias=True, dtype=torch.float64,
                                           weight=T(weight), ignore_index=1, label_smoothing=0.1,
                                           reduction="sum").to(device)
    x = rand((5, 4), 80)
    target = np.random.default_rng(81).integers(0, 3, (5, 2))
    out = loss(T(x, device), T(target, device))
    W = to_numpy(loss.linear.weight).reshape(3, 2, 4)
    b = to_numpy(loss.linear.bias).reshape(3, 2)
    assert_close(out, reference(x, W, target, bias=b, weight=weight, reduction="sum", ignore_index=1,
                                label_smoothing=0.1))
    out.backward()
    assert tuple(loss.linear.weight.grad.shape) == (6, 4) and loss.linear.weight.grad.device.type == \
        torch.device(device).type


def test_module_errors():
    with pytest.raises(RuntimeError, match=r"expected weight shape to be \(3,\), got \(4,\)"):
        torch.nn.LinearCrossEntropyLoss(4, 3, weight=torch.ones(4))
    with pytest.raises(RuntimeError, match=r"expected label_smoothing to be in range \[0, 1\], got 1.5"):
        torch.nn.LinearCrossEntropyLoss(4, 3, label_smoothing=1.5)


# ----------------------------------------------------------------------------- options

def test_options_fields_defaults_and_repr():
    O = torch.nn.LinearCrossEntropyOptions  # noqa: E741
    assert repr(O()) == ("LinearCrossEntropyOptions(allow_retain_graph=False, batch_chunk_size=None, "
                         "chunking_method='auto', acc_policy='auto', acc_dtype=None)")
    with pytest.raises(AttributeError):
        O().batch_chunk_size = 3  # frozen, as in PyTorch


@pytest.mark.parametrize("kwargs, message", [
    (dict(acc_policy="x"), "invalid acc_policy: 'x'; expected one of 'auto', 'accurate', 'compact'"),
    (dict(chunking_method="foo"), "invalid chunking_method: 'foo'"),
    (dict(chunking_method="aspect_ratio:0"), "invalid chunking_method: 'aspect_ratio:0'"),
    (dict(batch_chunk_size=0), "batch_chunk_size must be positive int or None, got 0"),
    (dict(acc_dtype=torch.int32), r"acc_dtype must be one of \{None, torch.float16, torch.bfloat16, torch.float32, "
                                  r"torch.float64\}, got torch.int32. Pass acc_dtype=None"),
])
def test_options_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        torch.nn.LinearCrossEntropyOptions(**kwargs)


def test_options_give_the_reference_loss_and_keep_pytorchs_checks(device):
    O = torch.nn.LinearCrossEntropyOptions  # noqa: E741
    x, W, target, kwargs, ref_kwargs = build("plain", N=8, D=4, C=5, seed=90)
    expected = reference(x, W, target)
    for options in [O(), O(batch_chunk_size=3, chunking_method=None), O(acc_policy="accurate"),
                    O(batch_chunk_size=4, chunking_method="aspect_ratio"), O(acc_dtype=torch.float64)]:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the chunked path applies: no "options ignored" warning
            loss = F.linear_cross_entropy(T(x, device), T(W, device), T(target, device), options=options)
        assert_close(loss, expected)
    with pytest.raises(RuntimeError, match="linear_cross_entropy supports float32 acc_dtype with float16/bfloat16 "
                                           "inputs, but got torch.float64 acc_dtype and torch.float32 inputs."):
        F.linear_cross_entropy(T(x, device).float(), T(W, device).float(), T(target, device),
                               options=O(acc_dtype=torch.float64))
    # next_pow2(ceil(8 / ceil(5 / 4))) = 4, halved by the factor 2
    with pytest.raises(ValueError, match=r"batch_chunk_size \(=3\) and chunking_method \('aspect_ratio:2'\) give "
                                         r"different chunk sizes \(3 vs 2\); pass only one."):
        F.linear_cross_entropy(T(x, device), T(W, device), T(target, device),
                               options=O(batch_chunk_size=3, chunking_method="aspect_ratio:2"))


def test_options_that_cannot_apply_warn_and_still_give_the_loss():
    x, W, target, kwargs, ref_kwargs = build("smoothing", seed=95)
    with pytest.warns(UserWarning, match=r"linear_cross_entropy: ``options`` ignored; chunked path needs .* Got "
                                         r"reduction='mean', label_smoothing=0.2, target.dtype=torch.int64"):
        loss = F.linear_cross_entropy(T(x), T(W), T(target), options=torch.nn.LinearCrossEntropyOptions(),
                                      **kwargs)
    assert_close(loss, reference(x, W, target, **ref_kwargs))


def test_options_apply_to_a_probability_target_requiring_grad_under_no_grad():
    # Under no_grad the target will not be differentiated, so the chunked path still applies and
    # nothing warns; with grad enabled the same call falls back and warns.
    x, W, _, _, _ = build("plain", N=6, D=3, C=4, seed=97)
    probabilities = np.random.default_rng(98).dirichlet(np.ones(4), size=6)
    target = T(probabilities).requires_grad_(True)
    options = torch.nn.LinearCrossEntropyOptions()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.linear_cross_entropy(T(x), T(W), target, options=options)
    assert_close(loss, reference(x, W, probabilities))
    with pytest.warns(UserWarning, match="target.requires_grad=True"):
        F.linear_cross_entropy(T(x), T(W), target, options=options)


def test_exports():
    assert torch.nn.LinearCrossEntropyOptions is _options_module.LinearCrossEntropyOptions
    assert torch.nn.modules.linear_cross_entropy_options.LinearCrossEntropyOptions is \
        torch.nn.LinearCrossEntropyOptions
    assert F.linear_cross_entropy is _functional_module.linear_cross_entropy


@pytest.mark.parametrize("module", [_functional_module, _module_module, _options_module])
def test_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
