"""Tensor methods written in Python, composed from the Rust ops (as torch/_tensor.py does for
PyTorch): the ``new_*`` constructors, ``type_as``, ``sum_to_size``, ``fill_diagonal_``,
``resize_``, the remaining in-place random fills, ``quantile``/``nanquantile`` and ``mode``.
Composing keeps autograd and every device working with no extra code.

    >>> import ferrotorch as torch
    >>> x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64)
    >>> x.new_zeros(3).dtype
    torch.float64
    >>> torch.quantile(x, 0.5).item()
    2.5
"""
import builtins
import math

from . import _C, return_types
from ._attach import method_of, tensor_method
from ._dims import wrap_dim
from ._math_composites import _finish
from ._dtype_info import finfo

__all__ = ["quantile", "nanquantile", "mode"]


def _size(args, kwargs_size=None):
    """PyTorch's size forms: f(2, 3), f((2, 3)), f([2, 3]), f(torch.Size(...))."""
    if kwargs_size is not None:
        return tuple(kwargs_size)
    if len(args) == 1 and not isinstance(args[0], builtins.int):
        return tuple(args[0])
    return tuple(args)


def _size_kw(name, size, kwargs):
    """The `size=` keyword of the ``new_*`` constructors (PyTorch accepts it instead of the
    positional sizes)."""
    extra = set(kwargs) - {"size"}
    if extra:
        raise TypeError(f"{name}() got an unexpected keyword argument '{extra.pop()}'")
    if "size" in kwargs and size:
        raise TypeError(f"{name}() got multiple values for argument 'size'")
    return kwargs.get("size")


# ---------------------------------------------------------------- constructors from a tensor

def _new(self, make, size, dtype, device, requires_grad):
    t = make(size, dtype=self.dtype if dtype is None else dtype, device=self.device if device is None else device)
    return t.requires_grad_(True) if requires_grad else t


@tensor_method
def new_empty(self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False,
              **kwargs):
    """A tensor of `size` with `self`'s dtype and device unless given; contents unspecified."""
    return _new(self, _C.empty, _size(size, _size_kw("new_empty", size, kwargs)), dtype, device, requires_grad)


@tensor_method
def new_zeros(self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False,
              **kwargs):
    """Zeros of `size` with `self`'s dtype and device unless given.

        >>> import ferrotorch as torch
        >>> torch.ones(2, dtype=torch.int32).new_zeros(2, 3).tolist()
        [[0, 0, 0], [0, 0, 0]]
    """
    return _new(self, _C.zeros, _size(size, _size_kw("new_zeros", size, kwargs)), dtype, device, requires_grad)


@tensor_method
def new_ones(self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False,
             **kwargs):
    """Ones of `size` with `self`'s dtype and device unless given."""
    return _new(self, _C.ones, _size(size, _size_kw("new_ones", size, kwargs)), dtype, device, requires_grad)


@tensor_method
def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
    """`fill_value` everywhere, with `self`'s dtype and device unless given."""
    return _new(self, lambda s, **kw: _C.full(s, fill_value, **kw), tuple(size), dtype, device, requires_grad)


@tensor_method
def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
    """A copy of `data` with `self`'s dtype and device unless given."""
    dtype = self.dtype if dtype is None else dtype
    device = self.device if device is None else device
    if isinstance(data, _C.Tensor):
        import warnings
        warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() "
                      "or sourceTensor.detach().clone().requires_grad_(True), rather than "
                      "tensor.new_tensor(sourceTensor).", UserWarning, stacklevel=2)
        t = data.detach().to(dtype=dtype, device=device, copy=True)
    else:
        t = _C.tensor(data, dtype=dtype, device=device)
    return t.requires_grad_(True) if requires_grad else t


@tensor_method
def type_as(self, tensor):
    """`self` converted to `tensor`'s type, which names the device too (``torch.cuda.FloatTensor``)."""
    return self.to(device=tensor.device, dtype=tensor.dtype)


# ---------------------------------------------------------------- shape and storage

