"""`optim.SparseAdam`: PyTorch's lazy Adam for sparse gradients (embeddings with `sparse=True`).

ferrotorch has no sparse tensors, so no gradient here is ever sparse: the optimizer is built
and validated as in PyTorch (scripts that construct it run), and `step()` with a gradient raises
PyTorch's own error for dense gradients, which points to `Adam`.

    >>> import ferrotorch as torch
    >>> w = torch.nn.Parameter(torch.ones(2))
    >>> opt = torch.optim.SparseAdam([w])
    >>> w.grad = torch.ones(2)
    >>> opt.step()
    Traceback (most recent call last):
    ...
    RuntimeError: SparseAdam does not support dense gradients, please consider Adam instead
"""
from .optimizer import Optimizer, _check_lr

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    """Adam over the rows a sparse gradient touches (see the module docstring)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        _check_lr(lr)
        if not 0.0 < eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        for i, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {beta}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, maximize=maximize))

    def step(self, closure=None):
        """Raises for any gradient (all are dense here); returns the closure's loss when no
        parameter has one."""
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            if self._params_with_grad(group):
                raise RuntimeError("SparseAdam does not support dense gradients, please consider Adam instead")
        return loss
