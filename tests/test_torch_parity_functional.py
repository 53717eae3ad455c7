"""Regression tests for differences from PyTorch 2.15 found by a differential sweep of nn.functional.

Each test pins one behaviour a user's script can see: result dtype, exception class and message text
(PyTorch's literal text is the spec), empty-input handling, gradients, and the interpolate modes that
were missing (bicubic, 5-D nearest/trilinear/area). References are numpy loops, never PyTorch itself.
"""
import math
import re

import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch.autograd import gradcheck
from ferrotorch.nn import functional as F

from conftest import assert_close, from_numpy, to_numpy

RNG = np.random.default_rng(15)


def dev_tensor(a, device, requires_grad=False):
    x = from_numpy(a).to(device)
    return x.requires_grad_(True) if requires_grad else x


def raises(cls, text):
    """pytest.raises with the whole message matched literally."""
    return pytest.raises(cls, match="^" + re.escape(text) + "$")


# ----------------------------------------------------------------------------- activations
@pytest.mark.parametrize("name,kernel", [
    ("elu", "elu_cpu"), ("selu", "elu_cpu"), ("celu", "elu_cpu"), ("gelu", "GeluKernelImpl"),
    ("silu", "silu_cpu"), ("mish", "mish_cpu"), ("hardswish", "hardswish_cpu"),
    ("hardsigmoid", "hardsigmoid_cpu"), ("logsigmoid", "log_sigmoid_cpu"), ("softplus", "softplus_cpu"),
    ("hardshrink", "hardshrink_cpu"), ("softshrink", "softshrink_check"), ("leaky_relu", "leaky_relu_cpu"),
    ("rrelu", "leaky_relu_cpu"),
])
def test_float_only_activations_reject_integers(name, kernel):
    x = torch.tensor([[-2, 1, 3], [0, 7, -1]])
    with raises(NotImplementedError, f'"{kernel}" not implemented for \'Long\''):
        getattr(F, name)(x)


def test_bool_inputs_rejected():
    b = torch.tensor([True, False])
    with raises(NotImplementedError, "Boolean inputs not supported for relu"):
        F.relu(b)
    with raises(NotImplementedError, "Bool inputs not supported for hardtanh"):
        F.relu6(b)
    with raises(NotImplementedError, "\"threshold_cpu\" not implemented for 'Bool'"):
        F.threshold(b, 0, 1)


def test_softmax_integer_is_not_implemented_error():
    x = torch.tensor([[1, 2], [3, 4]])
    with raises(NotImplementedError, "\"softmax_lastdim_kernel_impl\" not implemented for 'Long'"):
        F.softmax(x, 1)
    with raises(NotImplementedError, "\"log_softmax_lastdim_kernel_impl\" not implemented for 'Long'"):
        F.log_softmax(x, -1)


def test_hardtanh_integer_stays_integer(device):
    a = np.array([[-2, 1, 3], [0, 7, -1]])
    x = dev_tensor(a, device)
    # Bounds are truncated to the input's integer type: (-0.5, 2.5) -> (0, 2).
    assert_close(F.hardtanh(x, -0.5, 2.5).cpu(), np.clip(a, 0, 2))
    assert_close(F.relu6(x).cpu(), np.clip(a, 0, 6))
    assert_close(F.hardtanh(x).cpu(), np.clip(a, -1, 1))


@pytest.mark.parametrize("dtype,top,name", [("float32", "3.40282e+38", "Float"),
                                            ("float64", "1.79769e+308", "Double")])
def test_softshrink_lambda_range_message(dtype, top, name):
    x = torch.ones(2, dtype=getattr(torch, dtype))
    with raises(RuntimeError, f"lambda must be in range [0, {top}] for input dtype {name}, but found -0.25"):
        F.softshrink(x, -0.25)
    with raises(RuntimeError, f"lambda must be in range [0, {top}] for input dtype {name}, but found -1"):
        F.softshrink(x, -1.0)


# ----------------------------------------------------------------------------- convolutions
@pytest.mark.parametrize("name,nd", [("conv1d", 1), ("conv2d", 2), ("conv3d", 3)])
def test_conv_argument_messages(name, nd):
    fn = getattr(F, name)
    x, w = torch.zeros(1, 3, *(5,) * nd), torch.zeros(4, 3, *(2,) * nd)
    with raises(RuntimeError, "non-positive stride is not supported"):
        fn(x, w, stride=0)
    with raises(RuntimeError, "non-positive groups is not supported"):
        fn(x, w, groups=0)
    shown = [1, 0] if nd == 1 else [0] * nd
    with raises(RuntimeError, f"dilation should be greater than zero, but got {shown}"):
        fn(x, w, dilation=0)
    with raises(RuntimeError, "weight should have at least three dimensions"):
        fn(x, torch.zeros(4, 3))


