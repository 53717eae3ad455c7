"""`optim.ASGD`: averaged SGD (Polyak-Ruppert averaging with a decaying step size)."""
from .. import _C
from ..autograd.grad_mode import no_grad
from .optimizer import Optimizer, _as_real, _check_flags, _check_lr, _get_scalar_dtype, _to_scalar

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """ASGD, PyTorch's single-tensor rule (the one its CPU path runs). Per parameter, at step t, with
    eta and mu from the previous step (eta_0 = lr, mu_0 = 1):

    g = ±grad + weight_decay * p;  p = p * (1 - lambd * eta) - eta * g;
    ax = p if mu == 1 else ax + mu * (p - ax);
    eta = lr / (1 + lambd * lr * t) ** alpha;  mu = 1 / max(1, t - t0).
    State: "step", "eta", "mu" (0-d float32 tensors) and "ax" (the running average of p).
    """

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False):
        _check_lr(lr)
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        _check_flags(differentiable, None, foreach)
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimization step; returns the closure's loss (None without a closure)."""
        loss = self._eval_closure(closure)
        with no_grad():
            for group in self.param_groups:
                lr, lambd, alpha, t0 = _to_scalar(group["lr"]), group["lambd"], group["alpha"], group["t0"]
                weight_decay = group["weight_decay"]
                for p in self._params_with_grad(group):
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = _C.zeros((), dtype=_get_scalar_dtype())
                        state["eta"] = _C.tensor(lr, dtype=_get_scalar_dtype())
                        state["mu"] = _C.ones((), dtype=_get_scalar_dtype())
                        state["ax"] = _C.zeros_like(p)
                    p, grad, ax = _as_real(p, p.grad, state["ax"])
                    grad = -grad if group["maximize"] else grad
                    state["step"] += 1
                    step = state["step"].item()
                    if weight_decay != 0:
                        grad = grad.add(p, alpha=weight_decay)
                    eta = state["eta"].item()
                    p.mul_(1 - lambd * eta)
                    p.add_(grad, alpha=-eta)
                    mu = state["mu"].item()
                    if mu != 1:
                        ax.add_((p - ax) * mu)
                    else:
                        ax.copy_(p)
                    state["eta"].fill_(lr / ((1 + lambd * lr * step) ** alpha))
                    state["mu"].fill_(1 / max(1, step - t0))
        return loss