@tensor_method
def sum_to_size(self, *size):
    """Sums the dims that `size` broadcasts, so the result has `size` (the reverse of expand).

        >>> import ferrotorch as torch
        >>> torch.ones(2, 3).sum_to_size(1, 3).tolist()
        [[2.0, 2.0, 2.0]]
    """
    size = _size(size)
    shape = tuple(self.shape)
    lead = len(shape) - len(size)
    if lead < 0 or any(s != 1 and s != d for s, d in zip(size, shape[lead:])):
        raise RuntimeError(f"size {{{', '.join(map(str, size))}}} is not expandable to size "
                           f"{{{', '.join(map(str, shape))}}}.")
    r = self.sum(tuple(range(lead))) if lead else self
    dims = tuple(i for i, (s, d) in enumerate(zip(size, shape[lead:])) if s == 1 and d != 1)
    return r.sum(dims, keepdim=True) if dims else r


@tensor_method
def fill_diagonal_(self, fill_value, wrap=False):
    """Writes `fill_value` on the main diagonal in place; with `wrap`, a tall matrix's diagonal
    restarts every (columns + 1) rows, as numpy's fill_diagonal does.

        >>> import ferrotorch as torch
        >>> torch.zeros(2, 3).fill_diagonal_(5).tolist()
        [[5.0, 0.0, 0.0], [0.0, 5.0, 0.0]]
    """
    if self.dim() < 2:
        raise RuntimeError("dimensions must larger than 1")
    shape = tuple(self.shape)
    if self.dim() > 2 and len(set(shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    rows, cols = shape[0], shape[1]
    if self.dim() == 2 and wrap and rows > cols + 1:
        # Flat positions k*(cols+1) of the row-major matrix: diagonal blocks separated by one row.
        flat = _C.arange(0, rows * cols, cols + 1, device=self.device)
        index = (flat // cols, flat % cols)
    else:
        i = _C.arange(builtins.min(shape), device=self.device)
        index = (i,) * self.dim()
    return self.index_put_(index, _C.tensor(fill_value, dtype=self.dtype, device=self.device))


@tensor_method
def resize_(self, *sizes, memory_format=None):
    """Resizes in place to `sizes` (contiguous). As in PyTorch, the elements are read in storage
    order from the tensor's offset (not in the logical order of a non-contiguous tensor); when the
    storage is large enough the tensor stays a view of it, else it grows, with new elements
    uninitialised (zeros here).

        >>> import ferrotorch as torch
        >>> torch.arange(6).reshape(2, 3).t().resize_(2, 2).tolist()
        [[0, 1], [2, 3]]
    """
    sizes = _size(sizes)
    if self.requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"Trying to create tensor with negative dimension {builtins.min(sizes)}: {list(sizes)}")
    n = math.prod(sizes)
    offset = self.storage_offset()
    available = builtins.max(self.untyped_storage_nbytes() // self.element_size() - offset, 0)
    strides = [1] * len(sizes)
    for i in range(len(sizes) - 2, -1, -1):
        strides[i] = strides[i + 1] * builtins.max(sizes[i + 1], 1)
    if n <= available:
        self._set_from(self.as_strided(sizes, strides, offset))
    else:
        flat = self.as_strided((available,), (1,), offset).clone()
        flat = _C.cat([flat, _C.zeros(n - available, dtype=self.dtype, device=self.device)])
        self._set_from(flat.reshape(sizes))
    return self


@tensor_method
def resize_as_(self, the_template, memory_format=None):
    """`resize_` to `the_template`'s shape."""
    return self.resize_(the_template.shape)


@tensor_method
def pin_memory(self, device=None):
    """ferrotorch has no page-locked host memory (wgpu uploads through its own staging buffers),
    so this returns the CPU tensor itself; GPU tensors raise, as in PyTorch."""
    if self.is_cuda:
        raise RuntimeError(f"cannot pin '{self.type()}' only dense CPU tensors can be pinned")
    return self


@tensor_method
def is_pinned(self, device=None):
    """Always False: see `pin_memory`."""
    return False


# ---------------------------------------------------------------- elementwise Python callables

@tensor_method
def __deepcopy__(self, memo):
    """A copy on the same device, with requires_grad and a deep copy of `.grad` (pickling, which
    copy.deepcopy would otherwise fall back to, brings tensors back on the CPU)."""
    if id(self) in memo:
        return memo[id(self)]
    if not self.is_leaf:
        raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                           "protocol at the moment.  If you were attempting to deepcopy a module, this may be "
                           "because of a torch.nn.utils.weight_norm usage, see "
                           "https://github.com/pytorch/pytorch/pull/103001")
    with _no_grad():
        result = self.clone()
    result.requires_grad_(self.requires_grad)
    memo[id(self)] = result
    if self.grad is not None:
        import copy
        result.grad = copy.deepcopy(self.grad, memo)
    return result


@tensor_method
def apply_(self, callable):
    """Applies a Python function to every element in place (CPU only, and slow, as in PyTorch)."""
    if self.is_cuda:
        raise TypeError("apply_ is only implemented on CPU tensors")
    values = [callable(v) for v in self.reshape(-1).tolist()]
    self.copy_(_C.tensor(values, dtype=self.dtype).reshape(self.shape))
    return self


@tensor_method
def map_(self, tensor, callable):
    """`self[i] = callable(self[i], tensor[i])` in place, `tensor` broadcast to `self` (CPU only)."""
    if self.is_cuda or tensor.is_cuda:
        raise TypeError("map_ is only implemented on CPU tensors")
    other = tensor.expand_as(self).reshape(-1).tolist()
    values = [callable(a, b) for a, b in zip(self.reshape(-1).tolist(), other)]
    self.copy_(_C.tensor(values, dtype=self.dtype).reshape(self.shape))
    return self


# ---------------------------------------------------------------- random fills

def _uniform_open(self, generator):
    """Uniform draws in (0, 1): a 0 would make the inverse CDFs below infinite."""
    u = _C.empty(self.shape, dtype=self.dtype, device=self.device).uniform_(generator=generator)
    return u.clamp_min(finfo(self.dtype).tiny)


def _no_grad():
    from .autograd.grad_mode import no_grad
    return no_grad()


def _check_float(self, name):
    if not self.is_floating_point():
        raise RuntimeError(f"{name} expects floating-point tensors, got {self.dtype}")


@tensor_method
def geometric_(self, p, *, generator=None):
    """Fills with Geometric(p) draws: the number of Bernoulli(p) trials up to the first success."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    with _no_grad():
        u = _uniform_open(self if self.is_floating_point() else self.float(), generator)
        return self.copy_((u.log() / math.log1p(-p)).ceil())


@tensor_method
def log_normal_(self, mean=1, std=2, *, generator=None):
    """Fills with exp(Normal(mean, std)) draws."""
    _check_float(self, "log_normal_")
    if std <= 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    with _no_grad():
        return self.normal_(mean, std, generator=generator).exp_()


@tensor_method
def cauchy_(self, median=0, sigma=1, *, generator=None):
    """Fills with Cauchy(median, sigma) draws: median + sigma * tan(pi * (u - 1/2))."""
    _check_float(self, "cauchy_")
    if sigma <= 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma}")
    with _no_grad():
        u = _uniform_open(self, generator)
        return self.copy_(((u - 0.5) * math.pi).tan() * sigma + median)


# ---------------------------------------------------------------- order statistics

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan):
    if input.dtype not in (_C.float32, _C.float64):
        raise RuntimeError("quantile() input tensor must be either float or double dtype")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError("quantile() interpolation must be one of linear, lower, higher, midpoint or nearest, "
                           f"but got {interpolation}")
    scalar_q = not isinstance(q, _C.Tensor)
    if scalar_q:
        if not 0 <= q <= 1:
            raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {q}")
        qt = _C.tensor([q], dtype=input.dtype, device=input.device)
    else:
        if q.dim() > 1:
            raise RuntimeError("quantile() q must be a scalar or 1D tensor")
        if q.dtype != input.dtype:
            raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
        if q.device != input.device:
            raise RuntimeError("quantile() q tensor must be on the same device as the input tensor")
        scalar_q = q.dim() == 0
        qt = q.reshape(-1)
        if qt.numel() and bool(((qt < 0) | (qt > 1)).any()):
            raise RuntimeError("quantile() q values must be in the range [0, 1]")
    if input.numel() == 0:
        raise RuntimeError("quantile() input tensor must be non-empty")
    ndim = input.dim()
    if dim is None:
        x = input.reshape(-1)
        kept = ()
    else:
        d = wrap_dim(dim, ndim)
        x = input.movedim(d, -1) if ndim else input.reshape(1)
        kept = tuple(x.shape[:-1])
    s = x.sort(-1).values  # NaN sorts last
    n = s.shape[-1]
    nan = s.isnan()
    if ignore_nan:
        # Rank within the non-NaN prefix; an all-NaN row reads its first (NaN) element.
        valid = (~nan).sum(-1, keepdim=True).to(input.dtype)
        ranks = (qt * (valid - 1)).clamp_min(0)
    else:
        # A row holding NaN reads its last element, a NaN.
        ranks = (qt * (n - 1)).expand(*kept, qt.numel()).masked_fill(nan.any(-1, keepdim=True), n - 1)
    if interpolation == "lower":
        result = s.gather(-1, ranks.floor().long())
    elif interpolation == "higher":
        result = s.gather(-1, ranks.ceil().long())
    elif interpolation == "nearest":
        result = s.gather(-1, ranks.round().long())
    else:
        below, above = ranks.floor().long(), ranks.ceil().long()
        weight = (ranks - ranks.floor()) if interpolation == "linear" else _C.full_like(ranks, 0.5)
        result = s.gather(-1, below).lerp(s.gather(-1, above), weight)
    result = result.movedim(-1, 0)  # q's dim first, as PyTorch orders it
    if keepdim:
        if dim is None:
            result = result.reshape((qt.numel(),) + (1,) * ndim)
        elif ndim:
            result = result.unsqueeze(d + 1)
    if scalar_q:
        result = result.squeeze(0)
    return result


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    """The q-th quantiles of `input` (flattened, or along `dim`), interpolating between the two
    nearest order statistics; a row holding NaN gives NaN. A 1-D `q` adds a leading dim.

        >>> import ferrotorch as torch
        >>> torch.quantile(torch.tensor([1.0, 2.0, 3.0, 4.0]), torch.tensor([0.25, 0.5])).tolist()
        [1.75, 2.5]
    """
    return _finish(_quantile(input, q, dim, keepdim, interpolation, False), out)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    """`quantile` that ignores NaN (an all-NaN row gives NaN).

        >>> import ferrotorch as torch
        >>> torch.nanquantile(torch.tensor([1.0, float("nan"), 3.0]), 0.5).item()
        2.0
    """
    return _finish(_quantile(input, q, dim, keepdim, interpolation, True), out)


def mode(input, dim=-1, keepdim=False, *, out=None):
    """The most frequent value along `dim` (the smallest one among ties) and the index of its
    last occurrence, as PyTorch's CPU kernel returns it.

        >>> import ferrotorch as torch
        >>> r = torch.mode(torch.tensor([[3, 1, 3, 1, 2]]), 1)
        >>> r.values.tolist(), r.indices.tolist()
        ([1], [3])
    """
    ndim = input.dim()
    d = wrap_dim(dim, ndim)
    x = input.movedim(d, -1) if ndim else input.reshape(1)
    n = x.shape[-1]
    if n == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
    with _no_grad():
        s, order = x.detach().sort(-1, stable=True)
        # Length of the run of equal values ending at each sorted position; the first position
        # reaching the longest run ends the smallest most-frequent value's run.
        pos = _C.arange(n, device=x.device).expand_as(s)
        starts = s[..., 1:] != s[..., :-1]
        is_start = _C.cat([_C.ones_like(s[..., :1], dtype=_C.bool), starts], -1)
        run_start = _C.where(is_start, pos, _C.zeros_like(pos)).cummax(-1).values
        end = (pos - run_start).argmax(-1, keepdim=True)
        indices = order.gather(-1, end)
    values = x.gather(-1, indices)
    if not keepdim or not ndim:
        values, indices = values.squeeze(-1), indices.squeeze(-1)
    elif ndim:
        values, indices = values.movedim(-1, d), indices.movedim(-1, d)
    result = return_types.mode(values, indices)
    if out is not None:
        out[0].copy_(values) if tuple(out[0].shape) == tuple(values.shape) else out[0]._set_from(values)
        out[1].copy_(indices) if tuple(out[1].shape) == tuple(indices.shape) else out[1]._set_from(indices)
        return return_types.mode(*out)
    return result


for _fn in (quantile, nanquantile, mode):
    method_of(_fn)
del _fn
