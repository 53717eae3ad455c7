"""Regression tests for differences from PyTorch found by running the same nn.Module, init and
serialization calls through both libraries: norm layers' `bias=` keyword and repr, container
behaviour and reprs, the state-dict protocol (metadata, hooks, extra state, the overridable
`_load_from_state_dict` signature), full backward hooks, init aliases and messages, and the
checkpoint loader's error messages. Expected values come from numpy or are worked out by hand.
"""
import io
import math
import pickle
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import ferrotorch as torch
from conftest import assert_close, from_numpy, to_numpy

nn = torch.nn


def _dev(device):
    return "cuda" if device == "gpu" else device


# ---------------------------------------------------------------------------------- norm layers
@pytest.mark.parametrize("cls,args", [(nn.BatchNorm1d, (3,)), (nn.InstanceNorm1d, (3,)), (nn.GroupNorm, (1, 3))])
def test_norm_bias_keyword_drops_only_the_bias(cls, args):
    kwargs = {"affine": True} if cls is nn.InstanceNorm1d else {}
    m = cls(*args, bias=False, **kwargs)
    assert m.bias is None and m.weight is not None
    assert "bias" not in m.state_dict() and "weight" in m.state_dict()
    assert "affine=True, bias=False" in repr(m)
    assert "bias=True" in repr(cls(*args, **kwargs))


def test_norm_reprs_show_bias():
    assert repr(nn.BatchNorm2d(4)) == "BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, " \
                                      "track_running_stats=True)"
    assert repr(nn.InstanceNorm2d(3)) == "InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=False, bias=False, " \
                                         "track_running_stats=False)"
    assert repr(nn.LayerNorm([3, 4])) == "LayerNorm((3, 4), eps=1e-05, elementwise_affine=True, bias=True)"
    assert repr(nn.LayerNorm(4, bias=False)) == "LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=False)"
    assert repr(nn.GroupNorm(2, 4)) == "GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)"
    assert repr(nn.LazyBatchNorm1d(bias=False)) == ("LazyBatchNorm1d(0, eps=1e-05, momentum=0.1, affine=True, "
                                                     "bias=False, track_running_stats=True)")


def test_batch_norm_without_bias_forward(device):
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    m = nn.BatchNorm1d(3, bias=False).to(_dev(device))
    with torch.no_grad():
        m.weight.copy_(from_numpy(np.array([1.0, 2.0, -1.0], np.float32)))
    out = m(from_numpy(x).to(_dev(device)))
    ref = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5) * np.array([1.0, 2.0, -1.0], np.float32)
    assert_close(out.cpu(), ref, rtol=1e-4, atol=1e-5)


def test_lazy_batch_norm_without_bias_materialises_weight_only():
    m = nn.LazyBatchNorm1d(bias=False)
    m(torch.ones(4, 3))
    assert type(m) is nn.BatchNorm1d and m.bias is None and tuple(m.weight.shape) == (3,)


def test_sync_batch_norm_conversion_keeps_missing_bias():
    net = nn.SyncBatchNorm.convert_sync_batchnorm(nn.Sequential(nn.BatchNorm1d(2, bias=False)))
    assert type(net[0]) is nn.SyncBatchNorm and net[0].bias is None


def test_triplet_with_distance_default_is_pairwise_distance_module():
    loss = nn.TripletMarginWithDistanceLoss()
    assert isinstance(loss.distance_function, nn.PairwiseDistance)
    assert repr(loss) == "TripletMarginWithDistanceLoss(\n  (distance_function): PairwiseDistance()\n)"
    rng = np.random.default_rng(1)
    a, p, n = (rng.standard_normal((4, 3)) for _ in range(3))

    def dist(u, v):
        return np.linalg.norm(u - v + 1e-6, axis=1)
    ref = np.maximum(dist(a, p) - dist(a, n) + 1.0, 0).mean()
    assert_close(loss(from_numpy(a), from_numpy(p), from_numpy(n)), np.float64(ref), rtol=1e-6)


