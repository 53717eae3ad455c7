"""Matrix products and friends: matmul/mm/bmm/mv/dot/vdot/inner/outer/kron, the add*mm family,
einsum, tensordot, trace, diag, diag_embed. Values against numpy through the registry entries
on contiguous, transposed, strided and expanded inputs; errors against PyTorch's messages."""
import numpy as np
import pytest

import ferrotorch as torch
from conftest import assert_close, to_numpy
from registry import make
from registry.shape import LAYOUTS, OPS, run_sample
from test_shape_ops import LINALG

LINALG_OPS = [o for o in OPS if o.name in LINALG]
CASES = [(o, d) for o in LINALG_OPS for d in o.dtypes]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("info,dtype", CASES, ids=[f"{o.name}-{d}" for o, d in CASES])
def test_registry_entries(info, dtype, layout):
    for sample in info.samples(dtype):
        run_sample(torch, info, dtype, sample, layout, assert_close)


def T(a):
    return torch.tensor(np.array(a, order="C"))


# ---------------------------------------------------------------- matmul


@pytest.mark.parametrize("n", [64, 257])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matmul_large_and_transposed(n, dtype):
    a, b = make((n, n + 3), dtype, 1), make((n + 3, n - 1), dtype, 2)
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == "float32" else dict(rtol=1e-10, atol=1e-10)
    assert_close(T(a) @ T(b), a @ b, **tol)
    assert_close(T(a.T).t() @ T(b.T).t(), a @ b, **tol)
    assert_close(torch.matmul(T(a), T(b)), a @ b, **tol)


def test_matmul_batched_broadcast_large():
    a, b = make((3, 1, 40, 30), "float32", 1), make((5, 30, 20), "float32", 2)
    assert_close(T(a) @ T(b), a @ b, rtol=1e-4, atol=1e-4)


def test_matmul_integer_and_half_dtypes():
    a, b = make((5, 6), "int64", 1), make((6, 3), "int64", 2)
    r = T(a) @ T(b)
    assert r.dtype == torch.int64
    assert_close(r, a @ b)
    big = T(np.full((2, 2), 2**62, np.int64))
    assert_close(big @ big, np.full((2, 2), 2**62, np.int64) @ np.full((2, 2), 2**62, np.int64))  # wraps
    h = T(make((4, 4), "float32")).bfloat16()
    assert (h @ h).dtype == torch.bfloat16
    hf = T(make((4, 4), "float32")).half()
    assert (hf @ hf).dtype == torch.float16


def test_matmul_errors():
    f, d = T(make((2, 3), "float32")), T(make((3, 2), "float64"))
    with pytest.raises(RuntimeError, match="expected m1 and m2 to have the same dtype, but got: float != double"):
        f @ d
    with pytest.raises(RuntimeError, match="expected m1 and m2 to have the same dtype, but got: long int != float"):
        torch.mm(T(make((2, 3), "int64")), T(make((3, 2), "float32")))
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 2x3\)"):
        f @ f
    with pytest.raises(RuntimeError, match="both arguments to matmul need to be at least 1D, but they are 0D and 2D"):
        torch.tensor(1.0) @ f
    with pytest.raises(RuntimeError, match="not implemented for 'Bool'"):
        T(np.ones((2, 2), bool)) @ T(np.ones((2, 2), bool))
    with pytest.raises(RuntimeError, match="self must be a matrix"):
        torch.mm(torch.tensor([1.0]), f)
    with pytest.raises(RuntimeError, match="batch1 must be a 3D tensor"):
        f.bmm(f)
    with pytest.raises(RuntimeError, match="1D tensors expected, but got 2D and 1D tensors"):
        torch.dot(f, torch.tensor([1.0]))
    with pytest.raises(RuntimeError, match="dot : expected both vectors to have same dtype, but found Float and Double"):
        torch.dot(torch.tensor([1.0]), torch.tensor([1.0]).double())
    with pytest.raises(RuntimeError, match="inconsistent tensor size"):
        torch.tensor([1.0, 2.0]) @ torch.tensor([1.0])
    with pytest.raises(TypeError):
        f.matmul(3)


# ---------------------------------------------------------------- add*mm family


def test_addmm_beta_zero_ignores_nan_and_out():
    inp = T(np.full((2, 2), np.nan, np.float32))
    a = make((2, 3), "float32", 1)
    r = torch.addmm(inp, T(a), T(a.T), beta=0)
    assert_close(r, a @ a.T)
    out = T(np.zeros((2, 2), np.float32))
    assert torch.addmm(T(np.ones((2, 2), np.float32)), T(a), T(a.T), out=out) is out
    assert_close(out, 1 + a @ a.T, rtol=1e-5, atol=1e-5)
    t = T(np.ones((2, 2), np.float32))
    assert t.addmm_(T(a), T(a.T), alpha=2) is t
    assert_close(t, 1 + 2 * (a @ a.T), rtol=1e-5, atol=1e-5)


def test_addmm_errors():
    i = T(make((2, 2), "int64"))
    m = T(make((2, 2), "int64"))
    with pytest.raises(RuntimeError, match="For integral input tensors, argument alpha must not be a floating point number."):
        torch.addmm(i, m, m, alpha=0.5)
    with pytest.raises(RuntimeError, match="addmm: self must be a matrix, got 1-D tensor"):
        torch.addmm(i, torch.tensor([1, 2]), m)
    with pytest.raises(RuntimeError, match="self and mat2 must have the same dtype, but got Double and Long"):
        torch.addmm(i.double(), m, m)
    with pytest.raises(RuntimeError):
        torch.addmm(T(make((3,), "int64")), m, m)


