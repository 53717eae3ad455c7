"""Convolution benchmark: Conv2d(16, 32, 3, padding=1) forward + backward on a (32, 16, 28, 28)
float32 batch, against numpy im2col + matmul (forward only, and forward + the two backward
products with col2im) in the same run, and PyTorch when installed.

    python bench/bench_conv.py        # prints the table and updates BENCHMARKS.md
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

N, C, O, H, W, K = 32, 16, 32, 28, 28, 3


def np_im2col(xp):
    """(N, C, H+2, W+2) padded -> (N, C*9, H*W) with stride tricks (one copy)."""
    s = xp.strides
    win = np.lib.stride_tricks.as_strided(xp, (N, C, K, K, H, W), (s[0], s[1], s[2], s[3], s[2], s[3]))
    return win.reshape(N, C * K * K, H * W)


def np_col2im(cols):
    out = np.zeros((N, C, H + 2, W + 2), cols.dtype)
    c = cols.reshape(N, C, K, K, H, W)
    for ki in range(K):
        for kj in range(K):
            out[:, :, ki:ki + H, kj:kj + W] += c[:, :, ki, kj]
    return out[:, :, 1:-1, 1:-1]


def numpy_step(x, w, b, backward):
    wm = w.reshape(O, -1)

    def step():
        cols = np_im2col(np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1))))
        out = wm @ cols + b[None, :, None]
        if backward:
            g = np.ones_like(out)
            gw = np.einsum("nol,nkl->ok", g, cols)
            gx = np_col2im(wm.T @ g)
            return gw, gx, g.sum((0, 2))
        return out
    return step


def lib_step(lib, x, conv):
    def step():
        conv.zero_grad()
        conv(x).sum().backward()
    return step


def run():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, C, H, W)).astype(np.float32)
    conv = ft.nn.Conv2d(C, O, K, padding=1)
    w, b = conv.weight.detach().numpy(), conv.bias.detach().numpy()
    rows = [("ferrotorch Conv2d fwd+bwd", best_time(lib_step(ft, ft.tensor(x), conv), 3))]
    with ft.no_grad():
        rows.append(("ferrotorch Conv2d fwd (no_grad)", best_time(lambda: conv(ft.tensor(x)), 3)))
    rows.append(("numpy im2col+matmul fwd", best_time(numpy_step(x, w, b, False), 3)))
    rows.append(("numpy im2col+matmul fwd+bwd", best_time(numpy_step(x, w, b, True), 3)))
    if torch:
        tconv = torch.nn.Conv2d(C, O, K, padding=1)
        rows.append(("PyTorch Conv2d fwd+bwd", best_time(lib_step(torch, torch.tensor(x), tconv), 3)))
    return rows


def render(rows):
    lines = [machine_line("bench_conv.py", torch), "",
             f"Conv2d({C}, {O}, {K}, padding=1) on ({N}, {C}, {H}, {W}) float32.", "",
             "| case | time |", "|---|---|"]
    lines += [f"| {name} | {t * 1e3:.1f} ms |" for name, t in rows]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    table = render(run())
    print(table)
    write_section("Convolution", table)
