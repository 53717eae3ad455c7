"""nn.Module, Parameter, containers, init, and the core layers (Linear, Dropout, Flatten)."""
import copy
import math
import pickle

import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch import nn
from ferrotorch.nn import functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(8, 3)
        self.register_buffer("steps", torch.zeros((), dtype=torch.int64))
        self.register_buffer("scratch", torch.ones(2), persistent=False)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


def test_parameter_is_a_leaf_tensor_sharing_memory():
    t = torch.arange(3.0)
    p = nn.Parameter(t)
    assert isinstance(p, torch.Tensor) and isinstance(p, nn.Parameter)
    assert p.requires_grad and p.is_leaf and p.grad_fn is None
    t[0] = 7.0
    assert p[0].item() == 7.0  # aliases t's memory
    assert not nn.Parameter(t, requires_grad=False).requires_grad
    assert repr(p).startswith("Parameter containing:\ntensor([7., 1., 2.], requires_grad=True)")
    # Ops on a Parameter give plain tensors with a graph.
    y = p * 2
    assert type(y) is torch.Tensor and y.grad_fn is not None
    assert nn.Parameter().shape == (0,)


def test_parameter_copy_and_pickle_keep_type_and_requires_grad():
    p = nn.Parameter(torch.tensor([1.0, 2.0]))
    for q in (copy.deepcopy(p), pickle.loads(pickle.dumps(p))):
        assert type(q) is nn.Parameter and q.requires_grad
        assert q.tolist() == [1.0, 2.0] and q.data_ptr() != p.data_ptr()


def test_legacy_tensor_constructor():
    assert torch.Tensor(2, 3).shape == (2, 3)
    assert torch.Tensor([1, 2]).dtype == torch.float32
    assert torch.Tensor().shape == (0,)
    with pytest.raises(TypeError, match="must be tuple of ints"):
        torch.Tensor(2, "a")


def test_registration_and_iteration_order():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert [n for n, _ in net.named_buffers()] == ["steps", "scratch"]
    assert [n for n, _ in net.named_children()] == ["fc1", "act", "fc2"]
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "act", "fc2"]
    assert len(list(net.parameters(recurse=False))) == 0
    assert net.get_submodule("fc1") is net.fc1 and net.get_parameter("fc2.bias") is net.fc2.bias
    assert "fc1" in dir(net)


def test_shared_parameters_are_listed_once():
    a = nn.Linear(2, 2)
    seq = nn.Sequential(a, a)
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.named_parameters(remove_duplicate=False))) == 4


def test_setattr_rules_and_messages():
    net = Net()
    with pytest.raises(TypeError, match=r"cannot assign 'torch.FloatTensor' as parameter 'weight' "
                                        r"\(torch.nn.Parameter or None expected\)"):
        net.fc1.weight = torch.zeros(8, 4)
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'nope'"):
        net.nope
    with pytest.raises(KeyError, match="attribute 'fc1' already exists"):
        net.register_buffer("fc1", torch.zeros(1))
    with pytest.raises(KeyError, match='contain "."'):
        net.register_parameter("a.b", None)
    with pytest.raises(TypeError, match=r"cannot assign 'torch.FloatTensor' object to parameter 'w' "
                                        r"\(torch.nn.Parameter or None required\)"):
        net.register_parameter("w", torch.zeros(1))

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(torch.zeros(1))
    with pytest.raises(AttributeError, match=r"cannot assign parameters before Module.__init__\(\) call"):
        Early()
    net.fc1.bias = None
    assert [n for n, _ in net.fc1.named_parameters()] == ["weight"]
    del net.fc2
    assert "fc2" not in dict(net.named_children())
    with pytest.raises(NotImplementedError, match=r'Module \[Module\] is missing the required "forward"'):
        nn.Module()(1)


