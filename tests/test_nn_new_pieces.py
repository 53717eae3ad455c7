"""nn pieces added to match PyTorch: fractional max pooling, *_with_indices names, AdaptiveLogSoftmaxWithLoss,
lazy transposed convs / instance norms, legacy and global module hooks, DataParallel / DDP, and the
conv weight memory-format converters. References are numpy loops written here."""
import warnings

import numpy as np
import pytest

import ferrotorch as torch
import ferrotorch.nn.functional as F
from conftest import assert_close, from_numpy, to_numpy

DEV = {"cpu": "cpu", "gpu": "cuda"}


# ----------------------------------------------------------------------------- fractional max pooling
def _starts(u, n_in, n_out, k, dt):
    """PyTorch's documented interval rule, evaluated in dtype `dt`."""
    if n_out == 1:
        return [n_in - k]
    alpha = dt(n_in - k) / dt(n_out - 1)
    s = [int(np.floor(dt(dt(i) + dt(u)) * alpha)) - int(np.floor(dt(u) * alpha)) for i in range(n_out - 1)]
    return s + [n_in - k]


def _ref_fmp(x, k, out, samples):
    """Loop reference over (N, C, *spatial); samples (N, C, n) in PyTorch's order."""
    n = len(k)
    dt = x.dtype.type
    vals = np.zeros(x.shape[:2] + tuple(out), x.dtype)
    idx = np.zeros(x.shape[:2] + tuple(out), np.int64)
    size = x.shape[2:]
    order = (1, 0) if n == 2 else (0, 1, 2)
    for b in range(x.shape[0]):
        for c in range(x.shape[1]):
            st = [_starts(samples[b, c, order[d]], size[d], out[d], k[d], dt) for d in range(n)]
            for o in np.ndindex(*out):
                best, bi = -np.inf, None
                for w in np.ndindex(*k):
                    pos = tuple(st[d][o[d]] + w[d] for d in range(n))
                    v = x[(b, c) + pos]
                    if bi is None or v > best or np.isnan(v):
                        best, bi = v, int(np.ravel_multi_index(pos, size))
                        if np.isnan(v):
                            break
                vals[(b, c) + o], idx[(b, c) + o] = best, bi
    return vals, idx


@pytest.mark.parametrize("n,shape,k,out", [(2, (2, 3, 7, 9), (2, 3), (4, 3)), (2, (1, 2, 9, 9), 2, (1, 1)),
                                           (2, (2, 2, 12, 10), 3, (7, 5)), (3, (1, 2, 6, 7, 8), 2, (3, 4, 5))])
def test_fractional_max_pool_matches_loop(device, n, shape, k, out):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    s = rng.random(shape[:2] + (n,)).astype(np.float32)
    kk = (k,) * n if isinstance(k, int) else k
    ev, ei = _ref_fmp(x, kk, out, s)
    fn = F.fractional_max_pool2d if n == 2 else F.fractional_max_pool3d
    v, i = fn(from_numpy(x).to(DEV[device]), k, out, return_indices=True, _random_samples=from_numpy(s).to(DEV[device]))
    assert_close(v.cpu(), ev)
    assert_close(i.cpu(), ei)
    assert i.dtype == torch.int64


def test_fractional_transposed_unbatched_ratio_and_nan(device):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 11, 10)).astype(np.float32)  # (C, H, W) unbatched
    s = rng.random((1, 3, 2)).astype(np.float32)
    ev, ei = _ref_fmp(x.transpose(0, 2, 1)[None], (3, 3), (5, 5), s)  # ratio 0.5 of (10, 11) -> (5, 5)
    xt = from_numpy(x).to(DEV[device]).transpose(1, 2)  # non-contiguous
    v, i = F.fractional_max_pool2d(xt, 3, output_ratio=(0.5, 0.5), return_indices=True,
                                   _random_samples=from_numpy(s).to(DEV[device]))
    assert_close(v.cpu(), ev[0])
    assert_close(i.cpu(), ei[0])
    xn = np.array([[[[1, np.nan, 2, 3], [0, 1, 2, 3], [5, 6, 7, 8], [1, 1, 1, 1]]]], np.float32)
    v, i = F.fractional_max_pool2d(from_numpy(xn).to(DEV[device]), 2, 2, return_indices=True,
                                   _random_samples=torch.full((1, 1, 2), 0.3, device=DEV[device]))
    assert_close(v.cpu(), np.array([[[[np.nan, 3], [6, 8]]]], np.float32))
    assert_close(i.cpu(), np.array([[[[1, 3], [9, 11]]]]))