def test_conv1d_messages_show_1d_shapes():
    with raises(RuntimeError, "Given groups=1, weight of size [4, 3, 2], expected input[1, 2, 5] to have 3 "
                              "channels, but got 2 channels instead"):
        F.conv1d(torch.zeros(1, 2, 5), torch.zeros(4, 3, 2))
    with raises(RuntimeError, "Calculated padded input size per channel: (1). Kernel size: (2). Kernel size "
                              "can't be greater than actual input size"):
        F.conv1d(torch.zeros(1, 3, 1), torch.zeros(4, 3, 2))
    with raises(RuntimeError, "Given transposed=1, weight of size [3, 4, 2], expected input[1, 2, 5] to have 3 "
                              "channels, but got 2 channels instead"):
        F.conv_transpose1d(torch.zeros(1, 2, 5), torch.zeros(3, 4, 2))


@pytest.mark.parametrize("name,nd", [("conv_transpose1d", 1), ("conv_transpose2d", 2), ("conv_transpose3d", 3)])
def test_conv_transpose_argument_messages(name, nd):
    fn = getattr(F, name)
    x, w = torch.zeros(1, 3, *(3,) * nd), torch.zeros(3, 4, *(2,) * nd)
    with raises(TypeError, f"{name}(): argument 'padding' must be tuple of ints, not str"):
        fn(x, w, padding="same")
    with raises(RuntimeError, "negative padding is not supported"):
        fn(x, w, padding=-1)
    with raises(RuntimeError, "negative output_padding is not supported"):
        fn(x, w, output_padding=-1)
    with raises(RuntimeError, "non-positive stride is not supported"):
        fn(x, w, stride=0)
    with raises(RuntimeError, "non-positive groups is not supported"):
        fn(x, w, groups=0)
    names = {1: "dilation_height: 1, dilation_width: 0", 2: "dilation_height: 0, dilation_width: 0",
             3: "dilation_depth: 0, dilation_height: 0, dilation_width: 0"}[nd]
    with raises(RuntimeError, f"dilation should be greater than zero, but got {names}"):
        fn(x, w, dilation=0)


@pytest.mark.parametrize("name,wshape", [("conv2d", (4, 3, 3, 3)), ("conv_transpose2d", (3, 4, 3, 3)),
                                         ("conv3d", (4, 3, 2, 2, 2))])
def test_conv_empty_batch_gives_input_gradient(device, name, wshape):
    spatial = (5, 5, 5)[:len(wshape) - 2]
    x = dev_tensor(np.zeros((0, 3) + spatial), device, requires_grad=True)
    w = dev_tensor(RNG.standard_normal(wshape), device, requires_grad=True)
    out = getattr(F, name)(x, w)
    assert out.shape[0] == 0
    out.sum().backward()
    assert x.grad is not None and tuple(x.grad.shape) == (0, 3) + spatial
    assert_close(w.grad.cpu(), np.zeros(wshape))


# ----------------------------------------------------------------------------- pooling
@pytest.mark.parametrize("name,nd", [("max_pool2d", 2), ("max_pool3d", 3), ("avg_pool1d", 1), ("avg_pool2d", 2),
                                     ("avg_pool3d", 3)])
def test_pool_stride_and_pad_messages(name, nd):
    fn = getattr(F, name)
    x = torch.zeros(1, 2, *(5,) * nd)
    with raises(RuntimeError, "stride should not be zero"):
        fn(x, 2, stride=0)
    with raises(RuntimeError, "stride should not be zero"):
        fn(x, 0)
    with raises(RuntimeError, "pad must be non-negative, but got pad: -1"):
        fn(x, 3, padding=-1)
    with raises(RuntimeError, "pad should be at most half of effective kernel size, but got pad=2, kernel_size=3 "
                              "and dilation=1"):
        fn(x, 3, padding=2)


