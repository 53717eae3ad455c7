"""The examples run end to end (shortened), and the main one learns."""
import os
import re
import subprocess
import sys

import pytest

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def run_example(name, *args, timeout=600):
    proc = subprocess.run([sys.executable, os.path.join(EXAMPLES, name), *args], capture_output=True,
                          text=True, timeout=timeout, cwd=os.environ.get("TMPDIR", "/tmp"))
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return proc.stdout


def test_quickstart():
    out = run_example("quickstart.py")
    assert "ferrotorch" in out


def test_train_digits_learns():
    pytest.importorskip("sklearn", reason="the digits example needs scikit-learn (installed by .ci/run)")
    out = run_example("train_digits.py", "--epochs", "3", "--plot", os.devnull, "--device", "cpu")
    accs = dict(re.findall(r"(MLP|CNN) (\d+\.\d)%", out.split("final test accuracy:")[-1]))
    assert set(accs) == {"MLP", "CNN"}, out[-2000:]
    assert all(float(a) > 90.0 for a in accs.values()), out[-2000:]
    before, after = re.search(r"CNN test accuracy (\d+\.\d)%, after save/load (\d+\.\d)%", out).groups()
    assert before == after


@pytest.mark.skipif(not __import__("ferrotorch").cuda.is_available(), reason="no usable GPU adapter")
def test_train_digits_on_the_gpu():
    pytest.importorskip("sklearn", reason="the digits example needs scikit-learn (installed by .ci/run)")
    out = run_example("train_digits.py", "--epochs", "2", "--plot", os.devnull, "--device", "cuda")
    assert "parameters on cuda" in out
    accs = dict(re.findall(r"(MLP|CNN) (\d+\.\d)%", out.split("final test accuracy:")[-1]))
    assert set(accs) == {"MLP", "CNN"} and all(float(a) > 80.0 for a in accs.values()), out[-2000:]


def test_char_transformer_runs_and_improves():
    out = run_example("char_transformer.py", "--steps", "40", "--every", "20", "--batch", "8", "--block", "32",
                      "--device", "cuda" if __import__("ferrotorch").cuda.is_available() else "cpu")
    losses = [float(v) for v in re.findall(r"val loss (\d+\.\d+)", out)]
    assert len(losses) == 2 and losses[-1] < 3.5, out[-2000:]


def test_sequence_lstm_learns_from_packed_sequences():
    out = run_example("sequence_lstm.py", "--steps", "150", "--device", "cpu")
    assert float(re.search(r"final test accuracy (\d+\.\d)%", out).group(1)) > 90.0, out[-2000:]


@pytest.mark.skipif(not __import__("ferrotorch").cuda.is_available(), reason="no usable GPU adapter")
def test_sequence_lstm_trains_on_the_gpu():
    out = run_example("sequence_lstm.py", "--steps", "20", "--device", "cuda")
    assert "LSTM on cuda" in out and float(re.search(r"final test accuracy (\d+\.\d)%", out).group(1)) > 60.0, out
