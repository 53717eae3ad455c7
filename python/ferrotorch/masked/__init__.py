"""`torch.masked`: reductions and normalizations that skip masked-out elements.

Each takes a boolean `mask` (broadcastable to the input; True marks the elements that take
part) and treats the masked-out elements as the operation's identity (0 for sum, 1 for prod,
-inf for amax, ...). A fully masked-out reduction gives that identity, or NaN where the result
is undefined (mean, var, median, softmax), as in PyTorch. The prototype `MaskedTensor` is not
provided.

    >>> import ferrotorch as torch
    >>> x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    >>> mask = torch.tensor([[True, False, True], [False, False, False]])
    >>> torch.masked.sum(x, 1, mask=mask).tolist()
    [4.0, 0.0]
    >>> torch.masked.amax(x, 1, mask=mask).tolist()
    [3.0, -inf]
"""
from ._ops import (amax, amin, argmax, argmin, cumprod, cumsum, log_softmax, logaddexp, logsumexp, mean,
                   median, norm, normalize, prod, softmax, softmin, std, sum, var)

__all__ = ["amax", "amin", "argmax", "argmin", "cumprod", "cumsum", "log_softmax", "logaddexp", "logsumexp",
           "mean", "median", "norm", "normalize", "prod", "softmax", "softmin", "std", "sum", "var"]
