"""Convolutions and their building blocks, lowered onto the im2col/col2im kernels.

conv = (weight as a matrix) @ im2col(input); transposed conv = col2im(weight^T @ input). Both
record their gradients through the kernels' own nodes (Im2ColBackward0 / Col2ImBackward0) and
the matrix products, so double backward works.
"""
from ... import _C
from ..._runtime_flags import _user_stacklevel, _warn_once
from ...amp.autocast_mode import _state as _autocast_state, autocast_args
from ._dtype_support import ALL_BUT_BOOL, FLOATS_AND_BOOL, FLOATS_AND_LONG, require

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "unfold", "fold"]


def _tuple(v, n, name="argument"):
    """An int or an n-sequence as an n-tuple of ints."""
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            return tuple(int(v[0]) for _ in range(n))
        if len(v) != n:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} values to match "
                               f"the convolution dimensions, but got {name}={list(v)}")
        return tuple(int(x) for x in v)
    return (int(v),) * n


def _on_real_parts(kernel, input):
    """`kernel` (im2col or col2im, linear and channel-blocked) of a complex (N, C, ...) input, run on
    its real and imaginary parts stacked as 2C real channels: (N, C, ...) -> (N, 2C, ...) -> kernel
    -> (N, 2, C', ...) -> the complex (N, C', ...)."""
    parts = input.view_as_real().movedim(-1, 1)
    stacked = parts.reshape((parts.shape[0], 2 * parts.shape[2]) + tuple(parts.shape[3:]))
    out = kernel(stacked)
    out = out.reshape((out.shape[0], 2, out.shape[1] // 2) + tuple(out.shape[2:])).movedim(1, -1)
    return out.contiguous().view_as_complex()


def _im2col(input, kernel_size, dilation, padding, stride):
    def kernel(x):
        return _C._im2col(x, kernel_size, dilation, padding, stride)
    return _on_real_parts(kernel, input) if input.is_complex() else kernel(input)


def _col2im(input, output_size, kernel_size, dilation, padding, stride):
    def kernel(x):
        return _C._col2im(x, output_size, kernel_size, dilation, padding, stride)
    return _on_real_parts(kernel, input) if input.is_complex() else kernel(input)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Extracts sliding local blocks: (N, C, H, W) -> (N, C*kh*kw, L); (C, H, W) -> (C*kh*kw, L)."""
    if not input.is_complex():
        require(input, FLOATS_AND_BOOL, "im2col_out_cpu")
    if input.dim() == 3:
        return _im2col(input.unsqueeze(0), kernel_size, dilation, padding, stride).squeeze(0)
    return _im2col(input, kernel_size, dilation, padding, stride)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sums sliding local blocks back into an image: the adjoint of `unfold`."""
    if not input.is_complex():
        require(input, FLOATS_AND_BOOL, "col2im_out_cpu")
    if input.dim() == 2:
        return _col2im(input.unsqueeze(0), output_size, kernel_size, dilation, padding, stride).squeeze(0)
    return _col2im(input, output_size, kernel_size, dilation, padding, stride)


def _autocast(input, weight, bias):
    """Convolutions are autocast ops (like F.linear): inside an enabled `autocast` region the input, weight
    and bias run in the autocast dtype."""
    if _autocast_state.any:
        return autocast_args(input, weight, bias)
    return input, weight, bias


def _batched(input, nspatial, name):
    """(input with a batch dim, whether one was added); PyTorch's message for other ranks."""
    nd = input.dim()
    if nd == nspatial + 1:
        return input.unsqueeze(0), True
    if nd != nspatial + 2:
        raise RuntimeError(f"Expected {nspatial + 1}D (unbatched) or {nspatial + 2}D (batched) input to {name}, "
                           f"but got input of size: {list(input.shape)}")
    return input, False


def _check_args(weight, stride, padding, dilation, groups, output_padding=None, shown_dilation=None):
    """PyTorch's argument checks, made before any size arithmetic (a zero stride would divide by zero).

    `output_padding` is given for transposed convolutions, whose dilation message names each dim;
    `shown_dilation` is the dilation as PyTorch's message prints it (conv1d runs as 2-D there)."""
    if weight.dim() < 3:
        raise RuntimeError("weight should have at least three dimensions")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if any(v <= 0 for v in stride):
        raise RuntimeError("non-positive stride is not supported")
    if not isinstance(padding, str) and any(v < 0 for v in padding):
        raise RuntimeError("negative padding is not supported")
    if output_padding is not None and any(v < 0 for v in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    if any(v <= 0 for v in dilation):
        if output_padding is None:
            shown = list(shown_dilation or dilation)
        else:
            names = ("depth", "height", "width")[3 - len(dilation):] if len(dilation) > 1 else ("height", "width")
            vals = dilation if len(dilation) > 1 else (1,) + tuple(dilation)
            shown = ", ".join(f"dilation_{n}: {v}" for n, v in zip(names, vals))
        raise RuntimeError(f"dilation should be greater than zero, but got {shown}")


def _transposed_padding(padding, name):
    if isinstance(padding, str):
        raise TypeError(f"{name}(): argument 'padding' must be tuple of ints, not str")
    return padding


def _check_kernel_fits(input, kernel, padding, dilation):
    """PyTorch's message when the dilated kernel is larger than the padded input, in the input's own rank."""
    padded = [input.shape[2 + i] + 2 * padding[i] for i in range(len(kernel))]
    if any(padded[i] < dilation[i] * (kernel[i] - 1) + 1 for i in range(len(kernel))):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel "
                           f"size: ({' x '.join(map(str, kernel))}). Kernel size can't be greater than actual "
                           f"input size")


def _check_channels(input, weight, groups, channels_per_group, transposed=False):
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if weight.dim() != input.dim():
        raise RuntimeError(f"Expected {weight.dim()}-dimensional input for {weight.dim()}-dimensional weight "
                           f"{list(weight.shape)}, but got {input.dim()}-dimensional input of size "
                           f"{list(input.shape)} instead")
    c = input.shape[1]
    if c != channels_per_group * groups:
        if transposed:
            raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected input"
                               f"{list(input.shape)} to have {channels_per_group * groups} channels, "
                               f"but got {c} channels instead")
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, expected input"
                           f"{list(input.shape)} to have {channels_per_group * groups} channels, "
                           f"but got {c} channels instead")


