"""3-D convolutions composed from the 2-D ones.

conv3d is a sum over the kernel's depth taps: tap i reads the depth slices i*dilation, i*dilation +
stride, ... of the (depth-padded) input, folds those output depths into the batch and runs one 2-D
convolution with weight[:, :, i]. conv_transpose3d is the adjoint: one transposed 2-D convolution per
depth tap, whose results are spread (stride-interleaved) onto the output depths and summed. Every step
is an existing differentiable op, so autograd (and double backward) comes from the composition and the
same code runs on every device.
"""
from ... import _C
from .conv import (_autocast, _batched, _check_args, _check_channels, _check_kernel_fits, _check_types,
                   _same_padding, _transposed_padding, _tuple, conv2d, conv_transpose2d)
from ._dtype_support import ALL_BUT_BOOL, FLOATS_AND_LONG, require
from .sampling import pad as _pad

__all__ = ["conv3d", "conv_transpose3d"]


def _zeros_like_graph(shape, input, weight):
    """An all-zero result that still depends on `weight`, so empty batches give it a (zero) gradient."""
    return _C.zeros(shape, dtype=input.dtype, device=input.device) + (weight.sum() * 0 + input.sum() * 0)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution (cross-correlation) over (N, C, D, H, W) or unbatched (C, D, H, W) input.

    `weight` is (out, C/groups, kd, kh, kw); `padding` may be an int, a triple, 'valid' or 'same'.

    >>> import ferrotorch as torch
    >>> torch.nn.functional.conv3d(torch.ones(1, 1, 2, 2, 2), torch.ones(1, 1, 2, 2, 2)).tolist()
    [[[[[8.0]]]]]
    """
    input, weight, bias = _autocast(input, weight, bias)
    x, added = _batched(input, 3, "conv3d")
    stride, dilation = _tuple(stride, 3, "stride"), _tuple(dilation, 3, "dilation")
    _check_args(weight, stride, padding if isinstance(padding, str) else _tuple(padding, 3, "padding"), dilation,
                groups)
    _check_types(x, weight, bias)
    _check_channels(x, weight, groups, weight.shape[1] if weight.dim() > 1 else 0)
    require(x, ALL_BUT_BOOL, "compute_columns3d")
    kernel = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0, 0, 0)
        elif padding == "same":
            left, right = _same_padding(kernel, dilation, stride)
            # Pad explicitly (the odd extra goes right/bottom/back, as in PyTorch).
            x = _pad(x, (left[2], right[2], left[1], right[1], left[0], right[0]))
            padding = (0, 0, 0)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        padding = _tuple(padding, 3, "padding")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    o = weight.shape[0]
    if o % groups != 0:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                           f"got weight of size {list(weight.shape)} instead")
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != o):
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be 1-dimensional with "
                           f"{o} elements, but got bias of size {list(bias.shape)} instead")
    _check_kernel_fits(x, kernel, padding, dilation)
    padded = [x.shape[2 + i] + 2 * padding[i] for i in range(3)]
    out = [(padded[i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1 for i in range(3)]
    n = x.shape[0]
    if n == 0:
        result = _zeros_like_graph((0, o, *out), x, weight)
    else:
        if padding[0]:
            x = _pad(x, (0, 0, 0, 0, padding[0], padding[0]))
        c, h, w = x.shape[1], x.shape[3], x.shape[4]
        od = out[0]
        acc = None
        for i in range(kernel[0]):
            start = i * dilation[0]
            # The od depth slices tap i reads, folded into the batch: (N*od, C, H, W).
            sl = x[:, :, start:start + (od - 1) * stride[0] + 1:stride[0]]
            sl = sl.transpose(1, 2).reshape(n * od, c, h, w)
            y = conv2d(sl, weight[:, :, i], None, stride[1:], padding[1:], dilation[1:], groups)
            acc = y if acc is None else acc + y
        result = acc.reshape(n, od, o, out[1], out[2]).transpose(1, 2)
    if bias is not None:
        result = result + bias.view(1, o, 1, 1, 1)
    return result.squeeze(0) if added else result


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 3-D convolution (the gradient of conv3d w.r.t. its input) of (N, C, D, H, W) or (C, D, H, W).

    `weight` is (C_in, C_out/groups, kd, kh, kw).

    >>> import ferrotorch as torch
    >>> torch.nn.functional.conv_transpose3d(torch.ones(1, 1, 1, 1, 1), torch.ones(1, 1, 2, 1, 1)).shape
    torch.Size([1, 1, 2, 1, 1])
    """
    input, weight, bias = _autocast(input, weight, bias)
    x, added = _batched(input, 3, "conv_transpose3d")
    stride, padding = _tuple(stride, 3, "stride"), _tuple(_transposed_padding(padding, "conv_transpose3d"), 3, "padding")
    output_padding, dilation = _tuple(output_padding, 3, "output_padding"), _tuple(dilation, 3, "dilation")
    _check_args(weight, stride, padding, dilation, groups, output_padding)
    _check_types(x, weight, bias)
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    _check_channels(x, weight, groups, weight.shape[0] // groups, transposed=True)
    if weight.shape[0] % groups != 0:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                           f"but got weight of size {list(weight.shape)} instead")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError(
            f"output padding must be smaller than either stride or dilation, but got output_padding_depth: "
            f"{output_padding[0]} output_padding_height: {output_padding[1]} output_padding_width: "
            f"{output_padding[2]} stride_depth: {stride[0]} stride_height: {stride[1]} stride_width: {stride[2]} "
            f"dilation_depth: {dilation[0]} dilation_height: {dilation[1]} dilation_width: {dilation[2]}")
    kernel = tuple(weight.shape[2:])
    cout = weight.shape[1] * groups
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != cout):
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected bias to be "
                           f"1-dimensional with {cout} elements, but got bias of size {list(bias.shape)} instead")
    require(x, FLOATS_AND_LONG, "slow_conv_transpose3d_out_cpu")
    n, cin, d, h, w = x.shape
    out = [(s - 1) * st - 2 * p + dl * (k - 1) + op + 1
           for s, st, p, dl, k, op in zip((d, h, w), stride, padding, dilation, kernel, output_padding)]
    if any(v <= 0 for v in out):
        raise RuntimeError(f"Given input size per channel: ({d} x {h} x {w}). Calculated output size per channel: "
                           f"({out[0]} x {out[1]} x {out[2]}). Output size is too small")
    if n == 0:
        result = _zeros_like_graph((0, cout, *out), x, weight)
    else:
        # Depth extent before cropping `padding` / adding `output_padding`.
        full = (d - 1) * stride[0] + dilation[0] * (kernel[0] - 1) + 1
        folded = x.transpose(1, 2).reshape(n * d, cin, h, w)
        acc = None
        for i in range(kernel[0]):
            y = conv_transpose2d(folded, weight[:, :, i], None, stride[1:], padding[1:], output_padding[1:], groups,
                                 dilation[1:])
            y = y.reshape(n, d, cout, out[1], out[2])
            if stride[0] > 1:
                # Interleave stride-1 zero slices so input depth j lands on output depth j*stride.
                zeros = _C.zeros((n, d, stride[0] - 1, cout, out[1], out[2]), dtype=y.dtype, device=y.device)
                y = _C.cat([y.unsqueeze(2), zeros], 2).reshape(n, d * stride[0], cout, out[1], out[2])
                y = y.narrow(1, 0, (d - 1) * stride[0] + 1)
            start = i * dilation[0]
            y = _pad(y, (0, 0, 0, 0, 0, 0, start, full - start - y.shape[1]))
            acc = y if acc is None else acc + y
        # Crop `padding` at the front and pad/crop to the requested depth at the back.
        acc = _pad(acc, (0, 0, 0, 0, 0, 0, -padding[0], out[0] - full + padding[0]))
        result = acc.transpose(1, 2)
    if bias is not None:
        result = result + bias.view(1, cout, 1, 1, 1)
    return result.squeeze(0) if added else result