def test_fractional_gradcheck_and_empty_batch(device):
    rng = np.random.default_rng(2)
    x = from_numpy(rng.standard_normal((1, 2, 6, 7))).to(DEV[device]).requires_grad_()
    s = from_numpy(rng.random((1, 2, 2))).to(DEV[device])
    assert torch.autograd.gradcheck(lambda a: F.fractional_max_pool2d(a, 2, (3, 4), _random_samples=s), (x,))
    x3 = from_numpy(rng.standard_normal((1, 1, 4, 4, 5))).to(DEV[device]).requires_grad_()
    s3 = from_numpy(rng.random((1, 1, 3))).to(DEV[device])
    assert torch.autograd.gradcheck(lambda a: F.fractional_max_pool3d(a, 2, 2, _random_samples=s3), (x3,))
    e = F.fractional_max_pool2d(torch.zeros(0, 3, 7, 9, device=DEV[device]), 2, (3, 3),
                                _random_samples=torch.zeros(0, 3, 2, device=DEV[device]))
    assert tuple(e.shape) == (0, 3, 3, 3)


def test_fractional_random_samples_drawn_when_absent():
    x = torch.randn(2, 3, 10, 10)
    v, i = F.fractional_max_pool2d(x, 2, output_ratio=(0.5, 0.5), return_indices=True)
    assert tuple(v.shape) == (2, 3, 5, 5)
    assert_close(v, np.take_along_axis(to_numpy(x).reshape(2, 3, 100), to_numpy(i).reshape(2, 3, 25), -1)
                 .reshape(2, 3, 5, 5))


@pytest.mark.parametrize("kwargs,exc,msg", [
    (dict(), ValueError, "fractional_max_pool2d requires specifying either an output_size or an output_ratio"),
    (dict(kernel_size=8, output_size=3), RuntimeError,
     r"fractional_max_pool2d\(\): pool height 8 too large relative to input height 7"),
    (dict(output_size=8), RuntimeError, r"fractional_max_pool2d\(\): pool height 2 too large relative to input height 7"),
    (dict(output_size=3, _random_samples=np.zeros((1, 1, 2), np.float32)), RuntimeError,
     r"Expect _random_samples.size\(1\) equals to input channel size."),
    (dict(output_size=3, _random_samples=np.zeros((1, 2, 3), np.float32)), RuntimeError,
     r"Expect _random_samples.size\(2\) equals to 2; got 3."),
    (dict(output_size=3, _random_samples=np.zeros((1, 2, 2), np.float64)), RuntimeError,
     "Expect _random_samples to have the same dtype as input"),
    (dict(output_size=3, _random_samples=np.zeros((2, 2), np.float32)), RuntimeError,
     "Expect _random_samples to have 3 dimensions, got 2"),
    (dict(output_ratio=(0.5, 0.5, 0.5)), ValueError,
     "fractional_max_pool2d requires output_ratio to either be a single Int or tuple of Ints."),
])
def test_fractional_errors(kwargs, exc, msg):
    kwargs = {key: (from_numpy(v) if isinstance(v, np.ndarray) else v) for key, v in kwargs.items()}
    kwargs.setdefault("kernel_size", 2)
    with pytest.raises(exc, match=msg):
        F.fractional_max_pool2d(torch.randn(1, 2, 7, 9), **kwargs)


def test_fractional_modules():
    s = torch.rand(1, 2, 2)
    m = torch.nn.FractionalMaxPool2d(2, output_ratio=0.5, _random_samples=s)
    assert repr(m) == "FractionalMaxPool2d()"
    assert list(m.state_dict()) == ["_random_samples"]
    assert m.kernel_size == (2, 2) and m.output_ratio == (0.5, 0.5) and m.output_size is None
    x = torch.randn(1, 2, 8, 8)
    assert_close(m(x), to_numpy(F.fractional_max_pool2d(x, 2, output_ratio=(0.5, 0.5), _random_samples=s)))
    v, i = torch.nn.FractionalMaxPool3d(2, output_size=3, return_indices=True)(torch.randn(2, 5, 6, 6))
    assert tuple(v.shape) == (2, 3, 3, 3) and tuple(i.shape) == (2, 3, 3, 3)
    with pytest.raises(ValueError, match="FractionalMaxPool2d requires specifying either an output size, or a "
                                         "pooling ratio"):
        torch.nn.FractionalMaxPool2d(2)
    with pytest.raises(ValueError, match=r"output_ratio must be between 0 and 1 \(got 1.5\)"):
        torch.nn.FractionalMaxPool2d(2, output_ratio=1.5)
    with pytest.raises(ValueError, match="only one of output_size and output_ratio may be specified"):
        torch.nn.FractionalMaxPool2d(2, 3, 0.5)


