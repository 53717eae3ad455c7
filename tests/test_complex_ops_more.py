"""Complex tensors, second batch of ops: the inverse trigonometric and hyperbolic functions (branch cuts
as C99/numpy, which PyTorch follows, signed zeros included), var/std/var_mean/std_mean (real results),
cumprod, the scatter/index/mask/take/put family, lerp, logaddexp, eye, count_nonzero, dropout and a
complex nn.Linear with its initialisers.

Values are checked against numpy on both devices, on contiguous and strided inputs, 0-d and empty ones;
gradients (complex128) against central differences with PyTorch's convention (a complex leaf's grad is
dL/dre + i dL/dim for a real loss); and the dtype-mismatch errors with PyTorch's classes and messages."""
import re

import numpy as np
import pytest

import ferrotorch as torch
import ferrotorch.nn as nn
import ferrotorch.nn.functional as F
from conftest import DEVICES, assert_close as _assert_close, finite_difference_grad

RNG = np.random.default_rng(21)
TOL = {np.complex64: dict(rtol=1e-4, atol=1e-5), np.complex128: dict(rtol=1e-7, atol=1e-9)}
GRAD_TOL = dict(rtol=1e-5, atol=1e-6)
LAYOUTS = ["contiguous", "strided"]


def assert_close(actual, expected, **kw):
    """conftest's comparison, reading GPU results back first."""
    _assert_close(actual.cpu() if isinstance(actual, torch.Tensor) else actual, expected, **kw)


def crandn(*shape, dtype=np.complex64):
    return (RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)).astype(dtype)


def make(a, device="cpu", layout="contiguous"):
    """A tensor with the values of `a`; "strided" gives a non-contiguous view (every other element of
    a wider buffer along the last dim), so ops must honour strides."""
    if layout == "strided" and a.ndim > 0:
        wide = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), dtype=a.dtype)
        wide[..., ::2] = a
        t = torch.tensor(wide, device=device)[..., ::2]
        assert a.size < 2 or not t.is_contiguous()
        return t
    return torch.tensor(a, device=device)


def real_loss(out):
    """A real, value-dependent loss of a (complex or real) tensor; `np_real_loss` is its numpy twin."""
    return (out.abs() ** 2).sum() + (out.imag.sum() if out.is_complex() else out.sum())


def np_real_loss(out):
    return (np.abs(out) ** 2).sum() + (out.imag.sum() if np.iscomplexobj(out) else out.sum())


def check_gradients(f, ref, arrays, device):
    """Backpropagates real_loss(f(*leaves)) and compares each leaf's grad with central differences of
    np_real_loss(ref(*arrays))."""
    leaves = [torch.tensor(a, device=device, requires_grad=True) for a in arrays]
    real_loss(f(*leaves)).backward()
    for i, (leaf, a) in enumerate(zip(leaves, arrays)):
        def loss_in_i(x, i=i):
            return np_real_loss(ref(*arrays[:i], x, *arrays[i + 1:]))
        assert leaf.grad.dtype is leaf.dtype
        assert_close(leaf.grad, finite_difference_grad(loss_in_i, a), **GRAD_TOL)


# ----------------------------------------------------------------------------- inverse trigonometric

INVERSE_TRIG = {
    "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan,
    "asinh": np.arcsinh, "acosh": np.arccosh, "atanh": np.arctanh,
}
# Magnitudes from small to large so that formulas losing precision or overflowing show up; random
# phases keep the points off the branch cuts (which test_inverse_trig_on_branch_cuts covers).
MAGNITUDES = np.array([1e-3, 0.3, 0.9, 1.0, 1.7, 4.0, 1e3])


def inverse_trig_input(dtype, *shape):
    return (crandn(*shape, len(MAGNITUDES), dtype=np.complex128) * MAGNITUDES).astype(dtype)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("name", sorted(INVERSE_TRIG))
def test_inverse_trig_function_method_and_in_place(device, dtype, name):
    a = inverse_trig_input(dtype, 2)
    expected = INVERSE_TRIG[name](a.astype(np.complex128)).astype(dtype)
    z = make(a, device)
    assert_close(getattr(torch, name)(z), expected, **TOL[dtype])
    assert_close(getattr(z, name)(), expected, **TOL[dtype])
    assert_close(getattr(torch, "arc" + name[1:])(z), expected, **TOL[dtype])
    assert_close(z, a)  # the out-of-place forms left the input alone
    assert getattr(z, name + "_")() is z
    assert_close(z, expected, **TOL[dtype])
    w = make(a, device)
    getattr(torch, name + "_")(w)
    assert_close(w, expected, **TOL[dtype])


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", sorted(INVERSE_TRIG))
def test_inverse_trig_strided_zero_dim_and_empty(device, name):
    f, ref = getattr(torch, name), INVERSE_TRIG[name]
    a = inverse_trig_input(np.complex64, 3)
    assert_close(f(make(a, device, "strided")), ref(a), **TOL[np.complex64])
    # In place on a strided view writes through to the right elements of the base.
    base = torch.tensor(np.stack([a, a], -1), device=device)
    getattr(base[..., 0], name + "_")()
    assert_close(base, np.stack([ref(a), a], -1), **TOL[np.complex64])
    assert_close(f(torch.tensor(0.5 - 0.25j, device=device)), ref(np.complex64(0.5 - 0.25j)), **TOL[np.complex64])
    assert_close(f(torch.zeros(0, 2, dtype=torch.complex128, device=device)), np.zeros((0, 2), np.complex128))


