"""`optim.RMSprop`: squared-gradient running average, optionally centered and with momentum."""
from .. import _C
from ..autograd.grad_mode import no_grad
from .optimizer import Optimizer, _as_real, _to_scalar, _check_flags, _check_lr, _get_scalar_dtype

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop, PyTorch's update rule. Per parameter:

    g = ±grad + weight_decay * p;  v = alpha * v + (1 - alpha) * g * g;
    centered: a = lerp(a, g, 1 - alpha), d = sqrt(v - a * a) + eps, else d = sqrt(v) + eps;
    momentum > 0: b = momentum * b + g / d, p -= lr * b;  otherwise p -= lr * g / d.

    State: "step", "square_avg", "momentum_buffer" (momentum > 0), "grad_avg" (centered).

        >>> import ferrotorch as torch
        >>> w = torch.nn.Parameter(torch.tensor([1.0]))
        >>> opt = torch.optim.RMSprop([w], lr=0.01, alpha=0.75)
        >>> w.grad = torch.tensor([2.0]); _ = opt.step()
        >>> round(w.item(), 4)  # 1 - 0.01 * 2 / sqrt(0.25 * 4)
        0.98
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        _check_flags(differentiable, None, foreach)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach, maximize=maximize,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("momentum", 0)
            group.setdefault("centered", False)
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("capturable", False)

    def step(self, closure=None):
        """Perform one optimization step; returns the closure's loss (None without a closure)."""
        loss = self._eval_closure(closure)
        with no_grad():
            for group in self.param_groups:
                lr, alpha, eps = _to_scalar(group["lr"]), group["alpha"], group["eps"]
                weight_decay, momentum, centered = group["weight_decay"], group["momentum"], group["centered"]
                for p in self._params_with_grad(group):
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = _C.zeros((), dtype=_get_scalar_dtype())
                        state["square_avg"] = _C.zeros_like(p)
                        if momentum > 0:
                            state["momentum_buffer"] = _C.zeros_like(p)
                        if centered:
                            state["grad_avg"] = _C.zeros_like(p)
                    state["step"] += 1
                    p, grad, square_avg, buf, grad_avg = _as_real(
                        p, p.grad, state["square_avg"], state.get("momentum_buffer") if momentum > 0 else None,
                        state.get("grad_avg") if centered else None)
                    # One fused pass when the tensors allow it (contiguous, one dtype and device).
                    if _C._rmsprop_step_(p, grad, square_avg, buf, grad_avg, lr, alpha, eps, weight_decay,
                                         momentum, group["maximize"]):
                        continue
                    grad = -grad if group["maximize"] else grad
                    if weight_decay != 0:
                        grad = grad.add(p, alpha=weight_decay)
                    square_avg.mul_(alpha).add_(grad * grad, alpha=1 - alpha)
                    if centered:
                        grad_avg.mul_(alpha).add_(grad, alpha=1 - alpha)
                        avg = (square_avg - grad_avg * grad_avg).sqrt_()
                    else:
                        avg = square_avg.sqrt()
                    avg = avg.add_(eps)
                    if momentum > 0:
                        buf.mul_(momentum).add_(grad / avg)
                        p.add_(buf, alpha=-lr)
                    else:
                        p.add_(grad / avg, alpha=-lr)
        return loss
