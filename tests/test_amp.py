"""torch.amp: autocast state (nesting, decorator, restore), the dtypes F.linear and
scaled_dot_product_attention produce inside/outside it, unsupported dtypes, and GradScaler
(scaling, unscale_, skipped steps on inf/NaN, growth/backoff, state_dict), on both devices."""
import warnings

import numpy as np
import pytest

import ferrotorch as torch
from ferrotorch.amp import GradScaler, autocast
from ferrotorch.amp import autocast_mode as am
from conftest import assert_close, to_numpy

F = torch.nn.functional


def low_dtype(device):
    return torch.bfloat16 if device == "cpu" else torch.float16


def test_linear_dtype_inside_and_outside(device):
    torch.manual_seed(0)
    lin = torch.nn.Linear(4, 3).to(device)
    x = torch.randn(2, 4, device=device)
    ref = to_numpy(lin(x).detach().cpu())
    with autocast(device):
        assert am.is_autocast_enabled(device)
        assert am.get_autocast_dtype(device) == low_dtype(device)
        y = lin(x)
        y3 = F.linear(x.t().t().unsqueeze(0), lin.weight)  # 3-D input, no bias
        y64 = F.linear(x.double(), lin.weight.double())
    assert y.dtype == low_dtype(device) and y3.dtype == low_dtype(device)
    assert y64.dtype == torch.float64  # float64 is never cast
    assert_close(y.float().detach().cpu(), ref, rtol=2e-2, atol=2e-2, check_dtype=False)
    assert lin(x).dtype == torch.float32 and not am.is_autocast_enabled(device)
    # Backward through the cast reaches the float32 parameters in float32.
    with autocast(device):
        lin(x).float().sum().backward()
    assert lin.weight.grad.dtype == torch.float32
    assert_close(lin.bias.grad.cpu(), np.full(3, 2.0, dtype=np.float32), rtol=1e-2)


def test_explicit_float16_and_other_device_untouched(device):
    lin = torch.nn.Linear(2, 2).to(device)
    other = "cuda" if device == "cpu" else "cpu"
    with autocast(device, dtype=torch.float16):
        assert lin(torch.ones(1, 2, device=device)).dtype == torch.float16
    with autocast(other, dtype=torch.float16):
        assert lin(torch.ones(1, 2, device=device)).dtype == torch.float32


def test_sdpa_dtype(device):
    q = torch.randn(1, 3, 4, device=device)
    ref = F.scaled_dot_product_attention(q, q, q)
    with autocast(device, dtype=torch.float16):
        out = F.scaled_dot_product_attention(q, q, q, attn_mask=torch.zeros(3, 3, device=device))
    assert out.dtype == torch.float16
    assert_close(out.float().cpu(), to_numpy(ref.cpu()), rtol=1e-2, atol=1e-2)


def test_nesting_restore_and_decorator():
    assert not torch.amp.autocast_mode.is_autocast_enabled("cpu")
    with autocast("cpu"):
        with autocast("cpu", enabled=False):
            assert not am.is_autocast_enabled("cpu")
            assert torch.nn.Linear(1, 1)(torch.ones(1, 1)).dtype == torch.float32
        with autocast("cpu", dtype=torch.float16):
            assert am.get_autocast_dtype("cpu") == torch.float16
        assert am.is_autocast_enabled("cpu") and am.get_autocast_dtype("cpu") == torch.bfloat16
    assert not am.is_autocast_enabled("cpu") and am.get_autocast_dtype("cpu") == torch.bfloat16
    # Restored even when the region raises.
    with pytest.raises(KeyError):
        with autocast("cpu"):
            raise KeyError
    assert not am.is_autocast_enabled("cpu")

    @autocast("cpu", dtype=torch.float16)
    def f(x):
        return am.is_autocast_enabled("cpu"), torch.nn.functional.linear(x, torch.ones(1, 1)).dtype
    assert f(torch.ones(1, 1)) == (True, torch.float16)
    assert not am.is_autocast_enabled("cpu")
    assert not am.is_autocast_enabled()  # default device type is cuda
    with autocast("gpu"):
        assert am.is_autocast_enabled("cuda") and am.is_autocast_enabled()
        assert am.get_autocast_dtype("cuda") == torch.float16


