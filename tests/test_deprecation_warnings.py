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