# ---------------------------------------------------------------------------------- containers
def test_sequential_insert_negative_index_counts_from_end():
    s = nn.Sequential(nn.ReLU(), nn.Tanh(), nn.Sigmoid())
    s.insert(-1, nn.Identity())
    assert [type(m).__name__ for m in s] == ["ReLU", "Tanh", "Identity", "Sigmoid"]
    assert list(s._modules) == ["0", "1", "2", "3"]


def test_sequential_multiplication():
    relu = nn.ReLU()
    s = nn.Sequential(relu, nn.Tanh())
    for r in (s * 2, 2 * s):
        assert [type(m).__name__ for m in r] == ["ReLU", "Tanh", "ReLU", "Tanh"] and r[2] is relu
    same = s
    s *= 3
    assert s is same and len(s) == 6
    with pytest.raises(TypeError, match=r"unsupported operand type\(s\) for \*: <class"):
        s * 1.5
    with pytest.raises(ValueError, match="Non-positive multiplication factor 0 for"):
        s * 0


def test_sequential_inplace_add_keeps_object():
    s = nn.Sequential(nn.ReLU())
    same = s
    s += nn.Sequential(nn.Tanh())
    assert s is same and len(s) == 2
    with pytest.raises(ValueError, match="add operator supports only objects of Sequential class"):
        s += [nn.ReLU()]


def test_module_list_repr_compresses_repeated_entries():
    ml = nn.ModuleList([nn.ReLU(), nn.ReLU(), nn.Tanh(), nn.ReLU()])
    assert repr(ml) == "ModuleList(\n  (0-1): 2 x ReLU()\n  (2): Tanh()\n  (3): ReLU()\n)"
    lin = nn.ModuleList([nn.Linear(1, 2) for _ in range(3)])
    assert repr(lin) == "ModuleList(\n  (0-2): 3 x Linear(in_features=1, out_features=2, bias=True)\n)"
    assert repr(nn.ModuleList()) == "ModuleList()"
    nested = repr(nn.Sequential(nn.ModuleList([nn.ReLU(), nn.ReLU()])))
    assert nested == "Sequential(\n  (0): ModuleList(\n    (0-1): 2 x ReLU()\n  )\n)"


def test_module_dict_update_errors():
    with pytest.raises(TypeError, match="^ModuleDict.update should be called with an iterable of key/value pairs, "
                                        "but got int$"):
        nn.ModuleDict().update(3)
    with pytest.raises(ValueError, match="^ModuleDict update sequence element #0 has length 3; 2 is required$"):
        nn.ModuleDict().update([("a", nn.ReLU(), 1)])


def test_parameter_list_repr(device):
    pl = nn.ParameterList([nn.Parameter(torch.zeros(2)), torch.ones(2, 3, dtype=torch.float64)])
    assert repr(pl) == ("ParameterList(\n    (0): Parameter containing: [torch.float32 of size 2]\n"
                        "    (1): Parameter containing: [torch.float64 of size 2x3]\n)")
    assert repr(pl[1:]) == "ParameterList(  (0): Parameter containing: [torch.float64 of size 2x3])"
    if device == "gpu":
        g = nn.ParameterList([torch.zeros(1, device="cuda"), torch.zeros(1, device="cuda")])
        assert repr(g).endswith(f"[torch.float32 of size 1 ({g[0].device})]\n)")


def test_parameter_dict_repr_and_plain_dict_order():
    pd = nn.ParameterDict({"b": nn.Parameter(torch.zeros(2)), "a": torch.ones(2, 3)})
    assert list(pd) == ["a", "b"]  # a plain dict's keys are added sorted
    assert repr(pd) == ("ParameterDict(\n    (a): Parameter containing: [torch.FloatTensor of size 2x3]\n"
                        "    (b): Parameter containing: [torch.FloatTensor of size 2]\n)")
    ordered = nn.ParameterDict(OrderedDict([("z", torch.zeros(1)), ("y", torch.zeros(1))]))
    assert list(ordered) == ["z", "y"]