def test_linear_forward_matches_numpy_and_init_bounds():
    torch.manual_seed(0)
    lin = nn.Linear(5, 3)
    bound = 1 / math.sqrt(5)
    assert lin.weight.shape == (3, 5) and lin.bias.shape == (3,)
    assert lin.weight.abs().max().item() <= bound + 1e-7
    assert lin.bias.abs().max().item() <= bound + 1e-7
    x = torch.randn(2, 7, 5)
    want = x.numpy() @ lin.weight.detach().numpy().T + lin.bias.detach().numpy()
    np.testing.assert_allclose(lin(x).detach().numpy(), want, rtol=1e-5, atol=1e-6)
    x2 = torch.randn(4, 5)
    np.testing.assert_allclose(lin(x2).detach().numpy(),
                               x2.numpy() @ lin.weight.detach().numpy().T + lin.bias.detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    assert nn.Linear(5, 3, bias=False)(x2).shape == (4, 3)
    assert repr(lin) == "Linear(in_features=5, out_features=3, bias=True)"


def test_linear_gradients():
    lin = nn.Linear(3, 2).double()
    x = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, w, b: F.linear(x, w, b), (x, lin.weight, lin.bias))
    assert torch.autograd.gradcheck(lambda x, w: F.linear(x, w), (x.t().contiguous().t(), lin.weight))
    lin(x).sum().backward()
    np.testing.assert_allclose(lin.bias.grad.numpy(), [4.0, 4.0])
    np.testing.assert_allclose(lin.weight.grad.numpy(), np.tile(x.detach().numpy().sum(0), (2, 1)))


def test_repr_like_pytorch():
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Sequential(nn.Dropout(0.1), nn.Flatten()))
    assert repr(net) == (
        "Sequential(\n"
        "  (0): Linear(in_features=4, out_features=8, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Sequential(\n"
        "    (0): Dropout(p=0.1, inplace=False)\n"
        "    (1): Flatten(start_dim=1, end_dim=-1)\n"
        "  )\n"
        ")")


def test_train_eval_propagate():
    net = Net()
    assert net.training and net.fc1.training
    assert net.eval() is net and not net.fc1.training
    net.train()
    assert net.act.training
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        net.train(1)


