"""The GPU backend: device API, transfers, kernels against the CPU backend, autograd on the
GPU, random streams, the allocator and out-of-memory recovery. Runs on any wgpu adapter; in CI
on Mesa's lavapipe (FERROTORCH_REQUIRE_GPU=1 makes a missing adapter fail instead of skip)."""
import numpy as np
import pytest

import ferrotorch as torch
from conftest import requires_gpu

pytestmark = requires_gpu


def cpu_np(t):
    return t.detach().cpu().numpy()


def close(a, b, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64), rtol=rtol, atol=atol, equal_nan=True)


# ----------------------------------------------------------------------------- device API
@pytest.mark.parametrize("spec", ["gpu", "gpu:0", "cuda", "cuda:0", "wgpu"])
def test_device_aliases(spec):
    x = torch.arange(4.0).to(spec)
    assert x.is_cuda and not x.is_cpu
    assert x.device == torch.device("cuda:0") == torch.device("gpu:0") and x.device.type == torch.device("cuda").type
    assert str(x.device) == "gpu:0" and x.device.type == "gpu" and x.get_device() == 0
    assert x.cpu().tolist() == [0.0, 1.0, 2.0, 3.0]


def test_device_from_an_index():
    assert torch.device(0) == torch.device("cuda:0")
    assert torch.arange(3.0).to(torch.device(0)).is_cuda
    with pytest.raises(RuntimeError, match="Device index must not be negative"):
        torch.device(-1)


def test_cuda_gpu_cpu_methods_and_device_kwarg():
    x = torch.tensor([1, 2, 3], dtype=torch.int32)
    for g in (x.cuda(), x.gpu(), x.to(device="cuda"), x.to("cuda", torch.float32), torch.tensor([1, 2, 3], device="cuda")):
        assert g.is_cuda
    assert x.to("cuda", torch.float32).dtype == torch.float32
    assert torch.zeros(2, 3, device="gpu").is_cuda and torch.ones(2, device="cuda").sum().item() == 2
    assert torch.full((2,), 7, device="cuda").tolist() == [7, 7]
    assert torch.arange(5, device="cuda").device.type == "gpu"
    y = torch.zeros_like(x.cuda())
    assert y.is_cuda and y.dtype == torch.int32
    assert not y.cpu().is_cuda and y.cpu().device == torch.device("cpu")
    assert torch.empty(3, device=torch.device("cuda", 0)).is_cuda


def test_invalid_device_ordinal_and_bad_strings():
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        torch.zeros(2, device="cuda:1")
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda"):
        torch.device("tpu")


def test_cuda_module():
    assert torch.cuda.is_available() and torch.cuda.device_count() == 1 and torch.cuda.current_device() == 0
    info = torch.cuda.adapter_info()
    assert info["backend"] in ("Vulkan", "Metal", "DX12") and isinstance(info["name"], str) and info["name"]
    assert torch.cuda.get_device_name() == info["name"]
    assert isinstance(info["features"], list)
    torch.cuda.synchronize()
    assert torch.gpu.is_available()
    assert issubclass(torch.cuda.OutOfMemoryError, RuntimeError) and torch.OutOfMemoryError is torch.cuda.OutOfMemoryError


def test_repr_names_device_and_numpy_needs_cpu():
    x = torch.tensor([1.0, 2.5], device="cuda")
    assert repr(x) == "tensor([1.0000, 2.5000], device='gpu:0')"
    assert repr(torch.tensor([1, 2], dtype=torch.int32, device="cuda")) == "tensor([1, 2], device='gpu:0', dtype=torch.int32)"
    with pytest.raises(TypeError, match="can't convert gpu:0 device type tensor to numpy"):
        x.numpy()
    np.testing.assert_array_equal(x.cpu().numpy(), [1.0, 2.5])
    assert x.sum().item() == 3.5 and isinstance(x[0].item(), float)


def test_mixing_devices():
    g = torch.ones(3, device="cuda")
    c = torch.ones(3)
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        g + c
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        torch.matmul(g.reshape(1, 3), c.reshape(3, 1))
    # 0-d CPU tensors and Python scalars mix freely.
    assert (g + torch.tensor(2.0)).tolist() == [3.0, 3.0, 3.0]
    assert (g * 2 + 1).is_cuda and (2 - g).tolist() == [1.0, 1.0, 1.0]
    # copy_ moves data across devices.
    c.copy_(g * 5)
    assert c.tolist() == [5.0, 5.0, 5.0] and not c.is_cuda


# ----------------------------------------------------------------------------- dtypes
@pytest.mark.parametrize("dtype", ["float32", "float16", "float64", "int32", "int64", "int16", "int8", "uint8", "bool"])
def test_round_trip_every_dtype(dtype):
    rng = np.random.default_rng(0)
    a = (rng.standard_normal((3, 5)) * 50).astype(dtype)
    t = torch.from_numpy(a).to("cuda")
    assert t.dtype == getattr(torch, dtype)
    np.testing.assert_array_equal(t.cpu().numpy(), a)
    np.testing.assert_array_equal(t.t().contiguous().cpu().numpy(), a.T)


def test_bfloat16_is_a_clear_type_error():
    with pytest.raises(TypeError, match="bfloat16"):
        torch.ones(2, dtype=torch.bfloat16).cuda()


@pytest.mark.parametrize("src,dst", [("float32", "int32"), ("float32", "uint8"), ("int64", "float32"), ("float32", "bool"),
                                     ("bool", "float32"), ("int32", "int8"), ("float64", "float16"), ("float16", "float32")])
def test_casts_match_cpu(src, dst):
    # In range for every target: out-of-range float -> integer casts are undefined in PyTorch.
    a = np.array([-3.7, -1.0, 0.0, 0.5, 1.5, 2.9, 100.0, 127.0]).astype(src)
    c = torch.from_numpy(a)
    np.testing.assert_array_equal(c.to(getattr(torch, dst)).numpy(), cpu_np(c.cuda().to(getattr(torch, dst))))


@pytest.mark.parametrize("src", ["float16", "float32", "float64"])
@pytest.mark.parametrize("dst", ["int8", "int16", "int32", "int64", "uint8", "bool"])
def test_special_float_to_int_casts_match_cpu(src, dst):
    # NaN, infinities and values beyond the target's range: one rule on both devices.
    vals = [np.nan, np.inf, -np.inf, 3e9 + 7, -3e9, 1e19, -1e19, 70000.5, -70000.5, 300.7, -300.2, -1.5, -0.0, 65504.0]
    with np.errstate(over="ignore"):
        a = np.array(vals).astype(src)
    c = torch.from_numpy(a)
    np.testing.assert_array_equal(cpu_np(c.cuda().to(getattr(torch, dst))), c.to(getattr(torch, dst)).numpy())


# ----------------------------------------------------------------------------- kernels vs CPU
UNARY = ["exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "erf", "erfinv", "expm1", "log1p", "abs", "neg",
         "floor", "ceil", "round", "trunc", "frac", "relu", "sign", "reciprocal", "rsqrt", "atan", "asinh", "isnan",
         "isinf", "isfinite", "logical_not", "signbit", "square", "exp2", "log2", "log10", "acos", "asin", "sinh", "cosh", "tan",
         "atanh", "acosh", "erfc"]


@pytest.mark.parametrize("name", UNARY)
def test_unary_float32_matches_cpu(name):
    rng = np.random.default_rng(1)
    a = rng.uniform(-2, 2, (7, 9)).astype(np.float32)
    a[0, :4] = [np.nan, np.inf, -np.inf, 0.0]
    if name in ("acosh",):
        a = np.abs(a) + 1
    if name in ("erfinv", "atanh", "asin", "acos"):
        a = np.clip(a / 2.5, -0.99, 0.99)
    x = torch.from_numpy(a)
    g = x.cuda().t()  # a transposed view: read in place through its strides
    ref = getattr(torch, name)(x.t())
    out = getattr(torch, name)(g)
    assert out.is_cuda and out.dtype == ref.dtype and out.shape == ref.shape
    # Vulkan allows inverse trigonometry 4096 ulp of error (lavapipe uses fast approximations).
    tol = (5e-4, 5e-5) if name in ("asin", "acos", "atan", "asinh", "acosh", "atanh") else (2e-5, 2e-6)
    close(cpu_np(out), ref.numpy(), *tol)


