"""torch.distributions.inverse_gamma: the inverse-Gamma distribution under PyTorch's module path, so
`from torch.distributions.inverse_gamma import InverseGamma` works; the class lives in a shared file."""
from .transformed_more import InverseGamma

__all__ = ["InverseGamma"]
