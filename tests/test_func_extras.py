"""torch.func.linearize, functionalize, stack_module_state and replace_all_batch_norm_modules_."""
import numpy as np
import pytest

import ferrotorch as torch
from conftest import assert_close


def _f(x, y):
    return (x * y).sin() + x ** 2


def test_linearize_output_and_jvp_match_closed_form(device):
    x0, y0 = np.array([0.5, -1.0, 2.0]), np.array([1.5, 0.25, -0.5])
    tx, ty = np.array([1.0, 2.0, -1.0]), np.array([0.5, -1.0, 3.0])
    x = torch.tensor(x0).to(device)
    y = torch.tensor(y0).to(device)
    out, jvp_fn = torch.func.linearize(_f, x, y)
    assert_close(out.cpu(), np.sin(x0 * y0) + x0 ** 2, rtol=1e-12)
    expected = np.cos(x0 * y0) * (tx * y0 + x0 * ty) + 2 * x0 * tx
    # Called twice: the saved graph is reused.
    for _ in range(2):
        jv = jvp_fn(torch.tensor(tx).to(device), torch.tensor(ty).to(device))
        assert_close(jv.cpu(), expected, rtol=1e-12)
    assert not jv.requires_grad


def test_linearize_matches_finite_differences_for_matrix_function():
    a = np.random.default_rng(0).standard_normal((3, 3))
    t = np.random.default_rng(1).standard_normal((3, 3))

    def f(m):
        return m @ m.T + m.exp()

    _, jvp_fn = torch.func.linearize(f, torch.tensor(a))
    fd = (to_np(f(torch.tensor(a + 1e-6 * t))) - to_np(f(torch.tensor(a - 1e-6 * t)))) / 2e-6
    assert_close(jvp_fn(torch.tensor(t)), fd, rtol=1e-6, atol=1e-8)


def to_np(t):
    return t.detach().numpy()


def test_linearize_zero_dim_and_constant_output():
    out, jvp_fn = torch.func.linearize(lambda x: x * 3.0, torch.tensor(2.0))
    assert out.item() == 6.0 and jvp_fn(torch.tensor(1.5)).item() == 4.5
    out, jvp_fn = torch.func.linearize(lambda x: torch.ones(2), torch.tensor([1.0]))
    assert jvp_fn(torch.tensor([1.0])).tolist() == [0.0, 0.0]


def test_linearize_errors():
    _, jvp_fn = torch.func.linearize(_f, torch.ones(2), torch.ones(2))
    with pytest.raises(RuntimeError, match=r"tangent:0 with shape torch.Size\(\[3\]\) in flattened pytree doesn't "
                                           r"match the shape torch.Size\(\[2\]\) of the corresponding primal."):
        jvp_fn(torch.ones(3), torch.ones(2))
    with pytest.raises(RuntimeError, match=r"tangent:1 with dtype torch.float64 in flattened pytree doesn't match "
                                           r"the dtype torch.float32 of the corresponding primal."):
        jvp_fn(torch.ones(2), torch.ones(2, dtype=torch.float64))
    with pytest.raises(RuntimeError, match=r"^Expected the tangents TreeSpec\(tuple, None, \[\*\]\) to have the same "
                                           r"argspec as the primals TreeSpec\(tuple, None, \[\*,\n  \*\]\)$"):
        jvp_fn(torch.ones(2))


def test_functionalize_same_values_and_propagates_input_mutation():
    def f(x):
        y = x.clone()
        y.add_(1.0)
        x.mul_(2.0)
        return y

    x = torch.tensor([1.0, 2.0])
    out = torch.func.functionalize(f)(x)
    # PyTorch returns the value computed before the mutation and copies the mutation back to x.
    assert out.tolist() == [2.0, 3.0] and x.tolist() == [2.0, 4.0]
    g = torch.func.functionalize(lambda a, b: a * b + 1, remove="mutations_and_views")
    assert g(torch.tensor([2.0]), torch.tensor([3.0])).tolist() == [7.0]


def test_functionalize_invalid_remove():
    with pytest.raises(RuntimeError, match=r"^functionalize\(f, remove='mutations'\): received invalid argument for "
                                           r"remove=foo. Valid options are:\n     remove='mutations': all inplace"):
        torch.func.functionalize(lambda x: x, remove="foo")


def test_stack_module_state_stacks_params_and_buffers():
    torch.manual_seed(0)
    models = [torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2)) for _ in range(3)]
    params, buffers = torch.func.stack_module_state(models)
    assert list(params) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert list(buffers) == ["1.running_mean", "1.running_var", "1.num_batches_tracked"]
    for name, stacked in params.items():
        assert stacked.is_leaf and stacked.requires_grad and tuple(stacked.shape[:1]) == (3,)
        for i, m in enumerate(models):
            assert_close(stacked[i].detach(), dict(m.named_parameters())[name].detach().numpy())
    assert not buffers["1.running_mean"].requires_grad
    # Ensembling with vmap + functional_call gives each model's own output.
    x = torch.randn(4, 3)
    for m in models:
        m.eval()

    def run(p, b, data):
        return torch.func.functional_call(models[0], (p, b), (data,))

    out = torch.func.vmap(run, (0, 0, None))(params, buffers, x)
    for i, m in enumerate(models):
        assert_close(out[i].detach(), m(x).detach().numpy(), rtol=1e-5)


def test_stack_module_state_errors():
    with pytest.raises(RuntimeError, match="stack_module_state: Expected at least one model, got 0."):
        torch.func.stack_module_state([])
    with pytest.raises(RuntimeError, match="stack_module_state: Expected all models to have the same training/eval "
                                           "mode."):
        torch.func.stack_module_state([torch.nn.Linear(2, 2), torch.nn.Linear(2, 2).eval()])
    with pytest.raises(RuntimeError, match="stack_module_state: Expected all models to be of the same class."):
        torch.func.stack_module_state([torch.nn.Linear(2, 2), torch.nn.Conv1d(2, 2, 1)])
    a, b = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    b.bias.requires_grad_(False)
    with pytest.raises(RuntimeError, match="Expected bias from each model to have the same .requires_grad"):
        torch.func.stack_module_state([a, b])


def test_replace_all_batch_norm_modules_():
    net = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.BatchNorm1d(3),
                              torch.nn.Sequential(torch.nn.BatchNorm1d(3)))
    assert torch.func.replace_all_batch_norm_modules_(net) is net
    for bn in (net[1], net[2][0]):
        assert bn.running_mean is None and bn.running_var is None and bn.num_batches_tracked is None
        assert bn.track_running_stats is False
    x = torch.randn(5, 3, dtype=torch.float32)
    net.eval()
    # Without running stats, eval mode normalises with the batch statistics.
    h = net[0](x).detach().numpy()
    expected = (h - h.mean(0)) / np.sqrt(h.var(0) + 1e-5)
    expected = (expected - expected.mean(0)) / np.sqrt(expected.var(0) + 1e-5)
    assert_close(net(x).detach(), expected, rtol=1e-4, atol=1e-4)
    assert torch.func.replace_all_batch_norm_modules_(torch.nn.BatchNorm1d(2)).track_running_stats is False