def test_adaptive_max_pool_with_indices_names():
    x = torch.tensor([[1., 3., 2., 0., 5., 4.]])
    v, i = F.adaptive_max_pool1d_with_indices(x, 3)
    assert_close(v, np.array([[3., 2., 5.]], np.float32))
    assert_close(i, np.array([[1, 2, 4]]))
    x2 = x.reshape(1, 2, 3)
    v, i = F.adaptive_max_pool2d_with_indices(x2, (1, 1))
    assert_close(v, np.array([[[5.]]], np.float32))
    assert_close(i, np.array([[[4]]]))
    assert callable(F.max_pool1d_with_indices) and callable(F.max_pool3d_with_indices)


# ----------------------------------------------------------------------------- AdaptiveLogSoftmaxWithLoss
def _log_softmax(a):
    a = a - a.max(1, keepdims=True)
    return a - np.log(np.exp(a).sum(1, keepdims=True))


def _ref_full_log_prob(m, x):
    sd = {k: to_numpy(v.cpu()) for k, v in m.state_dict().items()}
    head = x @ sd["head.weight"].T + (sd["head.bias"] if "head.bias" in sd else 0)
    hl = _log_softmax(head)
    parts = [hl[:, :m.shortlist_size]]
    for i in range(m.n_clusters):
        tail = (x @ sd[f"tail.{i}.0.weight"].T) @ sd[f"tail.{i}.1.weight"].T
        parts.append(_log_softmax(tail) + hl[:, m.shortlist_size + i:m.shortlist_size + i + 1])
    return np.concatenate(parts, 1)


@pytest.mark.parametrize("head_bias", [False, True])
def test_adaptive_log_softmax(device, head_bias):
    torch.manual_seed(0)
    m = torch.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0, head_bias=head_bias).double()
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 8))
    t = np.array([0, 4, 9, 2, 7, 8])
    full = _ref_full_log_prob(m, x)
    m.to(DEV[device])
    xt = from_numpy(x).to(DEV[device]).requires_grad_()
    r = m(xt, from_numpy(t).to(DEV[device]))
    assert type(r).__name__ == "_ASMoutput" and r._fields == ("output", "loss")
    assert_close(r.output.cpu(), full[np.arange(6), t])
    assert_close(r.loss.cpu(), -full[np.arange(6), t].mean())
    assert_close(m.log_prob(xt).cpu(), full)
    assert_close(m.predict(xt).cpu(), full.argmax(1))
    # Gradient of the loss w.r.t. the input, by central differences of the reference.
    r.loss.backward()
    eps, num = 1e-6, np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += eps
        xm[idx] -= eps
        num[idx] = (-_ref_full_log_prob(m, xp)[np.arange(6), t].mean()
                    + _ref_full_log_prob(m, xm)[np.arange(6), t].mean()) / (2 * eps)
    assert_close(xt.grad.cpu(), num, rtol=1e-5, atol=1e-7)
    r0 = m(xt[1], torch.tensor(4, device=DEV[device]))
    assert tuple(r0.output.shape) == () and abs(r0.output.item() - full[1, 4]) < 1e-9


def test_adaptive_log_softmax_structure_and_errors():
    m = torch.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0)
    assert list(m.state_dict()) == ["head.weight", "tail.0.0.weight", "tail.0.1.weight", "tail.1.0.weight",
                                    "tail.1.1.weight"]
    assert [tuple(v.shape) for v in m.state_dict().values()] == [(5, 8), (4, 8), (3, 4), (2, 8), (4, 2)]
    assert repr(m).splitlines()[1] == "  (head): Linear(in_features=8, out_features=5, bias=False)"
    msg = ("cutoffs should be a sequence of unique, positive integers sorted in an increasing order, where each "
           "value is between 1 and n_classes-1")
    for bad in ([6, 3], [3, 10], [0, 3], [3, 3], [3.5]):
        with pytest.raises(ValueError, match=msg):
            torch.nn.AdaptiveLogSoftmaxWithLoss(8, 10, bad)
    with pytest.raises(ValueError, match="cutoffs should be a sequence of length larger than 0"):
        torch.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [])
    with pytest.raises(RuntimeError, match=r"Target values should be in \[0, 9\], but values in range \[0, 10\] "
                                           "were found. "):
        m(torch.randn(5, 8), torch.tensor([0, 4, 10, 2, 7]))
    with pytest.raises(RuntimeError, match="Input and target should have the same size in the batch dimension."):
        m(torch.randn(5, 8), torch.tensor([0, 4]))
    with pytest.raises(RuntimeError, match="0D or 1D target tensor expected, multi-target not supported"):
        m(torch.randn(2, 3, 8), torch.tensor([[1, 2, 3], [1, 2, 3]]))


