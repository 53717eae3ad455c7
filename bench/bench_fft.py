"""torch.fft benchmark: fft / rfft / irfft of 1-D float32 signals (lengths 256, 4096, 65536) and
fft2 of 256 x 256 images, a batch of 8 each, against numpy.fft and PyTorch (when installed)
in the same run, on the CPU.

    python bench/bench_fft.py                  # prints the table
    python bench/bench_fft.py --device gpu     # ferrotorch on the GPU (numpy / PyTorch stay on the CPU)
    python bench/bench_fft.py --write          # also updates the "FFT" section of BENCHMARKS.md

On the CPU ferrotorch runs its own kernels (mixed-radix Stockham passes, src/ops/fft/); on the
GPU it composes its transforms from tensor ops (four-step Cooley-Tukey with small DFT matrix
products, see python/ferrotorch/fft.py); numpy and PyTorch call pocketfft. Ratios are
(reference time / ferrotorch time), so above 1 means ferrotorch is faster.
"""
import argparse
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

BATCH = 8
LENGTHS = (256, 4096, 65536)
IMAGE = (256, 256)


def cases():
    """(label, transform name, input shape, whether the input is a half spectrum)."""
    rows = []
    for n in LENGTHS:
        rows += [(f"fft {n}", "fft", (BATCH, n), False), (f"rfft {n}", "rfft", (BATCH, n), False),
                 (f"irfft {n}", "irfft", (BATCH, n // 2 + 1), True)]
    rows.append((f"fft2 {IMAGE[0]}x{IMAGE[1]}", "fft2", (BATCH,) + IMAGE, False))
    return rows


def inputs(shape, spectrum, rng):
    """A float32 signal, or a complex64 half spectrum for irfft."""
    a = rng.standard_normal(shape).astype(np.float32)
    return (a + 1j * rng.standard_normal(shape).astype(np.float32)).astype(np.complex64) if spectrum else a


def ft_input(a, device):
    if np.iscomplexobj(a):
        return ft.tensor(np.ascontiguousarray(np.stack([a.real, a.imag], -1))).to(device).view_as_complex()
    return ft.tensor(a).to(device)


def number_for(n_points):
    """Calls per timing run: enough that a run of the short transforms is not all timer noise."""
    return max(1, 200_000 // n_points)


def run(device):
    rng = np.random.default_rng(0)
    sync = ft.cuda.synchronize if device != "cpu" else (lambda: None)
    rows = []
    for label, name, shape, spectrum in cases():
        a = inputs(shape, spectrum, rng)
        number = number_for(a.size)
        x = ft_input(a, device)
        fn = getattr(ft.fft, name)

        def ft_call():
            fn(x)
            sync()
        row = [label, best_time(ft_call, number), best_time(lambda: getattr(np.fft, name)(a), number)]
        if torch:
            t = torch.from_numpy(a)
            row.append(best_time(lambda: getattr(torch.fft, name)(t), number))
        rows.append(row)
    return rows


def render(rows, device):
    lines = [machine_line("bench_fft.py" + (f" --device {device}" if device != "cpu" else ""), torch), "",
             f"float32, batch of {BATCH}; ferrotorch on {device}, numpy and PyTorch on the CPU. "
             "Ratio = reference time / ferrotorch time.", ""]
    header = "| case | ferrotorch | numpy | ratio |" + (" PyTorch | ratio |" if torch else "")
    lines += [header, "|---" * (header.count("|") - 1) + "|"]
    for label, mine, ref_np, *ref_torch in rows:
        cells = [label, f"{mine * 1e3:.2f} ms", f"{ref_np * 1e3:.2f} ms", f"{ref_np / mine:.2f}x"]
        if ref_torch:
            cells += [f"{ref_torch[0] * 1e3:.2f} ms", f"{ref_torch[0] / mine:.2f}x"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu", choices=["cpu", "gpu"])
    ap.add_argument("--write", action="store_true", help="update the FFT section of BENCHMARKS.md")
    args = ap.parse_args()
    if args.device == "gpu" and not ft.cuda.is_available():
        sys.exit(f"no GPU: {ft._C._gpu_unavailable_reason()}")
    table = render(run(args.device), args.device)
    print(table)
    if args.write:
        write_section("FFT", table)
