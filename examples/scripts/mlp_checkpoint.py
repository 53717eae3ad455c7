"""MLP classifier on synthetic blobs: DataLoader + Adam + StepLR, with a checkpoint saved
mid-training and resumed into fresh objects; the resumed run must match an uninterrupted one.

Run:  python examples/scripts/mlp_checkpoint.py [--device cpu|cuda]
"""
import os
import tempfile

try:
    import ferrotorch as torch
except ImportError:
    import torch
nn = torch.nn
F = torch.nn.functional
DataLoader, TensorDataset = torch.utils.data.DataLoader, torch.utils.data.TensorDataset


def make_data(n=256):
    g = torch.Generator().manual_seed(0)
    centers = torch.tensor([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.5]])
    y = torch.randint(0, 3, (n,), generator=g)
    x = centers[y] + 0.7 * torch.randn(n, 2, generator=g)
    return x, y


def build(device):
    model = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 3)).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    return model, opt, sched


def run_epochs(model, opt, sched, loader, device, first, last):
    losses = []
    for epoch in range(first, last):
        loader.generator.manual_seed(100 + epoch)  # the shuffle order depends only on the epoch
        model.train()
        total = 0.0
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(xb)
        sched.step()
        losses.append(total / len(loader.dataset))
    return losses


def main(device="cpu", epochs=4, verbose=True):
    x, y = make_data()
    ds = TensorDataset(x, y)
    loader = DataLoader(ds, batch_size=32, shuffle=True, generator=torch.Generator())

    torch.manual_seed(0)
    model, opt, sched = build(device)
    init = {k: v.clone() for k, v in model.state_dict().items()}
    straight = run_epochs(model, opt, sched, loader, device, 0, epochs)

    # Same start, stop half-way, checkpoint to disk, resume into brand-new objects.
    model2, opt2, sched2 = build(device)
    model2.load_state_dict(init)
    half = epochs // 2
    first = run_epochs(model2, opt2, sched2, loader, device, 0, half)
    path = os.path.join(tempfile.mkdtemp(), "ckpt.pt")
    torch.save({"epoch": half, "model": model2.state_dict(), "optimizer": opt2.state_dict(),
                "scheduler": sched2.state_dict()}, path)
    ckpt = torch.load(path, map_location=device)
    model3, opt3, sched3 = build(device)
    model3.load_state_dict(ckpt["model"])
    opt3.load_state_dict(ckpt["optimizer"])
    sched3.load_state_dict(ckpt["scheduler"])
    second = run_epochs(model3, opt3, sched3, loader, device, ckpt["epoch"], epochs)

    resume_diff = max((a - b).abs().max().item()
                      for a, b in zip(model.state_dict().values(), model3.state_dict().values()))
    model.eval()
    with torch.no_grad():
        acc = (model(x.to(device)).argmax(dim=1) == y.to(device)).float().mean().item()
    if verbose:
        print(model)
        print("epoch losses:", [round(v, 4) for v in straight])
        print("resumed losses:", [round(v, 4) for v in first + second])
        print(f"lr now {sched.get_last_lr()[0]:.4f}, accuracy {acc:.3f}, resume max diff {resume_diff:.2e}")
    return {"losses": straight, "resumed_losses": first + second, "resume_diff": resume_diff,
            "accuracy": acc, "lr": sched.get_last_lr()[0]}


if __name__ == "__main__":
    import argparse
    p = argparse.ArgumentParser()
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    main(p.parse_args().device)
