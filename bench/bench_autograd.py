"""Autograd benchmarks: the cost of recording and running the tape, against numpy (and
PyTorch when installed) in the same run.

    python bench/bench_autograd.py        # prints the table and updates BENCHMARKS.md

- tiny graph: `((w*2+1).relu()*w).sum()` on 16 elements, forward + backward, reported as a
  multiple of one 16-element numpy add (target: at most 50x; PyTorch takes about 80-130x).
  This is per-op overhead: four recorded ops, a reduction, and the engine's walk.
- 3-layer MLP (784-256-128-10, batch 64, float32) forward + backward, next to numpy's
  forward alone (numpy has no backward; the ratio shows what the tape and the backward cost).
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


def tiny_graph(lib, w):
    def step():
        w.grad = None
        ((w * 2 + 1).relu() * w).sum().backward()
    return step


def mlp(lib, x, params):
    def step():
        (w1, b1), (w2, b2), (w3, b3) = params
        h = (x @ w1 + b1).relu()
        h = (h @ w2 + b2).relu()
        out = h @ w3 + b3
        (out * out).mean().backward()
        for w, b in params:
            w.grad = None
            b.grad = None
    return step


def numpy_mlp_forward(x, params):
    def step():
        (w1, b1), (w2, b2), (w3, b3) = params
        h = np.maximum(x @ w1 + b1, 0)
        h = np.maximum(h @ w2 + b2, 0)
        out = h @ w3 + b3
        return (out * out).mean()
    return step


def run():
    rng = np.random.default_rng(0)
    rows = []

    w16 = rng.standard_normal(16).astype(np.float32)
    a16, b16 = rng.random(16, dtype=np.float32), rng.random(16, dtype=np.float32)
    t_np_add = best_time(lambda: a16 + b16, 20000)
    t_ft = best_time(tiny_graph(ft, ft.tensor(w16, requires_grad=True)), 2000)
    t_torch = best_time(tiny_graph(torch, torch.tensor(w16, requires_grad=True)), 2000) if torch else None
    rows.append(("tiny graph fwd+bwd, 16 elems", "<= 50x numpy add", t_ft, "numpy 16-elem add", t_np_add, t_torch))

    sizes = [(784, 256), (256, 128), (128, 10)]
    np_params = [((rng.standard_normal((i, o)) / np.sqrt(i)).astype(np.float32), np.zeros(o, np.float32))
                 for i, o in sizes]
    x = rng.standard_normal((64, 784)).astype(np.float32)
    ft_params = [(ft.tensor(w, requires_grad=True), ft.tensor(b, requires_grad=True)) for w, b in np_params]
    t_ft = best_time(mlp(ft, ft.tensor(x), ft_params), 20)
    t_np = best_time(numpy_mlp_forward(x, np_params), 20)
    t_torch = None
    if torch:
        th_params = [(torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)) for w, b in np_params]
        t_torch = best_time(mlp(torch, torch.tensor(x), th_params), 20)
    rows.append(("MLP 784-256-128-10 fwd+bwd, batch 64", "report", t_ft, "numpy forward only", t_np, t_torch))
    return rows


def render(rows):
    lines = [
        machine_line("bench_autograd.py", torch),
        "",
        "Multiple = ferrotorch time / reference time (lower is better).",
        "",
        "| case | target | ferrotorch | reference | reference time | multiple | PyTorch (same graph) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, target, t_ft, ref_name, t_ref, t_torch in rows:
        torch_col = f"{t_torch * 1e6:.1f} us ({t_torch / t_ref:.0f}x)" if t_torch else "-"
        lines.append(f"| {name} | {target} | {t_ft * 1e6:.1f} us | {ref_name} | {t_ref * 1e6:.1f} us | "
                     f"{t_ft / t_ref:.1f}x | {torch_col} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    table = render(run())
    print(table)
    write_section("Autograd", table)
