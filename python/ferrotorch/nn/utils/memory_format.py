"""`convert_conv2d_weight_memory_format` / `convert_conv3d_weight_memory_format`: re-lay the weights
of every (transposed) convolution in a module tree in `memory_format` (e.g. channels_last), keeping
the Parameter objects so optimizers that hold them are unaffected."""
from ...autograd.grad_mode import no_grad

__all__ = ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]


def _convert(module, memory_format, kinds):
    if isinstance(module, kinds):
        with no_grad():
            # contiguous(), not clone(): ferrotorch's clone ignores memory_format (see findings).
            module.weight.data = module.weight.detach().contiguous(memory_format=memory_format)
    for child in module.children():
        _convert(child, memory_format, kinds)
    return module


def convert_conv2d_weight_memory_format(module, memory_format):
    """Converts the weights of the Conv2d / ConvTranspose2d layers in `module` (recursively) to
    `memory_format`; returns `module`.

        >>> import ferrotorch as torch
        >>> c = torch.nn.utils.convert_conv2d_weight_memory_format(torch.nn.Conv2d(2, 3, 3), torch.channels_last)
        >>> c.weight.is_contiguous(memory_format=torch.channels_last)
        True
    """
    from ..modules.conv import Conv2d, ConvTranspose2d
    return _convert(module, memory_format, (Conv2d, ConvTranspose2d))


def convert_conv3d_weight_memory_format(module, memory_format):
    """Like `convert_conv2d_weight_memory_format`, for Conv3d / ConvTranspose3d (e.g. channels_last_3d)."""
    from ..modules.conv import Conv3d, ConvTranspose3d
    return _convert(module, memory_format, (Conv3d, ConvTranspose3d))
