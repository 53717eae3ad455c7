"""Reproducibility and logging: torch.manual_seed makes initialisation, dropout and shuffling
repeat exactly; models and tensors print for logs; a full training state round-trips through
torch.save/torch.load (model + optimizer + scheduler + RNG state).

Run:  python examples/scripts/reproducibility.py [--device cpu|cuda]
"""
import io

try:
    import ferrotorch as torch
except ImportError:
    import torch
nn = torch.nn
F = torch.nn.functional


def run(device, seed, steps=10):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(3, 8), nn.Dropout(0.3), nn.Tanh(), nn.Linear(8, 1)).to(device)
    opt = torch.optim.RMSprop(model.parameters(), lr=0.01)
    data = torch.randn(64, 3)
    target = data.sum(1, keepdim=True)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(data, target), batch_size=16, shuffle=True)
    losses = []
    for _ in range(steps // len(loader) + 1):
        for xb, yb in loader:
            loss = F.mse_loss(model(xb.to(device)), yb.to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return model, opt, losses


def main(device="cpu", verbose=True):
    m1, opt1, l1 = run(device, 123)
    m2, _, l2 = run(device, 123)
    _, _, l3 = run(device, 7)
    same_seed_equal = l1 == l2 and all(torch.equal(a, b) for a, b in zip(m1.parameters(), m2.parameters()))
    different_seed_differs = l1 != l3

    # Full training state through an in-memory checkpoint.
    buf = io.BytesIO()
    cuda_rng = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
    torch.save({"model": m1.state_dict(), "optim": opt1.state_dict(), "rng": torch.get_rng_state(),
                "cuda_rng": cuda_rng, "losses": l1}, buf)
    buf.seek(0)
    ckpt = torch.load(buf, weights_only=False)
    m4 = nn.Sequential(nn.Linear(3, 8), nn.Dropout(0.3), nn.Tanh(), nn.Linear(8, 1)).to(device)
    m4.load_state_dict(ckpt["model"])
    reload_equal = all(torch.equal(a, b) for a, b in zip(m1.state_dict().values(), m4.state_dict().values()))
    torch.set_rng_state(ckpt["rng"])
    r1 = torch.rand(3)
    torch.set_rng_state(ckpt["rng"])
    rng_restored = torch.equal(r1, torch.rand(3))
    if ckpt["cuda_rng"] is not None and str(device).startswith("cuda"):
        torch.cuda.set_rng_state_all(ckpt["cuda_rng"])
        g1 = torch.randn(4, device=device)
        torch.cuda.set_rng_state_all(ckpt["cuda_rng"])
        rng_restored = rng_restored and torch.equal(g1, torch.randn(4, device=device))
    m4.eval()
    x = torch.linspace(-1, 1, 6).reshape(2, 3).to(device)
    with torch.no_grad():
        out = m4(x)
    eval_deterministic = torch.equal(out, m4(x).detach())
    log = str(m1) + "\n" + str(out.cpu()) + "\n" + repr(torch.arange(6).view(2, 3))
    if verbose:
        print(log)
        print(f"same seed equal {same_seed_equal}; other seed differs {different_seed_differs}; "
              f"reload equal {reload_equal}; rng restored {rng_restored}")
        print("optimizer state keys:", sorted(ckpt["optim"].keys()), "param groups lr",
              [g["lr"] for g in ckpt["optim"]["param_groups"]])
    return {"same_seed_equal": same_seed_equal, "different_seed_differs": different_seed_differs,
            "reload_equal": reload_equal, "rng_restored": rng_restored, "eval_deterministic": eval_deterministic,
            "log": log, "optim_keys": sorted(ckpt["optim"].keys()), "losses": l1}


if __name__ == "__main__":
    import argparse
    p = argparse.ArgumentParser()
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    main(p.parse_args().device)
