"""repr/str match PyTorch's formatting (expected strings are what PyTorch 2.x prints)."""
import numpy as np
import pytest

import ferrotorch as torch

CASES = [
    (lambda: torch.tensor([1.0, 2.0, 3.0]), "tensor([1., 2., 3.])"),
    (lambda: torch.tensor([1.5, 2.25]), "tensor([1.5000, 2.2500])"),
    (lambda: torch.tensor([[1.0, 2.5], [3.0, 4.0]]), "tensor([[1.0000, 2.5000],\n        [3.0000, 4.0000]])"),
    (lambda: torch.tensor([1, 2, 3]), "tensor([1, 2, 3])"),
    (lambda: torch.tensor([1, -20, 3]), "tensor([  1, -20,   3])"),
    (lambda: torch.tensor([True, False]), "tensor([ True, False])"),
    (lambda: torch.tensor(3.0), "tensor(3.)"),
    (lambda: torch.tensor(3), "tensor(3)"),
    (lambda: torch.tensor(True), "tensor(True)"),
    (lambda: torch.tensor([1e-5, 1.0]), "tensor([1.0000e-05, 1.0000e+00])"),
    (lambda: torch.tensor([1e10, 1.0]), "tensor([1.0000e+10, 1.0000e+00])"),
    (lambda: torch.tensor([float("nan"), float("inf"), -float("inf"), 1.0]), "tensor([nan, inf, -inf, 1.])"),
    (lambda: torch.tensor([1, 2], dtype=torch.int32), "tensor([1, 2], dtype=torch.int32)"),
    (lambda: torch.tensor([1.0, 2.0], dtype=torch.float64), "tensor([1., 2.], dtype=torch.float64)"),
    (lambda: torch.tensor([1.5], dtype=torch.float16), "tensor([1.5000], dtype=torch.float16)"),
    (lambda: torch.tensor([]), "tensor([])"),
    (lambda: torch.tensor([], dtype=torch.int64), "tensor([], dtype=torch.int64)"),
    (lambda: torch.tensor(np.zeros((0, 3), np.float32)), "tensor([], size=(0, 3))"),
    (lambda: torch.tensor([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]),
     "tensor([[[1, 2],\n         [3, 4]],\n\n        [[5, 6],\n         [7, 8]]])"),
    (lambda: torch.tensor([[1, 2]], dtype=torch.int8), "tensor([[1, 2]], dtype=torch.int8)"),
    (lambda: torch.tensor(np.arange(2000)), "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"),
    (lambda: torch.tensor([0.0, 0.0]), "tensor([0., 0.])"),
    (lambda: torch.tensor([-0.5, 100.25]), "tensor([ -0.5000, 100.2500])"),
]


@pytest.mark.parametrize("make,expected", CASES, ids=[c[1][:40] for c in CASES])
def test_repr(make, expected):
    assert repr(make()) == expected
    assert str(make()) == expected


def test_long_rows_wrap_and_summarise():
    r = repr(torch.tensor(np.arange(1500, dtype=np.float32).reshape(30, 50)))
    assert r.startswith("tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 4.7000e+01, 4.8000e+01,")
    assert "\n        ...,\n" in r
    assert r.endswith("1.4990e+03]])")
    r = repr(torch.tensor(np.arange(30, dtype=np.float32)))
    assert r.count("\n") >= 1 and r.startswith("tensor([ 0.,  1.,")


def test_format_of_zero_dim_tensors_is_the_number():
    # f"{loss}" and f"{loss:.3f}" print the number, as in PyTorch; other tensors print their repr.
    assert f"{torch.tensor(0.25)}" == "0.25"
    assert f"{torch.tensor(0.25):.3f}" == "0.250"
    assert f"{torch.tensor(3)}" == "3" and f"{torch.tensor(True)}" == "True"
    assert f"{torch.ones(2)}" == repr(torch.ones(2))
    p = torch.nn.Parameter(torch.tensor(1.0))
    assert f"{p}" == repr(p) and f"{p}".startswith("Parameter containing:")
    # Only 0-d plain tensors take a format spec; the rest fall back to object.__format__.
    with pytest.raises(TypeError, match=r"^unsupported format string passed to Tensor.__format__$"):
        f"{torch.ones(2):.3f}"
    with pytest.raises(TypeError, match=r"^unsupported format string passed to Parameter.__format__$"):
        f"{p:.3f}"
