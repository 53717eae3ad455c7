"""`optim.Adafactor`: Adam-like steps with a factored (row x column) second moment, as `torch.optim.Adafactor`.

Adafactor keeps, for each matrix-shaped parameter, only the row and column means of the squared gradient
over its last two dims instead of a full second-moment tensor, so its memory is sublinear in the size of
the parameter. PyTorch's variant (which this follows exactly) uses `lr` both as the upper bound of the
relative step size rho_t and as the coefficient of decoupled weight decay, and applies epsilon1 to the
variance estimate rather than to the factors.

The scalar quantities (RMS of the parameter, RMS of the update) stay tensors, so a step on the GPU does
not read anything back to the host.
"""
from .. import _C
from .._C import Tensor
from .._dtype_info import finfo
from ..autograd.grad_mode import no_grad
from .optimizer import Optimizer, _get_scalar_dtype, _to_scalar

__all__ = ["Adafactor"]


def _rms(t):
    """Root mean square of all elements, as a 0-d tensor (0 for an empty tensor, like ||t|| / sqrt(n))."""
    n = t.numel()
    if n == 0:
        return _C.zeros((), dtype=t.dtype, device=t.device)
    return t.norm(2) / (n ** 0.5)


class Adafactor(Optimizer):
    """Adafactor (Shazeer & Stern) with PyTorch's conventions. Per parameter, at step t:

    g = ±grad;  beta2_hat = 1 - t^beta2_decay;  rho = min(lr, 1/sqrt(t));
    alpha = max(eps2, RMS(p)) * rho;  p *= 1 - lr * weight_decay;
    matrices (dim > 1, factored over the last two dims):
        R = lerp(R, mean(g^2, -1), 1 - beta2_hat);  C = lerp(C, mean(g^2, -2), 1 - beta2_hat);
        V = R @ C / max(mean(R, -2), eps1)
    vectors and scalars: V = lerp(V, g^2, 1 - beta2_hat);
    U = g / max(sqrt(V), eps1);  p -= alpha * U / max(1, RMS(U) / d).

    eps1=None means the machine epsilon of the parameter's dtype. State: "step" (0-d float32
    tensor) and "row_var" + "col_var" for matrices or "variance" otherwise.

        >>> import ferrotorch as torch
        >>> w = torch.nn.Parameter(torch.ones(2, 2))
        >>> opt = torch.optim.Adafactor([w], lr=0.01)
        >>> w.grad = torch.ones(2, 2); _ = opt.step()
        >>> round(w[0, 0].item(), 4)  # alpha = max(1e-3, RMS(w)=1) * min(0.01, 1) = 0.01
        0.99
    """

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0, *,
                 foreach=None, maximize=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            for p in group["params"]:
                p_state = self.state.get(p, {})
                # Old checkpoints may hold the step as a plain number.
                if len(p_state) != 0 and not isinstance(p_state["step"], Tensor):
                    p_state["step"] = _C.tensor(float(p_state["step"]), dtype=_get_scalar_dtype())

    def _init_state(self, p):
        state = self.state[p]
        if len(state) == 0:
            state["step"] = _C.zeros((), dtype=_get_scalar_dtype())
            grad = p.grad
            if grad.dim() > 1:
                # The factors keep the size-1 reduced dim, so R @ C rebuilds the full estimate.
                row_shape = list(grad.shape)
                row_shape[-1] = 1
                state["row_var"] = _C.zeros(row_shape, dtype=grad.dtype, device=grad.device)
                col_shape = list(grad.shape)
                col_shape[-2] = 1
                state["col_var"] = _C.zeros(col_shape, dtype=grad.dtype, device=grad.device)
            else:
                state["variance"] = _C.zeros_like(grad)
        return state

    def step(self, closure=None):
        """Perform one optimization step; returns the closure's loss (None without a closure)."""
        loss = self._eval_closure(closure)
        with no_grad():
            for group in self.param_groups:
                lr = _to_scalar(group["lr"])
                eps1, eps2 = group["eps"]
                d, weight_decay = group["d"], group["weight_decay"]
                for p in self._params_with_grad(group):
                    if p.is_complex():
                        raise RuntimeError("Adafactor does not support complex parameters")
                    state = self._init_state(p)
                    self._update(p, state, lr, group["beta2_decay"], eps1, eps2, d, weight_decay,
                                 group["maximize"])
        return loss

    @staticmethod
    def _update(p, state, lr, beta2_decay, eps1, eps2, d, weight_decay, maximize):
        grad = -p.grad if maximize else p.grad
        if eps1 is None:
            eps1 = finfo(p.dtype).eps
        step_t = state["step"]
        step_t += 1
        step = step_t.item()  # a CPU counter, as in PyTorch
        one_minus_beta2 = step ** beta2_decay
        rho = min(lr, 1 / step ** 0.5)
        alpha = _rms(p).clamp(min=eps2) * rho  # from p before the weight decay, as PyTorch does
        if weight_decay != 0:
            p.mul_(1 - lr * weight_decay)
        if grad.dim() > 1:
            row_var, col_var = state["row_var"], state["col_var"]
            sq = grad * grad
            row_var.lerp_(sq.mean(dim=-1, keepdim=True), one_minus_beta2)
            col_var.lerp_(sq.mean(dim=-2, keepdim=True), one_minus_beta2)
            var_estimate = (row_var @ col_var).div_(row_var.mean(dim=-2, keepdim=True).clamp(min=eps1))
        else:
            variance = state["variance"]
            variance.lerp_(grad * grad, one_minus_beta2)
            var_estimate = variance.clone()
        # max(sqrt(V), eps1) == sqrt(max(V, eps1^2)).
        update = var_estimate.clamp_(min=eps1 * eps1).rsqrt_().mul_(grad)
        denom = (_rms(update) / d).clamp(min=1.0)
        p.sub_(update * (alpha / denom))