# ---------------------------------------------------------------- einsum / tensordot


def test_einsum_forms():
    a, b = make((2, 3), "float64", 1), make((3, 4), "float64", 2)
    assert_close(torch.einsum("ij,jk->ik", [T(a), T(b)]), a @ b)
    assert_close(torch.einsum("ij,jk", (T(a), T(b))), a @ b)
    assert_close(torch.einsum(T(a), [0, 1], T(b), [1, 2], [0, 2]), a @ b)
    assert_close(torch.einsum(T(a), [Ellipsis, 1], T(b), [1, 2]), np.einsum(a, [Ellipsis, 1], b, [1, 2]))
    assert_close(torch.einsum("i j , j k -> i k", T(a), T(b)), a @ b)
    # implicit output orders subscripts alphabetically, uppercase first
    x = make((2, 3), "float64", 3)
    assert_close(torch.einsum("bA", T(x)), np.einsum("bA", x))
    assert_close(torch.einsum("ba", T(x)), np.einsum("ba", x))
    # broadcast of size-1 dims in ellipses and subscripts
    p, q = make((4, 1, 2, 3), "float32", 1), make((5, 3, 2), "float32", 2)
    assert_close(torch.einsum("...ij,...jk->...ik", T(p), T(q)), np.einsum("...ij,...jk->...ik", p, q), rtol=1e-5, atol=1e-5)
    # a view for pure permutations, like PyTorch
    v = T(a)
    assert torch.einsum("ij->ji", v).data_ptr() == v.data_ptr()


def test_einsum_large_contraction_matches_numpy():
    a, b, c = make((8, 16, 32), "float32", 1), make((8, 32, 24), "float32", 2), make((24, 5), "float32", 3)
    assert_close(torch.einsum("bij,bjk,kl->bil", T(a), T(b), T(c)), np.einsum("bij,bjk,kl->bil", a, b, c), rtol=1e-4, atol=1e-3)


def test_einsum_errors():
    a = T(make((2, 3), "float32"))
    with pytest.raises(RuntimeError, match="einsum\\(\\): more operands were provided than specified in the equation"):
        torch.einsum("ij", a, a)
    with pytest.raises(RuntimeError, match="einsum\\(\\): fewer operands were provided than specified in the equation"):
        torch.einsum("ij,jk", a)
    with pytest.raises(RuntimeError, match="subscript j has size 2 for operand 1 which does not broadcast with previously seen size 3"):
        torch.einsum("ij,jk", a, a)
    with pytest.raises(RuntimeError, match="the number of subscripts in the equation \\(3\\) does not match the number of dimensions \\(2\\) for operand 0 and no ellipsis was given"):
        torch.einsum("ijk", a)
    with pytest.raises(RuntimeError, match="invalid subscript given at index 1"):
        torch.einsum("i1", a)
    with pytest.raises(RuntimeError, match="output subscript k does not appear in the equation for any input operand"):
        torch.einsum("ij->k", a)
    with pytest.raises(RuntimeError, match="output subscript i appears more than once in the output"):
        torch.einsum("ij->ii", a)
    with pytest.raises(RuntimeError, match="subscript i is repeated for operand 0 but the sizes don't match, 2 != 3"):
        torch.einsum("ii->i", a)


def test_tensordot_errors():
    a, b = T(make((2, 3), "float32")), T(make((4, 5), "float32"))
    with pytest.raises(RuntimeError, match="contracted dimensions need to match, but first has size 3 in dim 1 and second has size 4 in dim 0"):
        torch.tensordot(a, b, dims=1)
    with pytest.raises(RuntimeError, match="tensordot expects dims >= 0, but got dims=-1"):
        torch.tensordot(a, b, dims=-1)
    with pytest.raises(RuntimeError, match="both dimension lists should have same length"):
        torch.tensordot(a, b, dims=([0, 1], [0]))
    assert tuple(torch.tensordot(a, T(make((3, 2), "float32")), dims=([1, 0], [0, 1])).shape) == ()


# ---------------------------------------------------------------- trace, diag, outer, inner


def test_trace_diag_dtypes_and_errors():
    assert torch.tensor([[1, 2], [3, 4]], dtype=torch.int8).trace().dtype == torch.int64
    assert T(np.eye(3, dtype=bool)).trace().item() == 3
    with pytest.raises(RuntimeError, match="trace: expected a matrix, but got tensor with dim 1"):
        torch.tensor([1.0]).trace()
    with pytest.raises(RuntimeError, match="diag\\(\\): Supports 1D or 2D tensors. Got 3D"):
        T(np.zeros((1, 1, 1))).diag()
    d = T(make((3, 3), "float32")).diag()
    assert d.is_contiguous()
    with pytest.raises(RuntimeError, match="outer: Expected 1-D argument self, but got 2-D"):
        T(np.zeros((2, 2))).outer(torch.tensor([1.0]))
    assert torch.outer(torch.tensor([1, 2]), torch.tensor([0.5])).dtype == torch.float32
    assert_close(torch.inner(torch.tensor(2.0), torch.tensor([1.0, 3.0])), np.array([2.0, 6.0], np.float32))
    with pytest.raises(RuntimeError, match="inner\\(\\) the last dimension must match on both input tensors"):
        torch.inner(torch.tensor([1.0, 2.0]), torch.tensor([1.0]))
