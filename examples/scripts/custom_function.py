"""A custom torch.autograd.Function (a smooth "soft-clamp" with a hand-written backward) checked
with gradcheck/gradgradcheck in float64, compared with the autograd composition, then used in a model.

Run:  python examples/scripts/custom_function.py [--device cpu|cuda]
"""
try:
    import ferrotorch as torch
except ImportError:
    import torch
nn = torch.nn


class SoftClamp(torch.autograd.Function):
    """y = limit * tanh(x / limit)."""

    @staticmethod
    def forward(ctx, x, limit):
        y = limit * torch.tanh(x / limit)
        ctx.save_for_backward(y)
        ctx.limit = limit
        return y

    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved_tensors
        # d/dx limit*tanh(x/limit) = 1 - tanh^2 = 1 - (y/limit)^2; written with differentiable ops,
        # so double backward works too.
        return grad_out * (1 - (y / ctx.limit) ** 2), None


def soft_clamp(x, limit=2.0):
    return SoftClamp.apply(x, limit)


def main(device="cpu", steps=40, verbose=True):
    torch.manual_seed(0)
    x = torch.randn(4, 3, dtype=torch.float64, device=device, requires_grad=True)
    ok = torch.autograd.gradcheck(lambda t: soft_clamp(t, 1.5), (x,), eps=1e-6, atol=1e-5)
    ok2 = torch.autograd.gradgradcheck(lambda t: soft_clamp(t, 1.5), (x,))
    # Same gradient as letting autograd differentiate the formula.
    w = torch.randn(4, 3, dtype=torch.float64, device=device)
    g_custom, = torch.autograd.grad((soft_clamp(x, 1.5) * w).sum(), x)
    g_auto, = torch.autograd.grad((1.5 * torch.tanh(x / 1.5) * w).sum(), x)
    grad_diff = (g_custom - g_auto).abs().max().item()

    y = soft_clamp(x.detach(), 1.5)
    out_of_range = (y.abs() > 1.5).any().item()
    # Use it inside a model: regress a clipped target.
    model = nn.Linear(1, 1).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.3)
    xs = torch.linspace(-1, 1, 32, device=device).unsqueeze(1)
    target = 2.0 * torch.tanh(3 * xs / 2.0)
    losses = []
    for _ in range(steps):
        loss = ((soft_clamp(model(xs)) - target) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    if verbose:
        print(f"gradcheck {ok}, gradgradcheck {ok2}, |custom - autograd| {grad_diff:.1e}")
        print(f"loss {losses[0]:.4f} -> {losses[-1]:.4f}; learned weight {model.weight.item():.3f}")
    return {"gradcheck": ok, "gradgradcheck": ok2, "grad_diff": grad_diff, "losses": losses,
            "weight": model.weight.item(), "out_of_range": out_of_range,
            "has_grad_fn": soft_clamp(x).grad_fn is not None}


if __name__ == "__main__":
    import argparse
    p = argparse.ArgumentParser()
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    main(p.parse_args().device)
