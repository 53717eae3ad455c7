"""Gradients of every differentiable registry op on the GPU, against the CPU backend's
gradients of the same float32 inputs (contiguous and transposed): the backward formulas are
tensor programs, so they must run on the GPU with the GPU's kernels and give the same values."""
import numpy as np
import pytest

import ferrotorch as torch
from conftest import requires_gpu
from gpu_known_gaps import GPU_GAPS
from registry import ALL_OPS
from test_gpu_registry import ON_GPU

pytestmark = requires_gpu

CASES = [info for info in ALL_OPS if info.differentiable and "float32" in info.dtypes]


def _inputs(sample, device, transposed):
    out = []
    for a in sample.args:
        if isinstance(a, np.ndarray) and a.dtype.kind == "f":
            if transposed and a.ndim >= 2:
                t = torch.from_numpy(np.ascontiguousarray(a.T).astype(np.float32)).to(device).T
            else:
                t = torch.from_numpy(a.astype(np.float32)).to(device)
            out.append(t.detach().requires_grad_())
        elif isinstance(a, np.ndarray):
            out.append(torch.from_numpy(a).to(device))
        else:
            out.append(a)
    return out


def _floats(r):
    rs = r if isinstance(r, (tuple, list)) else (r,)
    return [x for x in rs if isinstance(x, torch.Tensor) and x.dtype.is_floating_point and x.requires_grad]


def _grads(info, sample, device, transposed):
    mod = ON_GPU if device == "cuda" else torch
    args = _inputs(sample, device, transposed)
    outs = _floats(info.op(mod, *args, **sample.kwargs))
    if not outs:
        return None
    # A fixed, non-uniform upstream gradient (cos of a ramp) exercises every output element.
    loss = sum((o * torch.arange(o.numel(), dtype=torch.float32, device=device).reshape(o.shape).cos()).sum() for o in outs)
    leaves = [a for a in args if isinstance(a, torch.Tensor) and a.requires_grad]
    gs = torch.autograd.grad(loss, leaves, allow_unused=True)
    return [None if g is None else g.detach().cpu().numpy() for g in gs]


@pytest.mark.parametrize("transposed", [False, True], ids=["contiguous", "transposed"])
@pytest.mark.parametrize("info", CASES, ids=[i.name for i in CASES])
def test_gradients_on_gpu_match_cpu(info, transposed, request):
    gap = GPU_GAPS.get(info.name)
    if gap is not None and (gap[0] is None or "float32" in gap[0]):
        request.applymarker(pytest.mark.xfail(reason=gap[1], strict=True, raises=(NotImplementedError, TypeError)))
    checked = 0
    for sample in info.samples("float32"):
        try:
            ref = _grads(info, sample, "cpu", transposed)
        except Exception:  # bad-input samples are covered by the forward tests
            continue
        got = _grads(info, sample, "cuda", transposed)
        if ref is None:
            continue
        assert got is not None and len(got) == len(ref)
        for g, r in zip(got, ref):
            assert (g is None) == (r is None)
            if r is not None:
                np.testing.assert_allclose(g, r, rtol=1e-3, atol=1e-4, equal_nan=True)
        checked += 1
    if checked == 0:
        pytest.skip("no float32 sample with a differentiable result")
