"""Training-step benchmarks for nn + optim: an MLP, a small CNN and a transformer encoder block.

    python bench/bench_nn.py        # prints the table and updates BENCHMARKS.md ("nn training steps")

One step = zero_grad, forward, cross-entropy, backward, optimizer step. The same function builds
and runs the model with ferrotorch and, when installed, with PyTorch (the code is identical: only
the module differs), so the PyTorch column is a like-for-like ratio. The MLP also has a numpy
reference: a hand-written forward + backward + SGD update, the floor for this work on the CPU.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python"))
import ferrotorch as ft  # noqa: E402
from _report import best_time, machine_line, write_section  # noqa: E402

try:
    import torch
except ImportError:  # PyTorch is optional
    torch = None


def mlp_step(lib, x, y):
    nn = lib.nn
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return train_step(lib, model, opt, x, y)


def cnn_step(lib, x, y):
    nn = lib.nn
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 10))
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    return train_step(lib, model, opt, x, y)


def transformer_step(lib, x, y):
    nn = lib.nn
    layer = nn.TransformerEncoderLayer(128, 4, dim_feedforward=512, dropout=0.0, batch_first=True)
    head = nn.Linear(128, 10)
    model = nn.Sequential(layer, nn.Flatten(0, 1), head)
    opt = lib.optim.AdamW(model.parameters(), lr=1e-3)
    return train_step(lib, model, opt, x, y.reshape(-1))


def train_step(lib, model, opt, x, y):
    def step():
        opt.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    return step


def numpy_mlp_step(x, labels, rng):
    """Forward, softmax cross-entropy, backward and a momentum-SGD update, by hand in numpy."""
    sizes = [(784, 256), (256, 128), (128, 10)]
    params = [[(rng.standard_normal((i, o)) / np.sqrt(i)).astype(np.float32), np.zeros(o, np.float32)]
              for i, o in sizes]
    velocity = [[np.zeros_like(w), np.zeros_like(b)] for w, b in params]
    onehot = np.eye(10, dtype=np.float32)[labels]

    def step():
        acts = [x]
        for k, (w, b) in enumerate(params):
            z = acts[-1] @ w + b
            acts.append(np.maximum(z, 0) if k < 2 else z)
        logits = acts[-1]
        e = np.exp(logits - logits.max(1, keepdims=True))
        grad = (e / e.sum(1, keepdims=True) - onehot) / len(x)
        for k in (2, 1, 0):
            w, b = params[k]
            gw, gb = acts[k].T @ grad, grad.sum(0)
            if k:
                grad = (grad @ w.T) * (acts[k] > 0)
            for p, g, v in ((w, gw, velocity[k][0]), (b, gb, velocity[k][1])):
                v *= 0.9
                v += g
                p -= 0.01 * v
    return step


CASES = [
    # name, builder, input shape, label shape, numbers of calls per timing
    ("MLP 784-256-128-10, batch 64, SGD momentum", mlp_step, (64, 784), (64,), 10),
    ("CNN 2x(conv3x3+relu+maxpool) + linear, 1x28x28, batch 32, Adam", cnn_step, (32, 1, 28, 28), (32,), 3),
    ("Transformer encoder layer d=128 h=4 ff=512, batch 8 x seq 64, AdamW", transformer_step, (8, 64, 128),
     (8, 64), 3),
]


def run():
    rng = np.random.default_rng(0)
    rows = []
    for name, build, xshape, yshape, number in CASES:
        x = rng.standard_normal(xshape).astype(np.float32)
        y = rng.integers(0, 10, yshape)
        ft.manual_seed(0)
        t_ft = best_time(build(ft, ft.tensor(x), ft.tensor(y)), number, repeat=5)
        t_torch = None
        if torch:
            torch.manual_seed(0)
            t_torch = best_time(build(torch, torch.tensor(x), torch.tensor(y)), number, repeat=5)
        t_np = best_time(numpy_mlp_step(x, y, rng), number, repeat=5) if build is mlp_step else None
        rows.append((name, t_ft, t_np, t_torch))
    return rows


def render(rows):
    lines = [
        machine_line("bench_nn.py", torch),
        "",
        "Times per training step (zero_grad + forward + loss + backward + optimizer step), CPU, float32. "
        "Ratio = reference time / ferrotorch time (higher is better, 1.0 = parity).",
        "",
        "| case | ferrotorch | numpy by hand | ratio to numpy | PyTorch | ratio to PyTorch |",
        "|---|---|---|---|---|---|",
    ]
    for name, t_ft, t_np, t_torch in rows:
        np_cols = f"{t_np * 1e3:.2f} ms | {t_np / t_ft:.2f}x" if t_np else "- | -"
        th_cols = f"{t_torch * 1e3:.2f} ms | {t_torch / t_ft:.2f}x" if t_torch else "not installed | -"
        lines.append(f"| {name} | {t_ft * 1e3:.2f} ms | {np_cols} | {th_cols} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    table = render(run())
    print(table)
    write_section("nn training steps", table)
