"""Norm-based similarity and distance: normalize, cosine_similarity, pairwise_distance, pdist."""
from ... import _C
from ..._elementwise import _scalar_name
from ..._math_composites import _modulus

__all__ = ["normalize", "cosine_similarity", "pairwise_distance", "pdist"]


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(||input||_p, eps) along `dim`.

        >>> import ferrotorch as torch
        >>> torch.nn.functional.normalize(torch.tensor([[3.0, 4.0]])).tolist()
        [[0.6000000238418579, 0.800000011920929]]
    """
    denom = _modulus(input).norm(p, dim, keepdim=True).clamp_min(eps)
    result = input / denom
    return result if out is None else out.copy_(result)


def _broadcast_shape(a, b):
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    for i, (p, q) in enumerate(zip(a, b)):
        if p != q and p != 1 and q != 1:
            raise RuntimeError(f"The size of tensor a ({p}) must match the size of tensor b ({q}) "
                               f"at non-singleton dimension {i}")
    return tuple(q if p == 1 else p for p, q in zip(a, b))


def _clamped_norm(x, dim, eps):
    # PyTorch clamps each norm under no_grad: the value is max(norm, eps) but the gradient flows
    # as through the unclamped norm. n + (clamped - n).detach() is exactly that.
    n = x.norm(2, dim, keepdim=True)
    frozen = n.detach()
    return n + (frozen.clamp_min(eps) - frozen)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """<x1, x2> / (max(||x1||, eps) * max(||x2||, eps)) along `dim`, after broadcasting x1 with x2.

    Each input is divided by its own norm before the product, which keeps the result in [-1, 1]."""
    common = _C.result_type(x1, x2)
    if not common.is_floating_point:
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is "
                           f"{_scalar_name(common)}")
    x1, x2 = x1.to(common), x2.to(common)
    shape = _broadcast_shape(x1.shape, x2.shape)
    x1, x2 = x1.expand(shape), x2.expand(shape)
    return ((x1 / _clamped_norm(x1, dim, eps)) * (x2 / _clamped_norm(x2, dim, eps))).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p over the last dimension (of the broadcast shape)."""
    innermost = max(x1.dim(), x2.dim()) - 1
    return _modulus(x1 - x2 + eps).norm(p, innermost, keepdim=keepdim)


def pdist(input, p=2):
    """p-norm distances between all pairs of rows of an (N, M) input, as the condensed (N*(N-1)/2,)
    vector of the upper triangle (row i < row j, row-major), like scipy's pdist.

    >>> import ferrotorch as torch
    >>> torch.nn.functional.pdist(torch.tensor([[0.0, 0.0], [3.0, 4.0]])).tolist()
    [5.0]
    """
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if not input.is_floating_point():
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    n = input.shape[0]
    from ..._shape_functions import triu_indices
    pairs = triu_indices(n, n, 1, device=input.device)
    diff = input.index_select(0, pairs[0]) - input.index_select(0, pairs[1])
    return diff.norm(p, 1)
