"""torch.distributions.mixture_same_family: the mixture of same-family components under PyTorch's module path, so
`from torch.distributions.mixture_same_family import MixtureSameFamily` works; the class lives in a shared file."""
from .multivariate_more import MixtureSameFamily

__all__ = ["MixtureSameFamily"]
