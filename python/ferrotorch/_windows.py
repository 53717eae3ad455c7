"""Window functions for spectral analysis: `torch.bartlett_window`, `blackman_window`,
`hamming_window`, `hann_window` and `kaiser_window`.

Each follows PyTorch's kernel step by step (an `arange` in the requested dtype, scaled and passed
through cos / i0 in that dtype), so the values round as PyTorch's do and every device works.
`periodic=True` (the default) computes the window of length `window_length + 1` and drops the last
point, the form used with an FFT. Importing this module also makes `torch.signal.windows`
available (SciPy-style windows).

    >>> import ferrotorch as torch
    >>> torch.hann_window(4).tolist()
    [0.0, 0.5, 1.0, 0.5]
    >>> torch.bartlett_window(5, periodic=False).tolist()
    [0.0, 0.5, 1.0, 0.5, 0.0]
"""
import math

from . import _C
from ._bessel_functions import i0 as _i0
from ._memory_format import layout as _layout_type, strided as _strided

__all__ = ["bartlett_window", "blackman_window", "hamming_window", "hann_window", "kaiser_window"]

_UNSET = object()  # tells an omitted optional positional from a passed one (PyTorch's overloads)
_FACTORY_KWARGS = ("*, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, "
                   "bool pin_memory = False, bool requires_grad = False")
# C++'s names for the scalar types, as TensorOptions prints them in PyTorch's messages.
_CPP_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
              "int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
              "uint8": "unsigned char", "bool": "bool"}


def _overload_error(name, positional, keywords, extra_params):
    """PyTorch's "invalid combination of arguments" for a window function's overloads."""
    got = [type(v).__name__ for v in positional] + [f"{k}={type(v).__name__}" for k, v in keywords]
    overloads = ["int window_length", "int window_length, bool periodic"]
    for p in extra_params:
        overloads.append(f"{overloads[-1]}, float {p}")
    lines = "".join(f" * ({o}, {_FACTORY_KWARGS})\n" for o in overloads)
    return TypeError(f"{name}() received an invalid combination of arguments - got ({', '.join(got)}), "
                     f"but expected one of:\n{lines}")


def _options(dtype, device, layout):
    dev = "cpu" if device is None else str(_C.device(device) if isinstance(device, str) else device)
    layout_note = "Strided (default)" if layout is None else "Strided"
    return (f"TensorOptions(dtype={_CPP_NAMES.get(str(dtype).replace('torch.', ''), str(dtype))}, device={dev}, "
            f"layout={layout_note}, requires_grad=false (default), pinned_memory=false, memory_format=(nullopt))")


def _parse(name, window_length, periodic, params, dtype, layout, device):
    """Validates the arguments as PyTorch's overload resolution and `window_function_checks` do;
    returns (periodic, params, dtype)."""
    given = [(p, v) for p, v in params if v is not _UNSET]
    numbers_ok = all(isinstance(v, (int, float)) and not isinstance(v, bool) for _, v in given)
    # An optional parameter needs all the ones before it (each overload adds one).
    in_order = all(v is not _UNSET for _, v in params[:len(given)]) and (periodic is not _UNSET or not given)
    if (not isinstance(window_length, int) or isinstance(window_length, bool)
            or (periodic is not _UNSET and not isinstance(periodic, bool)) or not numbers_ok or not in_order):
        positional = [window_length] + ([] if periodic is _UNSET else [periodic])
        keywords = given if periodic is _UNSET else []
        positional += [] if periodic is _UNSET else [v for _, v in given]
        raise _overload_error(name, positional, keywords, [p for p, _ in params])
    if layout is not None and not isinstance(layout, _layout_type):
        raise TypeError(f"{name}(): argument 'layout' must be torch.layout, not {type(layout).__name__}")
    if layout is not None and layout is not _strided:
        raise RuntimeError(f"{name} is not implemented for sparse types, got: {_options(dtype, device, layout)}")
    dtype = _C.get_default_dtype() if dtype is None else dtype
    if not dtype.is_floating_point:
        raise RuntimeError(f"{name} expects floating point dtypes, got: {_options(dtype, device, layout)}")
    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got window_length={window_length}")
    return (True if periodic is _UNSET else periodic), dtype


def _window(window_length, periodic, dtype, device, requires_grad, compute):
    """The length-0 and length-1 windows (empty and [1]), else `compute(n)` of the length-n
    symmetric window, n = window_length + 1 when periodic, cut back to window_length."""
    if window_length <= 1:
        factory = _C.empty if window_length == 0 else _C.ones
        return factory(window_length, dtype=dtype, device=device, requires_grad=requires_grad)
    n = window_length + 1 if periodic else window_length
    window = compute(_C.arange(n, dtype=dtype, device=device), n)
    window = window[:window_length] if periodic else window
    return window.requires_grad_() if requires_grad else window


