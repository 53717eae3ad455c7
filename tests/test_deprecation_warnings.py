"""PyTorch 2.15's deprecation and advice warnings: the same category, text and frequency (once per
process for its TORCH_WARN_ONCE ones, checked in a fresh process; every time for the others)."""
import warnings

import pytest

import ferrotorch as torch
from conftest import run_in_fresh_process

T_ND = ("The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated and it will throw "
        "an error in a future release. Consider `x.mT` to transpose batches of matrices or "
        "`x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a tensor.")
T_0D = "Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases."
MESHGRID = "torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument."
STFT = ("A window was not provided. A rectangular window will be applied,which is known to cause spectral leakage. "
        "Other windows such as torch.hann_window or torch.hamming_window are recommended to reduce spectral leakage."
        "To suppress this warning and use a rectangular window, explicitly set `window=torch.ones(n_fft, "
        "device=<device>)`.")
ISTFT = ("A window was not provided. A rectangular window will be applied.Please provide the same window used by stft "
         "to make the inversion lossless.To suppress this warning and use a rectangular window, explicitly set "
         "`window=torch.ones(n_fft, device=<device>)`.")


def test_once_per_process_warnings():
    code = ("import warnings, ferrotorch as torch\n"
            "def seen(call):\n"
            "    with warnings.catch_warnings(record=True) as w:\n"
            "        warnings.simplefilter('always')\n"
            "        call(); call()\n"
            "    print([(x.category.__name__, str(x.message)) for x in w])\n"
            "seen(lambda: torch.ones(2, 3, 4).T)\n"
            "seen(lambda: torch.tensor(1.0).T)\n"
            "seen(lambda: torch.ones(2, 3).T)\n"
            "seen(lambda: torch.meshgrid(torch.ones(2), torch.ones(3)))\n"
            "seen(lambda: torch.meshgrid(torch.ones(2), torch.ones(3), indexing='xy'))\n"
            "seen(lambda: torch.stft(torch.ones(64), 16, return_complex=True))\n"
            "seen(lambda: torch.istft(torch.ones(9, 5, dtype=torch.complex64), 16))\n"
            "torch.set_warn_always(True)\n"
            "seen(lambda: torch.ones(3).T)\n")
    assert run_in_fresh_process(code) == [
        repr([("UserWarning", T_ND)]),
        repr([("UserWarning", T_0D)]),
        "[]",
        repr([("UserWarning", MESHGRID)]),
        "[]",
        repr([("UserWarning", STFT)]),
        repr([("UserWarning", ISTFT)]),
        repr([("UserWarning", T_ND)] * 2),  # vectors too: only matrices are exempt
    ]


