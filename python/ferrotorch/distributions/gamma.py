"""torch.distributions.gamma: the Gamma distribution under PyTorch's module path, so
`from torch.distributions.gamma import Gamma` works; the class lives in a shared file."""
from .gamma_family import Gamma

__all__ = ["Gamma"]
