"""`optim.SGD`: stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""
from .. import _C
from ..autograd.grad_mode import no_grad
from .optimizer import Optimizer, _to_scalar, _check_lr, _check_flags

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent, PyTorch's update rule:

    g = ±grad + weight_decay * p;  b = momentum * b + (1 - dampening) * g (b = g on the first step);
    g = g + momentum * b if nesterov else b;  p -= lr * g.

        >>> import ferrotorch as torch
        >>> w = torch.nn.Parameter(torch.tensor([1.0]))
        >>> opt = torch.optim.SGD([w], lr=0.5, momentum=0.9)
        >>> w.grad = torch.tensor([1.0]); _ = opt.step(); w.grad = torch.tensor([1.0]); _ = opt.step()
        >>> round(w.item(), 4)
        -0.45
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        _check_lr(lr)
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        _check_flags(differentiable, fused, foreach)
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach, differentiable=differentiable,
                        fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("nesterov", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("differentiable", False)
            group.setdefault("fused", False)

    def step(self, closure=None):
        """Perform one optimization step; returns the closure's loss (None without a closure)."""
        loss = self._eval_closure(closure)
        with no_grad():
            for group in self.param_groups:
                lr, momentum, dampening = _to_scalar(group["lr"]), group["momentum"], group["dampening"]
                weight_decay, nesterov = group["weight_decay"], group["nesterov"]
                for p in self._params_with_grad(group):
                    buf = self.state[p].get("momentum_buffer") if momentum != 0 else None
                    # One fused pass when the tensors allow it (the momentum buffer exists,
                    # everything contiguous, one dtype and device).
                    if (momentum == 0 or buf is not None) and _C._sgd_step_(
                            p, p.grad, buf, lr, momentum, dampening, weight_decay, nesterov, group["maximize"]):
                        continue
                    grad = -p.grad if group["maximize"] else p.grad
                    if weight_decay != 0:
                        grad = grad.add(p, alpha=weight_decay)
                    if momentum != 0:
                        state = self.state[p]
                        buf = state.get("momentum_buffer")
                        if buf is None:
                            buf = grad.clone().detach()
                            state["momentum_buffer"] = buf
                        else:
                            buf.mul_(momentum).add_(grad, alpha=1 - dampening)
                        grad = grad.add(buf, alpha=momentum) if nesterov else buf
                    p.add_(grad, alpha=-lr)
        return loss
