"""Convolution and pooling on integer and bool tensors: the dtypes PyTorch's CPU kernels compute (with
C++'s wrap-around and truncating division), and its NotImplementedError for the rest."""
import numpy as np
import pytest

import ferrotorch as torch
import ferrotorch.nn.functional as F
from conftest import DEVICES, assert_close, requires_gpu

INTS = ["int64", "int32", "int16", "int8", "uint8"]
NP_INT = {"int64": np.int64, "int32": np.int32, "int16": np.int16, "int8": np.int8, "uint8": np.uint8}
CPP = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _ints(shape, dtype, seed=0, low=-5, high=6):
    rng = np.random.default_rng(seed)
    low = 0 if dtype == "uint8" else low
    return rng.integers(low, high, size=shape).astype(NP_INT[dtype])


def _correlate2d(x, w, stride=(1, 1), padding=(0, 0)):
    """int64 reference of conv2d (N, C, H, W) x (O, C, kh, kw), no groups."""
    x = np.pad(x.astype(np.int64), ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    oh, ow = (h - kh) // stride[0] + 1, (wd - kw) // stride[1] + 1
    out = np.zeros((n, o, oh, ow), dtype=np.int64)
    for i in range(oh):
        for j in range(ow):
            win = x[:, :, i * stride[0]:i * stride[0] + kh, j * stride[1]:j * stride[1] + kw]
            out[:, :, i, j] = np.einsum("nchw,ochw->no", win, w.astype(np.int64))
    return out


def _not_implemented(kernel, dtype):
    return pytest.raises(NotImplementedError, match=f"\"{kernel}\" not implemented for '{CPP[dtype]}'")


# ----------------------------------------------------------------------------- convolutions

@pytest.mark.parametrize("dtype", INTS)
def test_conv2d_integers_match_a_wrapping_reference(dtype):
    x, w = _ints((2, 3, 5, 4), dtype), _ints((4, 3, 2, 3), dtype, seed=1)
    b = _ints((4,), dtype, seed=2)
    out = F.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b), stride=(1, 2), padding=1)
    ref = _correlate2d(x, w, (1, 2), (1, 1)) + b.astype(np.int64).reshape(1, 4, 1, 1)
    assert_close(out, ref.astype(NP_INT[dtype]))


def test_conv2d_int8_overflow_wraps_like_cpp():
    out = F.conv2d(torch.full((1, 4, 1, 1), 10, dtype=torch.int8), torch.full((1, 4, 1, 1), 10, dtype=torch.int8))
    assert out.item() == -112  # 400 mod 256, as a signed byte


def test_conv1d_and_conv3d_take_integers():
    x, w = _ints((1, 2, 6), "int32"), _ints((3, 2, 3), "int32", seed=1)
    out = F.conv1d(torch.tensor(x), torch.tensor(w))
    assert_close(out, _correlate2d(x[:, :, None], w[:, :, None])[:, :, 0].astype(np.int32))
    x3, w3 = _ints((1, 1, 3, 3, 3), "int16"), _ints((2, 1, 2, 2, 2), "int16", seed=1)
    out3 = F.conv3d(torch.tensor(x3), torch.tensor(w3))
    ref3 = np.zeros((1, 2, 2, 2, 2), dtype=np.int64)
    for d in range(2):
        for kd in range(2):
            ref3[:, :, d] += _correlate2d(x3[:, :, d + kd], w3[:, :, kd])
    assert_close(out3, ref3.astype(np.int16))


def test_conv_on_bool_is_not_implemented():
    x, w = torch.ones(1, 1, 3, 3, dtype=torch.bool), torch.ones(1, 1, 2, 2, dtype=torch.bool)
    with _not_implemented("slow_conv2d_cpu", "bool"):
        F.conv2d(x, w)
    with _not_implemented("slow_conv2d_cpu", "bool"):
        F.conv1d(x[:, :, 0], w[:, :, 0])
    with _not_implemented("compute_columns3d", "bool"):
        F.conv3d(x.unsqueeze(2), w.unsqueeze(2))


