"""Train an MLP and a small CNN on the 8x8 handwritten digits bundled with scikit-learn.

Run:  python examples/train_digits.py            (add --epochs N, --device cpu|cuda, --plot PATH)
Plain PyTorch code: only the import differs. It runs on the GPU when one is available and on the
CPU otherwise, shows a progress bar, prints loss and accuracy per epoch, saves a loss/accuracy
plot as PNG (needs matplotlib), and checks that a saved and reloaded checkpoint gives the same
accuracy. Both models pass 95% test accuracy in well under a minute on two CPU cores.
"""
import argparse
import os
import sys
import tempfile
import time

import numpy as np

import ferrotorch as torch
from ferrotorch import nn
from ferrotorch.nn import functional as F
from ferrotorch.utils.data import DataLoader, TensorDataset


def load_digits(seed, test_fraction=0.2):
    """(train, test) TensorDatasets of standardised 1x8x8 images and int64 labels."""
    from sklearn.datasets import load_digits as sklearn_digits

    digits = sklearn_digits()
    images = digits.images.astype(np.float32)[:, None] / 16.0
    labels = digits.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(images))
    n_test = int(len(images) * test_fraction)
    test_idx, train_idx = order[:n_test], order[n_test:]
    mean, std = images[train_idx].mean(), images[train_idx].std()
    images = (images - mean) / std
    make = lambda idx: TensorDataset(torch.from_numpy(images[idx]), torch.from_numpy(labels[idx]))  # noqa: E731
    return make(train_idx), make(test_idx)


class MLP(nn.Module):
    def __init__(self, hidden=128):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(64, hidden), nn.ReLU(), nn.Dropout(0.1),
                                 nn.Linear(hidden, 10))

    def forward(self, x):
        return self.net(x)


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.bn = nn.BatchNorm2d(32)
        self.fc1 = nn.Linear(32 * 4 * 4, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = self.pool(F.relu(self.bn(self.conv2(x))))
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


def progress(done, total, text, width=24):
    """A one-line progress bar, redrawn in place."""
    filled = width * done // total
    sys.stdout.write(f"\r  [{'#' * filled}{'.' * (width - filled)}] {done:3d}/{total} {text}")
    sys.stdout.flush()


def evaluate(model, loader, device):
    model.eval()
    correct = total = 0
    loss_sum = 0.0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            out = model(x)
            loss_sum += F.cross_entropy(out, y, reduction="sum").item()
            correct += (out.argmax(1) == y).sum().item()
            total += len(y)
    return loss_sum / total, correct / total


def train(name, model, train_set, test_set, epochs, device, seed):
    print(f"\n{name}: {sum(p.numel() for p in model.parameters()):,} parameters on {device}")
    gen = torch.Generator().manual_seed(seed)
    train_loader = DataLoader(train_set, batch_size=32, shuffle=True, generator=gen)
    test_loader = DataLoader(test_set, batch_size=256)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    history = {"train_loss": [], "test_loss": [], "test_acc": []}
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        model.train()
        running, seen = 0.0, 0
        for step, (x, y) in enumerate(train_loader, 1):
            x, y = x.to(device), y.to(device)
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            running += loss.item() * len(y)
            seen += len(y)
            progress(step, len(train_loader), f"epoch {epoch} loss {running / seen:.4f}")
        scheduler.step()
        test_loss, test_acc = evaluate(model, test_loader, device)
        history["train_loss"].append(running / seen)
        history["test_loss"].append(test_loss)
        history["test_acc"].append(test_acc)
        # Overwrite the finished bar with the epoch's summary line.
        sys.stdout.write(f"\r  epoch {epoch:2d}  train loss {running / seen:.4f}  test loss {test_loss:.4f}  "
                         f"test acc {100 * test_acc:5.1f}%  ({time.perf_counter() - start:.1f}s)" + " " * 12 + "\n")
    return history


def save_plot(histories, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"(matplotlib is not installed: skipping {path}; pip install matplotlib)")
        return
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    for name, h in histories.items():
        epochs = range(1, len(h["train_loss"]) + 1)
        ax_loss.plot(epochs, h["train_loss"], label=f"{name} train")
        ax_loss.plot(epochs, h["test_loss"], "--", label=f"{name} test")
        ax_acc.plot(epochs, [100 * a for a in h["test_acc"]], label=name)
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy", title="loss", yscale="log")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="test accuracy")
    ax_loss.legend()
    ax_acc.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"plot saved to {path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", default="digits_training.png")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    train_set, test_set = load_digits(args.seed)
    print(f"digits: {len(train_set)} training and {len(test_set)} test images of 8x8 pixels")
    models = {"MLP": MLP().to(args.device), "CNN": CNN().to(args.device)}
    histories = {name: train(name, m, train_set, test_set, args.epochs, args.device, args.seed)
                 for name, m in models.items()}
    save_plot(histories, args.plot)

    # A checkpoint round trip: the reloaded model must score exactly the same.
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "cnn.pt")
        torch.save(models["CNN"].state_dict(), path)
        restored = CNN().to(args.device)
        restored.load_state_dict(torch.load(path))
    test_loader = DataLoader(test_set, batch_size=256)
    before = evaluate(models["CNN"], test_loader, args.device)[1]
    after = evaluate(restored, test_loader, args.device)[1]
    print(f"CNN test accuracy {100 * before:.1f}%, after save/load {100 * after:.1f}%")
    best = {name: max(h["test_acc"]) for name, h in histories.items()}
    print("final test accuracy: " + ", ".join(f"{n} {100 * h['test_acc'][-1]:.1f}%" for n, h in histories.items()))
    return best


if __name__ == "__main__":
    main()
