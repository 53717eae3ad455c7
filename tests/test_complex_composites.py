"""Complex input to the Python-composed ops: values against numpy where PyTorch computes them, and
PyTorch's exception classes and messages where it refuses complex input."""
import math
import re

import numpy as np
import pytest

import ferrotorch as torch
import ferrotorch.nn.functional as F
from conftest import DEVICES, assert_close, finite_difference_grad, to_numpy

RNG = np.random.default_rng(7)


def crandn(*shape, dtype=np.complex64, imag_scale=1.0):
    return (RNG.standard_normal(shape) + 1j * imag_scale * RNG.standard_normal(shape)).astype(dtype)


def ct(a, device="cpu"):
    return torch.tensor(a, device=device)


def host(t):
    return to_numpy(t.cpu())


def close(actual, expected, rtol=1e-4, atol=1e-5):
    assert_close(actual.cpu(), np.asarray(expected), rtol=rtol, atol=atol, check_dtype=False)


# ----------------------------------------------------------------------------- statistics

@pytest.mark.parametrize("device", DEVICES)
def test_cov_conjugates_the_second_factor(device):
    a = crandn(3, 6)
    out = torch.cov(ct(a, device))
    assert out.dtype == torch.complex64
    close(out, np.cov(a))
    # Hermitian, with a real diagonal.
    assert np.allclose(host(out), host(out).conj().T, atol=1e-5)