_CPP_TYPE = {"float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16"}


def _check_types(input, weight, bias):
    """Convolutions don't promote: PyTorch's 'Input type (...) and ... type (...) should be the same'."""
    def name(t):
        s = str(t.dtype).replace("ferrotorch.", "").replace("torch.", "")
        return _CPP_TYPE.get(s, s)
    # PyTorch reports a mismatched bias before a mismatched weight.
    for other, what in ((bias, "bias"), (weight, "weight")):
        if other is not None and other.dtype != input.dtype:
            raise RuntimeError(f"Input type ({name(input)}) and {what} type ({name(other)}) should be the same")


def _same_padding(kernel, dilation, stride):
    """PyTorch's padding='same': total d*(k-1) per dim, the odd extra going to the right (which
    PyTorch warns about once: it pads a copy of the input)."""
    if any(s != 1 for s in stride):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    total = [d * (k - 1) for k, d in zip(kernel, dilation)]
    if any(t % 2 for t in total):
        _warn_once("conv_same_padding_copy", "Using padding='same' with even kernel lengths and odd dilation may "
                   "require a zero-padded copy of the input be created", stacklevel=_user_stacklevel())
    return [t // 2 for t in total], [t - t // 2 for t in total]


def _conv_nd(input, weight, bias, stride, padding, dilation, groups):
    """2-D convolution of a batched (N, C, H, W) input by an (O, C/groups, kh, kw) weight."""
    _check_types(input, weight, bias)
    kernel = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0, 0)
        elif padding == "same":
            left, right = _same_padding(kernel, dilation, stride)
            if left != right:
                # Asymmetric: pad the extra (right/bottom) part explicitly, the rest in im2col.
                from .sampling import pad as _pad
                input = _pad(input, (0, right[1] - left[1], 0, right[0] - left[0]))
            padding = tuple(left)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    n, c = input.shape[0], input.shape[1]
    o = weight.shape[0]
    if o % groups != 0:
        raise RuntimeError("Given groups=%d, expected weight to be divisible by %d at dimension 0, but got weight "
                           "of size %s instead" % (groups, groups, list(weight.shape)))
    _check_channels(input, weight, groups, weight.shape[1])
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != o):
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be 1-dimensional with "
                           f"{o} elements, but got bias of size {list(bias.shape)} instead")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    _check_kernel_fits(input, kernel, padding, dilation)
    oh = (input.shape[2] + 2 * padding[0] - dilation[0] * (kernel[0] - 1) - 1) // stride[0] + 1
    ow = (input.shape[3] + 2 * padding[1] - dilation[1] * (kernel[1] - 1) - 1) // stride[1] + 1
    if n == 0:
        out = _C.zeros((0, o, oh, ow), dtype=input.dtype, device=input.device)
        # Keep the graph (and the input's and weight's gradient shapes) for empty batches.
        out = out + (weight.sum() * 0 + input.sum() * 0)
        return out if bias is None else out + bias.view(1, o, 1, 1)
    cols = _C._im2col(input, kernel, dilation, padding, stride)  # (N, C*k, L)
    k = kernel[0] * kernel[1]
    if groups == 1:
        out = weight.reshape(o, c * k).matmul(cols)  # (N, O, L)
    else:
        cols = cols.view(n, groups, (c // groups) * k, oh * ow)
        out = weight.reshape(groups, o // groups, (c // groups) * k).matmul(cols)  # (N, g, O/g, L)
    out = out.reshape(n, o, oh, ow)
    if bias is not None:
        out = out + bias.view(1, o, 1, 1)
    return out


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation) over (N, C, H, W) or unbatched (C, H, W) input.

    >>> import ferrotorch as torch
    >>> torch.nn.functional.conv2d(torch.ones(1, 1, 3, 3), torch.ones(1, 1, 2, 2)).tolist()
    [[[[4.0, 4.0], [4.0, 4.0]]]]
    """
    input, weight, bias = _autocast(input, weight, bias)
    x, added = _batched(input, 2, "conv2d")
    if not isinstance(padding, str):
        padding = _tuple(padding, 2, "padding")
    stride, dilation = _tuple(stride, 2, "stride"), _tuple(dilation, 2, "dilation")
    _check_args(weight, stride, padding, dilation, groups)
    require(x, ALL_BUT_BOOL, "slow_conv2d_cpu")
    out = _conv_nd(x, weight, bias, stride, padding, dilation, groups)
    return out.squeeze(0) if added else out


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution over (N, C, L) or unbatched (C, L) input; runs as a 2-D one with height 1."""
    input, weight, bias = _autocast(input, weight, bias)
    x, added = _batched(input, 1, "conv1d")
    if not isinstance(padding, str):
        padding = _tuple(padding, 1, "padding")
    stride, dilation = _tuple(stride, 1, "stride"), _tuple(dilation, 1, "dilation")
    _check_args(weight, stride, padding, dilation, groups, shown_dilation=(1,) + dilation)
    # Checks whose messages print shapes, made here so that they show the 1-D shapes, not the 2-D ones.
    _check_types(x, weight, bias)
    _check_channels(x, weight, groups, weight.shape[1])
    if not isinstance(padding, str):
        _check_kernel_fits(x, tuple(weight.shape[2:]), padding, dilation)
        padding = (0,) + padding
    require(x, ALL_BUT_BOOL, "slow_conv2d_cpu")
    out = _conv_nd(x.unsqueeze(2), weight.unsqueeze(2), bias, (1,) + stride, padding, (1,) + dilation,
                   groups).squeeze(2)
    return out.squeeze(0) if added else out


def _conv_transpose_nd(input, weight, bias, stride, padding, output_padding, groups, dilation):
    """Transposed 2-D convolution of (N, C_in, H, W) by a (C_in, C_out/groups, kh, kw) weight."""
    _check_types(input, weight, bias)
    n, cin, h, w = input.shape
    kernel = tuple(weight.shape[2:])
    _check_channels(input, weight, groups, weight.shape[0] // groups, transposed=True)
    if weight.shape[0] % groups != 0:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                           f"but got weight of size {list(weight.shape)} instead")
    cout = weight.shape[1] * groups
    for d in range(2):
        if output_padding[d] >= stride[d] and output_padding[d] >= dilation[d]:
            raise RuntimeError(
                f"output padding must be smaller than either stride or dilation, but got output_padding_height: "
                f"{output_padding[0]} output_padding_width: {output_padding[1]} stride_height: {stride[0]} "
                f"stride_width: {stride[1]} dilation_height: {dilation[0]} dilation_width: {dilation[1]}")
    out_size = [(s - 1) * st - 2 * p + d * (k - 1) + op + 1
                for s, st, p, d, k, op in zip((h, w), stride, padding, dilation, kernel, output_padding)]
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != cout):
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected bias to be "
                           f"1-dimensional with {cout} elements, but got bias of size {list(bias.shape)} instead")
    if any(s <= 0 for s in out_size):
        raise RuntimeError(f"Given input size per channel: ({h} x {w}). Calculated output size per channel: "
                           f"({out_size[0]} x {out_size[1]}). Output size is too small")
    k = kernel[0] * kernel[1]
    # cols[n, (co, kh, kw), l] = sum_ci weight[ci, co, kh, kw] * input[n, ci, l], per group.
    wt = weight.reshape(groups, cin // groups, (cout // groups) * k).transpose(1, 2)
    x = input.reshape(n, groups, cin // groups, h * w)
    cols = wt.matmul(x).reshape(n, cout * k, h * w)
    # col2im without padding onto the full extent, then crop `padding` and extend by
    # `output_padding`: this also covers output_padding >= stride (allowed when < dilation).
    full = [(s - 1) * st + d * (kk - 1) + 1 for s, st, d, kk in zip((h, w), stride, dilation, kernel)]
    if n == 0:
        img = _C.zeros((0, cout, full[0], full[1]), dtype=input.dtype, device=input.device) + \
            (weight.sum() * 0 + input.sum() * 0)
    else:
        img = _C._col2im(cols, full, kernel, dilation, 0, stride)
    from .sampling import pad as _pad
    out = _pad(img, (-padding[1], out_size[1] - full[1] + padding[1], -padding[0], out_size[0] - full[0] + padding[0]))
    if bias is not None:
        out = out + bias.view(1, cout, 1, 1)
    return out


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 2-D convolution (the gradient of conv2d w.r.t. its input) of (N, C, H, W) or (C, H, W)."""
    input, weight, bias = _autocast(input, weight, bias)
    x, added = _batched(input, 2, "conv_transpose2d")
    stride, padding = _tuple(stride, 2, "stride"), _tuple(_transposed_padding(padding, "conv_transpose2d"), 2, "padding")
    output_padding, dilation = _tuple(output_padding, 2, "output_padding"), _tuple(dilation, 2, "dilation")
    _check_args(weight, stride, padding, dilation, groups, output_padding)
    require(x, FLOATS_AND_LONG, "slow_conv_transpose2d_out_cpu")
    out = _conv_transpose_nd(x, weight, bias, stride, padding, output_padding, groups, dilation)
    return out.squeeze(0) if added else out


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 1-D convolution of (N, C, L) or (C, L); runs as a 2-D one with height 1."""
    input, weight, bias = _autocast(input, weight, bias)
    x, added = _batched(input, 1, "conv_transpose1d")
    stride, padding = _tuple(stride, 1, "stride"), _tuple(_transposed_padding(padding, "conv_transpose1d"), 1, "padding")
    output_padding, dilation = _tuple(output_padding, 1, "output_padding"), _tuple(dilation, 1, "dilation")
    _check_args(weight, stride, padding, dilation, groups, output_padding)
    _check_types(x, weight, bias)
    _check_channels(x, weight, groups, weight.shape[0] // groups, transposed=True)
    require(x, FLOATS_AND_LONG, "slow_conv_transpose2d_out_cpu")
    out = _conv_transpose_nd(x.unsqueeze(2), weight.unsqueeze(2), bias, (1,) + stride, (0,) + padding,
                             (0,) + output_padding, groups, (1,) + dilation).squeeze(2)
    return out.squeeze(0) if added else out
