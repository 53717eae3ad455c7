"""torch.distributions.relaxed_bernoulli: the relaxed (Concrete) Bernoulli distributions under PyTorch's module path, so
`from torch.distributions.relaxed_bernoulli import LogitRelaxedBernoulli` works; the class lives in a shared file."""
from .relaxed import LogitRelaxedBernoulli, RelaxedBernoulli

__all__ = ["LogitRelaxedBernoulli", "RelaxedBernoulli"]