def test_tensor_from_a_tensor_advises_clone_every_time():
    x = torch.ones(2, requires_grad=True)
    with pytest.warns(UserWarning) as caught:
        y = torch.tensor(x)
        torch.tensor(x, dtype=torch.float64)
    assert [str(w.message) for w in caught] == [
        "To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
        "sourceTensor.detach().clone().requires_grad_(True), rather than torch.tensor(sourceTensor)."] * 2
    assert not y.requires_grad and y.tolist() == [1.0, 1.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        torch.as_tensor(x), torch.tensor(x.tolist())


def test_uint8_masks_still_index_but_warn_every_time(device):
    x = torch.arange(3.0, device=device)
    mask = torch.tensor([1, 0, 1], dtype=torch.uint8, device=device)
    with pytest.warns(UserWarning) as caught:
        picked = x[mask]
        x[mask] = torch.tensor([7.0, 7.0], device=device)
    assert [str(w.message) for w in caught] == [
        "indexing with dtype torch.uint8 is now deprecated, please use a dtype torch.bool instead."] * 2
    assert picked.cpu().tolist() == [0.0, 2.0] and x.cpu().tolist() == [7.0, 1.0, 7.0]


@pytest.mark.parametrize("layer_kw, reason", [
    ({}, "encoder_layer.self_attn.batch_first was not True(use batch_first for better inference performance)"),
    ({"batch_first": True, "norm_first": True}, "encoder_layer.norm_first was True"),
    ({"batch_first": True, "activation": torch.tanh}, "encoder_layer.activation_relu_or_gelu was not True"),
    ({"batch_first": True, "bias": False}, "encoder_layer.self_attn was passed bias=False"),
])
def test_transformer_encoder_says_why_it_uses_no_nested_tensors(layer_kw, reason):
    layer = torch.nn.TransformerEncoderLayer(8, 2, 16, **layer_kw)
    with pytest.warns(UserWarning) as caught:
        torch.nn.TransformerEncoder(layer, 1)
    assert [str(w.message) for w in caught] == [
        f"enable_nested_tensor is True, but self.use_nested_tensor is False because {reason}"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        torch.nn.TransformerEncoder(layer, 1, enable_nested_tensor=False)
        torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 1)


def test_same_padding_that_needs_a_copy_warns_once_at_the_caller():
    code = ("import warnings, ferrotorch as torch\n"
            "F = torch.nn.functional\n"
            "def seen(call):\n"
            "    with warnings.catch_warnings(record=True) as w:\n"
            "        warnings.simplefilter('always')\n"
            "        call(); call()\n"
            "    print([(x.category.__name__, str(x.message), x.filename == '<string>') for x in w])\n"
            "seen(lambda: F.conv1d(torch.ones(1, 1, 7), torch.ones(1, 1, 3), padding='same'))\n"
            "seen(lambda: F.conv2d(torch.ones(1, 1, 7, 7), torch.ones(1, 1, 3, 3), padding='same', dilation=2))\n"
            "seen(lambda: F.conv2d(torch.ones(1, 1, 7, 7), torch.ones(1, 1, 4, 3), padding='same'))\n"
            "torch.set_warn_always(True)\n"
            "seen(lambda: F.conv3d(torch.ones(1, 1, 5, 5, 5), torch.ones(1, 1, 2, 1, 1), padding='same'))\n"
            "seen(lambda: F.conv1d(torch.ones(1, 1, 7), torch.ones(1, 1, 4), padding='same'))\n")
    message = ("Using padding='same' with even kernel lengths and odd dilation may require a zero-padded copy of the "
               "input be created")
    assert run_in_fresh_process(code) == ["[]", "[]", repr([("UserWarning", message, True)]),
                                          repr([("UserWarning", message, True)] * 2),
                                          repr([("UserWarning", message, True)] * 2)]


def test_index_reduce_says_it_is_beta_once():
    code = ("import warnings, ferrotorch as torch\n"
            "with warnings.catch_warnings(record=True) as w:\n"
            "    warnings.simplefilter('always')\n"
            "    for _ in range(2):\n"
            "        torch.ones(3).index_reduce(0, torch.tensor([0]), torch.tensor([2.0]), 'amax')\n"
            "        torch.ones(3).index_reduce_(0, torch.tensor([0]), torch.tensor([2.0]), 'amax')\n"
            "print([(x.category.__name__, str(x.message), x.filename) for x in w])\n")
    assert run_in_fresh_process(code) == [
        repr([("UserWarning", "index_reduce() is in beta and the API may change at any time.", "<string>")])]


def test_out_of_another_shape_is_resized_with_a_warning_every_time():
    message = ("An output with one or more elements was resized since it had shape [5], which does not match the "
               "required output shape [2]. This behavior is deprecated, and in a future PyTorch release outputs will "
               "not be resized unless they have zero elements. You can explicitly reuse an out tensor t by resizing "
               "it, inplace, to zero elements with t.resize_(0).")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(2):
            out = torch.empty(5)
            assert torch.add(torch.ones(2), 1, out=out) is out and out.tolist() == [2.0, 2.0]
        out = torch.empty(5)
        torch.cat([torch.ones(1), torch.zeros(1)], out=out)
        assert out.tolist() == [1.0, 0.0]
        torch.add(torch.ones(2), 1, out=torch.empty(0))   # empty outputs resize silently
        torch.zeros(2, out=torch.empty(5))                # factories too, as in PyTorch
    assert [(w.category, str(w.message), w.filename) for w in caught] == [(UserWarning, message, __file__)] * 3


def test_casting_complex_to_real_warns_once():
    code = ("import warnings, ferrotorch as torch\n"
            "c = torch.tensor([1 + 2j])\n"
            "def seen(call):\n"
            "    with warnings.catch_warnings(record=True) as w:\n"
            "        warnings.simplefilter('always')\n"
            "        assert call().tolist() in ([1.0], [1 + 2j], [pytest_abs])\n"
            "    print([(x.category.__name__, str(x.message), x.filename) for x in w])\n"
            "pytest_abs = c.abs().item()\n"
            "seen(lambda: c.abs())\n"  # complex -> real by definition: no warning
            "seen(lambda: c.to(torch.complex128))\n"
            "seen(lambda: c.float())\n"
            "seen(lambda: c.to(torch.float64))\n"
            "torch.set_warn_always(True)\n"
            "seen(lambda: torch.zeros(1).copy_(c))\n"
            "seen(lambda: c.type(torch.float32))\n")
    message = repr([("UserWarning", "Casting complex values to real discards the imaginary part", "<string>")])
    assert run_in_fresh_process(code) == ["[]", "[]", message, "[]", message, message]