# Points on each cut, approached from both sides with signed zeros; PyTorch agrees with numpy here.
BRANCH_CUT_POINTS = {
    "asin": [complex(2, 0.0), complex(2, -0.0), complex(-3, 0.0), complex(-3, -0.0)],
    "acos": [complex(2, 0.0), complex(2, -0.0), complex(-3, 0.0), complex(-3, -0.0)],
    "atanh": [complex(2, 0.0), complex(2, -0.0), complex(-3, 0.0), complex(-3, -0.0)],
    "atan": [complex(0.0, 2), complex(-0.0, 2), complex(0.0, -3), complex(-0.0, -3)],
    "asinh": [complex(0.0, 2), complex(-0.0, 2), complex(0.0, -3), complex(-0.0, -3)],
    "acosh": [complex(0.5, 0.0), complex(0.5, -0.0), complex(-2, 0.0), complex(-2, -0.0)],
}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("name", sorted(INVERSE_TRIG))
def test_inverse_trig_on_branch_cuts(device, dtype, name):
    # Plus a few special points off the cuts: 0, +-1 and +-i (avoiding the poles of atan/atanh).
    special = [0j, 1, -1, 1j, -1j]
    if name == "atan":
        special = [0j, 1, -1]
    if name == "atanh":
        special = [0j, 1j, -1j]
    a = np.array(BRANCH_CUT_POINTS[name] + special, dtype=dtype)
    got = getattr(torch, name)(torch.tensor(a, device=device))
    assert_close(got, INVERSE_TRIG[name](a.astype(np.complex128)).astype(dtype), **TOL[dtype])


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", sorted(INVERSE_TRIG))
def test_inverse_trig_gradient(device, name):
    # Fixed points in all four quadrants, inside and outside the unit circle, well away from the
    # singularities (+-1, +-i) and the cuts, where central differences would be unreliable.
    a = np.array([0.3 + 0.4j, -0.5 + 0.2j, 0.1 - 0.7j, -0.2 - 0.3j, 1.5 + 0.6j, -0.4 + 1.3j])
    check_gradients(getattr(torch, name), INVERSE_TRIG[name], [a], device)


# ----------------------------------------------------------------------------- var / std

VARIANCE_ARGS = [
    dict(), dict(dim=1), dict(dim=(0, 2), keepdim=True), dict(dim=-1, correction=0),
    dict(dim=0, correction=2), dict(unbiased=False), dict(dim=1, unbiased=True, keepdim=True),
]


def np_variance(a, name, dim=None, correction=1, unbiased=None, keepdim=False):
    """numpy's var/std/var_mean/std_mean with PyTorch's keyword names."""
    ddof = correction if unbiased is None else int(unbiased)
    spread = (np.var if name.startswith("var") else np.std)(a, axis=dim, ddof=ddof, keepdims=keepdim)
    return (spread, a.mean(axis=dim, keepdims=keepdim)) if name.endswith("_mean") else spread


@pytest.mark.filterwarnings("ignore:.*degrees of freedom")
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("kwargs", VARIANCE_ARGS, ids=str)
@pytest.mark.parametrize("name", ["var", "std", "var_mean", "std_mean"])
def test_variance_values_and_real_dtype(device, layout, kwargs, name):
    a = crandn(3, 4, 5)
    z = make(a, device, layout)
    got = getattr(torch, name)(z, **kwargs)
    expected = np_variance(a.astype(np.complex128), name, **kwargs)
    if name.endswith("_mean"):
        assert got[0].dtype is torch.float32 and got[1].dtype is torch.complex64
        assert_close(got[0], expected[0].astype(np.float32), rtol=1e-5, atol=1e-6)
        assert_close(got[1], expected[1].astype(np.complex64), rtol=1e-5, atol=1e-6)
    else:
        assert got.dtype is torch.float32
        assert_close(got, expected.astype(np.float32), rtol=1e-5, atol=1e-6)
        assert_close(getattr(z, name)(**kwargs), expected.astype(np.float32), rtol=1e-5, atol=1e-6)


