"""Random sampling: the Philox stream (known answers through the public API), reproducibility,
generator independence, size-independence of the stream, and statistics with fixed seeds."""
import math

import numpy as np
import pytest

import ferrotorch as torch


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def ks_stat(samples, cdf):
    x = np.sort(np.asarray(samples, dtype=np.float64))
    n = len(x)
    c = cdf(x)
    return max(np.max(np.arange(1, n + 1) / n - c), np.max(c - np.arange(n) / n))


def normal_cdf(x):
    return 0.5 * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


# ------------------------------------------------------------------ the stream

def test_philox_known_answer_through_rand():
    # Random123 KAT: counter 0, key 0 -> 6627e8d5 e169c58d bc57ac4c 9b00dbd8; float32 uses x >> 8.
    words = [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]
    r = torch.rand(4, generator=gen(0)).tolist()
    assert r == [(w >> 8) / 2**24 for w in words]
    d = torch.rand(2, generator=gen(0), dtype=torch.float64).tolist()
    assert d[0] == (((words[0] << 32) | words[1]) >> 11) / 2**53
    assert d[1] == (((words[2] << 32) | words[3]) >> 11) / 2**53


@pytest.mark.parametrize("fn", ["rand", "randn"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
def test_prefix_independent_of_size(fn, dtype):
    small = getattr(torch, fn)(7, generator=gen(3), dtype=dtype).float().numpy()
    big = getattr(torch, fn)(300_001, generator=gen(3), dtype=dtype).float().numpy()  # parallel path
    np.testing.assert_array_equal(small, big[:7])
    shaped = getattr(torch, fn)(3, 5, generator=gen(3), dtype=dtype).float().numpy()
    np.testing.assert_array_equal(shaped.ravel(), big[:15])


def test_randint_prefix_and_large_parallel_draw():
    a = torch.randint(0, 1000, (50,), generator=gen(11)).numpy()
    b = torch.randint(0, 1000, (200_000,), generator=gen(11)).numpy()
    np.testing.assert_array_equal(a, b[:50])


def test_reproducible_and_advancing():
    torch.manual_seed(1234)
    a = torch.rand(5)
    b = torch.rand(5)
    torch.manual_seed(1234)
    np.testing.assert_array_equal(torch.rand(5).numpy(), a.numpy())
    np.testing.assert_array_equal(torch.rand(5).numpy(), b.numpy())
    assert not np.array_equal(a.numpy(), b.numpy())
    assert torch.initial_seed() == 1234


def test_generators_are_independent():
    g1, g2 = gen(5), gen(5)
    torch.manual_seed(0)
    d0 = torch.rand(3).numpy()
    x1 = torch.rand(3, generator=g1).numpy()
    torch.manual_seed(0)
    x2 = torch.rand(3, generator=g2).numpy()
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(torch.rand(3).numpy(), d0)  # the default generator was untouched
    assert not np.array_equal(torch.rand(3, generator=gen(6)).numpy(), x1)


def test_generator_api():
    g = torch.Generator()
    assert g.initial_seed() == 67280421310721
    assert g.manual_seed(7) is g
    assert g.initial_seed() == 7
    assert g.device == torch.device("cpu")
    s = g.seed()
    assert isinstance(s, int) and g.initial_seed() == s
    st = g.get_state()
    assert st.dtype == torch.uint8 and st.ndim == 1
    a = torch.randn(4, generator=g)
    assert g.set_state(st) is g
    np.testing.assert_array_equal(torch.randn(4, generator=g).numpy(), a.numpy())
    with pytest.raises(RuntimeError):
        g.set_state(torch.zeros(3, dtype=torch.uint8))
    with pytest.raises(TypeError, match="^RNG state must be a torch.ByteTensor$"):
        g.set_state(torch.zeros(24))
    with pytest.raises(TypeError, match="^expected a torch.ByteTensor, but got list$"):
        g.set_state([1, 2])
    torch.Generator(device="cpu")
    if torch.cuda.is_available():
        torch.Generator(device="cuda")  # GPU draws use the same Philox stream
    else:
        with pytest.raises(RuntimeError):
            torch.Generator(device="cuda")
    # Negative seeds wrap like PyTorch's; seeds outside [-2^63, 2^64) overflow.
    assert torch.Generator().manual_seed(-1).initial_seed() == 2**64 - 1
    assert torch.Generator().manual_seed(2**64 - 1).initial_seed() == 2**64 - 1
    for seed in (2**64, -2**63 - 1):
        with pytest.raises(ValueError, match="^Overflow when unpacking long long$"):
            torch.Generator().manual_seed(seed)
        with pytest.raises(ValueError, match="^Overflow when unpacking long long$"):
            torch.manual_seed(seed)


def test_global_rng_state():
    st = torch.get_rng_state()
    a = torch.rand(3)
    torch.set_rng_state(st)
    np.testing.assert_array_equal(torch.rand(3).numpy(), a.numpy())
    assert isinstance(torch.manual_seed(3), torch.Generator)
    assert torch.default_generator.initial_seed() == 3
    assert isinstance(torch.seed(), int)


# ------------------------------------------------------------------ distributions

@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_rand_statistics(dtype):
    x = torch.rand(200_000, generator=gen(1), dtype=dtype).numpy().astype(np.float64)
    assert x.min() >= 0 and x.max() < 1
    assert abs(x.mean() - 0.5) < 0.005
    assert abs(x.var() - 1 / 12) < 0.002
    assert ks_stat(x[:20000], lambda v: v) < 1.63 / math.sqrt(20000)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_rand_half_range(dtype):
    x = torch.rand(50_000, generator=gen(2), dtype=dtype)
    assert x.dtype == dtype
    v = x.float().numpy()
    assert v.min() >= 0 and v.max() < 1 and abs(v.mean() - 0.5) < 0.01


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_randn_statistics(dtype):
    x = torch.randn(100_001, generator=gen(4), dtype=dtype).numpy().astype(np.float64)
    assert np.isfinite(x).all()
    assert abs(x.mean()) < 0.02
    assert abs(x.std() - 1) < 0.02
    assert ks_stat(x[:10000], normal_cdf) < 1.63 / math.sqrt(10000)
    # The two halves of each Box-Muller pair are uncorrelated.
    assert abs(np.corrcoef(x[0:100000:2], x[1:100000:2])[0, 1]) < 0.02


def test_randn_half():
    x = torch.randn(20000, generator=gen(4), dtype=torch.float16).float().numpy()
    assert abs(x.mean()) < 0.05 and abs(x.std() - 1) < 0.05


def test_randint():
    x = torch.randint(3, 10, (70_000,), generator=gen(8)).numpy()
    assert x.dtype == np.int64 and x.min() == 3 and x.max() == 9
    counts = np.bincount(x - 3, minlength=7)
    assert np.all(np.abs(counts - 10000) < 5 * math.sqrt(10000))
    assert torch.randint(5, (2, 3)).shape == (2, 3)
    assert torch.randint(-5, 5, size=(4,)).dtype == torch.int64
    assert torch.randint(0, 2**40, (1000,), generator=gen(1)).numpy().max() > 2**32  # two-word path
    big = torch.randint(-(2**63), 2**63 - 1, (100,), generator=gen(1)).numpy()
    assert big.min() < 0 < big.max()
    f = torch.randint(0, 4, (10,), dtype=torch.float32)
    assert f.dtype == torch.float32 and set(f.tolist()) <= {0.0, 1.0, 2.0, 3.0}
    with pytest.raises(RuntimeError, match="random_ expects 'from' to be less than 'to', but got from=5 >= to=5"):
        torch.randint(5, 5, (3,))
    with pytest.raises(RuntimeError, match="negative dimension"):
        torch.randint(0, 5, (-1,))


def test_randperm():
    p = torch.randperm(1000, generator=gen(9))
    assert p.dtype == torch.int64
    assert sorted(p.tolist()) == list(range(1000))
    assert p.tolist() != list(range(1000))
    np.testing.assert_array_equal(torch.randperm(1000, generator=gen(9)).numpy(), p.numpy())
    assert torch.randperm(0).shape == (0,)
    assert torch.randperm(5, dtype=torch.float32).dtype == torch.float32
    # Every position is uniform: over many permutations of 4, item 0 lands everywhere equally.
    g = gen(10)
    pos = [torch.randperm(4, generator=g).tolist().index(0) for _ in range(4000)]
    assert np.all(np.abs(np.bincount(pos, minlength=4) - 1000) < 150)
    with pytest.raises(RuntimeError, match=r"^Trying to create tensor with negative dimension -1: \[-1\]$"):
        torch.randperm(-1)


def test_normal_forms():
    g = gen(12)
    x = torch.normal(2.0, 3.0, (50_000,), generator=g).numpy()
    assert abs(x.mean() - 2) < 0.05 and abs(x.std() - 3) < 0.05
    mean = torch.tensor([[0.0], [10.0]])
    std = torch.tensor([1.0, 0.5, 2.0])
    y = torch.normal(mean, std, generator=g)
    assert tuple(y.shape) == (2, 3)
    big = torch.normal(torch.tensor([-5.0, 5.0]).expand(40000, 2), torch.tensor([1.0, 2.0]), generator=g).numpy()
    np.testing.assert_allclose(big.mean(0), [-5, 5], atol=0.05)
    np.testing.assert_allclose(big.std(0), [1, 2], atol=0.05)
    z = torch.normal(torch.zeros(3, dtype=torch.float64), 2.0)
    assert z.dtype == torch.float64
    w = torch.normal(1.0, torch.ones(4))
    assert w.shape == (4,)
    zero = torch.normal(torch.arange(4.0), torch.zeros(4))
    assert zero.tolist() == [0.0, 1.0, 2.0, 3.0]
    with pytest.raises(RuntimeError, match="normal expects std >= 0.0"):
        torch.normal(0.0, -1.0, (3,))
    with pytest.raises(RuntimeError, match="normal expects all elements of std >= 0.0"):
        torch.normal(torch.zeros(2), torch.tensor([1.0, -1.0]))


def test_bernoulli():
    g = gen(13)
    p = torch.tensor([0.0, 0.2, 0.9, 1.0]).expand(20000, 4)
    s = torch.bernoulli(p, generator=g)
    assert s.dtype == torch.float32 and tuple(s.shape) == (20000, 4)
    m = s.numpy().mean(0)
    assert m[0] == 0 and m[3] == 1
    np.testing.assert_allclose(m[1:3], [0.2, 0.9], atol=0.015)
    assert set(np.unique(s.numpy())) <= {0.0, 1.0}
    half = torch.bernoulli(torch.zeros(20000, dtype=torch.float64), 0.5, generator=g)
    assert half.dtype == torch.float64 and abs(half.numpy().mean() - 0.5) < 0.015
    meth = torch.full((10000,), 0.3).bernoulli(generator=g)
    assert abs(meth.numpy().mean() - 0.3) < 0.02
    with pytest.raises(RuntimeError):
        torch.bernoulli(torch.tensor([1.5]))


def test_multinomial():
    g = gen(14)
    probs = torch.tensor([1.0, 0.0, 3.0, 4.0])
    s = torch.multinomial(probs, 40000, replacement=True, generator=g).numpy()
    assert s.dtype == np.int64
    freq = np.bincount(s, minlength=4) / 40000
    np.testing.assert_allclose(freq, [0.125, 0, 0.375, 0.5], atol=0.01)
    w = torch.multinomial(probs, 3, generator=g)
    assert sorted(w.tolist()) == [0, 2, 3]
    rows = torch.tensor([[0.0, 1.0, 0.0], [1.0, 1.0, 1.0]])
    r = torch.multinomial(rows, 3, replacement=True, generator=g)
    assert tuple(r.shape) == (2, 3) and r.tolist()[0] == [1, 1, 1]
    r = rows.multinomial(1, generator=g)
    assert tuple(r.shape) == (2, 1) and r.tolist()[0][0] == 1
    # Without replacement, the first draw follows the probabilities too.
    first = [torch.multinomial(torch.tensor([1.0, 3.0]), 2, generator=g).tolist()[0] for _ in range(4000)]
    assert abs(np.mean(first) - 0.75) < 0.03
    with pytest.raises(RuntimeError, match="cannot sample n_sample > prob_dist.size\\(-1\\) samples without replacement"):
        torch.multinomial(probs, 5)
    # More samples than possible categories: the impossible one comes last, as in PyTorch 2.15.
    for _ in range(20):
        w = torch.multinomial(probs, 4, generator=g).tolist()
        assert sorted(w[:3]) == [0, 2, 3] and w[3] == 1
    with pytest.raises(RuntimeError, match="probability tensor contains either `inf`, `nan` or element < 0"):
        torch.multinomial(torch.tensor([1.0, -1.0]), 1)
    with pytest.raises(RuntimeError, match="prob_dist must be 1 or 2 dim"):
        torch.multinomial(torch.ones(2, 2, 2), 1)
    with pytest.raises(RuntimeError, match="sum of probabilities <= 0"):
        torch.multinomial(torch.zeros(3), 1, replacement=True)
    with pytest.raises(RuntimeError, match="floating-point"):
        torch.multinomial(torch.ones(3, dtype=torch.int64), 1)


# ------------------------------------------------------------------ in-place sampling

def test_uniform_inplace_follows_logical_order():
    t = torch.zeros(3, 4).T  # non-contiguous (4, 3)
    r = t.uniform_(generator=gen(15))
    assert r is t
    np.testing.assert_array_equal(t.numpy(), torch.rand(4, 3, generator=gen(15)).numpy())
    u = torch.empty(20000, dtype=torch.float64).uniform_(-2, 5, generator=gen(16)).numpy()
    assert u.min() >= -2 and u.max() < 5 and abs(u.mean() - 1.5) < 0.05
    with pytest.raises(RuntimeError, match="uniform_ expects to return a \\[from, to\\) range, but found from=2 > to=1"):
        torch.empty(2).uniform_(2, 1)
    with pytest.raises(RuntimeError, match="not implemented for 'Long'"):
        torch.zeros(2, dtype=torch.int64).uniform_()


def test_inplace_on_slices():
    base = torch.zeros(10, 10)
    view = base.as_strided((5, 3), (20, 3), 1)  # base[::2, 1::3]
    view.normal_(5.0, 0.1, generator=gen(17))
    b = base.numpy()
    assert (b[1::2] == 0).all() and (b[:, 0] == 0).all()
    assert np.all(np.abs(b[::2, 1::3] - 5) < 1)
    with pytest.raises(RuntimeError, match="more than one element"):
        torch.zeros(3).expand(2, 3).uniform_()


def test_normal_inplace_statistics():
    x = torch.empty(50000).normal_(-1.0, 2.0, generator=gen(18)).numpy()
    assert abs(x.mean() + 1) < 0.05 and abs(x.std() - 2) < 0.05
    with pytest.raises(RuntimeError, match="normal expects std >= 0.0, but found std -1"):
        torch.empty(2).normal_(0, -1)


@pytest.mark.parametrize(
    "dtype,hi",
    [(torch.int8, 127), (torch.uint8, 255), (torch.int16, 32767), (torch.bool, 1), (torch.float16, 2048), (torch.float32, 2**24)],
)
def test_random_inplace_default_range(dtype, hi):
    x = torch.empty(20000, dtype=dtype).random_(generator=gen(19))
    v = x.float().numpy() if dtype == torch.float16 else x.numpy().astype(np.float64)
    assert v.min() >= 0 and v.max() <= hi
    assert np.all(v == np.floor(v))
    assert v.max() > hi * 0.9


def test_random_inplace_ranges():
    x = torch.empty(5000, dtype=torch.int64)
    assert set(x.random_(10, generator=gen(20)).tolist()) == set(range(10))
    assert set(x.random_(-3, 3, generator=gen(20)).tolist()) == set(range(-3, 3))
    y = torch.empty(1000).random_(2, 4)
    assert set(y.tolist()) == {2.0, 3.0}
    with pytest.raises(RuntimeError, match="random_ expects 'from' to be less than 'to'"):
        x.random_(3, 3)


def test_bernoulli_and_exponential_inplace():
    x = torch.empty(20000, dtype=torch.int32).bernoulli_(0.25, generator=gen(21))
    assert x.dtype == torch.int32 and set(np.unique(x.numpy())) <= {0, 1}
    assert abs(x.numpy().mean() - 0.25) < 0.015
    y = torch.empty(4, 5000).bernoulli_(torch.tensor([[0.0], [0.5], [0.9], [1.0]]), generator=gen(21)).numpy().mean(1)
    np.testing.assert_allclose(y, [0, 0.5, 0.9, 1], atol=0.03)
    with pytest.raises(RuntimeError, match="bernoulli_ expects p to be in \\[0, 1\\], but got p=1.5"):
        torch.empty(2).bernoulli_(1.5)
    e = torch.empty(50000, dtype=torch.float64).exponential_(2.0, generator=gen(22)).numpy()
    assert e.min() >= 0 and abs(e.mean() - 0.5) < 0.01
