"""Classical orthogonal polynomials for `torch.special`: Chebyshev T, U, V, W (and the shifted
ones on [0, 1]), physicists' and probabilists' Hermite H and He, Laguerre L and Legendre P.

Each is evaluated by its three-term recurrence in tensor ops, up to the largest degree asked for,
keeping each element's value at its own degree; Chebyshev polynomials of high degree inside
(-1, 1) use their trigonometric forms, as PyTorch does. PyTorch's conventions: the degree `n` is
truncated to an integer, a negative (or NaN / infinite) degree gives 0, and the results are not
differentiable (they never require grad).

When `n` is a tensor, its largest value is read back to the host once, to know how many
recurrence steps to run (a Python number `n` needs no read).

    >>> import ferrotorch as torch
    >>> torch.special.chebyshev_polynomial_t(torch.tensor([0.5]), 2).tolist()  # 2 x^2 - 1
    [-0.5]
    >>> torch.special.hermite_polynomial_h(torch.tensor([1.0]), torch.tensor([3])).tolist()
    [-4.0]
"""
import math
import numbers

from . import _C
from ._math_composites import _acc, _finish, _not_implemented
from ._shape_functions import broadcast_tensors as _broadcast_tensors

__all__ = [
    "chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w",
    "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
    "laguerre_polynomial_l", "legendre_polynomial_p",
]


def _operands(name, x, n):
    """(x, n) as broadcast compute-dtype tensors with n truncated (-1 for NaN / inf), the largest
    degree, and the result dtype."""
    if not isinstance(x, _C.Tensor) and not isinstance(n, _C.Tensor):
        raise TypeError(
            f"{name}() received an invalid combination of arguments - got ({type(x).__name__}, "
            f"{type(n).__name__}), but expected one of:\n * (Tensor x, Tensor n, *, Tensor out = None)\n"
            " * (Number x, Tensor n, *, Tensor out = None)\n * (Tensor x, Number n, *, Tensor out = None)\n")
    for v, arg in ((x, "x"), (n, "n")):
        if not isinstance(v, (_C.Tensor, numbers.Number)):
            raise TypeError(f"{name}(): argument '{arg}' must be Tensor or Number, not {type(v).__name__}")
    dtype = _C.result_type(x, n)
    device = (x if isinstance(x, _C.Tensor) else n).device
    if dtype.is_complex:  # PyTorch's polynomial kernels are real-only
        raise _not_implemented(name.removeprefix("special_"), x if isinstance(x, _C.Tensor) else n, dtype)
    if not dtype.is_floating_point:
        dtype = _C.get_default_dtype()
    compute = _acc(dtype)

    def conv(v):
        if isinstance(v, _C.Tensor):
            return v.detach().to(compute)
        return _C.tensor(float(v), dtype=compute, device=device)

    xt, nt = _broadcast_tensors(conv(x), conv(n))
    nt = _C.where(nt.isfinite(), nt.trunc(), -1.0)
    if isinstance(n, _C.Tensor):
        top = int(nt.max().item()) if nt.numel() > 0 else 0  # the one host read
    else:
        top = int(n) if math.isfinite(n) else -1
    return xt, nt, top, dtype


def _ones_like(x):
    return _C.ones_like(x)  # P_0 = 1, even where x is NaN or infinite


def _recurrence(x, n, top, p1, step):
    """The polynomial of degree n (elementwise), from P_0 = 1, P_1 = p1 and
    P_k = step(k, P_{k-1}, P_{k-2})."""
    one = _ones_like(x)
    out = _C.where(n == 0, one, _C.where(n == 1, p1, 0.0))
    prev, cur = one, p1
    for k in range(2, top + 1):
        prev, cur = cur, step(k, cur, prev)
        out = _C.where(n == k, cur, out)
    return out


