"""Module-level functions of the shape and linear-algebra family.

The list-taking ops (``cat``, ``stack``, ``meshgrid``, ...) are implemented in Rust; the rest
are the Tensor methods with the tensor as first argument.

    >>> import ferrotorch as torch
    >>> a = torch.tensor([[1, 2], [3, 4]])
    >>> torch.cat([a, a], dim=1).tolist()
    [[1, 2, 1, 2], [3, 4, 3, 4]]
    >>> torch.einsum("ij,jk->ik", a, a).tolist()
    [[7, 10], [15, 22]]
"""
from . import _C
from ._C import (
    atleast_1d, atleast_2d, atleast_3d, cat, column_stack, concat, concatenate, dstack, hstack,
    meshgrid, repeat_interleave, row_stack, stack, tensordot, vstack,
)

__all__ = [
    "addbmm", "addmm", "addmv", "atleast_1d", "atleast_2d", "atleast_3d", "baddbmm", "bmm",
    "cat", "column_stack", "concat", "concatenate", "diag", "diag_embed", "dot", "dstack",
    "einsum", "flip", "fliplr", "flipud", "ger", "hstack", "inner", "kron", "matmul",
    "meshgrid", "mm", "mv", "outer", "repeat_interleave", "roll", "rot90", "row_stack",
    "stack", "tensordot", "tile", "trace", "tril", "triu", "vdot", "vstack",
]


_CPP_NAMES = {
    _C.bool: "bool", _C.uint8: "unsigned char", _C.int8: "signed char", _C.int16: "short int",
    _C.int32: "int", _C.int64: "long int", _C.float16: "c10::Half", _C.bfloat16: "c10::BFloat16",
    _C.float32: "float", _C.float64: "double",
    _C.complex64: "c10::complex<float>", _C.complex128: "c10::complex<double>",
}


def _out(result, out):
    """Writes `result` into `out` (PyTorch's ``out=``): in place when shapes match."""
    if out is None:
        return result
    if out.dtype != result.dtype:
        raise RuntimeError(f"Expected out tensor to have dtype {_CPP_NAMES[result.dtype]}, but got {_CPP_NAMES[out.dtype]} instead")
    if tuple(out.shape) == tuple(result.shape):
        out.copy_(result)
    else:
        out._set_from(result)
    return out


def flip(input, dims):
    return input.flip(dims)


def fliplr(input):
    return input.fliplr()


def flipud(input):
    return input.flipud()


def roll(input, shifts, dims=None):
    return input.roll(shifts, dims)


def tile(input, dims):
    return input.tile(dims)


def rot90(input, k=1, dims=(0, 1)):
    return input.rot90(k, dims)


def tril(input, diagonal=0, *, out=None):
    return _out(input.tril(diagonal), out)


def triu(input, diagonal=0, *, out=None):
    return _out(input.triu(diagonal), out)


def matmul(input, other, *, out=None):
    return _out(input.matmul(other), out)


def mm(input, mat2, *, out=None):
    return _out(input.mm(mat2), out)


def bmm(input, mat2, *, out=None):
    return _out(input.bmm(mat2), out)


def mv(input, vec, *, out=None):
    return _out(input.mv(vec), out)


def dot(input, tensor, *, out=None):
    return _out(input.dot(tensor), out)


def vdot(input, other, *, out=None):
    return _out(input.vdot(other), out)


def inner(input, other, *, out=None):
    return _out(input.inner(other), out)


def outer(input, vec2, *, out=None):
    return _out(input.outer(vec2), out)


def ger(input, vec2, *, out=None):
    return _out(input.ger(vec2), out)


def kron(input, other, *, out=None):
    return _out(input.kron(other), out)


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    return _out(input.addmm(mat1, mat2, beta=beta, alpha=alpha), out)


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    return _out(input.addmv(mat, vec, beta=beta, alpha=alpha), out)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    return _out(input.addbmm(batch1, batch2, beta=beta, alpha=alpha), out)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    return _out(input.baddbmm(batch1, batch2, beta=beta, alpha=alpha), out)


def trace(input):
    return input.trace()


def diag(input, diagonal=0, *, out=None):
    return _out(input.diag(diagonal), out)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    return input.diag_embed(offset, dim1, dim2)


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _sublist(sub):
    parts = []
    for s in sub:
        if s is Ellipsis:
            parts.append("...")
        elif isinstance(s, int) and 0 <= s < 52:
            parts.append(_LETTERS[s])
        else:
            raise ValueError("einsum(): expected subscript to be within the range [0, 52) for the sublist format")
    return "".join(parts)


def einsum(*args):
    """``einsum(equation, *operands)``, ``einsum(equation, [operands])`` or the sublist
    format ``einsum(op1, sublist1, op2, sublist2, ..., [sublist_out])``."""
    if not args:
        raise RuntimeError("einsum(): must specify the equation string and at least one operand, or at least one operand and its subscripts list")
    if isinstance(args[0], str):
        return _C.einsum(*args)
    operands, subs = list(args[0::2]), list(args[1::2])
    out = None
    if len(subs) < len(operands):
        out = operands.pop()
        out = "->" + _sublist(out)
    elif len(subs) > len(operands):
        raise RuntimeError("einsum(): more subscript lists than operands")
    eq = ",".join(_sublist(s) for s in subs) + (out or "")
    return _C.einsum(eq, *operands)
