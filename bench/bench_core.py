"""Core CPU benchmarks: ferrotorch against numpy (and PyTorch when installed) in the same run.

    python bench/bench_core.py            # prints the table and writes BENCHMARKS.md

Ratios are reported as (reference time / ferrotorch time): above 1 means ferrotorch is faster.
Absolute times on a shared machine are noise; ratios measured in one run are what to compare.
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


def case(name, target, ft_fn, np_fn, torch_fn=None, number=10):
    t_ft = best_time(ft_fn, number)
    t_np = best_time(np_fn, number)
    t_torch = best_time(torch_fn, number) if torch_fn else None
    return {"name": name, "target": target, "ft": t_ft, "np": t_np, "torch": t_torch}


def run():
    rng = np.random.default_rng(0)
    results = []

    n = 1024
    a, b = rng.random((n, n), dtype=np.float32), rng.random((n, n), dtype=np.float32)
    fa, fb = ft.from_numpy(a), ft.from_numpy(b)
    ta, tb = (torch.from_numpy(a), torch.from_numpy(b)) if torch else (None, None)
    results.append(case("matmul f32 1024x1024", ">= 0.9x numpy", lambda: fa @ fb, lambda: a @ b,
                        (lambda: ta @ tb) if torch else None, number=3))

    m = 16 * 1024 * 1024
    x, y = rng.random(m, dtype=np.float32), rng.random(m, dtype=np.float32)
    fx, fy = ft.from_numpy(x), ft.from_numpy(y)
    tx, ty = (torch.from_numpy(x), torch.from_numpy(y)) if torch else (None, None)
    results.append(case("add 16M f32 contiguous", ">= 0.9x numpy", lambda: fx + fy, lambda: x + y,
                        (lambda: tx + ty) if torch else None, number=3))
    side = 4096
    x2, y2 = x.reshape(side, side).T, y.reshape(side, side).T
    fx2, fy2 = fx.view(side, side).T, fy.view(side, side).T
    tx2, ty2 = (tx.view(side, side).T, ty.view(side, side).T) if torch else (None, None)
    results.append(case("add 16M f32 transposed", ">= 0.9x numpy", lambda: fx2 + fy2, lambda: x2 + y2,
                        (lambda: tx2 + ty2) if torch else None, number=3))
    results.append(case("contiguous() of 16M f32 transposed", ">= 0.9x numpy", lambda: fx2.contiguous(),
                        lambda: np.ascontiguousarray(x2), (lambda: tx2.contiguous()) if torch else None, number=3))
    results.append(case("sum 16M f32 contiguous", ">= 0.9x numpy", lambda: fx.sum(), lambda: x.sum(),
                        (lambda: tx.sum()) if torch else None, number=5))
    results.append(case("sum 16M f32 transposed", ">= 0.9x numpy", lambda: fx2.sum(), lambda: x2.sum(),
                        (lambda: tx2.sum()) if torch else None, number=5))

    s1, s2 = rng.random(16, dtype=np.float32), rng.random(16, dtype=np.float32)
    fs1, fs2 = ft.from_numpy(s1), ft.from_numpy(s2)
    ts1, ts2 = (torch.from_numpy(s1), torch.from_numpy(s2)) if torch else (None, None)
    results.append(case("add 16 f32 (per-call overhead)", "<= 3x numpy's time", lambda: fs1 + fs2, lambda: s1 + s2,
                        (lambda: ts1 + ts2) if torch else None, number=20000))
    return results


def render(results):
    lines = [
        machine_line("bench_core.py", torch),
        "",
        "Speed ratio = reference time / ferrotorch time (above 1: ferrotorch is faster).",
        "",
        "| case | target | ferrotorch | numpy | ratio vs numpy | PyTorch | ratio vs PyTorch |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        torch_cols = (f"{r['torch'] * 1e6:.1f} us | {r['torch'] / r['ft']:.2f}x" if r["torch"] else "- | -")
        lines.append(
            f"| {r['name']} | {r['target']} | {r['ft'] * 1e6:.1f} us | {r['np'] * 1e6:.1f} us | "
            f"{r['np'] / r['ft']:.2f}x | {torch_cols} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    table = render(run())
    print(table)
    write_section("Core ops", table)