def test_conv_transpose2d_int64_matches_a_scatter_reference():
    x, w = _ints((1, 2, 3, 3), "int64"), _ints((2, 3, 2, 2), "int64", seed=1)
    out = F.conv_transpose2d(torch.tensor(x), torch.tensor(w), stride=2)
    ref = np.zeros((1, 3, 6, 6), dtype=np.int64)
    for i in range(3):
        for j in range(3):
            ref[:, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2] += np.einsum("nc,cohw->nohw", x[:, :, i, j], w)
    assert_close(out, ref)


@pytest.mark.parametrize("dtype", ["int32", "int16", "int8", "uint8", "bool"])
def test_conv_transpose_takes_only_floats_and_int64(dtype):
    x = torch.ones(1, 1, 2, 2, dtype=getattr(torch, dtype))
    w = torch.ones(1, 1, 2, 2, dtype=getattr(torch, dtype))
    with _not_implemented("slow_conv_transpose2d_out_cpu", dtype):
        F.conv_transpose2d(x, w)
    with _not_implemented("slow_conv_transpose2d_out_cpu", dtype):
        F.conv_transpose1d(x[:, :, 0], w[:, :, 0])
    with _not_implemented("slow_conv_transpose3d_out_cpu", dtype):
        F.conv_transpose3d(x.unsqueeze(2), w.unsqueeze(2))


def test_unfold_takes_bool_but_not_integers():
    x = np.random.default_rng(0).random((1, 2, 3, 4)) > 0.5
    cols = F.unfold(torch.tensor(x), 2)
    # Row (channel, kernel row, kernel column), column (window row, window column).
    ref = np.array([[x[0, c, i + ki, j + kj] for i in range(2) for j in range(3)]
                    for c in range(2) for ki in range(2) for kj in range(2)])
    assert cols.dtype == torch.bool
    assert_close(cols, ref[None])
    with _not_implemented("im2col_out_cpu", "int64"):
        F.unfold(torch.ones(1, 1, 3, 3, dtype=torch.int64), 2)
    with _not_implemented("col2im_out_cpu", "int32"):
        F.fold(torch.ones(1, 4, 4, dtype=torch.int32), (3, 3), 2)


# ----------------------------------------------------------------------------- max pooling

def _max_pool2d_ref(x, k, pad):
    lowest = np.iinfo(x.dtype).min
    xp = np.pad(x, ((0, 0), (0, 0), (pad,) * 2, (pad,) * 2), constant_values=lowest)
    oh, ow = (xp.shape[2] - k) // k + 1, (xp.shape[3] - k) // k + 1
    return np.array([[[[xp[n, c, i * k:i * k + k, j * k:j * k + k].max() for j in range(ow)] for i in range(oh)]
                      for c in range(x.shape[1])] for n in range(x.shape[0])], dtype=x.dtype)


@pytest.mark.parametrize("dtype", INTS)
def test_max_pool2d_and_3d_take_every_integer_dtype(dtype):
    x = _ints((2, 3, 5, 5), dtype, low=-100, high=100)
    assert_close(F.max_pool2d(torch.tensor(x), 2, padding=1), _max_pool2d_ref(x, 2, 1))
    # 3-D with depth padding: the padded slices must never win, whatever the dtype's range.
    x3 = _ints((1, 2, 3, 3, 3), dtype, low=-100, high=100)
    out = F.max_pool3d(torch.tensor(x3), 2, padding=1)
    xp = np.pad(x3, ((0, 0), (0, 0), (1, 1), (1, 1), (1, 1)), constant_values=np.iinfo(x3.dtype).min)
    ref = xp[:, :, :4, :4, :4].reshape(1, 2, 2, 2, 2, 2, 2, 2).max(axis=(3, 5, 7))
    assert_close(out, ref)


