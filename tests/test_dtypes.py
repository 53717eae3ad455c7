"""dtypes, type promotion and conversions."""
import numpy as np
import pytest

import ferrotorch as torch
from conftest import assert_close, run_in_fresh_process

ALL = [torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64,
       torch.float16, torch.bfloat16, torch.float32, torch.float64]


def test_aliases_and_attributes():
    assert torch.float is torch.float32 or torch.float == torch.float32
    assert torch.double == torch.float64 and torch.half == torch.float16
    assert torch.long == torch.int64 and torch.int == torch.int32 and torch.short == torch.int16
    assert repr(torch.float32) == "torch.float32"
    assert torch.float16.is_floating_point and not torch.int64.is_floating_point
    assert torch.bfloat16.itemsize == 2 and torch.int64.itemsize == 8
    assert torch.uint8.is_signed is False and torch.int8.is_signed


# (a, b, expected) from PyTorch's promotion table.
PROMOTE = [
    (torch.uint8, torch.int8, torch.int16),
    (torch.uint8, torch.int64, torch.int64),
    (torch.bool, torch.uint8, torch.uint8),
    (torch.bool, torch.float16, torch.float16),
    (torch.int64, torch.float16, torch.float16),
    (torch.float16, torch.bfloat16, torch.float32),
    (torch.int32, torch.float64, torch.float64),
    (torch.int8, torch.int16, torch.int16),
    (torch.bfloat16, torch.float64, torch.float64),
]


@pytest.mark.parametrize("a,b,expected", PROMOTE)
def test_promote_types(a, b, expected):
    assert torch.promote_types(a, b) == expected
    assert torch.promote_types(b, a) == expected