@pytest.mark.parametrize("dtype", ["int32", "int64", "int8", "uint8", "bool"])
def test_unary_integer_ops(dtype):
    a = np.array([-5, -1, 0, 1, 7, 100], dtype=np.int64).astype(dtype)
    x = torch.from_numpy(a)
    ops = ["abs", "neg", "sign", "logical_not", "square", "bitwise_not"] if dtype != "bool" else ["logical_not", "bitwise_not", "abs"]
    for op in ops:
        close(cpu_np(getattr(torch, op)(x.cuda())), getattr(torch, op)(x).numpy(), 0, 0)


BINARY = ["add", "sub", "mul", "div", "floor_divide", "remainder", "fmod", "pow", "atan2", "hypot", "maximum", "minimum",
          "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor"]


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int32", "int64"])
@pytest.mark.parametrize("name", BINARY)
def test_binary_matches_cpu_with_broadcast(name, dtype):
    if dtype.startswith("int") and name in ("atan2", "hypot"):
        x = torch.tensor([3, 0], dtype=getattr(torch, dtype))
        if name == "hypot":  # PyTorch has no integer hypot kernel
            for t in (x, x.cuda()):
                with pytest.raises(NotImplementedError, match="not implemented for"):
                    torch.hypot(t, t)
        else:  # atan2 promotes integers to the default float dtype
            out = torch.atan2(x.cuda(), x.cuda())
            assert out.dtype == torch.float32
            close(cpu_np(out), np.arctan2([3.0, 0.0], [3.0, 0.0]).astype(np.float32), 2e-5, 1e-5)
        return
    rng = np.random.default_rng(2)
    a = rng.uniform(-5, 5, (4, 1, 6))
    b = rng.uniform(-5, 5, (5, 6))
    if dtype.startswith("int"):
        a, b = np.round(a), np.round(b)
        b[b == 0] = 3
        if name == "pow":
            b = np.abs(b) % 4
    a, b = a.astype(dtype), b.astype(dtype)
    x, y = torch.from_numpy(a), torch.from_numpy(b)
    ref = getattr(torch, name)(x, y)
    out = getattr(torch, name)(x.cuda(), y.cuda())
    assert out.dtype == ref.dtype and out.shape == ref.shape
    tol = dict(float16=(1e-3, 1e-3), float32=(2e-5, 1e-5), float64=(1e-12, 1e-12)).get(dtype, (0, 0))
    close(cpu_np(out), ref.numpy(), *tol)


def test_scalar_operands_and_bitwise():
    x = torch.tensor([1, 2, 12], dtype=torch.int32, device="cuda")
    assert ((x & 6) | 1).tolist() == [1, 3, 5] and (x ^ 3).tolist() == [2, 1, 15]
    assert (x * 2.5).dtype == torch.float32 and (x * 2.5).tolist() == [2.5, 5.0, 30.0]
    assert (x // 5).tolist() == [0, 0, 2] and (-x // 5).tolist() == [-1, -1, -3] and (x % -5).tolist() == [-4, -3, -3]
    b = torch.tensor([True, False], device="cuda")
    assert (b + b).tolist() == [True, False] and (b * b).dtype == torch.bool


@pytest.mark.parametrize("dtype", ["float32", "float16", "float64", "int32", "int64", "int16", "int8", "uint8", "bool"])
def test_number_operands_match_cpu_on_either_side(dtype):
    # Numbers travel in the kernel's metadata (float64/int64 ones are uploaded): every dtype,
    # both operand orders, values that wrap or round in the tensor's dtype.
    x = (torch.arange(-6, 6) * 7).to(getattr(torch, dtype))
    g = x.cuda()[::2]
    for number in [2, -3, 300, 0.5, 1e-3, True]:
        for op in ["add", "sub", "mul", "gt", "eq", "maximum"]:
            if op == "sub" and (dtype == "bool" or number is True):
                continue  # PyTorch's sub takes no bool operand (test_torch_parity_math.py)
            f = getattr(torch, op)
            b = torch.tensor(number) if op == "maximum" else number
            want, got = f(x[::2], b), f(g, b.cuda() if op == "maximum" else b)
            assert got.dtype == want.dtype, (op, number)
            close(cpu_np(got), want.numpy(), 1e-3 if dtype == "float16" else 1e-6, 1e-6)
            if op in ["add", "mul", "sub"] and dtype != "bool":
                close(cpu_np(f(number, g)), f(number, x[::2]).numpy(), 1e-3 if dtype == "float16" else 1e-6, 1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_nan_comparisons_and_classification(dtype):
    # Vulkan compiles `a != b` as an ordered comparison: kernels must not rely on it for NaN.
    x = torch.tensor([1.0, float("nan"), float("inf"), -float("inf"), 0.0], dtype=getattr(torch, dtype))
    g = x.cuda()
    for fn in (lambda t: t != t, lambda t: t == t, lambda t: t.isnan(), lambda t: t.isinf(), lambda t: t.isfinite(),
               lambda t: torch.maximum(t, t.flip(0)), lambda t: torch.minimum(t, t.flip(0)), lambda t: t.relu(),
               lambda t: t.sign(), lambda t: t.nan_to_num(), lambda t: t.max(), lambda t: t.cummax(0)[0],
               lambda t: t != 1.0):
        np.testing.assert_array_equal(cpu_np(fn(g)), fn(x).numpy())


def test_where_lerp_clamp_isclose_nan_to_num():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((3, 4)).astype(np.float32)
    b = rng.standard_normal((4,)).astype(np.float32)
    x, y = torch.from_numpy(a), torch.from_numpy(b)
    gx, gy = x.cuda(), y.cuda()
    close(cpu_np(torch.where(gx > 0, gx, gy)), torch.where(x > 0, x, y).numpy(), 0, 0)
    close(cpu_np(torch.where(gx > 0, gx, 0.0)), torch.where(x > 0, x, 0.0).numpy(), 0, 0)
    close(cpu_np(torch.lerp(gx, gy, 0.3)), torch.lerp(x, y, 0.3).numpy(), 1e-6, 1e-6)
    close(cpu_np(gx.clamp(-0.5, 0.5)), x.clamp(-0.5, 0.5).numpy(), 0, 0)
    np.testing.assert_array_equal(cpu_np(torch.isclose(gx, gx + 1e-7)), torch.isclose(x, x + 1e-7).numpy())
    z = torch.tensor([np.nan, np.inf, -np.inf, 1.0])
    close(cpu_np(torch.nan_to_num(z.cuda())), torch.nan_to_num(z).numpy(), 0, 0)
    assert torch.equal(gx, x.cuda()) and not torch.equal(gx, gx + 1)


def test_zero_dim_and_empty_inputs():
    s = torch.tensor(3.0, device="cuda")
    assert (s * s).item() == 9.0 and (s * s).shape == () and torch.exp(s).shape == ()
    e = torch.ones(0, 3, device="cuda")
    assert (e + 1).shape == (0, 3) and e.sum().item() == 0 and e.sum(0).tolist() == [0.0, 0.0, 0.0]
    assert torch.exp(e).shape == (0, 3) and (e @ torch.ones(3, 2, device="cuda")).shape == (0, 2)
    assert torch.ones(2, 0, device="cuda").matmul(torch.ones(0, 3, device="cuda")).tolist() == [[0.0] * 3] * 2


def test_in_place_ops_and_views_write_through():
    x = torch.zeros(3, 4, device="cuda")
    x[1] = 5.0
    x[:, 2] += 1
    x.t()[0].fill_(-1)
    x.mul_(2)
    expected = np.zeros((3, 4), np.float32)
    expected[1] = 5
    expected[:, 2] += 1
    expected[:, 0] = -1
    expected *= 2
    np.testing.assert_array_equal(cpu_np(x), expected)
    y = torch.arange(6.0, device="cuda")
    y.copy_(y.flip(0))  # reading and writing the same buffer
    assert y.is_cuda and y.tolist() == [5.0, 4.0, 3.0, 2.0, 1.0, 0.0]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_round_takes_halves_to_even(dtype):
    # Exact halves are where a backend's rounding shows (lavapipe's float64 RoundEven took 13.5 to 13).
    values = np.array([-2.5, -1.5, -0.5, -0.4, 0.5, 1.5, 2.5, 13.5, 12.5, 2.7, 2.0 ** 52 + 1, np.inf, -np.inf,
                       np.nan], dtype=dtype)
    out = cpu_np(torch.tensor(values, device="gpu").round())
    np.testing.assert_array_equal(out, np.round(values))
    assert np.signbit(out[2]) and np.signbit(out[3])  # -0.5 and -0.4 round to -0
    np.testing.assert_array_equal(cpu_np(torch.tensor(values, device="gpu").round(decimals=1)),
                                  cpu_np(torch.tensor(values).round(decimals=1)))


# ----------------------------------------------------------------------------- reductions
@pytest.mark.parametrize("dims,keepdim", [(None, False), (0, False), (1, True), ((0, 2), False), (-1, False)])
def test_reductions_match_cpu(dims, keepdim):
    rng = np.random.default_rng(4)
    a = rng.standard_normal((5, 6, 7)).astype(np.float32)
    x = torch.from_numpy(a)
    g = x.cuda().transpose(0, 2).transpose(0, 2)  # same values, through a permuted view
    kw = {} if dims is None else dict(dim=dims, keepdim=keepdim)
    for name in ("sum", "mean", "amax", "amin", "prod", "var", "std"):
        if name == "prod" and isinstance(dims, tuple):
            continue  # prod takes one dim, as in PyTorch
        close(cpu_np(getattr(torch, name)(g, **kw)), getattr(torch, name)(x, **kw).numpy(), 1e-5, 1e-5)
    for name in ("all", "any", "count_nonzero"):
        kwb = {} if dims is None else dict(dim=dims)
        if dims is not None and not isinstance(dims, int):
            continue
        np.testing.assert_array_equal(cpu_np(getattr(torch, name)(g > 0, **kwb)), getattr(torch, name)(x > 0, **kwb).numpy())


def test_arg_reductions_ties_and_nan():
    a = np.array([[1.0, 5.0, 5.0, 2.0], [np.nan, 1.0, np.nan, 7.0], [3.0, 3.0, 3.0, 3.0]], dtype=np.float32)
    x = torch.from_numpy(a)
    g = x.cuda()
    for dim in (0, 1):
        np.testing.assert_array_equal(cpu_np(g.argmax(dim)), x.argmax(dim).numpy())
        np.testing.assert_array_equal(cpu_np(g.argmin(dim)), x.argmin(dim).numpy())
        v, i = g.max(dim)
        rv, ri = x.max(dim)
        close(cpu_np(v), rv.numpy(), 0, 0)
        np.testing.assert_array_equal(cpu_np(i), ri.numpy())
    assert g.argmax().item() == x.argmax().item() and g.max().item() != g.max().item()  # NaN wins


def test_large_reductions_use_two_passes():
    n = 3 * (1 << 16) + 17
    a = np.random.default_rng(5).standard_normal(n).astype(np.float32)
    g = torch.from_numpy(a).cuda()
    close(g.sum().item(), a.astype(np.float64).sum(), 1e-4, 1e-3)
    close(g.mean().item(), a.astype(np.float64).mean(), 1e-4, 1e-5)
    close(g.max().item(), a.max(), 0, 0)
    ints = torch.arange(n, device="cuda")
    assert ints.sum().item() == n * (n - 1) // 2 and ints.sum().dtype == torch.int64


@pytest.mark.parametrize("dtype", ["int32", "bool", "float16", "float64"])
def test_sum_dtypes_follow_pytorch(dtype):
    a = (np.arange(12).reshape(3, 4) % 3).astype(dtype)
    x = torch.from_numpy(a)
    r, g = x.sum(1), x.cuda().sum(1)
    assert g.dtype == r.dtype
    close(cpu_np(g), r.numpy(), 1e-3, 1e-3)


# ----------------------------------------------------------------------------- matmul
@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (3, 5, 7), (64, 64, 64), (65, 130, 67), (200, 17, 3)])
def test_matmul_shapes(m, k, n):
    rng = np.random.default_rng(6)
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    out = torch.from_numpy(a).cuda() @ torch.from_numpy(b).cuda()
    close(cpu_np(out), a @ b, 1e-4, 1e-4)


