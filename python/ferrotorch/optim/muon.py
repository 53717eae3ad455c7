"""`optim.Muon`: momentum steps orthogonalized by a Newton-Schulz iteration, as `torch.optim.Muon`.

Muon is meant for the 2-D weights of hidden layers: the momentum-smoothed gradient is replaced by an
approximation of its orthogonal polar factor (U V^T of its SVD), computed with a few quintic
Newton-Schulz iterations, then scaled by a shape-dependent learning rate.

PyTorch runs the iteration in bfloat16. The GPU backend has no bfloat16 type, so the iteration runs in
float32 with every intermediate rounded to the nearest bfloat16 value (round-to-nearest-even on the
bit pattern): the same numbers PyTorch's bfloat16 kernels produce (they accumulate in float32 and round
each result once), on every device, without leaving the device.
"""
import math

from .. import _C
from .._C import Tensor
from ..autograd.grad_mode import no_grad
from .optimizer import Optimizer, _to_scalar

__all__ = ["Muon"]

EPS = 1e-7
DEFAULT_A = 3.4445
DEFAULT_B = -4.7750
DEFAULT_C = 2.0315
DEFAULT_NS_STEPS = 5
_ADJUST_LR_FNS = ("original", "match_rms_adamw", "spectral_unclamped")


def _round_bf16(x):
    """float32 `x` rounded to the nearest bfloat16 value (ties to even), kept as float32."""
    bits = x.view(_C.int32)
    # Adding 0x7FFF plus the lowest kept bit rounds the 16 dropped bits to nearest, ties to even.
    bits = (bits + (0x7FFF + ((bits >> 16) & 1))) & ~0xFFFF
    return bits.view(_C.float32)


def _zeropower_via_newtonschulz(grad, ns_coefficients, ns_steps, eps):
    """Approximate orthogonalization of a 2-D `grad` (singular values pushed towards ~1), in bfloat16 precision."""
    if ns_steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if len(grad.shape) != 2:
        raise ValueError("Input tensor gradient must be a 2D matrix")
    if len(ns_coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    a, b, c = ns_coefficients
    x = _round_bf16(grad.to(_C.float32).contiguous())
    # Iterate on the wide orientation so the Gram matrix is the smaller one.
    transposed = grad.size(0) > grad.size(1)
    if transposed:
        x = x.T
    norm = _round_bf16(_round_bf16(x.norm()).clamp(min=eps))
    x = _round_bf16(x / norm)
    for _ in range(ns_steps):
        gram = _round_bf16(x @ x.T)
        gram_update = _round_bf16(gram * b + (gram @ gram) * c)
        x = _round_bf16(x * a + gram_update @ x)
    if transposed:
        x = x.T
    return x


def _adjust_lr(lr, adjust_lr_fn, param_shape):
    """Scale lr by the matrix's shape (A, B) = (fan-out, fan-in), per the chosen convention."""
    rows, cols = param_shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        ratio = math.sqrt(max(1, rows / cols))
    elif adjust_lr_fn == "match_rms_adamw":
        ratio = 0.2 * math.sqrt(max(rows, cols))
    elif adjust_lr_fn == "spectral_unclamped":
        ratio = math.sqrt(rows / cols)
    else:
        ratio = 1.0
    return lr * ratio


class Muon(Optimizer):
    """Muon (Jordan et al.), PyTorch's update rule, for 2-D parameters only. Per parameter:

    B = lerp(B, g, 1 - momentum);  U = lerp(g, B, momentum) if nesterov else B;
    O = NewtonSchulz(U) (ns_steps quintic steps with ns_coefficients, in bfloat16 precision);
    p *= 1 - lr * weight_decay;  p -= adjust_lr(lr, shape) * O.

    adjust_lr_fn: None/"original" sqrt(max(1, A/B)), "match_rms_adamw" 0.2*sqrt(max(A, B)),
    "spectral_unclamped" sqrt(A/B). State: "momentum_buffer".

        >>> import ferrotorch as torch
        >>> w = torch.nn.Parameter(torch.zeros(2, 2))
        >>> opt = torch.optim.Muon([w], lr=0.1, weight_decay=0.0)
        >>> w.grad = torch.eye(2); _ = opt.step()
        >>> [round(v, 4) for v in w.diagonal().tolist()]  # orthogonalized I is ~1.1 * I after 5 steps
        [-0.1125, -0.1125]
    """

    def __init__(self, params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                 ns_coefficients=(DEFAULT_A, DEFAULT_B, DEFAULT_C), eps=EPS, ns_steps=DEFAULT_NS_STEPS,
                 adjust_lr_fn=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 <= momentum:
            raise ValueError(f"momentum should be >= 0 but is: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")
        if adjust_lr_fn is not None and adjust_lr_fn not in _ADJUST_LR_FNS:
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
                        ns_coefficients=ns_coefficients, eps=eps, ns_steps=ns_steps, adjust_lr_fn=adjust_lr_fn)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError("Muon only supports 2D parameters whereas we found a parameter with "
                                     f"size: {p.size()}")

    def step(self, closure=None):
        """Perform one optimization step; returns the closure's loss (None without a closure)."""
        loss = self._eval_closure(closure)
        with no_grad():
            for group in self.param_groups:
                lr, momentum, weight_decay = _to_scalar(group["lr"]), group["momentum"], group["weight_decay"]
                for p in self._params_with_grad(group):
                    if p.is_complex():
                        raise RuntimeError("Muon does not support complex parameters")
                    grad = p.grad
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = _C.zeros_like(grad)
                    if grad.ndim != 2:
                        raise ValueError("Param gradient must be a 2D matrix")
                    buf = state["momentum_buffer"]
                    buf.lerp_(grad, 1 - momentum)
                    update = grad.lerp(buf, momentum) if group["nesterov"] else buf
                    update = _zeropower_via_newtonschulz(update, group["ns_coefficients"], group["ns_steps"],
                                                         group["eps"])
                    adjusted_lr = _adjust_lr(lr, group["adjust_lr_fn"], p.shape)
                    p.mul_(1 - lr * weight_decay)
                    p.add_(update.to(p.dtype), alpha=-adjusted_lr)
        return loss
