"""GPU benchmarks (issue targets), ferrotorch's wgpu backend against PyTorch CUDA when installed,
and against ferrotorch's own CPU backend and numpy in the same run.

    python bench/bench_gpu.py --device gpu           # full sizes (a real GPU)
    python bench/bench_gpu.py --device gpu --small   # reduced sizes (a software adapter)

Every figure names the adapter it came from. Ratios are (reference time / ferrotorch time) for
speed, so above 1 means ferrotorch is faster; the bandwidth rows report GB/s.
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python"))
import ferrotorch as ft  # noqa: E402
from _report import machine_line, write_section  # noqa: E402

try:
    import torch
    CUDA = torch.cuda.is_available()
except ImportError:
    torch, CUDA = None, False


def timed(fn, sync, number, repeat=5):
    """Seconds per call, the best of `repeat` runs of `number` calls, each run ended by `sync`."""
    fn()
    sync()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        sync()
        best = min(best, (time.perf_counter() - t0) / number)
    return best


def enqueue_time(s, sync, n_ops=1000, repeat=5):
    """Seconds to queue one small op (no wait for the GPU), wall clock and the calling thread's
    CPU time: best of `repeat` runs, warmed up first so that kernel compilation is not timed.
    On a software adapter the driver's worker threads run the kernels on the same cores, so the
    wall time includes their share; the thread's CPU time is the host's own cost per op."""
    best, best_cpu = float("inf"), float("inf")
    for _ in range(repeat + 1):
        sync()
        t0, c0 = time.perf_counter(), time.thread_time()
        for _ in range(n_ops):
            s = s + 1.0
        best = min(best, (time.perf_counter() - t0) / n_ops)
        best_cpu = min(best_cpu, (time.thread_time() - c0) / n_ops)
    sync()
    return best, best_cpu


def ft_sync():
    ft.cuda.synchronize()


def torch_sync():
    torch.cuda.synchronize()


def mlp_step_ft(dev, batch):
    model = ft.nn.Sequential(ft.nn.Linear(784, 1024), ft.nn.ReLU(), ft.nn.Linear(1024, 1024), ft.nn.ReLU(),
                             ft.nn.Linear(1024, 10)).to(dev)
    opt = ft.optim.Adam(model.parameters(), lr=1e-3)
    x = ft.randn(batch, 784, device=dev)
    y = ft.randint(0, 10, (batch,), device=dev)

    def step():
        opt.zero_grad()
        loss = ft.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    return step


def mlp_step_torch(batch):
    model = torch.nn.Sequential(torch.nn.Linear(784, 1024), torch.nn.ReLU(), torch.nn.Linear(1024, 1024),
                                torch.nn.ReLU(), torch.nn.Linear(1024, 10)).cuda()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(batch, 784, device="cuda")
    y = torch.randint(0, 10, (batch,), device="cuda")

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    return step


def run(small):
    info = ft.cuda.adapter_info()
    adapter = f"{info['name']} ({info['backend']}, {info['device_type']}, features: {', '.join(info['features'])})"
    n_mm = 512 if small else 4096
    n_bw = (4 << 20) if small else (64 << 20)
    rows = []

    a = ft.randn(n_mm, n_mm, device="gpu")
    b = ft.randn(n_mm, n_mm, device="gpu")
    t = timed(lambda: a @ b, ft_sync, 2 if small else 10)
    flops = 2 * n_mm ** 3
    row = [f"matmul f32 {n_mm}x{n_mm}", f"{flops / t / 1e9:.1f} GFLOP/s"]
    if CUDA:
        ta, tb = torch.randn(n_mm, n_mm, device="cuda"), torch.randn(n_mm, n_mm, device="cuda")
        tt = timed(lambda: ta @ tb, torch_sync, 10)
        row += [f"{flops / tt / 1e9:.1f} GFLOP/s", f"{tt / t:.2f}x"]
    rows.append(row)

    x = ft.randn(n_bw, device="gpu")
    y = ft.randn(n_bw, device="gpu")
    for name, fn, nbytes, tfn in [
        ("add", lambda: x + y, 12 * n_bw, "add"),
        ("sum", lambda: x.sum(), 4 * n_bw, "sum"),
    ]:
        t = timed(fn, ft_sync, 3 if small else 20)
        row = [f"{name} {n_bw >> 20}M f32", f"{nbytes / t / 1e9:.1f} GB/s"]
        if CUDA:
            tx, ty = torch.randn(n_bw, device="cuda"), torch.randn(n_bw, device="cuda")
            tf = (lambda: tx + ty) if tfn == "add" else (lambda: tx.sum())
            tt = timed(tf, torch_sync, 20)
            row += [f"{nbytes / tt / 1e9:.1f} GB/s", f"{tt / t:.2f}x"]
        rows.append(row)

    enqueue, enqueue_cpu = enqueue_time(ft.ones(16, device="gpu"), ft_sync)
    row = ["small op enqueue (16 elements, + scalar)", f"{enqueue * 1e6:.1f} us (thread CPU {enqueue_cpu * 1e6:.1f} us)"]
    if CUDA:
        te, te_cpu = enqueue_time(torch.ones(16, device="cuda"), torch_sync)
        row += [f"PyTorch CUDA {te * 1e6:.1f} us (thread CPU {te_cpu * 1e6:.1f} us)", f"{te / enqueue:.2f}x (target <= 10 us)"]
    else:
        row += ["", "target <= 10 us"]
    rows.append(row)
    r = ft.ones(1000, device="gpu")
    t = timed(lambda: r.sum().item(), lambda: None, 20)
    row = [".item() of a reduction", f"{t * 1e6:.1f} us"]
    if CUDA:
        tr = torch.ones(1000, device="cuda")
        tt = timed(lambda: tr.sum().item(), lambda: None, 20)
        row += [f"PyTorch CUDA {tt * 1e6:.1f} us", f"{tt / t:.2f}x (target <= 60 us)"]
    else:
        row += ["", "target <= 60 us"]
    rows.append(row)

    batch = 32 if small else 256
    step = mlp_step_ft("gpu", batch)
    t = timed(step, ft_sync, 1 if small else 10, repeat=3)
    row = [f"MLP 784-1024-1024-10 batch {batch} Adam step", f"{t * 1e3:.1f} ms"]
    cpu_step = mlp_step_ft("cpu", batch)
    tc = timed(cpu_step, lambda: None, 1 if small else 5, repeat=3)
    row += [f"ferrotorch CPU {tc * 1e3:.1f} ms", f"CPU/GPU {tc / t:.2f}x"]
    if CUDA:
        tt = timed(mlp_step_torch(batch), torch_sync, 10)
        row += [f"PyTorch CUDA {tt * 1e3:.2f} ms", f"{tt / t:.2f}x"]
    rows.append(row)

    lines = [machine_line("bench_gpu.py --device gpu" + (" --small" if small else ""), torch),
             "", f"Adapter: {adapter}.", ""]
    if not CUDA:
        lines.append("PyTorch CUDA is not available on this machine: no PyTorch ratio in this run.")
        lines.append("")
    lines.append("| case | ferrotorch GPU | reference | ratio |")
    lines.append("|---|---|---|---|")
    for r in rows:
        r = r + [""] * (4 - len(r))
        lines.append("| " + " | ".join(r[:4]) + " |")
    text = "\n".join(lines)
    print(text)
    write_section("GPU (bench_gpu.py)", text)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="gpu", choices=["gpu"])
    ap.add_argument("--small", action="store_true", help="reduced sizes, for a software adapter")
    args = ap.parse_args()
    if not ft.cuda.is_available():
        sys.exit(f"no GPU: {ft._C._gpu_unavailable_reason()}")
    run(args.small)
