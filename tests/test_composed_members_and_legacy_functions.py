"""Composed tensor members, legacy ATen functions, torch.cond/while_loop and legacy nn classes (_tensor_members_composed,
_aten_legacy_functions, _control_flow, nn.modules.legacy), checked against numpy and hand-derived values."""
import doctest
import math
import warnings

import numpy as np
import pytest

import ferrotorch as torch
from conftest import DEVICES


def arr(t):
    return t.detach().cpu().numpy()


# ----------------------------------------------------------------------------- in-place BLAS

@pytest.mark.parametrize("device", DEVICES)
def test_addmv_inplace_matches_numpy(device):
    rng = np.random.RandomState(0)
    y, m, v = rng.randn(3), rng.randn(3, 4), rng.randn(4)
    t = torch.tensor(y, device=device)
    out = torch.addmv_(t, torch.tensor(m, device=device), torch.tensor(v, device=device), beta=2, alpha=-0.5)
    assert out is t
    np.testing.assert_allclose(arr(t), 2 * y - 0.5 * m @ v, rtol=1e-6)
    t.addmv_(torch.tensor(m, device=device), torch.tensor(v, device=device))
    np.testing.assert_allclose(arr(t), 2 * y + 0.5 * m @ v, rtol=1e-6)


def test_addmv_inplace_rejects_broadcasting_self_and_leaves():
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        torch.zeros(2, requires_grad=True).addmv_(torch.ones(2, 2), torch.ones(2))
    with pytest.raises(RuntimeError, match=r"Bad in-place call: input tensor size \[1\] and output tensor size \[2\]"):
        torch.ones(1).addmv_(torch.ones(2, 2), torch.ones(2))


@pytest.mark.parametrize("device", DEVICES)
def test_addbmm_inplace_matches_numpy(device):
    rng = np.random.RandomState(1)
    c, b1, b2 = rng.randn(3, 2), rng.randn(4, 3, 5), rng.randn(4, 5, 2)
    t = torch.tensor(c, device=device)
    assert t.addbmm_(torch.tensor(b1, device=device), torch.tensor(b2, device=device), beta=0.5, alpha=2) is t
    np.testing.assert_allclose(arr(t), 0.5 * c + 2 * np.einsum("bij,bjk->ik", b1, b2), rtol=1e-6)
    with pytest.raises(RuntimeError, match=r"input tensor size \[2, 2\] and output tensor size \[3, 2\]"):
        torch.ones(2, 2).addbmm_(torch.ones(4, 3, 5), torch.ones(4, 5, 2))


def test_addmv_inplace_gradient():
    m = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = torch.zeros(2, requires_grad=True) * 1
    y.addmv_(m, torch.tensor([1.0, -1.0]), beta=3)
    y.sum().backward()
    assert m.grad.tolist() == [[1.0, -1.0], [1.0, -1.0]]


def test_conj_physical_inplace_is_identity_on_real():
    t = torch.tensor([1.0, -2.0])
    assert torch.conj_physical_(t) is t and t.conj_physical_() is t
    assert t.tolist() == [1.0, -2.0]


# ----------------------------------------------------------------------------- strided views

@pytest.mark.parametrize("device", DEVICES)
def test_as_strided_scatter(device):
    base = torch.zeros(3, 3, device=device)
    src = torch.tensor([[1.0, 2.0], [3.0, 4.0]], device=device)
    out = torch.as_strided_scatter(base, src, (2, 2), (1, 2))
    expected = np.zeros(9)
    expected[[0, 2, 1, 3]] = [1, 2, 3, 4]  # element (i, j) lands at flat position i + 2j
    np.testing.assert_array_equal(arr(out).ravel(), expected)
    assert arr(base).sum() == 0  # fresh memory: input untouched
    np.testing.assert_array_equal(arr(base.as_strided_scatter(torch.ones(2, device=device), (2,), (4,), 1)).ravel(),
                                  [0, 1, 0, 0, 0, 1, 0, 0, 0])


def test_as_strided_scatter_errors_and_gradient():
    with pytest.raises(RuntimeError, match=r"src size = \[3\], slice size = \[2\]"):
        torch.as_strided_scatter(torch.zeros(4), torch.ones(3), (2,), (2,))
    a = torch.zeros(4, requires_grad=True)
    s = torch.ones(2, requires_grad=True)
    torch.as_strided_scatter(a * 1, s * 3, (2,), (2,)).backward(torch.arange(4.0))
    assert a.grad.tolist() == [0.0, 1.0, 0.0, 3.0]  # overwritten positions get none
    assert s.grad.tolist() == [0.0, 6.0]


