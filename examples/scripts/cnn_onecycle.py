"""Small CNN (Conv2d + BatchNorm2d + Dropout) that tells horizontal from vertical bars, trained with
OneCycleLR and gradient clipping, then evaluated with model.eval() under torch.no_grad().

Run:  python examples/scripts/cnn_onecycle.py [--device cpu|cuda]
"""
try:
    import ferrotorch as torch
except ImportError:
    import torch
nn = torch.nn
F = torch.nn.functional


def bars(n, g):
    """n noisy 1x8x8 images holding one horizontal (label 0) or vertical (label 1) bar."""
    y = torch.randint(0, 2, (n,), generator=g)
    pos = torch.randint(1, 7, (n,), generator=g)
    idx = torch.arange(8)
    line = (idx[None, :] == pos[:, None]).float()  # (n, 8)
    horiz = line[:, :, None].expand(n, 8, 8)
    vert = line[:, None, :].expand(n, 8, 8)
    img = torch.where(y[:, None, None] == 0, horiz, vert)
    return (img + 0.3 * torch.randn(n, 8, 8, generator=g)).unsqueeze(1), y


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, kernel_size=3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.AdaptiveAvgPool2d(1))
        self.drop = nn.Dropout(0.2)
        self.fc = nn.Linear(16, 2)

    def forward(self, x):
        return self.fc(self.drop(torch.flatten(self.features(x), 1)))


def main(device="cpu", steps=30, batch=32, verbose=True):
    g = torch.Generator().manual_seed(1)
    xtr, ytr = bars(steps * batch, g)
    xte, yte = bars(200, g)
    torch.manual_seed(0)
    model = Net().to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.2, total_steps=steps)
    losses, norms, lrs = [], [], []
    model.train()
    for i in range(steps):
        xb = xtr[i * batch:(i + 1) * batch].to(device)
        yb = ytr[i * batch:(i + 1) * batch].to(device)
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        norms.append(float(nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)))
        opt.step()
        sched.step()
        losses.append(loss.item())
        lrs.append(sched.get_last_lr()[0])

    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(xte), 50):
            logits = model(xte[i:i + 50].to(device))
            correct += (logits.argmax(1).cpu() == yte[i:i + 50]).sum().item()
    acc = correct / len(xte)
    bn = model.features[1]
    if verbose:
        print(model)
        print(f"loss {losses[0]:.3f} -> {sum(losses[-5:]) / 5:.3f}, peak lr {max(lrs):.3f}, final lr {lrs[-1]:.2e}")
        print(f"test accuracy {acc:.3f}; bn1 batches tracked {bn.num_batches_tracked.item()}")
        print("bn1 running_mean", bn.running_mean.cpu())
    return {"losses": losses, "accuracy": acc, "lrs": lrs, "grad_norms": norms,
            "bn_batches": bn.num_batches_tracked.item()}


if __name__ == "__main__":
    import argparse
    p = argparse.ArgumentParser()
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    main(p.parse_args().device)
