"""End-to-end training: nn + optim + data together converge, and a training step in steady
state leaves no graph behind."""
import numpy as np

import ferrotorch as torch
from ferrotorch import nn
from ferrotorch.nn import functional as F
from ferrotorch.utils.data import DataLoader, TensorDataset


def blobs(n, seed):
    """Three Gaussian blobs in 2-D with labels 0..2."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 2.0], [2.0, -1.0], [-2.0, -1.0]])
    labels = rng.integers(0, 3, n)
    points = centres[labels] + 0.6 * rng.standard_normal((n, 2))
    return torch.tensor(points, dtype=torch.float32), torch.tensor(labels)


def accuracy(model, x, y):
    with torch.no_grad():
        return (model.eval()(x).argmax(1) == y).float().mean().item()


def test_mlp_learns_blobs_with_adam_and_dataloader():
    torch.manual_seed(0)
    x, y = blobs(600, 0)
    model = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 3))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    loader = DataLoader(TensorDataset(x, y), batch_size=50, shuffle=True,
                        generator=torch.Generator().manual_seed(0))
    first = None
    for _ in range(10):
        model.train()
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
            first = first if first is not None else loss.item()
            opt.zero_grad()
            loss.backward()
            opt.step()
    assert loss.item() < first / 3
    xt, yt = blobs(300, 1)
    assert accuracy(model, xt, yt) > 0.95


def test_cnn_learns_to_tell_stripes_apart():
    # Horizontal vs vertical bars on 8x8 images: needs the convolution to see orientation.
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    imgs = np.zeros((128, 1, 8, 8), np.float32)
    labels = rng.integers(0, 2, 128)
    pos = rng.integers(0, 8, 128)
    for i in range(128):
        if labels[i]:
            imgs[i, 0, :, pos[i]] = 1
        else:
            imgs[i, 0, pos[i], :] = 1
    imgs += 0.1 * rng.standard_normal(imgs.shape).astype(np.float32)
    x, y = torch.from_numpy(imgs), torch.from_numpy(labels)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(4 * 4 * 4, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(60):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert accuracy(model, x, y) > 0.95


def test_training_step_leaves_no_graph_in_steady_state():
    torch.manual_seed(0)
    x, y = blobs(64, 2)
    model = nn.Sequential(nn.Linear(2, 16), nn.LayerNorm(16), nn.GELU(), nn.Dropout(0.1), nn.Linear(16, 3))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    counts = []
    for step in range(30):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
        counts.append(torch._C._live_graph_nodes())
    # After the first steps (optimizer state creation), the count of live graph nodes stays flat.
    assert len(set(counts[5:])) == 1, counts
