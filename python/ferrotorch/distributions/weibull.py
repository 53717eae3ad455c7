"""torch.distributions.weibull: the Weibull distribution under PyTorch's module path, so
`from torch.distributions.weibull import Weibull` works; the class lives in a shared file."""
from .transformed_more import Weibull

__all__ = ["Weibull"]