@pytest.mark.parametrize("device", DEVICES)
def test_as_strided_scatter_indexes_a_strided_inputs_own_layout(device):
    # A transposed input's memory is the untransposed 3x4 array: (size 2, stride 3) reaches its flat
    # positions 0 and 3, elements (0, 0) and (0, 3) of the original.
    original = np.arange(12.0).reshape(3, 4)
    out = torch.as_strided_scatter(torch.tensor(original, device=device).t(), torch.full((2,), -1.0, device=device),
                                   (2,), (3,))
    expected = original.copy()
    expected.ravel()[[0, 3]] = -1  # (2,) elements 3 apart in the 3x4 memory
    np.testing.assert_array_equal(arr(out), expected.T)
    # Every other column: the strides (4, 2) reach memory positions 0 and 2 = elements [0, 0], [0, 1].
    sliced = torch.as_strided_scatter(torch.tensor(original, device=device)[:, ::2],
                                      torch.full((2,), -1.0, device=device), (2,), (2,))
    expected = original[:, ::2].copy()
    expected[0, :] = -1
    np.testing.assert_array_equal(arr(sliced), expected)


def test_torch_as_strided_inplace():
    t = torch.arange(6.0)
    assert torch.as_strided_(t, (2, 2), (1, 2)) is t
    assert t.tolist() == [[0.0, 2.0], [1.0, 3.0]]


# ----------------------------------------------------------------------------- resize / resize_as

def test_resize_out_of_place_warns_and_views():
    x = torch.arange(6.0)
    with pytest.warns(UserWarning, match="non-inplace resize is deprecated"):
        r = x.resize(2, 3)
    assert r.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]] and tuple(x.shape) == (6,)
    r[0, 0] = 9.0
    assert x[0].item() == 9.0  # a view of the same memory
    with pytest.warns(UserWarning, match="non-inplace resize_as is deprecated"):
        assert tuple(x.resize_as(torch.zeros(3, 2)).shape) == (3, 2)
    with pytest.warns(UserWarning), pytest.raises(RuntimeError, match=r"requested resize to 2x2 \(4 elements in "
                                                                      r"total\), but the given tensor has a size of 6"):
        x.resize(2, 2)