def test_unsupported_dtypes_and_bad_device():
    with pytest.warns(UserWarning, match="In CPU autocast, but the target dtype is not supported. Disabling"):
        with autocast("cpu", dtype=torch.float64):
            assert not am.is_autocast_enabled("cpu")
    with pytest.warns(UserWarning, match="In CUDA autocast, but the target dtype is not supported"):
        with autocast("cuda", dtype=torch.float32):
            assert not am.is_autocast_enabled("cuda")
    with pytest.raises(RuntimeError, match="Current CUDA Device does not support bfloat16"):
        autocast("cuda", dtype=torch.bfloat16)
    with pytest.raises(RuntimeError, match="User specified an unsupported autocast device_type 'tpu'"):
        autocast("tpu")
    with pytest.raises(ValueError, match="Expected `device_type` of type `str`"):
        autocast(torch.device("cpu"))
    assert torch.amp.is_autocast_available("cpu") and not torch.amp.is_autocast_available("tpu")


def test_cuda_amp_deprecated_aliases():
    from ferrotorch.cuda.amp import GradScaler as OldScaler, autocast as old_autocast
    with pytest.warns(FutureWarning, match=r"torch.cuda.amp.autocast\(args...\)` is deprecated"):
        with old_autocast():
            assert am.is_autocast_enabled("cuda")
    with pytest.warns(FutureWarning, match=r"torch.cuda.amp.GradScaler\(args...\)` is deprecated"):
        OldScaler()


# ----------------------------------------------------------------------------- GradScaler
def sgd_setup(device, value=1.0):
    w = torch.nn.Parameter(torch.full((3,), value, device=device))
    return w, torch.optim.SGD([w], lr=0.1)


def test_scaler_normal_step_matches_sgd(device):
    w, opt = sgd_setup(device)
    scaler = GradScaler(device, init_scale=8.0, growth_interval=2)
    x = torch.tensor([1.0, 2.0, 3.0], device=device)
    loss = (w * x).sum()
    scaled = scaler.scale(loss)
    assert scaled.item() == pytest.approx(8 * loss.item())
    scaled.backward()
    assert_close(w.grad.cpu(), np.array([8.0, 16.0, 24.0], dtype=np.float32))
    scaler.unscale_(opt)
    assert_close(w.grad.cpu(), np.array([1.0, 2.0, 3.0], dtype=np.float32))
    assert scaler.step(opt) is None  # SGD.step returns None; the step ran:
    assert_close(w.detach().cpu(), np.array([0.9, 0.8, 0.7], dtype=np.float32), rtol=1e-6)
    scaler.update()
    assert scaler.get_scale() == 8.0 and scaler._get_growth_tracker() == 1
    opt.zero_grad()
    scaler.scale((w * x).sum()).backward()
    scaler.step(opt)
    scaler.update()
    # Two clean steps with growth_interval=2: the scale doubles and the tracker resets.
    assert scaler.get_scale() == 16.0 and scaler._get_growth_tracker() == 0


@pytest.mark.parametrize("bad", [float("inf"), float("nan")])
def test_scaler_skips_step_and_backs_off(device, bad):
    w, opt = sgd_setup(device)
    scaler = GradScaler(device, init_scale=4.0, backoff_factor=0.25)
    loss = (w * torch.tensor([1.0, bad, 1.0], device=device)).sum()
    scaler.scale(loss).backward()
    scaler.step(opt)
    assert_close(w.detach().cpu(), np.ones(3, dtype=np.float32))  # unchanged
    scaler.update()
    assert scaler.get_scale() == 1.0 and scaler._get_growth_tracker() == 0
    # The next clean iteration steps with the new scale.
    opt.zero_grad()
    scaler.scale(w.sum()).backward()
    assert_close(w.grad.cpu(), np.ones(3, dtype=np.float32))
    scaler.step(opt)
    assert_close(w.detach().cpu(), np.full(3, 0.9, dtype=np.float32), rtol=1e-6)