def test_matmul_transposed_batched_broadcast_and_dtypes():
    rng = np.random.default_rng(7)
    a = rng.standard_normal((2, 3, 9, 5)).astype(np.float32)
    b = rng.standard_normal((3, 4, 5)).astype(np.float32)  # (3, 5, 4) after mT
    ga, gb = torch.from_numpy(a).cuda(), torch.from_numpy(b).cuda()
    close(cpu_np(ga @ gb.mT), a @ np.swapaxes(b, -1, -2), 1e-4, 1e-4)
    m = rng.standard_normal((6, 4))
    for dt in ("float64", "float16", "int32", "int64"):
        x = torch.from_numpy((m * 3).astype(dt) if dt.startswith("int") else m.astype(dt))
        tol = 1e-2 if dt == "float16" else 1e-6
        close(cpu_np(x.cuda() @ x.cuda().t()), (x @ x.t()).numpy(), tol, tol)
    v = torch.from_numpy(m[:, 0].astype(np.float32))
    close(cpu_np(v.cuda() @ v.cuda()), (v @ v).numpy(), 1e-5, 1e-5)
    close(cpu_np(torch.from_numpy(m.astype(np.float32)).cuda() @ torch.ones(4, device="cuda")), m.astype(np.float32).sum(1), 1e-5, 1e-5)


def _layout(a, layout):
    """`a` on the GPU as a row-major ("n") or column-major ("t", a transposed view) matrix."""
    if layout == "n":
        return torch.from_numpy(a).cuda()
    return torch.from_numpy(np.ascontiguousarray(np.swapaxes(a, -1, -2))).cuda().mT


# Shapes whose dims are multiples of 4 take the float32 vec4 kernel (64- or 128-wide tiles);
# the last two cases are misaligned and fall back to the scalar kernel.
@pytest.mark.parametrize("m,k,n", [(4, 4, 4), (1, 4, 8), (68, 36, 132), (130, 8, 260), (256, 20, 72), (6, 5, 7), (12, 4, 6)])
@pytest.mark.parametrize("la,lb", [("n", "n"), ("n", "t"), ("t", "n"), ("t", "t")])
def test_matmul_float32_layouts_match_numpy(m, k, n, la, lb):
    rng = np.random.default_rng(m * 1000 + k * 10 + n)
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    close(cpu_np(_layout(a, la) @ _layout(b, lb)), a @ b, 1e-4, 1e-4)


