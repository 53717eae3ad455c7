"""Fine-tuning: pretrain a backbone, rename its state_dict keys into a new architecture and load it
with strict=False, freeze the backbone with requires_grad_(False), then unfreeze its last layer with
a smaller learning rate through optimizer param groups.

Run:  python examples/scripts/finetune_surgery.py [--device cpu|cuda]
"""
import io

try:
    import ferrotorch as torch
except ImportError:
    import torch
nn = torch.nn
F = torch.nn.functional


class Pretrained(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU())
        self.head = nn.Linear(16, 3)

    def forward(self, x):
        return self.head(self.backbone(x))


class Finetuned(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU())
        self.classifier = nn.Linear(16, 2)

    def forward(self, x):
        return self.classifier(self.features(x))


def train(model, opt, x, y, steps):
    losses = []
    for _ in range(steps):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def main(device="cpu", steps=40, verbose=True):
    torch.manual_seed(0)
    x = torch.randn(256, 4, device=device)
    y3 = (x[:, 0] > 0).long() + (x[:, 1] > 0).long()  # 3 classes
    y2 = (x[:, 0] * x[:, 1] > 0).long()  # the downstream task

    src = Pretrained().to(device)
    train(src, torch.optim.Adam(src.parameters(), lr=1e-2), x, y3, steps)
    buf = io.BytesIO()
    torch.save(src.state_dict(), buf)
    buf.seek(0)
    sd = torch.load(buf, weights_only=True)

    # Surgery: backbone.* -> features.*, and drop the old 3-class head.
    renamed = {k.replace("backbone.", "features.", 1): v for k, v in sd.items() if not k.startswith("head.")}
    model = Finetuned().to(device)
    result = model.load_state_dict(renamed, strict=False)
    missing, unexpected = sorted(result.missing_keys), sorted(result.unexpected_keys)
    copied = torch.equal(model.features[0].weight, src.backbone[0].weight)

    model.features.requires_grad_(False)
    frozen_before = [p.clone() for p in model.features.parameters()]
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    opt = torch.optim.Adam(filter(lambda p: p.requires_grad, model.parameters()), lr=1e-2)
    stage1 = train(model, opt, x, y2, steps)
    frozen_unchanged = all(torch.equal(a, b) for a, b in zip(frozen_before, model.features.parameters()))
    no_grads = all(p.grad is None for p in model.features.parameters())

    # Stage 2: unfreeze the last backbone layer, with a 10x smaller learning rate.
    model.features[2].requires_grad_(True)
    opt = torch.optim.Adam([{"params": model.classifier.parameters()},
                            {"params": model.features[2].parameters(), "lr": 1e-3}], lr=1e-2)
    first_layer = model.features[0].weight.clone()
    stage2 = train(model, opt, x, y2, steps)
    with torch.no_grad():
        acc = (model(x).argmax(1) == y2).float().mean().item()
    if verbose:
        print("missing:", missing, "unexpected:", unexpected)
        print(f"trainable while frozen: {trainable}; frozen unchanged {frozen_unchanged}; lrs",
              [g["lr"] for g in opt.param_groups])
        print(f"stage 1 loss {stage1[0]:.3f} -> {stage1[-1]:.3f}; stage 2 -> {stage2[-1]:.3f}; accuracy {acc:.3f}")
    return {"missing": missing, "unexpected": unexpected, "copied": copied, "trainable": trainable,
            "frozen_unchanged": frozen_unchanged, "no_grads": no_grads, "stage1": stage1, "stage2": stage2,
            "first_layer_unchanged": torch.equal(first_layer, model.features[0].weight),
            "last_layer_changed": not torch.equal(model.features[2].weight, src.backbone[2].weight),
            "lrs": [g["lr"] for g in opt.param_groups], "accuracy": acc}


if __name__ == "__main__":
    import argparse
    p = argparse.ArgumentParser()
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    main(p.parse_args().device)
