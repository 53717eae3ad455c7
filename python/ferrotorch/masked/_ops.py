"""The masked operations of `torch.masked`, on strided tensors.

Each replaces the masked-out elements by the operation's identity with `where` (so autograd sends
them a zero gradient) and runs the ordinary reduction or normalization, as PyTorch's
`torch.masked._ops` does; the results, dtypes and fully-masked-out values follow it.

    >>> import ferrotorch as torch
    >>> x = torch.tensor([1.0, 2.0, 3.0])
    >>> torch.masked.mean(x, mask=torch.tensor([True, False, True])).item()
    2.0
    >>> torch.masked.softmax(x, 0, mask=torch.tensor([True, False, False])).tolist()
    [1.0, 0.0, 0.0]
"""
import builtins
import math

import ferrotorch as torch

_SMALL_INTEGERS = ("uint8", "bool", "int8", "int16", "int32")


def _layout(input):
    # PyTorch reads `input.layout` first, so a non-tensor fails with that AttributeError.
    return input.layout


def _canonical_dim(dim, ndim):
    """The sorted tuple of non-negative dims reduced over (all of them for None or ())."""
    if dim == () or dim is None:
        return tuple(range(ndim))
    ndim = builtins.max(ndim, 1)
    dims = []
    for d in ((dim,) if isinstance(dim, int) else dim):
        if d in dims:
            raise RuntimeError(f"dim={d} appears multiple times in the list of dims")
        if d >= ndim or d < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {d})")
        dims.append(d % ndim)
    return tuple(sorted(dims))


def _identity(op, input, ord=2.0):
    """The value a masked-out element takes for `op` (None where there is none to fill)."""
    dtype, device = input.dtype, input.device

    def const(v):
        return torch.tensor(v, dtype=dtype, device=device)

    floating = dtype.is_floating_point
    if op in ("sum", "cumsum"):
        return const(0)
    if op in ("prod", "cumprod"):
        return const(1)
    if op in ("amax", "argmax", "logaddexp", "logsumexp"):
        # -inf (+0j) is the empty log-sum of complex inputs too; amax of them fails in iinfo, as in PyTorch.
        log_sum = op in ("logaddexp", "logsumexp") and dtype.is_complex
        return const(-math.inf) if floating or log_sum else const(torch.iinfo(dtype).min)
    if op in ("amin", "argmin"):
        return const(math.inf) if floating else const(torch.iinfo(dtype).max)
    if op == "norm":
        return const(math.inf) if ord == -math.inf else const(0)
    if op == "median":
        return torch.tensor(math.nan, dtype=dtype if floating else torch.float32, device=device)
    raise NotImplementedError(f"identity of {op} on {dtype} input")


def _input_mask(input, mask):
    """`mask` broadcast to the input's shape, as bools."""
    if tuple(mask.shape) != tuple(input.shape):
        if mask.ndim > input.ndim:
            raise IndexError("_input_mask expected broadcastable mask "
                             "(got mask dimensionality higher than of the input)")
        mask = torch.broadcast_to(mask.clone(), input.shape)
    return mask.to(dtype=torch.bool)


def _combine(op, input, mask, ord=2.0):
    """The input with its masked-out elements replaced by `op`'s identity."""
    if mask is None:
        return input
    return torch.where(_input_mask(input, mask), input, _identity(op, input, ord))


def _default_sum_dtype(input, dtype):
    if dtype is not None:
        return dtype
    return torch.int64 if str(input.dtype).replace("torch.", "") in _SMALL_INTEGERS else input.dtype