def test_matmul_vec4_batched_offsets_and_large_tiles():
    rng = np.random.default_rng(8)
    # 2 x 8 x 8 tiles of 128: the 128-wide kernel; B's batch is broadcast (stride 0).
    a = rng.standard_normal((2, 1024, 8)).astype(np.float32)
    b = rng.standard_normal((8, 1024)).astype(np.float32)
    close(cpu_np(_layout(a, "n") @ _layout(b, "t")), a @ b, 1e-4, 1e-4)
    close(cpu_np(_layout(a, "t") @ _layout(b, "n")), a @ b, 1e-4, 1e-4)
    # 70,000 batches of 4x4 products: more workgroups than one grid dimension holds (folded).
    x = rng.standard_normal((70000, 4, 4)).astype(np.float32)
    w4 = rng.standard_normal((4, 4)).astype(np.float32)
    close(cpu_np(torch.from_numpy(x).cuda() @ torch.from_numpy(w4).cuda()), x @ w4, 1e-4, 1e-4)
    # A's batch broadcast; size-1 dims whose strides are not multiples of 4.
    close(cpu_np(torch.from_numpy(w4).cuda() @ torch.from_numpy(x[:3]).cuda()), w4 @ x[:3], 1e-4, 1e-4)
    m = rng.standard_normal((8, 7)).astype(np.float32)
    gm = torch.from_numpy(m).cuda()
    close(cpu_np(gm[:1, :4] @ torch.from_numpy(w4).cuda()), m[:1, :4] @ w4, 1e-4, 1e-4)
    # Views starting 4 rows in (offset 4 * 12 elements), and an offset of 1 (misaligned).
    big = rng.standard_normal((3, 20, 12)).astype(np.float32)
    w = rng.standard_normal((12, 8)).astype(np.float32)
    g, gw = torch.from_numpy(big).cuda(), torch.from_numpy(w).cuda()
    close(cpu_np(g[:, 4:, :] @ gw), big[:, 4:, :] @ w, 1e-4, 1e-4)
    close(cpu_np(g[:, :, 1:9] @ gw[:8]), big[:, :, 1:9] @ w[:8], 1e-4, 1e-4)
    # Gradients of a linear layer run through the same kernel (x @ W.T, g @ W, g.T @ x).
    x = torch.from_numpy(rng.standard_normal((16, 12)).astype(np.float32)).cuda().requires_grad_()
    lin = torch.nn.Linear(12, 8).cuda()
    lin(x).square().sum().backward()
    xc = x.detach().cpu().requires_grad_()
    lc = torch.nn.Linear(12, 8)
    with torch.no_grad():
        lc.weight.copy_(lin.weight.cpu())
        lc.bias.copy_(lin.bias.cpu())
    lc(xc).square().sum().backward()
    close(cpu_np(x.grad), xc.grad.numpy(), 1e-4, 1e-4)
    close(cpu_np(lin.weight.grad), lc.weight.grad.numpy(), 1e-4, 1e-4)


# ----------------------------------------------------------------------------- random
def test_rand_matches_cpu_stream_element_for_element():
    torch.manual_seed(123)
    g = torch.rand(1000, device="cuda")
    after_gpu = torch.rand(3)
    torch.manual_seed(123)
    c = torch.rand(1000)
    after_cpu = torch.rand(3)
    np.testing.assert_array_equal(cpu_np(g), c.numpy())
    np.testing.assert_array_equal(after_gpu.numpy(), after_cpu.numpy())  # the offset advanced the same


def test_float64_draws_match_the_cpu_stream():
    # Two words per uniform, four per normal pair, as on the CPU; lo/hi travel at full precision.
    torch.manual_seed(77)
    g = torch.empty(1001, dtype=torch.float64, device="cuda").uniform_(-1 / 3, 2.0 ** 60)
    gn = torch.randn(1001, dtype=torch.float64, device="cuda") * 1.0
    gn2 = torch.empty(7, dtype=torch.float64, device="cuda").normal_(1e-3 / 7, 3.0)
    after_gpu = torch.rand(3)
    torch.manual_seed(77)
    c = torch.empty(1001, dtype=torch.float64).uniform_(-1 / 3, 2.0 ** 60)
    cn = torch.randn(1001, dtype=torch.float64)
    cn2 = torch.empty(7, dtype=torch.float64).normal_(1e-3 / 7, 3.0)
    after_cpu = torch.rand(3)
    close(cpu_np(g), c.numpy(), 1e-15, 0)  # lo + (hi - lo) * u: at most a fused multiply-add apart
    close(cpu_np(gn), cn.numpy(), 1e-13, 1e-13)
    close(cpu_np(gn2), cn2.numpy(), 1e-13, 1e-13)
    np.testing.assert_array_equal(after_gpu.numpy(), after_cpu.numpy())
    torch.manual_seed(3)
    u = cpu_np(torch.rand(100000, dtype=torch.float64, device="cuda"))
    assert u.min() >= 0 and u.max() < 1 and abs(u.mean() - 0.5) < 0.005
    # The draws carry 53 random bits, not float32's 24.
    assert len(np.unique(u)) == len(u) and np.any((u * 2.0 ** 24) % 1 != 0)


def test_float64_draws_with_non_finite_bounds():
    g = torch.empty(3, dtype=torch.float64, device="cuda").normal_(float("nan"), 1.0)
    assert np.isnan(cpu_np(g)).all()
    g = torch.empty(3, dtype=torch.float64, device="cuda").normal_(float("inf"), 1.0)
    assert (cpu_np(g) == np.inf).all()


def test_logical_ops_treat_nan_as_true():
    for dtype in (torch.float32, torch.float64, torch.float16):
        x = torch.tensor([float("nan"), 0.0, 1.0], dtype=dtype)
        y = torch.tensor([1.0, float("nan"), 0.0], dtype=dtype)
        for op in (torch.logical_and, torch.logical_or, torch.logical_xor):
            assert cpu_np(op(x.cuda(), y.cuda())).tolist() == op(x, y).tolist(), (op, dtype)
        assert op(x, y).tolist() == [False, True, True]  # xor: NaN is true, like PyTorch


def test_randn_uniform_bernoulli_and_dropout():
    torch.manual_seed(5)
    g = torch.randn(999, device="cuda")
    torch.manual_seed(5)
    c = torch.randn(999)
    close(cpu_np(g), c.numpy(), 1e-5, 1e-5)
    x = torch.empty(10000, device="cuda").uniform_(-2, 3)
    v = cpu_np(x)
    assert v.min() >= -2 and v.max() < 3 and abs(v.mean() - 0.5) < 0.05
    m = torch.ones(20000, device="cuda").bernoulli_(0.3)
    assert abs(m.mean().item() - 0.3) < 0.02
    torch.manual_seed(9)
    d = torch.nn.functional.dropout(torch.ones(10000, device="cuda"), 0.25)
    assert d.is_cuda and abs((d == 0).float().mean().item() - 0.25) < 0.03
    assert set(np.unique(cpu_np(d)).tolist()) <= {0.0, float(np.float32(1 / 0.75))}
    # The same masks as on the CPU, element for element.
    torch.manual_seed(11)
    g = torch.empty(5000, device="cuda").bernoulli_(0.4)
    torch.manual_seed(11)
    c = torch.empty(5000).bernoulli_(0.4)
    np.testing.assert_array_equal(cpu_np(g), c.numpy())


# ----------------------------------------------------------------------------- autograd
def test_backward_on_gpu_matches_cpu():
    rng = np.random.default_rng(8)
    xa, wa, ba = (rng.standard_normal(s).astype(np.float32) for s in [(8, 5), (5, 3), (3,)])

    def run(dev):
        x = torch.from_numpy(xa).to(dev)
        w = torch.from_numpy(wa).to(dev).requires_grad_()
        b = torch.from_numpy(ba).to(dev).requires_grad_()
        h = torch.tanh(x @ w + b)
        loss = (h * h).mean() + h.sigmoid().sum() * 0.1 + torch.exp(-h).max()
        loss.backward()
        return loss, w.grad, b.grad

    lc, wc, bc = run("cpu")
    lg, wg, bg = run("cuda")
    assert wg.is_cuda and bg.is_cuda
    close(lg.item(), lc.item(), 1e-5, 1e-5)
    close(cpu_np(wg), wc.numpy(), 1e-4, 1e-5)
    close(cpu_np(bg), bc.numpy(), 1e-4, 1e-5)


def test_gradient_flows_across_devices():
    w = torch.ones(3, requires_grad=True)
    y = (w.cuda() * 2).sum()
    y.backward()
    assert not w.grad.is_cuda and w.grad.tolist() == [2.0, 2.0, 2.0]


