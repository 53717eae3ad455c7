"""`adaptive_max_pool1d_with_indices` / `adaptive_max_pool2d_with_indices`: PyTorch's names for the
(values, indices) form of adaptive max pooling, composed from the existing functions."""
from .pooling import adaptive_max_pool1d, adaptive_max_pool2d

__all__ = ["adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices"]


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    """(values, indices) of 1-D adaptive max pooling; PyTorch returns both whatever `return_indices` is.

        >>> import ferrotorch as torch
        >>> torch.nn.functional.adaptive_max_pool1d_with_indices(torch.tensor([[1., 3., 2., 0.]]), 2)[1]
        tensor([[1, 2]])
    """
    return adaptive_max_pool1d(input, output_size, return_indices=True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    """(values, indices) of 2-D adaptive max pooling; indices are flat over each input plane."""
    return adaptive_max_pool2d(input, output_size, return_indices=True)