def sum(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """The sum of the unmasked elements over `dim` (all dims when None); 0 where all are masked.

        >>> import ferrotorch as torch
        >>> torch.masked.sum(torch.tensor([1, 2, 3]), mask=torch.tensor([True, False, True])).item()
        4
    """
    _layout(input)
    dtype = _default_sum_dtype(input, dtype)
    dims = _canonical_dim(dim, input.ndim)
    return torch.sum(_combine("sum", input, mask), dims, bool(keepdim), dtype=dtype)


def prod(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """The product of the unmasked elements over `dim`; 1 where all are masked."""
    _layout(input)
    dtype = _default_sum_dtype(input, dtype)
    dims = _canonical_dim(dim, input.ndim)
    result = _combine("prod", input, mask).to(dtype=dtype)
    for d in reversed(dims):
        result = result.prod(dim=d, keepdim=bool(keepdim))
    return result


def cumsum(input, dim, *, dtype=None, mask=None):
    """The running sum along `dim`, masked-out elements counting as 0."""
    _layout(input)
    dtype = input.dtype if dtype is None else dtype
    d = _canonical_dim(dim, input.ndim)[0]
    return torch.cumsum(_combine("sum", input, mask), d, dtype=dtype).to(dtype=dtype)


def cumprod(input, dim, *, dtype=None, mask=None):
    """The running product along `dim`, masked-out elements counting as 1."""
    _layout(input)
    dtype = input.dtype if dtype is None else dtype
    d = _canonical_dim(dim, input.ndim)[0]
    return torch.cumprod(_combine("prod", input, mask), d, dtype=dtype).to(dtype=dtype)


def amax(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """The largest unmasked element over `dim`; -inf (or the integer minimum) where all are masked."""
    _layout(input)
    dtype = input.dtype if dtype is None else dtype
    masked = _combine("amax", input, mask)
    return torch.amax(masked, _canonical_dim(dim, masked.ndim), bool(keepdim)).to(dtype=dtype)


def amin(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """The smallest unmasked element over `dim`; inf (or the integer maximum) where all are masked."""
    _layout(input)
    dtype = input.dtype if dtype is None else dtype
    masked = _combine("amin", input, mask)
    return torch.amin(masked, _canonical_dim(dim, masked.ndim), bool(keepdim)).to(dtype=dtype)


def argmax(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """The index of the largest unmasked element along `dim` (of the flattened input when None),
    in `dtype` (the input's by default, as in PyTorch)."""
    _layout(input)
    dtype = input.dtype if dtype is None else dtype
    return torch.argmax(_combine("argmax", input, mask), dim, bool(keepdim)).to(dtype=dtype)


def argmin(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """The index of the smallest unmasked element along `dim`, in `dtype` (the input's by default)."""
    _layout(input)
    dtype = input.dtype if dtype is None else dtype
    return torch.argmin(_combine("argmin", input, mask), dim, bool(keepdim)).to(dtype=dtype)


def mean(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """The mean of the unmasked elements over `dim`; NaN where all are masked. Floating dtypes only.

        >>> import ferrotorch as torch
        >>> torch.masked.mean(torch.tensor([[1.0, 5.0]]), 1, mask=torch.tensor([[False, True]])).tolist()
        [5.0]
    """
    _layout(input)
    source = "Optional"
    if dtype is None:
        dtype, source = input.dtype, "Input"
    if not (dtype.is_floating_point or dtype.is_complex):
        raise ValueError(f"mean(): Could not infer output dtype. {source} dtype must be either a floating point "
                         f"or complex dtype. Got: {dtype}")
    if mask is None:
        count = sum(torch.ones(input.shape, dtype=torch.int64, device=input.device), dim, keepdim=keepdim)
        total = sum(input, dim, keepdim=keepdim, dtype=dtype)
    else:
        inmask = _input_mask(input, mask)
        count = sum(inmask, dim, keepdim=keepdim)
        total = sum(input, dim, keepdim=keepdim, dtype=dtype, mask=inmask)
    return total / count


def median(input, dim=-1, *, keepdim=False, dtype=None, mask=None):
    """The median of the unmasked elements along `dim` (the lower of the middle two, as
    `torch.median`); NaN where all are masked, an error then for integer inputs."""
    _layout(input)
    dtype = input.dtype if dtype is None else dtype
    d = _canonical_dim(dim, input.ndim)[0]
    is_float = input.dtype.is_floating_point
    if not is_float:
        input = input.to(dtype=torch.float32)
    output = torch.nanmedian(_combine("median", input, mask), d, keepdim).values
    if is_float:
        return output
    if output.isnan().any().item():
        raise ValueError("masked median expects no fully masked out rows if dtype is not floating point")
    return output.to(dtype=dtype)


def logsumexp(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """log(sum(exp(x))) over the unmasked elements; -inf where all are masked."""
    _layout(input)
    dtype = input.dtype if dtype is None else dtype
    dims = _canonical_dim(dim, input.ndim)
    return torch.logsumexp(_combine("logsumexp", input, mask), dims, keepdim=keepdim).to(dtype=dtype)


def logaddexp(input, other, *, dtype=None, input_mask=None, other_mask=None):
    """log(exp(input) + exp(other)) with each operand's masked-out elements taken as -inf."""
    _layout(input)
    _layout(other)
    dtype = input.dtype if dtype is None else dtype
    a = _combine("logaddexp", input, input_mask)
    b = _combine("logaddexp", other, other_mask)
    return torch.logaddexp(a, b).to(dtype=dtype)


def norm(input, ord=2.0, dim=None, *, keepdim=False, dtype=None, mask=None):
    """The vector `ord`-norm of the unmasked elements over `dim`; 0 where all are masked (inf for
    ord = -inf)."""
    _layout(input)
    dtype = input.dtype if dtype is None else dtype
    if ord == -math.inf and not input.dtype.is_floating_point:
        raise AssertionError(f"input must be floating point, got {input.dtype}")
    masked = _combine("norm", input, mask, ord)
    return torch.linalg.vector_norm(masked, ord, _canonical_dim(dim, input.ndim), bool(keepdim), dtype=dtype)


def _std_var(input, dim, unbiased, correction_opt, keepdim, dtype, mask, take_sqrt):
    _layout(input)
    if unbiased is not None and correction_opt is not None:
        raise AssertionError("Only one of unbiased and correction may be given")
    correction = 1.0
    if unbiased is not None:
        correction = 1.0 if unbiased else 0.0
    if correction_opt is not None:
        correction = float(correction_opt)
    if dtype is None:
        dtype = input.dtype if input.dtype.is_floating_point or input.dtype.is_complex else torch.float32
    # The squared deviations are real: a complex dtype's are summed in its parts' precision.
    if dtype.is_complex:
        compute_dtype = torch.float64 if dtype == torch.complex128 else torch.float32
    else:
        compute_dtype = dtype if dtype.is_floating_point else torch.float32
    if mask is None:
        inmask = None
        count = sum(torch.ones(input.shape, dtype=torch.int64, device=input.device), dim, keepdim=True)
    else:
        inmask = _input_mask(input, mask)
        count = sum(inmask, dim, keepdim=True)
    sample_mean = sum(input, dim, keepdim=True, dtype=dtype, mask=inmask) / count
    x = input - sample_mean
    squares = (x * x.conj()).real if x.dtype.is_complex else x * x
    total = sum(squares, dim, keepdim=keepdim, dtype=compute_dtype, mask=inmask)
    if not keepdim:
        count = count.reshape(total.shape)
    if correction != 0:
        # Fewer unmasked elements than the correction: a 0 divisor (inf or NaN), as in PyTorch.
        count = torch.clamp(count.to(compute_dtype) - correction, min=0.0)
    if dtype.is_complex:
        # Divided in the complex dtype, as PyTorch does: a fully masked slice is nan + nanj.
        output = total.to(dtype=dtype) / count.to(dtype=dtype)
    else:
        output = (total / count).to(dtype=dtype)
    return output.sqrt() if take_sqrt else output


def var(input, dim=None, unbiased=None, *, correction=None, keepdim=False, dtype=None, mask=None):
    """The variance of the unmasked elements over `dim` (Bessel-corrected unless `unbiased=False`
    or another `correction`); NaN where all are masked."""
    return _std_var(input, dim, unbiased, correction, keepdim, dtype, mask, False)


def std(input, dim=None, unbiased=None, *, correction=None, keepdim=False, dtype=None, mask=None):
    """The standard deviation of the unmasked elements over `dim`; NaN where all are masked."""
    return _std_var(input, dim, unbiased, correction, keepdim, dtype, mask, True)


def softmax(input, dim, *, dtype=None, mask=None):
    """softmax along `dim` over the unmasked elements (0 at the masked ones; NaN along a fully
    masked-out slice)."""
    _layout(input)
    dtype = input.dtype if dtype is None else dtype
    d = _canonical_dim(dim, input.ndim)[0]
    return torch.nn.functional.softmax(_combine("amax", input, mask), d, dtype=dtype)


def log_softmax(input, dim, *, dtype=None, mask=None):
    """log_softmax along `dim` over the unmasked elements (-inf at the masked ones)."""
    _layout(input)
    dtype = input.dtype if dtype is None else dtype
    d = _canonical_dim(dim, input.ndim)[0]
    return torch.nn.functional.log_softmax(_combine("amax", input, mask), d, dtype=dtype)


def softmin(input, dim, *, dtype=None, mask=None):
    """softmin along `dim` over the unmasked elements (0 at the masked ones)."""
    _layout(input)
    dtype = input.dtype if dtype is None else dtype
    d = _canonical_dim(dim, input.ndim)[0]
    return torch.nn.functional.softmin(_combine("amin", input, mask), d, dtype=dtype)


def normalize(input, ord, dim, *, eps=1e-12, dtype=None, mask=None):
    """The input divided by the `ord`-norm of its unmasked elements along `dim` (at least `eps`);
    masked-out elements give 0."""
    _layout(input)
    dtype = input.dtype if dtype is None else dtype
    masked = _combine("sum", input, mask)
    nrm = norm(input, ord, dim, keepdim=True, dtype=dtype, mask=mask)
    return masked / torch.maximum(nrm, nrm.new_full([], eps))
