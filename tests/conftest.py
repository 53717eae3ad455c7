"""Shared test helpers: conversions between numpy and ferrotorch and comparisons."""
import os
import subprocess
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))

import ferrotorch as torch  # noqa: E402


def to_numpy(t):
    """A numpy copy of a tensor's values (bfloat16 goes through float32)."""
    t = t.detach()
    if t.dtype == torch.bfloat16:
        t = t.float()
    return np.array(t.numpy(), copy=True)


def from_numpy(a, dtype=None):
    """A ferrotorch tensor with the values of numpy array `a` (dtype name may be 'bfloat16')."""
    t = torch.tensor(np.array(a, order="C", copy=True))
    if dtype is not None:
        t = t.to(getattr(torch, dtype))
    return t


def assert_close(actual, expected, rtol=1e-5, atol=1e-6, check_dtype=True):
    """Compare a tensor (or scalar) with a numpy reference, NaNs equal, shapes exact."""
    if isinstance(actual, torch.Tensor):
        exp = np.asarray(expected)
        assert tuple(actual.shape) == exp.shape, f"shape {tuple(actual.shape)} != {exp.shape}"
        if check_dtype and exp.dtype != object and actual.dtype != torch.bfloat16:
            assert str(actual.dtype).replace("torch.", "") == str(exp.dtype), f"dtype {actual.dtype} != {exp.dtype}"
        act = to_numpy(actual)
    else:
        act, exp = np.asarray(actual), np.asarray(expected)
    if act.dtype == bool or exp.dtype == bool or np.issubdtype(exp.dtype, np.integer):
        np.testing.assert_array_equal(act, exp.astype(act.dtype) if exp.dtype != act.dtype else exp)
    elif np.iscomplexobj(act) or np.iscomplexobj(exp):
        np.testing.assert_allclose(act.astype(np.complex128), exp.astype(np.complex128), rtol=rtol, atol=atol, equal_nan=True)
    else:
        np.testing.assert_allclose(act.astype(np.float64), exp.astype(np.float64), rtol=rtol, atol=atol, equal_nan=True)


def finite_difference_grad(loss, a, eps=1e-6):
    """The gradient of a real-valued numpy `loss` at array `a` by central differences; for a complex
    `a`, dL/dre + i dL/dim, the convention of PyTorch's (and ferrotorch's) complex gradients."""
    grad = np.zeros(a.shape, dtype=a.dtype)
    steps = [1.0, 1j] if np.iscomplexobj(a) else [1.0]
    for index in np.ndindex(a.shape):
        for step in steps:
            plus, minus = a.copy(), a.copy()
            plus[index] += eps * step
            minus[index] -= eps * step
            grad[index] += (loss(plus) - loss(minus)) / (2 * eps) * step
    return grad


@pytest.fixture
def t():
    return torch


# ----------------------------------------------------------------------------- GPU
# CI sets FERROTORCH_REQUIRE_GPU=1 (with FERROTORCH_ALLOW_SOFTWARE_GPU=1 for lavapipe), so the
# GPU tests cannot silently skip there; elsewhere they skip when no adapter is usable.
GPU_AVAILABLE = torch.cuda.is_available()
if os.environ.get("FERROTORCH_REQUIRE_GPU") == "1" and not GPU_AVAILABLE:
    raise RuntimeError(f"FERROTORCH_REQUIRE_GPU=1 but the GPU is unavailable: {torch._C._gpu_unavailable_reason()}")
requires_gpu = pytest.mark.skipif(
    not GPU_AVAILABLE,
    reason="no usable GPU adapter (a software one needs FERROTORCH_ALLOW_SOFTWARE_GPU=1)",
)
DEVICES = ["cpu", pytest.param("gpu", marks=requires_gpu)]


@pytest.fixture(params=DEVICES)
def device(request):
    """Runs a test once per device: the CPU, and the GPU when one is usable."""
    return request.param


def run_in_fresh_process(code):
    """Runs `code` in a new Python process (for once-per-process behaviour such as PyTorch's
    TORCH_WARN_ONCE warnings) and returns its stdout lines; fails the test if it fails."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.splitlines()
