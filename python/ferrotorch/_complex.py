"""Complex tensors on the Python side: `torch.complex`, `polar`, `view_as_real`/`view_as_complex`
(and their `_copy` forms), `real`/`imag`, the `cfloat`/`cdouble` aliases and conversions, and the
conjugate that the real-only helpers (`conj`, `angle`, `sgn`, `isreal`, ...) use for complex input.

Complex arithmetic itself is in the Rust core (`src/ops/complex/`): every complex op is composed
from real ops on the two parts of `view_as_real`, so it runs on both devices and autograd follows
it. Unlike PyTorch, `conj()` returns a new tensor rather than a view with a lazy conjugate bit
(`is_conj()` is always False): results are the same, but writing into the conjugate does not write
into its input.

    >>> import ferrotorch as torch
    >>> z = torch.complex(torch.tensor([1.0]), torch.tensor([2.0]))
    >>> (z * z.conj()).tolist()
    [(5+0j)]
"""
import builtins

from . import _C
from ._attach import tensor_method
from ._C import complex, complex64, complex128  # noqa: F401
from ._elementwise import _scalar_name
from ._shape import _out
from ._view_functions import _check_tensor

__all__ = ["complex", "complex64", "complex128", "cfloat", "cdouble", "polar", "view_as_real",
           "view_as_complex", "view_as_real_copy", "view_as_complex_copy", "real", "imag"]

cfloat = complex64
cdouble = complex128


def conjugate(z):
    """The complex conjugate of a complex tensor, as a new tensor (differentiable)."""
    return z._conj()


def real_part(z):
    """The real part of a complex tensor, as a view."""
    return z.view_as_real().select(-1, 0)


def imag_part(z):
    """The imaginary part of a complex tensor, as a view."""
    return z.view_as_real().select(-1, 1)


def polar(abs, angle, *, out=None):
    """`abs * (cos(angle) + i sin(angle))`, from two float tensors of one dtype.

        >>> import ferrotorch as torch, math
        >>> torch.polar(torch.tensor([2.0]), torch.tensor([math.pi / 2])).abs().tolist()
        [2.0]
    """
    _check_tensor("polar", abs, "abs")
    _check_tensor("polar", angle, "angle", position=2)
    if abs.dtype != angle.dtype:
        raise RuntimeError(f"Expected object of scalar type {_scalar_name(abs.dtype)} but got scalar type "
                           f"{_scalar_name(angle.dtype)} for second argument")
    if abs.dtype not in (_C.float32, _C.float64):
        raise RuntimeError(f"Expected both inputs to be Half, Float or Double tensors but got "
                           f"{_scalar_name(abs.dtype)} and {_scalar_name(angle.dtype)}")
    return _out(complex(abs * angle.cos(), abs * angle.sin()), out)


def view_as_real(input):
    """A real view of a complex tensor, with a trailing dim of 2 holding (real, imaginary)."""
    _check_tensor("view_as_real", input)
    return input.view_as_real()


def view_as_complex(input):
    """A complex view of a float32/float64 tensor whose last dim has size 2 and stride 1."""
    _check_tensor("view_as_complex", input)
    return input.view_as_complex()


def view_as_real_copy(input, *, out=None):
    """`view_as_real` as a new tensor."""
    return _out(view_as_real(input).clone(), out)


def view_as_complex_copy(input, *, out=None):
    """`view_as_complex` as a new tensor."""
    return _out(view_as_complex(input).clone(), out)


def real(input):
    """The real part: a view for complex tensors, the tensor itself for real ones."""
    _check_tensor("real", input)
    return real_part(input) if input.is_complex() else input


def imag(input):
    """The imaginary part of a complex tensor, as a view; real tensors raise TypeError, as in PyTorch."""
    _check_tensor("imag", input)
    if not input.is_complex():
        raise TypeError("imag is not implemented for tensors with non-complex dtypes.")
    return imag_part(input)


def _set_part(part):
    def setter(self, value):
        if not self.is_complex():
            if part == "real":
                self.copy_(value)
                return
            raise TypeError("imag is not implemented for tensors with non-complex dtypes.")
        view = real_part(self) if part == "real" else imag_part(self)
        view.copy_(value)
    return setter


tensor_method(property(real, _set_part("real"), doc="The real part (a view for complex tensors)."), "real")
tensor_method(property(imag, _set_part("imag"), doc="The imaginary part of a complex tensor (a view)."), "imag")


def _to_complex(dtype):
    def convert(self, memory_format=None):
        if memory_format is None:
            return self.to(dtype)
        return self.to(dtype, memory_format=memory_format)
    convert.__doc__ = f"`self.to({dtype})`."
    return convert


# Methods named like the dtype aliases above, so they are attached without a module-level name.
tensor_method(_to_complex(complex64), "cfloat")
tensor_method(_to_complex(complex128), "cdouble")


def _complex_number(self):
    """`complex(t)` of a one-element tensor."""
    if self.numel() != 1:
        raise ValueError("only one element tensors can be converted to Python scalars")
    return builtins.complex(self.item())


tensor_method(_complex_number, "__complex__")