def test_max_pool1d_on_integers_needs_the_indices_path():
    x = torch.tensor([[3, 1, 4, 1, 5, 9]])
    values, indices = F.max_pool1d(x, 2, return_indices=True)
    assert values.tolist() == [[3, 4, 9]] and indices.tolist() == [[0, 2, 5]]
    with _not_implemented("max_pool1d_impl", "int64"):
        F.max_pool1d(x, 2)


def test_max_pool_on_bool_is_not_implemented():
    x = torch.ones(1, 1, 2, 2, 2, dtype=torch.bool)
    with _not_implemented("max_pool2d", "bool"):
        F.max_pool2d(x[0], 2)
    with _not_implemented("max_pool3d", "bool"):
        F.max_pool3d(x, 2)


# ----------------------------------------------------------------------------- average pooling

def test_avg_pool_int64_truncates_toward_zero():
    x = -torch.arange(16).reshape(1, 1, 4, 4)
    assert F.avg_pool2d(x, 2).flatten().tolist() == [-2, -4, -10, -12]
    assert F.avg_pool2d(-x, 2, divisor_override=3).flatten().tolist() == [3, 6, 14, 16]
    assert F.avg_pool2d(x, 2).dtype == torch.int64
    assert F.avg_pool1d(torch.tensor([[-3, 0, 5, 2]]), 2).tolist() == [[-1, 3]]
    x3 = torch.arange(27).reshape(1, 3, 3, 3)
    # count_include_pad=False: a corner window holds one real cell, the centre one eight.
    out = F.avg_pool3d(x3, 2, stride=2, padding=1, count_include_pad=False)
    ref = np.zeros((1, 2, 2, 2), dtype=np.int64)
    xp = np.pad(np.arange(27).reshape(3, 3, 3), 1, constant_values=0)
    mp = np.pad(np.ones((3, 3, 3), dtype=np.int64), 1)
    for d in range(2):
        for i in range(2):
            for j in range(2):
                s = xp[2 * d:2 * d + 2, 2 * i:2 * i + 2, 2 * j:2 * j + 2].sum()
                c = mp[2 * d:2 * d + 2, 2 * i:2 * i + 2, 2 * j:2 * j + 2].sum()
                ref[0, d, i, j] = int(s / c)
    assert_close(out, ref.astype(np.int64))


@pytest.mark.parametrize("dtype", ["int32", "int16", "int8", "uint8", "bool"])
def test_avg_pool_takes_only_floats_and_int64(dtype):
    x = torch.ones(1, 1, 2, 2, 2, dtype=getattr(torch, dtype))
    with _not_implemented("avg_pool2d", dtype):
        F.avg_pool2d(x[0], 2)
    with _not_implemented("avg_pool2d", dtype):
        F.avg_pool1d(x[0, 0], 2)
    with _not_implemented("avg_pool3d_out_frame", dtype):
        F.avg_pool3d(x, 2)


@pytest.mark.parametrize("dtype, cpp", [("float16", "Half"), ("bfloat16", "BFloat16")])
def test_avg_pool3d_has_no_half_precision_cpu_kernel(dtype, cpp):
    x = torch.ones(1, 1, 2, 2, 2, dtype=getattr(torch, dtype))
    with pytest.raises(NotImplementedError, match=f"\"avg_pool3d_out_frame\" not implemented for '{cpp}'"):
        F.avg_pool3d(x, 2)
    assert F.avg_pool2d(x[0], 2).tolist() == [[[[1.0]], [[1.0]]]]  # the 2-D kernel takes them