# ----------------------------------------------------------------------------- lazy modules
@pytest.mark.parametrize("n", [1, 2, 3])
def test_lazy_conv_transpose(n):
    cls = getattr(torch.nn, f"LazyConvTranspose{n}d")
    m = cls(4, 3, groups=2, stride=2, output_padding=1)
    assert repr(m).startswith(f"LazyConvTranspose{n}d(0, 4, kernel_size=")
    y = m(torch.randn((1, 6) + (5,) * n))
    eager = getattr(torch.nn, f"ConvTranspose{n}d")
    assert type(m) is eager
    assert tuple(m.weight.shape) == (6, 2) + (3,) * n and tuple(m.bias.shape) == (4,)
    assert tuple(y.shape) == (1, 4) + (12,) * n
    ref = eager(6, 4, 3, stride=2, output_padding=1, groups=2)
    ref.load_state_dict(m.state_dict())
    x = torch.randn((2, 6) + (4,) * n)
    assert_close(m(x), to_numpy(ref(x)))


def test_lazy_conv_transpose_unbatched_no_bias():
    m = torch.nn.LazyConvTranspose1d(4, 3, bias=False)
    m(torch.randn(6, 5))
    assert repr(m) == "ConvTranspose1d(6, 4, kernel_size=(3,), stride=(1,), bias=False)"


