"""torch.distributions.chi2: the Chi-squared distribution under PyTorch's module path, so
`from torch.distributions.chi2 import Chi2` works; the class lives in a shared file."""
from .gamma_family import Chi2

__all__ = ["Chi2"]
