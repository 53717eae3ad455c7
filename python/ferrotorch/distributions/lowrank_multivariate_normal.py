"""torch.distributions.lowrank_multivariate_normal: the low-rank-plus-diagonal multivariate normal under PyTorch's
module path, so `from torch.distributions.lowrank_multivariate_normal import LowRankMultivariateNormal` works;
the class lives in a shared file."""
from .multivariate_more import LowRankMultivariateNormal

__all__ = ["LowRankMultivariateNormal"]
