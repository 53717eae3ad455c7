"""`optim.Adamax`, `optim.NAdam`, `optim.RAdam`: Adam's relatives (infinity norm, Nesterov momentum,
rectified variance), with PyTorch's defaults, state keys and update order."""
from .. import _C
from ..autograd.grad_mode import no_grad
from .adam import _check_adam_args
from .optimizer import Optimizer, _as_real, _check_flags, _get_scalar_dtype, _to_scalar

__all__ = ["Adamax", "NAdam", "RAdam"]


class _AdamFamily(Optimizer):
    """Shared loop: lazy state, ±grad, step counter; subclasses define `_state_keys` and `_update`."""

    _state_keys = ()

    def step(self, closure=None):
        """Perform one optimization step; returns the closure's loss (None without a closure)."""
        loss = self._eval_closure(closure)
        with no_grad():
            for group in self.param_groups:
                lr = _to_scalar(group["lr"])
                beta1, beta2 = (_to_scalar(b) for b in group["betas"])
                for p in self._params_with_grad(group):
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = _C.tensor(0.0, dtype=_get_scalar_dtype())
                        self._init_extra(state)
                        for key in self._state_keys:
                            state[key] = _C.zeros_like(p)
                    grad = -p.grad if group["maximize"] else p.grad
                    state["step"] += 1
                    work = state
                    if p.is_complex():
                        # The update sees real views of the parameter, gradient and moments (as in
                        # PyTorch); scalars such as mu_product are shared with `state`.
                        work = {**state, **dict(zip(self._state_keys, _as_real(*(state[k] for k in self._state_keys))))}
                        p, grad = _as_real(p, grad)
                    self._update(p, grad, work, state["step"].item(), group, lr, beta1, beta2)
        return loss

    def _init_extra(self, state):
        pass


class Adamax(_AdamFamily):
    """Adamax (Adam with the infinity norm). Per parameter, at step t:

    g = ±grad + weight_decay * p;  m = lerp(m, g, 1 - beta1);  u = max(beta2 * u, |g| + eps);
    p -= lr / (1 - beta1^t) * m / u.   State: "step", "exp_avg", "exp_inf".
    """

    _state_keys = ("exp_avg", "exp_inf")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        _check_adam_args(lr, betas, eps, weight_decay)
        _check_flags(differentiable, None, foreach)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _update(self, p, grad, state, step, group, lr, beta1, beta2):
        if group["weight_decay"] != 0:
            grad = grad.add(p, alpha=group["weight_decay"])
        exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
        exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
        exp_inf.copy_(exp_inf.mul_(beta2).maximum(grad.abs().add_(group["eps"])))
        p.add_(exp_avg / exp_inf, alpha=-lr / (1 - beta1 ** step))


class NAdam(_AdamFamily):
    """NAdam (Adam with Nesterov momentum, Dozat). Per parameter, at step t, with
    mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay)) and mu_prod = mu_1 ... mu_t:

    g = ±grad (+ weight_decay * p, or p *= 1 - lr * weight_decay when decoupled);
    m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) g^2;  d = sqrt(v / (1 - beta2^t)) + eps;
    p -= lr * (1 - mu_t) / (1 - mu_prod) * g / d + lr * mu_{t+1} / (1 - mu_prod * mu_{t+1}) * m / d.
    State: "step", "mu_product" (0-d), "exp_avg", "exp_avg_sq".
    """

    _state_keys = ("exp_avg", "exp_avg_sq")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check_adam_args(lr, betas, eps, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        _check_flags(differentiable, None, foreach)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_extra(self, state):
        state["mu_product"] = _C.tensor(1.0, dtype=_get_scalar_dtype())

    def _update(self, p, grad, state, step, group, lr, beta1, beta2):
        weight_decay, momentum_decay = group["weight_decay"], group["momentum_decay"]
        if weight_decay != 0:
            if group["decoupled_weight_decay"]:
                p.mul_(1 - lr * weight_decay)
            else:
                grad = grad.add(p, alpha=weight_decay)
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
        state["mu_product"] *= mu
        mu_product = state["mu_product"].item()
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
        exp_avg_sq.mul_(beta2).add_(grad * grad, alpha=1 - beta2)
        denom = exp_avg_sq.div(1 - beta2 ** step).sqrt_().add_(group["eps"])
        p.add_(grad / denom, alpha=-lr * (1.0 - mu) / (1.0 - mu_product))
        p.add_(exp_avg / denom, alpha=-lr * mu_next / (1.0 - mu_product * mu_next))


class RAdam(_AdamFamily):
    """RAdam (rectified Adam, Liu et al.). Per parameter, at step t, with rho_inf = 2 / (1 - beta2) - 1
    and rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t):

    g = ±grad (+ weight_decay * p, or p *= 1 - lr * weight_decay when decoupled);  m, v as in Adam;
    if rho_t > 5: p -= lr * m / (1 - beta1^t) * r_t * sqrt(1 - beta2^t) / (sqrt(v) + eps),
    r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t));
    else p -= lr * m / (1 - beta1^t).   State: "step", "exp_avg", "exp_avg_sq".
    """

    _state_keys = ("exp_avg", "exp_avg_sq")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False):
        _check_adam_args(lr, betas, eps, weight_decay)
        _check_flags(differentiable, None, foreach)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _update(self, p, grad, state, step, group, lr, beta1, beta2):
        weight_decay = group["weight_decay"]
        if weight_decay != 0:
            if group["decoupled_weight_decay"]:
                p.mul_(1 - lr * weight_decay)
            else:
                grad = grad.add(p, alpha=weight_decay)
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
        exp_avg_sq.mul_(beta2).add_(grad * grad, alpha=1 - beta2)
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * beta2 ** step / bias_correction2
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            denom = exp_avg_sq.sqrt().add_(group["eps"])
            p.add_(exp_avg / denom, alpha=-lr / bias_correction1 * rect * bias_correction2 ** 0.5)
        else:
            p.add_(exp_avg, alpha=-lr / bias_correction1)
