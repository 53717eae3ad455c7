"""The shaders through an independent host: wgpu-py (wgpu-native underneath) compiles every
kernel specialisation ferrotorch generates, and runs the elementwise, reduction and matmul
kernels standalone against numpy. Catches shader bugs that our own host code could mask."""
import os

import numpy as np
import pytest

import ferrotorch as torch
from conftest import requires_gpu

wgpu = pytest.importorskip("wgpu", reason="wgpu-py is not installed (pip install wgpu)")
pytestmark = requires_gpu

STORAGE = wgpu.BufferUsage.STORAGE | wgpu.BufferUsage.COPY_SRC | wgpu.BufferUsage.COPY_DST


@pytest.fixture(scope="module")
def device():
    # The same software-adapter policy as ferrotorch's own context.
    adapter = wgpu.gpu.request_adapter_sync(power_preference="high-performance")
    assert adapter is not None
    if adapter.info.get("adapter_type", "").lower() == "cpu" and os.environ.get("FERROTORCH_ALLOW_SOFTWARE_GPU") != "1":
        pytest.skip("only a software adapter, and FERROTORCH_ALLOW_SOFTWARE_GPU is not set")
    wanted = [f for f in ("shader-f16", "shader-f64", "shader-int64") if f in adapter.features]
    return adapter.request_device_sync(required_features=wanted), set(wanted)


def _needs(name, src):
    feats = set()
    if "enable f16" in src:
        feats.add("shader-f16")
    if "f64" in src:
        feats.add("shader-f64")
    if "i64" in src:
        feats.add("shader-int64")
    return feats


def test_every_specialisation_compiles(device):
    dev, features = device
    sources = torch._C._gpu_shader_sources()
    compiled, failures = 0, []
    for name, src in sources:
        if not _needs(name, src) <= features:
            continue
        try:
            module = dev.create_shader_module(code=src)
            dev.create_compute_pipeline(layout="auto", compute={"module": module, "entry_point": "main"})
            compiled += 1
        except Exception as e:  # collect them all, report the first few
            failures.append(f"{name}: {e}")
    assert not failures, f"{len(failures)} failed:\n" + "\n".join(failures[:5])
    assert compiled > 300


def _source(prefix):
    for name, src in torch._C._gpu_shader_sources():
        if name == prefix:
            return src
    raise KeyError(prefix)


def _run(dev, src, buffers, workgroups):
    """Binds `buffers` (numpy arrays; binding = position) and returns them read back."""
    module = dev.create_shader_module(code=src)
    pipeline = dev.create_compute_pipeline(layout="auto", compute={"module": module, "entry_point": "main"})
    bufs = [dev.create_buffer_with_data(data=np.ascontiguousarray(a).tobytes(), usage=STORAGE) for a in buffers]
    layout = pipeline.get_bind_group_layout(0)
    entries = [{"binding": i, "resource": {"buffer": b, "offset": 0, "size": b.size}} for i, b in enumerate(bufs)]
    group = dev.create_bind_group(layout=layout, entries=entries)
    enc = dev.create_command_encoder()
    cp = enc.begin_compute_pass()
    cp.set_pipeline(pipeline)
    cp.set_bind_group(0, group)
    cp.dispatch_workgroups(workgroups, 1, 1)
    cp.end()
    dev.queue.submit([enc.finish()])
    return [np.frombuffer(dev.queue.read_buffer(b), dtype=a.dtype) for a, b in zip(buffers, bufs)]


