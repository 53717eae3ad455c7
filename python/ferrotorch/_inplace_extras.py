"""In-place Tensor methods PyTorch has and the Rust class lacks, composed from existing ones.

Two kinds:

* value ops (`clamp_min_`, `clamp_max_`, `float_power_`, `true_divide_`, `divide_`, `subtract_`)
  forward to a native in-place op (`clamp_`, `pow_`, `div_`, `sub_`), which already handles
  autograd, version counters and PyTorch's casting errors;
* shape ops (`t_`, `transpose_`, `swapaxes_`, `swapdims_`, `squeeze_`, `unsqueeze_`,
  `as_strided_`) change the tensor's own shape and strides: the Python object is re-pointed at
  the corresponding view of the same memory, so every reference to it sees the new shape and
  writes still reach the shared storage. Gradients flow through the view's backward.

    >>> import ferrotorch as torch
    >>> x = torch.zeros(2, 3)
    >>> x.t_().shape
    torch.Size([3, 2])
    >>> x.unsqueeze_(0).shape
    torch.Size([1, 3, 2])
"""
from . import _C
from ._attach import tensor_method
from ._elementwise import _scalar_name
from .autograd.grad_mode import enable_grad, is_grad_enabled

__all__ = []


# ---------------------------------------------------------------- value ops

@tensor_method
def clamp_min_(self, min):
    """In-place `clamp_min`: values below `min` (a number or a broadcastable tensor) become `min`.

    >>> import ferrotorch as torch
    >>> torch.tensor([-1.0, 2.0]).clamp_min_(0)
    tensor([0., 2.])
    """
    return self.clamp_(min=min)


@tensor_method
def clamp_max_(self, max):
    """In-place `clamp_max`: values above `max` (a number or a broadcastable tensor) become `max`."""
    return self.clamp_(max=max)


@tensor_method
def float_power_(self, exponent):
    """In-place `float_power`: the result is computed in float64 (complex128 when either operand
    is complex), so `self` must have that dtype (PyTorch raises otherwise rather than rounding the
    result back down)."""
    complex_result = self.dtype.is_complex or isinstance(exponent, complex) or (
        isinstance(exponent, _C.Tensor) and exponent.dtype.is_complex)
    result_dtype = _C.complex128 if complex_result else _C.float64
    if self.dtype != result_dtype:
        raise RuntimeError(f"the base given to float_power_ has dtype {_scalar_name(self.dtype)} but the "
                           f"operation's result requires dtype {_scalar_name(result_dtype)}")
    if isinstance(exponent, _C.Tensor):
        exponent = exponent.to(result_dtype)
    return self.pow_(exponent)


@tensor_method
def true_divide_(self, other):
    """In-place true division (an alias of `div_` without a rounding mode)."""
    return self.div_(other)


@tensor_method
def divide_(self, other, *, rounding_mode=None):
    """In-place `divide` (an alias of `div_`, with its `rounding_mode`)."""
    return self.div_(other) if rounding_mode is None else self.div_(other, rounding_mode=rounding_mode)


@tensor_method
def subtract_(self, other, *, alpha=1):
    """In-place `subtract` (an alias of `sub_`): self -= alpha * other.

    >>> import ferrotorch as torch
    >>> torch.tensor([5.0, 6.0]).subtract_(torch.tensor([1.0, 2.0]), alpha=2)
    tensor([3., 2.])
    """
    return self.sub_(other) if alpha == 1 else self.sub_(other, alpha=alpha)



# ---------------------------------------------------------------- shape ops

def _restride(self, view):
    """Re-points `self` at `view(self)`: same memory, the view's shape, strides and offset."""
    if self.requires_grad and self.is_leaf:
        if is_grad_enabled():
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        # Under no_grad a leaf stays a leaf that requires grad: a fresh tensor object over the view
        # of the detached data, not a view node (so later in-place ops see a leaf again).
        fresh = _C.Tensor.__new__(_C.Tensor, view(self.detach()))
        fresh.requires_grad_(True)
        self._set_from(fresh)
    elif self.requires_grad and not is_grad_enabled():
        # A tensor with a history keeps one consistent with its new shape.
        with enable_grad():
            self._set_from(view(self))
    else:
        self._set_from(view(self))
    return self


@tensor_method
def t_(self):
    """In-place `t()`: transposes a tensor of at most 2 dims.

    >>> import ferrotorch as torch
    >>> torch.zeros(2, 3).t_().shape
    torch.Size([3, 2])
    """
    if self.dim() > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is {self.dim()}D")
    return _restride(self, lambda x: x.t())


@tensor_method
def transpose_(self, dim0, dim1):
    """In-place `transpose(dim0, dim1)`."""
    return _restride(self, lambda x: x.transpose(dim0, dim1))


@tensor_method
def swapaxes_(self, axis0, axis1):
    """In-place `swapaxes` (an alias of `transpose_`)."""
    return _restride(self, lambda x: x.transpose(axis0, axis1))


@tensor_method
def swapdims_(self, dim0, dim1):
    """In-place `swapdims` (an alias of `transpose_`)."""
    return _restride(self, lambda x: x.transpose(dim0, dim1))


@tensor_method
def squeeze_(self, dim=None):
    """In-place `squeeze`: removes size-1 dims (all of them, or those in `dim`, an int or tuple)."""
    return _restride(self, lambda x: x.squeeze() if dim is None else x.squeeze(dim))


@tensor_method
def unsqueeze_(self, dim):
    """In-place `unsqueeze(dim)`: inserts a size-1 dim."""
    return _restride(self, lambda x: x.unsqueeze(dim))


@tensor_method
def as_strided_(self, size, stride, storage_offset=None):
    """In-place `as_strided`: takes the given size and strides over the same storage (offset
    defaults to the current one)."""
    return _restride(self, lambda x: x.as_strided(size, stride, storage_offset))