def test_cov_weights_and_one_dimensional_input():
    a = crandn(2, 5, dtype=np.complex128)
    fw, aw = np.array([1, 2, 1, 3, 1]), np.array([0.5, 1.0, 2.0, 1.0, 0.25])
    close(torch.cov(ct(a), fweights=torch.tensor(fw), aweights=torch.tensor(aw)),
          np.cov(a, fweights=fw, aweights=aw), rtol=1e-10, atol=1e-12)
    close(torch.cov(ct(a[0]), correction=0), np.cov(a[0], ddof=0), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("device", DEVICES)
def test_corrcoef_complex(device):
    a = crandn(3, 7)
    out = torch.corrcoef(ct(a, device))
    assert out.dtype == torch.complex64
    close(out, np.corrcoef(a))


def test_cov_gradient_matches_finite_differences():
    a = crandn(2, 4, dtype=np.complex128)
    z = ct(a).requires_grad_(True)
    torch.cov(z).abs().square().sum().backward()
    expected = finite_difference_grad(lambda x: np.sum(np.abs(np.cov(x)) ** 2), a)
    close(z.grad, expected, rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------- norms and distances

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("p", [1, 2, 3, math.inf])
def test_dist_is_real_norm_of_difference(device, p):
    a, b = crandn(3, 4), crandn(3, 4)
    out = torch.dist(ct(a, device), ct(b, device), p)
    assert out.dtype == torch.float32
    close(out, np.linalg.norm((a - b).ravel(), p))
    close(ct(a, device).dist(ct(b, device), p), np.linalg.norm((a - b).ravel(), p))


@pytest.mark.parametrize("device", DEVICES)
def test_norm_function_on_complex(device):
    a = crandn(3, 4)
    z = ct(a, device)
    assert torch.norm(z).dtype == torch.float32
    close(torch.norm(z), np.linalg.norm(a))
    close(torch.norm(z, p=1, dim=1, keepdim=True), np.abs(a).sum(1, keepdims=True))
    close(torch.norm(z, p=math.inf), np.abs(a).max())


def test_norm_function_dtype_argument():
    a = crandn(4)
    out = torch.norm(ct(a), dtype=torch.complex128)
    assert out.dtype == torch.float64
    close(out, np.linalg.norm(a.astype(np.complex128)), rtol=1e-7)


@pytest.mark.parametrize("device", DEVICES)
def test_normalize_complex(device):
    a = crandn(3, 4)
    out = F.normalize(ct(a, device), dim=1)
    assert out.dtype == torch.complex64
    close(out, a / np.linalg.norm(a, axis=1, keepdims=True))
    close(F.normalize(ct(a, device), p=1, dim=0), a / np.abs(a).sum(0, keepdims=True))


def test_normalize_gradient_matches_finite_differences():
    a = crandn(2, 3, dtype=np.complex128)
    weights = RNG.standard_normal((2, 3))
    z = ct(a).requires_grad_(True)
    (F.normalize(z).real * torch.tensor(weights)).sum().backward()
    expected = finite_difference_grad(
        lambda x: np.sum((x / np.linalg.norm(x, axis=1, keepdims=True)).real * weights), a)
    close(z.grad, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("device", DEVICES)
def test_pairwise_distance_and_triplet_loss(device):
    a, b, c = crandn(3, 4), crandn(3, 4), crandn(3, 4)
    d_ab = np.linalg.norm(a - b + 1e-6, axis=-1)
    close(F.pairwise_distance(ct(a, device), ct(b, device)), d_ab)
    d_ac = np.linalg.norm(a - c + 1e-6, axis=-1)
    loss = F.triplet_margin_loss(ct(a, device), ct(b, device), ct(c, device))
    assert loss.dtype == torch.float32
    close(loss, np.maximum(1.0 + d_ab - d_ac, 0).mean())


@pytest.mark.parametrize("device", DEVICES)
def test_renorm_complex(device):
    a = crandn(3, 4)
    out = torch.renorm(ct(a, device), 2, 0, 1.0)
    assert out.dtype == torch.complex64
    norms = np.linalg.norm(a, axis=1, keepdims=True)
    close(out, np.where(norms > 1.0, a / (norms + 1e-7), a))


def test_cosine_similarity_refuses_complex_with_pytorchs_message():
    z = ct(crandn(3, 4))
    with pytest.raises(RuntimeError, match="expected common dtype to be floating point, yet common dtype is "
                                           "ComplexFloat"):
        F.cosine_similarity(z, z)


# ----------------------------------------------------------------------------- elementwise

@pytest.mark.parametrize("device", DEVICES)
def test_sinc_complex(device):
    a = np.array([0j, 1 + 0j, 0.5 + 0.5j, -1.5 + 2j], dtype=np.complex64)
    out = torch.sinc(ct(a, device))
    assert out.dtype == torch.complex64
    close(out, np.sinc(a))
    close(torch.special.sinc(ct(a, device)), np.sinc(a))


def test_sinc_gradient_matches_finite_differences():
    a = np.array([0.3 + 0.2j, -1.2 + 0.5j], dtype=np.complex128)
    z = ct(a).requires_grad_(True)
    torch.sinc(z).abs().sum().backward()
    close(z.grad, finite_difference_grad(lambda x: np.abs(np.sinc(x)).sum(), a), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("device", DEVICES)
def test_addcdiv_and_addcmul_complex(device):
    a, b, c = crandn(2, 3), crandn(2, 3), crandn(2, 3)
    close(torch.addcdiv(ct(a, device), ct(b, device), ct(c, device), value=2), a + 2 * b / c)
    close(torch.addcmul(ct(a, device), ct(b, device), ct(c, device), value=3), a + 3 * b * c)
    z = ct(a, device)
    z.addcdiv_(ct(b, device), ct(c, device))
    close(z, a + b / c)


def test_addcdiv_complex_over_integer_is_true_division():
    out = torch.addcdiv(torch.ones(1), torch.tensor([1j]), torch.tensor([2]))
    assert out.dtype == torch.complex64
    close(out, [1 + 0.5j])


@pytest.mark.parametrize("device", DEVICES)
def test_logcumsumexp_complex(device):
    # Small imaginary parts keep every partial log on the principal branch numpy's log takes.
    a = crandn(2, 5, imag_scale=0.1)
    out = torch.logcumsumexp(ct(a, device), 1)
    assert out.dtype == torch.complex64
    close(out, np.log(np.cumsum(np.exp(a.astype(np.complex128)), axis=1)))


def test_logcumsumexp_complex_large_and_empty_prefixes():
    a = np.array([complex("-inf"), 1000 + 0.1j, 1000 - 0.2j], dtype=np.complex128)
    out = host(torch.logcumsumexp(ct(a), 0))
    assert out[0].real == -math.inf
    close(torch.tensor(out[1:]), [1000 + 0.1j, 1000 + np.log(np.exp(0.1j) + np.exp(-0.2j))], rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("device", DEVICES)
def test_logsumexp_keeps_the_imaginary_part(device):
    a = crandn(3, 4, imag_scale=0.1)
    expected = np.log(np.exp(a.astype(np.complex128)).sum(1))
    for out in (torch.logsumexp(ct(a, device), 1), torch.special.logsumexp(ct(a, device), 1)):
        assert out.dtype == torch.complex64
        close(out, expected)
    close(torch.logsumexp(ct(a, device), (0, 1), keepdim=True),
          np.log(np.exp(a.astype(np.complex128)).sum()).reshape(1, 1))


def test_logsumexp_complex_does_not_overflow():
    a = np.array([1000 + 1j, 1000 + 2j], dtype=np.complex128)
    close(torch.logsumexp(ct(a), 0), 1000 + np.log(np.exp(1j) + np.exp(2j)), rtol=1e-12, atol=1e-9)


def test_float_power_in_place_on_complex128():
    z = torch.tensor([1 + 1j, 2 - 0.5j], dtype=torch.complex128)
    z.float_power_(torch.tensor([0.5 + 1j, 2]))
    close(z, np.array([1 + 1j, 2 - 0.5j]) ** np.array([0.5 + 1j, 2]), rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------------- creation

@pytest.mark.parametrize("device", DEVICES)
def test_linspace_and_logspace_with_complex_dtype(device):
    out = torch.linspace(-1, 1, 5, dtype=torch.complex64, device=device)
    assert out.dtype == torch.complex64 and out.device.type == torch.device(device).type
    close(out, np.linspace(-1, 1, 5).astype(np.complex64))
    out = torch.logspace(0, 2, 3, base=2, dtype=torch.complex128)
    assert out.dtype == torch.complex128
    close(out, [1, 2, 4])
    assert torch.linspace(0, 1, 3, dtype=torch.complex64, requires_grad=True).requires_grad


# ----------------------------------------------------------------------------- nn.functional values

@pytest.mark.parametrize("device", DEVICES)
def test_losses_pytorch_computes_for_complex(device):
    a, b = crandn(3, 4), crandn(3, 4)
    za, zb = ct(a, device), ct(b, device)
    l1 = F.l1_loss(za, zb)
    assert l1.dtype == torch.float32
    close(l1, np.abs(a - b).mean())
    close(F.smooth_l1_loss(za, zb, beta=0.0), np.abs(a - b).mean())  # beta == 0 is plain L1
    close(F.soft_margin_loss(za, zb), np.log1p(np.exp(-b * a)).mean())
    close(F.mse_loss(za, zb, weight=torch.ones(3, 4, device=device)), ((a - b) ** 2).mean())


@pytest.mark.parametrize("device", DEVICES)
def test_adaptive_average_to_one_is_a_complex_mean(device):
    a = crandn(2, 3, 4)
    close(F.adaptive_avg_pool1d(ct(a, device), 1), a.mean(-1, keepdims=True))
    close(F.adaptive_avg_pool2d(ct(a, device), 1), a.mean((-2, -1), keepdims=True))


def test_rms_norm_default_eps_of_complex128():
    a = crandn(2, 4, dtype=np.complex128)
    eps = np.finfo(np.float64).eps
    close(F.rms_norm(ct(a), (4,)), a / np.sqrt((a ** 2).mean(-1, keepdims=True) + eps), rtol=1e-12, atol=1e-12)


def test_masked_mean_complex():
    a = crandn(3, 4)
    mask = np.array([[True, False, True, True]] * 3)
    out = torch.masked.mean(ct(a), mask=torch.tensor(mask))
    assert out.dtype == torch.complex64
    close(out, a[mask].mean())


def test_masked_variance_and_logsumexp_complex():
    a = crandn(3, 4)
    mask = np.array([[True, False, True, True], [True, True, True, False], [False, True, True, True]])
    var = torch.masked.var(ct(a), 1, mask=torch.tensor(mask))
    assert var.dtype == torch.complex64  # real values in the input's dtype, as PyTorch
    expected = [np.var(a[i][mask[i]], ddof=1) for i in range(3)]
    close(var, expected)
    close(torch.masked.std(ct(a), mask=torch.tensor(mask), unbiased=False), np.std(a[mask]))
    small = crandn(3, 4, imag_scale=0.1)
    close(torch.masked.logsumexp(ct(small), 1, mask=torch.tensor(mask)),
          [np.log(np.exp(small[i][mask[i]].astype(np.complex128)).sum()) for i in range(3)])


def test_norm_except_dim_is_real():
    a = crandn(3, 4)
    out = torch.norm_except_dim(ct(a), 2, 0)
    assert out.dtype == torch.float32
    close(out, np.linalg.norm(a, axis=1, keepdims=True))


@pytest.mark.parametrize("device", DEVICES)
def test_unfold_and_fold_complex_act_on_both_parts(device):
    a = crandn(2, 3, 4, 5)
    z = ct(a, device)
    out = F.unfold(z, (2, 3), padding=1, stride=(1, 2))
    assert out.dtype == torch.complex64
    re = F.unfold(ct(a.real.copy(), device), (2, 3), padding=1, stride=(1, 2))
    im = F.unfold(ct(a.imag.copy(), device), (2, 3), padding=1, stride=(1, 2))
    close(out, host(re) + 1j * host(im))
    cols = crandn(12, 6)
    folded = F.fold(ct(cols, device), (3, 4), 2)
    close(folded, host(F.fold(ct(cols.real.copy(), device), (3, 4), 2))
          + 1j * host(F.fold(ct(cols.imag.copy(), device), (3, 4), 2)))


def test_unfold_complex_gradient():
    a = crandn(1, 1, 3, 3, dtype=np.complex128)
    z = ct(a).requires_grad_(True)
    weights = RNG.standard_normal((1, 4, 4))
    (F.unfold(z, 2).imag * torch.tensor(weights)).sum().backward()
    # unfold is linear: d(sum w * Im unfold(z)) / dz collects the weights of each element's copies.
    expected = finite_difference_grad(
        lambda x: np.sum(weights * np.stack([x[0, 0, i:i + 2, j:j + 2].ravel() for i in range(2)
                                              for j in range(2)], -1).imag), a)
    close(z.grad, expected, rtol=1e-6, atol=1e-8)


# ----------------------------------------------------------------------------- PyTorch's refusals

Z = ct(crandn(3, 4))
R = torch.randn(3, 4)
_KERNEL_REFUSALS = [
    (lambda: F.mse_loss(Z, Z), '"mse_cpu" not implemented for \'ComplexFloat\''),
    (lambda: F.mse_loss(R, Z), '"mse_cpu" not implemented for \'ComplexFloat\''),
    (lambda: F.smooth_l1_loss(Z, Z), '"smooth_l1_cpu" not implemented for \'ComplexFloat\''),
    (lambda: F.huber_loss(Z, R), '"huber_cpu" not implemented for \'ComplexFloat\''),
    (lambda: F.glu(Z), '"glu_cpu" not implemented for \'ComplexFloat\''),
    (lambda: F.elu(Z), '"elu_cpu" not implemented for \'ComplexFloat\''),
    (lambda: F.selu(Z), '"elu_cpu" not implemented for \'ComplexFloat\''),
    (lambda: F.leaky_relu(Z), '"leaky_relu_cpu" not implemented for \'ComplexFloat\''),
    (lambda: F.softplus(Z), '"softplus_cpu" not implemented for \'ComplexFloat\''),
    (lambda: F.mish(Z), '"mish_cpu" not implemented for \'ComplexFloat\''),
    (lambda: F.gelu(Z), '"GeluKernelImpl" not implemented for \'ComplexFloat\''),
    (lambda: F.hardswish(Z), '"hardswish_cpu" not implemented for \'ComplexFloat\''),
    (lambda: F.hardshrink(Z), '"hardshrink_cpu" not implemented for \'ComplexFloat\''),
    (lambda: F.threshold(Z, 0.1, 0.0), '"threshold_cpu" not implemented for \'ComplexFloat\''),
    (lambda: F.prelu(Z, torch.ones(1, dtype=torch.complex64)), '"prelu_cpu" not implemented for \'ComplexFloat\''),
    (lambda: F.logsigmoid(Z), '"log_sigmoid_cpu" not implemented for \'ComplexFloat\''),
    (lambda: F.binary_cross_entropy_with_logits(Z, Z), '"log_sigmoid_cpu" not implemented for \'ComplexFloat\''),
    (lambda: F.multilabel_soft_margin_loss(Z, R), '"log_sigmoid_cpu" not implemented for \'ComplexFloat\''),
    (lambda: F.binary_cross_entropy(Z, Z), '"binary_cross_entropy" not implemented for \'ComplexFloat\''),
    (lambda: F.nll_loss(Z, torch.tensor([0, 1, 2])), '"nll_loss_out_frame" not implemented for \'ComplexFloat\''),
    (lambda: F.multi_margin_loss(Z, torch.tensor([0, 1, 2])),
     '"multi_margin_loss_cpu_kernel" not implemented for \'ComplexFloat\''),
    (lambda: F.multilabel_margin_loss(Z, torch.tensor([[0, 1, -1, 0]] * 3)),
     '"multilabel_margin_loss_forward_out_frame" not implemented for \'ComplexFloat\''),
    (lambda: F.layer_norm(Z, (4,)), '"LayerNormKernelImpl" not implemented for \'ComplexFloat\''),
    (lambda: F.group_norm(Z[None], 1), '"GroupNormKernelImpl" not implemented for \'ComplexFloat\''),
    (lambda: F.batch_norm(Z, None, None, training=True), '"batch_norm" not implemented for \'ComplexFloat\''),
    (lambda: F.local_response_norm(Z[None], 2), '"avg_pool2d" not implemented for \'ComplexFloat\''),
    (lambda: F.relu(Z), "clamp is not supported for complex types"),
    (lambda: F.hardtanh(Z), "clamp is not supported for complex types"),
    (lambda: F.cosine_embedding_loss(Z, Z, torch.ones(3)), "clamp is not supported for complex types"),
    (lambda: F.hinge_embedding_loss(Z, R), "clamp is not supported for complex types"),
    (lambda: torch.xlogy(Z, Z), '"xlogy_cpu" not implemented for \'ComplexFloat\''),
    (lambda: torch.xlogy(2.0, Z), '"xlogy_cpu" not implemented for \'ComplexFloat\''),
    (lambda: torch.special.xlog1py(Z, Z), '"xlog1py_cpu" not implemented for \'ComplexFloat\''),
    (lambda: torch.copysign(R, Z), '"copysign_cpu" not implemented for \'ComplexFloat\''),
    (lambda: torch.logit(Z.to(torch.complex128)), '"logit_cpu" not implemented for \'ComplexDouble\''),
    (lambda: torch.special.entr(Z), '"entr_cpu" not implemented for \'ComplexFloat\''),
    (lambda: torch.special.zeta(2.0, Z), '"zeta_cpu" not implemented for \'ComplexFloat\''),
    (lambda: torch.special.chebyshev_polynomial_t(Z, 2),
     '"chebyshev_polynomial_t_cpu" not implemented for \'ComplexFloat\''),
    (lambda: torch.gcd(Z, Z), '"gcd_cpu" not implemented for \'ComplexFloat\''),
    (lambda: torch.bincount(Z[0]), '"bincount_cpu" not implemented for \'ComplexFloat\''),
    (lambda: torch.nansum(Z), "nansum on CPU does not support complex inputs"),
    (lambda: torch.nanmean(Z, 1), "nansum on CPU does not support complex inputs"),
    (lambda: torch.isin(Z, R), "Unsupported input type encountered for isin(): ComplexFloat"),
    (lambda: torch.isin(R, 1j), "Unsupported input type encountered for isin(): ComplexDouble"),
    (lambda: torch.special.i0e(Z), '"i0e_cpu" not implemented for \'ComplexFloat\''),
    (lambda: torch.special.erfcx(Z), '"erfcx_cpu" not implemented for \'ComplexFloat\''),
    (lambda: torch.special.bessel_j0(Z), '"bessel_j0_cpu" not implemented for \'ComplexFloat\''),
    (lambda: torch.special.modified_bessel_k1(Z), '"modified_bessel_k1_cpu" not implemented for \'ComplexFloat\''),
    (lambda: torch.i0(Z), '"i0_vml_cpu" not implemented for \'ComplexFloat\''),
    (lambda: torch.lgamma(Z), '"lgamma_vml_cpu" not implemented for \'ComplexFloat\''),
    (lambda: torch.special.ndtr(Z), '"erf_vml_cpu" not implemented for \'ComplexFloat\''),
    (lambda: torch.digamma(Z), '"digamma" not implemented for \'ComplexFloat\''),
    (lambda: torch.deg2rad(Z), "deg2rad is not supported for complex tensors."),
    (lambda: Z.clone().rad2deg_(), "rad2deg is not supported for complex tensors."),
    (lambda: torch.heaviside(R, Z), "heaviside is not yet implemented for complex tensors."),
]


_KERNEL_REFUSALS += [
    (lambda: F.interpolate(Z[None], scale_factor=2),
     '"compute_indices_weights_nearest" not implemented for \'ComplexFloat\''),
    (lambda: F.interpolate(Z[None, None], scale_factor=2, mode="bilinear"),
     '"upsample_bilinear2d_channels_last" not implemented for \'ComplexFloat\''),
    (lambda: F.interpolate(Z[None, None], scale_factor=2, mode="bicubic"),
     '"compute_indices_weights_cubic" not implemented for \'ComplexFloat\''),
]


@pytest.mark.parametrize("call,message", _KERNEL_REFUSALS)
def test_refusals_match_pytorch(call, message):
    with pytest.raises(NotImplementedError, match=re.escape(message)):
        call()


def test_other_refusals_match_pytorch():
    with pytest.raises(RuntimeError, match=re.escape("kl_div: Complex inputs not supported.")):
        F.kl_div(Z, Z, reduction="sum")
    with pytest.raises(RuntimeError, match="result type ComplexFloat can't be cast to the desired output type Float"):
        F.huber_loss(R, Z)
    with pytest.raises(RuntimeError, match="result type ComplexFloat can't be cast to the desired output type Float"):
        F.soft_margin_loss(R, Z)
    with pytest.raises(TypeError, match="aminmax not implemented for ComplexFloat"):
        torch.histc(Z)
    with pytest.raises(NotImplementedError, match=re.escape('"histogram_cpu" not implemented for \'ComplexFloat\'')):
        torch.histc(Z, min=0, max=1)
    with pytest.raises(RuntimeError, match="the base given to float_power_ has dtype Double but the operation's "
                                           "result requires dtype ComplexDouble"):
        torch.tensor([2.0], dtype=torch.float64).float_power_(1j)
    for fn in (torch.fmax, torch.fmin):
        with pytest.raises(TypeError, match=re.escape(f"{fn.__name__} not implemented for complex tensors.")):
            fn(Z, Z)


# ----------------------------------------------------------------------------- optimizers

_PAIRWISE_OPTIMIZERS = [
    ("Adam", {"lr": 0.1}), ("AdamW", {"lr": 0.1, "amsgrad": True}), ("RMSprop", {"lr": 0.01, "centered": True,
                                                                               "momentum": 0.5}),
    ("Adagrad", {"lr": 0.1}), ("Adadelta", {"weight_decay": 0.1}), ("Adamax", {}), ("NAdam", {}), ("RAdam", {}),
    ("ASGD", {}), ("Rprop", {}), ("LBFGS", {"lr": 0.5}),
]


def _run_optimizer(name, kwargs, start):
    p = torch.tensor(start).requires_grad_(True)
    opt = getattr(torch.optim, name)([p], **kwargs)
    pairs = p.view_as_real() if p.is_complex() else p

    def closure():
        opt.zero_grad()
        # A real loss of the parts, not symmetric in them, so the two parts' steps differ.
        loss = (pairs[..., 0] ** 2 * 3 + pairs[..., 1] ** 2 + pairs[..., 0] * pairs[..., 1]).sum()
        loss.backward()
        return loss

    for _ in range(3):
        opt.step(closure)
    return p.detach()


@pytest.mark.parametrize("name,kwargs", _PAIRWISE_OPTIMIZERS)
def test_optimizers_treat_a_complex_parameter_as_pairs_of_reals(name, kwargs):
    start = np.array([1 + 2j, -0.5 + 0.25j, 3 - 1j], dtype=np.complex128)
    complex_result = _run_optimizer(name, kwargs, start)
    real_result = _run_optimizer(name, kwargs, np.stack([start.real, start.imag], -1))
    close(complex_result, real_result[:, 0].numpy() + 1j * real_result[:, 1].numpy(), rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------------- testing and nn.utils

def test_assert_close_uses_the_complex_tolerances():
    z = torch.tensor([1 + 2j, 3 - 1j])
    torch.testing.assert_close(z, z + 1e-6j)  # within complex64's (1.3e-6, 1e-5)
    with pytest.raises(AssertionError, match=r"Tensor-likes are not close!\s+Mismatched elements: 1 / 2 \(50.0%\)\s+"
                                             r"Greatest absolute difference: 0.1\d* at index \(1,\) "
                                             r"\(up to 1e-05 allowed\)"):
        torch.testing.assert_close(z, torch.tensor([1 + 2j, 3 - 1.1j]))
    torch.testing.assert_close(1 + 1j, 1 + 1j + 1e-8j)  # a Python complex compares as complex128


def test_clip_grad_complex():
    p = torch.tensor([3 + 4j, 0j]).requires_grad_(True)
    p.grad = torch.tensor([3 + 4j, 0j])
    total = torch.nn.utils.clip_grad_norm_([p], 1.0)
    assert total.dtype == torch.float32
    close(total, 5.0)
    close(p.grad, [(3 + 4j) / (5 + 1e-6), 0])
    with pytest.raises(NotImplementedError, match="clamp is not supported for complex types"):
        torch.nn.utils.clip_grad_value_([p], 0.5)


@pytest.mark.parametrize("device", [d for d in DEVICES if d != "cpu"])
def test_nansum_and_nanmean_on_the_gpu_skip_elements_with_a_nan_part(device):
    # PyTorch's CUDA kernels take complex input (only its CPU nansum refuses it).
    a = np.array([[1 + 1j, complex("nan"), complex(2, float("nan"))], [1j, 2, 3]], dtype=np.complex64)
    z = ct(a, device)
    kept = ~np.isnan(a)
    clean = np.where(kept, a, 0)
    close(torch.nansum(z), clean.sum())
    close(torch.nansum(z, 1, keepdim=True), clean.sum(1, keepdims=True))
    close(torch.nanmean(z), clean.sum() / kept.sum())
    close(torch.nanmean(z, 1), clean.sum(1) / kept.sum(1))
