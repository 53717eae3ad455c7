"""`optim.Adadelta`: per-coordinate steps from running averages of squared gradients and updates."""
from .. import _C
from ..autograd.grad_mode import no_grad
from .optimizer import Optimizer, _as_real, _check_flags, _check_lr, _get_scalar_dtype, _to_scalar

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta (Zeiler), PyTorch's update rule. Per parameter:

    g = ±grad + weight_decay * p;  v = rho * v + (1 - rho) g^2;
    d = sqrt(u + eps) / sqrt(v + eps) * g;  u = rho * u + (1 - rho) d^2;  p -= lr * d.
    State: "step", "square_avg" (v), "acc_delta" (u).
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        _check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        _check_flags(differentiable, None, foreach)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimization step; returns the closure's loss (None without a closure)."""
        loss = self._eval_closure(closure)
        with no_grad():
            for group in self.param_groups:
                lr, rho, eps, weight_decay = _to_scalar(group["lr"]), group["rho"], group["eps"], group["weight_decay"]
                for p in self._params_with_grad(group):
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = _C.tensor(0.0, dtype=_get_scalar_dtype())
                        state["square_avg"] = _C.zeros_like(p)
                        state["acc_delta"] = _C.zeros_like(p)
                    state["step"] += 1
                    p, grad, square_avg, acc_delta = _as_real(p, p.grad, state["square_avg"], state["acc_delta"])
                    grad = -grad if group["maximize"] else grad
                    if weight_decay != 0:
                        grad = grad.add(p, alpha=weight_decay)
                    square_avg.mul_(rho).add_(grad * grad, alpha=1 - rho)
                    std = square_avg.add(eps).sqrt_()
                    delta = acc_delta.add(eps).sqrt_().div_(std).mul_(grad)
                    acc_delta.mul_(rho).add_(delta * delta, alpha=1 - rho)
                    p.add_(delta, alpha=-lr)
        return loss