def test_pool_rank_messages():
    with raises(RuntimeError, "non-empty 3D or 4D (batch mode) tensor expected for input"):
        F.max_pool2d(torch.zeros(1, 2, 3, 4, 5), 2)
    with raises(RuntimeError, "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, "
                              "but got:[1, 0, 5, 5]"):
        F.max_pool2d(torch.zeros(1, 0, 5, 5), 2)
    with raises(RuntimeError, "non-empty 4D or 5D (batch mode) tensor expected for input"):
        F.avg_pool3d(torch.zeros(2, 2, 2), 2)
    with raises(RuntimeError, "avg_pool3d(): Expected input to have non-zero size for non-batch dimensions, but "
                              "input has sizes [1, 0, 5, 5, 5] with dimension 1 being empty"):
        F.avg_pool3d(torch.zeros(1, 0, 5, 5, 5), 2)
    with raises(RuntimeError, "max_pool2d: kernel_size must either be a single int, or a tuple of two ints"):
        F.max_pool2d(torch.zeros(1, 2, 5, 5), (2, 2, 2))
    with raises(RuntimeError, "avg_pool3d: kernel_size must be a single int, or a tuple of three ints"):
        F.avg_pool3d(torch.zeros(1, 2, 5, 5, 5), (2, 2, 2, 2))
    with raises(RuntimeError, "Expected 2 to 3 dimensions, but got 1-dimensional tensor for argument #1 'self' "
                              "(while checking arguments for avg_pool1d)"):
        F.avg_pool1d(torch.zeros(5), 2)
    with raises(RuntimeError, "avg_pool1d() argument 'kernel_size' should contain one int (got 2)"):
        F.avg_pool1d(torch.zeros(1, 2, 5), (2, 2))


def test_max_pool1d_messages():
    x = torch.zeros(1, 2, 5)
    cases = [
        (dict(kernel_size=0), "max_pool1d() kernel_size must be greater than zero, but got 0"),
        (dict(kernel_size=2, stride=0), "max_pool1d() stride must be greater than zero, but got 0"),
        (dict(kernel_size=3, padding=-1), "max_pool1d() padding must be non-negative, but got -1"),
        (dict(kernel_size=3, padding=2), "max_pool1d() padding should be at most half of kernel size, but got "
                                         "padding=2 and kernel_size=3"),
        (dict(kernel_size=2, dilation=0), "max_pool1d() dilation must be greater than zero, but got 0"),
        (dict(kernel_size=(2, 2)), "max_pool1d() kernel_size must be an int, list of ints or tuple of ints of "
                                   "size 1 but got size 2"),
    ]
    for kw, text in cases:
        with raises(RuntimeError, text):
            F.max_pool1d(x, **kw)
    with raises(RuntimeError, "max_pool1d() Invalid computed output size: 0"):
        F.max_pool1d(torch.zeros(1, 2, 2), 3)
    with raises(RuntimeError, "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size "
                              "for input, but got:[2]"):
        F.max_pool1d(torch.zeros(2), 2)


def test_max_pool3d_empty_batch(device):
    # Used to reach a Rust panic (an empty view with a storage offset); PyTorch returns an empty result.
    x = dev_tensor(np.zeros((0, 2, 5, 5, 5)), device, requires_grad=True)
    values, indices = F.max_pool3d(x, 2, return_indices=True)
    assert tuple(values.shape) == (0, 2, 2, 2, 2) and tuple(indices.shape) == (0, 2, 2, 2, 2)
    assert indices.dtype == torch.int64
    values.sum().backward()
    assert tuple(x.grad.shape) == (0, 2, 5, 5, 5)


@pytest.mark.parametrize("name,nd", [("adaptive_max_pool1d", 1), ("adaptive_max_pool2d", 2),
                                     ("adaptive_max_pool3d", 3)])
def test_adaptive_max_pool_zero_output(device, name, nd):
    x = dev_tensor(RNG.standard_normal((1, 2) + (5,) * nd), device, requires_grad=True)
    values, indices = getattr(F, name)(x, 0, return_indices=True)
    assert tuple(values.shape) == (1, 2) + (0,) * nd and indices.dtype == torch.int64
    values.sum().backward()
    assert_close(x.grad.cpu(), np.zeros((1, 2) + (5,) * nd))


