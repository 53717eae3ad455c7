"""torch.distributions.logistic_normal: the logistic-normal distribution under PyTorch's module path, so
`from torch.distributions.logistic_normal import LogisticNormal` works; the class lives in a shared file."""
from .multivariate_more import LogisticNormal

__all__ = ["LogisticNormal"]