def _chebyshev(kind, x, n, top):
    p1 = {"t": x, "u": 2.0 * x, "v": 2.0 * x - 1.0, "w": 2.0 * x + 1.0}[kind]
    out = _recurrence(x, n, top, p1, lambda k, cur, prev: 2.0 * x * cur - prev)
    inside = x.abs() < 1.0
    theta = _C.where(inside, x, 0.0).acos()
    if kind == "t":
        trig, cutoff = (n * theta).cos(), 6
    elif kind == "u":
        trig, cutoff = ((n + 1.0) * theta).sin() / theta.sin(), 8
    elif kind == "v":
        trig, cutoff = ((n + 0.5) * theta).cos() / (0.5 * theta).cos(), 8
    else:
        trig, cutoff = ((n + 0.5) * theta).sin() / (0.5 * theta).sin(), 8
    out = _C.where(inside & (n > cutoff), trig, out)
    # At x = +-1 the exact values (the recurrence is exact there too, but the trig forms are not).
    even = (n * 0.5).floor() * 2.0 == n
    sign = _C.where(even, 1.0, -1.0)
    at_one = {"t": _ones_like(x), "u": n + 1.0, "v": _ones_like(x), "w": 2.0 * n + 1.0}[kind]
    at_minus_one = {"t": sign, "u": sign * (n + 1.0), "v": sign * (2.0 * n + 1.0), "w": sign}[kind]
    out = _C.where(x == 1.0, at_one, _C.where(x == -1.0, at_minus_one, out))
    return _C.where(n < 0, 0.0, out)


def _run(name, x, n, out, evaluate):
    xt, nt, top, dtype = _operands(name, x, n)
    result = _C.where(nt < 0, 0.0, evaluate(xt, nt, top))
    return _finish(result.to(dtype), out)


def _make_chebyshev(kind, shifted):
    name = f"special_{'shifted_' if shifted else ''}chebyshev_polynomial_{kind}"

    def fn(x, n, *, out=None):
        return _run(name, x, n, out,
                    lambda xt, nt, top: _chebyshev(kind, (xt + xt - 1.0) if shifted else xt, nt, top))

    fn.__name__ = fn.__qualname__ = name[len("special_"):]
    where = "on [0, 1], T*_n(x) = T_n(2x - 1)" if shifted else "on [-1, 1]"
    fn.__doc__ = (f"The {'shifted ' if shifted else ''}Chebyshev polynomial of the "
                  f"{ {'t': 'first', 'u': 'second', 'v': 'third', 'w': 'fourth'}[kind] } kind of degree `n` "
                  f"({where}), elementwise; `x` or `n` may be a number.")
    return fn


chebyshev_polynomial_t = _make_chebyshev("t", False)
chebyshev_polynomial_u = _make_chebyshev("u", False)
chebyshev_polynomial_v = _make_chebyshev("v", False)
chebyshev_polynomial_w = _make_chebyshev("w", False)
shifted_chebyshev_polynomial_t = _make_chebyshev("t", True)
shifted_chebyshev_polynomial_u = _make_chebyshev("u", True)
shifted_chebyshev_polynomial_v = _make_chebyshev("v", True)
shifted_chebyshev_polynomial_w = _make_chebyshev("w", True)


def hermite_polynomial_h(x, n, *, out=None):
    """The physicists' Hermite polynomial H_n(x) (H_1 = 2x), elementwise.

        >>> import ferrotorch as torch
        >>> torch.special.hermite_polynomial_h(torch.tensor([2.0]), 2).tolist()  # 4 x^2 - 2
        [14.0]
    """
    return _run("special_hermite_polynomial_h", x, n, out, lambda xt, nt, top: _recurrence(
        xt, nt, top, 2.0 * xt, lambda k, cur, prev: 2.0 * xt * cur - (2.0 * (k - 1)) * prev))


def hermite_polynomial_he(x, n, *, out=None):
    """The probabilists' Hermite polynomial He_n(x) (He_1 = x), elementwise."""
    return _run("special_hermite_polynomial_he", x, n, out, lambda xt, nt, top: _recurrence(
        xt, nt, top, xt, lambda k, cur, prev: xt * cur - float(k - 1) * prev))


def laguerre_polynomial_l(x, n, *, out=None):
    """The Laguerre polynomial L_n(x) (L_1 = 1 - x), elementwise; 1 at x = 0."""
    def evaluate(xt, nt, top):
        out = _recurrence(xt, nt, top, 1.0 - xt,
                          lambda k, cur, prev: ((2.0 * k - 1.0 - xt) * cur - float(k - 1) * prev) / float(k))
        return _C.where(xt == 0, 1.0, out)
    return _run("special_laguerre_polynomial_l", x, n, out, evaluate)


def legendre_polynomial_p(x, n, *, out=None):
    """The Legendre polynomial P_n(x), elementwise.

        >>> import ferrotorch as torch
        >>> torch.special.legendre_polynomial_p(torch.tensor([0.5]), 2).tolist()  # (3 x^2 - 1) / 2
        [-0.125]
    """
    return _run("special_legendre_polynomial_p", x, n, out, lambda xt, nt, top: _recurrence(
        xt, nt, top, xt, lambda k, cur, prev: ((2.0 * k - 1.0) * xt * cur - float(k - 1) * prev) / float(k)))
