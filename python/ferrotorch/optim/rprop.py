"""`optim.Rprop`: resilient backpropagation, per-coordinate step sizes adapted from gradient signs."""
from .. import _C
from ..autograd.grad_mode import no_grad
from .optimizer import Optimizer, _as_real, _check_flags, _check_lr, _get_scalar_dtype, _to_scalar

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """Rprop, PyTorch's variant. Per coordinate, with s = sign(g * g_prev):

    step_size *= etaplus (s > 0), etaminus (s < 0) or 1, clamped to `step_sizes`;
    where s < 0 the gradient is treated as 0 (no move, and it becomes g_prev);
    p -= sign(g) * step_size.   State: "step", "prev", "step_size" (starts at lr).
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False,
                 foreach=None, maximize=False, differentiable=False):
        _check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        _check_flags(differentiable, None, foreach)
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimization step; returns the closure's loss (None without a closure)."""
        loss = self._eval_closure(closure)
        with no_grad():
            for group in self.param_groups:
                etaminus, etaplus = group["etas"]
                step_size_min, step_size_max = group["step_sizes"]
                for p in self._params_with_grad(group):
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = _C.tensor(0.0, dtype=_get_scalar_dtype())
                        state["prev"] = _C.zeros_like(p)
                        state["step_size"] = _C.full_like(p, _to_scalar(group["lr"]))
                        if p.is_complex():
                            # The parts step as two independent reals: each starts at lr (PyTorch's lr + lr*j).
                            state["step_size"].view_as_real().fill_(_to_scalar(group["lr"]))
                    state["step"] += 1
                    p, grad, prev, step_size = _as_real(p, p.grad, state["prev"], state["step_size"])
                    grad = -grad if group["maximize"] else grad
                    sign = (grad * prev).sign()
                    # Factors in the parameter's dtype, so float64 runs use etaplus/etaminus exactly.
                    factor = _C.where(sign > 0, _C.full_like(sign, etaplus),
                                      _C.where(sign < 0, _C.full_like(sign, etaminus), _C.ones_like(sign)))
                    step_size.mul_(factor).clamp_(step_size_min, step_size_max)
                    grad = _C.where(sign < 0, _C.zeros_like(grad), grad)
                    p.add_(grad.sign() * step_size, alpha=-1)
                    prev.copy_(grad)
        return loss
