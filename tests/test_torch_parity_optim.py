"""Regression tests for differences from PyTorch 2.15 found by running the same optim / lr_scheduler /
amp / utils.data calls through both libraries. Each test states PyTorch's behaviour with numpy or hand
references (no torch import: CI has no PyTorch)."""
import copy
import pickle
import warnings

import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch import nn, optim
from ferrotorch.optim import lr_scheduler
from conftest import assert_close, from_numpy, to_numpy


def _dev(device):
    return "cuda" if device == "gpu" else "cpu"


# ----------------------------------------------------------------------------- LBFGS

_RNG = np.random.default_rng(3)
_A = _RNG.standard_normal((6, 4))
_B = _RNG.standard_normal(6)
_X0 = _RNG.standard_normal(4)


def _lbfgs_problem(device, sign, **kw):
    dev = _dev(device)
    x = nn.Parameter(from_numpy(_X0).to(dev))
    A, b = from_numpy(_A).to(dev), from_numpy(_B).to(dev)
    opt = optim.LBFGS([x], **kw)

    def closure():
        opt.zero_grad()
        r = A @ x - b
        loss = sign * (r * r).sum()
        loss.backward()
        return loss
    return x, opt, closure


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_maximize_matches_minimizing_the_negation(device, line_search_fn):
    # maximize=True on -f takes exactly the steps that maximize=False takes on f, and reaches lstsq.
    x1, o1, c1 = _lbfgs_problem(device, 1.0, line_search_fn=line_search_fn, lr=0.5)
    x2, o2, c2 = _lbfgs_problem(device, -1.0, line_search_fn=line_search_fn, lr=0.5, maximize=True)
    for _ in range(3):
        l1, l2 = o1.step(c1), o2.step(c2)
        assert l2.item() == pytest.approx(-l1.item(), rel=1e-10, abs=1e-12)
        assert_close(x2.cpu(), to_numpy(x1.cpu()), rtol=1e-10, atol=1e-12)
    if line_search_fn:
        assert_close(x2.cpu(), np.linalg.lstsq(_A, _B, rcond=None)[0], rtol=1e-4, atol=1e-4)
    assert o1.param_groups[0]["maximize"] is False and o2.param_groups[0]["maximize"] is True


def test_lbfgs_checks_lr():
    with pytest.raises(ValueError, match=r"^Invalid learning rate: -1$"):
        optim.LBFGS([nn.Parameter(torch.ones(2))], lr=-1)
    with pytest.raises(TypeError):
        optim.LBFGS([nn.Parameter(torch.ones(2))], 1, 20, None, 1e-7, 1e-9, 100, None, False)  # keyword-only


def test_lbfgs_resumes_from_a_pytorch_style_state():
    # PyTorch keeps "al", "ro" entries and "H_diag" as 0-d tensors; such a checkpoint must load and
    # continue exactly like the run it came from.
    x, opt, closure = _lbfgs_problem("cpu", 1.0, max_iter=3)
    opt.step(closure)
    state = opt.state_dict()
    assert set(state["state"][0]) >= {"al", "ro", "H_diag", "d", "t", "old_dirs", "old_stps"}
    assert len(state["state"][0]["al"]) == opt.param_groups[0]["history_size"]
    saved = copy.deepcopy(state)
    st = saved["state"][0]
    st["ro"] = [torch.tensor(r, dtype=torch.float64) for r in st["ro"]]
    st["H_diag"] = torch.tensor(st["H_diag"], dtype=torch.float64)
    st["al"] = [None if a is None else torch.tensor(a, dtype=torch.float64) for a in st["al"]]
    y, opt2, closure2 = _lbfgs_problem("cpu", 1.0, max_iter=3)
    with torch.no_grad():
        y.copy_(x)
    opt2.load_state_dict(saved)
    opt.step(closure)
    opt2.step(closure2)
    assert_close(y, to_numpy(x), rtol=1e-12, atol=1e-14)


# ----------------------------------------------------------------------------- constructor checks

def test_adam_tensor_lr_with_foreach_is_refused():
    for cls in (optim.Adam, optim.AdamW):
        with pytest.raises(ValueError, match=r"^lr as a Tensor is not supported for capturable=False and foreach=True$"):
            cls([nn.Parameter(torch.ones(2))], lr=torch.tensor(0.1), foreach=True)
        cls([nn.Parameter(torch.ones(2))], lr=torch.tensor(0.1), foreach=True, capturable=True)
    with pytest.raises(ValueError, match=r"^Tensor lr must be 1-element$"):
        optim.Adam([nn.Parameter(torch.ones(2))], lr=torch.tensor([0.1, 0.2]))


