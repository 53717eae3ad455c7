"""Process-wide settings: CPU thread count, float32 matmul precision, torch.version, torch.random."""
import warnings

import numpy as np
import pytest

import ferrotorch as torch


def test_set_num_threads_one_runs_serially_with_the_same_results():
    before = torch.get_num_threads()
    assert before >= 1
    a = np.random.default_rng(0).standard_normal((300, 200)).astype(np.float32)
    expected = (torch.from_numpy(a) @ torch.from_numpy(a.T)).sum(1).numpy()
    try:
        torch.set_num_threads(1)
        assert torch.get_num_threads() == 1
        got = (torch.from_numpy(a) @ torch.from_numpy(a.T)).sum(1).numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-5)
    finally:
        torch.set_num_threads(before)
    assert torch.get_num_threads() == before


def test_set_num_threads_takes_numpy_integers():
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(np.int64(1))
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("bad, message", [
    (0, "set_num_threads expects a positive integer"),
    (-3, "set_num_threads expects a positive integer"),
    (1.5, "set_num_threads expects an int, but got float"),
    (True, "set_num_threads expects an int, but got bool"),
    (np.float64(2.0), "set_num_threads expects an int, but got numpy.float64"),
    (np.bool_(True), "set_num_threads expects an int, but got numpy.bool"),
])
def test_set_num_threads_rejects_non_positive_and_non_int(bad, message):
    with pytest.raises(RuntimeError, match=message):
        torch.set_num_threads(bad)


def test_float32_matmul_precision_round_trips_and_warns_on_unknown_values():
    assert torch.get_float32_matmul_precision() == "highest"
    try:
        torch.set_float32_matmul_precision("high")
        assert torch.get_float32_matmul_precision() == "high"
        with pytest.warns(UserWarning, match="is not one of 'highest', 'high', or 'medium'"):
            torch.set_float32_matmul_precision("fast")
        assert torch.get_float32_matmul_precision() == "high"
    finally:
        torch.set_float32_matmul_precision("highest")


def test_version_module():
    assert torch.version.__version__ == torch.__version__
    assert torch.version.cuda is None and torch.version.hip is None


def test_fork_rng_restores_the_stream():
    torch.manual_seed(7)
    expected = torch.rand(4)
    torch.manual_seed(7)
    with torch.random.fork_rng():
        torch.rand(10)
    np.testing.assert_array_equal(torch.rand(4).numpy(), expected.numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with torch.random.fork_rng(enabled=False):
            torch.rand(1)
    assert torch.random.initial_seed() == 7
    assert torch.random.manual_seed is torch.manual_seed


def test_return_types_repr_has_one_field_per_line_like_pytorch():
    r = torch.tensor([[1.0, 5.0], [7.0, 2.0]]).max(dim=1)
    assert repr(r) == "torch.return_types.max(\nvalues=tensor([5., 7.]),\nindices=tensor([1, 0]))"
    assert str(torch.linalg.slogdet(torch.eye(2))) == (
        "torch.return_types.linalg_slogdet(\nsign=tensor(1.),\nlogabsdet=tensor(0.))")
