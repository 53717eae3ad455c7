"""torch.distributions.studentT: the Student's t distribution under PyTorch's module path, so
`from torch.distributions.studentT import StudentT` works; the class lives in a shared file."""
from .gamma_family import StudentT

__all__ = ["StudentT"]
