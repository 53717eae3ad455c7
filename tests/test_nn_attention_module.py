"""torch.nn.attention (SDPBackend, sdpa_kernel) and how scaled_dot_product_attention honours the
allowed backends the way PyTorch's CPU dispatcher does (math anywhere, flash for dense
dropout-free inputs); plus the torch.types aliases."""
import operator
import warnings

import numpy as np
import pytest

import ferrotorch as torch
import ferrotorch.nn.functional as F
from conftest import DEVICES, assert_close, from_numpy
from ferrotorch.nn import attention
from ferrotorch.nn.attention import SDPBackend, sdpa_kernel

NO_VIABLE = "No viable backend for scaled_dot_product_attention was found"
NO_KERNEL = "No available kernel.  Aborting execution."
RNG = np.random.default_rng(7)


def _reference(q, k, v, mask=None):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    return (weights / weights.sum(-1, keepdims=True)) @ v


def _qkv(*shape, device="cpu"):
    arrays = [RNG.standard_normal(shape) for _ in range(3)]
    return arrays, [from_numpy(a).to(device) for a in arrays]


def _flags():
    cuda = torch.backends.cuda
    return (cuda.math_sdp_enabled(), cuda.flash_sdp_enabled(), cuda.mem_efficient_sdp_enabled(),
            cuda.cudnn_sdp_enabled())


def test_nn_attention_is_the_backend_package_under_every_import_form():
    import ferrotorch.nn.attention as imported
    assert imported is attention is torch.nn.attention
    assert torch.nn.attention.SDPBackend is SDPBackend and torch.nn.attention.sdpa_kernel is sdpa_kernel
    assert torch.nn.attention.__all__ == ["SDPBackend", "sdpa_kernel"]


# --- SDPBackend ---------------------------------------------------------------------------------

def test_backend_names_and_codes():
    assert {b.name: b.value for b in SDPBackend} == {
        "ERROR": -1, "MATH": 0, "FLASH_ATTENTION": 1, "EFFICIENT_ATTENTION": 2, "CUDNN_ATTENTION": 3,
        "OVERRIDEABLE": 4}
    assert int(SDPBackend.CUDNN_ATTENTION) == 3 and operator.index(SDPBackend.FLASH_ATTENTION) == 1
    assert SDPBackend(0) is SDPBackend.MATH
    assert SDPBackend.MATH != 0  # converts to its code but is not equal to it, as in PyTorch
    assert repr(SDPBackend.MATH) == "<SDPBackend.MATH: 0>" and str(SDPBackend.MATH) == "SDPBackend.MATH"


# --- sdpa_kernel: validation and recorded state --------------------------------------------------

@pytest.mark.parametrize("bad, type_name", [("math", "str"), (0, "int"), (None, "NoneType"),
                                            ((SDPBackend.MATH,), "tuple"), ({SDPBackend.MATH}, "set")])
def test_sdpa_kernel_rejects_non_backend_arguments(bad, type_name):
    with pytest.raises(AssertionError, match=f"Backend must be an instance of SDPBackend or a list of SDPBackend "
                                             f"instances, got {type_name}$"):
        with sdpa_kernel(bad):
            pass


def test_sdpa_kernel_sets_and_restores_flags_with_nesting():
    assert _flags() == (True, True, True, True)
    with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
        assert _flags() == (False, True, False, False)
        with sdpa_kernel([SDPBackend.MATH, SDPBackend.CUDNN_ATTENTION]):
            assert _flags() == (True, False, False, True)
        assert _flags() == (False, True, False, False)
        assert attention._cur_sdpa_kernel_backends() == [SDPBackend.FLASH_ATTENTION]
    assert _flags() == (True, True, True, True)
    assert attention._cur_sdpa_kernel_backends() == [
        SDPBackend.CUDNN_ATTENTION, SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH,
        SDPBackend.OVERRIDEABLE]