# ----------------------------------------------------------------------------- memory
def test_out_of_memory_is_an_exception_and_the_library_goes_on():
    limit = torch.cuda.adapter_info()["max_storage_buffer_binding_size"]
    with pytest.raises(torch.cuda.OutOfMemoryError, match="GPU out of memory"):
        torch.empty(limit // 4 + 1024, device="cuda")
    assert (torch.ones(4, device="cuda") * 2).sum().item() == 8.0


def test_caching_allocator_steady_state():
    w = torch.randn(64, 64, device="cuda", requires_grad=True)
    x = torch.randn(32, 64, device="cuda")

    def step():
        loss = (x @ w).relu().sum()
        loss.backward()
        with torch.no_grad():
            w.sub_(w.grad * 0.01)
            w.grad = None
        torch.cuda.synchronize()

    for _ in range(3):
        step()
    reserved = torch.cuda.memory_reserved()
    allocated = torch.cuda.memory_allocated()
    for _ in range(5):
        step()
    assert torch.cuda.memory_reserved() == reserved and torch.cuda.memory_allocated() == allocated
    torch.cuda.reset_peak_memory_stats()
    assert torch.cuda.max_memory_allocated() == torch.cuda.memory_allocated()
    torch.cuda.empty_cache()
    assert torch.cuda.memory_reserved() >= torch.cuda.memory_allocated()


def test_dispatches_over_shared_buffers_read_their_own_metadata():
    # The same kernel over the same buffers with different views, in one batch: one cached
    # bind group, each dispatch at its own metadata offset.
    x = torch.arange(16.0, device="cuda")
    y = torch.ones(4, device="cuda")
    outs = [x[i:i + 4] + y for i in range(0, 16, 4)]
    assert [o.tolist() for o in outs] == [[float(i + j + 1) for j in range(4)] for i in range(0, 16, 4)]
    # More distinct buffer sets than the cache holds (it empties itself and goes on).
    many = [y + float(i) for i in range(5000)]
    assert [m[0].item() for m in many[::1000]] == [1.0, 1001.0, 2001.0, 3001.0, 4001.0]
    # Metadata larger than the dynamic-offset window (600 strided dims) takes its own group.
    t = torch.arange(6.0).reshape([1] * 600 + [2, 3]).cuda().transpose(-1, -2)
    close(cpu_np((t * 2 + t).reshape(3, 2)), np.arange(6.0).reshape(2, 3).T * 3)
    assert t.sum().item() == 15.0
    # Emptying the cache drops the groups; later dispatches build new ones.
    del many
    torch.cuda.empty_cache()
    assert (x[4:8] + y).tolist() == [5.0, 6.0, 7.0, 8.0]


def test_shader_sources_are_exposed():
    src = torch._C._gpu_shader_sources()
    assert len(src) > 500 and all("@compute" in s for _, s in src)


# ----------------------------------------------------------------------------- nn on the GPU
def _same_on_both(fn, *arrays, rtol=1e-4, atol=1e-5, grads=True):
    """Runs fn on CPU and GPU copies of `arrays` (requiring grad), compares outputs and grads."""
    outs, gs = [], []
    for dev in ("cpu", "cuda"):
        ts = [torch.from_numpy(a).to(dev).requires_grad_(grads) for a in arrays]
        out = fn(*ts)
        if grads:
            (out * out).sum().backward()
        outs.append(cpu_np(out))
        gs.append([cpu_np(t.grad) for t in ts] if grads else [])
    close(outs[1], outs[0], rtol, atol)
    for g, c in zip(gs[1], gs[0]):
        close(g, c, rtol, atol)


def test_conv_and_pooling_forward_backward_match_cpu():
    rng = np.random.default_rng(10)
    x = rng.standard_normal((2, 3, 9, 8)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    F = torch.nn.functional
    _same_on_both(lambda x, w: F.conv2d(x, w, stride=2, padding=1), x, w)
    _same_on_both(lambda x, w: F.conv2d(x, w, padding=1, dilation=2), x, w)
    _same_on_both(lambda x: F.max_pool2d(x, 2), x)
    _same_on_both(lambda x: F.max_pool2d(x, 3, stride=2, padding=1), x)
    _same_on_both(lambda x: F.avg_pool2d(x, 2), x)
    wt = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
    _same_on_both(lambda x, w: F.conv_transpose2d(x, w, stride=2), x, wt)
    x1 = rng.standard_normal((2, 3, 10)).astype(np.float32)
    w1 = rng.standard_normal((5, 3, 3)).astype(np.float32)
    _same_on_both(lambda x, w: F.conv1d(x, w, padding=1), x1, w1)


def test_layers_and_losses_match_cpu():
    rng = np.random.default_rng(11)
    x = rng.standard_normal((6, 10)).astype(np.float32)
    F = torch.nn.functional
    _same_on_both(lambda x: F.layer_norm(x, (10,)), x)
    _same_on_both(lambda x: F.softmax(x, 1), x)
    _same_on_both(lambda x: F.log_softmax(x, 1), x)
    _same_on_both(lambda x: F.gelu(x), x)
    _same_on_both(lambda x: F.silu(x) + F.softplus(x) + F.elu(x), x)
    target = torch.tensor([1, 0, 3, 9, 2, 2])
    for dev in ("cpu", "cuda"):
        xx = torch.from_numpy(x).to(dev).requires_grad_()
        loss = F.cross_entropy(xx, target.to(dev), label_smoothing=0.1)
        loss.backward()
        if dev == "cpu":
            ref_loss, ref_grad = loss.item(), xx.grad.numpy()
    close(loss.item(), ref_loss, 1e-5, 1e-6)
    close(cpu_np(xx.grad), ref_grad, 1e-4, 1e-6)
    emb = torch.nn.Embedding(10, 4)
    idx = torch.tensor([[1, 2, 2], [9, 0, 1]])
    ref = emb(idx)
    emb.cuda()
    close(cpu_np(emb(idx.cuda())), ref.detach().numpy(), 0, 0)


def test_mlp_training_on_gpu_follows_cpu():
    def train(dev):
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(20, 32), torch.nn.ReLU(), torch.nn.Linear(32, 3)).to(dev)
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        g = torch.Generator().manual_seed(1)
        x = torch.randn(64, 20, generator=g).to(dev)
        y = ((x[:, 0] > 0).long() + (x[:, 1] > 0).long())
        losses = []
        for _ in range(15):
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses, next(model.parameters())

    cpu_losses, _ = train("cpu")
    gpu_losses, p = train("cuda")
    assert p.is_cuda and p.grad.is_cuda
    close(gpu_losses, cpu_losses, 1e-3, 1e-4)
    assert gpu_losses[-1] < 0.5 * gpu_losses[0]


def _train_on_both_devices(make_optimizer, dtype, steps=3):
    """The parameter after `steps` optimizer steps with the same gradients, on the CPU and on the
    GPU (float16 on the CPU goes op by op, rounding each step; the GPU takes the fused kernels)."""
    rng = np.random.default_rng(0)
    init = rng.standard_normal((37, 5)).astype(np.float32)
    grads = [rng.standard_normal((37, 5)).astype(np.float32) for _ in range(steps)]
    dt = getattr(torch, dtype)
    results = []
    for device in ["cpu", "cuda"]:
        p = torch.nn.Parameter(torch.tensor(init, dtype=dt, device=device))
        opt = make_optimizer([p])
        for g in grads:
            p.grad = torch.tensor(g, dtype=dt, device=device)
            opt.step()
        results.append(p.detach().float().cpu().numpy())
    tol = 5e-3 if dtype == "float16" else 1e-5
    np.testing.assert_allclose(results[1], results[0], rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", ["float32", "float16"])
@pytest.mark.parametrize("kwargs", [dict(), dict(weight_decay=0.1, amsgrad=True), dict(maximize=True, eps=1e-3),
                                    dict(decoupled=True, weight_decay=0.3, amsgrad=True)], ids=str)
def test_fused_adam_step_on_gpu_follows_cpu(dtype, kwargs):
    kwargs = dict(kwargs)
    cls = torch.optim.AdamW if kwargs.pop("decoupled", False) else torch.optim.Adam
    _train_on_both_devices(lambda params: cls(params, lr=0.05, **kwargs), dtype)


@pytest.mark.parametrize("dtype", ["float32", "float16"])
@pytest.mark.parametrize("kwargs", [dict(), dict(momentum=0.9), dict(momentum=0.8, dampening=0.3, weight_decay=0.1),
                                    dict(momentum=0.9, nesterov=True, weight_decay=0.01, maximize=True)], ids=str)
def test_fused_sgd_step_on_gpu_follows_cpu(dtype, kwargs):
    _train_on_both_devices(lambda params: torch.optim.SGD(params, lr=0.05, **kwargs), dtype)


@pytest.mark.parametrize("dtype", ["float32", "float16"])
@pytest.mark.parametrize("cls,kwargs", [
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, weight_decay=0.1, momentum=0.5)),
    ("RMSprop", dict(lr=0.01, alpha=0.8, centered=True)),
    ("RMSprop", dict(lr=0.01, alpha=0.8, centered=True, momentum=0.9, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.5, weight_decay=0.1, initial_accumulator_value=0.3, eps=1e-4, maximize=True)),
], ids=str)
def test_fused_rmsprop_and_adagrad_steps_on_gpu_follow_cpu(dtype, cls, kwargs):
    _train_on_both_devices(lambda params: getattr(torch.optim, cls)(params, **kwargs), dtype)