def test_scaler_state_dict_errors_and_disabled():
    w, opt = sgd_setup("cpu")
    scaler = GradScaler("cpu", init_scale=2.0, growth_factor=3.0, backoff_factor=0.5, growth_interval=7)
    with pytest.raises(AssertionError, match="Attempted step but _scale is None"):
        scaler.step(opt)
    scaler.scale([w.sum(), (w * 2).sum()])[0].backward()
    scaler.unscale_(opt)
    with pytest.raises(RuntimeError, match="unscale_\\(\\) has already been called on this optimizer"):
        scaler.unscale_(opt)
    scaler.step(opt)
    with pytest.raises(RuntimeError, match="step\\(\\) has already been called since the last update\\(\\)"):
        scaler.step(opt)
    with pytest.raises(RuntimeError, match="unscale_\\(\\) is being called after step\\(\\)"):
        scaler.unscale_(opt)
    with pytest.raises(RuntimeError, match="Closure use is not currently supported"):
        scaler.step(opt, closure=lambda: 0)
    scaler.update()
    sd = scaler.state_dict()
    assert sd == {"scale": 2.0, "growth_factor": 3.0, "backoff_factor": 0.5, "growth_interval": 7,
                  "_growth_tracker": 1}
    other = GradScaler("cpu")
    other.load_state_dict(sd)
    assert other.get_scale() == 2.0 and other.get_growth_interval() == 7 and other._get_growth_tracker() == 1
    scaler.update(5.0)
    assert scaler.get_scale() == 5.0
    with pytest.raises(RuntimeError, match="The source state dict is empty"):
        other.load_state_dict({})
    off = GradScaler("cpu", enabled=False)
    loss = w.sum()
    assert off.scale(loss) is loss and off.get_scale() == 1.0 and off.state_dict() == {} and not off.is_enabled()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert GradScaler("cpu").is_enabled()


def test_scaler_update_rules_match_pytorch(device):
    w, opt = sgd_setup(device)

    def clean_iteration(scaler):
        opt.zero_grad()
        scaler.scale(w.sum()).backward()
        scaler.step(opt)
        scaler.update()
    # Growth that would overflow float32 keeps the scale (and still resets the tracker).
    big = GradScaler(device, init_scale=2.0 ** 127, growth_interval=1)
    clean_iteration(big)
    assert big.get_scale() == 2.0 ** 127 and big._get_growth_tracker() == 0
    # The tracker must hit growth_interval exactly: lowering the interval below the current count
    # means no growth until the tracker is reset (PyTorch's `successful == growth_interval`).
    s = GradScaler(device, init_scale=1.0, growth_interval=5)
    for _ in range(3):
        clean_iteration(s)
    s.set_growth_interval(2)
    clean_iteration(s)
    assert s.get_scale() == 1.0 and s._get_growth_tracker() == 4
    assert s._scale.dtype == torch.float32 and s._growth_tracker.dtype == torch.int32
    assert s._scale.shape == () and s._scale.device.type == torch.device(device).type


def test_scaler_unscale_records_no_graph_and_scales_iterables(device):
    w, opt = sgd_setup(device, 2.0)
    scaler = GradScaler(device, init_scale=4.0)
    g, = torch.autograd.grad(scaler.scale((w ** 3).sum()), [w], create_graph=True)
    fn_before = g.grad_fn.name()
    w.grad = g
    scaler.unscale_(opt)
    # The in-place unscale must not add a node to the gradient's graph (PyTorch runs it under no_grad).
    assert w.grad.grad_fn.name() == fn_before
    assert_close(w.grad.detach().cpu(), np.full(3, 12.0, dtype=np.float32))
    a, b = scaler.scale(iter([w.sum(), w.prod()]))
    assert a.item() == pytest.approx(24.0) and b.item() == pytest.approx(32.0)
    with pytest.raises(ValueError, match="outputs must be a Tensor or an iterable of Tensors"):
        scaler.scale(3.0)


def test_custom_fwd_cast_inputs_and_bwd_state(device):
    seen = {}

    class Double(torch.autograd.Function):
        @staticmethod
        @torch.amp.custom_fwd(device_type=device, cast_inputs=torch.float16)
        def forward(ctx, x, y, z):
            seen["fwd"] = (x.dtype, y.dtype, z.dtype, am.is_autocast_enabled(device))
            return x.float() * 2

        @staticmethod
        @torch.amp.custom_bwd(device_type=device)
        def backward(ctx, g):
            seen["bwd"] = am.is_autocast_enabled(device)
            return g * 2, None, None
    x = torch.ones(2, device=device, requires_grad=True)
    other = "cuda" if device == "cpu" else "cpu"
    with autocast(device, dtype=torch.float16):
        out = Double.apply(x, torch.ones(2, device=device, dtype=torch.float64), torch.ones(2, device=other))
    out.sum().backward()
    # Floating inputs on the region's device are cast, float64 and other devices are not; forward and
    # backward both run with autocast off.
    assert seen["fwd"] == (torch.float16, torch.float64, torch.float32, False)
    assert seen["bwd"] is False
    assert_close(x.grad.cpu(), np.full(2, 2.0, dtype=np.float32))