def hamming_window(window_length, periodic=_UNSET, alpha=_UNSET, beta=_UNSET, *, dtype=None, layout=None,
                   device=None, pin_memory=False, requires_grad=False):
    """The generalized Hamming window alpha - beta cos(2 pi k / (N - 1)) (alpha = 0.54,
    beta = 0.46 by default; `alpha` needs `periodic` and `beta` needs `alpha`, as in PyTorch).

        >>> import ferrotorch as torch
        >>> [round(v, 4) for v in torch.hamming_window(4, False).tolist()]
        [0.08, 0.77, 0.77, 0.08]
    """
    periodic, dtype = _parse("hamming_window", window_length, periodic, [("alpha", alpha), ("beta", beta)],
                             dtype, layout, device)
    a = 0.54 if alpha is _UNSET else float(alpha)
    b = 0.46 if beta is _UNSET else float(beta)
    return _window(window_length, periodic, dtype, device, requires_grad,
                   lambda k, n: (k * (2.0 * math.pi / (n - 1))).cos() * -b + a)


def hann_window(window_length, periodic=_UNSET, *, dtype=None, layout=None, device=None, pin_memory=False,
                requires_grad=False):
    """The Hann window 0.5 - 0.5 cos(2 pi k / (N - 1)).

        >>> import ferrotorch as torch
        >>> torch.hann_window(3, periodic=False).tolist()
        [0.0, 1.0, 0.0]
    """
    periodic, dtype = _parse("hann_window", window_length, periodic, [], dtype, layout, device)
    return _window(window_length, periodic, dtype, device, requires_grad,
                   lambda k, n: (k * (2.0 * math.pi / (n - 1))).cos() * -0.5 + 0.5)


def blackman_window(window_length, periodic=_UNSET, *, dtype=None, layout=None, device=None, pin_memory=False,
                    requires_grad=False):
    """The Blackman window 0.42 - 0.5 cos(2 pi k / (N - 1)) + 0.08 cos(4 pi k / (N - 1))."""
    periodic, dtype = _parse("blackman_window", window_length, periodic, [], dtype, layout, device)

    def compute(k, n):
        w = k * (math.pi / (n - 1))
        return (w * 4.0).cos() * 0.08 - (w * 2.0).cos() * 0.5 + 0.42
    return _window(window_length, periodic, dtype, device, requires_grad, compute)


def bartlett_window(window_length, periodic=_UNSET, *, dtype=None, layout=None, device=None, pin_memory=False,
                    requires_grad=False):
    """The triangular Bartlett window 1 - |2k / (N - 1) - 1|.

        >>> import ferrotorch as torch
        >>> torch.bartlett_window(4).tolist()
        [0.0, 0.5, 1.0, 0.5]
    """
    periodic, dtype = _parse("bartlett_window", window_length, periodic, [], dtype, layout, device)

    def compute(k, n):
        w = k * (2.0 / (n - 1))
        first_half = ((n - 1) >> 1) + 1  # PyTorch mirrors the points from here on: 2 - w
        return _C.where(k >= first_half, 2.0 - w, w)
    return _window(window_length, periodic, dtype, device, requires_grad, compute)


def kaiser_window(window_length, periodic=_UNSET, beta=_UNSET, *, dtype=None, layout=None, device=None,
                  pin_memory=False, requires_grad=False):
    """The Kaiser window I0(beta sqrt(1 - ((k - a) / a)^2)) / I0(beta), a = (N - 1) / 2, with
    beta = 12.0 by default (`beta` needs `periodic`, as in PyTorch).

        >>> import ferrotorch as torch
        >>> torch.kaiser_window(3, False)[1].item()
        1.0
    """
    periodic, dtype = _parse("kaiser_window", window_length, periodic, [("beta", beta)], dtype, layout, device)
    b = 12.0 if beta is _UNSET else float(beta)

    def compute(k, n):
        a = (n - 1) / 2.0
        r = (k - a) / a
        denominator = _i0(_C.tensor(b, dtype=dtype, device=k.device))
        return _i0((1.0 - r * r).sqrt() * b) / denominator
    return _window(window_length, periodic, dtype, device, requires_grad, compute)


from . import signal as _signal  # noqa: E402,F401  (registers `torch.signal.windows`)