def test_fused_adam_step_is_taken_only_where_it_applies():
    p, g = torch.ones(4, device="cuda"), torch.ones(4, device="cuda")
    m, v = torch.zeros(4, device="cuda"), torch.zeros(4, device="cuda")
    args = (None, 0.1, 0.9, 0.999, 1e-8, 0.0, False, False, 0.1, 1.0)
    assert torch._C._adam_step_(p, g, m, v, *args)
    # m = 0.1 g, v = 0.001 g^2, p -= step_size * m / (sqrt(v) / sqrt(1 - beta2) + eps)
    assert m.cpu().tolist() == pytest.approx([0.1] * 4) and v.cpu().tolist() == pytest.approx([0.001] * 4)
    assert p.cpu().tolist() == pytest.approx([1 - 0.1 * 0.1 / (0.001 ** 0.5 + 1e-8)] * 4)
    assert not torch._C._adam_step_(p, g.cpu(), m, v, *args)  # mixed devices: op by op
    assert not torch._C._adam_step_(p, g, m, v.double(), *args)
    q = torch.ones(4, 2, device="cuda").t()
    assert not torch._C._adam_step_(q, q.contiguous(), q.contiguous(), q.contiguous(), *args)
    # SGD: p - lr * (momentum * buf + grad)
    p, buf = torch.ones(4, device="cuda"), torch.ones(4, device="cuda")
    assert torch._C._sgd_step_(p, g, buf, 0.1, 0.5, 0.0, 0.0, False, False)
    assert buf.cpu().tolist() == [1.5] * 4 and p.cpu().tolist() == pytest.approx([0.85] * 4)
    assert not torch._C._sgd_step_(p, g, None, 0.1, 0.5, 0.0, 0.0, False, False)  # momentum needs its buffer
    # RMSprop: v = (1 - alpha) g^2 = 1, p -= lr * g / (sqrt(v) + eps); with momentum the buffer
    # takes g / (sqrt(v) + eps) on top of momentum * buffer.
    for buf, expected in [(None, 0.98), (torch.ones(4, device="cuda"), 1 - 0.01 * (0.5 + 2.0))]:
        p, v, g2 = torch.ones(4, device="cuda"), torch.zeros(4, device="cuda"), torch.full((4,), 2.0, device="cuda")
        momentum = 0.0 if buf is None else 0.5
        assert torch._C._rmsprop_step_(p, g2, v, buf, None, 0.01, 0.75, 0.0, 0.0, momentum, False)
        assert v.cpu().tolist() == [1.0] * 4 and p.cpu().tolist() == pytest.approx([expected] * 4)
    assert not torch._C._rmsprop_step_(p, g2, v, None, None, 0.01, 0.75, 0.0, 0.0, 0.5, False)  # no buffer
    # Adagrad: sum += g^2, p -= clr * g / (sqrt(sum) + eps)
    p, s = torch.ones(4, device="cuda"), torch.full((4,), 3.0, device="cuda")
    assert torch._C._adagrad_step_(p, g, s, 0.1, 0.0, 0.0, False)
    assert s.cpu().tolist() == [4.0] * 4 and p.cpu().tolist() == pytest.approx([0.95] * 4)
    assert not torch._C._adagrad_step_(p, g, s.double(), 0.1, 0.0, 0.0, False)


def test_save_and_load_gpu_tensors(tmp_path):
    model = torch.nn.Linear(3, 2).cuda()
    path = tmp_path / "m.pt"
    torch.save(model.state_dict(), path)
    sd = torch.load(path)
    assert sd["weight"].is_cuda  # saved with location "cuda:0", restored there
    close(cpu_np(sd["weight"]), cpu_np(model.weight), 0, 0)
    cpu_sd = torch.load(path, map_location="cpu")
    assert not cpu_sd["bias"].is_cuda
    flags = torch.tensor([True, False, True], device="cuda")
    torch.save(flags, tmp_path / "b.pt")
    assert torch.load(tmp_path / "b.pt").tolist() == [True, False, True]


def test_dlpack_and_numpy_of_gpu_tensors_are_clear_errors():
    g = torch.ones(2, device="cuda")
    with pytest.raises(RuntimeError, match="DLPack"):
        g.__dlpack__()
    with pytest.raises(TypeError, match="Use Tensor.cpu"):
        np.asarray(g)