def test_resize_keeps_gradient():
    x = torch.ones(3, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (x.resize(1, 3) * torch.tensor([[1.0, 2.0, 3.0]])).sum().backward()
    assert x.grad.tolist() == [1.0, 2.0, 3.0]


# ----------------------------------------------------------------------------- Tensor.new

@pytest.mark.parametrize("device", DEVICES)
def test_new_legacy_constructor(device):
    x = torch.ones(2, dtype=torch.float64, device=device)
    for made, shape in ((x.new(2, 3), (2, 3)), (x.new(), (0,)), (x.new(torch.Size([4])), (4,))):
        assert tuple(made.shape) == shape and made.dtype == torch.float64 and made.device == x.device
    data = x.new([1, 2])
    assert data.tolist() == [1.0, 2.0] and data.dtype == torch.float64 and data.device == x.device
    assert x.new((2, 3)).tolist() == [2.0, 3.0]  # a tuple is data, not a size
    assert torch.ones(1, dtype=torch.int64).new([1.7, 2]).tolist() == [1, 2]


@pytest.mark.parametrize("device", DEVICES)
def test_new_from_tensor_with_an_unindexed_device_string(device):
    t = torch.ones(2, device=device)
    alias = t.new(t, device=device)  # "gpu" names the device t is on ("gpu:0")
    alias.add_(1)
    assert t.tolist() == [2.0, 2.0]


def test_new_aliases_tensor_and_errors():
    x = torch.ones(2)
    other = torch.arange(3.0)
    alias = x.new(other)
    alias[0] = 7.0
    assert other[0].item() == 7.0
    tracked = torch.ones(2, requires_grad=True)
    (x.new(tracked) * 3).sum().backward()  # the alias keeps the source's history
    assert tracked.grad.tolist() == [3.0, 3.0]
    with pytest.raises(TypeError, match=r"new\(\): data must be a sequence \(got float\)"):
        x.new(2.5)
    with pytest.raises(RuntimeError, match=r"Trying to create tensor with negative dimension -1: \[-1\]"):
        x.new(-1)
    with pytest.raises(TypeError, match="dtype"):
        x.new(2, dtype=torch.int32)


# ----------------------------------------------------------------------------- set_ / as_subclass

@pytest.mark.parametrize("device", DEVICES)
def test_set_shares_memory(device):
    a = torch.zeros(2, device=device)
    b = torch.arange(6.0, device=device).reshape(2, 3)
    assert a.set_(b) is a and tuple(a.shape) == (2, 3) and a.is_set_to(b)
    a.add_(1)
    np.testing.assert_array_equal(arr(b), np.arange(6.0).reshape(2, 3) + 1)
    c = torch.zeros(2, device=device)
    c.set_(b, 1, (2,), (2,))  # a strided window of b's memory
    assert c.tolist() == [2.0, 4.0]
    assert tuple(torch.zeros(2).set_().shape) == (0,)


def test_set_offset_counts_from_the_sources_first_element():
    b = torch.arange(12.0)
    c = torch.zeros(2).set_(b[4:], 1, (2,), (2,))
    assert c.tolist() == [5.0, 7.0]
    assert c.storage_offset() == 5


def test_set_errors():
    with pytest.raises(RuntimeError, match="Could not set tensor of type long int to a tensor of type float"):
        torch.zeros(2).set_(torch.zeros(2, dtype=torch.int64))
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        torch.zeros(2, requires_grad=True).set_(torch.ones(2))
    with pytest.raises(TypeError, match=r"set_\(\) received an invalid combination of arguments - got \(int\)"):
        torch.zeros(2).set_(1)


def test_as_subclass_keeps_memory_and_history():
    class Sub(torch.Tensor):
        pass

    x = torch.ones(2, requires_grad=True)
    s = x.as_subclass(Sub)
    assert type(s) is Sub and s.requires_grad
    (s * torch.tensor([2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [2.0, 3.0]
    with pytest.raises(TypeError, match="does not inherit from Tensor"):
        x.as_subclass(int)


# ----------------------------------------------------------------------------- function forms

def test_is_signed_detach_functions():
    assert torch.is_signed(torch.ones(1)) and not torch.is_signed(torch.ones(1, dtype=torch.uint8))
    with pytest.raises(TypeError, match=r"is_signed\(\): argument 'input' \(position 1\) must be Tensor, not int"):
        torch.is_signed(1)
    x = torch.ones(2, requires_grad=True)
    d = torch.detach(x)
    assert not d.requires_grad and d._storage_id() == x._storage_id()
    y = x * 2
    assert torch.detach_(y) is y and not y.requires_grad


@pytest.mark.parametrize("device", DEVICES)
def test_fill_out_of_place(device):
    src = torch.zeros(2, dtype=torch.int32, device=device)
    out = torch.fill(src, 2.7)
    assert out.tolist() == [2, 2] and out.dtype == torch.int32 and src.tolist() == [0, 0]
    assert torch.fill(torch.zeros(3, device=device), torch.tensor(3.0, device=device)).tolist() == [3.0] * 3
    assert torch.fill(torch.zeros(2, dtype=torch.bool), 2).tolist() == [True, True]


def test_fill_gradient_and_errors():
    value = torch.tensor(2.0, requires_grad=True)
    torch.fill(torch.zeros(3), value).sum().backward()
    assert value.item() == 2.0 and value.grad.item() == 3.0
    x = torch.zeros(2, requires_grad=True)
    out = torch.fill(x, 3.0)
    assert out.requires_grad
    out.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]
    with pytest.raises(RuntimeError, match="fill_ only supports 0-dimension value tensor but got tensor with 1 dim"):
        torch.fill(torch.zeros(2), torch.tensor([3.0, 1.0]))
    with pytest.raises(TypeError, match=r"fill\(\) received an invalid combination of arguments - got \(Tensor, str\)"):
        torch.fill(torch.zeros(2), "a")


@pytest.mark.parametrize("device", DEVICES)
def test_put_out_of_place(device):
    src = torch.zeros(2, 3, device=device)
    out = torch.put(src, torch.tensor([0, 5], device=device), torch.tensor([1.0, 2.0], device=device))
    assert out.tolist() == [[1.0, 0.0, 0.0], [0.0, 0.0, 2.0]] and arr(src).sum() == 0
    acc = torch.put(src, torch.tensor([0, 0], device=device), torch.tensor([1.0, 2.0], device=device),
                    accumulate=True)
    assert acc.tolist() == [[3.0, 0.0, 0.0], [0.0, 0.0, 0.0]]


@pytest.mark.parametrize("device", DEVICES)
def test_empty_permuted_strides(device):
    t = torch.empty_permuted((2, 3, 4), (0, 2, 1), device=device)
    assert tuple(t.shape) == (2, 3, 4) and t.stride() == (12, 1, 3)
    t = torch.empty_permuted((2, 3, 4, 5), (0, 2, 3, 1), dtype=torch.int32, requires_grad=False)
    assert t.stride() == (60, 1, 15, 3) and t.dtype == torch.int32
    assert torch.empty_permuted((2, 3), (1, 0), requires_grad=True).requires_grad


def test_empty_permuted_errors():
    with pytest.raises(RuntimeError, match="Duplicate dim not allowed"):
        torch.empty_permuted((2, 3), (0, 0))
    with pytest.raises(RuntimeError, match=r"len\(size\) = 2 is not equal to len\(physical_layout\) = 1"):
        torch.empty_permuted((2, 3), (0,))
    with pytest.raises(RuntimeError, match=r"expected to be between 0 and 1, but got 2 at index 1"):
        torch.empty_permuted((2, 3), (0, 2))


# ----------------------------------------------------------------------------- ATen-level functions

@pytest.mark.parametrize("device", DEVICES)
def test_native_dropout(device):
    torch.manual_seed(0)
    x = torch.arange(1.0, 201.0, device=device)
    out, mask = torch.native_dropout(x, 0.25, True)
    assert mask.dtype == torch.bool
    m = arr(mask)
    np.testing.assert_allclose(arr(out), np.where(m, np.arange(1.0, 201.0) / 0.75, 0.0), rtol=1e-6)
    assert 100 < m.sum() < 200  # about 150 kept
    _, mask_none = torch.native_dropout(x, 0.25, None)  # None means training
    assert not arr(mask_none).all()
    out, mask = torch.native_dropout(x, 0.25, False)
    np.testing.assert_array_equal(arr(out), np.arange(1.0, 201.0))
    assert arr(mask).all()
    out, mask = torch.native_dropout(x, 1.0, True)
    assert arr(out).sum() == 0 and not arr(mask).any()
    with pytest.raises(RuntimeError, match=r"bernoulli_ expects p to be in \[0, 1\], but got p=-0.5"):
        torch.native_dropout(x, 1.5, True)
    ints = torch.arange(6, device=device)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        torch.native_dropout(ints, 0.5, True)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Bool"):
        torch.native_dropout(ints.bool(), 0.5, True)
    out, mask = torch.native_dropout(ints, 0.5, False)  # evaluation passes integers through
    assert out.dtype == torch.int64 and arr(out).tolist() == list(range(6)) and arr(mask).all()


@pytest.mark.parametrize("device", DEVICES)
def test_norm_except_dim(device):
    v = np.arange(24.0).reshape(2, 3, 4)
    t = torch.tensor(v, device=device)
    np.testing.assert_allclose(arr(torch.norm_except_dim(t)), np.sqrt((v ** 2).sum(axis=(1, 2), keepdims=True)))
    np.testing.assert_allclose(arr(torch.norm_except_dim(t, 3, 1)),
                               ((np.abs(v) ** 3).sum(axis=(0, 2), keepdims=True)) ** (1 / 3), rtol=1e-6)
    np.testing.assert_allclose(arr(torch.norm_except_dim(t, 2, -2)),
                               np.sqrt((v ** 2).sum(axis=(0, 2), keepdims=True)), rtol=1e-6)
    whole = torch.norm_except_dim(t, 2, -1)
    assert whole.dim() == 0 and math.isclose(whole.item(), np.linalg.norm(v.ravel()), rel_tol=1e-6)
    with pytest.raises(IndexError, match=r"expected to be in range of \[-3, 2\], but got 5"):
        torch.norm_except_dim(t, 2, 5)
    with pytest.raises(IndexError, match="Dimension specified as 0 but tensor has no dimensions"):
        torch.norm_except_dim(torch.tensor(3.0))


@pytest.mark.parametrize("device", DEVICES)
def test_embedding_renorm(device):
    w = torch.tensor([[3.0, 4.0], [1.0, 0.0], [6.0, 8.0]], device=device)
    assert torch.embedding_renorm_(w, torch.tensor([0, 0, 2], device=device), 2.0, 2.0) is w
    # rows 0 and 2 (norms 5 and 10) scaled to norm 2 (up to the 1e-7 guard); row 1 not named
    np.testing.assert_allclose(arr(w), [[1.2, 1.6], [1.0, 0.0], [1.2, 1.6]], rtol=1e-5)
    w = torch.tensor([[3.0, 4.0]])
    torch.embedding_renorm_(w, torch.tensor([0]), 1.0, float("inf"))
    np.testing.assert_allclose(arr(w), [[0.75, 1.0]], rtol=1e-5)


def test_embedding_renorm_errors():
    with pytest.raises(RuntimeError, match="argument #2 'indices' to have one of the following scalar types: Long, "
                                           "Int; but got torch.FloatTensor instead"):
        torch.embedding_renorm_(torch.ones(1, 2), torch.tensor([0.0]), 1.0, 2.0)
    with pytest.raises(RuntimeError, match="Expected 2-dimensional tensor, but got 1-dimensional tensor for argument"):
        torch.embedding_renorm_(torch.ones(2), torch.tensor([0]), 1.0, 2.0)
    with pytest.raises(IndexError, match=r"index 5 out of range for tensor of size \[1, 2\] at dimension 0"):
        torch.embedding_renorm_(torch.ones(1, 2), torch.tensor([5]), 1.0, 2.0)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        torch.embedding_renorm_(torch.ones(2, 2, requires_grad=True), torch.tensor([0]), 1.0, 2.0)


def _segments_np(data, lengths, op, initial=None):
    out, start = [], 0
    for n in lengths:
        seg = data[start:start + n]
        start += n
        if initial is not None:
            vals = list(seg) + [initial]
            out.append({"sum": sum(vals), "prod": np.prod(vals), "max": max(vals), "min": min(vals),
                        "mean": sum(vals) / n if n else initial}[op])
        elif n == 0:
            out.append({"sum": 0.0, "prod": 1.0, "max": -np.inf, "min": np.inf, "mean": np.nan}[op])
        else:
            out.append(getattr(np, op)(seg))
    return np.array(out)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("op", ["sum", "mean", "max", "min", "prod"])
def test_segment_reduce_1d(device, op):
    data = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    lengths = [2, 0, 3, 1]
    t = torch.tensor(data, device=device)
    got = torch.segment_reduce(t, op, lengths=torch.tensor(lengths, device=device))
    np.testing.assert_allclose(arr(got), _segments_np(data, lengths, op), rtol=1e-6)
    got = torch.segment_reduce(t, op, lengths=torch.tensor(lengths), initial=10.0)
    np.testing.assert_allclose(arr(got), _segments_np(data, lengths, op, initial=10.0), rtol=1e-6)
    got = torch.segment_reduce(t, op, offsets=torch.tensor([0, 2, 2, 5, 6]))
    np.testing.assert_allclose(arr(got), _segments_np(data, lengths, op), rtol=1e-6)


def test_segment_reduce_axes():
    d = np.arange(12.0).reshape(3, 4)
    t = torch.tensor(d)
    np.testing.assert_array_equal(arr(torch.segment_reduce(t, "sum", lengths=torch.tensor([1, 2]))),
                                  [d[0], d[1] + d[2]])
    got = torch.segment_reduce(t, "max", lengths=torch.tensor([[1, 3], [2, 2], [4, 0]]), axis=1)
    np.testing.assert_array_equal(arr(got), [[0, 3], [5, 7], [11, -np.inf]])
    got = torch.segment_reduce(t, "sum", lengths=torch.tensor([[2, 2]] * 3), axis=-1)
    np.testing.assert_array_equal(arr(got), d.reshape(3, 2, 2).sum(-1))


def test_segment_reduce_gradient():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    torch.segment_reduce(x, "prod", lengths=torch.tensor([2, 1])).sum().backward()
    assert x.grad.tolist() == [2.0, 1.0, 1.0]


def test_segment_reduce_errors():
    d = torch.tensor([1.0, 2.0, 3.0, 4.0])
    with pytest.raises(RuntimeError, match="reduce argument must be either sum, prod, mean, amax or amin, got foo"):
        torch.segment_reduce(d, "foo", lengths=torch.tensor([4]))
    with pytest.raises(RuntimeError, match="Either lengths or offsets must be defined"):
        torch.segment_reduce(d, "sum")
    with pytest.raises(RuntimeError, match="Expected all rows of lengths along axis to sum to"):
        torch.segment_reduce(d, "sum", lengths=torch.tensor([2, 1]))
    assert torch.segment_reduce(d, "sum", lengths=torch.tensor([2, 1]), unsafe=True).tolist() == [3.0, 3.0]
    with pytest.raises(RuntimeError, match="lengths contains negative value!"):
        torch.segment_reduce(d, "sum", lengths=torch.tensor([5, -1]))
    with pytest.raises(NotImplementedError, match="_segment_reduce_lengths_cpu_kernel1\" not implemented for 'Float'"):
        torch.segment_reduce(d, "sum", lengths=torch.tensor([4.0]))
    with pytest.raises(NotImplementedError, match="\"_segment_reduce_cpu\" not implemented for 'Long'"):
        torch.segment_reduce(torch.tensor([1, 2]), "sum", lengths=torch.tensor([2]))
    with pytest.raises(IndexError, match=r"expected to be in range of \[-1, 0\], but got 1"):
        torch.segment_reduce(d, "sum", lengths=torch.tensor([4]), axis=1)
    with pytest.raises(RuntimeError, match="Expected segment_length >= 0 to be true"):
        torch.segment_reduce(d, "sum", offsets=torch.tensor([0, 3, 2, 4]))


# ----------------------------------------------------------------------------- SyncBatchNorm helpers

def test_batch_norm_update_stats_matches_numpy():
    x = np.random.RandomState(2).randn(4, 3, 5)
    rm, rv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    mean, var = torch.batch_norm_update_stats(torch.tensor(x), rm, rv, 0.1)
    np.testing.assert_allclose(arr(mean), x.mean(axis=(0, 2)))
    np.testing.assert_allclose(arr(var), x.var(axis=(0, 2)))
    np.testing.assert_allclose(arr(rm), 0.1 * x.mean(axis=(0, 2)))
    np.testing.assert_allclose(arr(rv), 0.9 + 0.1 * x.var(axis=(0, 2), ddof=1))
    mean2, _ = torch.batch_norm_update_stats(torch.tensor(x), None, None, 0.1)
    np.testing.assert_allclose(arr(mean2), arr(mean))
    with pytest.raises(IndexError, match=r"expected to be in range of \[-1, 0\], but got 1"):
        torch.batch_norm_update_stats(torch.ones(3), None, None, 0.1)


@pytest.mark.parametrize("name, args", [
    ("batch_norm_stats", lambda x: (x, 1e-5)),
    ("batch_norm_elemt", lambda x: (x, None, None, torch.zeros(3), torch.ones(3), 1e-5)),
    ("batch_norm_gather_stats_with_counts",
     lambda x: (x, torch.zeros(1, 3), torch.ones(1, 3), None, None, 0.1, 1e-5, torch.tensor([4.0]))),
    ("batch_norm_backward_reduce", lambda x: (x, x, torch.zeros(3), torch.ones(3), None, True, True, True)),
    ("batch_norm_backward_elemt",
     lambda x: (x, x, torch.zeros(3), torch.ones(3), None, torch.zeros(3), torch.zeros(3), torch.tensor([4]))),
])
def test_sync_batch_norm_helpers_are_cuda_only_on_cpu(name, args):
    with pytest.raises(NotImplementedError, match=f"Could not run 'aten::{name}' with arguments from the 'CPU' "
                                                  "backend"):
        getattr(torch, name)(*args(torch.ones(2, 3, 2)))


@pytest.mark.parametrize("device", [d for d in DEVICES if d != "cpu"])
def test_sync_batch_norm_helpers_on_gpu(device):
    rng = np.random.RandomState(3)
    x, dy = rng.randn(4, 3, 5), rng.randn(4, 3, 5)
    w, b = rng.rand(3) + 0.5, rng.randn(3)
    eps = 1e-5
    tx = torch.tensor(x, device=device)
    mean, invstd = torch.batch_norm_stats(tx, eps)
    mu, var = x.mean(axis=(0, 2)), x.var(axis=(0, 2))
    np.testing.assert_allclose(arr(mean), mu)
    np.testing.assert_allclose(arr(invstd), 1 / np.sqrt(var + eps))
    c = lambda v: v.reshape(1, 3, 1)  # noqa: E731
    y = torch.batch_norm_elemt(tx, torch.tensor(w, device=device), torch.tensor(b, device=device), mean, invstd, eps)
    xhat = (x - c(mu)) / np.sqrt(c(var) + eps)
    np.testing.assert_allclose(arr(y), xhat * c(w) + c(b), rtol=1e-6)

    # Two replicas' stats (batches 0:1 and 1:4) combine into the full batch's.
    parts = [x[:1], x[1:]]
    means = torch.tensor(np.stack([p.mean(axis=(0, 2)) for p in parts]), device=device)
    invstds = torch.tensor(np.stack([1 / np.sqrt(p.var(axis=(0, 2)) + eps) for p in parts]), device=device)
    rm, rv = torch.zeros(3, dtype=torch.float64, device=device), torch.ones(3, dtype=torch.float64, device=device)
    gm, ginv = torch.batch_norm_gather_stats_with_counts(tx, means, invstds, rm, rv, 0.1, eps,
                                                         torch.tensor([5.0, 15.0], device=device))
    np.testing.assert_allclose(arr(gm), mu, rtol=1e-6)
    np.testing.assert_allclose(arr(ginv), 1 / np.sqrt(var + eps), rtol=1e-6)
    np.testing.assert_allclose(arr(rm), 0.1 * mu, rtol=1e-6)
    np.testing.assert_allclose(arr(rv), 0.9 + 0.1 * x.var(axis=(0, 2), ddof=1), rtol=1e-6)

    # Backward: reduce + elemt give batch norm's analytic input / weight / bias gradients.
    tdy, tw = torch.tensor(dy, device=device), torch.tensor(w, device=device)
    sum_dy, sum_dy_xmu, gw, gb = torch.batch_norm_backward_reduce(tdy, tx, mean, invstd, tw, True, True, True)
    np.testing.assert_allclose(arr(gb), dy.sum(axis=(0, 2)), rtol=1e-6)
    np.testing.assert_allclose(arr(gw), (dy * xhat).sum(axis=(0, 2)), rtol=1e-6)
    gx = torch.batch_norm_backward_elemt(tdy, tx, mean, invstd, tw, sum_dy, sum_dy_xmu,
                                         torch.tensor([20], device=device))
    n = 20
    expected = c(w) / np.sqrt(c(var) + eps) / n * (n * dy - c(dy.sum(axis=(0, 2)))
                                                   - xhat * c((dy * xhat).sum(axis=(0, 2))))
    np.testing.assert_allclose(arr(gx), expected, rtol=1e-5, atol=1e-9)
    assert torch.batch_norm_backward_reduce(tdy, tx, mean, invstd, tw, False, False, True)[:3] == (None,) * 3


# ----------------------------------------------------------------------------- nn legacy classes

def _cross_map_lrn_np(x, size, alpha, beta, k):
    """Direct loops: channel c's window is c - pre + 1 .. c + pre - 1 plus channel 0."""
    channels, pre = x.shape[1], (size - 1) // 2 + 1
    out = np.empty_like(x)
    for c in range(channels):
        window = set(range(max(c - pre + 1, 0), min(c + pre, channels))) | {0}
        energy = sum(x[:, i] ** 2 for i in window)
        out[:, c] = x[:, c] * (k + alpha / size * energy) ** -beta
    return out


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("size", [1, 2, 3, 5])
def test_cross_map_lrn2d(device, size):
    x = np.random.RandomState(size).randn(2, 6, 2, 3)
    m = torch.nn.CrossMapLRN2d(size, alpha=0.5, beta=0.75, k=2)
    np.testing.assert_allclose(arr(m(torch.tensor(x, device=device))), _cross_map_lrn_np(x, size, 0.5, 0.75, 2),
                               rtol=1e-6)


def test_cross_map_lrn2d_known_values_and_errors():
    # One pixel, 3 channels, size 3 (pre = 2): windows {0,1}, {0,1,2}, {0,1,2}.
    x = torch.tensor([1.0, 2.0, 3.0]).reshape(1, 3, 1, 1)
    out = torch.nn.CrossMapLRN2d(3, alpha=3.0, beta=1.0, k=1)(x).reshape(-1).tolist()
    assert out == pytest.approx([1 / (1 + 5), 2 / (1 + 14), 3 / (1 + 14)])
    assert repr(torch.nn.CrossMapLRN2d(3)) == "CrossMapLRN2d(3, alpha=0.0001, beta=0.75, k=1)"
    with pytest.raises(ValueError, match="CrossMapLRN2d: Expected input to be 4D, got 3D instead."):
        torch.nn.CrossMapLRN2d(3)(torch.ones(2, 3, 4))


def test_nllloss2d_and_container_are_deprecated_aliases():
    with pytest.warns(FutureWarning, match="`NLLLoss2d` has been deprecated. Please use `NLLLoss`"):
        loss = torch.nn.NLLLoss2d(reduction="sum")
    assert isinstance(loss, torch.nn.NLLLoss)
    logp = np.log(np.array([[0.2, 0.8], [0.6, 0.4]]))
    assert loss(torch.tensor(logp), torch.tensor([1, 0])).item() == pytest.approx(-(np.log(0.8) + np.log(0.6)))
    with pytest.warns(FutureWarning, match="`nn.Container` is deprecated"):
        c = torch.nn.Container(a=torch.nn.Linear(1, 1))
    assert isinstance(c, torch.nn.Module) and [n for n, _ in c.named_children()] == ["a"]


# ----------------------------------------------------------------------------- cond / while_loop

def test_cond_branches():
    x = torch.ones(2)
    assert torch.cond(torch.tensor(True), lambda a: a + 1, lambda a: a - 1, (x,)).tolist() == [2.0, 2.0]
    out = torch.cond(False, lambda a: (a + 1, a), lambda a: (a - 1, a), (x,))
    assert isinstance(out, tuple) and out[0].tolist() == [0.0, 0.0]
    out = torch.cond(x.sum() > 5, lambda a: [a + 1], lambda a: [a - 1], [x])
    assert isinstance(out, list) and out[0].tolist() == [0.0, 0.0]
    assert torch.cond(torch.tensor([[0]]), lambda: 1, lambda: 2) == 2
    assert torch.cond(0.0, lambda: 1, lambda: 2) == 2


def test_cond_predicate_errors():
    with pytest.raises(RuntimeError, match="Expected pred to be bool or single-element tensor, but got"):
        torch.cond(torch.tensor([True, False]), lambda: 1, lambda: 2)
    with pytest.raises(RuntimeError, match="Expected pred to be bool or tensor, but got None."):
        torch.cond(None, lambda: 1, lambda: 2)


def test_while_loop():
    out = torch.while_loop(lambda i, s: i < 3, lambda i, s: (i + 1, s * 2), (torch.tensor(0), torch.ones(2)))
    assert isinstance(out, tuple) and out[0].item() == 3 and out[1].tolist() == [8.0, 8.0]
    out = torch.while_loop(lambda i: i < 3, lambda i: i + 1, (torch.tensor(0),))
    assert isinstance(out, torch.Tensor) and out.item() == 3
    out = torch.while_loop(lambda i: i < 0, lambda i: i + 1, (torch.tensor(0),))
    assert isinstance(out, torch.Tensor) and out.item() == 0  # shaped like body_fn's output, body never ran
    out = torch.while_loop(lambda i: i < 3, lambda i: [i + 1], [torch.tensor(0)])
    assert isinstance(out, list) and out[0].item() == 3


def test_while_loop_errors():
    with pytest.raises(RuntimeError, match="Expect cond_fn and body_fn to be callable."):
        torch.while_loop(1, lambda i: i, (torch.tensor(0),))
    with pytest.raises(RuntimeError, match="Expected cond_fn to return a scalar tensor or a bool"):
        torch.while_loop(lambda i: torch.tensor([True, True]), lambda i: i + 1, (torch.tensor(0),))
    with pytest.raises(RuntimeError, match="Expected body_fn_output and carried_inputs to have same number of "
                                           "outputs"):
        torch.while_loop(lambda i, j: i < 3, lambda i, j: (i + 1,), (torch.tensor(0), torch.ones(2)))


# ----------------------------------------------------------------------------- docstring examples

@pytest.mark.parametrize("module", ["_tensor_members_composed", "_aten_legacy_functions", "_control_flow", "nn.modules.legacy"])
def test_docstring_examples(module):
    import importlib

    result = doctest.testmod(importlib.import_module(f"ferrotorch.{module}"))
    assert result.attempted > 0 and result.failed == 0
