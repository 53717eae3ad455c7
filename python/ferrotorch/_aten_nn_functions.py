"""Neural-net ops PyTorch exposes at the top level (`torch.conv2d`, `torch.dropout`, `torch.kl_div`, ...)
besides `nn.functional`, with their ATen signatures.

Where the ATen op and the functional one are the same function in PyTorch (conv1d, pixel_shuffle,
cosine_similarity, ...), this module re-exports ferrotorch's functional form. The others are thin
adapters: dropout takes `(input, p, train)` with no defaults, the losses take `reduction` as an int
(0 none, 1 mean, 2 sum; any other value none, as ATen), grid_sampler takes its modes as ints, and the
pooling ops take no `return_indices`. Normalisation and embedding live in `_aten_nn_norms`.

    >>> import ferrotorch as torch
    >>> torch.hinge_embedding_loss(torch.tensor([0.5, 2.0]), torch.tensor([1.0, -1.0]), 1.0, 2).item()
    0.5
"""
from . import _C
from ._aten_nn_norms import *  # noqa: F401,F403
from ._aten_nn_norms import __all__ as _norms_all
from ._attach import method_of
from ._shape_functions import broadcast_tensors
from .nn._functional import activation as _act
from .nn._functional import dropout as _drop
from .nn._functional import loss as _loss
from .nn._functional import pooling as _pool
from .nn._functional import sampling as _sampling
from .nn._functional import vision as _vision
from .nn._functional.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d
from .nn._functional.conv3d import conv3d, conv_transpose3d
from .nn._functional.distance import cosine_similarity, pairwise_distance, pdist
from .nn._functional.linear import bilinear
from .nn._functional.loss_ctc import ctc_loss as _ctc_loss
from .nn._functional.pooling3d import max_pool3d as _max_pool3d
# The same functions as their nn.functional forms in PyTorch too.
from .nn._functional.activation import celu_, hardshrink, prelu, selu_, threshold_
from .nn._functional.pooling import adaptive_avg_pool1d, avg_pool1d
from .nn._functional.sampling import pixel_shuffle, pixel_unshuffle
from .nn._functional.vision import channel_shuffle, native_channel_shuffle

__all__ = list(_norms_all) + [
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "convolution",
    "conv_tbc", "dropout", "dropout_", "alpha_dropout", "alpha_dropout_", "feature_dropout", "feature_dropout_",
    "feature_alpha_dropout", "feature_alpha_dropout_", "max_pool1d", "max_pool2d", "max_pool3d",
    "max_pool1d_with_indices", "avg_pool1d", "adaptive_avg_pool1d", "adaptive_max_pool1d", "pixel_shuffle",
    "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle", "prelu", "selu", "selu_", "celu", "celu_",
    "rrelu", "rrelu_", "threshold", "threshold_", "hardshrink", "bilinear", "cosine_similarity",
    "pairwise_distance", "pdist", "kl_div", "triplet_margin_loss", "margin_ranking_loss", "hinge_embedding_loss",
    "poisson_nll_loss", "cosine_embedding_loss", "binary_cross_entropy_with_logits", "ctc_loss", "constant_pad_nd",
    "grid_sampler", "grid_sampler_2d", "grid_sampler_3d", "affine_grid_generator",
]

# ----------------------------------------------------------------------------- convolution


def convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups):
    """The convolution (or, with `transposed`, transposed convolution) of as many spatial dims as
    weight has beyond its first two; every argument is required, as in ATen."""
    n = weight.dim() - 2
    if not transposed:
        return (conv1d, conv2d, conv3d)[n - 1](input, weight, bias, stride, padding, dilation, groups)
    conv_t = (conv_transpose1d, conv_transpose2d, conv_transpose3d)[n - 1]
    return conv_t(input, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_tbc(self, weight, bias, pad=0):
    """1-D convolution in (time, batch, channel) layout: input (T, B, C_in), weight (K, C_in, C_out),
    bias (C_out,); output (T + 2*pad - K + 1, B, C_out).

        >>> import ferrotorch as torch
        >>> torch.conv_tbc(torch.ones(3, 1, 1), torch.ones(2, 1, 1), torch.zeros(1)).flatten().tolist()
        [2.0, 2.0]
    """
    if self.dim() != 3:
        raise RuntimeError("Input must have 3 dims: time, batch, in_channel")
    if weight.dim() != 3:
        raise RuntimeError("Weight tensor must have 3 dims: kernel_width, in_channels, out_channels.")
    if bias.dim() != 1:
        raise RuntimeError("Bias must have 1 dim: out_channels")
    if self.shape[2] != weight.shape[1]:
        raise RuntimeError("Input dim 2 (input channels) is not == dim 1 in the weight tensor")
    if weight.shape[2] != bias.shape[0]:
        raise RuntimeError("Bias size must equal dim 2 in the weight tensor (output channels).")
    out = conv1d(self.permute(1, 2, 0), weight.permute(2, 1, 0), bias, 1, pad)
    return out.permute(2, 0, 1)

# ----------------------------------------------------------------------------- dropout


def _check_p(p):
    # ATen's check raises RuntimeError (nn.functional's own raises ValueError).
    if p < 0.0 or p > 1.0:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input, p, train):
    """Zeroes each element with probability p and scales the rest by 1 / (1 - p) when `train`."""
    _check_p(p)
    return _drop._dropout_impl(input, p, train, False, feature=False)


