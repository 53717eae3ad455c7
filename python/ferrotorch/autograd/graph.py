"""Graph node type (`Tensor.grad_fn` objects)."""
from .._C import Node

__all__ = ["Node"]