def test_adaptive_pool_output_size_messages():
    x2, x3 = torch.zeros(1, 2, 5, 5), torch.zeros(1, 2, 5, 5, 5)
    with raises(RuntimeError, "adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 "
                              "but received {-1, -1}"):
        F.adaptive_avg_pool2d(x2, -1)
    with raises(RuntimeError, "adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 "
                              "but received {1, -1}"):
        F.adaptive_avg_pool1d(torch.zeros(1, 2, 5), -1)
    with raises(RuntimeError, "adaptive_avg_pool3d: elements of output_size must be greater than or equal to 0 "
                              "but received {-1, -1,-1}"):
        F.adaptive_avg_pool3d(x3, -1)
    with raises(RuntimeError, "Trying to create tensor with negative dimension -1: [1, 2, -1, -1]"):
        F.adaptive_max_pool2d(x2, -1)
    with raises(RuntimeError, "adaptive_avg_pool2d: output_size must be 2"):
        F.adaptive_avg_pool2d(x2, (2, 2, 2))
    with raises(RuntimeError, "adaptive_max_pool3d(): internal error: output_size.size() must be 3"):
        F.adaptive_max_pool3d(x3, (2, 2, 2, 2))
    with raises(RuntimeError, "adaptive_avg_pool1d() argument 'output_size' should contain one int (got 2)"):
        F.adaptive_avg_pool1d(torch.zeros(1, 2, 5), (2, 2))
    with raises(RuntimeError, "adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: [2, 2]"):
        F.adaptive_max_pool2d(torch.zeros(2, 2), 2)
    with raises(RuntimeError, "adaptive_max_pool2d(): Expected input to have non-zero size for non-batch "
                              "dimensions, but input has sizes [1, 0, 5, 5] with dimension 1 being empty"):
        F.adaptive_max_pool2d(torch.zeros(1, 0, 5, 5), 2)
    # 2-D adaptive average pooling accepts zero channels.
    assert tuple(F.adaptive_avg_pool2d(torch.zeros(1, 0, 5, 5), 2).shape) == (1, 0, 2, 2)


# ----------------------------------------------------------------------------- classification losses
@pytest.mark.parametrize("fn", [F.nll_loss, F.cross_entropy])
def test_class_target_dtype(fn):
    x = torch.zeros(3, 4)
    with raises(RuntimeError, "expected target dtype to be Long or Byte, but got Int"):
        fn(x, torch.tensor([1, 2, 0], dtype=torch.int32))
    with raises(RuntimeError, "expected target dtype to be Long or Byte, but got Float"):
        fn(x, torch.tensor([1.0, 2.0, 0.0]))
    logits = np.array([[0.5, -1.0, 2.0, 0.0], [1.0, 1.0, -3.0, 0.5], [0.0, 0.2, 0.1, -0.4]])
    target = np.array([1, 2, 0])
    got = fn(from_numpy(logits), torch.tensor(target.tolist(), dtype=torch.uint8))
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True)) if fn is F.cross_entropy else logits
    assert_close(got, -logp[np.arange(3), target].mean())


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_all_targets_ignored_gives_nan_loss_and_zero_gradient(device, smoothing):
    x = dev_tensor(RNG.standard_normal((3, 4)), device, requires_grad=True)
    target = dev_tensor(np.full(3, -100), device)
    loss = F.cross_entropy(x, target, label_smoothing=smoothing)
    assert math.isnan(loss.item())
    loss.backward()
    assert_close(x.grad.cpu(), np.zeros((3, 4)))


def test_partly_ignored_mean_gradient(device):
    logp = np.log(RNG.dirichlet(np.ones(4), 3))
    x = dev_tensor(logp, device, requires_grad=True)
    w = np.array([0.5, 2.0, 1.0, 3.0])
    loss = F.nll_loss(x, dev_tensor(np.array([1, -100, 3]), device), weight=dev_tensor(w, device))
    expect = -(w[1] * logp[0, 1] + w[3] * logp[2, 3]) / (w[1] + w[3])
    assert_close(loss.cpu(), expect)
    loss.backward()
    g = np.zeros((3, 4))
    g[0, 1], g[2, 3] = -w[1] / (w[1] + w[3]), -w[3] / (w[1] + w[3])
    assert_close(x.grad.cpu(), g)


# ----------------------------------------------------------------------------- interpolate and pad
def _keys(d, a=-0.75):
    """Keys' cubic convolution kernel at distance d."""
    d = abs(d)
    if d <= 1:
        return (a + 2) * d ** 3 - (a + 3) * d ** 2 + 1
    if d < 2:
        return a * d ** 3 - 5 * a * d ** 2 + 8 * a * d - 4 * a
    return 0.0


def _resample_matrix(n_in, n_out, kind, align_corners, scale=None):
    """(n_out, n_in) matrix of one separable resampling step, written from the definitions."""
    m = np.zeros((n_out, n_in))
    step = scale if scale is not None else n_in / n_out
    for j in range(n_out):
        if align_corners:
            src = j * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        else:
            src = (j + 0.5) * step - 0.5
        if kind == "cubic":
            base = math.floor(src)
            for tap in range(base - 1, base + 3):
                m[j, min(max(tap, 0), n_in - 1)] += _keys(src - tap)
        elif kind == "linear":
            src = max(src, 0.0)
            lo = min(int(math.floor(src)), n_in - 1)
            hi = min(lo + 1, n_in - 1)
            m[j, lo] += 1 - (src - lo)
            m[j, hi] += src - lo
        else:  # nearest: floor(j * in / out)
            m[j, min(int(math.floor(j * step)), n_in - 1)] = 1.0
    return m


