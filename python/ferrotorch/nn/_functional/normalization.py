"""Normalisation layers' functional forms, composed from reductions and elementwise ops.

Each normalises with the biased variance (as PyTorch does); every op records its own gradient, so the
backward pass needs no special formula (`_var_mean` gets mean and variance in one reduction). A fused
kernel (statistics, normalisation and affine in one pass, with a closed-form backward) would save the
intermediate tensors and graph nodes but not change the results.
"""
import math

from ... import _C
from ..._elementwise import _scalar_name
from ...autograd.grad_mode import no_grad

__all__ = ["batch_norm", "instance_norm", "layer_norm", "group_norm", "rms_norm", "local_response_norm"]

# finfo(dtype).eps for the floating dtypes ferrotorch has (rms_norm's default eps).
# A complex dtype's is its parts'.
_EPS = {"float16": 2.0 ** -10, "bfloat16": 2.0 ** -7, "float32": 2.0 ** -23, "float64": 2.0 ** -52,
        "complex64": 2.0 ** -23, "complex128": 2.0 ** -52}


def _refuse_complex(input, kernel):
    # PyTorch's batch, instance, layer and group norm kernels are real-only (rms_norm is composed
    # there too, and takes complex input).
    if input.dtype.is_complex:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_scalar_name(input.dtype)}'")


def _size_str(shape):
    return "torch.Size([" + ", ".join(str(s) for s in shape) + "])"


def _list_str(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _channel_shape(input):
    # (1, C, 1, ..., 1): broadcasts a per-channel vector against (N, C, *).
    return (1, input.shape[1]) + (1,) * (input.dim() - 2)


def _affine(x, weight, bias, shape=None):
    if weight is not None:
        x = x * (weight if shape is None else weight.reshape(shape))
    if bias is not None:
        x = x + (bias if shape is None else bias.reshape(shape))
    return x


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
               eps=1e-5):
    """Normalises each channel (dim 1) over the batch and spatial dims.

    In training, batch statistics are used and, when given, `running_mean`/`running_var` are updated in
    place as `(1 - momentum) * running + momentum * batch` (the unbiased variance, as PyTorch); in
    evaluation the running statistics are used.

        >>> import ferrotorch as torch
        >>> x = torch.tensor([[1.0], [3.0]])
        >>> torch.nn.functional.batch_norm(x, None, None, training=True).tolist()
        [[-0.9999949932098389], [0.9999949932098389]]
    """
    if input.dim() < 2:
        raise ValueError(f"expected 2D or higher input (got {input.dim()}D input)")
    c = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")
    _refuse_complex(input, "batch_norm")
    shape = _channel_shape(input)
    if training:
        n = input.numel() // c if c else 0
        if n == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"{_size_str(input.shape)}")
        dims = [0] + list(range(2, input.dim()))
        if n > 0:
            var, mean = input._var_mean(dims, correction=0, keepdim=True)
        else:  # an empty batch: no statistics (and the output is empty whatever they are)
            var = mean = input.new_zeros(shape)
        if n > 0 and (running_mean is not None or running_var is not None):
            # The update is state, not part of the model's function: keep it out of the graph.
            with no_grad():
                if running_mean is not None:
                    running_mean.mul_(1.0 - momentum).add_(mean.detach().reshape(c) * momentum)
                if running_var is not None:
                    unbiased = var.detach().reshape(c) * (n / (n - 1))
                    running_var.mul_(1.0 - momentum).add_(unbiased * momentum)
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
        mean = running_mean.reshape(shape)
        var = running_var.reshape(shape)
    out = (input - mean) * (var + eps).rsqrt()
    return _affine(out, weight, bias, shape)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Normalises each channel of each sample over its spatial dims (2:). With `use_input_stats` the
    per-instance statistics are used and, when given, the running statistics are updated with their
    average over the batch; otherwise the running statistics are used."""
    if input.dim() < 2:
        raise ValueError(f"expected 2D or higher input (got {input.dim()}D input)")
    c = input.shape[1]
    _refuse_complex(input, "batch_norm")
    shape = _channel_shape(input)
    if use_input_stats:
        n = math.prod(input.shape[2:])
        if n == 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                             f"{_size_str(input.shape)}")
        var, mean = input._var_mean(list(range(2, input.dim())), correction=0, keepdim=True)
        if input.numel() > 0 and (running_mean is not None or running_var is not None):
            with no_grad():  # state, not part of the graph
                if running_mean is not None:
                    batch_mean = mean.detach().reshape(input.shape[0], c).mean(0)
                    running_mean.mul_(1.0 - momentum).add_(batch_mean * momentum)
                if running_var is not None:
                    batch_var = var.detach().reshape(input.shape[0], c).mean(0) * (n / (n - 1))
                    running_var.mul_(1.0 - momentum).add_(batch_var * momentum)
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false")
        mean, var = running_mean.reshape(shape), running_var.reshape(shape)
    out = (input - mean) * (var + eps).rsqrt()
    return _affine(out, weight, bias, shape)


def _norm_dims(input, normalized_shape, star="*, "):
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    if k == 0 or input.dim() < k or tuple(input.shape[input.dim() - k:]) != normalized_shape:
        raise RuntimeError(f"Given normalized_shape={_list_str(normalized_shape)}, expected input with shape "
                           f"[{star}{', '.join(str(s) for s in normalized_shape)}], but got input of size"
                           f"{_list_str(input.shape)}")
    return list(range(input.dim() - k, input.dim()))


def _as_shape(normalized_shape):
    return (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalises over the trailing `normalized_shape` dims, then applies the elementwise affine.

        >>> import ferrotorch as torch
        >>> torch.nn.functional.layer_norm(torch.tensor([[1.0, 3.0]]), (2,)).tolist()
        [[-0.9999949932098389, 0.9999949932098389]]
    """
    return _layer_norm(input, normalized_shape, weight, bias, eps)[0]