def test_parameter_dict_dict_methods():
    p = nn.Parameter(torch.zeros(2))
    pd = nn.ParameterDict(OrderedDict([("a", p)]))
    c = pd.copy()
    assert type(c) is nn.ParameterDict and c["a"] is p and c is not pd
    x = pd.setdefault("x", torch.ones(1))
    assert type(x) is nn.Parameter and pd.setdefault("x", None) is x
    assert pd.popitem()[0] == "x" and list(pd) == ["a"]
    assert list(pd.fromkeys(["u", "v"])) == ["u", "v"]
    merged = pd | nn.ParameterDict(OrderedDict([("b", torch.zeros(1))]))
    assert list(merged) == ["a", "b"] and list(pd) == ["a"]
    pd |= merged
    assert list(pd) == ["a", "b"]
    with pytest.raises(TypeError, match="Index given to ParameterDict cannot be used as a key as it is not a "
                                        r"string \(type is 'int'\)"):
        pd[1] = torch.zeros(1)
    with pytest.raises(TypeError, match="^ParametersDict.update should be called with an iterable"):
        pd.update(3)


# ---------------------------------------------------------------------------------- state dict
def _net():
    return nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))


def test_state_dict_metadata_versions():
    sd = _net().state_dict()
    assert dict(sd._metadata) == {"": {"version": 1}, "0": {"version": 1}, "1": {"version": 2}}
    buf = io.BytesIO()
    torch.save(sd, buf)
    buf.seek(0)
    assert dict(torch.load(buf)._metadata) == dict(sd._metadata)


def test_batch_norm_num_batches_tracked_missing():
    m = _net()
    sd = m.state_dict()
    del sd["1.num_batches_tracked"]
    # A current checkpoint (version 2) lacking the key reports it missing...
    with pytest.raises(RuntimeError, match='^Error\\(s\\) in loading state_dict for Sequential:\n\tMissing '
                                           'key\\(s\\) in state_dict: "1.num_batches_tracked". $'):
        m.load_state_dict(sd)
    assert m.load_state_dict(sd, strict=False).missing_keys == ["1.num_batches_tracked"]
    # ...while one without metadata is treated as pre-version-2 and gets 0 filled in.
    assert repr(m.load_state_dict(dict(sd))) == "<All keys matched successfully>"


def test_overriding_load_from_state_dict_with_pytorch_signature():
    class Shifted(nn.Linear):
        def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                  error_msgs):
            assert local_metadata == {"version": 1}
            state_dict[prefix + "bias"] = torch.full((1,), 9.0)
            super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                          error_msgs)
    net = nn.Sequential(Shifted(1, 1))
    sd = net.state_dict()
    del sd["0.bias"]
    net.load_state_dict(sd)
    assert net[0].bias.tolist() == [9.0]


def test_state_dict_and_load_hooks():
    log = []
    m = nn.Sequential(nn.Linear(1, 1))
    m.register_state_dict_pre_hook(lambda mod, prefix, keep_vars: log.append(("pre", prefix, keep_vars)))

    def post(mod, sd, prefix, meta):
        log.append(("post", list(sd)))
        sd["extra"] = torch.zeros(1)
    m.register_state_dict_post_hook(post)
    sd = m.state_dict()
    assert list(sd) == ["0.weight", "0.bias", "extra"]
    m[0].register_load_state_dict_pre_hook(
        lambda mod, sd, prefix, meta, strict, mk, uk, em: log.append(("lpre", type(mod).__name__, prefix, sorted(sd))))

    def lpost(mod, keys):
        log.append(("lpost", list(keys.unexpected_keys)))
        keys.unexpected_keys.clear()
    m.register_load_state_dict_post_hook(lpost)
    assert repr(m.load_state_dict(sd)) == "<All keys matched successfully>"
    assert log == [("pre", "", False), ("post", ["0.weight", "0.bias"]),
                   ("lpre", "Linear", "0.", ["0.bias", "0.weight"]), ("lpost", ["extra"])]
    m.register_state_dict_post_hook(lambda *a: {})
    with pytest.raises(RuntimeError, match="^state_dict post-hook must return None$"):
        m.state_dict()