def dropout_(self, p, train):
    """In-place `dropout`."""
    _check_p(p)
    return _drop._dropout_impl(self, p, train, True, feature=False)


def feature_dropout(input, p, train):
    """Dropout of whole channels: one draw per (dim 0, dim 1) pair of input (at least 2-D)."""
    _check_p(p)
    return _drop._dropout_impl(input, p, train, False, feature=True)


def feature_dropout_(self, p, train):
    """In-place `feature_dropout`."""
    _check_p(p)
    return _drop._dropout_impl(self, p, train, True, feature=True)


def alpha_dropout(input, p, train):
    """Dropout for SELU networks (`nn.functional.alpha_dropout`), with ATen's required arguments."""
    _check_p(p)
    return _drop._alpha_dropout_impl(input, p, train, False, feature=False)


def alpha_dropout_(self, p, train):
    """In-place `alpha_dropout`."""
    _check_p(p)
    return _drop._alpha_dropout_impl(self, p, train, True, feature=False)


def feature_alpha_dropout(input, p, train):
    """Alpha dropout of whole channels (dim 1)."""
    _check_p(p)
    return _drop._alpha_dropout_impl(input, p, train, False, feature=True)


def feature_alpha_dropout_(self, p, train):
    """In-place `feature_alpha_dropout`."""
    _check_p(p)
    return _drop._alpha_dropout_impl(self, p, train, True, feature=True)

# ----------------------------------------------------------------------------- pooling
# ATen's `stride=[]` (an empty list) means "the kernel size", which the functional forms spell None.


def _stride(stride):
    return None if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else stride


