"""Gradients of every differentiable registry op against finite differences (gradcheck, in
float64), on contiguous and transposed inputs, including 0-d, empty and broadcast samples.
Ops whose result is not floating point must not require grad; no op may silently drop a
gradient (a floating result of an input that requires grad must require grad too)."""
import numpy as np
import pytest

import ferrotorch as torch
from conftest import from_numpy
from registry import ALL_OPS

CASES = [info for info in ALL_OPS if info.differentiable and "float64" in info.dtypes]


def _leaf(a, transposed):
    t = from_numpy(np.ascontiguousarray(a.T), "float64").T if transposed else from_numpy(a, "float64")
    return t.requires_grad_()


def _inputs(sample, transposed):
    out = []
    for a in sample.args:
        if isinstance(a, np.ndarray) and a.dtype.kind == "f":
            out.append(_leaf(a, transposed and a.ndim >= 2))
        elif isinstance(a, np.ndarray):
            out.append(from_numpy(a, str(a.dtype)))
        else:
            out.append(a)
    return out


def _float_outputs(r):
    rs = r if isinstance(r, (tuple, list)) else (r,)
    return [x for x in rs if isinstance(x, torch.Tensor) and x.dtype.is_floating_point]


@pytest.mark.parametrize("transposed", [False, True], ids=["contiguous", "transposed"])
@pytest.mark.parametrize("info", CASES, ids=[f"{i.family}-{i.name}" for i in CASES])
def test_gradcheck(info, transposed):
    checked = 0
    for sample in info.samples("float64"):
        args = _inputs(sample, transposed)
        if not any(isinstance(a, torch.Tensor) and a.requires_grad for a in args):
            continue
        result = info.op(torch, *args, **sample.kwargs)
        rs = result if isinstance(result, (tuple, list)) else (result,)
        for r in rs:
            if isinstance(r, torch.Tensor) and not r.dtype.is_floating_point:
                assert not r.requires_grad, f"{info.name}: a {r.dtype} result must not require grad"
        floats = _float_outputs(result)
        for r in floats:
            assert r.requires_grad, f"{info.name} dropped the gradient (no grad_fn on its result)"
        if not floats:
            continue

        def fn(*ts):
            return tuple(_float_outputs(info.op(torch, *ts, **sample.kwargs)))

        assert torch.autograd.gradcheck(fn, tuple(args), atol=1e-5, rtol=1e-3), sample.name
        checked += 1
    if not checked:
        pytest.skip("no sample with a floating-point input")
