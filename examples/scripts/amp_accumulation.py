"""Gradient accumulation (4 micro-batches == one big batch) and mixed precision with
torch.amp.autocast + torch.amp.GradScaler (float16 on CUDA, bfloat16 on the CPU).

Run:  python examples/scripts/amp_accumulation.py [--device cpu|cuda]
"""
try:
    import ferrotorch as torch
except ImportError:
    import torch
nn = torch.nn
F = torch.nn.functional


def make_model(device):
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(8, 32), nn.GELU(), nn.Linear(32, 1)).to(device)


def main(device="cpu", steps=30, accum=4, verbose=True):
    g = torch.Generator().manual_seed(0)
    w_true = torch.randn(8, 1, generator=g)
    x = torch.randn(128, 8, generator=g)
    y = x @ w_true + 0.1 * torch.randn(128, 1, generator=g)
    x, y = x.to(device), y.to(device)

    # 1) Accumulated micro-batch gradients equal the full-batch gradient.
    m_full, m_acc = make_model(device), make_model(device)
    F.mse_loss(m_full(x), y).backward()
    for xb, yb in zip(x.chunk(accum), y.chunk(accum)):
        (F.mse_loss(m_acc(xb), yb) / accum).backward()
    accum_diff = max((a.grad - b.grad).abs().max().item() for a, b in zip(m_full.parameters(), m_acc.parameters()))

    # 2) Training loop with autocast + GradScaler + accumulation.
    device_type = "cuda" if str(device).startswith("cuda") else "cpu"
    amp_dtype = torch.float16 if device_type == "cuda" else torch.bfloat16
    model = make_model(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    scaler = torch.amp.GradScaler(device_type, init_scale=2.0 ** 8)
    losses, out_dtype = [], None
    for step in range(steps):
        for xb, yb in zip(x.chunk(accum), y.chunk(accum)):
            with torch.autocast(device_type=device_type, dtype=amp_dtype):
                pred = model(xb)
                out_dtype = pred.dtype
                loss = F.mse_loss(pred.float(), yb) / accum
            scaler.scale(loss).backward()
        scaler.unscale_(opt)
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        scaler.step(opt)
        scaler.update()
        opt.zero_grad(set_to_none=True)
        with torch.no_grad():
            losses.append(F.mse_loss(model(x), y).item())
    if verbose:
        print(f"accumulated vs full-batch grad max diff {accum_diff:.2e}")
        print(f"autocast output dtype {out_dtype}; scale {scaler.get_scale()}; param dtype {model[0].weight.dtype}")
        print(f"loss {losses[0]:.4f} -> {losses[-1]:.4f}")
    return {"accum_diff": accum_diff, "out_dtype": out_dtype, "amp_dtype": amp_dtype, "losses": losses,
            "scale": scaler.get_scale(), "param_dtype": model[0].weight.dtype}


if __name__ == "__main__":
    import argparse
    p = argparse.ArgumentParser()
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    main(p.parse_args().device)
