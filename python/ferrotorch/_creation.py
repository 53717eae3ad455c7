"""Module-level functions of the creation family: factories, random sampling, generators and
DLPack interchange (implemented in Rust, in ``src/python/creation.rs``; linspace and logspace
with a complex dtype are built here from the real ones).

    >>> import ferrotorch as torch
    >>> torch.arange(5).tolist()
    [0, 1, 2, 3, 4]
    >>> g = torch.Generator().manual_seed(0)
    >>> torch.rand(3, generator=g).tolist() == torch.rand(3, generator=torch.Generator().manual_seed(0)).tolist()
    True
"""
import math

from . import _C
from ._elementwise import _scalar_name
from ._shape import _CPP_NAMES, _out
from ._C import (
    Generator,
    arange,
    as_tensor,
    asarray,
    bernoulli,
    default_generator,
    empty,
    empty_like,
    empty_strided,
    eye,
    from_dlpack,
    full,
    full_like,
    get_rng_state,
    initial_seed,
    manual_seed,
    multinomial,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    scalar_tensor,
    seed,
    set_rng_state,
    zeros,
    zeros_like,
)

__all__ = [
    "Generator",
    "arange",
    "as_tensor",
    "asarray",
    "bernoulli",
    "default_generator",
    "empty",
    "empty_like",
    "empty_strided",
    "eye",
    "from_dlpack",
    "full",
    "full_like",
    "get_rng_state",
    "initial_seed",
    "linspace",
    "logspace",
    "manual_seed",
    "multinomial",
    "normal",
    "ones",
    "ones_like",
    "rand",
    "rand_like",
    "randint",
    "randint_like",
    "randn",
    "randn_like",
    "randperm",
    "scalar_tensor",
    "seed",
    "set_rng_state",
    "zeros",
    "zeros_like",
]


def _spaced(factory, args, dtype, out, kwargs):
    """`factory(*args)` (linspace or logspace) in `dtype`. Real endpoints give real points, so a
    complex dtype is the real sequence in its part precision, cast (the imaginary parts are 0).
    Complex endpoints give a complex line: the real and imaginary parts spaced separately (for
    logspace, the exponents, then base ** exponent)."""
    start, end = args[0], args[1]
    if isinstance(start, complex) or isinstance(end, complex):
        return _complex_spaced(factory, args, dtype, out, kwargs)
    if dtype is not None and dtype.is_complex and out is None:
        requires_grad = kwargs.pop("requires_grad", False)
        part = _C.float64 if dtype == _C.complex128 else _C.float32
        return factory(*args, dtype=part, **kwargs).to(dtype).requires_grad_(requires_grad)
    return factory(*args, out=out, dtype=dtype, **kwargs)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """`steps` evenly spaced values from `start` to `end` inclusive.

        >>> import ferrotorch as torch
        >>> torch.linspace(0, 1, 3, dtype=torch.complex64).tolist()
        [0j, (0.5+0j), (1+0j)]
    """
    return _spaced(_C.linspace, (start, end, steps), dtype, out,
                   {"layout": layout, "device": device, "requires_grad": requires_grad})


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """`steps` values base**x for x evenly spaced from `start` to `end` inclusive.

        >>> import ferrotorch as torch
        >>> torch.logspace(0, 2, 3, dtype=torch.complex64).tolist()
        [(1+0j), (10+0j), (100+0j)]
    """
    return _spaced(_C.logspace, (start, end, steps, base), dtype, out,
                   {"layout": layout, "device": device, "requires_grad": requires_grad})


def _complex_spaced(factory, args, dtype, out, kwargs):
    start, end, steps = complex(args[0]), complex(args[1]), args[2]
    inferred = _C.complex128 if _C.get_default_dtype() == _C.float64 else _C.complex64
    if dtype is None:
        dtype = inferred
    if not dtype.is_complex:
        raise RuntimeError(f"torch.{factory.__name__}(): inferred dtype {_CPP_NAMES[inferred]} can't be "
                           f"safely cast to passed dtype {_scalar_name(dtype)}")
    requires_grad = kwargs.pop("requires_grad", False)
    part = _C.float64 if dtype == _C.complex128 else _C.float32
    points = _C.complex(_C.linspace(start.real, end.real, steps, dtype=part, **kwargs),
                        _C.linspace(start.imag, end.imag, steps, dtype=part, **kwargs))
    if factory is _C.logspace:
        points = (points * math.log(args[3])).exp()
    return _out(points, out).requires_grad_(requires_grad)