def test_zero_grad_and_requires_grad():
    net = Net()
    net(torch.randn(2, 4)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(p.grad.abs().sum().item() == 0 for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_to_dtype_keeps_parameter_identity_and_skips_integer_buffers():
    net = Net()
    w = net.fc1.weight
    net.double()
    assert net.fc1.weight is w and w.dtype == torch.float64 and isinstance(w, nn.Parameter)
    assert net.steps.dtype == torch.int64
    net.to(torch.float32)
    assert w.dtype == torch.float32
    net.to("cpu")
    with pytest.raises(TypeError, match="nn.Module.to only accepts floating point"):
        net.to(torch.int32)


def test_apply_visits_children_first():
    seen = []
    Net().apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "ReLU", "Linear", "Net"]


def test_state_dict_round_trip_and_errors():
    torch.manual_seed(1)
    a, b = Net(), Net()
    sd = a.state_dict()
    # PyTorch's order: a module's own parameters and buffers, then its children's.
    assert list(sd) == ["steps", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert not sd["fc1.weight"].requires_grad
    assert sd["fc1.weight"].data_ptr() == a.fc1.weight.data_ptr()  # detached, not copied
    assert a.state_dict(keep_vars=True)["fc1.weight"] is a.fc1.weight
    result = b.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    x = torch.randn(3, 4)
    assert torch.equal(a(x), b(x))
    # Loading copies: b's parameters stay distinct objects.
    assert b.fc1.weight.data_ptr() != a.fc1.weight.data_ptr()

    bad = dict(sd)
    del bad["fc2.bias"]
    bad["extra.weight"] = torch.zeros(1)
    with pytest.raises(RuntimeError) as e:
        b.load_state_dict(bad)
    assert str(e.value) == ('Error(s) in loading state_dict for Net:\n\tMissing key(s) in state_dict: '
                            '"fc2.bias". \n\tUnexpected key(s) in state_dict: "extra.weight". ')
    r = b.load_state_dict(bad, strict=False)
    assert r.missing_keys == ["fc2.bias"] and r.unexpected_keys == ["extra.weight"]

    wrong = dict(sd)
    wrong["fc1.weight"] = torch.zeros(2, 2)
    with pytest.raises(RuntimeError, match=r"size mismatch for fc1.weight: copying a param with shape "
                                           r"torch.Size\(\[2, 2\]\) from checkpoint, the shape in current "
                                           r"model is torch.Size\(\[8, 4\]\)."):
        b.load_state_dict(wrong)


def test_load_state_dict_assign_replaces_parameters():
    a, b = Net(), Net()
    b.load_state_dict(a.state_dict(), assign=True)
    assert isinstance(b.fc1.weight, nn.Parameter) and b.fc1.weight.data_ptr() == a.fc1.weight.data_ptr()


def test_forward_hooks_and_removal():
    lin = nn.Linear(2, 2)
    calls = []
    h1 = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    h2 = lin.register_forward_hook(lambda m, args, out: calls.append(out.shape) or out + 1)
    out = lin(torch.ones(3, 2))
    assert calls == [(3, 2)]
    np.testing.assert_allclose(out.detach().numpy(), np.tile(lin.bias.detach().numpy() + 1, (3, 1)), rtol=1e-6)
    h1.remove()
    h2.remove()
    assert torch.equal(lin(torch.ones(1, 2)), F.linear(torch.ones(1, 2), lin.weight, lin.bias))

    seen = []
    with lin.register_forward_hook(lambda m, a, kw, o: seen.append(kw), with_kwargs=True):
        lin(torch.ones(1, 2))
    lin(torch.ones(1, 2))
    assert seen == [{}]


def test_sequential_indexing_slicing_and_mutation():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert isinstance(seq[0], nn.Linear) and isinstance(seq[-1], nn.Linear)
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[0] is seq[0]
    seq.append(nn.ReLU())
    assert len(seq) == 4
    del seq[1]
    assert [n for n, _ in seq.named_children()] == ["0", "1", "2"]
    with pytest.raises(IndexError, match="index 5 is out of range"):
        seq[5]
    from collections import OrderedDict
    named = nn.Sequential(OrderedDict([("inp", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert named.inp is named[0]
    assert named(torch.ones(1, 2)).shape == (1, 2)


def test_module_list_dict_parameter_containers():
    ml = nn.ModuleList([nn.Linear(1, 1) for _ in range(3)])
    ml.append(nn.ReLU())
    assert len(ml) == 4 and len(list(ml.parameters())) == 6 and isinstance(ml[1:], nn.ModuleList)
    with pytest.raises(TypeError, match="ModuleList.extend should be called with an iterable"):
        ml.extend(nn.ReLU())
    md = nn.ModuleDict({"a": nn.Linear(1, 2), "b": nn.ReLU()})
    assert list(md.keys()) == ["a", "b"] and "a" in md and len(list(md.parameters())) == 2
    pl = nn.ParameterList([torch.zeros(2), nn.Parameter(torch.ones(1))])
    assert all(isinstance(p, nn.Parameter) for p in pl) and len(list(pl.parameters())) == 2
    pd = nn.ParameterDict({"w": torch.zeros(3)})
    assert isinstance(pd["w"], nn.Parameter) and [n for n, _ in pd.named_parameters()] == ["w"]

    class Holder(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = ml
    assert len(Holder().state_dict()) == 6


def test_deepcopy_and_pickle_module():
    net = Net()
    clone = copy.deepcopy(net)
    assert clone.fc1.weight is not net.fc1.weight and isinstance(clone.fc1.weight, nn.Parameter)
    x = torch.randn(2, 4)
    assert torch.equal(clone(x), net(x))
    again = pickle.loads(pickle.dumps(net))
    assert torch.equal(again(x), net(x)) and again.fc1.weight.requires_grad


def test_dropout_statistics_and_eval_identity():
    torch.manual_seed(0)
    x = torch.ones(20000)
    y = F.dropout(x, 0.25)
    kept = (y != 0).float().mean().item()
    assert abs(kept - 0.75) < 0.02
    np.testing.assert_allclose(y[y != 0].numpy(), 1 / 0.75, rtol=1e-6)
    d = nn.Dropout(0.25).eval()
    assert torch.equal(d(x), x)
    assert F.dropout(x, 1.0).abs().sum().item() == 0
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        nn.Dropout(1.5)
    # The gradient is the same mask, rescaled.
    w = torch.ones(1000, requires_grad=True)
    out = F.dropout(w, 0.5)
    out.sum().backward()
    assert torch.equal(w.grad, out.detach())


def test_softmax_log_softmax_match_numpy_and_gradcheck():
    x = torch.randn(3, 5, dtype=torch.float64)
    e = np.exp(x.numpy() - x.numpy().max(1, keepdims=True))
    np.testing.assert_allclose(F.softmax(x, 1).numpy(), e / e.sum(1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(F.log_softmax(x, 1).numpy(), np.log(e / e.sum(1, keepdims=True)), rtol=1e-12)
    big = torch.tensor([1000.0, 0.0])
    assert F.softmax(big, 0).tolist() == [1.0, 0.0]
    xt = torch.randn(5, 3, dtype=torch.float64).t().requires_grad_()
    assert torch.autograd.gradcheck(lambda t: F.softmax(t, 1), (xt,))
    assert torch.autograd.gradcheck(lambda t: F.log_softmax(t, 0), (xt,))
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        F.softmax(x)


def test_flatten_unflatten():
    x = torch.randn(2, 3, 4)
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Unflatten(1, (3, 4))(nn.Flatten()(x)).shape == (2, 3, 4)
    assert repr(nn.Unflatten(1, (3, 4))) == "Unflatten(dim=1, unflattened_size=(3, 4))"


@pytest.mark.parametrize("name", ["xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"])
def test_init_fan_based_statistics(name):
    torch.manual_seed(0)
    w = torch.empty(400, 300)
    getattr(nn.init, name)(w)
    fan_in, fan_out = 300, 400
    if name.startswith("xavier"):
        std = math.sqrt(2.0 / (fan_in + fan_out))
    else:
        std = math.sqrt(2.0) / math.sqrt(fan_in)
    assert abs(w.std().item() / std - 1) < 0.03
    if name.endswith("uniform_"):
        assert w.abs().max().item() <= math.sqrt(3) * std + 1e-6


def test_init_misc():
    torch.manual_seed(0)
    w = torch.empty(1000)
    nn.init.trunc_normal_(w, mean=1.0, std=2.0, a=-1.0, b=2.0)
    assert w.min().item() >= -1.0 and w.max().item() <= 2.0
    q = nn.init.orthogonal_(torch.empty(3, 5))
    np.testing.assert_allclose(q.numpy() @ q.numpy().T, np.eye(3), atol=1e-5)
    assert nn.init.constant_(torch.empty(2), 3.0).tolist() == [3.0, 3.0]
    assert nn.init.eye_(torch.empty(2, 3)).tolist() == [[1, 0, 0], [0, 1, 0]]
    d = nn.init.dirac_(torch.empty(2, 2, 3))
    assert d[0, 0].tolist() == [0, 1, 0] and d[0, 1].tolist() == [0, 0, 0]
    assert nn.init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    with pytest.raises(ValueError, match="Fan in and fan out can not be computed"):
        nn.init.xavier_uniform_(torch.empty(3))
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    assert torch.equal(nn.init.normal_(torch.empty(4), generator=g1), nn.init.normal_(torch.empty(4), generator=g2))
    # Initialisers don't record into the graph.
    p = nn.Parameter(torch.zeros(3))
    nn.init.uniform_(p)
    assert p.is_leaf and p.grad_fn is None


def test_typename_like_pytorch():
    from collections import OrderedDict
    assert torch.typename(torch.zeros(1, dtype=torch.float64)) == "torch.DoubleTensor"
    assert torch.typename(3) == "int" and torch.typename(OrderedDict()) == "collections.OrderedDict"


def test_registration_names_with_a_dot_or_empty():
    m = torch.nn.Module()
    for register, kind in [(m.register_buffer, "buffer"), (m.register_parameter, "parameter")]:
        with pytest.raises(KeyError) as caught:
            register("a.b", None)
        assert caught.value.args == (f'{kind} name can\'t contain "."',)
        with pytest.raises(KeyError) as caught:
            register("", None)
        assert caught.value.args == (f'{kind} name can\'t be empty string ""',)
    # Only the module message names the offending name, as in PyTorch.
    with pytest.raises(KeyError) as caught:
        m.register_module("a.b", None)
    assert caught.value.args == ('module name can\'t contain ".", got: a.b',)