def test_elementwise_kernels_standalone(device):
    dev, _ = device
    n = 1000
    rng = np.random.default_rng(0)
    a = rng.standard_normal(n).astype(np.float32)
    b = rng.standard_normal(n).astype(np.float32)
    # meta: n, ndim=1, shape, then input 0 (strided: offset, stride) and input 1 (offset, stride).
    meta = np.array([n, 1, n, 0, 1, 0, 1], np.uint32)
    for name, ref in [("binary add float32", a + b), ("binary mul float32", a * b), ("binary maximum float32", np.maximum(a, b))]:
        out = _run(dev, _source(name), [meta, np.zeros(n, np.float32), a, b], (n + 255) // 256)[1]
        np.testing.assert_allclose(out, ref, rtol=1e-6)
    out = _run(dev, _source("unary exp float32"), [np.array([n, 1, n, 0, 1], np.uint32), np.zeros(n, np.float32), a], (n + 255) // 256)[1]
    np.testing.assert_allclose(out, np.exp(a), rtol=2e-6)
    lt = _run(dev, _source("binary lt float32"), [meta, np.zeros(n, np.uint32), a, b], (n + 255) // 256)[1]
    np.testing.assert_array_equal(lt, (a < b).astype(np.uint32))


@pytest.mark.parametrize("layout", ["", " contiguous"])
def test_reduction_kernel_standalone(device, layout):
    dev, _ = device
    n = 5000
    a = np.random.default_rng(1).standard_normal(n).astype(np.float32)
    # meta: n, ndim, shape, input (offset, stride), then groups, inner, chunk, chunks, divisor.
    # An offset of 7 elements: the contiguous variant reads from offset + j.
    meta = np.array([n, 1, n, 7, 1, 1, n, n, 1, n], np.uint32)
    buf = np.concatenate([np.full(7, 1e6, np.float32), a])
    out = _run(dev, _source("reduce Sum float32" + layout + " rows=false"), [meta, np.zeros(1, np.float32), buf], 1)[1]
    np.testing.assert_allclose(out[0], a.astype(np.float64).sum(), rtol=1e-4, atol=1e-3)
    out = _run(dev, _source("reduce Max float32" + layout + " rows=false"), [meta, np.zeros(1, np.float32), buf], 1)[1]
    assert out[0] == a.max()


@pytest.mark.parametrize("layout", ["", " contiguous"])
def test_short_row_reduction_kernel_standalone(device, layout):
    # One invocation per group: 1000 groups of 5, shape (1000, 5) at offset 7.
    dev, _ = device
    a = np.random.default_rng(2).standard_normal((1000, 5)).astype(np.float32)
    meta = np.array([a.size, 2, 1000, 5, 7, 5, 1, 1000, 5, 5, 1, 5], np.uint32)
    buf = np.concatenate([np.full(7, 1e6, np.float32), a.ravel()])
    out = _run(dev, _source("reduce Mean float32" + layout + " rows=true"), [meta, np.zeros(1000, np.float32), buf], 4)[1]
    np.testing.assert_allclose(out, a.mean(1), rtol=1e-5, atol=1e-6)
    out = _run(dev, _source("reduce Min float32" + layout + " rows=true"), [meta, np.zeros(1000, np.float32), buf], 4)[1]
    np.testing.assert_array_equal(out, a.min(1))


def test_matmul_kernel_standalone(device):
    dev, _ = device
    m, k, n = 70, 33, 90
    rng = np.random.default_rng(2)
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    # meta: batch=1, batch dims=0, M, N, K, then A (offset, row stride, col stride), B (same).
    meta = np.array([1, 0, m, n, k, 0, k, 1, 0, n, 1], np.uint32)
    tiles = ((m + 63) // 64) * ((n + 63) // 64)
    out = _run(dev, _source("matmul float32"), [meta, np.zeros(m * n, np.float32), a, b], tiles)[1]
    np.testing.assert_allclose(out.reshape(m, n), a @ b, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("variant", ["64 a_k_contiguous=true b_k_contiguous=false", "128 a_k_contiguous=false b_k_contiguous=true"])
def test_matmul_vec4_kernel_standalone(device, variant):
    dev, _ = device
    tile = int(variant.split()[0])
    m, k, n = 68, 36, 132
    rng = np.random.default_rng(3)
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    # The same metadata as the scalar kernel; column-major operands are passed transposed.
    a_rows = "a_k_contiguous=true" in variant
    b_rows = "b_k_contiguous=false" in variant
    a_buf = a if a_rows else np.ascontiguousarray(a.T)
    b_buf = b if b_rows else np.ascontiguousarray(b.T)
    a_strides = (k, 1) if a_rows else (1, m)
    b_strides = (n, 1) if b_rows else (1, k)
    meta = np.array([1, 0, m, n, k, 0, *a_strides, 0, *b_strides], np.uint32)
    tiles = ((m + tile - 1) // tile) * ((n + tile - 1) // tile)
    out = _run(dev, _source(f"matmul_vec4 {variant}"), [meta, np.zeros(m * n, np.float32), a_buf, b_buf], tiles)[1]
    np.testing.assert_allclose(out.reshape(m, n), a @ b, rtol=1e-4, atol=1e-4)
