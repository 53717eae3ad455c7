"""torch.distributions.von_mises: the von Mises distribution under PyTorch's module path, so
`from torch.distributions.von_mises import VonMises` works; the class lives in a shared file."""
from .univariate_extra import VonMises

__all__ = ["VonMises"]