def test_adam_betas_types():
    p = [nn.Parameter(torch.ones(2))]
    with pytest.raises(ValueError, match=r"^betas must be either both floats or both Tensors$"):
        optim.Adam(p, betas=(0.9, torch.tensor(0.99)))
    with pytest.raises(ValueError, match=r"^betas must be either both floats or both Tensors$"):
        optim.Adam(p, betas=(0, 0.99))  # an int beta is refused too
    # The range check comes first, as in PyTorch.
    with pytest.raises(ValueError, match=r"^Invalid beta parameter at index 1: 1$"):
        optim.Adam(p, betas=(0.9, 1))
    with pytest.raises(ValueError, match=r"^betas\[0\] as a Tensor is not supported for capturable=False and foreach=True$"):
        optim.Adam(p, betas=(torch.tensor(0.9), torch.tensor(0.99)), foreach=True)
    # A 2-element beta already fails the range comparison (PyTorch raises the same).
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"):
        optim.Adam(p, betas=(torch.tensor(0.9), torch.tensor([0.99, 0.9])))


def test_adam_tensor_betas_run_like_float_betas(device):
    dev = _dev(device)
    w0 = np.array([[0.5, -1.0], [2.0, 0.25]], dtype=np.float32)
    grads = [np.array([[1.0, -2.0], [0.5, 3.0]], dtype=np.float32) * (k + 1) for k in range(3)]
    ps = [nn.Parameter(from_numpy(w0).to(dev)) for _ in range(2)]
    o1 = optim.Adam([ps[0]], lr=0.1, betas=(torch.tensor([0.8]), torch.tensor([[0.9]])))
    o2 = optim.Adam([ps[1]], lr=0.1, betas=(0.8, 0.9))
    b = o1.param_groups[0]["betas"]
    assert isinstance(b[0], torch.Tensor) and tuple(b[0].shape) == () and tuple(b[1].shape) == ()
    m, v, w = np.zeros_like(w0), np.zeros_like(w0), w0.astype(np.float64)
    for k, g in enumerate(grads, 1):
        for p in ps:
            p.grad = from_numpy(g).to(dev)
        o1.step()
        o2.step()
        m = 0.8 * m + 0.2 * g
        v = 0.9 * v + 0.1 * g * g
        w = w - 0.1 / (1 - 0.8 ** k) * m / (np.sqrt(v) / np.sqrt(1 - 0.9 ** k) + 1e-8)
    assert_close(ps[0].cpu(), w.astype(np.float32), rtol=1e-5)
    assert_close(ps[1].cpu(), to_numpy(ps[0].cpu()), rtol=1e-6)


def test_fused_with_differentiable_message():
    with pytest.raises(RuntimeError, match=r"^`fused` does not support `differentiable`$"):
        optim.Adam([nn.Parameter(torch.ones(2))], fused=True, differentiable=True)
    with pytest.raises(RuntimeError, match=r"^`fused` does not support `differentiable`$"):
        optim.SGD([nn.Parameter(torch.ones(2))], lr=0.1, fused=True, differentiable=True)


def test_asgd_single_tensor_capturable_is_accepted():
    p = nn.Parameter(torch.ones(2))
    opt = optim.ASGD([p], foreach=False, capturable=True)
    assert opt.param_groups[0]["capturable"] is True


def test_params_as_a_set_warn_but_work():
    p = nn.Parameter(torch.ones(2))
    with pytest.warns(FutureWarning, match=r"ordering of tensors in sets will change between runs. Please use a list "
                                           r"instead. This will be an error in a future release."):
        opt = optim.SGD({p}, lr=0.5)
    p.grad = torch.ones(2)
    opt.step()
    assert_close(p, np.full(2, 0.5, np.float32))
    # Inside a param group dict a set stays an error.
    with pytest.raises(TypeError, match="optimizer parameters need to be organized in ordered collections"):
        optim.SGD([{"params": {p}}], lr=0.5)


# ----------------------------------------------------------------------------- lr_scheduler

