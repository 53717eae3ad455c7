"""Dim and shape checks shared by the ops composed in Python, with PyTorch's messages."""


def wrap_dim(dim, ndim):
    """`dim` as an index in [0, ndim); a 0-d tensor takes dim 0 or -1, as in PyTorch."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n


def infer_size(a, b):
    """The broadcast of shapes `a` and `b` (a tuple), as ATen's infer_size: it walks from the
    last dim and names the first (right-aligned) dim that fails."""
    ndim = max(len(a), len(b))
    out = [0] * ndim
    for i in range(ndim - 1, -1, -1):
        off = ndim - 1 - i
        sa = a[len(a) - 1 - off] if len(a) - 1 - off >= 0 else 1
        sb = b[len(b) - 1 - off] if len(b) - 1 - off >= 0 else 1
        if sa != sb and sa != 1 and sb != 1:
            raise RuntimeError(f"The size of tensor a ({sa}) must match the size of tensor b ({sb}) "
                               f"at non-singleton dimension {i}")
        out[i] = sb if sa == 1 else sa
    return tuple(out)
