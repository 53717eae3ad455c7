"""torch.backends (documented no-effect switches) and torch.compile (the identity: ferrotorch has
no graph compiler)."""
import doctest
import importlib

import pytest

import ferrotorch as torch
from ferrotorch import _compile, backends
from ferrotorch.backends import cuda as bcuda, cudnn, mkl, mkldnn, mps, openmp


def test_availability_answers_are_truthful():
    assert cudnn.is_available() is False and cudnn.version() is None
    assert cudnn.is_acceptable(torch.ones(1)) is False
    assert bcuda.is_built() is False
    assert mps.is_available() is False and mps.is_built() is False
    assert mkldnn.is_available() is False and openmp.is_available() is False and mkl.is_available() is False
    assert torch.backends.cudnn is cudnn and torch.backends.cuda is bcuda
    for name in ("cudnn", "cuda", "mps", "mkldnn", "openmp", "mkl"):
        assert importlib.import_module(f"ferrotorch.backends.{name}") is getattr(backends, name)


def test_flags_keep_the_values_set():
    assert (cudnn.enabled, cudnn.benchmark, cudnn.deterministic, cudnn.allow_tf32) == (True, False, False, True)
    assert (bcuda.matmul.allow_tf32, bcuda.matmul.allow_fp16_reduced_precision_reduction) == (False, True)
    try:
        torch.backends.cudnn.benchmark = True
        torch.backends.cudnn.deterministic = True
        torch.backends.cuda.matmul.allow_tf32 = True
        assert cudnn.benchmark and cudnn.deterministic and bcuda.matmul.allow_tf32
        with cudnn.flags(enabled=False, benchmark=False):
            assert (cudnn.enabled, cudnn.benchmark, cudnn.deterministic) == (False, False, False)
        assert (cudnn.enabled, cudnn.benchmark, cudnn.deterministic) == (True, True, True)
        with pytest.raises(AttributeError, match="^Unknown attribute allow_tf64$"):
            torch.backends.cuda.matmul.allow_tf64 = True
        bcuda.enable_flash_sdp(False)
        assert bcuda.flash_sdp_enabled() is False and bcuda.math_sdp_enabled() is True
        with mkldnn.flags(enabled=False):
            assert mkldnn.enabled is False
        assert mkldnn.enabled is True
    finally:
        cudnn.set_flags(True, False, 10, False, True)
        bcuda.matmul.allow_tf32 = False
        bcuda.enable_flash_sdp(True)


def test_flags_do_not_change_results(device):
    a = torch.arange(12.0, device=device).reshape(3, 4)
    expected = (a @ a.T).cpu().tolist()
    try:
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        assert (a @ a.T).cpu().tolist() == expected
    finally:
        torch.backends.cuda.matmul.allow_tf32 = False


def test_docstrings_say_the_flags_have_no_effect():
    for module in (backends, cudnn, bcuda):
        assert "no effect" in module.__doc__
        assert doctest.testmod(module).failed == 0
    for module in (mps, mkldnn, mkl, openmp):
        assert doctest.testmod(module).failed == 0


def test_compile_returns_the_model_itself(device):
    model = torch.nn.Linear(3, 2).to(device)
    assert torch.compile(model) is model
    assert torch.compile(model, mode="reduce-overhead", fullgraph=True, dynamic=False) is model
    assert torch.compile(model, backend="eager", options={"x": 1}) is model
    assert torch.compile(model, disable=True) is model

    def f(x):
        return x * 2

    assert torch.compile(f) is f
    assert torch.compile()(f) is f
    assert torch.compile(mode="max-autotune")(f) is f

    @torch.compile
    def g(x):
        return x + 1

    @torch.compile(fullgraph=True)
    def h(x):
        return x - 1

    x = torch.tensor([1.0, 2.0], device=device)
    assert g(x).cpu().tolist() == [2.0, 3.0] and h(x).cpu().tolist() == [0.0, 1.0]
    assert g.__name__ == "g"


def test_compile_checks_arguments_as_pytorch():
    f = lambda x: x  # noqa: E731
    with pytest.raises(RuntimeError, match="^Either mode or options can be specified, but both can't be specified"):
        torch.compile(f, mode="default", options={})
    with pytest.raises(RuntimeError, match="^Unrecognized mode=fast, should be one of: default, reduce-overhead, "
                                           "max-autotune-no-cudagraphs, max-autotune$"):
        torch.compile(f, mode="fast")
    with pytest.raises(RuntimeError, match="^Model can't be None$"):
        torch.compile()(None)
    with pytest.raises(TypeError):
        torch.compile(f, "inductor")  # everything after the model is keyword-only
    assert "no graph compiler" in torch.compile.__doc__
    assert doctest.testmod(_compile).failed == 0