# ----------------------------------------------------------------------------- sorting
@pytest.mark.parametrize("n", [1, 2, 7, 512, 513, 1500, 4099])
@pytest.mark.parametrize("descending", [False, True])
def test_sort_rows_of_every_length_match_cpu(n, descending):
    # Rows up to 512 sort in one workgroup; longer ones take global merge passes.
    rng = np.random.default_rng(n)
    a = rng.integers(0, max(n // 3, 2), size=(3, n)).astype(np.float32)  # many ties: stability
    a[rng.random(a.shape) < 0.05] = np.nan
    x = torch.tensor(a)
    v, i = x.cuda().sort(dim=1, descending=descending)
    cv, ci = x.sort(dim=1, descending=descending)
    assert v.is_cuda and i.dtype == torch.int64
    np.testing.assert_array_equal(cpu_np(v), cv.numpy())
    np.testing.assert_array_equal(cpu_np(i), ci.numpy())


@pytest.mark.parametrize("dtype", ["float32", "float16", "float64", "int32", "int64", "int16", "uint8", "bool"])
def test_sort_dtypes_dims_and_views(dtype):
    a = (np.random.default_rng(0).standard_normal((5, 6, 7)) * 40)
    if dtype.startswith("float"):
        a[0, 0, :3] = a[1, :2, 4] = np.nan
    x = torch.tensor(a).to(getattr(torch, dtype))
    g = x.cuda()
    for dim in (0, 1, -1):
        for view in (lambda t: t, lambda t: t.transpose(0, 2), lambda t: t[:, ::2]):
            for fn in (lambda t: t.sort(dim=dim, stable=True), lambda t: t.sort(dim=dim, descending=True),
                       lambda t: t.argsort(dim=dim)):
                got, want = fn(view(g)), fn(view(x))
                for p, q in zip(got if isinstance(got, tuple) else (got,), want if isinstance(want, tuple) else (want,)):
                    np.testing.assert_array_equal(cpu_np(p), q.numpy())


def test_topk_kthvalue_median_match_cpu():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((4, 1030)).astype(np.float32)
    a[1, 5] = a[2, 7] = np.nan
    a[3, :] = np.nan
    x = torch.tensor(a)
    g = x.cuda()
    for got, want in [
        (g.topk(5), x.topk(5)), (g.topk(3, largest=False), x.topk(3, largest=False)),
        (g.topk(2, dim=0), x.topk(2, dim=0)), (g.kthvalue(17), x.kthvalue(17)),
        (g.kthvalue(2, dim=0, keepdim=True), x.kthvalue(2, dim=0, keepdim=True)),
        (g.median(dim=1), x.median(dim=1)), (g.nanmedian(dim=1), x.nanmedian(dim=1)),
        (g[:, :9].median(dim=1, keepdim=True), x[:, :9].median(dim=1, keepdim=True)),
        (g[:3].nan_to_num().int().median(dim=0), x[:3].nan_to_num().int().median(dim=0)),
    ]:
        assert got[0].is_cuda and got[1].dtype == torch.int64
        np.testing.assert_array_equal(cpu_np(got[0]), want[0].numpy())
        np.testing.assert_array_equal(cpu_np(got[1]), want[1].numpy())
    assert np.isnan(g.median().item()) and g[:3].nanmedian().item() == x[:3].nanmedian().item()
    assert g[0].median().item() == x[0].median().item()
    assert torch.tensor(5.0, device="cuda").median(0)[1].item() == 0
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        g.topk(2000)
    with pytest.raises(IndexError, match="kthvalue\\(\\): selected number k out of range"):
        g.kthvalue(0)


def test_sort_backward_on_gpu():
    x = torch.randn(3, 700)
    g = x.cuda().requires_grad_()
    v, _ = g.sort(dim=1, descending=True)
    (v * torch.arange(700.0, device="cuda")).sum().backward()
    c = x.clone().requires_grad_()
    (c.sort(dim=1, descending=True)[0] * torch.arange(700.0)).sum().backward()
    close(cpu_np(g.grad), c.grad.numpy())


@pytest.mark.parametrize("dtype", ["float32", "int64", "int8"])
def test_unique_matches_cpu(dtype):
    rng = np.random.default_rng(5)
    x = torch.tensor(rng.integers(-20, 20, size=(6, 300))).to(getattr(torch, dtype))
    g = x.cuda()
    cases = [
        lambda t: torch.unique(t, return_inverse=True, return_counts=True),
        lambda t: torch.unique(t.t(), dim=0, return_inverse=True, return_counts=True),
        lambda t: torch.unique(t[:, :4] % 3, dim=1, return_inverse=True, return_counts=True),
        lambda t: torch.unique_consecutive(t.flatten() // 7, return_inverse=True, return_counts=True),
        lambda t: torch.unique(t[:0], return_inverse=True, return_counts=True),
    ]
    for fn in cases:
        got, want = fn(g), fn(x)
        for p, q in zip(got, want):
            assert p.is_cuda
            np.testing.assert_array_equal(cpu_np(p), q.numpy())
    nan = torch.tensor([1.0, float("nan"), 1.0, float("nan")])
    assert torch.unique(nan.cuda()).cpu().tolist()[0] == 1.0 and len(torch.unique(nan.cuda())) == 3


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "float16"])
def test_scatter_reduce_matches_cpu(reduce, include_self, dtype):
    rng = np.random.default_rng(7)
    base = torch.tensor(rng.integers(-5, 6, size=(4, 9))).to(getattr(torch, dtype))
    src = torch.tensor(rng.integers(-5, 6, size=(6, 9))).to(getattr(torch, dtype))
    index = torch.tensor(rng.integers(0, 4, size=(5, 9)))
    want = base.scatter_reduce(0, index, src, reduce, include_self=include_self)
    got = base.cuda().scatter_reduce(0, index.cuda(), src.cuda(), reduce, include_self=include_self)
    np.testing.assert_allclose(cpu_np(got).astype(np.float64), want.numpy().astype(np.float64), rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float64", "int64", "int16", "uint8", "float16"])
def test_accumulating_writes_for_dtypes_without_atomics(dtype):
    dt = getattr(torch, dtype)
    x = torch.zeros(5, 3, dtype=dt)
    index = torch.tensor([[0, 1, 0], [4, 4, 4], [0, 0, 0], [2, 1, 4]])
    src = torch.arange(12).reshape(4, 3).to(dt)
    g = x.cuda().t().t()  # same layout, exercised as a view
    g.scatter_add_(0, index.cuda(), src.cuda())
    np.testing.assert_array_equal(cpu_np(g), x.scatter_add(0, index, src).numpy())
    g = x.cuda()
    g.index_add_(0, torch.tensor([1, 1, 3, 1]).cuda(), src.cuda())
    np.testing.assert_array_equal(cpu_np(g), x.index_add(0, torch.tensor([1, 1, 3, 1]), src).numpy())
    g = x.cuda()
    g.put_(torch.tensor([0, 14, 0, -1]).cuda(), src[0, :].repeat(2)[:4].cuda(), accumulate=True)
    np.testing.assert_array_equal(cpu_np(g), x.put(torch.tensor([0, 14, 0, -1]), src[0, :].repeat(2)[:4], accumulate=True).numpy())
    g = x.cuda()
    g.index_put_((torch.tensor([0, 0, 3]).cuda(),), torch.ones(3, dtype=dt).cuda(), accumulate=True)
    assert cpu_np(g)[:, 0].tolist() == [2, 0, 0, 1, 0]
    g = torch.ones(4, dtype=dt).cuda().scatter(0, torch.tensor([0, 0, 2]).cuda(), torch.full((3,), 2, dtype=dt).cuda(), reduce="multiply")
    assert cpu_np(g).tolist() == [4, 1, 2, 1]


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int32", "int64", "uint8"])
def test_in_place_binary_ops_write_in_one_pass_and_match_cpu(dtype):
    dt = getattr(torch, dtype)
    base = (torch.arange(24) % 7 + 1).to(dt).reshape(4, 6)
    other = (torch.arange(6) % 3 + 1).to(dt)
    cases = [
        lambda t, o: t.add_(o),                    # broadcast operand
        lambda t, o: t[:, ::2].mul_(3),            # strided target, number operand
        lambda t, o: t.t().sub_(o[:4], alpha=2),   # transposed target, alpha
        lambda t, o: t.add_(t),                    # the target itself
        lambda t, o: t[1:].add_(t[:-1]),           # overlapping view of the target
        lambda t, o: t.__imul__(t[0]),             # a row of the target, broadcast
        (lambda t, o: t.div_(2)) if dt.is_floating_point else (lambda t, o: t.__iand__(o)),
    ]
    for case in cases:
        want, got = base.clone(), base.cuda()
        case(want, other)
        case(got, other.cuda())
        close(cpu_np(got), want.numpy(), 1e-3 if dtype == "float16" else 1e-6, 0)


def test_in_place_ops_keep_autograd_semantics_on_gpu():
    w = torch.ones(3, device="cuda", requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.add_(1.0)
    with torch.no_grad():
        w.mul_(2.0)  # allowed without grad, written in place
    assert w.cpu().tolist() == [2.0, 2.0, 2.0] and w.requires_grad
    y = w * 1.0
    y.add_(torch.ones(3, device="cuda"))  # recorded: goes out of place and rebases history
    y.sum().backward()
    assert w.grad.cpu().tolist() == [1.0, 1.0, 1.0]
    a = torch.ones(3, device="cuda", requires_grad=True)
    b = torch.ones(3, device="cuda")
    z = a * b
    b.add_(1.0)  # b was saved for z's backward: the version check must notice
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()
    i = torch.ones(3, dtype=torch.int32, device="cuda")
    with pytest.raises(RuntimeError, match="can't be cast"):
        i.add_(0.5)


def test_put_resolves_offsets_on_the_gpu_for_views():
    x = torch.arange(30.0).reshape(5, 6)
    index = torch.tensor([[0, -1], [5, 3]])
    for view in [lambda t: t.t(), lambda t: t[1:, ::2], lambda t: t[2]]:
        want, got = view(x.clone()), view(x.cuda())
        want.put_(index, torch.tensor([[-1.0, -2.0], [-3.0, -4.0]]))
        got.put_(index.cuda(), torch.tensor([[-1.0, -2.0], [-3.0, -4.0]]).cuda())
        np.testing.assert_array_equal(cpu_np(got), want.numpy())
    with pytest.raises(IndexError, match="out of range: tried to access index 30 on a tensor of 30 elements"):
        x.cuda().put_(torch.tensor([1, 30]).cuda(), torch.ones(2).cuda())


def test_masked_scatter_on_gpu():
    x = torch.zeros(4, 5)
    mask = torch.tensor([True, False, True, False, True])
    src = torch.arange(20.0).reshape(4, 5)
    g = x.cuda().t().contiguous().t()  # column-major destination
    g.masked_scatter_(mask.cuda(), src.cuda())
    np.testing.assert_array_equal(cpu_np(g), x.masked_scatter(mask, src).numpy())
    with pytest.raises(RuntimeError, match="^Number of elements of source < number of ones in mask$"):
        x.cuda().masked_scatter_(mask.cuda(), torch.ones(3, device="cuda"))
    s = src.cuda().requires_grad_()
    x.cuda().masked_scatter(mask.cuda(), s).sum().backward()
    assert cpu_np(s.grad).sum() == 12.0


@pytest.mark.parametrize("n", [1, 1023, 1024, 1025, 5000, 4_500_000])
def test_nonzero_and_masked_select_compact_on_the_gpu(n):
    # Block-parallel stream compaction; 4.5M elements need a second level of block totals.
    rng = np.random.default_rng(n)
    a = rng.standard_normal(n).astype(np.float32)
    a[rng.random(n) < 0.5] = 0.0
    a[::97] = np.nan  # NaN is non-zero
    x = torch.tensor(a)
    g = x.cuda()
    np.testing.assert_array_equal(cpu_np(g.nonzero()), x.nonzero().numpy())
    np.testing.assert_array_equal(cpu_np(g.masked_select(g > 0.5)), x.masked_select(x > 0.5).numpy())
    np.testing.assert_array_equal(cpu_np(g[g < -0.5]), x[x < -0.5].numpy())


@pytest.mark.parametrize("dtype", ["bool", "int64", "float16", "float64", "uint8"])
def test_nonzero_dtypes_views_and_tuples(dtype):
    a = np.random.default_rng(1).integers(0, 3, size=(7, 300, 3)) % 2
    x = torch.tensor(a).to(getattr(torch, dtype))
    g = x.cuda()
    for view in (lambda t: t, lambda t: t.transpose(0, 2), lambda t: t[:, ::3, 1], lambda t: t[0, 0, 0], lambda t: t[:0]):
        np.testing.assert_array_equal(cpu_np(view(g).nonzero()), view(x).nonzero().numpy())
        for p, q in zip(view(g).nonzero(as_tuple=True), view(x).nonzero(as_tuple=True)):
            assert p.is_cuda
            np.testing.assert_array_equal(cpu_np(p), q.numpy())


@pytest.mark.parametrize("shape,dim", [((10000,), 0), ((3, 5000), 1), ((6000, 2), 0), ((2, 4_200_000), 1)])
def test_cumsum_of_long_rows_matches_cpu(shape, dim):
    rng = np.random.default_rng(2)
    a = rng.integers(-3, 4, size=shape)
    x = torch.tensor(a)
    np.testing.assert_array_equal(cpu_np(x.cuda().cumsum(dim)), x.cumsum(dim).numpy())
    f = torch.tensor(rng.random(shape).astype(np.float32))
    close(cpu_np(f.cuda().cumsum(dim)), f.cumsum(dim).numpy(), rtol=1e-5, atol=1e-3)
    d = f.double()
    close(cpu_np(d.cuda().cumsum(dim)), d.cumsum(dim).numpy(), rtol=1e-12, atol=1e-9)
    h = f[..., :4096].half() if dim == len(shape) - 1 else f.half()
    close(cpu_np(h.cuda().cumsum(dim)), h.cumsum(dim).numpy(), rtol=2e-2, atol=2.0)


@pytest.mark.parametrize("replacement", [True, False])
def test_multinomial_on_gpu_draws_the_cpu_samples(replacement):
    probs = torch.tensor(np.random.default_rng(4).random((3, 50)))
    probs[1, :45] = 0.0
    for p, k in ((probs, 5), (probs[0], 7), (probs.float(), 4)):
        torch.manual_seed(11)
        want = torch.multinomial(p, k, replacement=replacement)
        torch.manual_seed(11)
        got = torch.multinomial(p.cuda(), k, replacement=replacement)
        assert got.is_cuda and got.dtype == torch.int64
        np.testing.assert_array_equal(cpu_np(got), want.numpy())
    with pytest.raises(RuntimeError, match="probability tensor contains either"):
        torch.multinomial(torch.tensor([1.0, -1.0], device="cuda"), 1)
    with pytest.raises(RuntimeError, match="sum of probabilities <= 0"):
        torch.multinomial(torch.zeros(2, 3, device="cuda"), 1, replacement=True)
    # Impossible categories are drawn last once the possible ones run out (PyTorch's topk of
    # p / Exp(1)); which impossible one is an implementation detail on either device.
    drawn = torch.multinomial(torch.tensor([0.0, 1.0, 0.0], device="cuda"), 3).tolist()
    assert drawn[0] == 1 and sorted(drawn) == [0, 1, 2]


def test_advanced_indexing_resolves_offsets_on_the_gpu():
    x = torch.arange(120.0).reshape(4, 5, 6)
    g = x.cuda()
    i, j = torch.tensor([[0, -1], [2, 1]]), torch.tensor([4, -5])
    cases = [
        lambda t, i, j: t[i], lambda t, i, j: t[:, j], lambda t, i, j: t[i, j], lambda t, i, j: t[i, :, j[:1]],
        lambda t, i, j: t[1:, j, ::2], lambda t, i, j: t[t[:, 0, 0] > 30], lambda t, i, j: t[..., i.flatten()],
    ]
    for fn in cases:
        got = fn(g, i.cuda(), j.cuda())
        assert got.is_cuda
        np.testing.assert_array_equal(cpu_np(got), fn(x, i, j).numpy())
    with pytest.raises(IndexError, match="index 9 is out of bounds for dimension 0 with size 4"):
        g[torch.tensor([0, 9]).cuda()]
    with pytest.raises(IndexError) as cpu_error:
        x[:, torch.tensor([-7])]
    with pytest.raises(IndexError, match=str(cpu_error.value)):
        g[:, torch.tensor([-7]).cuda()]
    for dtype in (torch.float32, torch.float64, torch.int64):
        y, h = torch.zeros(5, 3, dtype=dtype), torch.zeros(5, 3, dtype=dtype).cuda()
        idx = torch.tensor([0, 4, 0, -1])
        y.index_put_((idx,), torch.ones(4, 3, dtype=dtype), accumulate=True)
        h.index_put_((idx.cuda(),), torch.ones(4, 3, dtype=dtype).cuda(), accumulate=True)
        np.testing.assert_array_equal(cpu_np(h), y.numpy())
        h[torch.tensor([1, 2]).cuda(), torch.tensor([2, 0]).cuda()] = torch.tensor(7, dtype=dtype).cuda()
        y[torch.tensor([1, 2]), torch.tensor([2, 0])] = torch.tensor(7, dtype=dtype)
        np.testing.assert_array_equal(cpu_np(h), y.numpy())


def test_small_uploads_share_a_batch_arena_and_keep_their_values():
    # Python scalars and small tensors travel through one arena per batch; buffers freed and
    # reused inside the batch, and an arena that fills up mid-batch, must not mix values.
    acc = torch.zeros(1, device="cuda")
    for i in range(300):
        acc = acc + torch.tensor([float(i)], device="cuda") + 0.5
    assert acc.item() == sum(range(300)) + 150.0
    blocks = [torch.full((1000,), float(i)).cuda() for i in range(40)]  # 160 kB through 64 kB arenas
    assert [b.sum().item() for b in blocks] == [1000.0 * i for i in range(40)]