@pytest.mark.filterwarnings("ignore:.*degrees of freedom")
@pytest.mark.parametrize("device", DEVICES)
def test_variance_zero_dim_empty_and_complex128(device):
    assert_close(torch.var(torch.tensor(1 + 1j, device=device)), np.float32("nan"))
    assert_close(torch.var(torch.tensor(1 + 1j, device=device), correction=0), np.float32(0))
    assert_close(torch.std(torch.zeros(0, 3, dtype=torch.complex64, device=device), dim=0), np.full(3, np.nan, np.float32))
    v, m = torch.var_mean(torch.zeros(0, 3, dtype=torch.complex64, device=device), dim=0)
    assert v.dtype is torch.float32 and m.dtype is torch.complex64 and v.shape == (3,)
    a = crandn(4, 3, dtype=np.complex128)
    s, m = torch.std_mean(torch.tensor(a, device=device), dim=0, correction=0)
    assert s.dtype is torch.float64 and m.dtype is torch.complex128
    assert_close(s, np.std(a, axis=0), rtol=1e-12, atol=1e-12)
    assert_close(m, a.mean(axis=0), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", ["var", "std"])
def test_variance_gradient(device, name):
    a = crandn(3, 4, dtype=np.complex128)
    check_gradients(lambda z: getattr(torch, name)(z, dim=1, correction=0),
                    lambda x: np_variance(x, name, dim=1, correction=0), [a], device)
    check_gradients(lambda z: getattr(torch, name + "_mean")(z)[0] * 2 + getattr(torch, name + "_mean")(z)[1],
                    lambda x: np_variance(x, name) * 2 + x.mean(), [a], device)


# ----------------------------------------------------------------------------- cumprod

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumprod_values(device, layout, dim):
    a = crandn(3, 5)
    z = make(a, device, layout)
    expected = np.cumprod(a.astype(np.complex128), axis=dim)
    assert_close(torch.cumprod(z, dim), expected.astype(np.complex64), rtol=1e-5, atol=1e-5)
    assert_close(z.cumprod(dim=dim), expected.astype(np.complex64), rtol=1e-5, atol=1e-5)
    assert_close(torch.cumprod(z, dim, dtype=torch.complex128), np.cumprod(a.astype(np.complex128), axis=dim), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("device", DEVICES)
def test_cumprod_real_to_complex_zero_dim_and_empty(device):
    r = RNG.standard_normal((2, 3)).astype(np.float32)
    got = torch.cumprod(torch.tensor(r, device=device), 1, dtype=torch.complex64)
    assert_close(got, np.cumprod(r, axis=1).astype(np.complex64), rtol=1e-6)
    assert_close(torch.cumprod(torch.tensor(2 + 1j, device=device), 0), np.complex64(2 + 1j))
    assert_close(torch.cumprod(torch.zeros(0, 2, dtype=torch.complex64, device=device), 0), np.zeros((0, 2), np.complex64))
    z = torch.tensor(crandn(2, 3), device=device)
    assert z.cumprod_(1) is z


@pytest.mark.parametrize("device", DEVICES)
def test_cumprod_gradient(device):
    a = crandn(2, 4, dtype=np.complex128)
    check_gradients(lambda z: torch.cumprod(z, 1), lambda x: np.cumprod(x, axis=1), [a], device)


# ----------------------------------------------------------------------------- scatter / index / mask / take / put

def np_scatter(a, dim, index, src, combine=None):
    """numpy's model of scatter: out[index[i] along dim] = src[i] (or combined with it)."""
    out = a.copy()
    for pos in np.ndindex(index.shape):
        target = pos[:dim] + (index[pos],) + pos[dim + 1:]
        value = src[pos] if np.ndim(src) else src
        out[target] = value if combine is None else combine(out[target], value)
    return out


def np_index_update(a, dim, index, update):
    """out with `update(slice, i)` applied to the slice out[index[i]] along dim, in order."""
    out = a.copy()
    moved = np.moveaxis(out, dim, 0)  # a view: writes land in out
    for i, j in enumerate(index):
        moved[j] = update(moved[j], i)
    return out


def np_masked_scatter(a, mask, src):
    out = a.copy()
    mask = np.broadcast_to(mask, a.shape)
    out[mask] = src.ravel()[:mask.sum()]
    return out


def np_put(a, index, src, accumulate):
    out = a.ravel().copy()
    if accumulate:
        np.add.at(out, index, src.ravel())
    else:
        out[index] = src.ravel()
    return out.reshape(a.shape)


def selection_inputs(dtype):
    """The operands of SELECTION_OPS for a (3, 4) input (numpy arrays; same keys for tensors)."""
    return {
        "index0": np.array([[2, 0, 1, 1], [0, 2, 0, 2]]),  # distinct rows per column: no write collides
        "index1": np.array([[3, 1], [0, 2], [2, 3]]),
        "src0": crandn(2, 4, dtype=dtype),
        "src1": crandn(3, 2, dtype=dtype),
        "rows": np.array([2, 0]),
        "cols": np.array([3, 0, 3]),  # repeated: index_add accumulates
        "row_src": crandn(2, 4, dtype=dtype),
        "col_src": crandn(3, 3, dtype=dtype),
        "mask": np.array([[True, False, True, False], [False, False, True, True], [True, True, False, False]]),
        "row_mask": np.array([False, True, True, False]),
        "big_mask": RNG.random((2, 3, 4)) > 0.5,
        "mask_src": crandn(8, dtype=dtype),
        "flat": np.array([[0, 11], [-1, 5]]),
        "put_at": np.array([0, 7, 0]),
        "put_src": crandn(3, dtype=dtype),
        "put_once_at": np.array([1, 10, -3]),  # distinct positions: no write collides
    }


# name: (method, args from the operand dict, numpy reference of (input, operands), in-place form exists)
SELECTION_OPS = {
    "scatter_src": ("scatter", lambda k: (0, k["index0"], k["src0"]),
                    lambda a, k: np_scatter(a, 0, k["index0"], k["src0"]), True),
    "scatter_src_dim1": ("scatter", lambda k: (1, k["index1"], k["src1"]),
                         lambda a, k: np_scatter(a, 1, k["index1"], k["src1"]), True),
    "scatter_complex_value": ("scatter", lambda k: (0, k["index0"], 1 - 2j),
                              lambda a, k: np_scatter(a, 0, k["index0"], 1 - 2j), True),
    "scatter_real_value": ("scatter", lambda k: (0, k["index0"], 2.5),
                           lambda a, k: np_scatter(a, 0, k["index0"], 2.5), True),
    "scatter_add": ("scatter_add", lambda k: (0, k["index0"], k["src0"]),
                    lambda a, k: np_scatter(a, 0, k["index0"], k["src0"], np.add), True),
    "index_add": ("index_add", lambda k: (1, k["cols"], k["col_src"]),
                  lambda a, k: np_index_update(a, 1, k["cols"], lambda s, i: s + k["col_src"][:, i]), True),
    "index_copy": ("index_copy", lambda k: (0, k["rows"], k["row_src"]),
                   lambda a, k: np_index_update(a, 0, k["rows"], lambda s, i: k["row_src"][i]), True),
    "index_fill": ("index_fill", lambda k: (1, k["cols"], 1 - 2j),
                   lambda a, k: np_index_update(a, 1, k["cols"], lambda s, i: 1 - 2j), True),
    "masked_select": ("masked_select", lambda k: (k["mask"],), lambda a, k: a[k["mask"]], False),
    "masked_select_broadcast_mask": ("masked_select", lambda k: (k["row_mask"],),
                                     lambda a, k: np.broadcast_to(a, (3, 4))[np.broadcast_to(k["row_mask"], (3, 4))], False),
    "masked_select_broadcast_self": ("masked_select", lambda k: (k["big_mask"],),
                                     lambda a, k: np.broadcast_to(a, (2, 3, 4))[k["big_mask"]], False),
    "masked_scatter": ("masked_scatter", lambda k: (k["mask"], k["mask_src"]),
                       lambda a, k: np_masked_scatter(a, k["mask"], k["mask_src"]), True),
    "masked_scatter_broadcast_mask": ("masked_scatter", lambda k: (k["row_mask"], k["mask_src"]),
                                      lambda a, k: np_masked_scatter(a, k["row_mask"], k["mask_src"]), True),
    "take": ("take", lambda k: (k["flat"],), lambda a, k: a.ravel()[k["flat"]], False),
    "put_accumulate": ("put", lambda k: (k["put_at"], k["put_src"], True),
                       lambda a, k: np_put(a, k["put_at"], k["put_src"], True), True),
    "put": ("put", lambda k: (k["put_once_at"], k["put_src"]),
            lambda a, k: np_put(a, k["put_once_at"], k["put_src"], False), True),
}


def as_tensors(operands, device):
    return {name: torch.tensor(value, device=device) for name, value in operands.items()}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", sorted(SELECTION_OPS))
def test_selection_ops_values(device, layout, name):
    method, args, ref, _ = SELECTION_OPS[name]
    a, operands = crandn(3, 4), selection_inputs(np.complex64)
    z = make(a, device, layout)
    got = getattr(z, method)(*args(as_tensors(operands, device)))
    assert got.dtype is torch.complex64
    assert_close(got, ref(a, operands).astype(np.complex64), rtol=1e-6, atol=1e-6)
    assert_close(z, a)  # out of place
    if hasattr(torch, method):
        assert_close(getattr(torch, method)(z, *args(as_tensors(operands, device))), ref(a, operands).astype(np.complex64),
                     rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", sorted(n for n, op in SELECTION_OPS.items() if op[3]))
def test_selection_ops_in_place(device, name):
    method, args, ref, _ = SELECTION_OPS[name]
    a, operands = crandn(3, 4, dtype=np.complex128), selection_inputs(np.complex128)
    z = torch.tensor(a, device=device)
    assert getattr(z, method + "_")(*args(as_tensors(operands, device))) is z
    assert_close(z, ref(a, operands), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("device", DEVICES)
def test_selection_ops_with_reduce_alpha_and_tensor_value(device):
    a, operands = crandn(3, 4), selection_inputs(np.complex64)
    k = as_tensors(operands, device)
    z = torch.tensor(a, device=device)
    index, src = operands["index0"], operands["src0"]
    tol = dict(rtol=1e-5, atol=1e-6)
    assert_close(z.scatter(0, k["index0"], k["src0"], reduce="add"), np_scatter(a, 0, index, src, np.add), **tol)
    assert_close(z.scatter(0, k["index0"], k["src0"], reduce="multiply"), np_scatter(a, 0, index, src, np.multiply), **tol)
    assert_close(z.scatter(0, k["index0"], 2 - 1j, reduce="add"),
                 np_scatter(a, 0, index, np.complex64(2 - 1j), np.add), **tol)
    assert_close(z.scatter(0, k["index0"], 2 - 1j, reduce="multiply"),
                 np_scatter(a, 0, index, np.complex64(2 - 1j), np.multiply), **tol)
    for alpha in (2.0, 0.5 + 1.5j):
        expected = np_index_update(a, 1, operands["cols"], lambda s, i: s + np.complex64(alpha) * operands["col_src"][:, i])
        assert_close(z.index_add(1, k["cols"], k["col_src"], alpha=alpha), expected, **tol)
    assert_close(z.index_fill(0, k["rows"], torch.tensor(3j, device=device)),
                 np_index_update(a, 0, operands["rows"], lambda s, i: 3j), **tol)


@pytest.mark.parametrize("device", DEVICES)
def test_selection_ops_zero_dim_and_empty(device):
    scalar = torch.tensor(5j, device=device)
    assert_close(torch.take(scalar, torch.tensor([0, 0], device=device)), np.array([5j, 5j], np.complex64))
    assert_close(scalar.put(torch.tensor([0], device=device), torch.tensor([1 + 1j], device=device), accumulate=True),
                 np.complex64(1 + 6j))
    assert_close(scalar.masked_select(torch.tensor(True, device=device)), np.array([5j], np.complex64))
    empty_index = torch.zeros(0, dtype=torch.int64, device=device)
    z = torch.tensor(crandn(2, 3), device=device)
    assert_close(z.take(empty_index), np.zeros(0, np.complex64))
    assert_close(z.index_add(0, empty_index, torch.zeros(0, 3, dtype=torch.complex64, device=device)), z.cpu().numpy())
    assert_close(z.masked_select(torch.zeros(2, 3, dtype=torch.bool, device=device)), np.zeros(0, np.complex64))
    e = torch.zeros(0, 3, dtype=torch.complex64, device=device)
    assert_close(e.scatter(0, torch.zeros(0, 3, dtype=torch.int64, device=device), 1j), np.zeros((0, 3), np.complex64))


# Source operands that get a gradient alongside the input (index_fill's value and the indices don't).
GRADIENT_SOURCES = {
    "scatter_src": "src0", "scatter_src_dim1": "src1", "scatter_add": "src0", "index_add": "col_src",
    "index_copy": "row_src", "masked_scatter": "mask_src", "masked_scatter_broadcast_mask": "mask_src",
    "put_accumulate": "put_src", "put": "put_src",
    "scatter_complex_value": None, "index_fill": None, "masked_select": None, "masked_select_broadcast_self": None,
    "take": None,
}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", sorted(GRADIENT_SOURCES))
def test_selection_ops_gradients(device, name):
    method, args, ref, _ = SELECTION_OPS[name]
    a, operands = crandn(3, 4, dtype=np.complex128), selection_inputs(np.complex128)
    source = GRADIENT_SOURCES[name]
    fixed = as_tensors({k: v for k, v in operands.items() if k != source}, device)

    def f(z, *src):
        return getattr(z, method)(*args({**fixed, **({source: src[0]} if source else {})}))

    def np_f(x, *src):
        return ref(x, {**operands, **({source: src[0]} if source else {})})

    check_gradients(f, np_f, [a] + ([operands[source]] if source else []), device)


# ----------------------------------------------------------------------------- lerp, logaddexp

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("weight", [0.3, 0.25 + 0.5j, "tensor"])
def test_lerp_values_broadcast_and_in_place(device, weight):
    start, end = crandn(3, 1), crandn(4)
    w = crandn(3, 4) if weight == "tensor" else np.complex64(weight)
    w_arg = torch.tensor(w, device=device) if weight == "tensor" else weight
    expected = start + w * (end - start)
    got = torch.lerp(torch.tensor(start, device=device), torch.tensor(end, device=device), w_arg)
    assert got.dtype is torch.complex64
    assert_close(got, expected, rtol=1e-5, atol=1e-6)
    full = make(np.broadcast_to(start, (3, 4)).copy(), device, "strided")
    assert_close(full.lerp(torch.tensor(end, device=device), w_arg), expected, rtol=1e-5, atol=1e-6)
    assert full.lerp_(torch.tensor(end, device=device), w_arg) is full
    assert_close(full, expected, rtol=1e-5, atol=1e-6)
    zero_dim = torch.lerp(torch.tensor(1j, device=device), torch.tensor(2 + 0j, device=device), 0.5)
    assert_close(zero_dim, np.complex64(1 + 0.5j))


@pytest.mark.parametrize("device", DEVICES)
def test_lerp_gradient(device):
    start, end, w = (crandn(2, 3, dtype=np.complex128) for _ in range(3))
    check_gradients(torch.lerp, lambda s, e, x: s + x * (e - s), [start, end, w], device)
    check_gradients(lambda s, e: torch.lerp(s, e, 0.25 + 0.5j), lambda s, e: s + (0.25 + 0.5j) * (e - s), [start, end], device)


def np_logaddexp(a, b):
    """PyTorch's complex logaddexp: the operand with the larger real part plus log1p(exp(other - it));
    its imaginary part is not folded into (-pi, pi], unlike log(exp(a) + exp(b))."""
    a, b = np.broadcast_arrays(a, b)
    larger = np.where(a.real >= b.real, a, b)
    smaller = np.where(a.real >= b.real, b, a)
    return larger + np.log1p(np.exp(smaller - larger))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_logaddexp_values(device, layout):
    a, b = crandn(3, 1) * 3, crandn(4) * 3  # large imaginary parts: the result leaves (-pi, pi]
    got = torch.logaddexp(make(a, device, layout), make(b, device, layout))
    assert got.dtype is torch.complex64
    assert_close(got, np_logaddexp(a, b), rtol=1e-5, atol=1e-5)
    assert_close(torch.exp(got), np.exp(a) + np.exp(b), rtol=1e-4, atol=1e-5)
    assert_close(make(a, device, layout).logaddexp(make(b, device, layout)), np_logaddexp(a, b), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("device", DEVICES)
def test_logaddexp_with_real_tensor_zero_dim_and_infinity(device):
    a, r = crandn(5), RNG.standard_normal(5)
    got = torch.logaddexp(torch.tensor(a, device=device), torch.tensor(r, device=device))
    assert got.dtype is torch.complex128  # complex64 with float64 promotes to complex128
    assert_close(got, np_logaddexp(a.astype(np.complex128), r.astype(np.complex128)), rtol=1e-6, atol=1e-6)
    zero_dim = torch.logaddexp(torch.tensor(1 + 0.5j, device=device), torch.tensor(0.5 - 2j, device=device))
    assert_close(zero_dim, np_logaddexp(np.complex64(1 + 0.5j), np.complex64(0.5 - 2j)).astype(np.complex64), rtol=1e-6)
    minus_inf = complex(-np.inf, 0)
    got = torch.logaddexp(torch.tensor([minus_inf, 1 + 1j], device=device), torch.tensor([2 + 1j, minus_inf], device=device))
    assert_close(got, np.array([2 + 1j, 1 + 1j], np.complex64))


@pytest.mark.parametrize("device", DEVICES)
def test_logaddexp_gradient(device):
    a, b = crandn(2, 3, dtype=np.complex128), crandn(3, dtype=np.complex128)
    check_gradients(torch.logaddexp, np_logaddexp, [a, b], device)


# ----------------------------------------------------------------------------- eye, count_nonzero

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
@pytest.mark.parametrize("shape", [(3,), (2, 4), (4, 2), (0,)])
def test_eye(device, dtype, shape):
    got = torch.eye(*shape, dtype=getattr(torch, dtype), device=device)
    assert got.dtype is getattr(torch, dtype) and got.device.type == torch.device(device).type
    assert_close(got, np.eye(*shape, dtype=dtype))


COUNT_VALUES = np.array([[0j, complex(0.0, -0.0), complex(-0.0, 0.0), 1j],
                         [1, complex(np.nan, 0), 0j, -2 - 3j],
                         [0j, 0j, complex(0, 1e-30), 0j]], dtype=np.complex64)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dim", [None, 0, 1, (0, 1), (-1,)])
def test_count_nonzero(device, layout, dim):
    z = make(COUNT_VALUES, device, layout)
    got = torch.count_nonzero(z, dim=dim)
    assert got.dtype is torch.int64
    assert_close(got, np.count_nonzero(COUNT_VALUES, axis=dim))
    assert_close(z.count_nonzero(dim=dim), np.count_nonzero(COUNT_VALUES, axis=dim))


@pytest.mark.parametrize("device", DEVICES)
def test_count_nonzero_zero_dim_and_empty(device):
    assert_close(torch.count_nonzero(torch.tensor(0j, device=device)), np.int64(0))
    assert_close(torch.count_nonzero(torch.tensor(-0.5j, device=device)), np.int64(1))
    assert_close(torch.count_nonzero(torch.zeros(0, 3, dtype=torch.complex128, device=device), dim=0), np.zeros(3, np.int64))


# ----------------------------------------------------------------------------- dropout

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("p", [0.2, 0.6])
def test_dropout_zeroes_whole_elements_and_rescales(device, p):
    torch.manual_seed(3)
    a = crandn(100, 100) + (1 + 1j)  # no zero parts: a kept element is recognisable
    z = make(a, device, "strided")
    out = F.dropout(z, p, training=True)
    assert out.dtype is torch.complex64
    got = out.cpu().numpy()
    dropped = got == 0
    # Real and imaginary parts share one mask: a kept element keeps both parts, scaled.
    assert_close(got[~dropped], a[~dropped] / np.float32(1 - p), rtol=1e-6, atol=1e-6)
    assert abs(dropped.mean() - p) < 0.03
    assert_close(nn.Dropout(p).eval()(z), a)
    assert_close(F.dropout(z, 0.0), a)
    assert_close(F.dropout(z, 1.0), np.zeros_like(a))
    assert_close(F.dropout(z, p, training=False), a)


@pytest.mark.parametrize("device", DEVICES)
def test_dropout_in_place_and_gradient(device):
    torch.manual_seed(5)
    p = 0.5
    z = torch.tensor(crandn(8, 8, dtype=np.complex128) + (1 + 1j), device=device, requires_grad=True)
    out = F.dropout(z, p, training=True)
    (out.real.sum() + 2 * out.imag.sum()).backward()
    kept = out.detach().cpu().numpy() != 0
    assert_close(z.grad, np.where(kept, (1 + 2j) / (1 - p), 0j))
    w = torch.tensor(crandn(50, dtype=np.complex64) + 1, device=device)
    before = np.array(w.cpu().numpy(), copy=True)
    assert nn.Dropout(p, inplace=True)(w) is w
    after = w.cpu().numpy()
    assert ((after == 0) | np.isclose(after, before / (1 - p), rtol=1e-6)).all() and (after == 0).any()


# ----------------------------------------------------------------------------- nn.Linear and init

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_linear_construction_init_and_forward(device, dtype):
    torch.manual_seed(0)
    layer = nn.Linear(16, 3, dtype=getattr(torch, dtype), device=device)
    assert layer.weight.dtype is getattr(torch, dtype) and layer.bias.dtype is getattr(torch, dtype)
    assert layer.weight.shape == (3, 16) and layer.weight.requires_grad
    weight, bias = layer.weight.detach().cpu().numpy(), layer.bias.detach().cpu().numpy()
    bound = 1 / np.sqrt(16)  # the default init's bound, applied to both parts
    for part in (weight.real, weight.imag, bias.real, bias.imag):
        assert np.abs(part).max() <= bound and np.unique(part).size == part.size
    x = crandn(5, 2, 16, dtype=dtype)
    assert_close(layer(torch.tensor(x, device=device)), x @ weight.T + bias, **TOL[getattr(np, dtype)])
    no_bias = nn.Linear(16, 3, bias=False, dtype=getattr(torch, dtype), device=device)
    assert_close(no_bias(torch.tensor(x, device=device)), x @ no_bias.weight.detach().cpu().numpy().T, **TOL[getattr(np, dtype)])


@pytest.mark.parametrize("device", DEVICES)
def test_linear_gradients(device):
    torch.manual_seed(1)
    layer = nn.Linear(4, 3, dtype=torch.complex128, device=device)
    w, b = layer.weight.detach().cpu().numpy(), layer.bias.detach().cpu().numpy()
    x = crandn(2, 4, dtype=np.complex128)
    xt = torch.tensor(x, device=device, requires_grad=True)
    real_loss(layer(xt)).backward()
    tol = GRAD_TOL
    assert_close(layer.weight.grad, finite_difference_grad(lambda m: np_real_loss(x @ m.T + b), w), **tol)
    assert_close(layer.bias.grad, finite_difference_grad(lambda v: np_real_loss(x @ w.T + v), b), **tol)
    assert_close(xt.grad, finite_difference_grad(lambda y: np_real_loss(y @ w.T + b), x), **tol)


@pytest.mark.parametrize("device", DEVICES)
def test_uniform_and_normal_init_fill_both_parts(device):
    torch.manual_seed(2)
    z = torch.empty(200, 200, dtype=torch.complex64, device=device)
    assert nn.init.uniform_(z, -2.0, 3.0) is z
    parts = torch.view_as_real(z).cpu().numpy().reshape(-1, 2)
    assert parts.min() >= -2.0 and parts.max() <= 3.0
    np.testing.assert_allclose(parts.mean(0), [0.5, 0.5], atol=0.05)
    # normal_: each part gets the mean and std / sqrt(2), so |z - mean|^2 averages std^2.
    assert nn.init.normal_(z, 1.5, 2.0) is z
    parts = torch.view_as_real(z).cpu().numpy().reshape(-1, 2)
    np.testing.assert_allclose(parts.mean(0), [1.5, 1.5], atol=0.03)
    np.testing.assert_allclose(parts.std(0), [2 / np.sqrt(2)] * 2, rtol=0.03)
    assert abs(np.corrcoef(parts.T)[0, 1]) < 0.03  # independent parts
    assert z.uniform_().dtype is torch.complex64
    parts = torch.view_as_real(z).cpu().numpy()
    assert parts.min() >= 0.0 and parts.max() <= 1.0 and parts[..., 1].std() > 0.2
    z.normal_()
    np.testing.assert_allclose(torch.view_as_real(z).cpu().numpy().reshape(-1, 2).std(0), [0.5 ** 0.5] * 2, rtol=0.03)


# ----------------------------------------------------------------------------- errors

def complex_input_and_index():
    return torch.ones(3, 4, dtype=torch.complex64), torch.tensor([[0, 1, 2, 0]])


DTYPE_ERRORS = {
    "scatter_real_src": (lambda z, i: z.scatter(0, i, torch.ones(1, 4)),
                         "scatter(): Expected self.dtype to be equal to src.dtype"),
    "scatter_complex_src_into_real": (lambda z, i: z.real.contiguous().scatter(0, i, z[:1]),
                                      "scatter(): Expected self.dtype to be equal to src.dtype"),
    "scatter_complex128_src": (lambda z, i: z.scatter(0, i, z[:1].to(torch.complex128)),
                               "scatter(): Expected self.dtype to be equal to src.dtype"),
    "scatter_add_real_src": (lambda z, i: z.scatter_add(0, i, torch.ones(1, 4)),
                             "scatter(): Expected self.dtype to be equal to src.dtype"),
    "index_add_real_source": (lambda z, i: z.index_add(0, i[0, :2], torch.ones(2, 4)),
                              "index_add_(): self (ComplexFloat) and source (Float) must have the same scalar type"),
    "index_add_complex_into_real": (lambda z, i: torch.ones(3, 4).index_add(0, i[0, :2], z[:2]),
                                    "index_add_(): self (Float) and source (ComplexFloat) must have the same scalar type"),
    "index_copy_real_source": (lambda z, i: z.index_copy(0, i[0, :2], torch.ones(2, 4)),
                               "index_copy_(): self and source expected to have the same dtype, "
                               "but got (self) ComplexFloat and (source) Float"),
    "index_fill_complex_into_real": (lambda z, i: torch.ones(3, 4).index_fill(0, i[0, :2], 1j),
                                     "index_fill_(): Converting complex Scalar to non-complex type is not supported"),
    "masked_scatter_real_source": (lambda z, i: z.masked_scatter(z.real > 0, torch.ones(12)),
                                   "masked_scatter: expected self and source to have same dtypes but gotComplexFloat and Float"),
    "put_real_source": (lambda z, i: z.put(i[0, :2], torch.ones(2)),
                        "put_(): self and source expected to have the same dtype, "
                        "but got self.dtype = ComplexFloat and source.dtype = Float"),
    "lerp_real_weight_tensor": (lambda z, i: torch.lerp(z, z, torch.ones(3, 4)),
                                "expected dtype c10::complex<float> for `weight` but got dtype float"),
    "lerp_real_end": (lambda z, i: torch.lerp(z, torch.ones(3, 4), 0.5),
                      "expected dtype c10::complex<float> for `end` but got dtype float"),
}


@pytest.mark.parametrize("name", sorted(DTYPE_ERRORS))
def test_dtype_mismatch_errors(name):
    f, message = DTYPE_ERRORS[name]
    with pytest.raises(RuntimeError, match=re.escape(message)):
        f(*complex_input_and_index())


# ----------------------------------------------------------------------------- reductions and scalars

@pytest.mark.parametrize("device", DEVICES)
def test_norm_and_logsumexp_methods(device):
    a = crandn(3, 4, dtype=np.complex128)
    z = make(a, device, "strided")
    assert_close(z.norm(), np.linalg.norm(a), rtol=1e-10)
    assert z.norm().dtype == torch.float64
    assert_close(z.norm(p=1, dim=1), np.abs(a).sum(1), rtol=1e-10)
    expected = np.log(np.exp(a).sum(1))
    got = z.logsumexp(1)
    assert got.dtype == torch.complex128
    # The imaginary part is defined modulo 2 pi: compare exp of both.
    assert_close(got.exp(), np.exp(expected), rtol=1e-10)
    assert_close(z.logsumexp(0, keepdim=True).exp(), np.exp(a).sum(0, keepdims=True), rtol=1e-10)
    # Large real parts do not overflow: the largest is taken out first.
    big = torch.tensor([1000 + 1j, 1000 - 1j], dtype=torch.complex128, device=device)
    assert_close(big.logsumexp(0), np.complex128(1000 + np.log(2 * np.cos(1.0))), rtol=1e-12)


@pytest.mark.parametrize("device", DEVICES)
def test_norm_and_logsumexp_gradients(device):
    a = crandn(2, 3, dtype=np.complex128)
    check_gradients(lambda z: z.norm(), lambda x: np.linalg.norm(x), [a], device)
    check_gradients(lambda z: z.logsumexp(1), lambda x: np.log(np.exp(x).sum(1)), [a], device)


def test_nansum_and_in_place_abs_errors():
    z = torch.tensor([1j, float("nan")], dtype=torch.complex64)
    with pytest.raises(NotImplementedError, match="nansum on CPU does not support complex inputs"):
        z.nansum()
    with pytest.raises(RuntimeError, match=re.escape("In-place abs is not supported for complex tensors.")):
        z.abs_()


@pytest.mark.parametrize("device", DEVICES)
def test_add_and_addmm_with_float_and_complex_scalars(device):
    a, b = crandn(2, 2), crandn(2, 2)
    x, y = torch.tensor(a, device=device), torch.tensor(b, device=device)
    assert_close(torch.add(x, y, alpha=0.5), a + 0.5 * b, rtol=1e-6)
    assert_close(torch.sub(x, y, alpha=1j), a - 1j * b, rtol=1e-6)
    assert_close(x.clone().add_(y, alpha=2 - 1j), a + (2 - 1j) * b, rtol=1e-6)
    assert_close(torch.add(x, 2, alpha=1j), a + 2j, rtol=1e-6)
    assert_close(torch.addmm(x, x, y, beta=0.5, alpha=2.0), 0.5 * a + 2 * a @ b, rtol=1e-5)
    real = torch.ones(2, device=device)
    with pytest.raises(RuntimeError, match="For non-complex input tensors, argument alpha must not be a complex number."):
        torch.add(real, real, alpha=1j)


@pytest.mark.parametrize("device", DEVICES)
def test_addmm_gradient_conjugates(device):
    m, a, b = crandn(2, 2, dtype=np.complex128), crandn(2, 3, dtype=np.complex128), crandn(3, 2, dtype=np.complex128)
    check_gradients(lambda m, a, b: torch.addmm(m, a, b), lambda m, a, b: m + a @ b, [m, a, b], device)


@pytest.mark.parametrize("call, error, message", [
    (lambda z: z.floor(), NotImplementedError, "floor is not supported for complex inputs"),
    (lambda z: z.trunc(), NotImplementedError, "trunc is not supported for complex inputs"),
    (lambda z: z.sign(), NotImplementedError, "Unlike NumPy, torch.sign is not intended to support complex numbers"),
    (lambda z: z.relu(), NotImplementedError, "clamp is not supported for complex types"),
    (lambda z: z.clamp(0, 1), NotImplementedError, "clamp is not supported for complex types"),
    (lambda z: z.clamp(min=0), NotImplementedError, "clamp is not supported for complex types"),
    (lambda z: torch.maximum(z, z), TypeError, "maximum not implemented for complex tensors."),
    (lambda z: torch.minimum(z, z), TypeError, "minimum not implemented for complex tensors."),
    (lambda z: z.signbit(), NotImplementedError, "signbit is not implemented for complex tensors."),
    (lambda z: z.isposinf(), TypeError, "isposinf does not support complex inputs."),
    (lambda z: z.isneginf(), TypeError, "isneginf does not support complex inputs."),
], ids=["floor", "trunc", "sign", "relu", "clamp", "clamp_min", "maximum", "minimum", "signbit", "isposinf", "isneginf"])
def test_real_only_ops_raise_pytorchs_errors(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call(torch.tensor([1 + 1j]))


# ----------------------------------------------------------------------------- in place through dtype-changing views

@pytest.mark.parametrize("device", DEVICES)
def test_in_place_on_real_and_imag_views_backpropagates(device):
    a = crandn(3, dtype=np.complex128)

    def through_real(x):
        w = x * 2
        w.real.mul_(3)
        w.imag.add_(w.real)
        return w

    def reference(x):
        w = x * 2
        w = 3 * w.real + 1j * (w.imag + 3 * w.real)
        return w

    x = torch.tensor(a, device=device, requires_grad=True)
    out = through_real(x)
    assert_close(out, reference(a), rtol=1e-12)
    check_gradients(through_real, reference, [a], device)


@pytest.mark.parametrize("device", DEVICES)
def test_in_place_on_a_complex_view_of_a_real_tensor_backpropagates(device):
    a = RNG.standard_normal((3, 2))

    def through_complex(r):
        w = r * 1.5
        torch.view_as_complex(w).mul_(torch.tensor(1 - 2j, dtype=torch.complex128, device=r.device))
        return w

    def reference(r):
        z = (r[:, 0] + 1j * r[:, 1]) * 1.5 * (1 - 2j)
        return np.stack([z.real, z.imag], -1)

    check_gradients(through_complex, reference, [a], device)


@pytest.mark.parametrize("device", DEVICES)
def test_linspace_and_logspace_with_complex_endpoints(device):
    got = torch.linspace(0, 1 + 1j, 3, device=device)
    assert got.dtype == torch.complex64
    assert_close(got, np.linspace(0, 1 + 1j, 3).astype(np.complex64))
    got = torch.logspace(0, 1 - 2j, 4, base=2.0, dtype=torch.complex128, device=device)
    assert_close(got, 2.0 ** np.linspace(0, 1 - 2j, 4), rtol=1e-12)
    with pytest.raises(RuntimeError, match=re.escape("torch.linspace(): inferred dtype c10::complex<float> can't be "
                                                     "safely cast to passed dtype Float")):
        torch.linspace(0, 1j, 3, dtype=torch.float32)


@pytest.mark.parametrize("call, error, message", [
    (lambda z: z.argmax(), TypeError, "argmax(): does not support complex input"),
    (lambda z: z.argmin(), TypeError, "argmin(): does not support complex input"),
    (lambda z: z.sort(), TypeError, "Sort does not support complex dtypes on CPU"),
    (lambda z: z.topk(1), TypeError, "topk does not support complex dtypes on CPU"),
    (lambda z: torch.scalar_tensor(1 + 2j), RuntimeError, "value cannot be converted to type float without overflow"),
], ids=["argmax", "argmin", "sort", "topk", "scalar_tensor_real"])
def test_ordering_ops_refuse_complex(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call(torch.tensor([1 + 1j, 2j]))


def test_scalar_tensor_of_a_complex_number():
    t = torch.scalar_tensor(1 - 2j, dtype=torch.complex128)
    assert t.dtype == torch.complex128 and t.shape == () and t.item() == 1 - 2j