def test_sdpa_kernel_restores_after_an_exception_and_works_as_decorator():
    with pytest.raises(ValueError):
        with sdpa_kernel([]):
            assert _flags() == (False, False, False, False)
            raise ValueError
    assert _flags() == (True, True, True, True)

    @sdpa_kernel(SDPBackend.EFFICIENT_ATTENTION)
    def allowed():
        return attention._cur_sdpa_kernel_backends()

    assert allowed() == [SDPBackend.EFFICIENT_ATTENTION]
    assert _flags() == (True, True, True, True)


def test_set_priority_orders_the_allowed_backends_until_exit():
    default = attention._cur_sdpa_kernel_backends(with_priority=True)
    assert default[:3] == [SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH]
    with sdpa_kernel([SDPBackend.MATH, SDPBackend.FLASH_ATTENTION], set_priority=True):
        assert attention._cur_sdpa_kernel_backends(with_priority=True) == [SDPBackend.MATH,
                                                                           SDPBackend.FLASH_ATTENTION]
    assert attention._cur_sdpa_kernel_backends(with_priority=True) == default


# --- scaled_dot_product_attention under the restrictions -----------------------------------------

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("backends", [SDPBackend.MATH, SDPBackend.FLASH_ATTENTION,
                                      [SDPBackend.CUDNN_ATTENTION, SDPBackend.MATH]])
def test_allowed_backend_computes_attention(device, backends):
    (q, k, v), (tq, tk, tv) = _qkv(2, 3, 4, 5, device=device)
    with sdpa_kernel(backends):
        out = F.scaled_dot_product_attention(tq, tk, tv)
    assert_close(out.cpu(), _reference(q, k, v))


def test_flash_only_takes_3d_masked_causal_and_gqa_inputs():
    (q, k, v), (tq, tk, tv) = _qkv(3, 4, 5)
    mask = np.tril(np.ones((4, 4), dtype=bool))
    with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
        assert_close(F.scaled_dot_product_attention(tq, tk, tv), _reference(q, k, v))
        assert_close(F.scaled_dot_product_attention(tq, tk, tv, is_causal=True), _reference(q, k, v, mask))
        assert_close(F.scaled_dot_product_attention(tq, tk, tv, attn_mask=from_numpy(mask)),
                     _reference(q, k, v, mask))
        (q4, k2, v2), _ = _qkv(1, 4, 3, 5)
        k2, v2 = k2[:, :2], v2[:, :2]
        out = F.scaled_dot_product_attention(from_numpy(q4), from_numpy(k2), from_numpy(v2), enable_gqa=True)
    assert_close(out, _reference(q4, np.repeat(k2, 2, axis=1), np.repeat(v2, 2, axis=1)))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("backends", [SDPBackend.EFFICIENT_ATTENTION, SDPBackend.CUDNN_ATTENTION,
                                      SDPBackend.OVERRIDEABLE, SDPBackend.ERROR, []])
def test_no_math_and_no_flash_is_no_viable_backend(device, backends):
    _, (tq, tk, tv) = _qkv(1, 2, 3, 4, device=device)
    with sdpa_kernel(backends):
        with pytest.raises(RuntimeError, match=NO_VIABLE):
            F.scaled_dot_product_attention(tq, tk, tv)


def test_backends_cuda_switches_are_the_same_state():
    _, (tq, tk, tv) = _qkv(1, 2, 3, 4)
    cuda = torch.backends.cuda
    try:
        cuda.enable_math_sdp(False)
        cuda.enable_flash_sdp(False)
        with pytest.raises(RuntimeError, match=NO_VIABLE):
            F.scaled_dot_product_attention(tq, tk, tv)
        with sdpa_kernel(SDPBackend.MATH):
            F.scaled_dot_product_attention(tq, tk, tv)
        assert not cuda.math_sdp_enabled()
    finally:
        cuda.enable_math_sdp(True)
        cuda.enable_flash_sdp(True)


