"""torch.distributions.kumaraswamy: the Kumaraswamy distribution under PyTorch's module path, so
`from torch.distributions.kumaraswamy import Kumaraswamy` works; the class lives in a shared file."""
from .transformed_more import Kumaraswamy

__all__ = ["Kumaraswamy"]