def test_result_type_scalars_do_not_widen():
    i32 = torch.tensor([1, 2], dtype=torch.int32)
    f16 = torch.tensor([1.0], dtype=torch.float16)
    assert torch.result_type(i32, 5) == torch.int32
    assert torch.result_type(i32, 5.0) == torch.float32
    assert torch.result_type(f16, 5.0) == torch.float16
    assert torch.result_type(i32, torch.tensor(5)) == torch.int32  # 0-d tensors are a lower tier
    assert torch.result_type(i32, torch.tensor(5.0, dtype=torch.float64)) == torch.float64
    assert (i32 + 1).dtype == torch.int32
    assert (i32 * 1.5).dtype == torch.float32
    assert (f16 + torch.tensor(1.0, dtype=torch.float64)).dtype == torch.float16
    assert (torch.tensor([True]) + 1).dtype == torch.int64
    assert (torch.tensor([1], dtype=torch.uint8) + torch.tensor([1], dtype=torch.int8)).dtype == torch.int16
    assert (i32 / 2).dtype == torch.float32
    assert (i32 // 2).dtype == torch.int32


def test_default_dtype():
    assert torch.get_default_dtype() == torch.float32
    torch.set_default_dtype(torch.float64)
    try:
        assert torch.tensor([1.5]).dtype == torch.float64
        assert (torch.tensor([1]) * 0.5).dtype == torch.float64
        assert torch.tensor([1]).dtype == torch.int64
    finally:
        torch.set_default_dtype(torch.float32)
    with pytest.raises(TypeError, match="only floating-point types are supported as the default type"):
        torch.set_default_dtype(torch.int64)


def test_tensor_infers_dtype():
    assert torch.tensor([1, 2]).dtype == torch.int64
    assert torch.tensor([1, 2.0]).dtype == torch.float32
    assert torch.tensor([True, False]).dtype == torch.bool
    assert torch.tensor([True, 2]).dtype == torch.int64
    assert torch.tensor(3).dtype == torch.int64 and torch.tensor(3.0).shape == ()
    assert torch.tensor([]).dtype == torch.float32 and torch.tensor([]).shape == (0,)
    assert torch.tensor([[]]).shape == (1, 0)
    assert torch.tensor(np.array([1, 2], dtype=np.int16)).dtype == torch.int16
    assert torch.tensor(np.float64(2.5)).dtype == torch.float64
    assert torch.tensor([np.int32(3)]).dtype == torch.int32
    assert torch.tensor([1.5], dtype=torch.int32).tolist() == [1]
    assert torch.tensor([[1, 2], [3, 4]], dtype=torch.float64).dtype == torch.float64


def test_bad_data_types():
    with pytest.raises(TypeError):
        torch.tensor("abc")
    with pytest.raises(RuntimeError, match="Could not infer dtype of NoneType"):
        torch.tensor([1, None])
    with pytest.raises(RuntimeError, match="Overflow"):
        torch.tensor([1]) + 2**70


@pytest.mark.parametrize("dtype", ALL)
def test_conversions_roundtrip(dtype):
    vals = [0, 1, 2, 3] if dtype != torch.bool else [0, 1, 1, 0]
    t = torch.tensor(vals).to(dtype)
    assert t.dtype == dtype
    assert t.to(torch.float64).tolist() == [float(v) for v in vals]
    assert t.element_size() == dtype.itemsize


def test_casting_semantics():
    f = torch.tensor([-1.7, 0.0, 2.9, 300.0])
    assert f.long().tolist() == [-1, 0, 2, 300]
    assert f.int().tolist() == [-1, 0, 2, 300]
    assert f.bool().tolist() == [True, False, True, True]
    assert torch.tensor([-1, 256, 257]).to(torch.uint8).tolist() == [255, 0, 1]
    assert torch.tensor([1.0]).double().dtype == torch.float64
    assert torch.tensor([1.0]).half().dtype == torch.float16
    assert torch.tensor([1.0]).bfloat16().dtype == torch.bfloat16
    assert torch.tensor([1.0]).type() == "torch.FloatTensor"
    assert torch.tensor([1]).type() == "torch.LongTensor"
    assert torch.tensor([1.0]).type(torch.float64).dtype == torch.float64
    assert torch.tensor([1.0]).type("torch.IntTensor").dtype == torch.int32
    assert torch.tensor([1.25]).to(torch.bfloat16).float().item() == 1.25


def test_out_of_range_float_to_int_casts_give_what_pytorch_gives_on_x86():
    # PyTorch truncates through int32 (int64 for int64 and uint8); NaN and out-of-range values
    # become that type's minimum, narrower types wrap. numpy on x86 agrees for int32/int64.
    nan, inf = float("nan"), float("inf")
    f = torch.tensor([nan, inf, -inf, 3e9, -3e9], dtype=torch.float64)
    assert f.int().tolist() == [-2**31] * 5
    assert f.long().tolist() == [-2**63, -2**63, -2**63, 3_000_000_000, -3_000_000_000]
    assert torch.tensor([1e19, -1e19]).long().tolist() == [-2**63] * 2
    assert torch.tensor([300.7, -300.2, -1.5, nan]).to(torch.int8).tolist() == [44, -44, -1, 0]
    assert torch.tensor([70000.0, nan]).to(torch.int16).tolist() == [4464, 0]
    assert torch.tensor([300.7, -1.5, nan, inf]).to(torch.uint8).tolist() == [44, 255, 0, 0]
    assert torch.tensor([3e9 + 7], dtype=torch.float64).to(torch.uint8).tolist() == [7]
    assert torch.tensor([nan, -0.0]).bool().tolist() == [True, False]
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(f.int().numpy(), f.numpy().astype(np.int32))


def test_to_forms():
    t = torch.tensor([1.5, 2.5])
    assert t.to(torch.float64).dtype == torch.float64
    assert t.to("cpu") is not None and t.to("cpu").dtype == torch.float32
    assert t.to("cpu", torch.int32).dtype == torch.int32
    assert t.to(dtype=torch.float16).dtype == torch.float16
    assert t.to(torch.tensor([1])).dtype == torch.int64
    assert t.to(torch.float32)._storage_id() == t._storage_id()  # no copy when nothing changes
    assert t.to(torch.float32, copy=True)._storage_id() != t._storage_id()
    with pytest.raises(RuntimeError, match="Expected one of cpu"):
        t.to("tpu")


def test_python_number_conversions():
    assert float(torch.tensor([2.5])) == 2.5
    assert int(torch.tensor(3.9)) == 3
    assert bool(torch.tensor([0])) is False
    assert [10, 20, 30][torch.tensor(1)] == 20
    with pytest.raises(TypeError, match="only integer tensors of a single element can be converted to an index"):
        [1, 2][torch.tensor(1.0)]
    with pytest.raises(RuntimeError, match="more than one value is ambiguous"):
        bool(torch.tensor([1, 2]))
    with pytest.raises(ValueError, match="cannot convert float NaN to integer"):
        int(torch.tensor(float("nan")))
    assert f"{torch.tensor(2.5):.2f}" == "2.50"


def test_float_of_a_tensor_that_requires_grad_warns_once_per_process():
    # As PyTorch's TORCH_WARN_ONCE: once per process (unless set_warn_always), so checked in a
    # fresh one. Not under no_grad, not for a detached tensor, not for int() or .item().
    code = ("import warnings, ferrotorch as torch\n"
            "warnings.simplefilter('always')\n"
            "x = torch.tensor(2.0, requires_grad=True)\n"
            "with warnings.catch_warnings(record=True) as w:\n"
            "    warnings.simplefilter('always')\n"
            "    int(x * 1); x.item(); float(x.detach())\n"
            "    with torch.no_grad():\n"
            "        float(x)\n"
            "    print(len(w))\n"
            "    float(x * 2); float(x); float(torch.tensor([1.0], requires_grad=True))\n"
            "    print(len(w), w[0].category.__name__, w[0].lineno)\n"
            "    print(str(w[0].message))\n"
            "    torch.set_warn_always(True); float(x); float(x); print(len(w))\n")
    assert run_in_fresh_process(code) == [
        "0",
        "1 UserWarning 10",
        "Converting a tensor with requires_grad=True to a scalar may lead to unexpected behavior.",
        "Consider using tensor.detach() first.",
        "3",
    ]


def test_clone_copy_and_fill():
    a = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    b = a.clone()
    assert b._storage_id() != a._storage_id()
    b.fill_(7)
    assert a.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    a.copy_(torch.tensor([9, 8]))  # broadcast + cast
    assert a.tolist() == [[9.0, 8.0], [9.0, 8.0]]
    a.t().copy_(a)  # overlapping source and destination
    assert a.tolist() == [[9.0, 9.0], [8.0, 8.0]]
    a.zero_()
    assert a.tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_in_place_cast_rules():
    i = torch.tensor([1, 2])
    i += 1
    assert i.tolist() == [2, 3] and i.dtype == torch.int64
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        i += 1.5
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        i.exp_()
    f = torch.tensor([1.0, 2.0])
    f *= torch.tensor(2)
    assert f.tolist() == [2.0, 4.0]
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        f += torch.tensor([[1.0], [2.0]])


def test_alpha_must_fit_the_result_dtype():
    i = torch.tensor([1, 2])
    assert (i + 0).add(i, alpha=3).tolist() == [4, 8]
    assert torch.tensor([1.0]).add(i[:1], alpha=0.5).tolist() == [1.5]  # float result: float alpha is fine
    for call in (lambda: i.add(i, alpha=0.5), lambda: i.sub(i, alpha=1.0), lambda: i.clone().add_(i, alpha=2.0),
                 lambda: i.rsub(i, alpha=0.5), lambda: torch.add(i, 1, alpha=0.5)):
        with pytest.raises(RuntimeError, match="For integral input tensors, argument alpha must not be a floating point number."):
            call()
    with pytest.raises(RuntimeError, match="Boolean alpha only supported for Boolean results."):
        i.add(i, alpha=True)
    b = torch.tensor([True, False])
    assert b.add(b, alpha=True).tolist() == [True, False]


def test_softmax_of_integers_needs_a_float_dtype():
    i = torch.tensor([[1, 2], [3, 4]])
    with pytest.raises(RuntimeError, match="\"softmax_lastdim_kernel_impl\" not implemented for 'Long'"):
        torch.softmax(i, 1)
    with pytest.raises(RuntimeError, match="\"softmax_kernel_impl\" not implemented for 'Long'"):
        i.softmax(0)
    with pytest.raises(RuntimeError, match="\"log_softmax_lastdim_kernel_impl\" not implemented for 'Long'"):
        torch.nn.functional.log_softmax(i, -1)
    assert torch.softmax(i, 1, dtype=torch.float64).dtype == torch.float64


def test_alpha_scales_in_the_result_dtype():
    # other * alpha would wrap in uint8/int8 if computed before promotion.
    assert torch.tensor([1.0]).add(torch.tensor([2], dtype=torch.uint8), alpha=200).tolist() == [401.0]
    assert torch.tensor([1.0]).add(torch.tensor([100], dtype=torch.int8), alpha=2).tolist() == [201.0]
    assert torch.tensor([1.0]).sub(torch.tensor([100], dtype=torch.int8), alpha=2).tolist() == [-199.0]
    assert torch.tensor([100], dtype=torch.int8).rsub(torch.tensor([1.0]), alpha=2).tolist() == [-199.0]


def test_dtypes_are_singletons():
    import pickle
    t = torch.ones(1, dtype=torch.float64)
    assert t.dtype is torch.float64 and torch.get_default_dtype() is torch.float32
    assert torch.promote_types(torch.int32, torch.float32) is torch.float32
    assert torch.result_type(t, 1) is torch.float64
    assert pickle.loads(pickle.dumps(t.dtype)) is torch.float64