def _opt(lr=0.1):
    return optim.SGD([nn.Parameter(torch.ones(2))], lr=lr)


@pytest.mark.parametrize("make", [
    lambda o: lr_scheduler.StepLR(o, 2),
    lambda o: lr_scheduler.OneCycleLR(o, 0.1, total_steps=10),
    lambda o: lr_scheduler.ReduceLROnPlateau(o),
    lambda o: lr_scheduler.LambdaLR(o, lambda e: 1.0),
])
def test_scheduler_state_dict_has_no_verbose(make):
    s = make(_opt())
    assert "verbose" not in s.state_dict()
    assert not hasattr(s, "verbose")


def test_scheduler_verbose_still_accepted_with_warning():
    with pytest.warns(UserWarning, match="The verbose parameter is deprecated"):
        s = lr_scheduler.StepLR(_opt(), 2, verbose=False)
    assert "verbose" not in s.state_dict()


def test_scheduler_tensor_lr_is_not_aliased():
    opt = optim.SGD([nn.Parameter(torch.ones(2))], lr=torch.tensor(0.4))
    s = lr_scheduler.ExponentialLR(opt, 0.5)
    opt.step()
    s.step()
    last = s.get_last_lr()
    assert isinstance(last[0], torch.Tensor) and last[0] is not opt.param_groups[0]["lr"]
    assert isinstance(s.base_lrs[0], torch.Tensor)
    opt.param_groups[0]["lr"].fill_(9.0)
    opt.param_groups[0]["initial_lr"].fill_(7.0)
    assert last[0].item() == pytest.approx(0.2) and s.base_lrs[0].item() == pytest.approx(0.4)
    opt.step()
    s.step()  # chainable form: 9.0 * 0.5, the base untouched
    assert s.get_last_lr()[0].item() == pytest.approx(4.5)


def test_scheduler_resume_without_initial_lr_message():
    msg = ("param 'initial_lr' is not specified in param_groups[0] when resuming scheduler with last_epoch >= 0.\n"
           "This typically happens when:\n"
           "1. You're trying to resume training from a checkpoint but haven't properly loaded the optimizer state\n"
           "2. You're using last_epoch >= 0 for a fresh training run (not recommended)")
    with pytest.raises(KeyError) as info:
        lr_scheduler.StepLR(_opt(), 2, last_epoch=3)
    assert info.value.args[0] == msg


# ----------------------------------------------------------------------------- amp.GradScaler

def test_grad_scaler_pickles_its_current_scale(device):
    dev = _dev(device)
    p = nn.Parameter(torch.ones(2, device=dev))
    opt = optim.SGD([p], lr=0.1)
    scaler = torch.amp.GradScaler(dev, init_scale=8.0, growth_interval=1)
    scaler.scale((p * 3).sum()).backward()
    scaler.unscale_(opt)  # per-optimizer bookkeeping is now pending
    with pytest.raises(AssertionError, match=r"^A GradScaler instance may only be pickled at the beginning of an "
                                             r"iteration, or at the end after scaler.update\(\).$"):
        pickle.dumps(scaler)
    scaler.step(opt)
    scaler.update()  # one clean step with growth_interval=1: scale 8 -> 16, tracker back to 0
    state = scaler.__getstate__()
    assert state["_scale"] is None and state["_growth_tracker"] is None
    assert state["_init_scale"] == 16.0 and state["_init_growth_tracker"] == 0
    clone = pickle.loads(pickle.dumps(scaler))
    assert clone.get_scale() == 16.0 and clone.state_dict() == scaler.state_dict()
    # The live scaler is unchanged by pickling.
    assert scaler.get_scale() == 16.0 and scaler._scale is not None


# ----------------------------------------------------------------------------- utils.data

def test_iterable_dataset_is_abstract():
    from ferrotorch.utils.data import IterableDataset
    with pytest.raises(TypeError, match=r"^Can't instantiate abstract class IterableDataset"):
        IterableDataset()

    class Counting(IterableDataset):
        def __iter__(self):
            return iter(range(3))
    assert list(Counting() + Counting()) == [0, 1, 2, 0, 1, 2]


def test_no_unexpected_warnings_on_plain_use():
    # The common path (list of params, scheduler stepped after the optimizer) stays silent.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt = _opt()
        s = lr_scheduler.CosineAnnealingLR(opt, 5)
        opt.step()
        s.step()