@pytest.mark.parametrize("dtype", ["int64", "uint8", "bool"])
def test_adaptive_pooling_takes_only_floats(dtype):
    x = torch.ones(1, 1, 4, 4, 4, dtype=getattr(torch, dtype))
    with _not_implemented("adaptive_avg_pool2d", dtype):
        F.adaptive_avg_pool2d(x[0], 2)
    with _not_implemented("adaptive_avg_pool2d", dtype):
        F.adaptive_avg_pool1d(x[0, 0], 2)
    with _not_implemented("adaptive_max_pool2d", dtype):
        F.adaptive_max_pool2d(x[0], 2)
    with _not_implemented("adaptive_max_pool2d", dtype):
        F.adaptive_max_pool1d(x[0, 0], 2)
    with _not_implemented("adaptive_max_pool3d_cpu", dtype):
        F.adaptive_max_pool3d(x, 2)
    with _not_implemented("adaptive_avg_pool3d_cpu", dtype):
        F.adaptive_avg_pool3d(x, 2)
    with _not_implemented("adaptive_avg_pool3d_cpu", dtype):
        F.adaptive_avg_pool3d(x, (1, 1, None))  # a None size is not the mean fast path


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", ["int32", "bool"])
def test_adaptive_average_to_ones_is_a_mean_without_an_integer_result(device, dtype):
    x = torch.ones(1, 2, 2, 2, dtype=getattr(torch, dtype), device=device)
    message = (f"mean\\(\\): could not infer output dtype. Input dtype must be either a floating point or complex "
               f"dtype. Got: {CPP[dtype]}")
    for call in (lambda: F.adaptive_avg_pool2d(x[0], 1), lambda: F.adaptive_avg_pool1d(x[0, 0], [1]),
                 lambda: F.adaptive_avg_pool3d(x, (1, 1, 1))):
        with pytest.raises(NotImplementedError, match=message):
            call()


# ----------------------------------------------------------------------------- devices

def test_integer_argument_errors_come_before_dtype_errors():
    x = torch.ones(1, 1, 2, 2, dtype=torch.int32)
    with pytest.raises(RuntimeError, match="Output size is too small"):
        F.avg_pool2d(x, 3)
    with pytest.raises(RuntimeError, match="stride should not be zero"):
        F.avg_pool2d(x, 2, stride=0)


@requires_gpu
def test_gpu_integer_convolution_is_not_implemented():
    # WGSL has no 64-bit integers and our GPU im2col/max-pool kernels are float-only.
    x = torch.ones(1, 1, 3, 3, dtype=torch.int32, device="gpu")
    with pytest.raises(NotImplementedError, match="im2col_out_cuda"):
        F.conv2d(x, torch.ones(1, 1, 2, 2, dtype=torch.int32, device="gpu"))
    with pytest.raises(NotImplementedError, match="max_pool2d_cuda"):
        F.max_pool2d(x, 2)
    # The averaging matrices would truncate to zero: refused like PyTorch's CUDA kernel.
    with pytest.raises(NotImplementedError, match="\"adaptive_avg_pool2d_cuda\" not implemented for 'Int'"):
        F.adaptive_avg_pool2d(x, 2)
    # Adaptive max pooling is composed from max(), which would compute; PyTorch's CUDA kernels refuse.
    with pytest.raises(NotImplementedError, match="\"adaptive_max_pool2d_cuda\" not implemented for 'Int'"):
        F.adaptive_max_pool2d(x, 2)
    with pytest.raises(NotImplementedError, match="\"adaptive_max_pool2d_cuda\" not implemented for 'Int'"):
        F.adaptive_max_pool1d(x[0], 2)
    with pytest.raises(NotImplementedError, match="\"adaptive_max_pool3d_cuda\" not implemented for 'Int'"):
        F.adaptive_max_pool3d(x.unsqueeze(0), 1)
    assert F.adaptive_max_pool2d(x.float(), 2).dtype == torch.float32


@requires_gpu
@pytest.mark.parametrize("dtype, cpp", [("bool", "Bool"), ("int32", "Int")])
def test_gpu_max_pool3d_on_non_floats_is_not_implemented(dtype, cpp):
    x = torch.ones(1, 1, 2, 2, 2, dtype=getattr(torch, dtype), device="gpu")
    with pytest.raises(NotImplementedError, match=f"\"max_pool3d_with_indices_out_frame\" not implemented for '{cpp}'"):
        F.max_pool3d(x, 2, padding=1)
