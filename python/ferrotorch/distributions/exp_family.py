"""torch.distributions.exp_family: the exponential-family base class under PyTorch's module path, so
`from torch.distributions.exp_family import ExponentialFamily` works; the class lives in a shared file."""
from .univariate import ExponentialFamily

__all__ = ["ExponentialFamily"]