def test_extra_state_round_trip():
    class WithExtra(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(1, 1)
            self.step = 5

        def get_extra_state(self):
            return {"step": self.step}

        def set_extra_state(self, state):
            self.step = state["step"]
    sd = WithExtra().state_dict()
    assert list(sd) == ["_extra_state", "lin.weight", "lin.bias"]
    other = WithExtra()
    other.step = 0
    other.load_state_dict(sd)
    assert other.step == 5
    del sd["_extra_state"]
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "_extra_state"'):
        other.load_state_dict(sd)
    plain = nn.Linear(1, 1)
    keys = plain.load_state_dict({**plain.state_dict(), "_extra_state": 1}, strict=False)
    assert keys.unexpected_keys == ["_extra_state"] and keys.missing_keys == []
    with pytest.raises(RuntimeError, match='Unexpected key\\(s\\) in state_dict: "_extra_state"'):
        plain.load_state_dict({**plain.state_dict(), "_extra_state": 1})


def test_scalar_loads_from_one_element_checkpoint():
    m = nn.BatchNorm1d(2)
    sd = dict(m.state_dict(), num_batches_tracked=torch.tensor([3]))
    m.load_state_dict(sd)
    assert m.num_batches_tracked.shape == () and m.num_batches_tracked.item() == 3


# ---------------------------------------------------------------------------------- backward hooks
def _lin(device):
    m = nn.Linear(2, 3).to(_dev(device))
    with torch.no_grad():
        m.weight.copy_(torch.arange(6.0).reshape(3, 2))
        m.bias.zero_()
    return m


def test_full_backward_hook_sees_input_and_output_grads(device):
    m, log = _lin(device), []
    m.register_full_backward_hook(lambda mod, gi, go: log.append((mod, gi, go)))
    x = torch.ones(1, 2, device=_dev(device), requires_grad=True)
    m(x).sum().backward()
    (mod, gi, go), = log
    assert mod is m and len(gi) == 1 and len(go) == 1
    # d(sum(x W^T))/dx = column sums of W = [0+2+4, 1+3+5].
    assert_close(gi[0].cpu(), np.array([[6.0, 9.0]], np.float32))
    assert_close(go[0].cpu(), np.ones((1, 3), np.float32))


def test_full_backward_hook_can_replace_grad_input(device):
    m = _lin(device)
    m.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 10,))
    x = torch.ones(1, 2, device=_dev(device), requires_grad=True)
    m(x).sum().backward()
    assert_close(x.grad.cpu(), np.array([[60.0, 90.0]], np.float32))
    assert_close(m.weight.grad.cpu(), np.ones((3, 2), np.float32))  # parameters are unaffected


def test_full_backward_pre_hook_replaces_grad_output(device):
    m, seen = _lin(device), []
    m.register_full_backward_pre_hook(lambda mod, go: (seen.append(to_numpy(go[0].cpu())), (go[0] * 2,))[1])
    x = torch.ones(1, 2, device=_dev(device), requires_grad=True)
    m(x).sum().backward()
    np.testing.assert_array_equal(seen[0], np.ones((1, 3), np.float32))
    assert_close(x.grad.cpu(), np.array([[12.0, 18.0]], np.float32))
    assert_close(m.weight.grad.cpu(), np.full((3, 2), 2.0, np.float32))


