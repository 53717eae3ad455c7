"""torch.distributions.continuous_bernoulli: the continuous Bernoulli distribution under PyTorch's module path, so
`from torch.distributions.continuous_bernoulli import ContinuousBernoulli` works; the class lives in a shared file."""
from .univariate_extra import ContinuousBernoulli

__all__ = ["ContinuousBernoulli"]