def _flash_refusal(args, kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
            with pytest.raises(RuntimeError, match=f"^{NO_KERNEL}$"):
                F.scaled_dot_product_attention(*args, **kwargs)
    return [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


def _t(*shape, dtype=None):
    return torch.randn(*shape) if dtype is None else torch.ones(*shape, dtype=dtype)


@pytest.mark.parametrize("args, kwargs, reason", [
    ((_t(1, 2, 3, 4),) * 3, {"dropout_p": 0.5}, "Both fused kernels do not support non-zero dropout."),
    ((_t(3, 4),) * 3, {}, "All fused kernels requires query, key and value to be 4 dimensional, but got Query dim: "
                          "2, Key dim: 2, Value dim: 2 instead."),
    ((_t(2, 2, 3, 4), _t(1, 2, 3, 4), _t(1, 2, 3, 4)), {},
     "For dense inputs, both fused kernels require query, key and value to have the same batch_size. Got Query "
     "batch_size: 2, Key batch_size: 1, Value batch_size: 1 instead. To broadcast dense inputs"),
    ((_t(1, 4, 3, 4), _t(1, 2, 3, 4), _t(1, 2, 3, 4)), {},
     "For dense input, both fused kernels require query, key and value to have the same num_heads. Got Query "
     "num_heads: 4, Key num_heads: 2, Value num_heads: 2 instead."),
    ((_t(1, 3, 3, 4), _t(1, 2, 3, 4), _t(1, 2, 3, 4)), {"enable_gqa": True},
     "The number of heads in key/value must divide number of heads in query.Got Key num_heads: 2, Value "
     "num_heads: 2, Query num_heads: 3 instead."),
    ((_t(1, 2, 3, 4),) * 3, {"attn_mask": torch.zeros(2, 2, 3, 3)}, "Please use the following attn mask shapes"),
    ((_t(1, 2, 3, 4), _t(1, 2, 3, 4), _t(1, 2, 3, 5)), {},
     "Flash attention requires q,k,v to have the same last dimension. Got Query.size(-1): 4, Key.size(-1): 4, "
     "Value.size(-1): 5 instead."),
    ((_t(1, 2, 4, 3).transpose(-1, -2), _t(1, 2, 3, 4), _t(1, 2, 3, 4)), {},
     "All fused kernels require the last dimension of the input to have stride 1. Got Query.stride(-1): 3, "
     "Key.stride(-1): 1, Value.stride(-1): 1"),
    ((_t(1, 2, 3, 4, dtype=torch.int64),) * 3, {},
     "Expected query, key and value to all be of dtype: {Float, Double, BFloat16, Half}. Got Query dtype: long int, "
     "Key dtype: long int, and Value dtype: long int instead."),
])
def test_flash_only_refuses_what_the_cpu_flash_kernel_refuses(args, kwargs, reason):
    messages = _flash_refusal(args, kwargs)
    assert messages[0] == "Flash attention kernel not used because:"
    assert len(messages) == 2 and messages[1].startswith(reason)


def test_flash_refuses_a_mask_of_the_wrong_sequence_size_without_a_reason():
    q = torch.randn(1, 2, 3, 4)
    assert _flash_refusal((q, q, q), {"attn_mask": torch.zeros(2, 3)}) == ["Flash attention kernel not used because:"]


def test_flash_only_takes_empty_inputs():
    q, k = torch.randn(1, 2, 0, 4), torch.randn(1, 2, 3, 4)
    with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
        assert F.scaled_dot_product_attention(q, k, k, dropout_p=0.5).shape == (1, 2, 0, 4)


def test_input_errors_come_before_the_backend_check():
    q = torch.randn(1, 2, 3, 4)
    with sdpa_kernel([]):
        with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set when is_causal=True"):
            F.scaled_dot_product_attention(q, q, q, attn_mask=torch.zeros(3, 3), is_causal=True)


# --- torch.types --------------------------------------------------------------------------------

def test_types_aliases():
    from ferrotorch import types
    assert torch.types is types
    assert types.__all__ == ["Number", "Device", "FileLike"]
    assert all(isinstance(x, types.Number) for x in (1, 2.5, True)) and not isinstance("1", types.Number)
    assert all(isinstance(x, types.Device) for x in (torch.device("cpu"), "cpu", 0, None))
    assert not isinstance(1.0, types.Device)
    assert isinstance("model.pt", types.FileLike)
    assert types._dtype is torch.dtype and types._device is torch.device and types._layout is torch.layout
    assert types._Number == (int, float, bool) and types._int is int
    assert not hasattr(types, "Storage")