def test_full_backward_hook_without_input_grad_warns_and_gets_none():
    m, log = _lin("cpu"), []
    m.register_full_backward_hook(lambda mod, gi, go: log.append(gi))
    with pytest.warns(UserWarning, match="Full backward hook is firing when gradients are computed with respect "
                                         "to module outputs since no inputs require gradients"):
        m(torch.ones(1, 2)).sum().backward()
    assert log == [(None,)]


def test_full_backward_hook_bad_length_and_removal():
    m = _lin("cpu")
    h = m.register_full_backward_hook(lambda mod, gi, go: (gi[0], gi[0]))
    with pytest.raises(RuntimeError, match="^Backward hook returned an invalid number of grad_input, got 2, but "
                                           "expected 1$"):
        m(torch.ones(1, 2, requires_grad=True)).sum().backward()
    h.remove()
    x = torch.ones(1, 2, requires_grad=True)
    m(x).sum().backward()
    assert x.grad.tolist() == [[6.0, 9.0]]


def test_full_backward_hook_non_tensor_args_are_none():
    class Scale(nn.Module):
        def forward(self, x, k, y):
            return x * k + y
    m, log = Scale(), []
    m.register_full_backward_hook(lambda mod, gi, go: log.append(gi))
    x = torch.ones(2, requires_grad=True)
    m(x, 3.0, torch.ones(2)).sum().backward()
    assert len(log[0]) == 3 and log[0][1] is None and log[0][2] is None
    assert log[0][0].tolist() == [3.0, 3.0]


# ---------------------------------------------------------------------------------- Module methods
def test_get_parameter_missing_attribute_message():
    net = nn.Sequential(nn.Linear(1, 1), nn.BatchNorm1d(1))
    with pytest.raises(AttributeError, match="^Linear has no attribute `foo`$"):
        net.get_parameter("0.foo")
    with pytest.raises(AttributeError, match="^`running_mean` is not an nn.Parameter$"):
        net.get_parameter("1.running_mean")


def test_set_submodule():
    net = nn.Sequential(nn.ReLU(), nn.Sequential(nn.ReLU()))
    net.set_submodule("1.0", nn.Tanh())
    assert type(net[1][0]) is nn.Tanh
    net.set_submodule("new", nn.Identity())
    assert type(net.new) is nn.Identity
    with pytest.raises(AttributeError, match="^Sequential has no attribute `zz`$"):
        net.set_submodule("zz", nn.ReLU(), strict=True)
    with pytest.raises(ValueError, match="^Cannot set the submodule without a target name!$"):
        net.set_submodule("", nn.ReLU())
    with pytest.raises(ValueError, match="^`module` is not an nn.Module, found <class 'int'>$"):
        net.set_submodule("0", 3)
    lin = nn.Linear(1, 1)
    with pytest.raises(AttributeError, match="^`weight` is not an nn.Module$"):
        lin.set_submodule("weight", nn.ReLU())


def test_to_empty_share_memory_compile(device):
    m = nn.Linear(2, 3)
    p = m.weight
    assert m.to_empty(device=_dev(device)) is m and m.weight is p
    assert tuple(m.weight.shape) == (3, 2) and m.weight.device.type == torch.empty(1, device=_dev(device)).device.type
    assert m.share_memory() is m and m.compile() is None


def test_to_same_device_and_dtype_is_a_no_op():
    m = nn.Linear(2, 1).double()
    p = m.weight
    m.to("cpu")
    m.to(torch.float64)
    assert m.weight is p and m.weight.dtype == torch.float64


# ---------------------------------------------------------------------------------- nn.init
def test_init_deprecated_aliases_warn():
    with pytest.warns(FutureWarning, match="^`nn.init.normal` is now deprecated in favor of `nn.init.normal_`.$"):
        t = nn.init.normal(torch.empty(3), 5.0, 0.0)
    assert t.tolist() == [5.0, 5.0, 5.0]
    for name in ("uniform", "constant", "eye", "dirac", "xavier_uniform", "xavier_normal", "kaiming_uniform",
                 "kaiming_normal", "orthogonal", "sparse"):
        assert getattr(nn.init, name).__name__ == name