def _layer_norm(input, normalized_shape, weight, bias, eps):
    """(output, mean, rstd or None): `native_layer_norm` when the fused kernel takes the operands
    (rstd = 1 / sqrt(var + eps)), else the composed ops, which leave the statistics to the caller."""
    normalized_shape = _as_shape(normalized_shape)
    dims = _norm_dims(input, normalized_shape)
    _refuse_complex(input, "LayerNormKernelImpl")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p.shape) != normalized_shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                               f"{_list_str(p.shape)} and normalized_shape = {_list_str(normalized_shape)}")
    fused = _C._native_layer_norm(input, len(dims), weight, bias, eps)  # None: not for these operands
    if fused is not None:
        return fused
    var, mean = input._var_mean(dims, correction=0, keepdim=True)
    return _affine((input - mean) * (var + eps).rsqrt(), weight, bias), None, None


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Splits the channels (dim 1) into `num_groups` groups and normalises each group of each sample,
    then applies a per-channel affine."""
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    n, c = input.shape[0], input.shape[1]
    if num_groups <= 0 or c % num_groups != 0:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input "
                           f"of shape {_list_str(input.shape)} and num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.dim() != 1 or t.numel() != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in "
                               f"input, but got {name} of shape {_list_str(t.shape)} and input of shape "
                               f"{_list_str(input.shape)}")
    _refuse_complex(input, "GroupNormKernelImpl")
    # Explicit group size (not -1) so that empty batches reshape too.
    x = input.reshape(n, num_groups, math.prod(input.shape[1:]) // num_groups)
    var, mean = x._var_mean(-1, correction=0, keepdim=True)
    out = ((x - mean) * (var + eps).rsqrt()).reshape(input.shape)
    return _affine(out, weight, bias, _channel_shape(input))


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """x / sqrt(mean(x^2) + eps) over the trailing `normalized_shape` dims, times `weight`; `eps=None`
    means the machine epsilon of `input`'s dtype."""
    # PyTorch's rms_norm message writes the shape as "[*5]" (no comma after the star).
    dims = _norm_dims(input, _as_shape(normalized_shape), star="*")
    if eps is None:
        eps = _EPS.get(str(input.dtype).split(".")[-1], _EPS["float32"])
    out = input * (input.square().mean(dims, keepdim=True) + eps).rsqrt()
    return out if weight is None else out * weight



def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """x / (k + alpha/size * sum of x**2 over `size` neighbouring channels)**beta, over (N, C, *).

    The channel window is [c - size//2, c + (size-1)//2], zero outside the channels (PyTorch's
    zero-padded average of x**2 with the full `size` as divisor).

    >>> import ferrotorch as torch
    >>> torch.nn.functional.local_response_norm(torch.ones(1, 1, 1), 1, alpha=1.0, beta=1.0).item()
    0.5
    """
    if input.dim() < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {input.dim()} dimensions)")
    if input.numel() == 0:
        return input
    # PyTorch averages the squares with its (real-only) average pooling.
    _refuse_complex(input, "avg_pool2d" if input.dim() == 3 else "avg_pool3d")
    from .sampling import pad
    c = input.shape[1]
    sq = input * input
    # Zero-pad the channel dim, then add the `size` shifted channel slices (no copy of the window).
    spec = [0, 0] * (input.dim() - 2) + [size // 2, (size - 1) // 2]
    padded = pad(sq, spec)
    acc = None
    for i in range(size):
        part = padded.narrow(1, i, c)
        acc = part if acc is None else acc + part
    div = (acc * (alpha / size) + k).pow(beta)
    return input / div
