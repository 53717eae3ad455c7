"""`optim.Adagrad`: per-coordinate learning rates from the running sum of squared gradients."""
from .. import _C
from ..autograd.grad_mode import no_grad
from .optimizer import Optimizer, _as_real, _to_scalar, _check_flags, _check_lr, _get_scalar_dtype

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad, PyTorch's update rule. Per parameter, at step t:

    g = ±grad + weight_decay * p;  clr = lr / (1 + (t - 1) * lr_decay);  s += g * g;
    p -= clr * g / (sqrt(s) + eps).

    State ("step", "sum" = initial_accumulator_value) is created for every parameter at construction,
    as PyTorch does, so a fresh optimizer's state_dict already lists it.

        >>> import ferrotorch as torch
        >>> w = torch.nn.Parameter(torch.tensor([1.0]))
        >>> opt = torch.optim.Adagrad([w], lr=0.5)
        >>> w.grad = torch.tensor([4.0]); _ = opt.step()
        >>> round(w.item(), 4)
        0.5
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        _check_lr(lr)
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        _check_flags(differentiable, fused, foreach)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p, group):
        state = self.state[p]
        if len(state) == 0:
            state["step"] = _C.tensor(0.0, dtype=_get_scalar_dtype())
            state["sum"] = _C.full_like(p, group["initial_accumulator_value"])
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("fused", None)

    def step(self, closure=None):
        """Perform one optimization step; returns the closure's loss (None without a closure)."""
        loss = self._eval_closure(closure)
        with no_grad():
            for group in self.param_groups:
                lr, lr_decay = _to_scalar(group["lr"]), group["lr_decay"]
                eps, weight_decay = group["eps"], group["weight_decay"]
                for p in self._params_with_grad(group):
                    # Groups added after construction get their state here (PyTorch would KeyError).
                    state = self._init_state(p, group)
                    state["step"] += 1
                    step = state["step"].item()
                    clr = lr / (1 + (step - 1) * lr_decay)
                    p, grad, state_sum = _as_real(p, p.grad, state["sum"])
                    # One fused pass when the tensors allow it (contiguous, one dtype and device).
                    if _C._adagrad_step_(p, grad, state_sum, clr, eps, weight_decay, group["maximize"]):
                        continue
                    grad = -grad if group["maximize"] else grad
                    if weight_decay != 0:
                        grad = grad.add(p, alpha=weight_decay)
                    state_sum.add_(grad * grad)
                    std = state_sum.sqrt().add_(eps)
                    p.add_(grad / std, alpha=-clr)
        return loss