def max_pool1d(self, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """1-D max pooling of (N, C, L) or (C, L); no return_indices (see `max_pool1d_with_indices`)."""
    return _pool.max_pool1d(self, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool1d_with_indices(self, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """(values, indices) of 1-D max pooling; indices count positions along the length."""
    return _pool.max_pool1d_with_indices(self, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool2d(self, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """2-D max pooling of (N, C, H, W) or (C, H, W)."""
    return _pool.max_pool2d(self, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool3d(self, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """3-D max pooling of (N, C, D, H, W) or (C, D, H, W)."""
    return _max_pool3d(self, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def adaptive_max_pool1d(self, output_size):
    """(values, indices) of 1-D adaptive max pooling: ATen always returns both."""
    return _pool.adaptive_max_pool1d(self, output_size, True)

# ----------------------------------------------------------------------------- activations


def selu(self):
    """scale * elu(x, alpha) with SELU's constants."""
    return _act.selu(self)


def celu(self, alpha=1.0):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    return _act.celu(self, alpha)


def threshold(self, threshold, value):
    """x where x > threshold, else value."""
    return _act.threshold(self, threshold, value)


def _rrelu(input, lower, upper, training, generator, inplace):
    if not training:
        return _act.leaky_relu(input, (lower + upper) / 2, inplace)
    _act._float_only(input, "leaky_relu_cpu")
    slope = _C.empty_like(input, requires_grad=False).uniform_(lower, upper, generator=generator)
    # The slope only scales the negative part: positive elements pass unchanged.
    slope = _C.where(input.detach() > 0, 1.0, slope)
    return input.mul_(slope) if inplace else input * slope


def rrelu(self, lower=0.125, upper=1.0 / 3, training=False, generator=None):
    """x if x > 0 else a * x, a ~ U(lower, upper) per element in training (drawn from `generator`),
    a = (lower + upper) / 2 otherwise."""
    return _rrelu(self, lower, upper, training, generator, False)


def rrelu_(self, lower=0.125, upper=1.0 / 3, training=False, generator=None):
    """In-place `rrelu`."""
    return _rrelu(self, lower, upper, training, generator, True)

# ----------------------------------------------------------------------------- losses


def _reduction(reduction):
    # ATen's Reduction enum; any other value leaves the loss unreduced, as ATen's apply_loss_reduction.
    return {1: "mean", 2: "sum"}.get(reduction, "none")


def kl_div(self, target, reduction=1, *, log_target=False):
    """target * (log(target) - self) pointwise (self holds log-probabilities); mean reduction averages
    over every element (nn.functional's 'batchmean' has no ATen code)."""
    loss = _loss.kl_div(self, target, reduction="none", log_target=log_target)
    mode = _reduction(reduction)
    return loss.mean() if mode == "mean" else loss.sum() if mode == "sum" else loss


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-06, swap=False, reduction=1):
    """max(d(a, p) - d(a, n) + margin, 0) with p-norm distances."""
    return _loss.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                     reduction=_reduction(reduction))


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=1):
    """max(0, -target * (input1 - input2) + margin)."""
    return _loss.margin_ranking_loss(input1, input2, target, margin, reduction=_reduction(reduction))


def hinge_embedding_loss(self, target, margin=1.0, reduction=1):
    """self where target is 1, max(0, margin - self) where it is -1."""
    return _loss.hinge_embedding_loss(self, target, margin, reduction=_reduction(reduction))


def poisson_nll_loss(input, target, log_input, full, eps, reduction):
    """Poisson negative log-likelihood; every argument required, as in ATen."""
    return _loss.poisson_nll_loss(input, target, log_input, full, eps=eps, reduction=_reduction(reduction))


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=1):
    """1 - cos(x1, x2) where target is 1, max(0, cos(x1, x2) - margin) where it is -1."""
    return _loss.cosine_embedding_loss(input1, input2, target, margin, reduction=_reduction(reduction))


def binary_cross_entropy_with_logits(self, target, weight=None, pos_weight=None, reduction=1):
    """Binary cross entropy of sigmoid(self), computed stably from the logits. Unlike the functional
    form, ATen broadcasts self to target's shape instead of requiring equal shapes."""
    if tuple(self.shape) != tuple(target.shape):
        target_b, self_b = broadcast_tensors(target, self)
        if tuple(target_b.shape) != tuple(target.shape):
            raise RuntimeError(f"output with shape {list(target.shape)} doesn't match the broadcast shape "
                               f"{list(target_b.shape)}")
        self = self_b
    return _loss.binary_cross_entropy_with_logits(self, target, weight, reduction=_reduction(reduction),
                                                  pos_weight=pos_weight)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=1, zero_infinity=False):
    """Connectionist temporal classification loss (`nn.functional.ctc_loss`), reduction as an int."""
    return _ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, _reduction(reduction), zero_infinity)

# ----------------------------------------------------------------------------- padding and sampling


def constant_pad_nd(self, pad, value=0):
    """Pads (negative amounts crop) the last len(pad)//2 dims with `value`; pad lists (left, right) pairs
    from the last dim."""
    pad = [int(v) for v in pad]
    if len(pad) % 2 != 0:
        raise RuntimeError(f"Length of pad must be even but instead it equals {len(pad)}")
    if len(pad) // 2 > self.dim():
        raise RuntimeError(f"Length of pad should be no more than twice the number of dimensions of the input. "
                           f"Pad length is {len(pad)}while the input has {self.dim()}dimensions.")
    return _sampling.pad(self, pad, "constant", value)


_INTERPOLATION = ("bilinear", "nearest", "bicubic")
_PADDING = ("zeros", "border", "reflection")


def _grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners, ndim=None):
    if ndim is not None and (input.dim() != ndim or grid.dim() != ndim):
        raise RuntimeError(f"grid_sampler(): expected {ndim}D input and grid with same number of dimensions, but "
                           f"got input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}")
    # ATen reads an out-of-range code as undefined behaviour; refusing it is the honest equivalent.
    if interpolation_mode not in (0, 1, 2) or padding_mode not in (0, 1, 2):
        raise RuntimeError(f"grid_sampler(): expected interpolation_mode and padding_mode in 0, 1, 2, but got "
                           f"{interpolation_mode} and {padding_mode}")
    return _vision.grid_sample(input, grid, _INTERPOLATION[interpolation_mode], _PADDING[padding_mode],
                               bool(align_corners))


def grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners):
    """`nn.functional.grid_sample` with int modes: interpolation 0 bilinear, 1 nearest, 2 bicubic;
    padding 0 zeros, 1 border, 2 reflection."""
    return _grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners)


def grid_sampler_2d(input, grid, interpolation_mode, padding_mode, align_corners):
    """`grid_sampler` for 4-D input and grid only."""
    return _grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners, 4)


def grid_sampler_3d(input, grid, interpolation_mode, padding_mode, align_corners):
    """`grid_sampler` for 5-D input and grid only."""
    return _grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners, 5)


def affine_grid_generator(theta, size, align_corners):
    """`nn.functional.affine_grid` with `align_corners` required."""
    if len(size) not in (4, 5):
        raise RuntimeError("AffineGridGenerator needs 4d (spatial) or 5d (volumetric) inputs.")
    return _vision.affine_grid(theta, size, bool(align_corners))


# PyTorch's Tensor has these two as methods too.
for _name, _fn in (("hardshrink", hardshrink), ("prelu", prelu)):
    if not hasattr(_C.Tensor, _name):
        method_of(_fn, _name)