@pytest.mark.parametrize("n", [1, 2, 3])
def test_lazy_instance_norm(n):
    cls = getattr(torch.nn, f"LazyInstanceNorm{n}d")
    m = cls()
    assert repr(m) == (f"LazyInstanceNorm{n}d(0, eps=1e-05, momentum=0.1, affine=True, bias=True, "
                       "track_running_stats=True)")
    assert list(m.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert isinstance(m.running_mean, torch.nn.UninitializedBuffer)
    x = torch.randn((2, 3) + (4,) * n)
    y = m(x)
    assert type(m) is getattr(torch.nn, f"InstanceNorm{n}d")
    assert not isinstance(m.running_mean, torch.nn.UninitializedBuffer)
    assert tuple(m.weight.shape) == (3,) and tuple(m.running_var.shape) == (3,)
    xn = to_numpy(x)
    axes = tuple(range(2, 2 + n))
    ref = (xn - xn.mean(axes, keepdims=True)) / np.sqrt(xn.var(axes, keepdims=True) + 1e-5)
    assert_close(y, ref, rtol=1e-4, atol=1e-5)
    # running_mean: momentum 0.1 of the per-channel batch mean (from the zero initialisation)
    assert_close(m.running_mean, 0.1 * xn.mean(axes).mean(0), rtol=1e-4, atol=1e-6)


def test_lazy_instance_norm_no_affine_and_uninitialized_buffer():
    m = torch.nn.LazyInstanceNorm2d(affine=False)
    assert m.weight is None
    m(torch.randn(2, 3, 5, 4))
    assert type(m) is torch.nn.InstanceNorm2d and tuple(m.running_var.shape) == (3,)
    b = torch.nn.UninitializedBuffer()
    assert repr(b) == "<UninitializedBuffer>" and not b.requires_grad
    b.materialize((2, 3))
    assert tuple(b.shape) == (2, 3) and isinstance(b, torch.Tensor)
    assert not isinstance(b, torch.nn.UninitializedBuffer)


# ----------------------------------------------------------------------------- hooks
def test_global_forward_and_backward_hooks(device):
    mm = torch.nn.modules.module
    log = []
    handles = [mm.register_module_forward_pre_hook(lambda m, a: log.append(("pre", type(m).__name__))),
               mm.register_module_forward_hook(lambda m, a, o: log.append(("fwd", type(m).__name__)) or o * 2),
               mm.register_module_full_backward_hook(lambda m, gi, go: log.append(("bw", type(m).__name__))),
               mm.register_module_full_backward_pre_hook(lambda m, go: log.append(("bwpre", type(m).__name__)))]
    try:
        seq = torch.nn.Sequential(torch.nn.Tanh())
        seq[0].register_forward_hook(lambda m, a, o: log.append("own"))
        seq[0].register_full_backward_hook(lambda m, gi, go: log.append("ownbw"))
        x = torch.ones(2, requires_grad=True, device=DEV[device])
        y = seq(x)
        y.sum().backward()
    finally:
        for h in handles:
            h.remove()
    assert log == [("pre", "Sequential"), ("pre", "Tanh"), ("fwd", "Tanh"), "own", ("fwd", "Sequential"),
                   ("bwpre", "Sequential"), ("bwpre", "Tanh"), ("bw", "Tanh"), "ownbw", ("bw", "Sequential")]
    # Each global forward hook doubled an output: y = 4 * tanh(1), dy/dx = 4 * (1 - tanh(1)^2).
    assert_close(y.detach().cpu(), np.full(2, 4 * np.tanh(1.0), np.float32))
    assert_close(x.grad.cpu(), np.full(2, 4 * (1 - np.tanh(1.0) ** 2), np.float32))
    log.clear()
    torch.nn.Tanh()(torch.ones(2, requires_grad=True)).sum().backward()
    assert log == []  # removed


def test_global_registration_hooks():
    mm = torch.nn.modules.module
    log = []
    handles = [mm.register_module_parameter_registration_hook(lambda m, n, p: log.append(("param", n))),
               mm.register_module_buffer_registration_hook(lambda m, n, b: log.append(("buf", n))),
               mm.register_module_module_registration_hook(lambda m, n, c: log.append(("mod", n)))]
    try:
        bn = torch.nn.BatchNorm1d(2)
        bn.extra = torch.nn.Identity()
        m = torch.nn.Module()
        replaced = torch.zeros(3)
        h = mm.register_module_buffer_registration_hook(lambda mod, n, b: replaced)
        m.register_buffer("b", torch.ones(2))
        h.remove()
    finally:
        for h in handles:
            h.remove()
    assert log == [("param", "weight"), ("param", "bias"), ("buf", "running_mean"), ("buf", "running_var"),
                   ("buf", "num_batches_tracked"), ("mod", "extra"), ("buf", "b")]
    assert m.b is replaced


def test_legacy_backward_hook():
    seen = []
    relu = torch.nn.ReLU()
    relu.register_backward_hook(lambda m, gi, go: seen.append([g.tolist() for g in gi]))
    x = torch.tensor([-1., 2.], requires_grad=True)
    with pytest.warns(FutureWarning, match="Using a non-full backward hook when the forward contains multiple"):
        relu(x).sum().backward()
    assert seen == [[[0.0, 1.0]]]
    with pytest.raises(RuntimeError, match="Cannot use both regular backward hooks and full backward hooks on a "
                                           "single Module. Please use only one of them."):
        relu.register_full_backward_hook(lambda *a: None)
    lin = torch.nn.Linear(2, 1)
    lin.register_full_backward_hook(lambda *a: None)
    with pytest.raises(RuntimeError, match="Cannot use both regular backward hooks"):
        lin.register_backward_hook(lambda *a: None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lin(torch.ones(1, 2, requires_grad=True)).sum().backward()  # full hooks do not warn


# ----------------------------------------------------------------------------- parallel and memory format
def test_data_parallel_and_ddp(device):
    lin = torch.nn.Linear(2, 3).to(DEV[device])
    m = torch.nn.DataParallel(lin)
    assert m.module is lin and m.device_ids == []
    assert repr(m) == "DataParallel(\n  (module): Linear(in_features=2, out_features=3, bias=True)\n)"
    assert list(m.state_dict()) == ["module.weight", "module.bias"]
    x = torch.randn(4, 2, device=DEV[device])
    assert_close(m(x).detach().cpu(), to_numpy(lin(x).cpu()))
    assert torch.nn.parallel.DataParallel is torch.nn.DataParallel
    with pytest.raises(ValueError, match="Default process group has not been initialized, please make sure to "
                                         "call init_process_group."):
        torch.nn.parallel.DistributedDataParallel(lin)


def test_convert_conv_weight_memory_format():
    c = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3), torch.nn.ConvTranspose2d(3, 2, 3), torch.nn.Linear(2, 2))
    w0, before = c[0].weight, to_numpy(c[0].weight)
    assert torch.nn.utils.convert_conv2d_weight_memory_format(c, torch.channels_last) is c
    assert c[0].weight is w0  # same Parameter object
    assert tuple(c[0].weight.stride()) == (18, 1, 6, 2) and tuple(c[1].weight.stride()) == (18, 1, 6, 2)
    assert_close(c[0].weight, before)
    assert c[2].weight.is_contiguous()
    c3 = torch.nn.Conv3d(2, 3, 2)
    torch.nn.utils.convert_conv3d_weight_memory_format(c3, torch.channels_last_3d)
    assert c3.weight.is_contiguous(memory_format=torch.channels_last_3d)
