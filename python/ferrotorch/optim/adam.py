"""`optim.Adam` and `optim.AdamW` (Adam with decoupled weight decay), with amsgrad and maximize."""
from .. import _C
from .._C import Tensor
from ..autograd.grad_mode import no_grad
from .optimizer import Optimizer, _as_real, _to_scalar, _check_flags, _check_lr, _get_scalar_dtype

__all__ = ["Adam", "AdamW"]


def _check_adam_args(lr, betas, eps, weight_decay):
    """PyTorch's argument checks shared by Adam, AdamW, Adamax, NAdam and RAdam (same messages)."""
    _check_lr(lr)
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


def _check_tensor_lr(lr, foreach, capturable):
    """Adam/AdamW's rules for a tensor lr (PyTorch's messages). Tensor hyper-parameters exist for
    capturable steps; PyTorch's foreach kernels take plain numbers, so it refuses that combination."""
    if isinstance(lr, Tensor):
        if foreach and not capturable:
            raise ValueError("lr as a Tensor is not supported for capturable=False and foreach=True")
        if lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")


def _check_tensor_betas(betas, foreach, capturable):
    """Adam/AdamW's rules for betas: both floats or both 1-element tensors (checked after the ranges)."""
    if not ((isinstance(betas[0], float) and isinstance(betas[1], float))
            or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))):
        raise ValueError("betas must be either both floats or both Tensors")
    for i in (0, 1):
        if isinstance(betas[i], Tensor):
            if foreach and not capturable:
                raise ValueError(f"betas[{i}] as a Tensor is not supported for capturable=False and foreach=True")
            if betas[i].numel() != 1:
                raise ValueError(f"Tensor betas[{i}] must be 1-element")


class Adam(Optimizer):
    """Adam (Kingma & Ba), PyTorch's update rule. Per parameter, at step t:

    g = ±grad (+ weight_decay * p, or p *= 1 - lr * weight_decay when decoupled);
    m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g;  (amsgrad: v_max = max(v_max, v));
    p -= lr / (1 - beta1^t) * m / (sqrt(v or v_max) / sqrt(1 - beta2^t) + eps).

    State: "step" (0-d float32 tensor), "exp_avg", "exp_avg_sq", and "max_exp_avg_sq" with amsgrad.

        >>> import ferrotorch as torch
        >>> w = torch.nn.Parameter(torch.tensor([1.0]))
        >>> opt = torch.optim.Adam([w], lr=0.1)
        >>> w.grad = torch.tensor([3.0]); _ = opt.step()
        >>> round(w.item(), 4)  # the first Adam step moves every coordinate by about lr
        0.9
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        _check_tensor_lr(lr, foreach, capturable)
        _check_adam_args(lr, betas, eps, weight_decay)
        _check_tensor_betas(betas, foreach, capturable)
        _check_flags(differentiable, fused, foreach)
        # Tensor betas are kept (as 0-d tensors, like PyTorch); the step reads them as numbers.
        betas = tuple(b.reshape(()) if isinstance(b, Tensor) else b for b in betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("amsgrad", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("capturable", False)
            group.setdefault("differentiable", False)
            group.setdefault("fused", None)
            group.setdefault("decoupled_weight_decay", False)

    def _init_state(self, p, amsgrad):
        state = self.state[p]
        if len(state) == 0:
            state["step"] = _C.zeros((), dtype=_get_scalar_dtype())
            state["exp_avg"] = _C.zeros_like(p)
            state["exp_avg_sq"] = _C.zeros_like(p)
            if amsgrad:
                state["max_exp_avg_sq"] = _C.zeros_like(p)
        return state

    def step(self, closure=None):
        """Perform one optimization step; returns the closure's loss (None without a closure)."""
        loss = self._eval_closure(closure)
        with no_grad():
            for group in self.param_groups:
                lr, eps = _to_scalar(group["lr"]), group["eps"]
                beta1, beta2 = (_to_scalar(b) for b in group["betas"])
                weight_decay, amsgrad = group["weight_decay"], group["amsgrad"]
                for p in self._params_with_grad(group):
                    state = self._init_state(p, amsgrad)
                    exp_avg, exp_avg_sq, step_t = state["exp_avg"], state["exp_avg_sq"], state["step"]
                    step_t += 1
                    step = step_t.item()
                    step_size = lr / (1 - beta1 ** step)
                    bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
                    max_sq = state["max_exp_avg_sq"] if amsgrad else None
                    p, grad, exp_avg, exp_avg_sq, max_sq = _as_real(p, p.grad, exp_avg, exp_avg_sq, max_sq)
                    # One fused pass when the tensors allow it (contiguous, one dtype and device).
                    if _C._adam_step_(p, grad, exp_avg, exp_avg_sq, max_sq, lr, beta1, beta2, eps, weight_decay,
                                      group["decoupled_weight_decay"], group["maximize"], step_size,
                                      bias_correction2_sqrt):
                        continue
                    grad = -grad if group["maximize"] else grad
                    if weight_decay != 0:
                        if group["decoupled_weight_decay"]:
                            p.mul_(1 - lr * weight_decay)
                        else:
                            grad = grad.add(p, alpha=weight_decay)
                    exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)  # = lerp_(grad, 1 - beta1), faster here
                    exp_avg_sq.mul_(beta2).add_(grad * grad, alpha=1 - beta2)
                    if amsgrad:
                        max_sq.copy_(max_sq.maximum(exp_avg_sq))
                        denom = max_sq.sqrt().div_(bias_correction2_sqrt).add_(eps)
                    else:
                        denom = exp_avg_sq.sqrt().div_(bias_correction2_sqrt).add_(eps)
                    p.add_(exp_avg / denom, alpha=-step_size)
        return loss


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter): Adam whose weight decay shrinks p directly, p *= 1 - lr * weight_decay,
    instead of entering the moments. Same state as `Adam`; default weight_decay=1e-2.

        >>> import ferrotorch as torch
        >>> w = torch.nn.Parameter(torch.tensor([1.0]))
        >>> opt = torch.optim.AdamW([w], lr=0.1, weight_decay=0.5)
        >>> w.grad = torch.tensor([0.0]); _ = opt.step()
        >>> round(w.item(), 4)
        0.95
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state):
        super().__setstate__(state)
        # A state_dict saved by any Adam variant still loads into AdamW as AdamW.
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