def test_init_messages():
    with pytest.raises(ValueError, match=r"^Mode x not supported, please use one of \['fan_in', 'fan_out'\]$"):
        nn.init.kaiming_uniform_(torch.empty(2, 3), mode="x")
    with pytest.warns(UserWarning, match="^Initializing zero-element tensors is a no-op$"):
        nn.init.kaiming_normal_(torch.empty(0, 3))


@pytest.mark.parametrize("shape", [(3, 5), (6, 2, 2)])
def test_orthogonal_on_device(device, shape):
    t = nn.init.orthogonal_(torch.empty(*shape, device=_dev(device)), gain=2.0)
    assert t.device.type == torch.empty(1, device=_dev(device)).device.type
    flat = to_numpy(t.cpu()).reshape(shape[0], -1).astype(np.float64)
    gram = flat @ flat.T if flat.shape[0] <= flat.shape[1] else flat.T @ flat
    np.testing.assert_allclose(gram, 4.0 * np.eye(gram.shape[0]), atol=1e-5)


def test_kaiming_uniform_bound_statistics():
    # Linear's default init: kaiming_uniform_(a=sqrt(5)) -> U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    w = to_numpy(nn.Linear(400, 300).weight)
    bound = 1 / math.sqrt(400)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.02 * bound


# ---------------------------------------------------------------------------------- serialization
class _Custom:
    pass


def test_weights_only_refusal_message_matches_pytorch():
    buf = io.BytesIO()
    torch.save({"a": _Custom()}, buf)
    buf.seek(0)
    with pytest.raises(pickle.UnpicklingError) as info:
        torch.load(buf)
    msg = str(info.value)
    assert msg.startswith("Weights only load failed. This file can still be loaded, to do so you have two "
                          "options, \033[1mdo those steps only if you trust the source of the checkpoint\033[0m. "
                          "\n\t(1) In PyTorch 2.6, we changed the default value of the `weights_only` argument")
    assert f"\n\tWeightsUnpickler error: Unsupported global: GLOBAL {__name__}._Custom was not an allowed global" in msg
    assert msg.endswith("\n\nCheck the documentation of torch.load to learn more about types accepted by default "
                        "with weights_only https://pytorch.org/docs/stable/generated/torch.load.html.")


def test_save_load_bad_file_messages():
    with pytest.raises(AttributeError, match="^expected 'f' to be string, path, or a file-like object with a "
                                             "'write' attribute$"):
        torch.save({}, 3)
    with pytest.raises(AttributeError, match="^'int' object has no attribute 'seek'. You can only torch.load from "
                                             "a file that is seekable."):
        torch.load(3)
    with pytest.raises(EOFError, match="^$"):
        torch.load(io.BytesIO(b""))


def test_shared_views_survive_round_trip(device):
    base = torch.arange(24.0, device=_dev(device)).reshape(4, 6)
    buf = io.BytesIO()
    torch.save({"t": base.t(), "s": base[1:3, ::2], "b": base}, buf)
    buf.seek(0)
    got = torch.load(buf)
    assert got["t"].stride() == (1, 6) and got["s"].storage_offset() == 6
    with torch.no_grad():
        got["b"][1, 2] = 100.0
    assert got["t"][2, 1].item() == 100.0 and got["s"][0, 1].item() == 100.0
    assert_close(got["b"].cpu(), np.where(np.arange(24) == 8, 100, np.arange(24)).reshape(4, 6).astype(np.float32))


def test_suppressed_warnings_are_not_leaked():
    # The tests above that expect warnings use pytest.warns; make sure hooks leave no global filter behind.
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        m = _lin("cpu")
        x = torch.ones(1, 2, requires_grad=True)
        m(x).sum().backward()
    assert rec == []
