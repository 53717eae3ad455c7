"""torch.distributions.lkj_cholesky: the LKJ distribution over Cholesky factors of correlation matrices under
PyTorch's module path, so `from torch.distributions.lkj_cholesky import LKJCholesky` works; the class lives in a
shared file."""
from .lkj import LKJCholesky

__all__ = ["LKJCholesky"]
