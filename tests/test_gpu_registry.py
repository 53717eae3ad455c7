"""Every registry op on the GPU, compared with the CPU backend on the same inputs and the same
layouts (contiguous, transposed, strided views read in place on the GPU)."""
import numpy as np
import pytest

import ferrotorch as torch
from conftest import requires_gpu
from registry import ALL_OPS, INTS
from gpu_known_gaps import GPU_GAPS

pytestmark = requires_gpu

CASES = [(info, dtype) for info in ALL_OPS for dtype in info.dtypes if dtype != "bfloat16"]


def _make(a, dtype, layout, device):
    """The numpy array `a` as a tensor of `dtype` on `device`, in the given layout."""
    to = lambda x: torch.from_numpy(np.ascontiguousarray(x)).to(getattr(torch, dtype)).to(device)
    if layout == "transposed" and a.ndim >= 2:
        return to(a.T).T
    if layout == "strided" and a.ndim >= 1 and a.shape[-1] > 0:
        wide = to(np.repeat(a, 2, axis=-1))
        strides = list(wide.stride())
        strides[-1] *= 2
        return wide.as_strided(a.shape, strides)
    return to(a)


def _host(x):
    if isinstance(x, torch.Tensor):
        return x.detach().cpu()
    if isinstance(x, (tuple, list)):
        return type(x)(_host(v) for v in x)
    return x


def _compare(gpu, cpu, rtol, atol):
    if isinstance(cpu, torch.Tensor):
        assert isinstance(gpu, torch.Tensor) and gpu.is_cuda, f"result not on the GPU: {gpu!r}"
        assert gpu.dtype == cpu.dtype and gpu.shape == cpu.shape, (gpu.dtype, cpu.dtype, gpu.shape, cpu.shape)
        g, c = _host(gpu).numpy(), cpu.numpy()
        if c.dtype == bool or np.issubdtype(c.dtype, np.integer):
            np.testing.assert_array_equal(g, c)
        else:
            np.testing.assert_allclose(g.astype(np.float64), c.astype(np.float64), rtol=rtol, atol=atol, equal_nan=True)
    elif isinstance(cpu, (tuple, list)):
        assert len(gpu) == len(cpu)
        for a, b in zip(gpu, cpu):
            _compare(a, b, rtol, atol)
    else:
        assert gpu == cpu or (gpu != gpu and cpu != cpu)


class _OnGpu:
    """The torch module as registry ops see it, with `torch.tensor(...)` (index tensors) made
    on the GPU: as in PyTorch, a CPU index into a GPU tensor is an error."""

    def __getattr__(self, name):
        return getattr(torch, name)

    def tensor(self, data, **kw):
        kw.setdefault("device", "cuda")
        return torch.tensor(data, **kw)


ON_GPU = _OnGpu()


@pytest.mark.parametrize("layout", ["contiguous", "transposed", "strided"])
@pytest.mark.parametrize("info,dtype", CASES, ids=[f"{i.name}-{d}" for i, d in CASES])
def test_op_on_gpu_matches_cpu(info, dtype, layout, request):
    gap = GPU_GAPS.get(info.name)
    if gap is not None and (gap[0] is None or dtype in gap[0]):
        request.applymarker(pytest.mark.xfail(reason=gap[1], strict=True, raises=(NotImplementedError, TypeError)))
    ran = 0
    for sample in info.samples(dtype):
        cpu_args = [_make(a, dtype, layout, "cpu") if isinstance(a, np.ndarray) else a for a in sample.args]
        gpu_args = [_make(a, dtype, layout, "cuda") if isinstance(a, np.ndarray) else a for a in sample.args]
        try:
            expected = info.op(torch, *cpu_args, **sample.kwargs)
        except Exception as e:  # bad input: the GPU raises the same class
            with pytest.raises(type(e)):
                info.op(ON_GPU, *gpu_args, **sample.kwargs)
            continue
        actual = info.op(ON_GPU, *gpu_args, **sample.kwargs)
        result_dtype = str((expected[0] if isinstance(expected, tuple) else expected).dtype).replace("torch.", "") \
            if isinstance(expected, (torch.Tensor, tuple)) and not isinstance(expected, torch.Size) else dtype
        rtol, atol = info.tolerance(dtype if dtype not in ("bool",) + INTS else result_dtype)
        # float32 transcendental functions on the GPU are a few ulp off the CPU's libm.
        if result_dtype == "float32" or dtype == "float32":
            rtol, atol = max(rtol, 5e-4), max(atol, 1e-5)
        _compare(actual, expected, rtol, atol)
        ran += 1
    assert ran > 0 or not info.samples(dtype)
