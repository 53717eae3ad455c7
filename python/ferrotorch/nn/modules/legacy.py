"""Legacy `torch.nn` classes: `CrossMapLRN2d` (the Lua-torch cross-channel LRN), and the
deprecated `NLLLoss2d` and `Container`, which PyTorch keeps for old code and warns about.

    >>> import ferrotorch as torch
    >>> torch.nn.CrossMapLRN2d(3)
    CrossMapLRN2d(3, alpha=0.0001, beta=0.75, k=1)
"""
import warnings

from ... import _C
from .loss import NLLLoss
from .module import Module

__all__ = ["CrossMapLRN2d", "NLLLoss2d", "Container"]


class CrossMapLRN2d(Module):
    """Cross-channel local response normalisation of a 4-D input (N, C, H, W), as Lua torch did:
    out[:, c] = x[:, c] * (k + alpha / size * S_c) ** -beta, where S_c sums x**2 over the channels
    c - pre + 1 .. c + pre - 1 (pre = (size - 1) // 2 + 1, clipped to the valid range) and also,
    unlike `LocalResponseNorm`, always over channel 0: the legacy running-sum update never
    subtracts it, and PyTorch keeps that behaviour."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1):
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input):
        if input.dim() != 4:
            raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {input.dim()}D instead.")
        channels = input.shape[1]
        reach = (self.size - 1) // 2 + 1
        squares = input * input
        # prefix[:, i] = sum of squares[:, :i], so a window lo..hi-1 sums to prefix[hi] - prefix[lo].
        prefix = _C.cat([_C.zeros_like(squares.narrow(1, 0, 1)), squares.cumsum(1)], 1)
        lo = [max(c - reach + 1, 0) for c in range(channels)]
        hi = [min(c + reach, channels) for c in range(channels)]
        device = input.device
        window = (prefix.index_select(1, _C.tensor(hi, device=device))
                  - prefix.index_select(1, _C.tensor(lo, device=device)))
        # Channels whose window starts past 0 still count channel 0 (the legacy quirk).
        past_first = _C.tensor([1.0 if start > 0 else 0.0 for start in lo], dtype=input.dtype, device=device)
        window = window + squares.narrow(1, 0, 1) * past_first.reshape(1, -1, 1, 1)
        return input * (window * (self.alpha / self.size) + self.k).pow(-self.beta)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class NLLLoss2d(NLLLoss):
    """Deprecated alias of `NLLLoss` (which handles (N, C, H, W) inputs itself)."""

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
        warnings.warn("`NLLLoss2d` has been deprecated. Please use `NLLLoss` instead as a drop-in replacement and see "
                      "https://pytorch.org/docs/main/nn.html#torch.nn.NLLLoss for more details.", FutureWarning,
                      stacklevel=2)
        super().__init__(weight, size_average, ignore_index, reduce, reduction)


class Container(Module):
    """Deprecated: a Module holding the keyword arguments as submodules; subclass Module instead."""

    def __init__(self, **kwargs):
        super().__init__()
        warnings.warn("`nn.Container` is deprecated. All of its functionality is now implemented in `nn.Module`. "
                      "Subclass that instead.", FutureWarning, stacklevel=2)
        for name, module in kwargs.items():
            self.add_module(name, module)
