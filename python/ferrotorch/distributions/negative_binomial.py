"""torch.distributions.negative_binomial: the negative binomial distribution under PyTorch's module path, so
`from torch.distributions.negative_binomial import NegativeBinomial` works; the class lives in a shared file."""
from .discrete_more import NegativeBinomial

__all__ = ["NegativeBinomial"]