def _apply_separable(x, mats):
    for axis, m in enumerate(mats):
        x = np.moveaxis(np.tensordot(m, np.moveaxis(x, 2 + axis, 0), axes=(1, 0)), 0, 2 + axis)
    return x


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("size", [(7, 3), (2, 9)])
def test_interpolate_bicubic(device, size, align_corners):
    a = RNG.standard_normal((2, 3, 5, 4))
    got = F.interpolate(dev_tensor(a, device), size=size, mode="bicubic", align_corners=align_corners)
    mats = [_resample_matrix(n, o, "cubic", align_corners) for n, o in zip(a.shape[2:], size)]
    assert_close(got.cpu(), _apply_separable(a, mats), atol=1e-10)


def test_interpolate_bicubic_scale_factor_and_gradient():
    a = RNG.standard_normal((1, 2, 4, 3))
    got = F.interpolate(from_numpy(a), scale_factor=1.5, mode="bicubic")
    mats = [_resample_matrix(4, 6, "cubic", False, 1 / 1.5), _resample_matrix(3, 4, "cubic", False, 1 / 1.5)]
    assert_close(got, _apply_separable(a, mats), atol=1e-10)
    x = from_numpy(RNG.standard_normal((1, 1, 3, 3))).requires_grad_(True)
    assert gradcheck(lambda v: F.interpolate(v, size=(4, 5), mode="bicubic", align_corners=False), (x,))


@pytest.mark.parametrize("align_corners", [False, True])
def test_interpolate_trilinear(device, align_corners):
    a = RNG.standard_normal((1, 2, 3, 4, 2))
    size = (5, 2, 3)
    got = F.interpolate(dev_tensor(a, device), size=size, mode="trilinear", align_corners=align_corners)
    mats = [_resample_matrix(n, o, "linear", align_corners) for n, o in zip(a.shape[2:], size)]
    assert_close(got.cpu(), _apply_separable(a, mats), atol=1e-10)


def test_interpolate_5d_nearest_area_and_gradient(device):
    a = RNG.standard_normal((1, 2, 4, 3, 2))
    x = dev_tensor(a, device)
    got = F.interpolate(x, size=(2, 5, 3), mode="nearest")
    mats = [_resample_matrix(n, o, "nearest", False) for n, o in zip(a.shape[2:], (2, 5, 3))]
    assert_close(got.cpu(), _apply_separable(a, mats))
    area = F.interpolate(x, size=(2, 1, 1), mode="area")
    assert_close(area.cpu(), a.reshape(1, 2, 2, 2, 3, 2).mean(axis=(3, 4, 5)).reshape(1, 2, 2, 1, 1))
    v = from_numpy(RNG.standard_normal((1, 1, 2, 2, 3))).requires_grad_(True)
    assert gradcheck(lambda t: F.interpolate(t, scale_factor=1.5, mode="trilinear"), (v,))


def test_interpolate_messages():
    x = torch.zeros(1, 1, 4, 4)
    with raises(NotImplementedError, "Input Error: Only 3D, 4D and 5D input Tensors supported (got 4D) for the "
                                     "modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | area | "
                                     "nearest-exact (got foo)"):
        F.interpolate(x, size=3, mode="foo")
    with raises(NotImplementedError, "Got 4D input, but trilinear mode needs 5D input"):
        F.interpolate(x, size=3, mode="trilinear")
    with pytest.raises(ValueError, match=re.escape("and output size of (2, 2, 2). Please provide")):
        F.interpolate(x, size=(2, 2, 2))
    with pytest.raises(ValueError, match=re.escape("and scale_factor of shape (2, 2, 2). Please provide")):
        F.interpolate(x, scale_factor=(2, 2, 2))


def test_pad_unsupported_size_message():
    with raises(NotImplementedError, "Padding size 2 is not supported for 1D input tensor."):
        F.pad(torch.zeros(5), (1, 1), mode="reflect")
    with raises(NotImplementedError, "Padding size 2 is not supported for 4D input tensor."):
        F.pad(torch.zeros(1, 2, 3, 4), (1, 1), mode="circular")
    # The constant mode pads any number of dims.
    assert_close(F.pad(torch.zeros(1, 2, 3, 4), (1, 1), value=2.0)[0, 0, 0], np.array([2.0, 0, 0, 0, 0, 2.0],
                                                                                         dtype=np.float32))
    assert to_numpy(F.pad(torch.ones(3), (0, 0))).shape == (3,)
